"""Regression models for service-transcript outcomes, as thin statsmodels wrappers with tidy output.

Which model when
----------------
=====================  =====================================================================
outcome                model
=====================  =====================================================================
satisfaction 1-5       :func:`fit_ordinal` -- proportional-odds (``link="logit"``) or ordered
(ordinal)              probit. Treats the scale as ordered but not interval. ``cluster=`` gives
                       cluster-robust SEs when several rows share a dialogue / annotator.
0/1 per utterance,     :func:`fit_gee` -- population-averaged (marginal) effects with
counts per utterance,  robust SEs that stay valid when the working correlation is wrong.
clustered in dialogues Use when the question is "on average across dialogues".
marker counts with     :func:`fit_rate` -- Poisson or negative-binomial GLM with a
varying length         ``log(n_tokens)`` offset; coefficients are log rate ratios (markers per
                       token). Poisson + ``cluster=`` (robust SEs) is consistent for the rate
                       ratios even with over-dispersion; ``negbin`` models the extra variance.
continuous scores      :func:`fit_mixed` -- linear mixed model with a random intercept per
(e.g. scriptedness),   group (REML); gives variance components and the ICC. Its effects are
nested in groups       conditional on the group, unlike GEE's marginal ones.
=====================  =====================================================================

Every fit returns a small result object whose ``coefs_`` is a tidy table with columns
``term, estimate, se, z, p, ci_low, ci_high`` (Wald, normal quantiles) and whose ``result``
is the underlying statsmodels result for anything else. One vocabulary for every model table:
log-link models (:func:`fit_gee`, :func:`fit_rate`) add ``exp_estimate, exp_ci_low,
exp_ci_high`` (odds / rate ratios), and :meth:`OrdinalFit.marginal_effects` uses ``estimate``
for the AME. ``p`` is the p-value column, as in every table of the package.

Inputs that have no finite, identifiable estimate are refused with a
:class:`ModelInputError` that names the term: a constant or all-zero predictor, linearly
dependent predictors, perfect separation (ordinal / binomial outcomes), a subgroup with no events
(count outcomes), a 0/1 term whose 1s (or 0s) come from a single cluster when SEs are clustered,
and one row per group in :func:`fit_mixed`.

Validation against R (``tests/stats/r/reference.R``; numbers stored in the tests)
------------------------------------------------------------------------------
- ordinal: ``ordinal::clm`` -- estimates and logLik within 1e-6. SEs within 1e-5 relative:
  statsmodels takes them from a finite-difference Hessian (step ~1e-5 of the parameter,
  truncation error ~1e-6 relative) while clm uses the analytic one. ``MASS::polr``'s optimum
  is itself only good to ~5e-6 (optim's default ``reltol``), so it is compared within 1e-5.
  Sign convention: clm, polr and statsmodels all use ``logit P(y <= j) = theta_j - x'beta``.
- GEE: ``geepack::geeglm(corstr = "exchangeable")`` -- within 1e-6 (coefs and robust SEs).
  This needs geepack's moment estimators (no degrees-of-freedom corrections: scale = X2 / N,
  alpha over all within-cluster pairs), which is why :func:`fit_gee` passes ``ddof_scale=0``;
  statsmodels' default (``N - p``, ``pairs - p``) moves alpha by ~0.5 % and the coefs by ~1e-5.
- rate: ``glm(..., offset = log(n))`` within 1e-6; ``MASS::glm.nb`` within 1e-6 for coefs,
  SEs and theta (alpha is found by ML over all parameters, then coefficients and SEs come from
  the GLM at that alpha, exactly like glm.nb; the joint observed-information SEs of
  ``statsmodels NegativeBinomial`` differ from glm.nb's by ~1e-3).
- mixed: ``lme4::lmer(REML = TRUE)`` -- fixed effects, SEs and REML logLik within 1e-6, variance
  components within 1e-5 relative (both optimisers stop at a gradient tolerance). The SEs are
  lme4's ``vcov()``, ``sigma^2 (X' V^-1 X)^-1`` at the estimated variance components, computed
  here directly; statsmodels' ``bse`` (inverse of the joint Hessian including the variance
  parameters) agrees on balanced groups but differs by ~1e-4 relative on unbalanced ones.
  (Unbalanced data are tested against a hand computation of that formula, not a live R run.)
- ordinal: the optimum is found on centred, unit-SD predictors and mapped back, and convergence
  is judged by the score on that scale, so predictors in large units (yen, 1e5 + x) give the
  same fit as standardised ones.

Layout
------
The fits live in sibling modules: :mod:`~omotenashi_research.stats.models_ordinal` (:func:`fit_ordinal`),
:mod:`~omotenashi_research.stats.models_counts` (:func:`fit_gee`, :func:`fit_rate`),
:mod:`~omotenashi_research.stats.models_mixed` (:func:`fit_mixed`) and
:mod:`~omotenashi_research.stats.models_common` (:func:`tidy_coefs`); input checks in
:mod:`~omotenashi_research.stats.model_checks`. This module re-exports them (private helpers included,
for the tests).
"""

from __future__ import annotations

from omotenashi_research.stats.model_checks import ModelInputError
from omotenashi_research.stats.models_common import COEF_COLUMNS, _warn_unconverged, tidy_coefs  # noqa: F401
from omotenashi_research.stats.models_counts import (  # noqa: F401
    GeeFit,
    RateFit,
    _exp_columns,
    _log_exposure,
    _negbin_alpha,
    fit_gee,
    fit_rate,
)
from omotenashi_research.stats.models_mixed import MixedFit, _gls_se, fit_mixed  # noqa: F401
from omotenashi_research.stats.models_ordinal import (  # noqa: F401
    OrdinalFit,
    _cdf_pdf,
    _check_ordinal_gradient,
    _fit_cumulative,
    _fit_standardised,
    _start_params,
    _threshold_table,
    fit_ordinal,
)

__all__ = [
    "GeeFit",
    "MixedFit",
    "ModelInputError",
    "OrdinalFit",
    "RateFit",
    "fit_gee",
    "fit_mixed",
    "fit_ordinal",
    "fit_rate",
    "tidy_coefs",
]
