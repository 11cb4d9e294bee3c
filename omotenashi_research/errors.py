"""Exceptions raised by the package, each carrying enough context to fix the input."""

from __future__ import annotations

import pandas as pd


class OmotenashiError(Exception):
    """Base class for errors raised by omotenashi_research."""


class CorpusNotFoundError(OmotenashiError, FileNotFoundError):
    """A staged corpus is not on this machine; the message says how to get it."""


class TranscriptValidationError(OmotenashiError, ValueError):
    """Input rows break the transcript schema.

    Attributes
    ----------
    failures : pandas.DataFrame
        One row per problem with columns ``source``, ``row``, ``column``, ``problem``
        and ``value``. ``row`` is the row number in the source (1-based data row of a
        file, or the DataFrame index label).
    """

    def __init__(self, failures: pd.DataFrame, source: str | None = None, max_shown: int = 10):
        self.failures = failures
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"{len(failures)} problem(s){where}:"]
        for rec in failures.head(max_shown).itertuples(index=False):
            where_row = "all rows" if rec.row is None else f"row {rec.row}"
            lines.append(f"  {where_row}: column {rec.column!r}: {rec.problem} (value: {rec.value!r})")
        if len(failures) > max_shown:
            lines.append(f"  ... and {len(failures) - max_shown} more (see .failures)")
        lines.append("Fix the rows, or pass errors='quarantine' to keep the valid rows and get the rest.")
        super().__init__("\n".join(lines))
