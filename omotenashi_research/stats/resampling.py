"""Resampling that respects nesting: whole dialogues are resampled or relabelled, never single utterances.

Utterances of one dialogue share a speaker, a task and a style, so they are not independent.
Resampling them one by one understates the uncertainty; these functions draw, or permute group
labels over, whole clusters (``dialogue_id`` by default).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "bootstrap_weights",
    "check_clusters_per_group",
    "cluster_bootstrap",
    "permutation_masks",
    "permutation_p",
    "permutation_test",
]

Statistic = Callable[[pd.DataFrame], "float | pd.Series | dict"]


def _require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: column(s) {missing} not in the table (columns: {list(df.columns)})")
    for c in columns:
        if df[c].isna().any():
            rows = df.index[df[c].isna()][:5].tolist()
            raise ValueError(f"{what}: column {c!r} has missing values at rows {rows}")


def _constant_within(df: pd.DataFrame, column: str, cluster: str, what: str) -> pd.Series:
    """The value of ``column`` per cluster; error naming the clusters where it is not constant."""
    n = df.groupby(cluster, sort=False)[column].nunique()
    bad = n[n > 1]
    if len(bad):
        raise ValueError(
            f"{what}: {column!r} must be constant within each {cluster!r}, but {len(bad)} cluster(s) mix "
            f"values, e.g. {bad.index[:5].tolist()}; permute or stratify at the level where it varies"
        )
    return df.groupby(cluster, sort=False)[column].first()


def check_clusters_per_group(
    groups: Sequence | np.ndarray | pd.Series,
    clusters: Sequence | np.ndarray | pd.Series,
    what: str,
    *,
    label: str = "group",
    cluster_name: str = "cluster",
    min_clusters: int = 2,
) -> None:
    """Refuse a comparison in which a group's rows come from fewer than ``min_clusters`` clusters.

    With one dialogue in a group, cluster-robust SEs, stratified cluster bootstraps and GEE all
    treat that dialogue's idiosyncrasy as a fixed fact: the interval for the group contrast is
    confidently wrong. Shared by the models (``cluster=`` / ``groups=``) and the resamplers.

    Parameters
    ----------
    groups, clusters : array-like
        Row-level group value (e.g. a 0/1 design column, ``lang``) and cluster id (dialogue).
    what : str
        Caller's name, for the message.
    label, cluster_name : str
        How to call the grouping and the clusters in the message.
    min_clusters : int

    Raises
    ------
    ValueError
        Naming the group(s) with too few clusters and those clusters.

    Examples
    --------
    >>> check_clusters_per_group(["a", "a", "b", "b"], [1, 2, 3, 4], "demo")
    >>> check_clusters_per_group(["a", "a", "b", "b"], [1, 2, 3, 3], "demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: demo: group value 'b' occurs in only 1 cluster(s) of 'cluster' ([3]); need >= 2 ...
    """
    n = pd.Series(np.asarray(clusters)).groupby(np.asarray(groups), sort=True).agg(["nunique", "unique"])
    bad = n[n["nunique"] < min_clusters]
    if len(bad):
        g = bad.index[0]
        shown = [v.item() if isinstance(v, np.generic) else v for v in list(bad.loc[g, "unique"])[:5]]
        gv = g.item() if isinstance(g, np.generic) else g
        raise ValueError(
            f"{what}: {label} value {gv!r} occurs in only {int(bad.loc[g, 'nunique'])} cluster(s) of "
            f"{cluster_name!r} ({shown}); need >= {min_clusters} clusters per group for a clustered "
            "SE / resample of the contrast to mean anything")


def _as_series(value, what: str) -> pd.Series:
    if isinstance(value, pd.Series):
        out = value.astype(float)
    elif isinstance(value, dict):
        out = pd.Series(value, dtype=float)
    else:
        try:
            out = pd.Series({"statistic": float(value)})
        except (TypeError, ValueError):
            raise TypeError(
                f"{what}: the statistic must return a number, a dict or a pandas Series of numbers, "
                f"got {type(value).__name__}"
            ) from None
    return out


def bootstrap_weights(n: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicities (n_resamples x n) of n units drawn with replacement, n per resample."""
    idx = rng.integers(0, n, size=(n_resamples, n))
    flat = idx + n * np.arange(n_resamples)[:, None]
    return np.bincount(flat.ravel(), minlength=n * n_resamples).reshape(n_resamples, n).astype(float)


def permutation_masks(
    n: int, n1: int, n_permutations: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Group-1 masks (rows) of relabellings of n units, n1 of them in group 1.

    All C(n, n1) relabellings when there are at most ``n_permutations`` of them (``exact`` True),
    otherwise ``n_permutations`` random ones.
    """
    total = math.comb(n, n1)
    if total <= n_permutations:
        masks = np.zeros((total, n), dtype=bool)
        for row, chosen in enumerate(itertools.combinations(range(n), n1)):
            masks[row, list(chosen)] = True
        return masks, True
    base = np.zeros(n, dtype=bool)
    base[:n1] = True
    return np.array([rng.permutation(base) for _ in range(n_permutations)]), False


def permutation_p(null: np.ndarray, observed: float, alternative: str, exact: bool) -> float:
    """Exact p = hits / total, random p = (1 + hits) / (1 + B) (Phipson & Smyth 2010).

    Infinite values are kept (a relabelling that leaves a group without events has log rate
    ratio -inf: as extreme as it gets), NaN ones (undefined statistic) are left out. An undefined
    observed statistic gives NaN. With the observed relabelling among the exact ones, p >= 1/total.
    """
    null = np.asarray(null, dtype=float)
    null = null[~np.isnan(null)]
    if np.isnan(observed) or null.size == 0:
        return float("nan")
    # Relative tolerance: relabellings tying the observed value must count as "as extreme".
    tol = 1e-9 * max(1.0, abs(observed)) if np.isfinite(observed) else 0.0
    if alternative == "two-sided":
        hits = np.sum(np.abs(null) >= abs(observed) - tol)
    elif alternative == "greater":
        hits = np.sum(null >= observed - tol)
    elif alternative == "less":
        hits = np.sum(null <= observed + tol)
    else:
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    return float(hits / null.size if exact else (1 + hits) / (1 + null.size))


def _check_ci(ci: float) -> float:
    if not (isinstance(ci, (float, int)) and 0 < ci < 1):
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1, got {ci!r}")
    return float(ci)


def cluster_bootstrap(
    df: pd.DataFrame,
    statistic: Statistic,
    *,
    cluster: str = "dialogue_id",
    strata: str | None = None,
    n_resamples: int = 2000,
    ci: float = 0.95,
    method: Literal["percentile", "bca"] = "percentile",
    seed: int | np.random.Generator | None = 0,
    return_distribution: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Bootstrap a statistic by resampling whole clusters (dialogues) with replacement.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per observation (utterance), with a ``cluster`` column.
    statistic : callable
        ``statistic(sample) -> float | dict | Series``; ``sample`` has the columns of ``df``. In
        each resample the cluster column holds fresh integer labels (the draw number) so that a
        dialogue drawn twice counts as two dialogues when the statistic groups by it.
    cluster : str
        Column identifying the clusters.
    strata : str, optional
        Column constant within clusters (e.g. the comparison group): clusters are drawn within each
        stratum, keeping the number of dialogues per group fixed (use it for group comparisons).
    n_resamples : int
        Number of bootstrap resamples.
    ci : float
        Confidence level.
    method : {"percentile", "bca"}
        Percentile interval, or bias-corrected and accelerated (Efron 1987) with the acceleration
        from a leave-one-cluster-out jackknife.
    seed : int or numpy.random.Generator, optional
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same result.
    return_distribution : bool
        Also return the resampled statistics (one column per term, one row per resample).

    Returns
    -------
    pandas.DataFrame
        One row per term of the statistic (``term`` is ``"statistic"`` for a scalar) with
        ``estimate`` (on the full data), ``se`` (SD of the resampled values), ``ci_low``, ``ci_high``,
        ``n_clusters``, ``n_resamples``, ``n_invalid`` (resamples where the statistic was not finite;
        they are left out of the interval and a warning says how many), ``method``.

    Raises
    ------
    ValueError
        With fewer than 2 clusters, missing cluster labels, strata varying within a cluster, or a
        stratum made of a single cluster (it would be redrawn identically every time, adding no
        variance: the interval would be confidently wrong).

    Notes
    -----
    ``statistic`` runs ``n_resamples`` times on a row subset; when it only needs one value per
    dialogue, pass a one-row-per-dialogue table (resampling its rows is resampling dialogues)
    — much faster. :func:`~omotenashi_research.stats.compare.compare_groups` does this, vectorised.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omotenashi_research.stats.resampling import cluster_bootstrap
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"dialogue_id": np.repeat([f"d{i}" for i in range(30)], 5),
    ...                    "y": rng.normal(size=150)})
    >>> res = cluster_bootstrap(df, lambda s: s["y"].mean(), n_resamples=500, seed=3)
    >>> res[["estimate", "se", "ci_low", "ci_high"]].round(3).iloc[0].tolist()
    [-0.081, 0.059, -0.2, 0.036]
    """
    ci = _check_ci(ci)
    what = "cluster_bootstrap"
    _require_columns(df, [cluster] + ([strata] if strata else []), what)
    if method not in ("percentile", "bca"):
        raise ValueError(f"method must be 'percentile' or 'bca', got {method!r}")
    if int(n_resamples) < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    rng = np.random.default_rng(seed)

    codes, uniques = pd.factorize(df[cluster], sort=True)
    n_clusters = len(uniques)
    if n_clusters < 2:
        raise ValueError(f"{what}: need at least 2 clusters in {cluster!r}, got {n_clusters}")
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(n_clusters + 1))
    rows_of = [order[starts[k] : starts[k + 1]] for k in range(n_clusters)]
    if strata:
        stratum = _constant_within(df, strata, cluster, what).reindex(uniques)
        # A stratum of one dialogue is redrawn identically every time: its variance would be 0.
        check_clusters_per_group(stratum.to_numpy(), np.asarray(uniques), what, label=f"stratum {strata!r}",
                                 cluster_name=cluster)
        pools = [np.flatnonzero((stratum == s).to_numpy()) for s in pd.unique(stratum)]
    else:
        pools = [np.arange(n_clusters)]

    def evaluate(cluster_draw: np.ndarray) -> pd.Series:
        idx = np.concatenate([rows_of[k] for k in cluster_draw])
        sample = df.iloc[idx].copy()
        sizes = [len(rows_of[k]) for k in cluster_draw]
        sample[cluster] = np.repeat(np.arange(len(cluster_draw)), sizes)
        return _as_series(statistic(sample), what)

    estimate = _as_series(statistic(df), what)
    draws = []
    for _ in range(int(n_resamples)):
        draw = np.concatenate([rng.choice(pool, size=len(pool), replace=True) for pool in pools])
        draws.append(evaluate(draw).reindex(estimate.index))
    dist = pd.DataFrame(draws, columns=estimate.index).reset_index(drop=True)
    alpha = 1 - ci

    jack_cache: dict[str, np.ndarray] = {}

    def _jackknife(term: str) -> np.ndarray:  # leave-one-cluster-out values, computed once
        if "values" not in jack_cache:
            out = []
            for k in range(n_clusters):
                keep = np.delete(np.arange(n_clusters), k)
                out.append(_as_series(statistic(df.iloc[np.concatenate([rows_of[i] for i in keep])]), what))
            jack_cache["values"] = pd.DataFrame(out)
        return jack_cache["values"][term].to_numpy(dtype=float)

    rows = []
    for term in estimate.index:
        values = dist[term].to_numpy(dtype=float)
        finite = np.isfinite(values)
        n_invalid = int((~finite).sum())
        if n_invalid:
            warnings.warn(
                f"{what}: the statistic {term!r} was not finite in {n_invalid} of {len(values)} resamples; "
                "they are left out of the interval (see n_invalid)",
                RuntimeWarning,
                stacklevel=2,
            )
        v = values[finite]
        est = float(estimate[term])
        if v.size < 2:
            lo = hi = se = np.nan
        elif method == "percentile":
            lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
            se = v.std(ddof=1)
        else:
            lo, hi = _bca(v, est, _jackknife(term), alpha)
            se = v.std(ddof=1)
        rows.append(
            {"term": term, "estimate": est, "se": float(se), "ci_low": float(lo), "ci_high": float(hi),
             "n_clusters": n_clusters, "n_resamples": int(n_resamples), "n_invalid": n_invalid,
             "method": f"cluster bootstrap ({method})"}
        )

    result = pd.DataFrame(rows)
    if return_distribution:
        return result, dist
    return result


def _bca(values: np.ndarray, estimate: float, jack: np.ndarray, alpha: float) -> tuple[float, float]:
    """BCa limits (Efron & Tibshirani 1993, ch. 14) from bootstrap values and jackknife values."""
    prop = (np.sum(values < estimate) + 0.5 * np.sum(values == estimate)) / values.size
    prop = np.clip(prop, 1 / (values.size + 1), values.size / (values.size + 1))
    z0 = stats.norm.ppf(prop)
    jack = jack[np.isfinite(jack)]
    diff = jack.mean() - jack
    denom = 6 * (np.sum(diff**2) ** 1.5)
    a = np.sum(diff**3) / denom if denom > 0 else 0.0
    z = stats.norm.ppf([alpha / 2, 1 - alpha / 2])
    adj = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    lo, hi = np.quantile(values, adj)
    return float(lo), float(hi)


def permutation_test(
    df: pd.DataFrame,
    statistic: str | Statistic,
    *,
    group: str,
    cluster: str = "dialogue_id",
    groups: tuple[Hashable, Hashable] | None = None,
    n_permutations: int = 9999,
    alternative: Literal["two-sided", "greater", "less"] = "two-sided",
    seed: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Permutation test of a group difference, permuting group labels between whole clusters.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table (one row per utterance) with ``group`` and ``cluster`` columns.
    statistic : str or callable
        A value column: the statistic is then mean(cluster means of group 1) - mean(cluster
        means of group 2), each dialogue weighing equally. Or ``statistic(sample) -> float``,
        called with a copy of ``df`` whose ``group`` column is permuted; it should be 0 in
        expectation under the null for a two-sided test (e.g. a difference).
    group : str
        Column with the two groups; must be constant within each cluster.
    cluster : str
        Column identifying the clusters (the exchangeable units).
    groups : tuple, optional
        ``(group1, group2)`` to fix the order (and pick two levels of a column with more); by
        default the two sorted levels.
    n_permutations : int
        Random relabellings. When the number of distinct relabellings C(n, n1) is at most this,
        all of them are enumerated and the p-value is exact.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: group 1 larger than group 2.
    seed : int or numpy.random.Generator, optional
        Seed; the same seed gives the same result.

    Returns
    -------
    pandas.DataFrame
        One row: ``group1``, ``group2``, ``statistic``, ``p``, ``alternative``, ``n_permutations``
        (relabellings evaluated), ``exact``, ``n_clusters1``, ``n_clusters2``, ``method``.

    Notes
    -----
    Exact p = #{T* ≥ T} / C(n, n1) over all relabellings (the observed one included); random
    p = (1 + #{T* ≥ T}) / (1 + B) (Phipson & Smyth 2010), never 0. Two-sided compares |T|.
    Infinite statistics (e.g. a log ratio with an empty group) count as the most extreme values;
    only undefined (NaN) ones are left out, with a warning.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.stats.resampling import permutation_test
    >>> df = pd.DataFrame({"dialogue_id": ["a", "b", "c", "d", "e", "f"],
    ...                    "lang": ["ja"] * 3 + ["en"] * 3, "y": [4, 5, 6, 1, 2, 3]})
    >>> res = permutation_test(df, "y", group="lang", groups=("ja", "en"), alternative="greater")
    >>> float(res["p"].iloc[0]), bool(res["exact"].iloc[0])  # 1 of C(6, 3) = 20 relabellings
    (0.05, True)
    """
    what = "permutation_test"
    value_col = statistic if isinstance(statistic, str) else None
    _require_columns(df, [group, cluster] + ([value_col] if value_col else []), what)
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    if groups is None:
        levels = sorted(pd.unique(df[group]).tolist())
        if len(levels) != 2:
            raise ValueError(
                f"{what}: {group!r} must have exactly 2 levels, got {len(levels)}: {levels[:10]}; "
                "pass groups=(a, b)"
            )
        groups = (levels[0], levels[1])
    else:
        absent = [g for g in groups if not (df[group] == g).any()]
        if len(groups) != 2 or absent:
            raise ValueError(f"{what}: groups must be two levels of {group!r}; not found: {absent}")
        df = df[df[group].isin(groups)]
    g1, g2 = groups
    cluster_group = _constant_within(df, group, cluster, what)
    is1 = (cluster_group == g1).to_numpy()
    n_cl, n1 = is1.size, int(is1.sum())
    if n1 == 0 or n1 == n_cl:
        raise ValueError(f"{what}: both groups need at least one cluster")

    if value_col is not None:
        means = pd.to_numeric(df[value_col], errors="coerce")
        if means.isna().any():
            bad = df.index[means.isna()][:5].tolist()
            raise ValueError(f"{what}: column {value_col!r} is missing or not numeric at rows {bad}")
        cm = means.groupby(df[cluster], sort=False).mean().reindex(cluster_group.index).to_numpy()

        def stat_of(mask: np.ndarray) -> float:
            return float(cm[mask].mean() - cm[~mask].mean())
    else:
        cluster_ids = cluster_group.index
        row_cluster = df[cluster].to_numpy()

        def stat_of(mask: np.ndarray) -> float:
            labels = pd.Series(np.where(mask, g1, g2), index=cluster_ids)
            permuted = df.copy()
            permuted[group] = labels.reindex(row_cluster).to_numpy()
            return float(statistic(permuted))

    observed = stat_of(is1)
    masks, exact = permutation_masks(n_cl, n1, int(n_permutations), np.random.default_rng(seed))
    null = np.array([stat_of(m) for m in masks], dtype=float)
    n_bad = int(np.isnan(null).sum())
    if n_bad:
        warnings.warn(f"{what}: the statistic was undefined (NaN) in {n_bad} of {null.size} relabellings; "
                      "they are left out of the p-value", RuntimeWarning, stacklevel=2)
    p = permutation_p(null, observed, alternative, exact)
    return pd.DataFrame([{
        "group1": g1, "group2": g2, "statistic": observed, "p": float(p), "alternative": alternative,
        "n_permutations": int(null.size), "exact": bool(exact), "n_clusters1": n1,
        "n_clusters2": n_cl - n1,
        "method": "cluster permutation" + (" (exact)" if exact else f" ({null.size} random)"),
    }])
