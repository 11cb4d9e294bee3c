"""Shared pieces of the regression wrappers: the tidy Wald coefficient table and the convergence warning.

:func:`tidy_coefs` builds the ``term, estimate, se, z, p, ci_low, ci_high`` table every fit in
:mod:`omotenashi_research.stats.models` returns as ``coefs_``; ``_warn_unconverged`` turns a
non-converged statsmodels result into a :class:`RuntimeWarning`. Re-exported by ``stats.models``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "COEF_COLUMNS",
    "tidy_coefs",
]

COEF_COLUMNS: tuple[str, ...] = ("term", "estimate", "se", "z", "p", "ci_low", "ci_high")


def tidy_coefs(params: pd.Series, bse: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Tidy Wald table from estimates and standard errors.

    Parameters
    ----------
    params, bse : pandas.Series
        Estimates and standard errors indexed by term name.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``term, estimate, se, z, p, ci_low, ci_high`` (normal quantiles).

    Examples
    --------
    >>> import pandas as pd
    >>> t = tidy_coefs(pd.Series({"x": 1.96}), pd.Series({"x": 1.0}))
    >>> round(float(t.loc[0, "p"]), 4), round(float(t.loc[0, "ci_low"]), 4)
    (0.05, 0.0)
    """
    est = np.asarray(params, dtype=float)
    se = np.asarray(bse, dtype=float)
    z = est / se
    q = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame({
        "term": list(params.index),
        "estimate": est,
        "se": se,
        "z": z,
        "p": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": est - q * se,
        "ci_high": est + q * se,
    })


def _warn_unconverged(result: Any, what: str) -> bool:
    retvals = getattr(result, "mle_retvals", None) or {}
    converged = bool(retvals.get("converged", getattr(result, "converged", True)))
    if not converged:
        warnings.warn(f"{what}: the optimiser did not converge; estimates may be unreliable",
                      RuntimeWarning, stacklevel=3)
    return converged
