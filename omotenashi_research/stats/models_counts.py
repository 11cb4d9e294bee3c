"""Marginal and count models: GEE for clustered 0/1 or count outcomes, Poisson/negative-binomial rates.

:func:`fit_gee` gives population-averaged effects with robust SEs (:class:`GeeFit`); :func:`fit_rate`
fits a Poisson or negative-binomial GLM with a ``log(n_tokens)`` offset, i.e. markers per token
(:class:`RateFit`). See :mod:`omotenashi_research.stats.models` for which model to use when and the
validation against R; that module re-exports every name.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from omotenashi_research.stats.model_checks import (
    ModelInputError,
    _build,
    _check_cluster_support,
    _check_columns,
    _check_design,
    _check_groups,
    _check_no_na,
    _check_separation,
    _check_zero_counts,
    _formula_columns,
    _lhs,
    _show,
)
from omotenashi_research.stats.models_common import _warn_unconverged, tidy_coefs

__all__ = [
    "GeeFit",
    "RateFit",
    "fit_gee",
    "fit_rate",
]


# --------------------------------------------------------------------------- GEE


@dataclass
class GeeFit:
    """Result of :func:`fit_gee`.

    Attributes
    ----------
    coefs_ : pandas.DataFrame
        ``term, estimate, se, z, p, ci_low, ci_high`` with robust (sandwich) SEs, plus
        ``exp_estimate, exp_ci_low, exp_ci_high`` (odds ratios for binomial, rate ratios for
        Poisson).
    alpha_ : float
        Working correlation (exchangeable); 0 for independence.
    scale_ : float
        Pearson X2 / N (geepack's ``gamma``); not used by the robust SEs.
    result :
        The statsmodels ``GEEResults``.
    """

    coefs_: pd.DataFrame
    alpha_: float
    scale_: float
    result: Any = field(repr=False)


def _exp_columns(t: pd.DataFrame) -> pd.DataFrame:
    return t.assign(exp_estimate=np.exp(t["estimate"]), exp_ci_low=np.exp(t["ci_low"]),
                    exp_ci_high=np.exp(t["ci_high"]))


def fit_gee(
    df: pd.DataFrame,
    formula: str,
    *,
    groups: str,
    family: Literal["binomial", "poisson"] = "binomial",
    cov_struct: Literal["exchangeable", "independence"] = "exchangeable",
    exposure: str | None = None,
    alpha: float = 0.05,
) -> GeeFit:
    """Generalised estimating equations: population-averaged effects with robust SEs.

    Use for per-utterance outcomes (marker present 0/1, counts) clustered in dialogues when
    the quantity of interest is the average over dialogues. The robust SEs are valid even if
    the working correlation is wrong; a good working correlation only buys efficiency.

    Parameters
    ----------
    df : pandas.DataFrame
    formula : str
        Patsy formula, e.g. ``"apology ~ C(lang) + turn"``.
    groups : str
        Cluster column (e.g. ``dialogue_id``). Rows need not be sorted.
    family : {"binomial", "poisson"}
        Logit link for 0/1 outcomes, log link for counts.
    cov_struct : {"exchangeable", "independence"}
    exposure : str, optional
        Column whose log is the offset (Poisson: rates per token).
    alpha : float

    Returns
    -------
    GeeFit

    Notes
    -----
    Fitted with ``ddof_scale=0`` and Pearson X2 scale, the moment estimators of
    ``geepack::geeglm``; coefs and robust SEs then match geepack within 1e-6.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(100), 6)
    >>> x = rng.normal(size=600)
    >>> y = (rng.uniform(size=600) < 1 / (1 + np.exp(-(0.5 * x + rng.normal(0, 0.7, 100)[g])))).astype(int)
    >>> fit = fit_gee(pd.DataFrame({"y": y, "x": x, "d": g}), "y ~ x", groups="d")
    >>> fit.coefs_["term"].tolist()
    ['Intercept', 'x']
    >>> round(float(fit.coefs_.loc[1, "estimate"]), 2)  # planted 0.5 (conditional); marginal is smaller
    0.47
    """
    fams = {"binomial": sm.families.Binomial, "poisson": sm.families.Poisson}
    if family not in fams:
        raise ModelInputError(f"fit_gee: family must be one of {list(fams)}, got {family!r}")
    structs = {"exchangeable": sm.cov_struct.Exchangeable, "independence": sm.cov_struct.Independence}
    if cov_struct not in structs:
        raise ModelInputError(f"fit_gee: cov_struct must be one of {list(structs)}, got {cov_struct!r}")
    used = [_lhs(formula), *_formula_columns(df, formula.split("~", 1)[1])]
    _check_columns(df, used + [groups] + ([exposure] if exposure else []), "fit_gee")
    _check_no_na(df, used, "fit_gee")
    codes = _check_groups(df, groups, "fit_gee")
    offset = _log_exposure(df, exposure, "fit_gee") if exposure else None
    if family == "binomial":
        yv = pd.to_numeric(df[used[0]], errors="coerce")
        bad = df.index[~yv.isin((0, 1))]
        if len(bad):
            raise ModelInputError(f"fit_gee: binomial outcome {used[0]!r} must be 0/1; "
                                  f"row {_show(bad[0])!r} has "
                                  f"{_show(df.loc[bad[0], used[0]])!r} ({len(bad)} bad row(s))")
    model = _build(lambda: sm.GEE.from_formula(formula, groups=codes, data=df, family=fams[family](),
                                               cov_struct=structs[cov_struct](), offset=offset), "fit_gee")
    names = list(model.exog_names)
    _check_design(model.exog, names, "fit_gee")
    if family == "binomial":
        _check_separation(np.asarray(model.endog, dtype=int), np.asarray(model.exog, dtype=float), names,
                          "fit_gee", used[0])
    else:
        _check_zero_counts(np.asarray(model.endog, dtype=float), np.asarray(model.exog, dtype=float), names,
                           "fit_gee", used[0])
    _check_cluster_support(model.exog, names, df[groups].to_numpy(), "fit_gee", groups)
    result = model.fit(scale="X2", ddof_scale=0)
    _warn_unconverged(result, "fit_gee")
    dep = model.cov_struct.dep_params
    coefs = _exp_columns(tidy_coefs(result.params, result.bse, alpha))
    return GeeFit(coefs_=coefs, alpha_=float(dep) if np.isscalar(dep) else 0.0,
                  scale_=float(result.scale), result=result)


# --------------------------------------------------------------------------- rates


@dataclass
class RateFit:
    """Result of :func:`fit_rate`.

    Attributes
    ----------
    coefs_ : pandas.DataFrame
        ``term, estimate, se, z, p, ci_low, ci_high, exp_estimate, exp_ci_low, exp_ci_high``;
        ``estimate`` is a log rate ratio (the intercept: log rate per exposure unit), ``exp_*`` the
        rate ratio and its interval (the same names as :class:`GeeFit`).
    llf_ : float
    alpha_ : float
        NB2 dispersion (``Var = mu + alpha mu^2``); 0 for Poisson. ``theta_ = 1/alpha_`` is
        R's ``glm.nb`` theta.
    result :
        The statsmodels ``GLMResults``.
    """

    coefs_: pd.DataFrame
    llf_: float
    alpha_: float
    result: Any = field(repr=False)

    @property
    def theta_(self) -> float:
        return float("inf") if self.alpha_ == 0 else 1.0 / self.alpha_


def _log_exposure(df: pd.DataFrame, col: str, what: str) -> np.ndarray:
    _check_columns(df, [col], what)
    ex = pd.to_numeric(df[col], errors="coerce")
    bad = df.index[~(ex > 0)]
    if len(bad):
        raise ModelInputError(f"{what}: exposure column {col!r} must be > 0; row {_show(bad[0])!r} has "
                              f"{_show(df.loc[bad[0], col])!r} ({len(bad)} bad row(s))")
    return np.log(ex.to_numpy(dtype=float))


def fit_rate(
    df: pd.DataFrame,
    formula: str,
    *,
    exposure: str = "n_tokens",
    family: Literal["poisson", "negbin"] = "poisson",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> RateFit:
    """Count model with a ``log(exposure)`` offset: markers per token, as rate ratios.

    Parameters
    ----------
    df : pandas.DataFrame
    formula : str
        E.g. ``"apology ~ C(lang)"``; the outcome must be a non-negative integer count.
    exposure : str
        Column of exposures (> 0), default ``n_tokens``.
    family : {"poisson", "negbin"}
        ``negbin`` = NB2; alpha by maximum likelihood (statsmodels ``NegativeBinomial``),
        then coefficients and SEs from the GLM at that alpha (as R ``MASS::glm.nb``). Counts that
        are not over-dispersed put the ML alpha on its boundary 0: the Poisson fit is then
        returned (``alpha_ = 0``) with a RuntimeWarning.
    cluster : str, optional
        Cluster column: cluster-robust SEs (with ``G/(G-1)`` and ``(N-1)/(N-K)``
        corrections). Recommended for utterances nested in dialogues.
    alpha : float

    Returns
    -------
    RateFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> n = rng.integers(5, 30, 500)
    >>> ja = np.tile([0, 1], 250)
    >>> k = rng.poisson(n * 0.05 * np.exp(0.7 * ja))
    >>> fit = fit_rate(pd.DataFrame({"k": k, "ja": ja, "n_tokens": n}), "k ~ ja")
    >>> round(float(fit.coefs_.loc[1, "exp_estimate"]), 2)  # planted exp(0.7) = 2.01
    2.05
    """
    if family not in ("poisson", "negbin"):
        raise ModelInputError(f"fit_rate: family must be 'poisson' or 'negbin', got {family!r}")
    ycol = _lhs(formula)
    used = [ycol, *_formula_columns(df, formula.split("~", 1)[1])]
    _check_columns(df, used + [exposure] + ([cluster] if cluster else []), "fit_rate")
    _check_no_na(df, used, "fit_rate")
    yv = pd.to_numeric(df[ycol], errors="coerce")
    bad = df.index[~((yv >= 0) & (yv == np.floor(yv)))]
    if len(bad):
        raise ModelInputError(f"fit_rate: outcome {ycol!r} must be a count >= 0; row {_show(bad[0])!r} has "
                              f"{_show(df.loc[bad[0], ycol])!r} ({len(bad)} bad row(s))")
    offset = _log_exposure(df, exposure, "fit_rate")
    fit_kw: dict[str, Any] = {}
    glm = _build(lambda: smf.glm(formula, df, offset=offset, family=sm.families.Poisson()), "fit_rate")
    names = list(glm.exog_names)
    _check_design(glm.exog, names, "fit_rate")
    _check_zero_counts(np.asarray(glm.endog, dtype=float), np.asarray(glm.exog, dtype=float), names,
                       "fit_rate", ycol)
    if cluster:
        codes = _check_groups(df, cluster, "fit_rate")
        _check_cluster_support(glm.exog, names, df[cluster].to_numpy(), "fit_rate", cluster)
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
    disp = 0.0
    if family == "negbin":
        disp = _negbin_alpha(formula, df, offset)
        if disp > 0:
            glm = _build(lambda: smf.glm(formula, df, offset=offset,
                                         family=sm.families.NegativeBinomial(alpha=disp)), "fit_rate")
    result = glm.fit(tol=1e-12, **fit_kw)
    _warn_unconverged(result, "fit_rate")
    t = _exp_columns(tidy_coefs(result.params, result.bse, alpha))
    return RateFit(coefs_=t, llf_=float(result.llf), alpha_=disp, result=result)


def _negbin_alpha(formula: str, df: pd.DataFrame, offset: np.ndarray) -> float:
    """NB2 dispersion by ML; 0 (Poisson, with a warning) when the counts are not over-dispersed.

    Without over-dispersion the ML alpha is on the boundary 0: statsmodels' optimiser then walks
    log(alpha) towards -inf and returns NaN while reporting convergence (25 of 40 simulated Poisson
    sets), and R's ``glm.nb`` warns "iteration limit reached" with theta -> inf. The Poisson model
    is the limit of NB2 as alpha -> 0, so it is the ML fit there.
    """
    nb = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb_model = _build(lambda: smf.negativebinomial(formula, df, offset=offset), "fit_rate")
        try:
            nb = nb_model.fit(disp=False, maxiter=500, method="bfgs")
            nb = nb_model.fit(disp=False, maxiter=100, start_params=nb.params, method="newton")
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, OverflowError):
            pass  # handled as "no usable dispersion estimate" below
    disp = float(nb.params.iloc[-1]) if nb is not None else float("nan")
    converged = nb is not None and bool((getattr(nb, "mle_retvals", None) or {}).get("converged", False))
    if not np.isfinite(disp) or disp < 1e-8 or not np.isfinite(nb.llf):
        warnings.warn(
            "fit_rate: the counts show no over-dispersion (the negative-binomial dispersion estimate, "
            f"{disp:.3g}, is at or past its boundary alpha = 0), so the Poisson fit is reported "
            "(alpha_ = 0); use cluster= for robust SEs", RuntimeWarning, stacklevel=3)
        return 0.0
    if not converged:
        warnings.warn("fit_rate (negbin dispersion): the optimiser did not converge; estimates may be "
                      "unreliable", RuntimeWarning, stacklevel=3)
    return disp
