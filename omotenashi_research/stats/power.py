"""Sample size and power: closed-form (two groups), design effects, and simulation for clustered designs.

- :func:`power_analytic` -- two-sample t-test (Cohen's d) or two proportions (Cohen's h),
  solving for whichever of ``effect_size``, ``n``, ``power`` is missing (statsmodels.stats.power;
  the t-test matches R ``power.t.test``, the proportion test ``pwr::pwr.2p.test``).
- :func:`design_effect` / :func:`effective_n` -- how much clustering (utterances within
  dialogues) shrinks the information: ``DE = 1 + (m - 1) ICC``, with an optional correction
  for unequal cluster sizes. Divide a naive n by DE, or multiply a required n by it.
- :func:`power_simulation` -- Monte Carlo power for designs without a formula: simulate with
  :func:`omotenashi_research.simulate.simulate_dialogues` (or your own function), fit a model,
  count rejections. Use it for the ordinal satisfaction model and for clustered marker rates.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower

from omotenashi_research.errors import OmotenashiError
from omotenashi_research.simulate import dialogue_summary, simulate_dialogues

__all__ = [
    "PowerInputError",
    "cohens_h",
    "design_effect",
    "effective_n",
    "power_analytic",
    "power_simulation",
]


class PowerInputError(OmotenashiError, ValueError):
    """A power-analysis argument is missing or out of range; the message names it."""


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2)), the effect size for two proportions.

    Examples
    --------
    >>> round(cohens_h(0.65, 0.5), 4)
    0.3047
    """
    for name, p in (("p1", p1), ("p2", p2)):
        if not 0 <= p <= 1:
            raise PowerInputError(f"cohens_h: {name} must be a proportion in [0, 1], got {p!r}")
    return float(2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2)))


def power_analytic(
    effect_size: float | None,
    n: float | None = None,
    alpha: float = 0.05,
    power: float | None = None,
    test: Literal["ttest", "proportion"] = "ttest",
    *,
    ratio: float = 1.0,
    alternative: Literal["two-sided", "larger", "smaller"] = "two-sided",
) -> pd.DataFrame:
    """Power of a two-group comparison, or the n / effect size that reaches a given power.

    Exactly one of ``effect_size``, ``n``, ``power`` must be ``None``; it is solved for.

    Parameters
    ----------
    effect_size : float or None
        Cohen's d (``test="ttest"``) or Cohen's h (``"proportion"``, see :func:`cohens_h`).
    n : float or None
        Size of group 1 (group 2 has ``ratio * n``). With clustered data pass the number of
        *independent* units (dialogues), or the utterances divided by :func:`design_effect`.
    alpha : float
        Significance level.
    power : float or None
    test : {"ttest", "proportion"}
        Two-sample t-test (noncentral t) or two-proportion z-test on the arcsine scale.
    ratio : float
        n2 / n1.
    alternative : {"two-sided", "larger", "smaller"}

    Returns
    -------
    pandas.DataFrame
        One row: ``test, effect_size, n1, n2, alpha, power, solved_for``.

    Examples
    --------
    >>> row = power_analytic(0.5, power=0.8).iloc[0]
    >>> print(f"{row['n1']:.2f} per group ({row['solved_for']})")  # R power.t.test: 63.77
    63.77 per group (n)
    """
    missing = [k for k, v in (("effect_size", effect_size), ("n", n), ("power", power)) if v is None]
    if len(missing) != 1:
        raise PowerInputError(f"power_analytic: exactly one of effect_size, n, power must be None (to solve "
                              f"for), got {len(missing)} missing: {missing}")
    if test not in ("ttest", "proportion"):
        raise PowerInputError(f"power_analytic: test must be 'ttest' or 'proportion', got {test!r}")
    if not 0 < alpha < 1:
        raise PowerInputError(f"power_analytic: alpha must be in (0, 1), got {alpha!r}")
    if power is not None and not alpha < power < 1:
        raise PowerInputError(f"power_analytic: power must be in (alpha, 1), got {power!r}")
    if n is not None and n < 2:
        raise PowerInputError(f"power_analytic: n must be >= 2, got {n!r}")
    if effect_size is not None and effect_size == 0 and power is not None:
        raise PowerInputError("power_analytic: effect_size 0 never reaches the requested power")
    if ratio <= 0:
        raise PowerInputError(f"power_analytic: ratio must be > 0, got {ratio!r}")
    engine = TTestIndPower() if test == "ttest" else NormalIndPower()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # statsmodels only warns when its root finder fails
        try:
            solved = engine.solve_power(effect_size=effect_size, nobs1=n, alpha=alpha, power=power,
                                        ratio=ratio, alternative=alternative)
        except Exception as exc:
            raise PowerInputError(f"power_analytic: could not solve for {missing[0]}: {exc}") from exc
    solved = float(np.asarray(solved).ravel()[0])
    vals = {"effect_size": effect_size, "n": n, "power": power, missing[0]: solved}
    return pd.DataFrame([{
        "test": test,
        "effect_size": float(vals["effect_size"]),
        "n1": float(vals["n"]),
        "n2": float(vals["n"]) * ratio,
        "alpha": float(alpha),
        "power": float(vals["power"]),
        "solved_for": missing[0],
    }])


