"""Predicted probabilities with confidence bands, kept inside the observed range of the predictors.

A coefficient table answers "which way, and how sure"; a predicted-probability curve answers "how much,
on the probability scale", which is what readers of a satisfaction study usually want. Two rules keep the
curves honest:

* **Bands, not just lines.** Every prediction carries a Wald interval from the delta method with the
  model's own covariance (cluster-robust when the model was fitted that way). The interval is built on
  the **logit scale** of the predicted probability and transformed back, so it never leaves (0, 1).
* **No extrapolation.** :func:`observed_grid` spans a predictor from its observed minimum to its observed
  maximum (among the rows that match the other settings of the grid, e.g. one corpus), and
  :func:`predict_bands` refuses a grid that leaves the range of the data it is given.

Supported fits: :class:`~omotenashi_research.stats.models.OrdinalFit` (one probability per outcome
category) and binomial :class:`~omotenashi_research.stats.models.GeeFit` (probability of the event).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.tools.numdiff import approx_fprime

from omotenashi_research.stats.model_checks import ModelInputError
from omotenashi_research.stats.models import GeeFit, OrdinalFit

__all__ = ["check_observed_range", "observed_grid", "predict_bands"]

# predicted probabilities are clipped this far from 0 and 1 before taking logits (a probability of
# exactly 0 or 1 only arises from underflow; its band is then a point)
_EPS = 1e-12


def observed_grid(
    data: pd.DataFrame,
    x: str,
    *,
    n: int = 41,
    at: Mapping[str, Any] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A prediction grid over the **observed** range of one predictor.

    Parameters
    ----------
    data : pandas.DataFrame
        The data the model was fitted on.
    x : str
        Numeric predictor to vary.
    n : int
        Grid points (at least 2). A predictor with at most two distinct observed values (e.g. 0/1)
        gets exactly those values.
    at : mapping, optional
        Settings of other columns (e.g. ``{"corpus": "uss-mwoz"}``). They are put in every grid row
        **and** restrict the rows whose range of ``x`` is used: the curve covers only values of ``x``
        seen together with these settings.
    fixed : mapping, optional
        Further constant columns put in the grid without restricting the range (e.g. other predictors
        held at 0, their mean on a z-scale).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows (fewer for a discrete predictor): ``x`` from the observed minimum to the observed
        maximum, plus the ``at`` and ``fixed`` columns.

    Raises
    ------
    ModelInputError
        ``x`` or an ``at`` column missing, ``x`` not numeric, or no row matching ``at``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [0.0, 1.0, 2.0, 5.0], "g": ["a", "a", "a", "b"]})
    >>> observed_grid(d, "x", n=3, at={"g": "a"}, fixed={"z": 0.0}).to_dict("list")
    {'x': [0.0, 1.0, 2.0], 'g': ['a', 'a', 'a'], 'z': [0.0, 0.0, 0.0]}
    """
    at = dict(at or {})
    fixed = dict(fixed or {})
    missing = [c for c in [x, *at] if c not in data.columns]
    if missing:
        raise ModelInputError(f"observed_grid: column(s) {missing} not in the data "
                              f"(columns: {list(data.columns)[:20]})")
    if n < 2:
        raise ModelInputError(f"observed_grid: n must be >= 2, got {n}")
    if not pd.api.types.is_numeric_dtype(data[x]):
        raise ModelInputError(f"observed_grid: predictor {x!r} is not numeric ({data[x].dtype})")
    mask = np.ones(len(data), dtype=bool)
    for col, value in at.items():
        mask &= (data[col] == value).to_numpy()
    values = pd.to_numeric(data.loc[mask, x], errors="coerce").dropna()
    if values.empty:
        raise ModelInputError(f"observed_grid: no row with {at} has a value of {x!r}")
    distinct = np.unique(values.to_numpy(float))
    # a 0/1 (or constant) predictor has no values in between: predict at what was observed
    grid = distinct if len(distinct) <= 2 else np.linspace(distinct[0], distinct[-1], n)
    out = pd.DataFrame({x: grid})
    for col, value in {**at, **fixed}.items():
        out[col] = value
    return out


