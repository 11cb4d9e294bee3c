"""The per-span token cache (:mod:`omotenashi_research.markers.chunks`) gives exactly spaCy's tokens.

Hypothesis builds texts from invented words, the tokenizer's own special cases (contractions,
abbreviations, emoticons), punctuation, emoji, URLs and every kind of whitespace run, and
compares :meth:`ChunkTokens.orth` (in batches of several sizes, cold and warm cache) with one
``tokenizer(text)`` call per text.
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.attrs import ORTH

from omotenashi_research.markers import chunks
from omotenashi_research.markers.chunks import ChunkTokens, spans_of
from omotenashi_research.markers.engine import get_matcher

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_NLP = get_matcher("en").nlp  # the marker engine's English pipeline (its tokenizer is what counts)
_RULES = sorted(_NLP.tokenizer.rules)
_WORDS = [
    "I", "we", "booked", "the", "room", "Thank", "you", "sorry", "don't", "I'm", "can't", "it's",
    "won't", "y'all", "gonna", "e.g.", "a.m.", "p.m.", "3p.m.", "Mr.", "U.S.", "etc.", "vs.",
    ":)", ":-(", "<3", "^_^", "(", ")", "\"", "'", "’", "'s", "n't", ".", ",", "?", "!", "...",
    ":", ";", "-", "--", "/", "&", "$10", "10:30", "2026-11-28", "#tag", "@user",
    "https://example.com/a?b=1", "www.example.org", "mail@example.com",
    "😀", "👍🏽", "🇯🇵", "café", "naïve", "東京", "ｈｏｔｅｌ", "\x00", "\u200b", "a\u200bb",
]
_SPACES = [" ", " ", " ", "  ", "   ", "\n", "\n\n", "\t", " \t ", "\r\n", " \n", "\n ", "\xa0", "\u3000",
           "\u2028", "\x0b", "\x1c", "\x85", " \u00a0 "]
_PIECES = st.one_of(st.sampled_from(_WORDS), st.sampled_from(_RULES), st.text(min_size=1, max_size=4))
texts = st.lists(st.tuples(_PIECES, st.sampled_from(_SPACES + [""])), max_size=12).map(
    lambda parts: "".join(p + s for p, s in parts)
)
# Special cases glued to punctuation and to each other, one or two spaces apart: where spaCy's
# special-case matcher finds matches across spans (the hard case for a per-span cache).
_GLUE = st.sampled_from([*list(".,!?:;()[]\"'’-/"), "..", "'s", "n't", "a", "m", "p", "e", "g", "9"])
glued = st.lists(st.tuples(st.one_of(st.sampled_from(_RULES), _GLUE), st.sampled_from(["", " ", "  "])),
                 min_size=1, max_size=6).map(lambda parts: "".join(p + s for p, s in parts))
# Found by a random search of such texts: spaCy's tokens differ from the spans' own tokens.
CROSS_SPAN = [
    "wouldntMustn’t’ d.’Cos  ",
    "What’d’ve’coz:( (o:It’ll",
    "CouldveWouldn't've:') :(Wash. ",
    "Theydve:( :}12am ",
    "Mustve  Whatre(>_<) :}<space> ",
]
# ... and texts an earlier version of the cache got wrong (tokens of new spans joined in a group)
HARD = [*CROSS_SPAN, "Gen. :/:((:'(  why's", "Ia.  'Coz  :):/ Mustn't  ", ":((she’d’vewhen’ve  ",
        "She’s :}Conn.wouldve Those’d’ve  "]
edged = st.tuples(st.sampled_from(["", " ", "\n", "  "]), texts, st.sampled_from(["", " ", "\t", "  "])).map(
    "".join
)


def _spacy(tokenizer, batch: list[str]) -> tuple[np.ndarray, list[int]]:
    arrays = [tokenizer(t).to_array(ORTH).reshape(-1) for t in batch]
    return (np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)), [len(a) for a in arrays]


@PROPS
@given(st.lists(st.one_of(texts, edged, glued), max_size=12), st.integers(1, 5))
def test_chunk_tokens_equal_spacy_tokens(batch, step):
    tok = _NLP.tokenizer
    ct = ChunkTokens(tok)
    ref, ref_lens = _spacy(tok, batch)
    for _ in range(2):  # cold, then warm
        orth, lens = ct.orth(batch)
        assert lens.tolist() == ref_lens
        np.testing.assert_array_equal(orth, ref)
    # every span cached alone first (another context than the text's)
    ct.clear()
    for text in batch:
        for sp in spans_of(text):
            ct.orth([sp])
    orth, lens = ct.orth(batch)
    assert lens.tolist() == ref_lens
    np.testing.assert_array_equal(orth, ref)
    # in small batches, with the cache kept between them
    ct.clear()
    parts, part_lens = [], []
    for g in range(0, len(batch), step):
        o, n = ct.orth(batch[g : g + step])
        parts.append(o)
        part_lens += n.tolist()
    assert part_lens == ref_lens
    np.testing.assert_array_equal(np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64), ref)


@functools.cache  # building a blank pipeline takes ~0.2 s; the tokenizer's results do not depend on its cache
def _blank_tokenizer():
    return spacy.blank("en").tokenizer


@PROPS
@given(st.lists(st.one_of(texts, edged), max_size=8))
def test_chunk_tokens_equal_spacy_tokens_blank_pipeline(batch):
    tok = _blank_tokenizer()
    ref, ref_lens = _spacy(tok, batch)
    orth, lens = ChunkTokens(tok).orth(batch)
    assert lens.tolist() == ref_lens
    np.testing.assert_array_equal(orth, ref)


@given(st.one_of(texts, edged))
@settings(max_examples=200, deadline=None)
def test_spans_are_spacys_spans(text):
    """Known answer: spaCy's tokens never cross a span, and the spans cover the text."""
    doc = _NLP.tokenizer(text)
    spans = spans_of(text)
    joined = "".join(t.text_with_ws for t in doc)
    assert joined == text
    # every span is exactly the concatenation of consecutive tokens' texts
    toks = [t.text for t in doc]
    k = 0
    for s in spans:
        acc = ""
        while len(acc) < len(s):
            acc += toks[k]
            k += 1
        assert acc == s
    assert k == len(toks)


