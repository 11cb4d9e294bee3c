"""Effect sizes with confidence intervals, one tidy row each.

Every function returns a one-row :class:`pandas.DataFrame` with the columns
``effect, estimate, ci_low, ci_high, n1, n2, method`` (plus test columns where the effect
comes with one), so results from several calls stack with :func:`pandas.concat`.

These functions treat the values they are given as independent observations. For utterances
nested in dialogues, aggregate to one value per dialogue first, or use
:func:`omotenashi_research.stats.compare.compare_groups`, which does so and can resample whole
dialogues.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = [
    "EFFECT_COLUMNS",
    "cliffs_delta",
    "cohens_d",
    "hedges_g",
    "odds_ratio",
    "rank_biserial",
    "rate_ratio",
]

EFFECT_COLUMNS: tuple[str, ...] = ("effect", "estimate", "ci_low", "ci_high", "n1", "n2", "method")


def _frame(**values) -> pd.DataFrame:
    return pd.DataFrame([values])


def _check_ci(ci: float) -> float:
    if not (isinstance(ci, (float, int)) and 0 < ci < 1):
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1, got {ci!r}")
    return float(ci)


def _as_sample(values, name: str, nan_policy: str, min_n: int = 1) -> np.ndarray:
    """A 1-d float array; NaN raise (naming the positions) unless nan_policy='omit'."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric values: {exc}") from None
    if arr.ndim != 1:
        arr = arr.ravel()
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values at positions {np.flatnonzero(np.isinf(arr))[:10]}")
    nan = np.isnan(arr)
    if nan.any():
        if nan_policy == "raise":
            raise ValueError(
                f"{name} contains {nan.sum()} missing value(s) at positions "
                f"{np.flatnonzero(nan)[:10].tolist()}"
                "; remove them or pass nan_policy='omit'"
            )
        if nan_policy != "omit":
            raise ValueError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}")
        arr = arr[~nan]
    if arr.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} value(s), got {arr.size}")
    return arr


def _hedges_j(df: float) -> float:
    """Exact small-sample correction J(df) = Γ(df/2) / (√(df/2) Γ((df-1)/2)) (Hedges 1981).

    1 - 3/(4 df - 1) is its usual approximation (within 0.1 % for df >= 4).
    """
    return float(np.exp(special.gammaln(df / 2) - 0.5 * np.log(df / 2) - special.gammaln((df - 1) / 2)))


def _nct_ci(t: float, df: float, ci: float) -> tuple[float, float]:
    """Confidence limits for the noncentrality parameter of a t statistic (test inversion)."""
    alpha = 1 - ci

    def cdf(ncp: float) -> float:
        value = stats.nct.cdf(t, df, ncp)
        # scipy returns NaN far in the tails, where the cdf is 0 (ncp >> t) or 1 (ncp << t).
        return float(value) if np.isfinite(value) else (0.0 if ncp > t else 1.0)

    def solve(target: float) -> float:
        f = lambda ncp: cdf(ncp) - target  # noqa: E731
        lo, hi = t - 10.0, t + 10.0
        # cdf decreases in ncp: widen until the root is bracketed.
        while f(lo) < 0:
            lo -= 10.0
        while f(hi) > 0:
            hi += 10.0
        return float(optimize.brentq(f, lo, hi, xtol=1e-12))

    return solve(1 - alpha / 2), solve(alpha / 2)


