"""Metric helpers of the validation report: precision/recall/F1, Wilson and bootstrap CIs, AUC, kappa.

Also the seeded stratified folds and the small ridge logistic regression with cross-validated accuracy
that :func:`~omotenashi_research.validation_corpora.validate_stanford` uses. Pure numpy/scipy, no
corpus access; :mod:`omotenashi_research.validation` re-exports every public name.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "SEED",
    "auc",
    "binary_metrics",
    "cohen_kappa",
    "cv_logit_accuracy",
    "prf",
    "ridge_logit",
    "stratified_folds",
    "wilson_ci",
]

SEED = 12345


# --------------------------------------------------------------------------------------------------
# metric helpers


def prf(y_true: Sequence[bool] | np.ndarray, y_pred: Sequence[bool] | np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of binary predictions (NaN when undefined).

    Examples
    --------
    >>> r = prf([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    >>> round(r["precision"], 3), round(r["recall"], 3), round(r["f1"], 3)
    (0.667, 0.667, 0.667)
    """
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.shape} vs {p.shape}")
    tp = int((t & p).sum())
    fp = int((~t & p).sum())
    fn = int((t & ~p).sum())
    prec = tp / (tp + fp) if tp + fp else math.nan
    rec = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
    return {"precision": prec, "recall": rec, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "tn": int(len(t) - tp - fp - fn)}