def test_known_answers():
    nlp = spacy.blank("en")
    orth, lens = ChunkTokens(nlp.tokenizer).orth(["I'm  here :)", "", "a\n\nb", " x"])
    words = [nlp.vocab.strings[int(h)] for h in orth]
    assert words == ["I", "'m", " ", "here", ":)", "a", "\n\n", "b", " ", "x"]
    assert lens.tolist() == [5, 0, 3, 2]
    assert spans_of("a  b \n c") == ["a", " ", "b", "\n ", "c"]


def test_cross_span_matches_need_the_check():
    """Known answer: on these texts one tokenizer call differs from the spans tokenised one by one
    (a special-case match across two spans hides one inside a span), yet ChunkTokens gives spaCy's
    tokens, in a batch and alone."""
    tok = _NLP.tokenizer
    for text in CROSS_SPAN:
        whole = [t.orth for t in tok(text)]
        per_span = [t.orth for sp in spans_of(text) for t in tok(sp)]
        assert whole != per_span, text
    for batch in (HARD, *[[t] for t in HARD]):
        for warm in (False, True):
            ct = ChunkTokens(tok)
            if warm:  # every span cached from its own tokenisation first
                for text in batch:
                    for sp in spans_of(text):
                        ct.orth([sp])
            orth, lens = ct.orth(list(batch))
            r, rl = _spacy(tok, list(batch))
            assert lens.tolist() == rl
            np.testing.assert_array_equal(orth, r)


def test_cross_span_special_pairs_are_retokenised():
    """A special-case pattern split over two spans ("a.m ." is "a.m" + "." like the rule "a.m.")
    sends the text to the tokenizer itself; the tokens are still spaCy's."""
    tok = _NLP.tokenizer
    ct = ChunkTokens(tok)
    strings = _NLP.vocab.strings
    assert (strings["a.m"], strings["."]) in ct._pairs
    batch = ["at 9 a.m . ok", "e.g . fine", "x"]
    orth, lens = ct.orth(batch)
    ref, ref_lens = _spacy(tok, batch)
    assert lens.tolist() == ref_lens
    np.testing.assert_array_equal(orth, ref)


def test_whitespace_other_than_space_is_unprintable():
    """The fast path (:func:`chunks._fast`) relies on it, over all of Unicode."""
    bad = [c for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c).isprintable() and c != 32]
    assert bad == []


def test_clear_caches_empties_every_instance():
    ct = ChunkTokens(spacy.blank("en").tokenizer)
    ct.orth(["one two three"])
    assert len(ct._index) > 3
    chunks.clear_caches()
    assert len(ct._index) == 1  # only the separator


@pytest.mark.corpus
def test_uss_tokens_equal_spacy_tokens(corpora_dir):
    """Every USS text (read at run time; nothing stored) through the marker engine's tokenizer."""
    import warnings

    from omotenashi_research.datasets.uss import load_uss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the loader reports dropped empty lines
        texts = load_uss()["text"].tolist()
    tok = _NLP.tokenizer
    ct = ChunkTokens(tok)
    for g in range(0, len(texts), 4000):
        batch = texts[g : g + 4000]
        orth, lens = ct.orth(batch)
        ref, ref_lens = _spacy(tok, batch)
        assert lens.tolist() == ref_lens
        np.testing.assert_array_equal(orth, ref)


def test_bounded_cache_starts_over_with_the_same_tokens(monkeypatch):
    monkeypatch.setattr(chunks, "_MAX_CHUNKS", 5)
    tok = _NLP.tokenizer
    ct = ChunkTokens(tok)
    batches = [["I'm here, thanks!", "Don't  go"], ["e.g. a.m . ok", "x\ny"], ["one two three four five six"]]
    for batch in batches:
        orth, lens = ct.orth(batch)
        ref, ref_lens = _spacy(tok, batch)
        assert lens.tolist() == ref_lens
        np.testing.assert_array_equal(orth, ref)
    assert len(ct._index) <= 5 + len(spans_of(batches[-1][0])) + 1