def cohens_d(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    hedges: bool = False,
    ci: float = 0.95,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> pd.DataFrame:
    """Standardised mean difference (x - y) / pooled SD, with a noncentral-t confidence interval.

    Parameters
    ----------
    x, y : array-like of float
        The two independent samples (e.g. one value per dialogue).
    hedges : bool
        Multiply by the exact small-sample correction J(df), df = n1 + n2 - 2, giving Hedges' g.
    ci : float
        Confidence level of the interval.
    nan_policy : {"raise", "omit"}
        Missing values raise an error unless ``"omit"``.

    Returns
    -------
    pandas.DataFrame
        One row: ``effect`` (``"cohens_d"`` or ``"hedges_g"``), ``estimate``, ``ci_low``,
        ``ci_high``, ``n1``, ``n2``, ``method``, ``statistic`` (Student's t) and ``df``.

    Notes
    -----
    The interval inverts the noncentral t distribution of t = d √(n1 n2 / (n1 + n2))
    (Steiger & Fouladi 1997), as R's ``effectsize::cohens_d`` does; for Hedges' g both limits
    are multiplied by J.

    Examples
    --------
    >>> import numpy as np
    >>> from omotenashi_research.stats.effects import cohens_d
    >>> rng = np.random.default_rng(0)
    >>> res = cohens_d(rng.normal(0.5, 1, 40), rng.normal(0, 1, 40))
    >>> res[["estimate", "ci_low", "ci_high"]].round(2).iloc[0].tolist()
    [0.14, -0.29, 0.58]
    """
    ci = _check_ci(ci)
    x = _as_sample(x, "x", nan_policy, min_n=2)
    y = _as_sample(y, "y", nan_policy, min_n=2)
    n1, n2 = x.size, y.size
    df = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df)
    if sp == 0:
        raise ValueError(
            "both samples are constant (pooled SD is 0): the standardised difference is undefined"
        )
    d = (x.mean() - y.mean()) / sp
    scale = np.sqrt(n1 * n2 / (n1 + n2))
    t = d * scale
    lo, hi = _nct_ci(t, df, ci)
    j = _hedges_j(df) if hedges else 1.0
    return _frame(
        effect="hedges_g" if hedges else "cohens_d",
        estimate=d * j,
        ci_low=lo / scale * j,
        ci_high=hi / scale * j,
        n1=n1,
        n2=n2,
        method="noncentral t",
        statistic=t,
        df=float(df),
    )


def hedges_g(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    ci: float = 0.95,
    nan_policy: Literal["raise", "omit"] = "raise",
) -> pd.DataFrame:
    """Hedges' g: Cohen's d times the small-sample correction J(n1 + n2 - 2).

    See :func:`cohens_d` for parameters and the returned row.

    Examples
    --------
    >>> from omotenashi_research.stats.effects import hedges_g
    >>> round(float(hedges_g([1, 2, 3, 4], [2, 3, 4, 5, 6])["estimate"].iloc[0]), 3)
    -0.91
    """
    return cohens_d(x, y, hedges=True, ci=ci, nan_policy=nan_policy)


def _dominance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sign(x[:, None] - y[None, :])


def cliffs_delta(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    ci: float = 0.95,
    variance: Literal["unbiased", "consistent"] = "unbiased",
    distribution: Literal["t", "normal"] = "t",
    nan_policy: Literal["raise", "omit"] = "raise",
) -> pd.DataFrame:
    """Cliff's delta, P(X > Y) - P(X < Y), with Cliff's asymmetric confidence interval.

    Parameters
    ----------
    x, y : array-like of float
        The two independent samples (ordinal or numeric).
    ci : float
        Confidence level.
    variance : {"unbiased", "consistent"}
        Cliff's (1993) unbiased variance estimator or his (1996) consistent one.
    distribution : {"t", "normal"}
        Quantile for the interval: Student t with n1 + n2 - 2 df (Feng & Cliff 2004) or normal.
    nan_policy : {"raise", "omit"}
        Missing values raise an error unless ``"omit"``.

    Returns
    -------
    pandas.DataFrame
        One row with ``effect="cliffs_delta"``, ``estimate``, ``ci_low``, ``ci_high``, ``n1``,
        ``n2``, ``method`` and ``se``.

    Notes
    -----
    With dᵢⱼ = sign(xᵢ - yⱼ), row means dᵢ. and column means d.ⱼ, the unbiased variance is

    s² = [n2² Σ(dᵢ. - d)² + n1² Σ(d.ⱼ - d)² - ΣΣ(dᵢⱼ - d)²] / [n1 n2 (n1 - 1)(n2 - 1)],

    the consistent one [(n2 - 1) s²ᵢ. + (n1 - 1) s².ⱼ + s²ᵢⱼ] / (n1 n2); either is floored at
    (1 - d²)/(n1 n2 - 1) (Cliff 1993) so that it cannot be negative. The interval is
    (d - d³ ± q s √((1 - d²)² + q² s²)) / (1 - d² + q² s²). The defaults are those of R's
    ``effsize::cliff.delta`` (``use.unbiased = TRUE, use.normal = FALSE``). Under complete
    separation (|d| = 1) the interval collapses to the point; report a bootstrap interval there.

    Examples
    --------
    >>> from omotenashi_research.stats.effects import cliffs_delta
    >>> float(cliffs_delta([1, 2, 3], [1, 1, 2])["estimate"].iloc[0])  # (5 - 1) / 9
    0.4444444444444444
    """
    ci = _check_ci(ci)
    x = _as_sample(x, "x", nan_policy, min_n=2)
    y = _as_sample(y, "y", nan_policy, min_n=2)
    n1, n2 = x.size, y.size
    dom = _dominance(x, y)
    d = float(dom.mean())
    di = dom.mean(axis=1)
    dj = dom.mean(axis=0)
    ssr = ((dom - d) ** 2).sum()
    if variance == "unbiased":
        s2 = (n2**2 * ((di - d) ** 2).sum() + n1**2 * ((dj - d) ** 2).sum() - ssr) / (
            n1 * n2 * (n1 - 1) * (n2 - 1)
        )
    elif variance == "consistent":
        s2 = ((n2 - 1) * ((di - d) ** 2).sum() / (n1 - 1) + (n1 - 1) * ((dj - d) ** 2).sum() / (n2 - 1)
              + ssr / ((n1 - 1) * (n2 - 1))) / (n1 * n2)
    else:
        raise ValueError(f"variance must be 'unbiased' or 'consistent', got {variance!r}")
    s2 = max(s2, (1 - d**2) / (n1 * n2 - 1))
    s = np.sqrt(s2)
    if distribution == "t":
        q = stats.t.ppf(1 - (1 - ci) / 2, n1 + n2 - 2)
    elif distribution == "normal":
        q = stats.norm.ppf(1 - (1 - ci) / 2)
    else:
        raise ValueError(f"distribution must be 't' or 'normal', got {distribution!r}")
    root = q * s * np.sqrt((1 - d**2) ** 2 + q**2 * s2)
    denom = 1 - d**2 + q**2 * s2
    if denom == 0:  # complete separation: s = 0 and |d| = 1
        lo = hi = d
    else:
        lo, hi = (d - d**3 - root) / denom, (d - d**3 + root) / denom
    return _frame(
        effect="cliffs_delta",
        estimate=d,
        ci_low=float(max(-1.0, lo)),
        ci_high=float(min(1.0, hi)),
        n1=n1,
        n2=n2,
        method=f"Cliff, {variance} variance, {distribution} interval",
        se=float(s),
    )


