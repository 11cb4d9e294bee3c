"""Linear mixed model with a random intercept per group (REML), for continuous scores nested in groups.

:func:`fit_mixed` returns a :class:`MixedFit` with the fixed effects (SEs as lme4's ``vcov()``),
variance components and the ICC. See :mod:`omotenashi_research.stats.models` for which model to use
when and the validation against R; that module re-exports every name.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from omotenashi_research.stats.model_checks import (
    ModelInputError,
    _build,
    _check_columns,
    _check_design,
    _check_no_na,
    _formula_columns,
    _lhs,
)
from omotenashi_research.stats.models_common import _warn_unconverged, tidy_coefs

__all__ = [
    "MixedFit",
    "fit_mixed",
]


# --------------------------------------------------------------------------- mixed


@dataclass
class MixedFit:
    """Result of :func:`fit_mixed`.

    Attributes
    ----------
    coefs_ : pandas.DataFrame
        Fixed effects ``term, estimate, se, z, p, ci_low, ci_high`` (Wald, normal; lme4
        reports no p-values -- treat them as large-sample approximations). ``se`` is lme4's
        ``vcov()``: ``(X' V^-1 X)^-1`` at the REML (ML) variance components, i.e. conditional on
        them (statsmodels' ``result.bse`` differs on unbalanced groups).
    variance_ : pandas.DataFrame
        ``component`` (``"group"``, ``"residual"``), ``variance``, ``sd``.
    icc_ : float
        group variance / (group + residual variance).
    llf_ : float
        REML (or ML) log-likelihood, on lme4's scale.
    result :
        The statsmodels ``MixedLMResults``.
    """

    coefs_: pd.DataFrame
    variance_: pd.DataFrame
    icc_: float
    llf_: float
    result: Any = field(repr=False)


def _gls_se(exog: np.ndarray, labels: Sequence, rows: dict, v_group: float, v_resid: float) -> np.ndarray:
    """lme4's fixed-effect SEs: sqrt(diag((X' V^-1 X)^-1)) at the estimated variance components.

    V_i = v_resid I + v_group 11' per group, so V_i^-1 = (I - w 11') / v_resid with
    w = v_group / (v_resid + n_i v_group). statsmodels' ``bse`` instead inverts the joint Hessian
    of fixed effects and variance parameters, which differs on unbalanced groups (~1e-4 relative).
    """
    k = exog.shape[1]
    info = np.zeros((k, k))
    for g in labels:
        x = exog[rows[g]]
        w = v_group / (v_resid + len(x) * v_group)
        s = x.sum(axis=0)
        info += (x.T @ x - w * np.outer(s, s)) / v_resid
    return np.sqrt(np.diag(np.linalg.inv(info)))


def fit_mixed(
    df: pd.DataFrame,
    formula: str,
    *,
    groups: str,
    reml: bool = True,
    alpha: float = 0.05,
) -> MixedFit:
    """Linear mixed model with a random intercept per group (``lme4::lmer(y ~ x + (1 | g))``).

    Parameters
    ----------
    df : pandas.DataFrame
    formula : str
        Fixed-effects formula, e.g. ``"scriptedness ~ C(lang)"``.
    groups : str
        Grouping column (dialogue, operator, annotator).
    reml : bool
        REML (default, as lmer) or ML (needed to compare fixed effects by likelihood ratio).
    alpha : float

    Returns
    -------
    MixedFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(40), 10)
    >>> y = 2 + rng.normal(0, 1, 40)[g] + rng.normal(0, 1, 400)
    >>> fit = fit_mixed(pd.DataFrame({"y": y, "g": g}), "y ~ 1", groups="g")
    >>> round(fit.icc_, 2)  # planted 0.5
    0.56
    """
    used = [_lhs(formula), *_formula_columns(df, formula.split("~", 1)[1])]
    _check_columns(df, used + [groups], "fit_mixed")
    _check_no_na(df, used + [groups], "fit_mixed")
    yv = df[used[0]]
    if not pd.api.types.is_numeric_dtype(yv):
        raise ModelInputError(f"fit_mixed: outcome {used[0]!r} must be numeric, got dtype {yv.dtype}")
    n_groups = int(df[groups].nunique())
    if n_groups >= len(df):
        raise ModelInputError(
            f"fit_mixed: {groups!r} has {n_groups} levels for {len(df)} rows (one row per group): the group "
            "and residual variances cannot be told apart (lme4: 'number of levels of each grouping factor "
            "must be < number of observations'); fit an ordinary regression instead")
    model = _build(lambda: smf.mixedlm(formula, df, groups=df[groups]), "fit_mixed")
    _check_design(model.exog, model.exog_names, "fit_mixed")
    with warnings.catch_warnings():
        # statsmodels warns about boundary fits; convergence is checked below
        warnings.simplefilter("ignore")
        result = model.fit(reml=reml)
    _warn_unconverged(result, "fit_mixed")
    v_g, v_e = float(result.cov_re.iloc[0, 0]), float(result.scale)
    se = _gls_se(np.asarray(model.exog, dtype=float), model.group_labels, model.row_indices, v_g, v_e)
    coefs = tidy_coefs(result.fe_params, pd.Series(se, index=result.fe_params.index), alpha)
    variance = pd.DataFrame({"component": ["group", "residual"], "variance": [v_g, v_e],
                             "sd": [np.sqrt(v_g), np.sqrt(v_e)]})
    return MixedFit(coefs_=coefs, variance_=variance, icc_=v_g / (v_g + v_e), llf_=float(result.llf),
                    result=result)