def check_observed_range(newdata: pd.DataFrame, data: pd.DataFrame, columns: Sequence[str] | None = None,
                         *, tol: float = 1e-9) -> None:
    """Raise if a numeric column of ``newdata`` leaves the range observed in ``data``.

    Parameters
    ----------
    newdata, data : pandas.DataFrame
        Prediction grid and the data the model was fitted on.
    columns : sequence of str, optional
        Columns to check (default: numeric columns present in both).
    tol : float
        Absolute slack for rounding (grid end points computed from the data).

    Raises
    ------
    ModelInputError
        Naming the column, the first offending grid row and the observed range.

    Examples
    --------
    >>> import pandas as pd
    >>> check_observed_range(pd.DataFrame({"x": [0.5]}), pd.DataFrame({"x": [0.0, 1.0]}))  # fine
    >>> grid, data = pd.DataFrame({"x": [2.0]}), pd.DataFrame({"x": [0.0, 1.0]})
    >>> check_observed_range(grid, data)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omotenashi_research.stats.model_checks.ModelInputError: predict_bands: newdata row 0 has x = 2 ...
    """
    if columns is None:
        columns = [c for c in newdata.columns if c in data.columns
                   and pd.api.types.is_numeric_dtype(newdata[c]) and pd.api.types.is_numeric_dtype(data[c])]
    for col in columns:
        lo, hi = float(data[col].min()), float(data[col].max())
        vals = pd.to_numeric(newdata[col], errors="coerce")
        out = (vals < lo - tol) | (vals > hi + tol)
        if out.any():
            row = out.idxmax()
            raise ModelInputError(f"predict_bands: newdata row {row!r} has {col} = {vals[row]:g} outside "
                                  f"the observed range [{lo:g}, {hi:g}]; predictions there would be "
                                  "extrapolations")


def _design(result: Any, newdata: pd.DataFrame, names: list[str], what: str) -> np.ndarray:
    """Design matrix of ``newdata`` in the fitted model's column order (formula or plain columns)."""
    if getattr(result.model, "formula", None) is None:  # fitted from plain columns: they are the exog names
        missing = [c for c in names if c not in newdata.columns]
        if missing:
            raise ModelInputError(f"{what}: newdata lacks predictor column(s) {missing}")
        return newdata[names].to_numpy(float)
    try:
        # statsmodels' own formula transform (what ``result.predict`` uses): the same coding of
        # categories and the same spline / transform state as at fit time
        exog, _ = result._transform_predict_exog(newdata, transform=True)
    except Exception as exc:  # the formula engine names the missing variable or the unseen level
        raise ModelInputError(f"{what}: cannot build the design matrix from newdata: {exc}") from exc
    if isinstance(exog, pd.DataFrame):
        missing = [c for c in names if c not in exog.columns]
        if missing:
            raise ModelInputError(f"{what}: design columns {missing} not produced from newdata")
        return exog[names].to_numpy(float)
    exog = np.asarray(exog, dtype=float)  # already in the model's column order
    if exog.ndim != 2 or exog.shape[1] != len(names):
        raise ModelInputError(f"{what}: newdata gave a design of shape {exog.shape}, the model has "
                              f"{len(names)} columns {names}")
    return exog


