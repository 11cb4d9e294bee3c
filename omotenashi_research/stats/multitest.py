"""Multiple-testing adjustment of p-values, with R's ``p.adjust`` names accepted.

One place that knows the method names, so that :func:`~omotenashi_research.stats.compare.compare_groups`
can refuse an unknown name before any resampling starts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

__all__ = ["P_ADJUST_METHODS", "p_adjust", "resolve_adjust_method"]

#: statsmodels method names accepted, and R ``p.adjust`` / common aliases mapped onto them.
P_ADJUST_METHODS: dict[str, str] = {
    "bonferroni": "bonferroni",
    "holm": "holm",
    "sidak": "sidak",
    "holm-sidak": "holm-sidak",
    "simes-hochberg": "simes-hochberg",
    "hochberg": "simes-hochberg",
    "hommel": "hommel",
    "fdr_bh": "fdr_bh",
    "bh": "fdr_bh",
    "fdr": "fdr_bh",
    "fdr_by": "fdr_by",
    "by": "fdr_by",
}


def resolve_adjust_method(method: str) -> str:
    """The statsmodels name of an adjustment method (case-insensitive; R's names accepted).

    Examples
    --------
    >>> resolve_adjust_method("BH"), resolve_adjust_method("fdr_bh"), resolve_adjust_method("Holm")
    ('fdr_bh', 'fdr_bh', 'holm')
    """
    key = method.lower() if isinstance(method, str) else method
    if key not in P_ADJUST_METHODS:
        raise ValueError(f"unknown p-value adjustment {method!r}; use one of "
                         f"{sorted(set(P_ADJUST_METHODS))} (R's 'BH', 'BY', 'hochberg' are accepted)")
    return P_ADJUST_METHODS[key]


def p_adjust(p: Sequence[float] | np.ndarray | pd.Series, method: str = "fdr_bh") -> np.ndarray | pd.Series:
    """Adjusted p-values, like R's ``p.adjust`` (missing values stay missing and are not counted).

    Parameters
    ----------
    p : array-like of float
        Raw p-values in [0, 1]; NaN allowed (e.g. a feature whose test failed).
    method : str
        ``"fdr_bh"`` (Benjamini-Hochberg, R ``"BH"``), ``"holm"``, ``"bonferroni"``, ``"fdr_by"``
        (R ``"BY"``), ``"hochberg"``, ``"hommel"``, ``"sidak"``, ``"holm-sidak"``.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Same shape (a Series keeps its index), adjusted values capped at 1.

    Notes
    -----
    Thin wrapper of :func:`statsmodels.stats.multitest.multipletests`; like R (``n = length(p)`` after
    dropping NA) the number of tests is the number of non-missing p-values.

    Examples
    --------
    >>> p_adjust([0.01, 0.04, 0.03, 0.20], "BH").round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> p_adjust([0.01, 0.04, 0.03, 0.20], "holm").round(4).tolist()
    [0.04, 0.09, 0.09, 0.2]
    """
    name = resolve_adjust_method(method)
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"p_adjust: expected a 1-d sequence of p-values, got shape {arr.shape}")
    ok = ~np.isnan(arr)
    bad = ok & ((arr < 0) | (arr > 1))
    if bad.any():
        where, shown = np.flatnonzero(bad)[:10].tolist(), arr[bad][:3].tolist()
        raise ValueError(f"p_adjust: p-values must be in [0, 1]; positions {where} hold {shown}")
    out = np.full(arr.shape, np.nan)
    if ok.any():
        out[ok] = multipletests(arr[ok], method=name)[1]
    if isinstance(p, pd.Series):
        return pd.Series(out, index=p.index, name=p.name)
    return out
