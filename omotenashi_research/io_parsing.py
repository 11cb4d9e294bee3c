"""Reading a transcript file into a raw table whose row labels are line numbers, and the problem log.

Split out of :mod:`omotenashi_research.io` (the import path: :data:`FORMATS` is re-exported there, and
:func:`~omotenashi_research.io.read_transcripts` calls these). Here: the file formats by suffix, decoding
(every undecodable byte run reported with its line and byte offset), the CSV/TSV and JSONL parsers
(quoting, ragged rows, malformed JSON lines), and ``_Issues``, the list of problems found before the
schema check that becomes the error's failure table.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omotenashi_research._decoding import _bad_lines, _decode
from omotenashi_research.errors import TranscriptValidationError, shorten

__all__ = ["FORMATS"]

FORMATS: dict[str, str] = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]


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


def _where(name: str) -> str:
    """The source as named in error messages: for files, say what the row numbers are."""
    return name if name == "DataFrame" else f"{name} (row = line number in the file)"


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
