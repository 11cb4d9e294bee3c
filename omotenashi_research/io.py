"""Read and write users' own transcripts (CSV, TSV, JSONL, DataFrame) as a validated utterance table.

Every problem is reported with the file, the row and what is wrong. Row numbers are **line numbers in
the file** (1-based; ``\n``, ``\r\n`` and a lone ``\r`` each end a line; for CSV/TSV the header is
line 1, so the first data row is line 2; a quoted field spanning several lines reports the line the row
starts on), or the index label for a DataFrame.

Checks done here, before the schema: decoding (undecodable bytes, with the byte offset), CSV quoting and
ragged rows, malformed JSON lines, column and role mapping, and coercing ``turn`` to an integer and the
satisfaction ratings to numbers. Everything else (empty text, unknown roles, duplicate turns, language
codes, rating ranges) is checked by :data:`omotenashi_research.schema.UTTERANCE_SCHEMA`.
This module is the import path (:data:`FORMATS`, :func:`read_transcripts`, :func:`write_transcripts`)
and holds the two entry points. The steps of reading live in their own modules:
:mod:`omotenashi_research.io_parsing` (formats, decoding, the CSV/TSV and JSONL parsers, the problem
log) and :mod:`omotenashi_research.io_normalising` (column and role mapping, typing, the failure table,
the final order of a valid table).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.io_normalising import (
    _by_row,
    _coerce,
    _finish,
    _joined_reasons,
    _map_roles,
    _ordered,
    _plain_problems,
    _rename,
)
from omotenashi_research.io_parsing import (
    _DELIMITERS,
    _FAILURE_COLUMNS,
    FORMATS,
    _is_na,
    _read_source,
    _where,
)
from omotenashi_research.schema import UTTERANCE_COLUMNS, validate_utterances

__all__ = ["FORMATS", "read_transcripts", "write_transcripts"]


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