def _logit_band(prob: np.ndarray, grad_logit: np.ndarray, cov: np.ndarray, q: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", grad_logit, cov, grad_logit), 0, None))
    eta = special.logit(np.clip(prob, _EPS, 1 - _EPS))
    return se, special.expit(eta - q * se), special.expit(eta + q * se)


def _ordinal_probs(fit: OrdinalFit, params: np.ndarray, exog: np.ndarray) -> np.ndarray:
    k = exog.shape[1]
    cuts = fit.result.model.transform_threshold_params(params)
    dist = stats.logistic if fit.link == "logit" else stats.norm
    return np.diff(dist.cdf(cuts[None, :] - (exog @ params[:k])[:, None]), axis=1)


def predict_bands(
    fit: OrdinalFit | GeeFit,
    newdata: pd.DataFrame,
    *,
    data: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Predicted probabilities with delta-method confidence bands.

    Parameters
    ----------
    fit : OrdinalFit or GeeFit
        From :func:`~omotenashi_research.stats.models.fit_ordinal` or a binomial
        :func:`~omotenashi_research.stats.models.fit_gee`.
    newdata : pandas.DataFrame
        Rows to predict (e.g. from :func:`observed_grid`); needs every predictor of the model.
    data : pandas.DataFrame, optional
        The data the model was fitted on. When given, every numeric column of ``newdata`` must lie in
        its observed range (:func:`check_observed_range`): no extrapolated curves.
    alpha : float
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        Long table ``row, category, prob, se, ci_low, ci_high`` (``row`` = index label of ``newdata``;
        ``se`` is on the logit scale of ``prob``). Ordinal fits give one row per outcome category
        (probabilities of a row sum to 1); a GEE fit gives one row per ``newdata`` row with
        ``category = 1`` (the event).

    Notes
    -----
    For each predicted probability ``p`` the band is ``expit(logit(p) +- z * se)``, with
    ``se^2 = g' V g``, ``g`` the gradient of ``logit(p)`` with respect to the model parameters and ``V``
    their covariance (the model's, robust where the model is). For a binomial GEE ``logit(p) = x'b``,
    so ``g = x``. For an ordinal model the lowest category has ``logit(p) = theta_1 - x'b`` and the
    highest ``x'b - theta_last`` (logit link); the others are differenced CDFs, whose gradient is taken
    by central finite differences on statsmodels' parametrisation (first cut point, log increments).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omotenashi_research.stats.models import fit_gee
    >>> d = pd.DataFrame({"y": [1, 0, 0, 0, 1, 1, 0, 1], "x": [0, 0, 0, 0, 1, 1, 1, 1],
    ...                   "g": range(8)})
    >>> fit = fit_gee(d, "y ~ x", groups="g", cov_struct="independence")
    >>> p = predict_bands(fit, pd.DataFrame({"x": [0, 1]}), data=d)
    >>> p["prob"].round(3).tolist()  # the observed shares, 1/4 and 3/4
    [0.25, 0.75]
    >>> bool((p["ci_low"] < p["prob"]).all() and (p["prob"] < p["ci_high"]).all())
    True
    """
    if not isinstance(fit, (OrdinalFit, GeeFit)):
        raise ModelInputError(f"predict_bands: expected an OrdinalFit or GeeFit, got {type(fit).__name__}")
    if not 0 < alpha < 1:
        raise ModelInputError(f"predict_bands: alpha must be in (0, 1), got {alpha}")
    if data is not None:
        check_observed_range(newdata, data)
    q = float(stats.norm.ppf(1 - alpha / 2))
    params = np.asarray(fit.result.params, dtype=float)
    cov = np.asarray(fit.result.cov_params(), dtype=float)
    if isinstance(fit, OrdinalFit):
        names = list(fit._slope_names)
        if fit._predictors is not None:
            exog = _design_plain(newdata, names)
        else:
            exog = _design(fit.result, newdata, names, "predict_bands")
        probs = _ordinal_probs(fit, params, exog)
        n, c = probs.shape

        def logit_probs(p: np.ndarray) -> np.ndarray:
            return special.logit(np.clip(_ordinal_probs(fit, p, exog), _EPS, 1 - _EPS)).ravel()

        grad = approx_fprime(params, logit_probs, centered=True)
        se, lo, hi = _logit_band(probs.ravel(), grad, cov, q)
        return pd.DataFrame({
            "row": np.repeat(np.asarray(newdata.index), c),
            "category": np.tile(np.asarray(fit.categories_, dtype=object), n),
            "prob": probs.ravel(), "se": se, "ci_low": lo, "ci_high": hi,
        })
    family = type(fit.result.model.family).__name__
    if family != "Binomial":
        raise ModelInputError(f"predict_bands: only binomial GEE fits give probabilities, got {family}")
    names = list(fit.result.model.exog_names)
    exog = _design(fit.result, newdata, names, "predict_bands")
    prob = special.expit(exog @ params)
    se, lo, hi = _logit_band(prob, exog, cov, q)  # logit(p) = x'b: the gradient is x
    return pd.DataFrame({"row": np.asarray(newdata.index), "category": 1, "prob": prob, "se": se,
                         "ci_low": lo, "ci_high": hi})


def _design_plain(newdata: pd.DataFrame, names: list[str]) -> np.ndarray:
    missing = [c for c in names if c not in newdata.columns]
    if missing:
        raise ModelInputError(f"predict_bands: newdata lacks predictor column(s) {missing}")
    return newdata[names].to_numpy(float)