def design_effect(m: float | np.ndarray, icc: float | np.ndarray, cv: float = 0.0) -> float | np.ndarray:
    """Variance inflation from clustering: ``1 + ((cv^2 + 1) m - 1) ICC`` (Kish; Eldridge et al. 2006).

    Parameters
    ----------
    m : float or array
        Mean cluster size (e.g. utterances per dialogue), >= 1.
    icc : float or array
        Intra-class correlation in [0, 1].
    cv : float
        Coefficient of variation of the cluster sizes (0 = equal sizes: ``1 + (m - 1) ICC``).

    Examples
    --------
    >>> design_effect(10, 0.05)
    1.45
    """
    m_arr, icc_arr = np.asarray(m, dtype=float), np.asarray(icc, dtype=float)
    if (m_arr < 1).any() or not np.isfinite(m_arr).all():
        raise PowerInputError(f"design_effect: cluster size m must be >= 1, got {m!r}")
    if ((icc_arr < 0) | (icc_arr > 1)).any() or not np.isfinite(icc_arr).all():
        raise PowerInputError(f"design_effect: icc must be in [0, 1], got {icc!r}")
    if cv < 0:
        raise PowerInputError(f"design_effect: cv must be >= 0, got {cv!r}")
    de = 1 + ((cv**2 + 1) * m_arr - 1) * icc_arr
    return float(de) if de.ndim == 0 else de


def effective_n(n_total: float, m: float, icc: float, cv: float = 0.0) -> float:
    """Number of independent observations ``n_total`` clustered observations are worth.

    Examples
    --------
    >>> effective_n(1000, 10, 0.05)  # 100 dialogues x 10 utterances
    689.6551724137931
    """
    return float(n_total) / design_effect(m, icc, cv)


def _ordinal_fit_fn(df: pd.DataFrame) -> pd.DataFrame:
    from omotenashi_research.stats.models import fit_ordinal

    summary = dialogue_summary(df)
    markers = list(df.attrs["truth"]["marker_rates"])
    formula = "sat_dialogue ~ " + " + ".join(f"{m}_per100" for m in markers)
    return fit_ordinal(summary, formula).coefs_.query("kind == 'slope'")


def _rate_fit_fn(df: pd.DataFrame) -> pd.DataFrame:
    from omotenashi_research.stats.models import fit_rate

    agent = df[df["role"] == "agent"]
    rows = []
    for m in df.attrs["truth"]["marker_rates"]:
        coefs = fit_rate(agent, f"{m} ~ C(group)", cluster="dialogue_id").coefs_
        rows.append(coefs.iloc[1:].assign(term=f"{m}: group"))
    return pd.concat(rows, ignore_index=True)


MODELS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "ordinal": _ordinal_fit_fn,
    "rate": _rate_fit_fn,
}


