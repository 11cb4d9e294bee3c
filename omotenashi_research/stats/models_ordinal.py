"""Ordinal regression: proportional-odds (logit) or ordered-probit models of 1-5 style ratings.

:func:`fit_ordinal` wraps statsmodels' ``OrderedModel`` (optimum found on centred, unit-SD predictors and
mapped back, optional cluster-robust SEs) and returns an :class:`OrdinalFit` with the tidy slopes,
thresholds and average marginal effects. See :mod:`omotenashi_research.stats.models` for which model
to use when and the validation against R; that module re-exports every name.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime

from omotenashi_research.stats.model_checks import (
    ModelInputError,
    _build,
    _check_cluster_support,
    _check_columns,
    _check_design,
    _check_groups,
    _check_no_na,
    _check_separation,
    _formula_columns,
    _lhs,
)
from omotenashi_research.stats.models_common import COEF_COLUMNS, tidy_coefs

__all__ = [
    "OrdinalFit",
    "fit_ordinal",
]


# --------------------------------------------------------------------------- ordinal


@dataclass
class OrdinalFit:
    """Result of :func:`fit_ordinal`.

    Attributes
    ----------
    coefs_ : pandas.DataFrame
        Slopes then thresholds, columns ``term, kind, estimate, se, z, p, ci_low, ci_high``;
        ``kind`` is ``"slope"`` or ``"threshold"`` (term ``"1|2"`` = cut between categories).
    thresholds_ : pandas.DataFrame
        The threshold rows of ``coefs_``. SEs from the delta method on statsmodels'
        (first cut, log increments) parametrisation.
    llf_ : float
        Maximised log-likelihood.
    categories_ : list
        Outcome categories, lowest first.
    converged_ : bool
    result :
        The statsmodels ``OrderedResults``.
    """

    coefs_: pd.DataFrame
    thresholds_: pd.DataFrame
    llf_: float
    categories_: list
    link: str
    converged_: bool
    result: Any = field(repr=False)
    _slope_names: list[str] = field(repr=False, default_factory=list)
    _predictors: list[str] | None = field(repr=False, default=None)
    _cluster: np.ndarray | None = field(repr=False, default=None)
    _refit: Any = field(repr=False, default=None)
    _needed: list[str] = field(repr=False, default_factory=list)  # predictor columns of the data

    # probabilities from (raw statsmodels params, exog)
    def _probs(self, params: np.ndarray, exog: np.ndarray) -> np.ndarray:
        k = len(self._slope_names)
        cuts = self.result.model.transform_threshold_params(params)
        xb = exog @ params[:k]
        dist = stats.logistic if self.link == "logit" else stats.norm
        cdf = dist.cdf(cuts[None, :] - xb[:, None])
        return np.diff(cdf, axis=1)

    def predict_proba(self, newdata: pd.DataFrame | None = None) -> pd.DataFrame:
        """Predicted probability of each category.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows with the predictor columns; defaults to the fitted data.

        Returns
        -------
        pandas.DataFrame
            Long table ``row, category, prob`` (``row`` = index label of ``newdata``, or the
            position in the fitted data); probabilities of each row sum to 1.
        """
        if newdata is None:
            probs = self._probs(np.asarray(self.result.params), np.asarray(self.result.model.exog, float))
            index = pd.RangeIndex(probs.shape[0])
        else:
            needed = self._needed
            _check_columns(newdata, needed, "predict_proba")
            _check_no_na(newdata, needed, "predict_proba")
            exog = newdata[self._predictors].astype(float) if self._predictors is not None else newdata
            try:
                probs = np.asarray(self.result.predict(exog=exog), dtype=float)
            except Exception as exc:  # the formula engine's message names the missing variable
                raise ModelInputError(f"predict_proba: cannot build the design matrix from newdata: {exc}") \
                    from exc
            index = newdata.index
        n, k = probs.shape
        return pd.DataFrame({
            "row": np.repeat(np.asarray(index), k),
            "category": np.tile(np.asarray(self.categories_, dtype=object), n),
            "prob": probs.ravel(),
        })

    def _ame(self, params: np.ndarray, exog: np.ndarray, discrete: list[bool]) -> np.ndarray:
        """Average marginal effects, shape (n_slopes, n_categories)."""
        k = len(self._slope_names)
        out = np.empty((k, len(self.categories_)))
        dist = stats.logistic if self.link == "logit" else stats.norm
        cuts = self.result.model.transform_threshold_params(params)
        xb = exog @ params[:k]
        dens = dist.pdf(cuts[None, :] - xb[:, None])  # pdf(+-inf) = 0
        for j in range(k):
            if discrete[j]:
                hi, lo = exog.copy(), exog.copy()
                hi[:, j], lo[:, j] = 1.0, 0.0
                out[j] = (self._probs(params, hi) - self._probs(params, lo)).mean(axis=0)
            else:
                # dP(y=c)/dx_j = -beta_j [f(theta_c - xb) - f(theta_{c-1} - xb)]
                out[j] = (-params[j] * np.diff(dens, axis=1)).mean(axis=0)
        return out

    def marginal_effects(
        self,
        *,
        discrete: Literal["auto", "never"] = "auto",
        se: Literal["delta", "bootstrap"] = "delta",
        n_boot: int = 200,
        seed: int | None = 0,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Average marginal effects (AME) of each predictor on each category probability.

        For a continuous column the AME is the analytic derivative
        ``dP(y=c)/dx = -beta [f(theta_c - x'b) - f(theta_{c-1} - x'b)]`` averaged over the
        fitted rows. For a design column that only takes 0/1 (``discrete="auto"``) it is the
        discrete change ``P(y=c | col=1) - P(y=c | col=0)`` averaged over the rows, other
        columns at their observed values. Columns are changed one at a time in the design
        matrix, so interactions built by the formula are not propagated: fit interactions as
        explicit columns if their AMEs are needed. AMEs of one predictor sum to 0 over
        categories.

        Standard errors: ``"delta"`` (default) -- gradient of the AMEs with respect to all
        parameters by central finite differences, times the model's covariance (cluster-robust
        when the model was fitted with ``cluster=``); ``"bootstrap"`` -- refit on ``n_boot``
        resamples of rows (of clusters when fitted with ``cluster=``), SE = SD of the AMEs.
        Intervals are Wald ``estimate +- z * se`` in both cases.

        Returns
        -------
        pandas.DataFrame
            ``term, category, estimate, se, ci_low, ci_high`` (``estimate`` = the AME, a change in
            probability; the column vocabulary of every model table).
        """
        if se not in ("delta", "bootstrap"):
            raise ModelInputError(f"marginal_effects: se must be 'delta' or 'bootstrap', got {se!r}")
        model = self.result.model
        exog = np.asarray(model.exog, dtype=float)
        params = np.asarray(self.result.params, dtype=float)
        is01 = [discrete == "auto" and bool(np.isin(exog[:, j], (0.0, 1.0)).all())
                for j in range(len(self._slope_names))]
        ame = self._ame(params, exog, is01)
        k, c = ame.shape
        if se == "delta":
            grad = approx_fprime(params, lambda p: self._ame(p, exog, is01).ravel(), centered=True)
            cov = np.asarray(self.result.cov_params(), dtype=float)
            sd = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grad, cov, grad), 0, None)).reshape(k, c)
        else:
            rng = np.random.default_rng(seed)
            units = self._cluster if self._cluster is not None else np.arange(exog.shape[0])
            uniq = np.unique(units)
            rows_of = {u: np.flatnonzero(units == u) for u in uniq}
            draws = []
            for _ in range(n_boot):
                pick = np.concatenate([rows_of[u] for u in rng.choice(uniq, size=len(uniq), replace=True)])
                try:
                    p_b = self._refit(pick)
                except Exception:  # a resample missing a category cannot be fitted; skip it
                    continue
                draws.append(self._ame(p_b, exog[pick], is01))
            if len(draws) < max(10, n_boot // 2):
                raise ModelInputError(f"marginal_effects: only {len(draws)} of {n_boot} bootstrap refits "
                                      "succeeded (sparse categories?); use se='delta'")
            sd = np.std(np.stack(draws), axis=0, ddof=1)
        q = stats.norm.ppf(1 - alpha / 2)
        return pd.DataFrame({
            "term": np.repeat(self._slope_names, c),
            "category": np.tile(np.asarray(self.categories_, dtype=object), k),
            "estimate": ame.ravel(),
            "se": sd.ravel(),
            "ci_low": (ame - q * sd).ravel(),
            "ci_high": (ame + q * sd).ravel(),
        })


def _threshold_table(result: Any, n_slopes: int, categories: list, alpha: float) -> pd.DataFrame:
    params = np.asarray(result.params, dtype=float)
    cov = np.asarray(result.cov_params(), dtype=float)
    raw = params[n_slopes:]
    cuts = np.cumsum(np.r_[raw[0], np.exp(raw[1:])])
    # d cut_i / d raw_j = 1 for j = 0, exp(raw_j) for 1 <= j <= i
    jac = np.tril(np.tile(np.r_[1.0, np.exp(raw[1:])], (len(raw), 1)))
    cov_c = jac @ cov[n_slopes:, n_slopes:] @ jac.T
    names = [f"{categories[i]}|{categories[i + 1]}" for i in range(len(cuts))]
    return tidy_coefs(pd.Series(cuts, index=names), pd.Series(np.sqrt(np.diag(cov_c)), index=names), alpha)


def _cdf_pdf(z: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray]:
    if link == "logit":
        cdf = special.expit(z)
        return cdf, cdf * (1 - cdf)
    return special.ndtr(z), np.exp(-0.5 * np.square(np.where(np.isfinite(z), z, 0.0))) * np.isfinite(z) \
        / np.sqrt(2 * np.pi)


def _fit_cumulative(
    codes: np.ndarray, exog: np.ndarray, n_cat: int, link: str, start: np.ndarray
) -> np.ndarray:
    """ML fit of the cumulative-link model with an analytic gradient (bootstrap refits).

    Same parametrisation as statsmodels' OrderedModel: slopes, first cut, log cut increments.
    statsmodels' own fit differentiates numerically (~250 likelihood calls per fit); this is
    ~10x faster for the hundreds of refits a bootstrap needs.
    """
    k = exog.shape[1]
    onehot_hi = np.eye(n_cat)[codes][:, : n_cat - 1]  # category c uses cut c as upper bound
    onehot_lo = np.eye(n_cat + 1)[codes][:, 1:n_cat]  # ... and cut c-1 as lower bound

    def nll_grad(par: np.ndarray) -> tuple[float, np.ndarray]:
        beta, raw = par[:k], par[k:]
        steps = np.r_[raw[0], np.exp(raw[1:])]
        cuts = np.r_[-np.inf, np.cumsum(steps), np.inf]
        xb = exog @ beta
        f_hi, d_hi = _cdf_pdf(cuts[codes + 1] - xb, link)
        f_lo, d_lo = _cdf_pdf(cuts[codes] - xb, link)
        prob = np.clip(f_hi - f_lo, 1e-300, None)
        g_beta = -(exog * ((d_hi - d_lo) / prob)[:, None]).sum(axis=0)
        g_cut = ((onehot_hi * d_hi[:, None] - onehot_lo * d_lo[:, None]) / prob[:, None]).sum(axis=0)
        jac = np.tril(np.tile(np.r_[1.0, steps[1:]], (len(raw), 1)))  # d cut / d raw
        return -float(np.log(prob).sum()), -np.r_[g_beta, g_cut @ jac]

    res = optimize.minimize(nll_grad, start, jac=True, method="BFGS", options={"gtol": 1e-8})
    if not np.isfinite(res.x).all() or not np.isfinite(res.fun):
        raise FloatingPointError("cumulative-link fit diverged")
    return np.asarray(res.x, dtype=float)


def _fit_standardised(codes: np.ndarray, exog: np.ndarray, n_cat: int, link: str) -> np.ndarray:
    """:func:`_fit_cumulative` on centred, unit-SD columns, mapped back to the raw parametrisation.

    With z = (x - m) / s: theta_j - z'b = (theta_j + m'beta) - x'beta, beta = b / s, so the slopes
    are divided by s and the first cut shifted by m'beta; the log cut increments do not change.
    """
    k = exog.shape[1]
    centre = exog.mean(axis=0)
    scale = exog.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (exog - centre) / scale
    par = _fit_cumulative(codes, z, n_cat, link, _start_params(codes, n_cat, k, link))
    beta = par[:k] / scale
    return np.r_[beta, par[k] + centre @ beta, par[k + 1:]]


def _check_ordinal_gradient(result: Any, link: str) -> bool:
    """Warn (and return False) when the reported optimum is not a stationary point.

    The score is taken on the standardised scale (slope gradient times the column SD), where a
    converged fit has |score| far below 1e-3; statsmodels' own check is on the raw scale, where a
    column in large units makes tiny gradients that hide a wrong optimum.
    """
    m = result.model
    exog = np.asarray(m.exog, dtype=float)
    k = exog.shape[1]
    codes = np.asarray(m.endog, dtype=int)
    params = np.asarray(result.params, dtype=float)
    scale = exog.std(axis=0)
    centre = exog.mean(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (exog - centre) / scale
    std_par = np.r_[params[:k] * scale, params[k] - centre @ params[:k], params[k + 1:]]
    grad = np.empty_like(std_par)

    def nll(p: np.ndarray) -> float:
        beta, raw = p[:k], p[k:]
        cuts = np.r_[-np.inf, np.cumsum(np.r_[raw[0], np.exp(raw[1:])]), np.inf]
        xb = z @ beta
        hi = _cdf_pdf(cuts[codes + 1] - xb, link)[0]
        lo = _cdf_pdf(cuts[codes] - xb, link)[0]
        return -float(np.log(np.clip(hi - lo, 1e-300, None)).sum())

    for j in range(len(std_par)):
        h = 1e-6 * max(1.0, abs(std_par[j]))
        up, dn = std_par.copy(), std_par.copy()
        up[j] += h
        dn[j] -= h
        grad[j] = (nll(up) - nll(dn)) / (2 * h)
    worst = float(np.max(np.abs(grad)))
    if not np.isfinite(worst) or worst > 1e-3:
        warnings.warn(f"fit_ordinal: the optimiser stopped where the score is not zero (max |gradient| "
                      f"{worst:.2g} on standardised predictors); estimates are unreliable. Rescale the "
                      "predictors (e.g. thousands of yen, z-scores) and refit", RuntimeWarning, stacklevel=3)
        return False
    return True


def _start_params(codes: np.ndarray, n_cat: int, k: int, link: str) -> np.ndarray:
    """Slopes 0, cuts at the link-scale cumulative proportions (in the raw parametrisation)."""
    cum = np.cumsum(np.bincount(codes, minlength=n_cat))[:-1] / len(codes)
    cum = np.clip(cum, 1e-3, 1 - 1e-3)
    cuts = special.logit(cum) if link == "logit" else special.ndtri(cum)
    steps = np.maximum(np.diff(cuts), 1e-3)
    return np.r_[np.zeros(k), cuts[0], np.log(steps)]


def fit_ordinal(
    df: pd.DataFrame,
    formula: str | None = None,
    *,
    y: str | None = None,
    X: Sequence[str] | None = None,
    link: Literal["logit", "probit"] = "logit",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> OrdinalFit:
    """Cumulative-link (proportional-odds) model for an ordered outcome such as satisfaction 1-5.

    Model: ``P(y <= j | x) = F(theta_j - x'beta)`` with ``F`` logistic (``link="logit"``) or
    standard normal (``"probit"``); a positive ``beta`` shifts mass to higher categories. Same
    parametrisation as R ``ordinal::clm`` and ``MASS::polr``. No intercept: the thresholds play
    its role (an intercept in the formula is dropped by statsmodels).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per rated unit.
    formula : str, optional
        Patsy formula ``"y ~ x1 + C(lang)"``; the outcome must be a plain column. Either this
        or ``y`` + ``X``.
    y, X : str, sequence of str
        Outcome column and numeric predictor columns (alternative to ``formula``).
    link : {"logit", "probit"}
    cluster : str, optional
        Column with cluster ids (dialogue, annotator): SEs become cluster-robust (sandwich
        with statsmodels' small-sample factor ``G/(G-1) * (N-1)/(N-K)``).
    alpha : float
        1 - confidence level.

    Returns
    -------
    OrdinalFit
        ``coefs_``, ``thresholds_``, ``llf_``, ``predict_proba``, ``marginal_effects``.

    Raises
    ------
    ModelInputError
        Missing columns, NA values (with their row labels), fewer than 3 outcome categories,
        or an unknown ``link``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> sat = 1 + np.searchsorted([-1.0, 0.0, 1.0], 1.0 * x + rng.logistic(size=400))
    >>> fit = fit_ordinal(pd.DataFrame({"sat": sat, "x": x}), "sat ~ x")
    >>> fit.coefs_.loc[0, ["term", "kind"]].tolist()
    ['x', 'slope']
    >>> round(float(fit.coefs_.loc[0, "estimate"]), 2)  # planted 1.0
    1.15
    """
    if link not in ("logit", "probit"):
        raise ModelInputError(f"fit_ordinal: link must be 'logit' or 'probit', got {link!r}")
    if formula is None:
        if y is None or X is None:
            raise ModelInputError("fit_ordinal: give either formula or both y and X")
        predictors: list[str] | None = list(X)
        ycol, used = y, [y, *predictors]
    else:
        predictors = None
        ycol = _lhs(formula)
        used = [ycol, *[c for c in _formula_columns(df, formula.split("~", 1)[1]) if c != ycol]]
    _check_columns(df, used + ([cluster] if cluster else []), "fit_ordinal")
    _check_no_na(df, used, "fit_ordinal")
    groups = _check_groups(df, cluster, "fit_ordinal") if cluster else None

    yv = df[ycol]
    categories = list(yv.cat.categories if isinstance(yv.dtype, pd.CategoricalDtype) else sorted(yv.unique()))
    if isinstance(yv.dtype, pd.CategoricalDtype):
        categories = [c for c in categories if (yv == c).any()]
    if len(categories) < 3:
        raise ModelInputError(f"fit_ordinal: outcome {ycol!r} has {len(categories)} observed categories "
                              f"({categories}); an ordinal model needs >= 3 (use a logit GEE/GLM for 2)")
    data = df.copy()
    data[ycol] = pd.Categorical(yv, categories=categories, ordered=True)
    if predictors is not None:
        bad = [c for c in predictors if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise ModelInputError(f"fit_ordinal: predictor column(s) {bad} are not numeric; "
                                  "encode them or use a formula with C(...)")
        model = OrderedModel(data[ycol], data[predictors].astype(float), distr=link)
    else:
        model = _build(lambda: OrderedModel.from_formula(formula, data, distr=link), "fit_ordinal")

    fit_kw: dict[str, Any] = {"cov_type": "cluster", "cov_kwds": {"groups": groups}} if cluster else {}
    names = list(model.exog_names)[: model.exog.shape[1]]
    _check_design(model.exog, names, "fit_ordinal", thresholds=True)
    _check_separation(np.asarray(model.endog, dtype=int), np.asarray(model.exog, dtype=float), names,
                      "fit_ordinal", ycol)
    if cluster:
        _check_cluster_support(model.exog, names, df[cluster].to_numpy(), "fit_ordinal", cluster)

    def _fit(m: OrderedModel, **kw: Any) -> Any:
        # Optimum from our analytic-gradient BFGS (~10x faster than statsmodels' numerical
        # gradients) on centred and scaled columns: a predictor in large units (e.g. yen, or
        # 1e5 + x) otherwise stops BFGS early at a wrong point that it reports as converged.
        # statsmodels then confirms it and supplies the Hessian / covariance.
        codes = np.asarray(m.endog, dtype=int)
        try:
            start = _fit_standardised(codes, np.asarray(m.exog, dtype=float), len(categories), link)
        except Exception:  # fall back to statsmodels' own optimiser from its default start
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = m.fit(method="bfgs", disp=False, maxiter=1000, skip_hessian=True).params
        else:
            # Our optimum is final: statsmodels' numerical raw-scale gradient would move it off by
            # up to 1e-4 when a column is in large units. maxiter=0 only adds the Hessian / covariance;
            # convergence is judged by the score check below.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return m.fit(method="bfgs", disp=False, start_params=start, maxiter=0, **kw)
        res = m.fit(method="bfgs", disp=False, start_params=start, maxiter=1000, **kw)
        if not res.mle_retvals.get("converged", False):  # polish with Newton
            res = m.fit(method="newton", disp=False, start_params=res.params, maxiter=100, **kw)
        return res

    result = _fit(model, **fit_kw)
    converged = _check_ordinal_gradient(result, link)
    if not np.isfinite(np.asarray(result.bse, dtype=float)).all():
        warnings.warn("fit_ordinal: the information matrix could not be inverted, some SEs are NaN "
                      "(near-empty categories or near-collinear predictors?)", RuntimeWarning, stacklevel=2)
    slope_names = list(model.exog_names)[: model.exog.shape[1]]
    n_slopes = len(slope_names)
    slopes = tidy_coefs(result.params.iloc[:n_slopes], result.bse.iloc[:n_slopes], alpha)
    thr = _threshold_table(result, n_slopes, categories, alpha)
    coefs = pd.concat([slopes.assign(kind="slope"), thr.assign(kind="threshold")], ignore_index=True)
    coefs = coefs[["term", "kind", *COEF_COLUMNS[1:]]]

    endog_codes = np.asarray(data[ycol].cat.codes)
    exog_all = np.asarray(model.exog, dtype=float)

    def refit(rows: np.ndarray) -> np.ndarray:
        codes = endog_codes[rows]
        if len(np.unique(codes)) < len(categories):
            raise ValueError("resample lacks a category")
        return _fit_cumulative(codes, exog_all[rows], len(categories), link, np.asarray(result.params))

    return OrdinalFit(
        coefs_=coefs,
        thresholds_=coefs[coefs["kind"] == "threshold"].reset_index(drop=True),
        llf_=float(result.llf),
        categories_=categories,
        link=link,
        converged_=converged,
        result=result,
        _slope_names=slope_names,
        _predictors=predictors,
        _cluster=groups,
        _refit=refit,
        _needed=used[1:],
    )