def rank_biserial(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    ci: float = 0.95,
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
    nan_policy: Literal["raise", "omit"] = "raise",
) -> pd.DataFrame:
    """Rank-biserial correlation r = 2 U₁ / (n1 n2) - 1 from the Mann-Whitney test.

    Parameters
    ----------
    x, y : array-like of float
        The two independent samples.
    ci : float
        Confidence level.
    alternative : {"two-sided", "less", "greater"}
        Alternative of the Mann-Whitney test whose U and p are reported.
    nan_policy : {"raise", "omit"}
        Missing values raise an error unless ``"omit"``.

    Returns
    -------
    pandas.DataFrame
        One row with ``effect="rank_biserial"``, ``estimate``, ``ci_low``, ``ci_high``, ``n1``,
        ``n2``, ``method``, ``statistic`` (U of ``x``) and ``p`` (from :func:`scipy.stats.mannwhitneyu`).

    Notes
    -----
    The estimate equals Cliff's delta (ties count one half). The interval is the one of R's
    ``effectsize::rank_biserial``: tanh(atanh(r) ± z √((n1 + n2 + 1) / (3 n1 n2))), except under
    complete separation (|r| = 1), where that interval degenerates to [1, 1] (R reports the same).
    There the near limit is the score-type bound of Newcombe (2006, *Stat Med* 25:559-573,
    method 5) for θ = (1 + r) / 2: the θ₀ < 1 solving 1 - θ₀ = z √V(θ₀) with
    V(θ) = θ(1 - θ) [1 + n* ((1 - θ)/(2 - θ) + θ/(1 + θ))] / (n1 n2), n* = (n1 + n2)/2 - 1; the far
    limit is ±1.

    Examples
    --------
    >>> from omotenashi_research.stats.effects import rank_biserial
    >>> float(rank_biserial([1, 2, 3], [1, 1, 2])["estimate"].iloc[0])
    0.4444444444444444
    """
    ci = _check_ci(ci)
    x = _as_sample(x, "x", nan_policy)
    y = _as_sample(y, "y", nan_policy)
    n1, n2 = x.size, y.size
    res = stats.mannwhitneyu(x, y, alternative=alternative)
    r = 2 * res.statistic / (n1 * n2) - 1
    z = stats.norm.ppf(1 - (1 - ci) / 2)
    se = np.sqrt((n1 + n2 + 1) / (3 * n1 * n2))
    if abs(r) < 1:
        rf = np.arctanh(r)
        lo, hi = float(np.tanh(rf - z * se)), float(np.tanh(rf + z * se))
        how = "Fisher-z interval"
    else:
        # Complete separation: atanh(±1) is infinite and the Fisher-z interval collapses to the point
        # ([1, 1] whatever n). Use the score-type interval of Newcombe (2006, method 5) instead.
        near = 2 * _auc_score_limit(n1, n2, z) - 1
        lo, hi = (near, 1.0) if r > 0 else (-1.0, -near)
        how = "score interval at separation (Newcombe 2006)"
    return _frame(
        effect="rank_biserial",
        estimate=float(r),
        ci_low=lo,
        ci_high=hi,
        n1=n1,
        n2=n2,
        method=f"Mann-Whitney, {how}",
        statistic=float(res.statistic),
        p=float(res.pvalue),
    )


