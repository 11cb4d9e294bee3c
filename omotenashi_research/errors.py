"""Exceptions raised by the package, each carrying enough context to fix the input."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Longest value shown in error messages and quarantine reports; longer values are cut with an ellipsis
#: so that an error (often pasted into an issue or a log) does not leak a whole utterance.
MAX_VALUE_CHARS = 60


def shorten(value: Any, limit: int = MAX_VALUE_CHARS) -> Any:
    """A value fit for an error message: strings (and reprs of long objects) cut to ``limit`` characters.

    Examples
    --------
    >>> from omotenashi_research.errors import shorten
    >>> shorten("x" * 100)[-3:], len(shorten("x" * 100))
    ('xx…', 60)
    >>> shorten(3)
    3
    """
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = repr(value)
    return value if len(text) <= limit else text[: limit - 1] + "…"


class OmotenashiError(Exception):
    """Base class for errors raised by omotenashi_research."""


class CorpusNotFoundError(OmotenashiError, FileNotFoundError):
    """A staged corpus is not on this machine; the message says how to get it."""


class CorpusIncompleteError(OmotenashiError, ValueError):
    """A staged corpus is partial or altered: files missing, of the wrong size or hash, or too few records.

    The message names every missing or wrong file by its absolute path. Loaders take ``verify=False`` to
    read a deliberate subset anyway.
    """


class TranscriptValidationError(OmotenashiError, ValueError):
    """Input rows break the transcript schema.

    Attributes
    ----------
    failures : pandas.DataFrame
        One row per problem with columns ``source``, ``row``, ``column``, ``problem``
        and ``value``. ``row`` is the row number in the source (1-based data row of a
        file, or the DataFrame index label). The message shows values cut to
        :data:`MAX_VALUE_CHARS` characters.
    """

    def __init__(self, failures: pd.DataFrame, source: str | None = None, max_shown: int = 10):
        self.failures = failures
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"{len(failures)} problem(s){where}:"]
        for rec in failures.head(max_shown).itertuples(index=False):
            where_row = "all rows" if rec.row is None else f"row {rec.row}"
            value = shorten(rec.value)
            lines.append(f"  {where_row}: column {rec.column!r}: {rec.problem} (value: {value!r})")
        if len(failures) > max_shown:
            lines.append(f"  ... and {len(failures) - max_shown} more (see .failures)")
        lines.append("Fix the rows, or pass errors='quarantine' to keep the valid rows and get the rest.")
        super().__init__("\n".join(lines))
