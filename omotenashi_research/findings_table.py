"""The findings table: its columns, its verdicts and the check every findings file passes.

Split out of :mod:`omotenashi_research.findings`, which re-exports the public names here
(:data:`FINDING_COLUMNS`, :data:`VERDICTS`, :class:`FindingsError`, :func:`validate_findings`) and is
the path to import them from. :func:`validate_findings` types, rounds and sorts a table of findings
(one row per hypothesis or descriptive result) and lists every problem with its row and ``id``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError, shorten

__all__ = ["FINDING_COLUMNS", "VERDICTS", "FindingsError", "validate_findings"]

FINDING_COLUMNS = ["notebook", "id", "hypothesis", "data", "measure", "estimate_name", "estimate", "ci_low",
                   "ci_high", "p_adj", "adjustment", "verdict", "measure_quality", "caveats", "n"]
VERDICTS = ("supported", "not supported", "inconclusive", "descriptive")
_NUMERIC = ("estimate", "ci_low", "ci_high", "p_adj")
_TEXT = tuple(c for c in FINDING_COLUMNS if c not in (*_NUMERIC, "n"))
#: Text columns that must not be empty (the others may be, e.g. no caveats).
_REQUIRED_TEXT = ("notebook", "id", "hypothesis", "data", "verdict")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
#: "nan"/"None"/"<NA>" as a whole item of a text (``"; ".join`` over a column with a missing value)
_MISSING_TEXT = re.compile(r"(?:^|[;,]\s*)(?:nan|NaN|None|<NA>)\s*(?=$|[;,])")
SIGNIFICANT = 4


class FindingsError(OmotenashiError, ValueError):
    """A findings table or file is malformed, or a measure has no validation; the message says where."""


# Raised and documented as ``omotenashi_research.findings.FindingsError``, its public import path: naming
# that module keeps tracebacks, doctests and pickles the same as before the class moved here.
FindingsError.__module__ = "omotenashi_research.findings"


# --------------------------------------------------------------------------------------------------
# validation and rounding


def _stem(notebook: str | os.PathLike) -> str:
    name = Path(str(notebook)).name
    return Path(name).stem if name.endswith((".ipynb", ".csv")) else name


def _round_sig(x: float, digits: int = SIGNIFICANT) -> float:
    """``x`` rounded to ``digits`` significant digits (NaN and 0 unchanged)."""
    if not math.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{digits}g}")


def _is_blank(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip())


def validate_findings(
    rows: pd.DataFrame | Sequence[Mapping[str, object]],
    notebook: str | os.PathLike,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """Check a findings table and return it normalised (typed, rounded, sorted by ``id``).

    Parameters
    ----------
    rows : pandas.DataFrame or list of dict
        One row per finding with the columns :data:`FINDING_COLUMNS`; ``notebook`` may be left out (it is
        filled from ``notebook``).
    notebook : str or path
        The notebook the rows come from (``"02_japanese_vs_english"``, its ``.ipynb`` file name or path).
    source : str, optional
        Where the rows came from, for error messages (a file name).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FINDING_COLUMNS` in that order; text as ``str`` (blank = ``""``), ``estimate``,
        ``ci_low``, ``ci_high`` and ``p_adj`` as floats rounded to 4 significant digits (NaN allowed),
        ``n`` as nullable ``Int64``; sorted by ``id``.

    Raises
    ------
    FindingsError
        Missing or unknown columns, an empty required text (``id``, ``hypothesis``, ``data``,
        ``verdict``), a verdict not in :data:`VERDICTS`, an ``id`` that is not a short slug or repeats,
        a non-numeric number, ``p_adj`` outside [0, 1], a negative or fractional ``n``, or
        ``ci_low <= estimate <= ci_high`` broken where all three are given. Every problem is listed
        with its row (1-based, in the order given) and ``id``.

    Examples
    --------
    >>> validate_findings([{"id": "x", "verdict": "maybe"}], "nb")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omotenashi_research.findings.FindingsError: findings of nb: missing column(s) ['hypothesis', ...
    """
    stem = _stem(notebook)
    where = f"findings of {stem}" + (f" ({source})" if source else "")
    if isinstance(rows, pd.DataFrame):
        df = rows.reset_index(drop=True).copy()
    else:
        rows = list(rows)
        if rows and not all(isinstance(r, Mapping) for r in rows):
            raise FindingsError(f"{where}: rows must be a DataFrame or a list of dicts")
        df = pd.DataFrame(rows)
    df.columns = [str(c) for c in df.columns]
    if "notebook" not in df.columns:
        df.insert(0, "notebook", stem)
    missing = [c for c in FINDING_COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in FINDING_COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unknown column(s) {extra}")
        raise FindingsError(f"{where}: " + "; ".join(parts) + f" (expected {FINDING_COLUMNS})")
    if df.empty:
        raise FindingsError(f"{where}: no rows")

    problems: list[str] = []

    def bad(i: int, col: str, what: str, value: object) -> None:
        ident = df.at[i, "id"]
        label = f"row {i + 1}" + ("" if _is_blank(ident) else f" (id {shorten(str(ident))!r})")
        problems.append(f"{label}: column {col!r}: {what} (value: {shorten(value)!r})")

    out = pd.DataFrame(index=df.index)
    for col in _TEXT:
        vals = []
        for i, v in df[col].items():
            if _is_blank(v):
                if col in _REQUIRED_TEXT:
                    bad(i, col, "empty", v)
                vals.append("")
            else:
                vals.append(" ".join(str(v).split()))  # one line: the page renders a table
        out[col] = pd.Series(vals, index=df.index, dtype=object)
    for col in _TEXT:
        for i, v in out[col].items():
            hit = _MISSING_TEXT.search(v)
            if hit:  # show where: the value is cut for the message and the item is often at the end
                snippet = ("…" if hit.start() > 30 else "") + v[max(0, hit.start() - 30):hit.end()]
                bad(i, col, "holds a missing value written as text ('nan', 'None', '<NA>'): a NaN joined "
                    "into the text?", snippet)
    for i, v in out["notebook"].items():
        if v and v != stem:
            bad(i, "notebook", f"names another notebook than {stem!r}", v)
    for i, v in out["verdict"].items():
        if v and v not in VERDICTS:
            bad(i, "verdict", f"not one of {list(VERDICTS)}", v)
    for i, v in out["id"].items():
        if v and not _ID.match(v):
            bad(i, "id", "not a short slug (letters, digits, '-', '_', '.'; e.g. 'H1-apology')", v)
    dup = out["id"][out["id"].duplicated(keep=False) & (out["id"] != "")]
    for i, v in dup.items():
        bad(i, "id", "repeats (ids must be unique within a notebook)", v)
    for col in _NUMERIC:
        vals = []
        for i, v in df[col].items():
            if _is_blank(v):
                vals.append(np.nan)
                continue
            try:
                x = float(v)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                bad(i, col, "not a number", v)
                x = np.nan
            if math.isinf(x):
                bad(i, col, "infinite", v)
                x = np.nan
            vals.append(x)
        out[col] = np.asarray(vals, dtype=float)
    for i, p in out["p_adj"].items():
        if math.isfinite(p) and not 0 <= p <= 1:
            bad(i, "p_adj", "outside [0, 1]", p)
    ns = []
    for i, v in df["n"].items():
        if _is_blank(v):
            ns.append(pd.NA)
            continue
        try:
            x = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            x = float("nan")
        if not math.isfinite(x) or x < 0 or x != int(x):
            bad(i, "n", "not a non-negative whole number", v)
            ns.append(pd.NA)
        else:
            ns.append(int(x))
    out["n"] = pd.array(ns, dtype="Int64")
    trio = out[["ci_low", "estimate", "ci_high"]].to_numpy()
    for i, (lo, est, hi) in zip(out.index, trio, strict=True):
        if np.isfinite([lo, est, hi]).all() and not lo <= est <= hi:
            bad(i, "estimate", f"outside its CI [{lo}, {hi}] (need ci_low <= estimate <= ci_high)", est)
    if problems:
        raise FindingsError(f"{where}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    for col in _NUMERIC:
        out[col] = [_round_sig(float(x)) for x in out[col]]
    out = out[FINDING_COLUMNS].sort_values("id", kind="stable").reset_index(drop=True)
    return out