def _auc_score_limit(n1: int, n2: int, z: float) -> float:
    """Lower score limit of theta = P(X > Y) when theta-hat = 1 (Newcombe 2006, method 5)."""
    n_star = (n1 + n2) / 2 - 1

    def gap(theta: float) -> float:
        v = theta * (1 - theta) * (1 + n_star * ((1 - theta) / (2 - theta) + theta / (1 + theta))) / (n1 * n2)
        return (1 - theta) - z * np.sqrt(v)

    # gap < 0 just below 1 (sqrt(1 - theta) dominates) and gap(0) = 1 > 0: one root in between.
    return float(optimize.brentq(gap, 0.0, 1 - 1e-12, xtol=1e-12))


def _check_count(value, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def rate_ratio(
    count1: float,
    exposure1: float,
    count2: float,
    exposure2: float,
    *,
    ci: float = 0.95,
    method: Literal["exact", "wald"] = "exact",
) -> pd.DataFrame:
    """Ratio of two Poisson rates, (count1 / exposure1) / (count2 / exposure2).

    Parameters
    ----------
    count1, count2 : int
        Event counts (e.g. apologies) in group 1 and 2.
    exposure1, exposure2 : float
        Exposure (e.g. utterances or tokens) in group 1 and 2; must be > 0.
    ci : float
        Confidence level.
    method : {"exact", "wald"}
        ``"exact"``: conditional binomial (Clopper-Pearson) interval and p-value, identical to R's
        ``poisson.test(c(count1, count2), c(exposure1, exposure2))``. ``"wald"``: log-scale
        interval with SE √(1/count1 + 1/count2) and a z test (needs both counts > 0).

    Returns
    -------
    pandas.DataFrame
        One row with ``effect="rate_ratio"``, ``estimate``, ``ci_low``, ``ci_high``, ``n1``,
        ``n2`` (the counts), ``method``, ``rate1``, ``rate2``, ``exposure1``, ``exposure2``, ``p``.

    Notes
    -----
    Poisson assumes independent events. Counts pooled over utterances of the same dialogue are
    usually overdispersed; for nested data use ``compare_groups(..., effect="rate_ratio")``,
    whose intervals are cluster-robust.

    Examples
    --------
    >>> from omotenashi_research.stats.effects import rate_ratio
    >>> float(rate_ratio(20, 100, 10, 100)["estimate"].iloc[0])
    2.0
    """
    ci = _check_ci(ci)
    c1, c2 = _check_count(count1, "count1"), _check_count(count2, "count2")
    e1, e2 = _check_count(exposure1, "exposure1"), _check_count(exposure2, "exposure2")
    if e1 == 0 or e2 == 0:
        raise ValueError("exposures must be > 0")
    alpha = 1 - ci
    est = (c1 / e1) / (c2 / e2) if c2 > 0 else np.inf
    if method == "exact":
        if c1 != int(c1) or c2 != int(c2):
            raise ValueError("the exact method needs integer counts")
        n = int(c1 + c2)
        if n == 0:
            raise ValueError("both counts are 0: the rate ratio is undefined")
        k = int(c1)
        # Clopper-Pearson limits for p = e1 RR / (e1 RR + e2), then back to the ratio scale.
        p_lo = stats.beta.ppf(alpha / 2, k, n - k + 1) if k > 0 else 0.0
        p_hi = stats.beta.ppf(1 - alpha / 2, k + 1, n - k) if k < n else 1.0
        to_rr = lambda p: p / (1 - p) * e2 / e1 if p < 1 else np.inf  # noqa: E731
        lo, hi = to_rr(p_lo), to_rr(p_hi)
        pval = stats.binomtest(k, n, e1 / (e1 + e2)).pvalue
        label = "exact conditional (poisson.test)"
    elif method == "wald":
        if c1 == 0 or c2 == 0:
            raise ValueError("the Wald interval needs both counts > 0; use method='exact'")
        se = np.sqrt(1 / c1 + 1 / c2)
        z = stats.norm.ppf(1 - alpha / 2)
        lo, hi = est * np.exp(-z * se), est * np.exp(z * se)
        pval = 2 * stats.norm.sf(abs(np.log(est)) / se)
        label = "Wald (log scale)"
    else:
        raise ValueError(f"method must be 'exact' or 'wald', got {method!r}")
    return _frame(
        effect="rate_ratio",
        estimate=float(est),
        ci_low=float(lo),
        ci_high=float(hi),
        n1=c1,
        n2=c2,
        method=label,
        rate1=c1 / e1,
        rate2=c2 / e2,
        exposure1=e1,
        exposure2=e2,
        p=float(pval),
    )


def _table2x2(table, b, c, d) -> np.ndarray:
    if b is None and c is None and d is None:
        arr = np.asarray(table, dtype=float)
        if arr.shape != (2, 2):
            raise ValueError(f"table must be 2x2 [[a, b], [c, d]], got shape {arr.shape}")
    elif b is None or c is None or d is None:
        raise ValueError("pass either a 2x2 table or all four cells a, b, c, d")
    else:
        arr = np.array([[table, b], [c, d]], dtype=float)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"table cells must be finite counts >= 0, got {arr.tolist()}")
    return arr


