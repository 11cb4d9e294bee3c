"""The tidy tables every loader and reader returns, and their validation.

Utterance table (dialogue corpora, users' transcripts): one row per utterance.

=================  ========  ===========================================================
column             required  meaning
=================  ========  ===========================================================
corpus             yes       corpus (or user data set) name, e.g. ``"uss-mwoz"``
dialogue_id        yes       dialogue identifier, unique within ``corpus``
turn               yes       int >= 0, position in the dialogue (0 = first utterance);
                             unique within (corpus, dialogue_id), rows sorted by it
role               yes       ``"agent"`` (service side), ``"customer"``, or ``"other"``
                             when the corpus gives no service role (BSD)
speaker            yes       the corpus's own speaker name (e.g. ``operator_1``); may be NA
text               yes       non-empty text
lang               yes       ISO 639-1 code of ``text`` (``ja``, ``en``, ``de``, ``pt``)
sat_turn           no        aggregated turn satisfaction 1-5 (float, NA where unrated)
sat_turn_votes     no        tuple of the individual annotators' turn ratings
sat_dialogue       no        aggregated dialogue satisfaction 1-5, repeated on each row
sat_dialogue_votes no        tuple of the individual dialogue ratings
act                no        dialogue act label(s) as the corpus writes them
split              no        ``train`` / ``dev`` / ``test`` where the corpus defines one
=================  ========  ===========================================================

Corpus-specific label columns may follow; validation ignores columns it does not know.

Sentence table (KeiCO, Stanford politeness): one row per item with ``corpus``,
``item_id``, ``text`` and ``lang`` plus the corpus's labels.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from omotenashi_research.errors import TranscriptValidationError, shorten
from omotenashi_research.text import ZERO_WIDTH

# "other": a speaker whose service role the corpus does not give (BSD's named business people).
ROLES: tuple[str, ...] = ("agent", "customer", "other")
UTTERANCE_COLUMNS: tuple[str, ...] = (
    "corpus", "dialogue_id", "turn", "role", "speaker", "text", "lang",
)
SENTENCE_COLUMNS: tuple[str, ...] = ("corpus", "item_id", "text", "lang")

__all__ = [
    "ROLES",
    "SENTENCE_COLUMNS",
    "SENTENCE_SCHEMA",
    "UTTERANCE_COLUMNS",
    "UTTERANCE_SCHEMA",
    "split_valid",
    "validate_sentences",
    "validate_utterances",
]


def _by_value(s: pd.Series, fn, on_str=None) -> pd.Series:
    """``s.map(fn)`` as a bool Series, with ``fn`` called once per distinct non-NA value.

    Only for checks of string values: a string never equals a non-string, so values that hash alike
    also get the same answer (unlike 1 / 1.0 / True for an integer check). NA elements still go
    through ``s.map`` one by one, so their answer is exactly the element-wise one. ``on_str``, when
    given, answers ``fn`` for an object array of exact ``str`` values at once (the usual case: a
    string column), with C-level string methods instead of a Python call per value.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if not len(codes):
        return pd.Series(np.zeros(0, dtype=bool), index=s.index)
    values = np.asarray(uniques, dtype=object)  # iterating an Arrow-backed array is slow
    if on_str is not None and len(values) and set(map(type, values)) == {str}:
        answers = on_str(values)
    else:
        answers = np.fromiter((bool(fn(v)) for v in values), dtype=bool, count=len(values))
    out = answers[np.maximum(codes, 0)] if len(uniques) else np.zeros(len(codes), dtype=bool)
    na = codes < 0
    if na.any():
        out[na] = s[na].map(fn).astype(bool).to_numpy()
    return pd.Series(out, index=s.index)


def _str_value(v) -> bool:
    return isinstance(v, str)


def _str_or_na_value(v) -> bool:
    return isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v))


def _all_true(values: np.ndarray) -> np.ndarray:
    return np.ones(len(values), dtype=bool)


def _is_str(s: pd.Series) -> pd.Series:
    return _by_value(s, _str_value, _all_true)


def _is_str_or_na(s: pd.Series) -> pd.Series:
    return _by_value(s, _str_or_na_value, _all_true)


_INT64 = np.iinfo(np.int64)
_LANG_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")