def wilson_ci(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (NaN, NaN when ``n`` is 0).

    Examples
    --------
    >>> tuple(round(v, 4) for v in wilson_ci(8, 10))
    (0.4902, 0.9433)
    """
    if n == 0:
        return (math.nan, math.nan)
    from scipy.stats import norm
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=2 * norm.sf(z), method="wilson")
    return (max(0.0, float(lo)), min(1.0, float(hi)))


def auc(y_true: Sequence[bool] | np.ndarray, score: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count 1/2); NaN when a class is empty.

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    t = np.asarray(y_true, dtype=bool)
    s = np.asarray(score, dtype=float)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(s)
    return float((ranks[t].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def cohen_kappa(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> dict[str, float]:
    """Cohen's kappa of two binary ratings (statsmodels ``cohens_kappa``) with its 95% CI.

    Returns ``kappa`` (NaN when both raters use one category only), ``kappa_low``, ``kappa_upp``,
    ``agreement`` (observed share) and ``n``.

    Examples
    --------
    Textbook example (20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no):

    >>> a = [1] * 25 + [0] * 25
    >>> b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    >>> round(cohen_kappa(a, b)["kappa"], 3)
    0.4
    """
    from statsmodels.stats.inter_rater import cohens_kappa

    x = np.asarray(a, dtype=int)
    y = np.asarray(b, dtype=int)
    if x.shape != y.shape:
        raise ValueError(f"ratings differ in length: {x.shape} vs {y.shape}")
    n = len(x)
    table = np.array([[np.sum((x == i) & (y == j)) for j in (0, 1)] for i in (0, 1)], dtype=float)
    agreement = float(np.trace(table) / n) if n else math.nan
    nan = {"kappa": math.nan, "kappa_low": math.nan, "kappa_upp": math.nan, "agreement": agreement, "n": n}
    # Undefined when expected agreement is 1 (a single category used by both raters).
    if n == 0 or (table.sum(0) == n).any() and (table.sum(1) == n).any():
        return nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = cohens_kappa(table)
    # statsmodels' normal-approximation interval can leave [-1, 1] on small samples: clip it.
    return {"kappa": float(res.kappa), "kappa_low": max(-1.0, float(res.kappa_low)),
            "kappa_upp": min(1.0, float(res.kappa_upp)), "agreement": agreement, "n": n}


def binary_metrics(
    y_true: Sequence[bool] | np.ndarray,
    y_pred: Sequence[bool] | np.ndarray,
    score: Sequence[float] | np.ndarray | None = None,
    *,
    n_boot: int = 1000,
    seed: int = SEED,
) -> dict[str, float]:
    """P/R/F1 with Wilson CIs for P and R, a seeded percentile-bootstrap CI for F1, support and AUC.

    Parameters
    ----------
    y_true, y_pred : sequence of bool
        Gold labels and predictions.
    score : sequence of float, optional
        A graded score (e.g. marker counts) for the AUC; NaN when omitted.
    n_boot : int
        Bootstrap resamples for the F1 interval (0: no interval).
    seed : int
        Seed of the bootstrap.

    Examples
    --------
    >>> m = binary_metrics([1, 1, 0, 0], [1, 0, 0, 0], n_boot=0)
    >>> m["precision"], m["recall"], m["support"], m["n"]
    (1.0, 0.5, 2, 4)
    """
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    r = prf(t, p)
    p_lo, p_hi = wilson_ci(r["tp"], r["tp"] + r["fp"])
    r_lo, r_hi = wilson_ci(r["tp"], r["tp"] + r["fn"])
    f_lo = f_hi = math.nan
    if n_boot and len(t):
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(t), size=(n_boot, len(t)))
        tt, pp = t[idx], p[idx]
        tp = (tt & pp).sum(1)
        denom = 2 * tp + (~tt & pp).sum(1) + (tt & ~pp).sum(1)
        f1s = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)
        if np.isfinite(f1s).any():
            f_lo, f_hi = (float(v) for v in np.nanpercentile(f1s, [2.5, 97.5]))
    return {
        "precision": r["precision"], "precision_low": p_lo, "precision_high": p_hi,
        "recall": r["recall"], "recall_low": r_lo, "recall_high": r_hi,
        "f1": r["f1"], "f1_low": f_lo, "f1_high": f_hi,
        "support": int(t.sum()), "n_predicted": int(p.sum()), "n": int(len(t)),
        "auc": auc(t, score) if score is not None else math.nan,
    }


def stratified_folds(y: Sequence[int] | np.ndarray, k: int = 10, seed: int = SEED) -> np.ndarray:
    """Fold number (0..k-1) per item, each class spread evenly over the folds (seeded).

    Examples
    --------
    >>> folds = stratified_folds([0] * 10 + [1] * 10, k=5, seed=1)
    >>> [int(((folds == f) & (np.arange(20) >= 10)).sum()) for f in range(5)]
    [2, 2, 2, 2, 2]
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    folds = np.empty(len(y), dtype=int)
    offset = 0
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        idx = idx[rng.permutation(len(idx))]
        # Continue the round-robin across classes so fold sizes stay balanced overall.
        folds[idx] = (np.arange(len(idx)) + offset) % k
        offset = (offset + len(idx)) % k
    return folds


def ridge_logit(X: np.ndarray, y: np.ndarray, lam: float = 1.0, max_iter: int = 100, tol: float = 1e-8
                ) -> np.ndarray:
    """L2-penalised logistic regression by Newton-Raphson; returns ``[intercept, *coefs]``.

    The intercept is not penalised. A ridge penalty keeps the fit finite when a sparse binary
    feature separates the classes in a training fold (plain ``statsmodels`` ``Logit`` then fails).
    With ``lam=0`` it equals the unpenalised maximum-likelihood fit (tested against statsmodels).

    Examples
    --------
    >>> X = np.array([[0.], [0.], [1.], [1.], [1.], [0.]])
    >>> y = np.array([0, 1, 1, 1, 0, 0])
    >>> [round(float(b), 4) for b in ridge_logit(X, y, lam=0.0)]
    [-0.6931, 1.3863]
    """
    X1 = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=float)])
    y = np.asarray(y, dtype=float)
    beta = np.zeros(X1.shape[1])
    pen = np.full(X1.shape[1], float(lam))
    pen[0] = 0.0
    for _ in range(max_iter):
        eta = np.clip(X1 @ beta, -30, 30)
        mu = 1 / (1 + np.exp(-eta))
        grad = X1.T @ (y - mu) - pen * beta
        hess = (X1 * (mu * (1 - mu))[:, None]).T @ X1 + np.diag(pen) + 1e-10 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def _predict(beta: np.ndarray, X: np.ndarray) -> np.ndarray:
    return (beta[0] + np.asarray(X, dtype=float) @ beta[1:]) > 0


def cv_logit_accuracy(X: np.ndarray, y: np.ndarray, *, k: int = 10, seed: int = SEED, lam: float = 1.0
                      ) -> np.ndarray:
    """Accuracy per fold of :func:`ridge_logit` under seeded stratified ``k``-fold cross-validation.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = (y[:, None] + rng.normal(0, 0.1, (100, 1))) > 0.5  # a perfect feature
    >>> cv_logit_accuracy(X, y, k=5).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=int)
    folds = stratified_folds(y, k, seed)
    acc = []
    for f in range(k):
        test = folds == f
        beta = ridge_logit(X[~test], y[~test], lam)
        acc.append(float((_predict(beta, X[test]) == y[test]).mean()))
    return np.array(acc)