def odds_ratio(
    table: Sequence[Sequence[float]] | np.ndarray | float,
    b: float | None = None,
    c: float | None = None,
    d: float | None = None,
    *,
    ci: float = 0.95,
    method: Literal["woolf", "exact"] = "woolf",
    haldane: bool = False,
) -> pd.DataFrame:
    """Odds ratio of a 2x2 table [[a, b], [c, d]] (rows: group 1, 2; columns: event, no event).

    Parameters
    ----------
    table : 2x2 array-like, or the count ``a``
        The table, or its top-left cell when ``b``, ``c``, ``d`` are given.
    b, c, d : float, optional
        The other cells.
    ci : float
        Confidence level.
    method : {"woolf", "exact"}
        ``"woolf"``: sample OR ad/bc with log-scale interval ± z √(1/a + 1/b + 1/c + 1/d)
        (statsmodels ``Table2x2``). ``"exact"``: conditional maximum-likelihood OR with Fisher's
        exact interval and p-value (scipy; identical to R's ``fisher.test``).
    haldane : bool
        Woolf only: add 0.5 to every cell (Haldane-Anscombe) — needed when a cell is 0.

    Returns
    -------
    pandas.DataFrame
        One row with ``effect="odds_ratio"``, ``estimate``, ``ci_low``, ``ci_high``, ``n1``
        (a + b), ``n2`` (c + d), ``method`` and ``p``.

    Examples
    --------
    >>> from omotenashi_research.stats.effects import odds_ratio
    >>> float(odds_ratio(10, 20, 5, 40)["estimate"].iloc[0])  # 10*40 / (20*5)
    4.0
    """
    from scipy.stats.contingency import odds_ratio as sp_odds_ratio
    from statsmodels.stats.contingency_tables import Table2x2

    ci = _check_ci(ci)
    arr = _table2x2(table, b, c, d)
    n1, n2 = arr[0].sum(), arr[1].sum()
    if method == "woolf":
        if haldane:
            arr = arr + 0.5
        elif (arr == 0).any():
            raise ValueError(
                f"a cell of {arr.astype(int).tolist()} is 0: the Woolf interval is undefined; "
                "pass haldane=True or method='exact'"
            )
        t = Table2x2(arr)
        lo, hi = t.oddsratio_confint(alpha=1 - ci, method="normal")
        est, pval = t.oddsratio, t.oddsratio_pvalue()
        label = "Woolf (log scale)" + (", Haldane +0.5" if haldane else "")
    elif method == "exact":
        if (arr != np.round(arr)).any():
            raise ValueError("the exact method needs integer counts")
        res = sp_odds_ratio(arr.astype(int), kind="conditional")
        interval = res.confidence_interval(confidence_level=ci)
        est, lo, hi = res.statistic, interval.low, interval.high
        pval = stats.fisher_exact(arr.astype(int)).pvalue
        label = "conditional MLE, Fisher exact"
    else:
        raise ValueError(f"method must be 'woolf' or 'exact', got {method!r}")
    return _frame(
        effect="odds_ratio",
        estimate=float(est),
        ci_low=float(lo),
        ci_high=float(hi),
        n1=float(n1),
        n2=float(n2),
        method=label,
        p=float(pval),
    )
