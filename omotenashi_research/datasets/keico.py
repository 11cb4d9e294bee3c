"""KeiCO: Japanese sentences labelled with a keigo (honorific) level and the honorific forms they contain.

Liu & Kobayashi, LREC 2022 workshop; CC BY 4.0. See ``keico/SOURCE.md`` of the staged corpora.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from omotenashi_research.datasets._integrity import check_count, checked_file, read_csv
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_sentences

__all__ = ["CORPUS", "FILE", "load_keico"]

CORPUS = "keico"
FOLDER = "keico"
FILE = "keico_corpus(forLREC)-OldVersion.csv"
# CSV header -> column
_COLUMNS = {"本文": "text", "Level": "level", "尊敬語": "respectful", "謙譲語": "humble", "丁寧語": "polite",
            "フィールド": "situation"}
_FLAGS = ("respectful", "humble", "polite")


def _bad(source: str, rows, column: str, problem: str, values) -> TranscriptValidationError:
    failures = pd.DataFrame({"source": source, "row": list(rows), "column": column, "problem": problem,
                             "value": list(values)}, dtype=object)
    return TranscriptValidationError(failures, source)


def load_keico(*, data_dir: str | os.PathLike | None = None, verify: bool = True) -> pd.DataFrame:
    """Load KeiCO (10,007 sentences) as a sentence table.

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``keico/`` (default: ``$OMOTENASHI_DATA``, then the download cache).
    verify : bool
        Check the file's size and SHA-256 against ``registry.csv`` and that it has all 10,007 rows; a
        truncated or altered copy raises :class:`~omotenashi_research.errors.CorpusIncompleteError`.
        ``False`` reads it anyway (e.g. a subset you made).

    Returns
    -------
    pandas.DataFrame
        Sentence table (``omotenashi_research.schema``): ``item_id`` ``keico:<row>`` (1-based data row
        of the CSV; 5 sentences occur twice), ``text``, ``lang`` ``"ja"``; ``level`` (int 1-4: in the
        data 1 and 2 are mostly sentences flagged respectful, 3 mostly polite-only, 4 mostly unflagged
        plain style, i.e. 1 is the most honorific; see the paper for the definition), the flags
        ``respectful`` (尊敬語, sonkeigo), ``humble`` (謙譲語, kenjougo) and ``polite`` (丁寧語, teineigo)
        as bools, ``situation`` (フィールド, e.g. 客, 受付, 謝る), and ``row``.

    Raises
    ------
    CorpusNotFoundError
        When the file is not found (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when the file is not the complete registered one.
    TranscriptValidationError
        Missing columns, levels outside 1-4, flags other than 0/1 or empty sentences, naming the
        1-based data rows of the file.

    Examples
    --------
    >>> from omotenashi_research.datasets.keico import load_keico
    >>> df = load_keico()  # doctest: +SKIP
    >>> df["level"].value_counts().sort_index().tolist()  # doctest: +SKIP
    [2584, 2046, 2694, 2683]
    """
    path = checked_file(FOLDER, FILE, data_dir, verify=verify)
    source = str(path)
    raw = read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    check_count(CORPUS, "data rows", len(raw), path, verify=verify)
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise _bad(source, [None] * len(missing), "", "required column is missing", missing)
    raw = raw.rename(columns=_COLUMNS)
    rows = np.arange(1, len(raw) + 1)
    cells = {c: raw[c].str.strip() for c in ("level", *_FLAGS)}
    bad = ~cells["level"].isin(["1", "2", "3", "4"]).to_numpy()
    if bad.any():
        raise _bad(source, rows[bad], "Level", "must be 1, 2, 3 or 4", raw.loc[bad, "level"])
    for flag, header in zip(_FLAGS, ("尊敬語", "謙譲語", "丁寧語"), strict=True):
        bad = ~cells[flag].isin(["0", "1"]).to_numpy()
        if bad.any():
            raise _bad(source, rows[bad], header, "must be 0 or 1", raw.loc[bad, flag])
    empty = (raw["text"].str.strip() == "").to_numpy()
    if empty.any():
        raise _bad(source, rows[empty], "本文", "must be non-empty text", raw.loc[empty, "text"])
    df = pd.DataFrame({
        "corpus": CORPUS, "item_id": [f"keico:{r}" for r in rows], "text": raw["text"], "lang": "ja",
        "level": cells["level"].astype(int),
        **{flag: cells[flag] == "1" for flag in _FLAGS},
        "situation": raw["situation"].str.strip().replace("", pd.NA),
        "row": rows,
    })
    return validate_sentences(df, source=source)
