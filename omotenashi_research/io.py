"""Read and write users' own transcripts (CSV, TSV, JSONL, DataFrame) as a validated utterance table.

Every problem is reported with the file, the row and what is wrong. Row numbers are **line numbers in
the file** (1-based; ``\n``, ``\r\n`` and a lone ``\r`` each end a line; for CSV/TSV the header is
line 1, so the first data row is line 2; a quoted field spanning several lines reports the line the row
starts on), or the index label for a DataFrame.

Checks done here, before the schema: decoding (undecodable bytes, with the byte offset), CSV quoting and
ragged rows, malformed JSON lines, column and role mapping, and coercing ``turn`` to an integer and the
satisfaction ratings to numbers. Everything else (empty text, unknown roles, duplicate turns, language
codes, rating ranges) is checked by :data:`omotenashi_research.schema.UTTERANCE_SCHEMA`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from omotenashi_research._decoding import _bad_lines, _decode
from omotenashi_research.errors import TranscriptValidationError, shorten
from omotenashi_research.schema import ROLES, UTTERANCE_COLUMNS, validate_utterances

__all__ = ["FORMATS", "read_transcripts", "write_transcripts"]

FORMATS: dict[str, str] = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_RATINGS = ("sat_turn", "sat_dialogue")
_INT_RE = re.compile(r"\s*[+-]?\d+(\.0*)?\s*")
_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]
# ``turn`` is stored as int64: a larger integer would wrap around silently.
_INT64 = np.iinfo(np.int64)


class _Issues:
    """Problems found before the schema check, one entry per (row, column, problem)."""

    def __init__(self, source: str):
        self.source = source
        self.rows: list[tuple[Any, Any, str, Any]] = []
        # Rows that could not be parsed at all: schema complaints about them would only be noise.
        self.unparsed: set[Any] = set()

    def add(self, row: Any, column: str | None, problem: str, value: Any = None) -> None:
        self.rows.append((row, column, problem, shorten(value)))

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=_FAILURE_COLUMNS[1:], dtype=object)
        out.insert(0, "source", self.source)
        return out

    def fail(self, row: Any, column: str | None, problem: str, value: Any = None
             ) -> TranscriptValidationError:
        """An error for a problem that stops reading altogether (no row can be trusted after it)."""
        self.add(row, column, problem, value)
        return TranscriptValidationError(self.frame(), _where(self.source))


def _is_na(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v))


# ---------------------------------------------------------------------------------------------- parsing


def _parse_delimited(
    text: str, delimiter: str, bad_lines: dict[int, int], issues: _Issues, encoding: str
) -> pd.DataFrame:
    # strict=True: an unterminated quote would otherwise swallow the rest of the file without a word.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # csv's default field limit (131,072 characters) would reject the whole file for one long text; no
    # field can be longer than the file, so that is the limit while this file is read.
    old_limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        return _parse_records(reader, bad_lines, issues, encoding)
    finally:
        csv.field_size_limit(old_limit)


def _parse_records(reader, bad_lines: dict[int, int], issues: _Issues, encoding: str) -> pd.DataFrame:
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            first, last = start, reader.line_num
            start = last + 1
            if not record or record == [""]:
                continue  # blank line: not a row
            if header is None:
                header = [h.strip() for h in record]
                _check_header(header, first, issues)
                continue
            for line in range(first, last + 1):
                if line in bad_lines:
                    issues.add(first, None, f"undecodable bytes at byte offset {bad_lines[line]} "
                               f"(line {line}) for encoding {encoding!r}")
                    break
            if len(record) != len(header):
                issues.add(first, None, f"ragged row: {len(record)} fields, the header has {len(header)}")
                record = (record + [""] * len(header))[: len(header)]
            rows.append([None if v == "" else v for v in record])
            lines.append(first)
    except csv.Error as err:
        raise issues.fail(reader.line_num, None,
                          f"malformed CSV ({err}); check quoting near this line") from None
    if header is None:
        raise issues.fail(None, None, "the file is empty (no header line)")
    if 1 in bad_lines and lines[:1] != [1]:
        raise issues.fail(1, None, f"undecodable bytes at byte offset {bad_lines[1]} in the header "
                          f"for encoding {encoding!r}")
    return pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="row"), dtype=object)


def _check_header(header: list[str], line: int, issues: _Issues) -> None:
    empty = [i + 1 for i, h in enumerate(header) if h == ""]
    if empty:
        raise issues.fail(line, None, f"header has empty column name(s) at position(s) {empty}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise issues.fail(line, None, f"header repeats column name(s) {dupes}")


def _parse_jsonl(text: str, bad_lines: dict[int, int], issues: _Issues, encoding: str) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        lines.append(number)
        if number in bad_lines:
            issues.add(number, None, f"undecodable bytes at byte offset {bad_lines[number]} "
                       f"for encoding {encoding!r}")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            issues.add(number, None, f"malformed JSON: {err.msg} (column {err.colno})", line.strip())
            issues.unparsed.add(number)
            records.append({})
            continue
        except RecursionError:
            issues.add(number, None, "malformed JSON: nested too deeply to read", line.strip())
            issues.unparsed.add(number)
            records.append({})
            continue
        if not isinstance(obj, dict):
            issues.add(number, None, f"not a JSON object but a {type(obj).__name__}", line.strip())
            issues.unparsed.add(number)
            records.append({})
            continue
        records.append(obj)
    columns = list(dict.fromkeys(k for r in records for k in r))
    rows = [[r.get(c) for c in columns] for r in records]
    return pd.DataFrame(rows, columns=columns, index=pd.Index(lines, name="row"), dtype=object)


def _read_source(
    source: str | os.PathLike | pd.DataFrame, fmt: str | None, encoding: str
) -> tuple[pd.DataFrame, _Issues, str, str, int | None]:
    """Raw table (index = row numbers), pre-parse issues, source name, default corpus, header line."""
    if isinstance(source, pd.DataFrame):
        issues = _Issues("DataFrame")
        df = source.copy()
        if isinstance(df.index, pd.MultiIndex):
            # A tuple per row names the row as well as a label does, and keeps isin/map one-dimensional.
            df.index = pd.Index(df.index.to_flat_index(), tupleize_cols=False)
        if not df.index.is_unique or df.index.hasnans:
            # Index labels name rows in errors: they must be unique and not NA (a NaN label cannot be
            # told apart from "no row", so its failures were lost), else use positions.
            df = df.reset_index(drop=True)
        df = df.astype(object)
        return df, issues, "DataFrame", "user", None
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or a pandas DataFrame, got {type(source).__name__}")
    path = Path(source)
    name = str(source)
    issues = _Issues(name)
    if fmt is None:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(f"{name}: cannot tell the format from the suffix {path.suffix!r}; "
                             f"pass format='csv', 'tsv' or 'jsonl' (known suffixes: {sorted(FORMATS)})")
    elif fmt not in ("csv", "tsv", "jsonl"):
        raise ValueError(f"format must be 'csv', 'tsv' or 'jsonl', got {fmt!r}")
    if not path.is_file():
        raise FileNotFoundError(f"transcript file not found: {name}")
    text, bad = _decode(path.read_bytes(), encoding)
    bad_lines = _bad_lines(text, bad)
    if fmt == "jsonl":
        df = _parse_jsonl(text, bad_lines, issues, encoding)
        if len(df) == 0:
            raise issues.fail(None, None, "the file is empty (no JSON lines)")
        _hint_encoding(issues, len(bad_lines), len(df), encoding)
        return df, issues, name, path.stem, None
    df = _parse_delimited(text, _DELIMITERS[fmt], bad_lines, issues, encoding)
    _hint_encoding(issues, len(bad_lines), len(df) + 1, encoding)
    return df, issues, name, path.stem, 1


def _hint_encoding(issues: _Issues, n_bad: int, n_lines: int, encoding: str) -> None:
    """When most lines fail to decode, the file is in another encoding: say so on each such problem."""
    if n_bad < 2 or n_bad * 2 < n_lines:
        return
    hint = (f"; most lines fail to decode, so the file is probably not {encoding}: pass the right "
            "encoding= (Japanese Windows files are often 'cp932' / 'shift_jis')")
    issues.rows = [(r, c, p + hint if p.startswith("undecodable") else p, v) for r, c, p, v in issues.rows]


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


def _where(name: str) -> str:
    """The source as named in error messages: for files, say what the row numbers are."""
    return name if name == "DataFrame" else f"{name} (row = line number in the file)"


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


def read_transcripts(
    source: str | os.PathLike | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    role_map: Mapping[str, str] | None = None,
    corpus: str | None = None,
    lang: str | None = None,
    turn: Literal["order"] | None = None,
    errors: Literal["raise", "quarantine"] = "raise",
    format: Literal["csv", "tsv", "jsonl"] | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Read your own transcripts into a validated utterance table.

    Parameters
    ----------
    source : path or pandas.DataFrame
        A CSV, TSV or JSONL file (one utterance per line; format from the suffix ``.csv``, ``.tsv``/``.tab``,
        ``.jsonl``/``.ndjson`` unless ``format`` is given), or a DataFrame.
    columns : mapping, optional
        Your column names -> schema names, e.g.
        ``{"conv": "dialogue_id", "who": "role", "utterance": "text"}``.
    role_map : mapping, optional
        Your role values -> ``"agent"``/``"customer"``/``"other"``, e.g. ``{"staff": "agent", "guest":
        "customer"}``. Values already equal to a schema role are kept; any other value is an error.
    corpus : str, optional
        Fills ``corpus`` where the input has none (the column is absent or the cell empty). Default:
        the file name without suffix, or ``"user"`` for a DataFrame.
    lang : str, optional
        Fills ``lang`` likewise (e.g. ``"ja"``); required when the input has no ``lang`` column.
    turn : {"order"}, optional
        When the input has no ``turn`` column, ``turn="order"`` numbers each dialogue's utterances 0, 1, ...
        in input order. Never done silently: without it a missing ``turn`` column is an error.
    errors : {"raise", "quarantine"}
        ``"raise"``: any invalid row raises. ``"quarantine"``: return ``(valid, quarantine)`` instead.
    format : {"csv", "tsv", "jsonl"}, optional
        Overrides the suffix.
    encoding : str
        Text encoding of the file (a UTF-8 byte-order mark is dropped).

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.DataFrame)
        With ``errors="raise"``: the utterance table (schema columns first, then your extra columns;
        ``turn`` int, ratings float; rows grouped by dialogue in order of first appearance, sorted by
        ``turn``; a fresh 0..n-1 index). Without a ``speaker`` column, ``speaker`` is NA. Empty CSV cells
        are NA. With ``errors="quarantine"``: ``(valid, quarantine)`` where ``quarantine`` holds the
        rejected rows as read (after column/role mapping) plus ``_row`` (line number in the file, or
        DataFrame index label) and ``_reasons`` (``"; "``-joined problems);
        ``len(valid) + len(quarantine)`` always equals the number of input rows (blank lines are not rows).

    Raises
    ------
    TranscriptValidationError
        With ``errors="raise"``, naming the file, each bad row (line number) and its problem; ``.failures``
        lists them all. Also, in either mode, when no row can be read: a required column is missing, the
        header is broken, or CSV quoting is broken (an unterminated quote).
    ValueError
        For a bad argument (unknown format, ``role_map`` to a non-role, ``turn`` with a turn column).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.io import read_transcripts
    >>> raw = pd.DataFrame({"conv": ["c1", "c1", "c2"], "who": ["guest", "staff", "guest"],
    ...                     "utterance": ["Hi, is breakfast included?", "Yes, from 7 to 10.", "Hello"]})
    >>> utts = read_transcripts(raw, columns={"conv": "dialogue_id", "who": "role", "utterance": "text"},
    ...                         role_map={"staff": "agent", "guest": "customer"}, lang="en", turn="order")
    >>> utts[["dialogue_id", "turn", "role"]].values.tolist()
    [['c1', 0, 'customer'], ['c1', 1, 'agent'], ['c2', 0, 'customer']]
    >>> raw.loc[2, "who"] = "manager"
    >>> valid, quarantine = read_transcripts(raw, columns={"conv": "dialogue_id", "who": "role",
    ...     "utterance": "text"}, role_map={"staff": "agent", "guest": "customer"}, lang="en",
    ...     turn="order", errors="quarantine")
    >>> len(valid), quarantine["_row"].tolist()
    (2, [2])
    """
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"errors must be 'raise' or 'quarantine', got {errors!r}")
    if turn not in (None, "order"):
        raise ValueError(f"turn must be None or 'order', got {turn!r}")
    df, issues, name, default_corpus, header_row = _read_source(source, format, encoding)
    n_in = len(df)
    df = _rename(df, columns, issues, header_row)
    given = ", ".join(map(str, df.columns))

    for col, value in (("corpus", corpus if corpus is not None else default_corpus), ("lang", lang)):
        if value is None:
            continue
        df[col] = df[col].map(lambda v, value=value: value if _is_na(v) else v) if col in df else value
    if "speaker" not in df.columns:
        df["speaker"] = None
    if turn == "order":
        if "turn" in df.columns:
            raise ValueError(f"{name}: turn='order' was given but the input has a 'turn' column; "
                             "drop one of them")
        if "dialogue_id" in df.columns:
            df["turn"] = df.groupby(["corpus", "dialogue_id"], sort=False, dropna=False).cumcount()

    hints = {"lang": "pass lang='ja' (or 'en', ...)", "turn": "pass turn='order' to number utterances "
             "by their order in the input"}
    missing = [c for c in UTTERANCE_COLUMNS if c not in df.columns]
    if missing and n_in and set(df.index) <= issues.unparsed:
        # Every line is unreadable (e.g. all malformed JSON): the columns are unknown because no
        # row could be read, not because the file lacks them. Report (or quarantine) every row.
        failures = _by_row(issues.frame())
        if errors == "raise":
            raise TranscriptValidationError(failures, _where(name))
        reasons = failures.assign(reason="row: " + failures["problem"]).groupby("row", sort=False)["reason"]
        quarantine = df.copy()
        quarantine["_row"] = quarantine.index
        quarantine["_reasons"] = quarantine.index.map(reasons.agg("; ".join))
        valid = pd.DataFrame({c: pd.Series(dtype=object) for c in UTTERANCE_COLUMNS})
        return valid, quarantine.reset_index(drop=True)
    if missing:
        # Without a required column no row can be judged: report only the columns.
        issues.rows.clear()
        for col in missing:
            issues.add(header_row, col, f"required column is missing (the input has: {given}); "
                       + hints.get(col, "map yours with columns={'your_name': '" + col + "'}"))
        raise TranscriptValidationError(issues.frame(), _where(name))

    df = _map_roles(df, role_map)
    df = _coerce(df, issues)

    try:
        validate_utterances(df, source=name)
        schema_failures = pd.DataFrame(columns=_FAILURE_COLUMNS)
    except TranscriptValidationError as err:
        schema_failures = _plain_problems(err.failures)
    pre = issues.frame()
    # A cell we already reported (e.g. turn '3.5') is not reported again by the schema.
    seen = set(zip(pre["row"], pre["column"], strict=True))
    keep = [(r, c) not in seen and r not in issues.unparsed
            for r, c in zip(schema_failures["row"], schema_failures["column"], strict=True)]
    parts = [f for f in (pre, schema_failures[keep]) if len(f)]
    failures = _by_row(pd.concat(parts, ignore_index=True) if parts else pre)

    if errors == "raise":
        if len(failures):
            raise TranscriptValidationError(failures, _where(name))
        return _finish(df)

    reasons = _joined_reasons(
        failures["row"], failures["column"].fillna("row").astype(str) + ": " + failures["problem"]
    )
    bad = df.index.isin(reasons.index)
    quarantine = df.loc[bad, _ordered(df.columns)].copy()
    quarantine["_row"] = quarantine.index
    quarantine["_reasons"] = quarantine.index.map(reasons)
    quarantine = quarantine.reset_index(drop=True)
    valid = _finish(df.loc[~bad])
    assert len(valid) + len(quarantine) == n_in, "rows lost while splitting"  # the documented invariant
    return valid, quarantine


