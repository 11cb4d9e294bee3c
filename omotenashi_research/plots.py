"""Publication figures for the group comparisons and models (matplotlib, deterministic).

Every function draws on ``ax`` (a new figure when omitted), returns the Axes, takes tidy
DataFrames, and does not change global matplotlib state, so figures are identical run to run.

The one deliberate exception is :func:`use_japanese_font`: matplotlib's default font (DejaVu Sans) has
no Japanese glyphs, so Japanese titles, tick and legend labels draw as empty boxes (with a "Glyph ...
missing from font(s)" warning). Call it once at the top of a notebook or script that puts Japanese
text in figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "JAPANESE_FONT",
    "forest_plot",
    "predicted_probabilities",
    "rate_comparison",
    "satisfaction_trajectory",
    "trajectory_summary",
    "use_japanese_font",
]

#: The Japanese font shipped by matplotlib-fontja (IPAex Gothic, IPA Font License).
JAPANESE_FONT = "IPAexGothic"

# Okabe-Ito: distinguishable in colour-blind vision and in greyscale print.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
                            "#000000")
_RATIO_EFFECTS = {"rate_ratio", "odds_ratio"}


def use_japanese_font(*, base: str = "sans-serif") -> str:
    """Make matplotlib draw Japanese text: register IPAex Gothic and use it as the fallback font.

    Sets ``rcParams["font.family"]`` to ``[base, "IPAexGothic"]``: Latin text keeps the ``base`` family
    (DejaVu Sans by default, so English figures look as before) and every glyph it lacks (kana, kanji)
    is drawn in IPAex Gothic (matplotlib's per-glyph font fallback). The font comes with the
    ``matplotlib-fontja`` package (installed with the project), so this works offline. Idempotent:
    calling it again changes nothing. It changes global matplotlib state, for every later figure.

    Parameters
    ----------
    base : str
        Font family (or generic family such as ``"serif"``) for non-Japanese text.

    Returns
    -------
    str
        The Japanese font family name, ``"IPAexGothic"``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> use_japanese_font()
    'IPAexGothic'
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("顧客満足度と敬語")  # drawn without "Glyph ... missing" warnings
    >>> plt.close(fig)
    """
    # importing matplotlib_fontja registers the font and sets font.family to it alone (a side effect
    # overridden below, so that Latin text keeps the base family)
    import matplotlib
    import matplotlib_fontja
    from matplotlib import font_manager

    if not any(f.name == JAPANESE_FONT for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(matplotlib_fontja.get_font_ttf_path())
    matplotlib.rcParams["font.family"] = [base, JAPANESE_FONT]
    return JAPANESE_FONT


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: column(s) {missing} not in the table (columns: {list(df.columns)})")


def _finite(df: pd.DataFrame, columns: Sequence[str], label: str, what: str) -> None:
    for c in columns:
        bad = ~np.isfinite(pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float))
        if bad.any():
            where = df.loc[bad, label].head(5).tolist() if label in df else df.index[bad][:5].tolist()
            raise ValueError(f"{what}: {c!r} is missing or not finite for {label} {where}")


def _style(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)


def forest_plot(
    effects_df: pd.DataFrame,
    *,
    label: str = "feature",
    estimate: str = "estimate",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    reference: float | None = None,
    log_scale: bool | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    ax=None,
):
    """Forest plot: one row per feature, estimate with its confidence interval, reference line.

    Parameters
    ----------
    effects_df : pandas.DataFrame
        E.g. the output of :func:`~omotenashi_research.stats.compare.compare_groups` (one row per
        feature); rows are drawn top to bottom in table order.
    label, estimate, ci_low, ci_high : str
        Column names.
    reference : float, optional
        Position of the no-effect line; default 1 for ratio effects (``effect`` column is
        ``rate_ratio`` / ``odds_ratio``), else 0.
    log_scale : bool, optional
        Log x axis; default True for ratio effects.
    xlabel, title : str, optional
        Axis label (default: the ``effect`` column's values, else "estimate") and title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Points are ``ax.lines[0]`` (x = estimates, y = 0, 1, ... with row 0 on top) and the
        intervals ``ax.collections[0]`` (one segment per row).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from omotenashi_research.plots import forest_plot
    >>> eff = pd.DataFrame({"feature": ["apology", "thanks"], "estimate": [0.8, -0.1],
    ...                     "ci_low": [0.5, -0.4], "ci_high": [1.1, 0.2]})
    >>> ax = forest_plot(eff)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['apology', 'thanks']
    """
    what = "forest_plot"
    _require(effects_df, [label, estimate, ci_low, ci_high], what)
    if effects_df.empty:
        raise ValueError(f"{what}: the table has no rows")
    _finite(effects_df, [estimate, ci_low, ci_high], label, what)
    kinds = set(effects_df["effect"]) if "effect" in effects_df else set()
    ratio = bool(kinds) and kinds <= _RATIO_EFFECTS
    if reference is None:
        reference = 1.0 if ratio else 0.0
    if log_scale is None:
        log_scale = ratio
    est = effects_df[estimate].to_numpy(dtype=float)
    lo = effects_df[ci_low].to_numpy(dtype=float)
    hi = effects_df[ci_high].to_numpy(dtype=float)
    if np.any(lo > est + 1e-12) or np.any(hi < est - 1e-12):
        bad = effects_df.loc[(lo > est) | (hi < est), label].tolist()
        raise ValueError(f"{what}: the interval does not contain the estimate for {bad}")
    ax = _axes(ax)
    y = np.arange(len(est))
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color=PALETTE[0], ecolor=PALETTE[0],
                capsize=3, markersize=5, linewidth=1.2)
    ax.axvline(reference, color="0.4", linestyle="--", linewidth=0.9, zorder=0)
    ax.set_yticks(y, labels=[str(v) for v in effects_df[label]])
    ax.set_ylim(len(est) - 0.5, -0.5)  # first row on top
    if log_scale:
        ax.set_xscale("log")
    if xlabel is None:
        xlabel = " / ".join(sorted(str(k).replace("_", " ") for k in kinds)) if kinds else "estimate"
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    _style(ax)
    return ax


def rate_comparison(
    df: pd.DataFrame,
    *,
    category: str = "feature",
    group: str = "group",
    rate: str = "rate",
    ci_low: str | None = "ci_low",
    ci_high: str | None = "ci_high",
    ylabel: str = "rate",
    title: str | None = None,
    ax=None,
):
    """Grouped bars of rates per category and group, with confidence-interval error bars.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per (category, group): e.g. apologies per 100 utterances in Japanese and English
        dialogues, with interval limits (``ci_low`` / ``ci_high``; ``None`` to draw no intervals).
    category, group, rate, ci_low, ci_high : str
        Column names. Categories and groups keep their order of first appearance.
    ylabel, title : str
        Labels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One :class:`~matplotlib.container.BarContainer` per group (in ``ax.containers``, heights =
        rates in category order; its ``errorbar`` holds the intervals) and a legend of the groups.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from omotenashi_research.plots import rate_comparison
    >>> d = pd.DataFrame({"feature": ["apology", "apology"], "group": ["ja", "en"],
    ...                   "rate": [3.1, 1.2], "ci_low": [2.5, 0.9], "ci_high": [3.8, 1.6]})
    >>> ax = rate_comparison(d)
    >>> [float(b.get_height()) for b in ax.patches]
    [3.1, 1.2]
    """
    what = "rate_comparison"
    cols = [category, group, rate] + [c for c in (ci_low, ci_high) if c is not None]
    _require(df, cols, what)
    dup = df.duplicated([category, group], keep=False)
    if dup.any():
        raise ValueError(f"{what}: rows {df.index[dup][:5].tolist()} repeat a ({category}, {group}) pair")
    _finite(df, cols[2:], category, what)
    cats = list(pd.unique(df[category]))
    groups = list(pd.unique(df[group]))
    ax = _axes(ax)
    width = 0.8 / len(groups)
    x = np.arange(len(cats))
    for k, g in enumerate(groups):
        sub = df[df[group] == g].set_index(category).reindex(cats)
        heights = sub[rate].to_numpy(dtype=float)
        pos = x - 0.4 + width * (k + 0.5)
        yerr = None
        if ci_low is not None and ci_high is not None:
            yerr = np.vstack([heights - sub[ci_low].to_numpy(dtype=float),
                              sub[ci_high].to_numpy(dtype=float) - heights])
            if np.nanmin(yerr) < -1e-12:
                raise ValueError(f"{what}: the interval does not contain the rate for group {g!r}")
        ax.bar(pos, np.nan_to_num(heights), width * 0.92, yerr=yerr, capsize=3, label=str(g),
               color=PALETTE[k % len(PALETTE)], error_kw={"elinewidth": 1.0, "ecolor": "0.2"})
    ax.set_xticks(x, labels=[str(c) for c in cats])
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, title=group)
    if title:
        ax.set_title(title)
    _style(ax)
    return ax


def trajectory_summary(
    df: pd.DataFrame,
    *,
    position: str = "turn",
    value: str = "sat_turn",
    group: str = "lang",
    cluster: str = "dialogue_id",
    relative: bool = False,
    n_bins: int = 10,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Mean of ``value`` by dialogue position and group, with t intervals over dialogues.

    Each dialogue contributes one value per position (its mean within the position bin), so
    the intervals treat dialogues, not turns, as independent. Rows with a missing ``value``
    (e.g. unrated agent turns) are not used; ``n_dialogues`` says how many dialogues each mean
    rests on, and positions with fewer than 2 dialogues get no interval (NaN).

    Parameters
    ----------
    df : pandas.DataFrame
        Utterance table with ``position``, ``value``, ``group`` and ``cluster`` columns.
    position, value, group, cluster : str
        Column names; ``group=None`` for a single trajectory.
    relative : bool
        Use the relative position turn / last turn of the dialogue, cut into ``n_bins`` equal bins
        (position = bin midpoint), so dialogues of different lengths line up.
    n_bins : int
        Bins for ``relative=True``.
    ci : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``group, position, mean, ci_low, ci_high, n_dialogues`` sorted by group and position.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.plots import trajectory_summary
    >>> d = pd.DataFrame({"dialogue_id": ["a", "a", "b", "b"], "turn": [0, 1, 0, 1],
    ...                   "lang": ["en"] * 4, "sat_turn": [3.0, 4.0, 3.0, 5.0]})
    >>> trajectory_summary(d)["mean"].tolist()
    [3.0, 4.5]
    """
    what = "trajectory_summary"
    cols = [position, value, cluster] + ([group] if group else [])
    _require(df, cols, what)
    vals = pd.to_numeric(df[value], errors="coerce")
    if (vals.isna() & df[value].notna()).any():
        rows = df.index[vals.isna() & df[value].notna()][:5].tolist()
        raise ValueError(f"{what}: {value!r} must be numeric; rows {rows} are not")
    pos = pd.to_numeric(df[position], errors="coerce")
    if pos.isna().any():
        rows = df.index[pos.isna()][:5].tolist()
        raise ValueError(f"{what}: {position!r} must be numeric; rows {rows} are not")
    work = pd.DataFrame({"group": df[group] if group else "all", "cluster": df[cluster],
                         "pos": pos.astype(float), "y": vals})
    if relative:
        last = work.groupby("cluster")["pos"].transform("max")
        rel = np.where(last > 0, work["pos"] / last.where(last > 0, 1), 0.0)
        bins = np.minimum((rel * n_bins).astype(int), n_bins - 1)
        work["pos"] = (bins + 0.5) / n_bins
    work = work[work["y"].notna()]
    per_dialogue = work.groupby(["group", "pos", "cluster"], sort=True)["y"].mean().reset_index()
    summary = (
        per_dialogue.groupby(["group", "pos"], sort=True)["y"].agg(["mean", "std", "count"]).reset_index()
    )
    n = summary["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(1 - (1 - ci) / 2, n - 1) * summary["std"].to_numpy() / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return pd.DataFrame({
        "group": summary["group"], "position": summary["pos"], "mean": summary["mean"],
        "ci_low": summary["mean"] - half, "ci_high": summary["mean"] + half,
        "n_dialogues": summary["count"].astype(int),
    })


def satisfaction_trajectory(
    df: pd.DataFrame,
    *,
    position: str = "turn",
    value: str = "sat_turn",
    group: str | None = "lang",
    cluster: str = "dialogue_id",
    relative: bool = False,
    n_bins: int = 10,
    ci: float = 0.95,
    min_dialogues: int = 1,
    ylabel: str = "mean turn satisfaction",
    title: str | None = None,
    ax=None,
):
    """Mean turn satisfaction by position in the dialogue, one line and CI band per group.

    Parameters
    ----------
    df : pandas.DataFrame
        Utterance table (``turn``, ``sat_turn``, ``lang``, ``dialogue_id`` by default).
    position, value, group, cluster, relative, n_bins, ci
        As in :func:`trajectory_summary`, which computes the plotted numbers.
    min_dialogues : int
        Leave out positions resting on fewer dialogues (late turns of long dialogues are rare
        and noisy); the omitted positions are listed in ``ax.omitted_positions``.
    ylabel, title : str
        Labels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One line per group (``ax.lines``, label = group) and one band per group
        (``ax.collections``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from omotenashi_research.plots import satisfaction_trajectory
    >>> d = pd.DataFrame({"dialogue_id": ["a", "a", "b", "b"], "turn": [0, 1, 0, 1],
    ...                   "lang": ["en"] * 4, "sat_turn": [3.0, 4.0, 3.0, 5.0]})
    >>> ax = satisfaction_trajectory(d)
    >>> ax.lines[0].get_ydata().tolist()
    [3.0, 4.5]
    """
    summary = trajectory_summary(df, position=position, value=value, group=group, cluster=cluster,
                                 relative=relative, n_bins=n_bins, ci=ci)
    keep = summary["n_dialogues"] >= min_dialogues
    ax = _axes(ax)
    ax.omitted_positions = summary.loc[~keep, ["group", "position", "n_dialogues"]].reset_index(drop=True)
    summary = summary[keep]
    for k, (g, sub) in enumerate(summary.groupby("group", sort=False)):
        color = PALETTE[k % len(PALETTE)]
        ax.plot(sub["position"], sub["mean"], marker="o", markersize=3, color=color, label=str(g))
        ax.fill_between(sub["position"], sub["ci_low"], sub["ci_high"], color=color, alpha=0.2, linewidth=0)
    ax.set_xlabel("relative position in dialogue" if relative else position)
    ax.set_ylabel(ylabel)
    if group:
        ax.legend(frameon=False, title=group)
    if title:
        ax.set_title(title)
    _style(ax)
    return ax


def predicted_probabilities(
    pred_df: pd.DataFrame,
    *,
    x: str = "x",
    category: str = "category",
    prob: str = "prob",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    newdata: pd.DataFrame | None = None,
    xlabel: str | None = None,
    ylabel: str = "predicted probability",
    title: str | None = None,
    ax=None,
):
    """Ordinal-model category probabilities against a predictor: one line (and band) per category.

    Parameters
    ----------
    pred_df : pandas.DataFrame
        Long table, one row per (x value, category): columns ``x``, ``category``, ``prob`` and,
        optionally, ``ci_low`` / ``ci_high`` (drawn as bands when present). The output of
        ``OrdinalFit.predict_proba(newdata)`` (columns ``row, category, prob``) works directly
        when ``newdata`` is passed: ``x`` is then looked up in ``newdata`` by ``row``.
        Categories are drawn in their order of first appearance (the model's category order).
    x, category, prob, ci_low, ci_high : str
        Column names.
    newdata : pandas.DataFrame, optional
        The grid the predictions were made on (index labels = ``row``).
    xlabel, ylabel, title : str
        Labels (``xlabel`` defaults to ``x``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One line per category (``ax.lines``, label = category), sorted by x.

    Raises
    ------
    ValueError
        When the probabilities at some x do not sum to 1 (a category missing), or an x repeats
        within a category.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from omotenashi_research.plots import predicted_probabilities
    >>> p = pd.DataFrame({"x": [0, 0, 1, 1], "category": ["low", "high"] * 2,
    ...                   "prob": [0.7, 0.3, 0.4, 0.6]})
    >>> ax = predicted_probabilities(p)
    >>> [line.get_label() for line in ax.lines]
    ['low', 'high']
    """
    what = "predicted_probabilities"
    pred = pred_df
    if newdata is not None and x not in pred.columns:
        _require(pred, ["row"], what)
        _require(newdata, [x], what)
        missing = set(pred["row"]) - set(newdata.index)
        if missing:
            rows = sorted(missing, key=str)[:5]
            raise KeyError(f"{what}: rows {rows} of the predictions are not in newdata")
        pred = pred.assign(**{x: newdata.loc[pred["row"], x].to_numpy()})
    _require(pred, [x, category, prob], what)
    _finite(pred, [x, prob], category, what)
    has_ci = ci_low in pred.columns and ci_high in pred.columns
    dup = pred.duplicated([x, category], keep=False)
    if dup.any():
        raise ValueError(f"{what}: rows {pred.index[dup][:5].tolist()} repeat an ({x}, {category}) pair; "
                         "average over the other predictors first, or plot one panel per value")
    sums = pred.groupby(x)[prob].sum()
    off = sums[(sums - 1).abs() > 1e-6]
    if len(off):
        raise ValueError(f"{what}: probabilities at {x}={off.index[0]} sum to {off.iloc[0]:.4f}, not 1; "
                         "is a category missing?")
    ax = _axes(ax)
    for k, cat in enumerate(pd.unique(pred[category])):
        sub = pred[pred[category] == cat].sort_values(x)
        color = PALETTE[k % len(PALETTE)]
        ax.plot(sub[x], sub[prob], color=color, label=str(cat), linewidth=1.6)
        if has_ci:
            ax.fill_between(sub[x], sub[ci_low], sub[ci_high], color=color, alpha=0.15, linewidth=0)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, title=category)
    if title:
        ax.set_title(title)
    _style(ax)
    return ax
