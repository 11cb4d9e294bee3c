"""Compare two groups (e.g. Japanese vs English dialogues) on many features, one tidy row per feature.

The unit of analysis is the dialogue: utterances of one dialogue are not independent, so every
feature is first aggregated to one value per dialogue (or, for rates, one count and one exposure
per dialogue), and all tests, intervals and resamples work on dialogues.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from omotenashi_research.stats import effects
from omotenashi_research.stats.multitest import p_adjust, resolve_adjust_method
from omotenashi_research.stats.resampling import (
    _constant_within,
    bootstrap_weights,
    permutation_masks,
    permutation_p,
)

__all__ = ["COMPARE_COLUMNS", "compare_groups"]

COMPARE_COLUMNS: tuple[str, ...] = (
    "feature", "group1", "group2", "effect", "mean1", "mean2", "estimate", "ci_low", "ci_high",
    "method", "statistic", "p",
)
_N_COLUMNS = ("n_dialogues1", "n_dialogues2", "n_utterances1", "n_utterances2")
_CHUNK = 250  # resamples per matrix product: bounds memory on large corpora


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna()
    if bad.any():
        rows = df.index[bad][:5].tolist()
        raise ValueError(
            f"compare_groups: column {column!r} must be numeric; rows {rows} hold "
            f"{df.loc[bad, column].head(3).tolist()}"
        )
    if np.isinf(values).any():
        raise ValueError(f"compare_groups: column {column!r} has infinite values at rows "
                         f"{df.index[np.isinf(values)][:5].tolist()}")
    return values.astype(float)


# --- effect estimates on dialogue-level data, vectorised over resamples (rows of weight matrices) ---

def _hedges_from_weights(w1, w2, v1, v2) -> np.ndarray:
    n1, n2 = w1.sum(axis=1), w2.sum(axis=1)
    m1, m2 = w1 @ v1 / n1, w2 @ v2 / n2
    ss1 = w1 @ (v1 - v1.mean()) ** 2 - n1 * (m1 - v1.mean()) ** 2
    ss2 = w2 @ (v2 - v2.mean()) ** 2 - n2 * (m2 - v2.mean()) ** 2
    df = n1 + n2 - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (m1 - m2) / np.sqrt(np.maximum(ss1 + ss2, 0) / df)
    return g * effects._hedges_j(float(df[0]))


def _log_rr_from_weights(w1, w2, c1, e1, c2, e2) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log((w1 @ c1) / (w1 @ e1)) - np.log((w2 @ c2) / (w2 @ e2))


def _point(effect: str, d1: pd.DataFrame, d2: pd.DataFrame, ci: float) -> dict:
    """Estimate with its analytic (dialogue-level) interval."""
    if effect == "rate_ratio":
        r1, r2 = d1["count"].sum() / d1["exposure"].sum(), d2["count"].sum() / d2["exposure"].sum()
        est = r1 / r2 if r2 > 0 else np.inf if r1 > 0 else np.nan
        # Cluster-robust (sandwich / ratio-estimator) variance of each log rate, dialogues as clusters:
        # var(log r) = G/(G-1) * sum_i (c_i - r e_i)^2 / C^2; the same as a Poisson GEE with robust SE.
        var = 0.0
        for d, r in ((d1, r1), (d2, r2)):
            g, c = len(d), d["count"].sum()
            var += g / (g - 1) * np.sum((d["count"] - r * d["exposure"]) ** 2) / c**2 if c > 0 else np.inf
        z = stats.norm.ppf(1 - (1 - ci) / 2)
        se = np.sqrt(var)
        if np.isfinite(se) and 0 < est < np.inf:
            lo, hi = est * np.exp(-z * se), est * np.exp(z * se)
        else:
            lo = hi = np.nan
        return {"mean1": r1, "mean2": r2, "estimate": est, "ci_low": lo, "ci_high": hi, "_se_log": se}
    v1, v2 = d1["value"].to_numpy(), d2["value"].to_numpy()
    if effect == "hedges_g":
        res = effects.hedges_g(v1, v2, ci=ci).iloc[0]
    else:
        res = effects.cliffs_delta(v1, v2, ci=ci).iloc[0]
    return {"mean1": v1.mean(), "mean2": v2.mean(), "estimate": res["estimate"],
            "ci_low": res["ci_low"], "ci_high": res["ci_high"]}


def _boot(effect: str, d1, d2, n_resamples: int, seed: int) -> np.ndarray:
    """Effect (log scale for rate ratios) in stratified dialogue resamples."""
    rng = np.random.default_rng(seed)
    out = []
    if effect == "cliffs_delta":
        dom = np.sign(d1["value"].to_numpy()[:, None] - d2["value"].to_numpy()[None, :])
    for start in range(0, n_resamples, _CHUNK):
        b = min(_CHUNK, n_resamples - start)
        w1, w2 = bootstrap_weights(len(d1), b, rng), bootstrap_weights(len(d2), b, rng)
        if effect == "hedges_g":
            out.append(_hedges_from_weights(w1, w2, d1["value"].to_numpy(), d2["value"].to_numpy()))
        elif effect == "cliffs_delta":
            out.append(np.sum((w1 @ dom) * w2, axis=1) / (len(d1) * len(d2)))
        else:
            out.append(_log_rr_from_weights(w1, w2, d1["count"].to_numpy(), d1["exposure"].to_numpy(),
                                            d2["count"].to_numpy(), d2["exposure"].to_numpy()))
    return np.concatenate(out)


def _perm(effect: str, d1, d2, n_permutations: int, seed: int) -> tuple[np.ndarray, float, bool]:
    """Effect (log scale for rate ratios) over relabellings of dialogues, and the observed value."""
    both = pd.concat([d1, d2], ignore_index=True)
    n, n1 = len(both), len(d1)
    masks, exact = permutation_masks(n, n1, n_permutations, np.random.default_rng(seed))
    is1 = np.arange(n) < n1
    out = []
    for start in range(0, len(masks), _CHUNK):
        m = masks[start : start + _CHUNK].astype(float)
        if effect == "hedges_g":
            v = both["value"].to_numpy()
            out.append(_hedges_from_weights(m, 1 - m, v, v))
        elif effect == "cliffs_delta":
            # Ranks do not change under relabelling: delta = 2 U1 / (n1 n2) - 1 with U1 from midranks.
            r = stats.rankdata(both["value"].to_numpy())
            u1 = m @ r - n1 * (n1 + 1) / 2
            out.append(2 * u1 / (n1 * (n - n1)) - 1)
        else:
            c, e = both["count"].to_numpy(), both["exposure"].to_numpy()
            out.append(_log_rr_from_weights(m, 1 - m, c, e, c, e))
    null = np.concatenate(out)
    obs_mask = is1[None, :].astype(float)
    if effect == "hedges_g":
        v = both["value"].to_numpy()
        observed = float(_hedges_from_weights(obs_mask, 1 - obs_mask, v, v)[0])
    elif effect == "cliffs_delta":
        r = stats.rankdata(both["value"].to_numpy())
        observed = float(2 * (r[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * (n - n1)) - 1)
    else:
        c, e = both["count"].to_numpy(), both["exposure"].to_numpy()
        observed = float(_log_rr_from_weights(obs_mask, 1 - obs_mask, c, e, c, e)[0])
    return null, observed, exact


def compare_groups(
    df: pd.DataFrame,
    features: str | Sequence[str],
    group: str,
    *,
    cluster: str = "dialogue_id",
    groups: tuple[Hashable, Hashable] | None = None,
    method: Literal["cluster_bootstrap", "permutation", "mannwhitney", "welch"] = "cluster_bootstrap",
    effect: Literal["hedges_g", "cliffs_delta", "rate_ratio"] = "hedges_g",
    exposure: str | None = None,
    adjust: Sequence[str] = ("fdr_bh", "holm"),
    ci: float = 0.95,
    n_resamples: int = 2000,
    n_permutations: int = 9999,
    seed: int = 0,
    errors: Literal["nan", "raise"] = "nan",
) -> pd.DataFrame:
    """Compare two groups of dialogues on each feature; one tidy row per feature.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per utterance (or per dialogue), with ``group``, ``cluster`` and the
        numeric ``features`` (e.g. 0/1 indicators or counts of apologies per utterance).
        Missing feature values are excluded for that feature only; the ``n_`` columns count what
        was used.
    features : str or list of str
        Feature columns to compare.
    group : str
        Column with the groups (e.g. ``"lang"``); constant within each dialogue.
    cluster : str
        Dialogue identifier: the unit of analysis.
    groups : tuple, optional
        ``(group1, group2)``: their order (estimates are group1 vs group2) and, for a column with
        more levels, which two to compare. Default: the two sorted levels.
    method : {"cluster_bootstrap", "permutation", "mannwhitney", "welch"}
        How ``p`` (and ``statistic``) are obtained, always over dialogues:

        - ``"cluster_bootstrap"``: dialogues resampled within each group (``n_resamples``);
          percentile interval; ``statistic`` = estimate / bootstrap SE (log scale for rate ratios);
          ``p`` = 2 (min(#{θ* ≤ θ0}, #{θ* ≥ θ0}) + 1) / (B + 1), capped at 1: the percentile
          interval inverted at the null θ0 (0; log rate ratio 0). Its resolution is 2 / (B + 1).
        - ``"permutation"``: group labels permuted between dialogues; ``statistic`` = the effect
          (log rate ratio); two-sided p, exact when all relabellings fit in ``n_permutations``.
        - ``"mannwhitney"`` / ``"welch"``: two-sided Mann-Whitney U / Welch t test of the
          dialogue-level values (dialogue rates count/exposure for ``rate_ratio``).

        For the last three the interval is analytic at dialogue level (below).
    effect : {"hedges_g", "cliffs_delta", "rate_ratio"}
        ``"hedges_g"`` / ``"cliffs_delta"`` of the dialogue means (``mean1``/``mean2``: mean of the
        dialogue means; analytic interval from :func:`~omotenashi_research.stats.effects.hedges_g` /
        :func:`~omotenashi_research.stats.effects.cliffs_delta`). ``"rate_ratio"``: the feature is
        a count, the rate is Σ count / Σ exposure per group (``mean1``/``mean2``), and the analytic
        interval uses the cluster-robust (sandwich) SE of the log rates, which allows for
        overdispersion between dialogues.
    exposure : str, optional
        Rate ratios: exposure column (e.g. tokens per utterance); default 1 per utterance.
    adjust : str or sequence of str
        Multiple-testing adjustments across features (:func:`~omotenashi_research.stats.multitest.p_adjust`;
        statsmodels names, or R's ``"BH"``, ``"BY"``, ``"hochberg"``); each adds a column
        ``p_<statsmodels name>`` (``"BH"`` -> ``p_fdr_bh``). Unknown names are refused before any
        resampling. Features with a NaN ``p`` are not counted.
    ci : float
        Confidence level.
    n_resamples, n_permutations : int
        Bootstrap resamples / permutations.
    seed : int
        Seed; each feature uses a fresh generator from it, so a feature's result does not depend
        on the other features listed.
    errors : {"nan", "raise"}
        A feature that cannot be compared (non-numeric, constant, < 2 dialogues with data in a
        group, negative counts, a dialogue with zero exposure): ``"nan"`` (default) gives it a row
        of NaN with the reason in ``note`` and warns once, keeping the other features;
        ``"raise"`` raises the ValueError.

    Returns
    -------
    pandas.DataFrame
        One row per feature: ``feature, group1, group2, effect, mean1, mean2, estimate, ci_low,
        ci_high, method, statistic, p``, one ``p_<adjust>`` column per adjustment,
        ``n_dialogues1, n_dialogues2, n_utterances1, n_utterances2`` (nullable integers) and
        ``note`` (None, or why the row is NaN / incomplete). A rate ratio with a group that has no
        events is reported as 0 or inf with a NaN interval (and a NaN bootstrap p) and a note; its
        permutation and dialogue-level test p-values remain valid.

    Raises
    ------
    ValueError
        A group varying within a dialogue, not exactly two groups, a bad exposure column, an
        unknown ``adjust`` method; with ``errors="raise"`` also any per-feature problem.
    KeyError
        A missing column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omotenashi_research.stats.compare import compare_groups
    >>> rng = np.random.default_rng(0)
    >>> d = np.repeat(np.arange(40), 6)
    >>> df = pd.DataFrame({"dialogue_id": d, "lang": np.where(d < 20, "ja", "en"),
    ...                    "apology": rng.binomial(1, np.where(d < 20, 0.3, 0.1))})
    >>> res = compare_groups(df, ["apology"], "lang", groups=("ja", "en"), effect="rate_ratio",
    ...                      n_resamples=500)
    >>> res[["estimate", "ci_low", "ci_high"]].round(2).iloc[0].tolist()
    [3.0, 1.91, 4.55]
    """
    what = "compare_groups"
    features = [features] if isinstance(features, str) else list(features)
    if not features:
        raise ValueError(f"{what}: no features given")
    if not (isinstance(ci, (float, int)) and 0 < ci < 1):
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1, got {ci!r}")
    if method not in ("cluster_bootstrap", "permutation", "mannwhitney", "welch"):
        raise ValueError(f"{what}: unknown method {method!r}")
    if effect not in ("hedges_g", "cliffs_delta", "rate_ratio"):
        raise ValueError(f"{what}: unknown effect {effect!r}")
    if errors not in ("nan", "raise"):
        raise ValueError(f"{what}: errors must be 'nan' or 'raise', got {errors!r}")
    # Resolve the adjustment names now: an unknown one must not surface after minutes of resampling.
    adjust_methods = list(dict.fromkeys(resolve_adjust_method(m) for m in ([adjust] if isinstance(adjust, str)
                                                                           else adjust)))
    if exposure is not None and effect != "rate_ratio":
        raise ValueError(f"{what}: exposure is only used with effect='rate_ratio'")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    needed = [group, cluster, *features] + ([exposure] if exposure else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: column(s) {missing} not in the table (columns: {list(df.columns)})")
    for c in (group, cluster):
        if df[c].isna().any():
            rows = df.index[df[c].isna()][:5].tolist()
            raise ValueError(f"{what}: column {c!r} has missing values at rows {rows}")

    if groups is None:
        levels = sorted(pd.unique(df[group]).tolist())
        if len(levels) != 2:
            raise ValueError(
                f"{what}: {group!r} must have exactly 2 levels, got {levels[:10]}; pass groups=(a, b)"
            )
        groups = (levels[0], levels[1])
    elif len(groups) != 2 or not all((df[group] == g).any() for g in groups):
        raise ValueError(f"{what}: groups={groups!r} must be two levels present in {group!r}")
    g1, g2 = groups
    df = df[df[group].isin(groups)]
    _constant_within(df, group, cluster, what)

    exp_all = _numeric(df, exposure) if exposure else pd.Series(1.0, index=df.index)
    if exposure:
        bad = exp_all.isna() | (exp_all < 0)
        if bad.any():
            raise ValueError(f"{what}: exposure {exposure!r} must be >= 0 and present; bad rows "
                             f"{df.index[bad][:5].tolist()}")

    rows = []
    failed = []
    for feature in features:
        try:
            rows.append(_compare_feature(df, feature, cluster, group, g1, g2, exp_all, method=method,
                                         effect=effect, ci=ci, n_resamples=int(n_resamples),
                                         n_permutations=int(n_permutations), seed=seed))
        except ValueError as exc:
            if errors == "raise":
                raise
            failed.append(feature)
            rows.append({"feature": feature, "group1": g1, "group2": g2, "effect": effect, "method": method,
                         "note": str(exc)})
    if failed:
        warnings.warn(f"{what}: {len(failed)} feature(s) could not be compared and have NaN rows (see the "
                      f"'note' column): {failed[:10]}", RuntimeWarning, stacklevel=2)
    out = pd.DataFrame(rows).reindex(columns=[*COMPARE_COLUMNS, *_N_COLUMNS, "note"])
    for c in _N_COLUMNS:
        out[c] = out[c].astype("Int64")
    out["note"] = out["note"].astype(object).where(out["note"].notna(), None)
    for m in adjust_methods:
        out[f"p_{m}"] = p_adjust(out["p"].astype(float), m).to_numpy()
    return out[[*COMPARE_COLUMNS, *[f"p_{m}" for m in adjust_methods], *_N_COLUMNS, "note"]]


def _quantile_with_inf(values: np.ndarray, probs: list[float]) -> np.ndarray:
    """Percentiles that keep +-inf draws (a resample with no events has log rate 0 = -inf).

    Dropping them would bias the interval towards the centre; np.quantile interpolates inf - inf to
    NaN, so the order statistics are taken on a clamped copy and mapped back.
    """
    big = np.finfo(float).max / 4
    q = np.quantile(np.clip(values, -big, big), probs)
    return np.where(q >= big, np.inf, np.where(q <= -big, -np.inf, q))


def _compare_feature(df: pd.DataFrame, feature: str, cluster: str, group: str, g1, g2, exp_all: pd.Series, *,
                     method: str, effect: str, ci: float, n_resamples: int, n_permutations: int,
                     seed: int) -> dict:
    """One row of :func:`compare_groups`; a ValueError says why this feature cannot be compared."""
    what = "compare_groups"
    values = _numeric(df, feature)
    keep = values.notna()
    sub = pd.DataFrame({"cluster": df.loc[keep, cluster], "group": df.loc[keep, group],
                        "y": values[keep], "e": exp_all[keep]})
    agg = sub.groupby("cluster", sort=True).agg(
        group=("group", "first"), value=("y", "mean"), count=("y", "sum"), exposure=("e", "sum"),
        n=("y", "size"),
    )
    if effect == "rate_ratio":
        if (sub["y"] < 0).any():
            raise ValueError(f"{what}: rate ratios need counts >= 0; feature {feature!r} has negatives")
        zero = agg.index[agg["exposure"] <= 0]
        if len(zero):
            raise ValueError(f"{what}: feature {feature!r}: dialogues {zero[:5].tolist()} have zero "
                             f"exposure; remove them or choose another exposure")
    d1, d2 = agg[agg["group"] == g1], agg[agg["group"] == g2]
    for g, d in ((g1, d1), (g2, d2)):
        if len(d) < 2:
            raise ValueError(f"{what}: feature {feature!r}: group {g!r} has {len(d)} dialogue(s) "
                             "with data; need at least 2")
    try:
        res = _point(effect, d1, d2, ci)
    except ValueError as exc:  # e.g. every dialogue has the same mean: name the feature
        raise ValueError(f"{what}: feature {feature!r}: {exc}") from None
    se_log = res.pop("_se_log", None)
    note = None
    if effect == "rate_ratio":
        empty = [g for g, d in ((g1, d1), (g2, d2)) if d["count"].sum() == 0]
        if len(empty) == 2:
            raise ValueError(f"{what}: feature {feature!r}: no events in either group; the rate ratio is "
                             "undefined")
        if empty:
            note = (f"group {empty[0]!r} has no events: the rate ratio is {res['estimate']:g} and has no "
                    "interval on the log scale; stats.effects.rate_ratio gives an exact Poisson interval "
                    "(ignoring clustering)")
    null_value = 0.0
    with np.errstate(divide="ignore"):
        est_stat = np.log(res["estimate"]) if effect == "rate_ratio" else res["estimate"]
    label = method
    statistic, p = np.nan, np.nan
    if method == "cluster_bootstrap":
        boot = _boot(effect, d1, d2, n_resamples, seed)
        defined = boot[~np.isnan(boot)]
        n_bad = boot.size - defined.size
        label = f"cluster bootstrap ({defined.size} resamples"
        label += f", {n_bad} undefined)" if n_bad else ")"
        if np.isfinite(est_stat) and defined.size >= 2:
            alpha = 1 - ci
            lo, hi = _quantile_with_inf(defined, [alpha / 2, 1 - alpha / 2])
            if effect == "rate_ratio":
                lo, hi = np.exp(lo), np.exp(hi)
            res["ci_low"], res["ci_high"] = float(lo), float(hi)
            finite = defined[np.isfinite(defined)]
            se = finite.std(ddof=1) if finite.size >= 2 else np.nan
            statistic = est_stat / se if se > 0 else np.nan
            tail = min(np.sum(defined <= null_value), np.sum(defined >= null_value))
            p = min(1.0, 2 * (tail + 1) / (defined.size + 1))
        else:
            res["ci_low"] = res["ci_high"] = np.nan
    elif method == "permutation":
        null, statistic, exact = _perm(effect, d1, d2, n_permutations, seed)
        p = permutation_p(null, statistic, "two-sided", exact)
        label = "cluster permutation" + (" (exact)" if exact else f" ({null.size} random)")
        n_bad = int(np.isnan(null).sum())
        label += f", {n_bad} undefined" if n_bad else ""
    else:
        key = "value" if effect != "rate_ratio" else None
        v1 = d1[key] if key else d1["count"] / d1["exposure"]
        v2 = d2[key] if key else d2["count"] / d2["exposure"]
        if method == "welch":
            t = stats.ttest_ind(v1, v2, equal_var=False)
            label = "Welch t on dialogue values"
        else:
            t = stats.mannwhitneyu(v1, v2, alternative="two-sided")
            label = "Mann-Whitney U on dialogue values"
        statistic, p = float(t.statistic), float(t.pvalue)
    if effect == "rate_ratio" and method != "cluster_bootstrap" and se_log is not None:
        label += "; CI cluster-robust Wald"
    return {
        "feature": feature, "group1": g1, "group2": g2, "effect": effect, **res, "method": label,
        "statistic": float(statistic), "p": float(p),
        "n_dialogues1": len(d1), "n_dialogues2": len(d2),
        "n_utterances1": int(d1["n"].sum()), "n_utterances2": int(d2["n"].sum()), "note": note,
    }