def _int_value(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and (
        _INT64.min <= int(v) <= _INT64.max
    )


def _is_int(s: pd.Series) -> pd.Series:
    # Beyond int64 a turn would wrap around when the column is stored as int64.
    # A NumPy signed-integer column holds only int64-range integers: no need to look at each one.
    if isinstance(s.dtype, np.dtype) and s.dtype.kind == "i":
        return pd.Series(np.ones(len(s), dtype=bool), index=s.index)
    return s.map(_int_value)


# A text of only white space or zero-width characters is empty (it would tokenise to nothing).
_INVISIBLE = str.maketrans("", "", ZERO_WIDTH)


def _non_empty_value(v) -> bool:
    if not isinstance(v, str):
        return False
    visible = v.strip()
    if visible and visible[0] not in ZERO_WIDTH:  # a non-space, visible character: no need to translate
        return True
    return visible.translate(_INVISIBLE).strip() != ""


def _non_empty_strs(values: np.ndarray) -> np.ndarray:
    """:func:`_non_empty_value` of each ``str``: an ASCII text is non-empty when it has a non-space
    character (every zero-width character is non-ASCII); other texts are judged one by one."""
    out = np.fromiter(map(bool, map(str.strip, values)), dtype=bool, count=len(values))
    ascii_ = np.fromiter(map(str.isascii, values), dtype=bool, count=len(values))
    for i in np.flatnonzero(out & ~ascii_).tolist():
        out[i] = _non_empty_value(values[i])
    return out


def _non_empty_text(s: pd.Series) -> pd.Series:
    return _by_value(s, _non_empty_value, _non_empty_strs)


def _lang_value(v) -> bool:
    return isinstance(v, str) and _LANG_RE.fullmatch(v) is not None


def _lang_strs(values: np.ndarray) -> np.ndarray:
    return np.fromiter(map(bool, map(_LANG_RE.fullmatch, values)), dtype=bool, count=len(values))


def _rating_or_na(s: pd.Series) -> pd.Series:
    num = pd.to_numeric(s, errors="coerce")
    return s.isna() | ((num >= 1) & (num <= 5))


_STR = pa.Check(_is_str, error="must be a string")
# Element-wise, so that it gives a bool Series for every dtype, an empty column included.
_LANG = pa.Check(
    lambda s: _by_value(s, _lang_value, _lang_strs),
    error="must be an ISO 639 language code such as 'ja' or 'en'",
)

UTTERANCE_SCHEMA = pa.DataFrameSchema(
    {
        "corpus": pa.Column(checks=_STR),
        "dialogue_id": pa.Column(checks=_STR),
        "turn": pa.Column(
            checks=[
                pa.Check(_is_int, error="must be an integer"),
                pa.Check(lambda s: pd.to_numeric(s, errors="coerce") >= 0, error="must be >= 0"),
            ]
        ),
        "role": pa.Column(
            checks=pa.Check(lambda s: s.isin(ROLES), error="must be 'agent', 'customer' or 'other'")
        ),
        "speaker": pa.Column(nullable=True, checks=pa.Check(_is_str_or_na, error="must be a string or NA")),
        "text": pa.Column(checks=pa.Check(_non_empty_text, error="must be non-empty text")),
        "lang": pa.Column(checks=_LANG),
        "sat_turn": pa.Column(nullable=True, required=False,
                              checks=pa.Check(_rating_or_na, error="must be a rating 1-5 or NA")),
        "sat_dialogue": pa.Column(nullable=True, required=False,
                                  checks=pa.Check(_rating_or_na, error="must be a rating 1-5 or NA")),
        "act": pa.Column(nullable=True, required=False,
                         checks=pa.Check(_is_str_or_na, error="must be a string or NA")),
        "split": pa.Column(nullable=True, required=False,
                           checks=pa.Check(_is_str_or_na, error="must be a string or NA")),
    },
    unique=["corpus", "dialogue_id", "turn"],
    report_duplicates="all",
    strict=False,
    name="utterances",
)

SENTENCE_SCHEMA = pa.DataFrameSchema(
    {
        "corpus": pa.Column(checks=_STR),
        "item_id": pa.Column(checks=_STR, unique=True, report_duplicates="all"),
        "text": pa.Column(checks=pa.Check(_non_empty_text, error="must be non-empty text")),
        "lang": pa.Column(checks=_LANG),
    },
    strict=False,
    name="sentences",
)


def _failures(err: pa.errors.SchemaErrors, source: str | None) -> pd.DataFrame:
    """Turn pandera's failure cases into one tidy row per (row, column, problem)."""
    fc = err.failure_cases
    missing = fc[fc["check"].astype(str) == "column_in_dataframe"]
    if len(missing):
        # Without a required column no row can be judged: report only that.
        rows = [(None, str(v), "required column is missing", None) for v in missing["failure_case"]]
    else:
        rows = []
        for rec in fc.itertuples(index=False):
            check = str(rec.check)
            column = rec.column if isinstance(rec.column, str) else None
            if check.startswith("multiple_fields_uniqueness"):
                column, problem = "turn", "duplicate (corpus, dialogue_id, turn)"
                rows.append((rec.index, column, problem, None))
                continue
            elif check == "field_uniqueness":
                problem = "duplicate value"
            else:
                problem = check
            row = rec.index
            if isinstance(row, float) and row.is_integer():
                row = int(row)
            rows.append((row, column, problem, shorten(rec.failure_case)))
    out = pd.DataFrame(rows, columns=["row", "column", "problem", "value"], dtype=object)
    out.insert(0, "source", source)
    return out.drop_duplicates(subset=["row", "column", "problem"]).reset_index(drop=True)


def _validate(
    df: pd.DataFrame, schema: pa.DataFrameSchema, source: str | None
) -> pd.DataFrame | None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _failures(err, source)
    return None


def validate_utterances(df: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Check an utterance table against :data:`UTTERANCE_SCHEMA`.

    Parameters
    ----------
    df : pandas.DataFrame
        Utterance table (see the module docstring for its columns).
    source : str, optional
        Name of the file or data set, used in error messages.

    Returns
    -------
    pandas.DataFrame
        ``df`` unchanged, when it is valid.

    Raises
    ------
    TranscriptValidationError
        Naming every offending row, column and problem (``.failures`` holds them all).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.schema import validate_utterances
    >>> df = pd.DataFrame({"corpus": ["demo"] * 2, "dialogue_id": ["d1"] * 2, "turn": [0, 1],
    ...                    "role": ["customer", "agent"], "speaker": ["c", "a"],
    ...                    "text": ["Hello", "Welcome!"], "lang": ["en", "en"]})
    >>> validate_utterances(df).shape
    (2, 7)
    """
    failures = _validate(df, UTTERANCE_SCHEMA, source)
    if failures is not None:
        raise TranscriptValidationError(failures, source)
    return df


def validate_sentences(df: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Check a sentence table (KeiCO, Stanford politeness) against :data:`SENTENCE_SCHEMA`."""
    failures = _validate(df, SENTENCE_SCHEMA, source)
    if failures is not None:
        raise TranscriptValidationError(failures, source)
    return df


def split_valid(
    df: pd.DataFrame,
    *,
    kind: Literal["utterances", "sentences"] = "utterances",
    source: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a table into its valid rows and a quarantine of the rejected rows.

    Returns
    -------
    valid : pandas.DataFrame
        The rows that pass every check (original index kept).
    quarantine : pandas.DataFrame
        The rejected rows with two extra columns, ``_row`` (index label) and
        ``_reasons`` (``"; "``-joined problems). ``len(valid) + len(quarantine) == len(df)``.

    Raises
    ------
    TranscriptValidationError
        When a required column is missing: no row can be valid then.
    """
    if kind not in ("utterances", "sentences"):
        raise ValueError(f"kind must be 'utterances' or 'sentences', got {kind!r}")
    schema = UTTERANCE_SCHEMA if kind == "utterances" else SENTENCE_SCHEMA
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    # Validate by position: index labels may repeat, be NaN or be tuples, and a failure reported under
    # such a label could not be traced back to its row (a NaN label made invalid rows pass as valid).
    failures = _validate(df.reset_index(drop=True), schema, source)
    if failures is None:
        return df, df.iloc[0:0].assign(_row=pd.Series(dtype=object), _reasons=pd.Series(dtype=str))
    if failures["row"].isna().any():
        raise TranscriptValidationError(failures[failures["row"].isna()], source)
    reasons = (
        failures.assign(reason=failures["column"].astype(str) + ": " + failures["problem"])
        .groupby("row", sort=False)["reason"]
        .agg("; ".join)
    )
    bad = np.zeros(len(df), dtype=bool)
    bad[np.asarray(reasons.index, dtype=np.int64)] = True
    quarantine = df.iloc[np.flatnonzero(bad)].copy()
    quarantine["_row"] = list(df.index[bad])
    quarantine["_reasons"] = list(reasons.reindex(np.flatnonzero(bad)))
    # Every row of a duplicated turn is quarantined: none of them can be trusted.
    return df.iloc[np.flatnonzero(~bad)], quarantine
