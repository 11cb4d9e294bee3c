"""Lookup lemmas and sentencizer sentence starts computed with numpy (no spaCy pipes run).

The default pipelines' ``lemmatizer`` (lookup mode) and ``sentencizer`` are functions of the token
texts alone, so the marker engine derives both for a whole batch of tokens at once instead of running
the pipes per doc. :class:`_FastAnnotator` sets them on single docs (docs that leave the engine, and
the spaCy fallback matchers).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from spacy.attrs import IS_PUNCT, LEMMA, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc


class _FastAnnotator:
    """Lookup lemmas and sentencizer sentence starts on one doc, with numpy.

    Reproduces ``Lemmatizer(mode="lookup")`` (lemma = table[text], else the text) and
    ``Sentencizer`` (a sentence starts at the first non-punctuation token after a run of
    punctuation containing one of its ``punct_chars``). Used for docs that leave the
    engine (``make_doc``) and for the spaCy fallback matchers.
    """

    def __init__(self, nlp: Language, *, lemma: bool, sents: bool):
        self.lemma = lemma and "lemmatizer" in nlp.pipe_names
        self.sents = sents and "sentencizer" in nlp.pipe_names
        strings = nlp.vocab.strings
        if self.lemma:
            self._keys, self._vals = _lemma_arrays(nlp)
        if self.sents:
            chars = nlp.get_pipe("sentencizer").punct_chars
            self._punct = np.array(sorted(strings.add(c) for c in chars), dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0 or not (self.lemma or self.sents):
            return doc
        arr = doc.to_array([ORTH, IS_PUNCT])
        if self.lemma:
            doc.from_array([LEMMA], _lookup(self._keys, self._vals, arr[:, 0]).reshape(-1, 1))
        if self.sents:
            start = _sent_starts(arr[:, 0], arr[:, 1], self._punct, np.zeros(1, dtype=np.int64))
            doc.from_array([SENT_START], np.where(start, 1, -1).astype(np.uint64).reshape(-1, 1))
        return doc


@cache
def _lemma_arrays(nlp: Language) -> tuple[np.ndarray, np.ndarray]:
    strings = nlp.vocab.strings
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    keys = np.fromiter((int(k) for k in table.keys()), dtype=np.uint64, count=len(table))
    vals = np.fromiter((strings.add(v) for v in table.values()), dtype=np.uint64, count=len(table))
    order = np.argsort(keys)
    return keys[order], vals[order]


def _lookup(keys: np.ndarray, vals: np.ndarray, orth: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(keys, orth)
    pos[pos == len(keys)] = 0
    found = keys[pos] == orth
    return np.where(found, vals[pos], orth)


def _sent_starts(
    orth: np.ndarray,
    punct: np.ndarray,
    punct_chars: np.ndarray,
    doc_starts: np.ndarray,
    pc: np.ndarray | None = None,
) -> np.ndarray:
    """Sentencizer boundaries for concatenated docs (``doc_starts``: first token of each doc;
    ``pc``: whether each token is one of ``punct_chars``, computed when not given)."""
    n = len(orth)
    idx = np.arange(n)
    if pc is None:
        pc = np.isin(orth, punct_chars)
    word = ~(pc | punct.astype(bool))
    last_word = np.maximum.accumulate(np.where(word, idx, -1))
    last_pc = np.maximum.accumulate(np.where(pc, idx, -1))
    first = np.zeros(n, dtype=np.int64)
    first[doc_starts[doc_starts < n]] = doc_starts[doc_starts < n]
    first = np.maximum.accumulate(first)  # first token of each token's doc
    start = np.zeros(n, dtype=bool)
    if n:
        start[1:] = word[1:] & (last_pc[:-1] > last_word[:-1]) & (last_pc[:-1] >= first[1:])
        start[doc_starts[doc_starts < n]] = True
    return start


@cache
def _full_annotator(nlp: Language) -> _FastAnnotator:
    return _FastAnnotator(nlp, lemma=True, sents=True)