def power_simulation(
    n_dialogues: int | Sequence[int],
    *,
    model: str | Callable[[pd.DataFrame], pd.DataFrame] = "ordinal",
    n_sims: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    simulate_fn: Callable[..., pd.DataFrame] | None = None,
    terms: Sequence[str] | None = None,
    **design: Any,
) -> pd.DataFrame:
    """Monte Carlo power: simulate ``n_sims`` data sets per size, fit, count ``p < alpha``.

    Parameters
    ----------
    n_dialogues : int or sequence of int
        Number of dialogues (independent units) per data set; a sequence gives a power curve.
    model : {"ordinal", "rate"} or callable
        ``"ordinal"``: :func:`~omotenashi_research.stats.models.fit_ordinal` of
        ``sat_dialogue`` on every marker's rate per 100 agent tokens (terms ``<m>_per100``).
        ``"rate"``: for each marker, cluster-robust Poisson :func:`fit_rate` of agent-turn
        counts on ``C(group)`` (terms ``"<m>: group"``; the effect is ``group_rate_ratios``).
        A callable takes the simulated table and returns a tidy table with ``term``, ``p``
        (and ideally ``estimate``).
    n_sims : int
        Simulations per size. Monte Carlo SE of a power p is ``sqrt(p (1 - p) / n_sims)``
        (0.028 at p = 0.8, n_sims = 200).
    seed : int
        Seeds every simulation (independent streams from ``numpy.random.SeedSequence``).
    alpha : float
    simulate_fn : callable, optional
        ``simulate_fn(n_dialogues, seed=Generator, **design) -> DataFrame``; default
        :func:`~omotenashi_research.simulate.simulate_dialogues`.
    terms : sequence of str, optional
        Terms to report (default all returned by the fit).
    **design
        Passed to ``simulate_fn`` (e.g. ``effects=``, ``dialogue_sd=``, ``group_rate_ratios=``).

    Returns
    -------
    pandas.DataFrame
        One row per (n_dialogues, term): ``n_dialogues, term, power, mc_se, ci_low, ci_high``
        (Wilson 95 % interval for the Monte Carlo error), ``mean_estimate, n_sims, n_failed``.
        Fits that raise or warn about convergence count in ``n_failed`` and are excluded from
        ``power`` -- they are reported, never dropped silently.

    Examples
    --------
    >>> res = power_simulation(100, n_sims=20, seed=1, effects={"apology": 0.5})
    >>> print(res.loc[0, "term"], res.loc[0, "n_sims"], res.loc[0, "power"])
    apology_per100 20 1.0
    """
    sizes = [n_dialogues] if np.isscalar(n_dialogues) else list(n_dialogues)
    if not sizes or any(int(s) != s or s < 1 for s in sizes):
        raise PowerInputError(f"power_simulation: n_dialogues must be integers >= 1, got {n_dialogues!r}")
    if n_sims < 1:
        raise PowerInputError(f"power_simulation: n_sims must be >= 1, got {n_sims!r}")
    if not 0 < alpha < 1:
        raise PowerInputError(f"power_simulation: alpha must be in (0, 1), got {alpha!r}")
    if isinstance(model, str):
        if model not in MODELS:
            raise PowerInputError(f"power_simulation: model must be one of {list(MODELS)} or a callable, "
                                  f"got {model!r}")
        fit_fn = MODELS[model]
    else:
        fit_fn = model
    sim = simulate_fn or simulate_dialogues
    z = stats.norm.ppf(0.975)
    rows = []
    for size, seq in zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes)), strict=True):
        results: list[pd.DataFrame] = []
        failed = 0
        for child in seq.spawn(n_sims):
            data = sim(int(size), seed=np.random.default_rng(child), **design)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)
                    out = fit_fn(data)
            except Exception:
                failed += 1
                continue
            if not {"term", "p"} <= set(out.columns):
                raise PowerInputError(f"power_simulation: the model's table needs columns 'term' and 'p', "
                                      f"got {list(out.columns)}")
            results.append(out)
        if not results:
            raise PowerInputError(f"power_simulation: all {n_sims} fits failed at n_dialogues={size}")
        allres = pd.concat(results, ignore_index=True)
        keep = list(dict.fromkeys(allres["term"])) if terms is None else list(terms)
        for term in keep:
            sub = allres[allres["term"] == term]
            if sub.empty:
                raise PowerInputError(f"power_simulation: term {term!r} not in the fits "
                                      f"(terms: {sorted(allres['term'].unique())})")
            k, n_ok = int((sub["p"] < alpha).sum()), len(sub)
            p_hat = k / n_ok
            # Wilson interval: sensible at power near 0 or 1 where the Wald interval collapses
            centre = (p_hat + z**2 / (2 * n_ok)) / (1 + z**2 / n_ok)
            half = z * np.sqrt(p_hat * (1 - p_hat) / n_ok + z**2 / (4 * n_ok**2)) / (1 + z**2 / n_ok)
            rows.append({
                "n_dialogues": int(size),
                "term": term,
                "power": p_hat,
                "mc_se": float(np.sqrt(p_hat * (1 - p_hat) / n_ok)),
                "ci_low": centre - half,
                "ci_high": centre + half,
                "mean_estimate": float(sub["estimate"].mean()) if "estimate" in sub else np.nan,
                "n_sims": n_ok,
                "n_failed": failed,
            })
    return pd.DataFrame(rows)

