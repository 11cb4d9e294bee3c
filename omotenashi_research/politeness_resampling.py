"""The fitting and resampling machinery shared by the politeness models.

Split out of :mod:`omotenashi_research.politeness_models` (which re-exports :data:`ALPHA`): the ridge
pipeline (``StandardScaler`` + ``Ridge`` with :data:`ALPHA`), seeded out-of-fold predictions, and the
vectorised bootstrap statistics (R² and Spearman's rho over many resamples at once) that
:mod:`~omotenashi_research.politeness_models` and :mod:`~omotenashi_research.politeness_transfer` build
their estimates and confidence intervals from. Also the input check that turns feature columns into a
float matrix with an error naming the bad row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["ALPHA"]

#: Ridge penalty on standardised features. With thousands of rated texts and at most a few dozen features
#: the penalty hardly matters (searching 0.01-1000 by inner CV changed out-of-fold R² by < 0.001 on the
#: multilingual politeness data) and a fixed one keeps every fit cheap; it only steadies collinear blocks.
ALPHA: float = 1.0


def _numeric(df: pd.DataFrame, columns: Sequence[str], what: str) -> np.ndarray:
    """Columns as a float matrix; NaN, infinite or negative counts are an error naming the rows."""
    x = df[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{what}: {columns[c]!r} is missing or not numeric at row {df.index[r]!r} "
                         f"({int(bad.any(axis=1).sum())} bad row(s))")
    return x


def _small_blas():
    """One BLAS thread: for matrices of a few thousand rows x a few dozen columns, threads cost more than
    they save, and on a loaded machine OpenBLAS threads that spin made a ridge fit >10x slower (measured
    0.16 s vs 0.012 s for one 5,130 x 71 Gram matrix at load 9 on 2 cores)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _pipeline():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), Ridge(alpha=ALPHA))


def _oof(x: np.ndarray, y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Out-of-fold predictions of the ridge pipeline under seeded shuffled k-fold CV."""
    from sklearn.model_selection import KFold, cross_val_predict

    if x.shape[1] == 0:  # no predictors: the training-fold mean
        pred = np.empty_like(y)
        for tr, te in KFold(n_splits=k, shuffle=True, random_state=seed).split(y):
            pred[te] = y[tr].mean()
        return pred
    with _small_blas():
        return cross_val_predict(_pipeline(), x, y, cv=KFold(n_splits=k, shuffle=True, random_state=seed))


def _boot_weights(n: int, n_boot: int, seed: int) -> np.ndarray | None:
    """(n_boot, n) counts of how often each item is drawn in each seeded bootstrap resample."""
    if n_boot <= 0:
        return None
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    flat = (np.arange(n_boot)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _r2_boot(y: np.ndarray, preds: Sequence[np.ndarray], w: np.ndarray | None) -> np.ndarray:
    """R² of each prediction vector (rows) on the full sample (``w`` None: one column) or per resample.

    Weighted sums instead of gathering each resample: one matrix product for all resamples.
    """
    w = np.ones((1, len(y))) if w is None else w
    cols = np.column_stack([y, y ** 2, *[(y - p) ** 2 for p in preds]])
    sums = w @ cols  # (n_boot, 2 + len(preds))
    sst = sums[:, 1] - sums[:, 0] ** 2 / w.sum(axis=1)
    return 1 - sums[:, 2:].T / sst


def _ranks(v: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank, as scipy's rankdata) of ``v[idx]`` row by row.

    Counting each distinct value per row is O(n) per resample where sorting every row is O(n log n):
    ratings and predictions from count features take few distinct values.
    """
    uniq, codes = np.unique(v, return_inverse=True)
    m, b = len(uniq), idx.shape[0]
    c = codes.reshape(-1)[idx]
    cnt = np.bincount((np.arange(b)[:, None] * m + c).ravel(), minlength=b * m).reshape(b, m)
    avg = np.cumsum(cnt, axis=1) - cnt + (cnt + 1) / 2
    return np.take_along_axis(avg, c, axis=1)


def _spearman_rows(a: np.ndarray, b: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
    """Spearman rho of ``a[idx]`` with ``b[idx]`` for each row of ``idx`` (default: the full sample)."""
    if idx is None:
        idx = np.arange(len(a))[None, :]
    ra, rb = _ranks(a, idx), _ranks(b, idx)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(axis=1) / np.sqrt((ra ** 2).sum(axis=1) * (rb ** 2).sum(axis=1))


def _ci(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size < 2:
        return (math.nan, math.nan)
    lo, hi = np.quantile(v, [0.025, 0.975])
    return (float(lo), float(hi))
