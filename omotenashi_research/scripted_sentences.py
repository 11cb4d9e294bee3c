"""Sentence splitting of utterances (Japanese and English), and the utterance-table check of scriptedness.

Holds :func:`split_sentences` (one text to its sentences) and :func:`sentence_table` (an utterance
table to one row per sentence), the unit of ``scriptedness(..., unit="sentence")``; and
``_check_utterances``, the input check every scriptedness function runs on an utterance table
(kept here, the lowest module that reads such tables, so the others import it without a cycle).
Public path: :mod:`omotenashi_research.scripted`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["sentence_table", "split_sentences"]

# The utterance-table columns every scriptedness function requires (checked by _check_utterances).
_UTT_COLS = ("corpus", "dialogue_id", "turn", "role", "text", "lang")


def _check_utterances(df: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}; see omotenashi_research.schema")
    if "text" not in needed:
        bad = []
    elif isinstance(df["text"].dtype, pd.StringDtype):
        bad = df.index[df["text"].isna().to_numpy()]  # a string column holds strings or NA
    else:
        bad = df.index[~df["text"].map(lambda v: isinstance(v, str))]
    if len(bad):
        raise ValueError(f"{what}: row(s) {list(bad[:5])}: column 'text' must be a string")


# Sentence ends: runs of 。！？!?．… or newlines, an ASCII period only before whitespace or the end (so
# "7.30" and "e.g.x" stay whole), each with the closing brackets/quotes that follow it.
_SENT_END = re.compile(r"(?:[。！？!?．…]+|\.+(?=[」』）)\]\"'’”]*(?:\s|$))|\n+)[」』）)\]\"'’”]*")
# A period after these words (or after a single letter, as in "U.S.") does not end an English sentence.
_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr prof mt no vs etc approx ave dept".split())
_LAST_WORD = re.compile(r"([A-Za-z]+)$")


def split_sentences(text: str) -> list[str]:
    """Split one utterance into sentences (Japanese and English), keeping each end mark.

    A sentence ends after a run of 。！？!?．… or a line break, or after an ASCII period followed by
    whitespace or the end of the text, unless the period closes a title or abbreviation ("Mr.",
    "St.", "etc.") or a single letter ("U.S."). Closing brackets and quotes after the end mark stay
    with the sentence. Whitespace at either end of a sentence is removed; nothing else is.

    Parameters
    ----------
    text : str
        One utterance.

    Returns
    -------
    list of str
        Non-empty sentences in order; ``[]`` for a text of only whitespace.

    Examples
    --------
    >>> from omotenashi_research.scripted import split_sentences
    >>> split_sentences("Thank you, Mr. Smith. It's 7.30 now! Anything else?")
    ['Thank you, Mr. Smith.', "It's 7.30 now!", 'Anything else?']
    >>> split_sentences("かしこまりました。「ホテル」ですね！少々お待ちください")
    ['かしこまりました。', '「ホテル」ですね！', '少々お待ちください']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if m.group(0)[0] == ".":
            word = _LAST_WORD.search(text, start, m.start())
            if word and (len(word.group(1)) == 1 or word.group(1).lower() in _ABBREVIATIONS):
                continue  # "Mr." / "U.S.": not a sentence end
        piece = text[start:m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentence_table(utterances_df: pd.DataFrame, *, role: str | None = "agent") -> pd.DataFrame:
    """One row per sentence of the (agent) utterances, via :func:`split_sentences`.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``).
    role : str or None
        Only utterances of this role (``None``: all).

    Returns
    -------
    pandas.DataFrame
        ``corpus, dialogue_id, turn, sentence`` (0-based position in the turn), ``role, lang, text``;
        turns in input order. A turn of only whitespace has no sentence (the schema forbids such turns).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import sentence_table
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": "a", "turn": [0, 1], "role": "agent",
    ...                    "lang": "en", "text": ["Hello. How can I help?", "Sure."]})
    >>> sentence_table(df)[["turn", "sentence", "text"]].values.tolist()
    [[0, 0, 'Hello.'], [0, 1, 'How can I help?'], [1, 0, 'Sure.']]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "sentence_table")
    sel = utterances_df if role is None else utterances_df[utterances_df["role"] == role]
    pieces = [split_sentences(t) for t in sel["text"]]
    counts = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    rows = np.repeat(np.arange(len(sel)), counts)
    out = sel[["corpus", "dialogue_id", "turn"]].iloc[rows].reset_index(drop=True)
    # position within the turn: running index minus the turn's first row
    out["sentence"] = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    out["role"] = sel["role"].to_numpy()[rows]
    out["lang"] = sel["lang"].to_numpy()[rows]
    out["text"] = [s for p in pieces for s in p]
    return out
