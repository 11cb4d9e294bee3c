"""Turning a raw transcript table into schema form: column and role mapping, typing, the failure table.

Split out of :mod:`omotenashi_research.io`, whose :func:`~omotenashi_research.io.read_transcripts` calls
these between parsing (:mod:`omotenashi_research.io_parsing`) and the schema check: renaming the
user's columns, mapping roles, coercing ``turn`` to an integer and the ratings to numbers (cells that
do not coerce are reported, not dropped), wording pandera's problems for users, ordering failures by
row, and the final column order, dtypes and row order of a valid table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from omotenashi_research.io_parsing import _is_na, _Issues
from omotenashi_research.schema import ROLES, UTTERANCE_COLUMNS

_RATINGS = ("sat_turn", "sat_dialogue")
_INT_RE = re.compile(r"\s*[+-]?\d+(\.0*)?\s*")
# ``turn`` is stored as int64: a larger integer would wrap around silently.
_INT64 = np.iinfo(np.int64)


# ------------------------------------------------------------------------------------------- normalising


def _rename(
    df: pd.DataFrame, columns: Mapping[str, str] | None, issues: _Issues, header_row: int | None
) -> pd.DataFrame:
    if not columns:
        return df
    targets = list(columns.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        sources = {t: [u for u, v in columns.items() if v == t] for t in twice}
        raise issues.fail(header_row, None, f"columns= maps several input columns to one name: {sources}; "
                          "map only one of them")
    for user, schema_name in columns.items():
        if user not in df.columns:
            hint = ""
            if schema_name in df.columns:
                hint = ("; columns= maps YOUR names to schema names: "
                        f"did you mean {{{schema_name!r}: {user!r}}}?")
            raise issues.fail(header_row, user, f"column named in columns= is not in the input "
                              f"(it has: {', '.join(map(str, df.columns))}){hint}")
        if schema_name in df.columns and schema_name not in columns:
            raise issues.fail(header_row, schema_name, f"columns= renames {user!r} to {schema_name!r}, "
                              f"but the input already has a column {schema_name!r}")
    return df.rename(columns=dict(columns))


def _to_int(v: Any) -> int | None:
    """An integer, or None when ``v`` is not one (3, 3.0, "3" and "3.0" are; 3.5, "x", True are not)."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, np.integer)):
        out = int(v)
    elif isinstance(v, (float, np.floating)) and math.isfinite(v) and float(v).is_integer():
        out = int(v)
    elif isinstance(v, str) and _INT_RE.fullmatch(v):
        # int(float("9223372036854775808.0")) would round: parse the digits before the point instead.
        out = int(v.strip().split(".")[0])
    else:
        return None
    return out


def _to_float(v: Any) -> float | None:
    if _is_na(v):
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return None
    try:
        out = float(v)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _coerce(df: pd.DataFrame, issues: _Issues) -> pd.DataFrame:
    """Coerce ``turn`` to int and ratings to float; cells that do not coerce stay as read and are reported."""
    turns = []
    for row, v in df["turn"].items():
        if row in issues.unparsed:
            turns.append(v)
            continue
        t = None if _is_na(v) else _to_int(v)
        if t is None:
            issues.add(row, "turn", "missing turn" if _is_na(v) else "turn is not an integer", v)
            turns.append(v)
        elif not _INT64.min <= t <= _INT64.max:
            issues.add(row, "turn", f"turn is too large (at most {_INT64.max})", v)
            turns.append(v)
        else:
            turns.append(t)
    df["turn"] = pd.Series(turns, index=df.index, dtype=object)
    for col in _RATINGS:
        if col not in df.columns:
            continue
        vals = []
        for row, v in df[col].items():
            f = _to_float(v)
            if f is None and row not in issues.unparsed:
                issues.add(row, col, "rating is not a number", v)
                vals.append(v)
            else:
                vals.append(f)
        df[col] = pd.Series(vals, index=df.index, dtype=object)
    # IDs written as numbers (common in JSON and DataFrames) are still IDs.
    for col in ("corpus", "dialogue_id"):
        df[col] = df[col].map(lambda v: str(v) if isinstance(v, (int, np.integer)) and not
                              isinstance(v, (bool, np.bool_)) else v)
    df["speaker"] = df["speaker"].map(lambda v: None if _is_na(v) else v)
    return df


def _map_roles(df: pd.DataFrame, role_map: Mapping[str, str] | None) -> pd.DataFrame:
    role_map = dict(role_map or {})
    wrong = {k: v for k, v in role_map.items() if v not in ROLES}
    if wrong:
        raise ValueError(f"role_map must map to {ROLES}; these do not: {wrong}")
    df["role"] = df["role"].map(
        lambda v: role_map.get(v.strip(), v.strip()) if isinstance(v, str) else v
    )
    return df



def _plain_problems(failures: pd.DataFrame) -> pd.DataFrame:
    """Say pandera's terse problems in words a user can act on."""
    out = failures.copy()
    out.loc[out["problem"] == "not_nullable", "problem"] = "empty or missing value"
    is_role = (out["column"] == "role") & out["problem"].astype(str).str.startswith("must be 'agent'")
    out.loc[is_role, "problem"] = (
        "unknown role: map it with role_map={...} (schema roles: " + ", ".join(ROLES) + ")"
    )
    return out


def _by_row(failures: pd.DataFrame) -> pd.DataFrame:
    """Failures in row order (file-level problems first), so the message reads top to bottom."""
    try:
        key = failures["row"].map(lambda r: -1 if r is None else r)
        order = np.argsort(key.to_numpy(), kind="stable")
    except TypeError:  # DataFrame index labels of mixed types: keep the order found
        return failures.reset_index(drop=True)
    return failures.iloc[order].reset_index(drop=True)


def _joined_reasons(rows: pd.Series, reasons: pd.Series) -> pd.Series:
    """Row label -> ``"; "``-joined reasons, in order found (a dict, not groupby: one wrongly encoded
    file can give a problem on each of 100,000 rows, and a Python-level groupby-agg is slow there)."""
    joined: dict[Any, list[str]] = {}
    for row, reason in zip(rows, reasons, strict=True):
        joined.setdefault(row, []).append(reason)
    return pd.Series(["; ".join(v) for v in joined.values()], dtype=object,
                     index=pd.Index(list(joined), dtype=object, tupleize_cols=False))


def _ordered(columns: pd.Index) -> list:
    return [*UTTERANCE_COLUMNS, *[c for c in columns if c not in UTTERANCE_COLUMNS]]


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Schema columns first, dialogues in order of first appearance, utterances by turn, clean dtypes."""
    df = df[_ordered(df.columns)].copy()
    for col in df.columns:
        if df[col].dtype == object:
            # Rebuilt so pandas infers the dtype it would give on reading (str under pandas 3).
            df[col] = pd.Series(df[col].tolist(), index=df.index, dtype=None)
    df["turn"] = df["turn"].astype("int64")
    for col in _RATINGS:
        if col in df.columns:
            df[col] = df[col].astype("float64")
    first = df.groupby(["corpus", "dialogue_id"], sort=False).ngroup()
    order = np.lexsort((df["turn"].to_numpy(), first.to_numpy()))
    return df.iloc[order].reset_index(drop=True)
