"""Input checks shared by the model wrappers: refuse data that has no finite, identifiable estimate.

Each check names the column / term / row at fault, so that a user sees "term 'ja' is constant"
instead of an SE of 3e6, a bare ``LinAlgError`` or a slope of 14.6 with an SE of 352.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError

__all__ = ["ModelInputError"]

class ModelInputError(OmotenashiError, ValueError):
    """The data given to a model cannot be fitted (missing column, NA, bad value); says where."""


# --------------------------------------------------------------------------- input checks


def _formula_columns(df: pd.DataFrame, formula: str) -> list[str]:
    """Columns of ``df`` named in ``formula`` (identifier match), in formula order."""
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula)
    cols = [c for c in dict.fromkeys(names) if c in df.columns]
    return cols


def _lhs(formula: str) -> str:
    if "~" not in formula:
        raise ModelInputError(f"formula {formula!r} has no '~' (expected e.g. 'y ~ x1 + x2')")
    lhs = formula.split("~", 1)[0].strip()
    if not lhs:
        raise ModelInputError(f"formula {formula!r} has no outcome on the left of '~'")
    return lhs


def _check_columns(df: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ModelInputError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ModelInputError(f"{what}: column(s) {missing} not in the data (columns: {list(df.columns)})")
    if len(df) == 0:
        raise ModelInputError(f"{what}: the data has no rows")


def _show(value: Any) -> Any:
    """numpy scalars print as np.int64(0); show the plain Python value in messages."""
    return value.item() if isinstance(value, np.generic) else value


def _check_no_na(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    """Refuse NA instead of letting patsy drop rows silently; name the first offending rows."""
    for c in cols:
        bad = df.index[df[c].isna()]
        if len(bad):
            shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
            raise ModelInputError(
                f"{what}: column {c!r} is NA in {len(bad)} row(s) (index {shown}); "
                "drop or impute those rows explicitly before fitting"
            )


def _check_groups(df: pd.DataFrame, col: str, what: str) -> np.ndarray:
    _check_columns(df, [col], what)
    _check_no_na(df, [col], what)
    return pd.factorize(df[col])[0]


def _build(make: Any, what: str) -> Any:
    """Build a statsmodels model from a formula; turn the formula engine's errors into ours."""
    try:
        return make()
    except ModelInputError:
        raise
    except Exception as exc:  # patsy/formulaic: unknown variable, syntax error, ...
        msg = str(exc).strip().replace("\n", " ")
        raise ModelInputError(f"{what}: cannot build the model from the formula: {msg}") from exc


def _check_design(exog: Any, names: Sequence[str], what: str, *, thresholds: bool = False) -> None:
    """Name constant or linearly dependent design columns instead of returning SE 3e6 / LinAlgError.

    ``thresholds=True`` (ordinal models): the cut-points play the intercept's role, so a constant
    column is collinear with them even though the design has no intercept column.
    """
    x = np.asarray(exog, dtype=float)
    names = list(names)
    intercepts = [j for j, n in enumerate(names) if n in ("Intercept", "const")]
    for j, name in enumerate(names):
        if j in intercepts:
            continue
        col = x[:, j]
        if np.ptp(col) == 0:
            raise ModelInputError(
                f"{what}: term {name!r} is constant ({col[0]:g} in every row), so its effect cannot "
                "be estimated; drop it (a level never observed, or a marker that never occurs?)")
    full = np.column_stack([np.ones(len(x)), x]) if thresholds else x
    full_names = (["(thresholds)"] if thresholds else []) + names
    norms = np.linalg.norm(full, axis=0)
    scaled = full / np.where(norms > 0, norms, 1.0)  # rank on unit-norm columns: units do not matter
    sv, vt = np.linalg.svd(scaled, full_matrices=False)[1:]
    tol = sv.max() * max(scaled.shape) * np.finfo(float).eps
    null = vt[sv <= tol]  # directions b with X b = 0: the terms they involve are collinear
    if len(null):
        involved = np.abs(null).max(axis=0) > 1e-8
        dependent = [n for n, inv in zip(full_names, involved, strict=True) if inv]
        raise ModelInputError(
            f"{what}: the design is rank deficient: term(s) {dependent} are linearly dependent (e.g. "
            "dummies that add up to another column, or one column a multiple of another); drop one")


def _check_cluster_support(exog: Any, names: Sequence[str], clusters: np.ndarray, what: str,
                           cluster_name: str) -> None:
    """Refuse cluster-robust SEs for a 0/1 term whose 1s (or 0s) all come from one cluster.

    The sandwich then rests on a single cluster for that contrast: its SE is near zero and its
    p-value meaninglessly confident (a comparison group made of one dialogue).
    """
    from omotenashi_research.stats.resampling import check_clusters_per_group

    x = np.asarray(exog, dtype=float)
    for j, name in enumerate(names):
        col = x[:, j]
        if name in ("Intercept", "const") or len(np.unique(col)) != 2:
            continue
        try:
            check_clusters_per_group(col, clusters, what, label=f"term {name!r}", cluster_name=cluster_name)
        except ValueError as exc:
            raise ModelInputError(f"{exc}; or fit without clustered SEs") from None