# ---------------------------------------------------------------------------------------------- writing


def _plain(v: Any) -> Any:
    """A JSON-serialisable Python value (numpy scalars unwrapped, NA -> None, tuples -> lists)."""
    if _is_na(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def write_transcripts(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    validate: bool = True,
    redact: bool | Mapping[str, Any] = False,
    formulas: Literal["keep", "escape"] = "keep",
) -> Path:
    """Write an utterance table to CSV/TSV or JSONL (by the suffix), readable by :func:`read_transcripts`.

    Parameters
    ----------
    df : pandas.DataFrame
        Utterance table.
    path : path
        Target file; ``.csv``, ``.tsv``/``.tab`` or ``.jsonl``/``.ndjson``. Written as UTF-8.
    validate : bool
        Check ``df`` against the schema first (raises :class:`TranscriptValidationError`).
    redact : bool or mapping
        Replace personal data by placeholders before writing (:func:`omotenashi_research.redact.redact`);
        a mapping is passed as its keyword arguments, e.g. ``{"names": ["Sato"], "ner": True}``. Call
        ``redact()`` yourself to also get the report of what was replaced.
    formulas : {"keep", "escape"}
        ``"escape"``: CSV/TSV text cells starting with ``= + - @`` (or tab / CR) get a leading ``'`` so
        spreadsheets do not run them as formulas (:func:`omotenashi_research.redact.neutralize_formulas`);
        use it for files people will open in Excel. ``"keep"`` writes text as is (exact round trip).

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    NA is written as an empty CSV cell / JSON ``null``; in CSV an empty-string cell therefore reads back
    as NA. Tuple cells (``*_votes``) become JSON lists in JSONL and their text form in CSV.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from omotenashi_research.io import read_transcripts, write_transcripts
    >>> df = pd.DataFrame({"corpus": ["demo"] * 2, "dialogue_id": ["d1"] * 2, "turn": [0, 1],
    ...                    "role": ["customer", "agent"], "speaker": ["c", "a"],
    ...                    "text": ["Hello, a table for two?", "Of course, this way."], "lang": ["en", "en"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_transcripts(write_transcripts(df, f"{d}/demo.jsonl"))
    >>> back.equals(df)
    True
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: cannot tell the format from the suffix {path.suffix!r} "
                         f"(known suffixes: {sorted(FORMATS)})")
    if validate:
        validate_utterances(df, source="DataFrame")
    if formulas not in ("keep", "escape"):
        raise ValueError(f"formulas must be 'keep' or 'escape', got {formulas!r}")
    if redact is not False:
        from omotenashi_research import redact as _redact  # imported here: NER models load lazily

        df = _redact.redact(df, **({} if redact is True else dict(redact)))[0]
    if formulas == "escape" and fmt != "jsonl":
        from omotenashi_research.redact import neutralize_formulas

        df = neutralize_formulas(df)
    records = [[_plain(v) for v in row] for row in df.itertuples(index=False, name=None)]
    cols = [str(c) for c in df.columns]
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            for rec in records:
                fh.write(json.dumps(dict(zip(cols, rec, strict=True)), ensure_ascii=False) + "\n")
        return path
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=_DELIMITERS[fmt], lineterminator="\n")
        # With "\n" line ends csv leaves a lone "\r" unquoted, and readers would split the row there.
        quote_all = csv.writer(fh, delimiter=_DELIMITERS[fmt], lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(cols)
        for rec in records:
            cells = ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in rec]
            (quote_all if any("\r" in c for c in cells) else writer).writerow(cells)
    return path
