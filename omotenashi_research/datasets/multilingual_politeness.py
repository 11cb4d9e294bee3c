"""Holistic multilingual politeness dataset (Japanese and English parts) and the PoliteLex lexica.

Havaldar, Pressimone, Wong & Ungar, "Comparing Styles across Languages" (arXiv:2310.07135). Short
discussion-page comments rated for perceived politeness with **one protocol in both languages**; the JA
and EN texts are comparable, not translations. Licence: the README says "CC-BY-NC" and links CC BY-NC 2.0
(non-commercial, attribution); the lexica are assumed to share it. See ``multilingual_politeness/SOURCE.md``.

Label scale: the stored ``labels`` are 0-4 in steps of 1/3 (13 values), a -2..+2 score shifted by +2,
so 2 is the midpoint; higher is more polite. Steps of 1/3 fit the mean of three integer ratings, which
the repository does not state. Compare labels by ``round(3 * x)``, never by float equality.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from omotenashi_research.datasets._integrity import checked_file
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_sentences

__all__ = ["CORPUS", "LANGS", "SPLITS", "load_multilingual_politeness", "load_politelex"]

CORPUS = "multilingual-politeness"
FOLDER = "multilingual_politeness"
LANGS: dict[str, str] = {"ja": "japanese", "en": "english"}
SPLITS: tuple[str, ...] = ("train", "val", "test")
_LEXICA = {"ja": "MLC/Lexica/japanese_politelex_purified.csv", "en": "MLC/Lexica/english_politelex.csv"}


def _bad(source: str, rows, column: str, problem: str, values) -> TranscriptValidationError:
    failures = pd.DataFrame({"source": source, "row": list(rows), "column": column, "problem": problem,
                             "value": list(values)}, dtype=object)
    return TranscriptValidationError(failures, source)


def _langs(lang: str | Sequence[str]) -> tuple[str, ...]:
    langs = (lang,) if isinstance(lang, str) else tuple(lang)
    unknown = [x for x in langs if x not in LANGS]
    if unknown or not langs:
        raise ValueError(f"unknown language(s) {unknown}; expected a subset of {tuple(LANGS)}")
    return langs


def _read_split(lang: str, split: str, data_dir, verify: bool) -> pd.DataFrame:
    path = checked_file(FOLDER, f"data/labeled_data/{LANGS[lang]}_{split}_4-14.csv", data_dir, verify=verify)
    source = str(path)
    # A CSV parser, not line splitting: one English text holds a quoted newline.
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("Utterance", "labels") if c not in raw.columns]
    if missing:
        raise _bad(source, [None] * len(missing), "", "required column is missing", missing)
    rows = np.arange(1, len(raw) + 1)  # 1-based data rows (records) of the file
    label = pd.to_numeric(raw["labels"], errors="coerce").to_numpy()
    thirds = 3 * label
    bad = np.isnan(label) | (label < 0) | (label > 4) | (np.abs(thirds - np.round(thirds)) > 1e-6)
    if bad.any():
        raise _bad(source, rows[bad], "labels", "must be a number k/3 with k = 0..12", raw.loc[bad, "labels"])
    empty = (raw["Utterance"].str.strip() == "").to_numpy()
    if empty.any():
        raise _bad(source, rows[empty], "Utterance", "must be non-empty text", raw.loc[empty, "Utterance"])
    return pd.DataFrame({
        "corpus": CORPUS, "item_id": [f"{lang}:{split}:{r}" for r in rows], "text": raw["Utterance"],
        "lang": lang, "split": split, "politeness": label, "row": rows,
    })


def load_multilingual_politeness(
    lang: str | Sequence[str] = ("ja", "en"),
    *,
    splits: Sequence[str] = SPLITS,
    data_dir: str | os.PathLike | None = None,
    verify: bool = True,
) -> pd.DataFrame:
    """Load the rated utterances (JA 5,699, EN 5,700; train/val/test) as a sentence table.

    Parameters
    ----------
    lang : {"ja", "en"} or sequence of them
        Which language part(s); default both.
    splits : sequence of {"train", "val", "test"}
        Which splits; default all three.
    data_dir : path, optional
        Folder holding ``multilingual_politeness/`` (default ``$OMOTENASHI_DATA``, then the cache).
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv`` (a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`); ``False`` reads it anyway (e.g. a
        subset or invented files).

    Returns
    -------
    pandas.DataFrame
        Sentence table (:mod:`omotenashi_research.schema`): ``corpus`` ``"multilingual-politeness"``,
        ``item_id`` ``<lang>:<split>:<row>``, ``text`` (one comment, usually two sentences; one English
        text holds a newline), ``lang``, ``split``, ``politeness`` (float 0-4 in steps of 1/3, 2 =
        neutral; compare by ``round(3 * x)``), ``row`` (1-based data record of the file). Rows in the
        order language, split, file.

    Raises
    ------
    CorpusNotFoundError
        When a file is not found (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when a file is not the complete registered one.
    TranscriptValidationError
        Missing columns, labels that are not k/3 in 0-4, or empty texts, naming the file and its
        1-based data rows.

    Examples
    --------
    >>> from omotenashi_research.datasets.multilingual_politeness import load_multilingual_politeness
    >>> df = load_multilingual_politeness()  # doctest: +SKIP
    >>> df.groupby("lang")["politeness"].mean().round(3).to_dict()  # doctest: +SKIP
    {'en': 2.035, 'ja': 2.332}
    """
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    unknown = [s for s in splits if s not in SPLITS]
    if unknown or not splits:
        raise ValueError(f"unknown split(s) {unknown}; expected a subset of {SPLITS}")
    parts = [_read_split(la, s, data_dir, verify) for la in _langs(lang) for s in splits]
    df = pd.concat(parts, ignore_index=True)
    return validate_sentences(df, source=f"{FOLDER}/data/labeled_data")


def load_politelex(
    lang: str, *, data_dir: str | os.PathLike | None = None, verify: bool = True
) -> pd.DataFrame:
    """Load a PoliteLex strategy lexicon (Stanford/ConvoKit-style categories), one row per entry.

    Parameters
    ----------
    lang : {"ja", "en"}
        ``"ja"``: ``japanese_politelex_purified.csv`` (522 rows, 20 categories, incl. ``taboo`` and
        ``you_honorific``); ``"en"``: ``english_politelex.csv`` (7,012 rows, 26 categories, incl. the
        ``*_start`` forms and the sentiment lists ``has_positive``/``has_negative``).
    data_dir : path, optional
        Folder holding ``multilingual_politeness/``.
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv`` (a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`); ``False`` reads it anyway (e.g. a
        subset or invented files).

    Returns
    -------
    pandas.DataFrame
        ``lang``, ``category``, ``entry`` (a literal string, some multi-word: matching rules such as
        tokenisation or sentence-initial position are left to the caller), ``row`` (1-based data row).
        Rows are kept as stored, including the duplicates upstream has (8 in English) and entries in
        several categories (33 JA, 40 EN) and the odd expansion artefacts listed in SOURCE.md.

    Raises
    ------
    CorpusNotFoundError
        When the file is not found.
    CorpusIncompleteError
        With ``verify``, when a file is not the complete registered one.
    TranscriptValidationError
        A header other than ``CATEGORY,word`` or empty cells, naming the file and row.

    Examples
    --------
    >>> from omotenashi_research.datasets.multilingual_politeness import load_politelex
    >>> lex = load_politelex("ja")  # doctest: +SKIP
    >>> len(lex), lex["category"].nunique()  # doctest: +SKIP
    (522, 20)
    """
    if not isinstance(lang, str) or lang not in LANGS:
        raise ValueError(f"load_politelex takes one language, 'ja' or 'en', not {lang!r}")
    path = checked_file(FOLDER, _LEXICA[lang], data_dir, verify=verify)
    source = str(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)  # handles the English file's CRLF
    if list(raw.columns) != ["CATEGORY", "word"]:
        raise _bad(source, [0], "header", "expected columns ['CATEGORY', 'word']", [list(raw.columns)])
    rows = np.arange(1, len(raw) + 1)
    for col in ("CATEGORY", "word"):
        empty = (raw[col].str.strip() == "").to_numpy()
        if empty.any():
            raise _bad(source, rows[empty], col, "must not be empty", raw.loc[empty, col])
    return pd.DataFrame({"lang": lang, "category": raw["CATEGORY"], "entry": raw["word"], "row": rows})