def _separated_terms(codes: np.ndarray, exog: np.ndarray, names: Sequence[str]) -> list[str]:
    """Terms along which the outcome is (quasi-)completely separated, by linear programming.

    Cumulative-link model with categories ``codes`` 0..J-1 and no intercept column (for a 0/1
    outcome J = 2: the single cut is minus the intercept). The ML estimate exists unless some
    direction (delta, d) of slopes and cuts, with d non-decreasing, raises no observation's
    likelihood bound the wrong way and some strictly: d_c - x'delta >= 0 for rows in category c < J-1,
    x'delta - d_{c-1} >= 0 for c > 0 (Albert & Anderson 1984; the LP test of Konis 2007). Returns the
    terms with a non-zero slope in such a direction, [] if the estimate exists.
    """
    from scipy.optimize import linprog

    x = np.asarray(exog, dtype=float)
    keep = np.ptp(x, axis=0) > 0 if len(x) else np.zeros(0, bool)
    x = x[:, keep]
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    if x.shape[1] == 0:
        return []
    x = x / np.abs(x).max(axis=0)  # units do not matter for separation; helps the LP
    rows = np.unique(np.column_stack([codes, x]), axis=0)  # duplicates add nothing
    c, x = rows[:, 0].astype(int), rows[:, 1:]
    n_cat, k = int(c.max()) + 1, x.shape[1]
    blocks = []  # each row of A: coefficients of (delta, d) in a quantity that must be >= 0
    for cat in range(n_cat):
        xs = x[c == cat]
        if cat < n_cat - 1:
            d = np.zeros((len(xs), n_cat - 1))
            d[:, cat] = 1.0
            blocks.append(np.column_stack([-xs, d]))
        if cat > 0:
            d = np.zeros((len(xs), n_cat - 1))
            d[:, cat - 1] = -1.0
            blocks.append(np.column_stack([xs, d]))
    a = np.vstack(blocks)
    order = np.zeros((max(n_cat - 2, 0), k + n_cat - 1))
    for j in range(n_cat - 2):  # d_j <= d_{j+1}
        order[j, k + j], order[j, k + j + 1] = 1.0, -1.0
    res = linprog(-a.sum(axis=0), A_ub=np.vstack([-a, order]), b_ub=np.zeros(len(a) + len(order)),
                  bounds=[(-1, 1)] * (k + n_cat - 1), method="highs")
    if res.status != 0 or -res.fun <= 1e-7 * max(1, len(a)):
        return []
    return [n for n, v in zip(kept, res.x[:k], strict=True) if abs(v) > 1e-7]


def _zero_count_terms(y: np.ndarray, exog: np.ndarray, names: Sequence[str]) -> list[str]:
    """Terms of a log-link count model whose estimate is -infinite (e.g. a group with no events).

    The Poisson likelihood keeps rising along delta when x'delta = 0 for rows with y > 0 and
    x'delta <= 0 for rows with y = 0, strictly for some (a linear program, as for separation).
    """
    from scipy.optimize import linprog

    x = np.asarray(exog, dtype=float)
    scale = np.abs(x).max(axis=0)
    x = x / np.where(scale > 0, scale, 1.0)
    pos, zero = np.unique(x[y > 0], axis=0), np.unique(x[y == 0], axis=0)
    if len(zero) == 0:
        return []
    k = x.shape[1]
    res = linprog(zero.sum(axis=0), A_ub=zero, b_ub=np.zeros(len(zero)),
                  A_eq=pos if len(pos) else None, b_eq=np.zeros(len(pos)) if len(pos) else None,
                  bounds=[(-1, 1)] * k, method="highs")
    if res.status != 0 or -res.fun <= 1e-7 * len(zero):
        return []
    return [n for n, v in zip(names, res.x, strict=True) if abs(v) > 1e-7]


def _minimal_terms(find: Any, exog: np.ndarray, names: Sequence[str], terms: list[str]) -> list[str]:
    """Shrink the terms reported by an LP check to a minimal set that still shows the problem.

    The LP direction may also load on harmless terms (any slack helps its objective); a term is
    dropped when the problem persists without it, so the message names only the culprits.
    """
    keep = list(terms)
    for t in list(terms):
        if len(keep) == 1:
            break
        trial = [n for n in keep if n != t]
        cols = [j for j, n in enumerate(names) if n in trial or n in ("Intercept", "const")]
        if find(exog[:, cols], [names[j] for j in cols]):
            keep = trial
    return keep


def _check_zero_counts(y: np.ndarray, exog: np.ndarray, names: Sequence[str], what: str,
                       outcome: str) -> None:
    names = list(names)
    terms = _zero_count_terms(y, exog, names)
    if terms:
        terms = _minimal_terms(lambda x, n: _zero_count_terms(y, x, n), exog, names, terms)
    if terms:
        raise ModelInputError(
            f"{what}: outcome {outcome!r} is 0 in every row of some subgroup defined by term(s) {terms} "
            "(e.g. a level with no events), so its log rate ratio is -infinite; drop or merge that level, "
            "or compare the groups with an exact test (stats.effects.rate_ratio)")


def _check_separation(codes: np.ndarray, exog: np.ndarray, names: Sequence[str], what: str,
                      outcome: str) -> None:
    names = list(names)
    terms = _separated_terms(codes, exog, names)
    if terms:
        terms = _minimal_terms(lambda x, n: _separated_terms(codes, x, n), exog, names, terms)
        raise ModelInputError(
            f"{what}: outcome {outcome!r} is perfectly separated by term(s) {terms}: some combination of "
            "them predicts which side of a category boundary every row falls on, so the ML estimate is "
            "infinite (the fit would report a huge slope with a huge SE, or fail). Drop or merge the "
            "term / categories, or use a penalised (Firth) model")
