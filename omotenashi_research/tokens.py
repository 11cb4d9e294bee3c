"""Per-text token analyses shared by every stage: one tokenisation per text.

Marker counting, content words (anticipation, personalization), lexical diversity and Japanese
sentiment all need the tokens of the same texts. The marker engine tokenises each text once and
hands the tokens to :func:`recorder`, which stores the small per-text results the later stages
need (never the Docs); a later stage asks :func:`analyses` and only tokenises texts that were
not seen (the same tokenizer, through :func:`omotenashi_research.nlp.docs`, so the results are
identical either way).

Kinds of analysis:

``content``
    content-word lemmas with a slot-value flag (rule: :mod:`omotenashi_research.context`);
``lower``
    lower-cased non-space, non-punctuation tokens (lexical diversity);
``sentiment``
    Japanese only: the lexicon polarity score of :mod:`omotenashi_research.sentiment`.

Results are cached per ``(kind, lang, text)``; the cache is bounded (cleared past 500,000
texts per kind) and :func:`clear_caches` empties it (benchmarks do, between repetitions).
Content words recorded by the marker engine's English fast path are kept as flat arrays per batch
(``_ContentArrays``): the context features read them as arrays (``_content_pairs``), and
:func:`analyses` builds a text's tuple only when asked (same values either way).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from spacy.attrs import IS_PUNCT, IS_SPACE, LEMMA, LIKE_NUM, LOWER, ORTH, TAG
from spacy.tokens import Doc

from omotenashi_research.nlp import docs as nlp_docs
from omotenashi_research.nlp import get_pipeline

__all__ = ["KINDS", "analyses", "clear_caches", "recorder"]

KINDS = ("content", "lower", "sentiment")
_CACHE_SIZE = 500_000
_CACHE: dict[str, dict[tuple[str, str], object]] = {k: {} for k in KINDS}

# Generic words that carry no "offered thing" (Japanese nouns/verbs with light meaning).
JA_LIGHT = frozenset({
    "こと", "もの", "物", "事", "よう", "様", "方", "ため", "為", "とき", "時", "ところ", "所", "等", "など",
    "する", "為る", "いる", "居る", "ある", "有る", "なる", "成る", "できる", "出来る", "いただく", "頂く",
    "くださる", "下さる", "おる", "ござる", "致す", "いたす", "申す", "存ずる", "思う", "いう", "言う",
})
EN_LIGHT = frozenset({"like", "would", "want", "need", "let", "help", "also", "get", "make", "shall", "maybe",
                      "sure", "ok", "okay", "yes", "no", "please", "thank", "thanks", "sir", "madam"})
_JA_SLOT_VALUE = re.compile(
    r"[0-9０-９〇一二三四五六七八九十百千万]+|[月火水木金土日]曜日?|[年月日時分]|今日|明日|明後日|今晩|今夜"
    r"|午前|午後|来週|今週"
)
_EN_SLOT_VALUE = re.compile(
    r"^(?:\d.*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|tonight|am|pm)$"
)


def clear_caches() -> None:
    """Forget every cached analysis (memory, or honest benchmark repetitions)."""
    for c in _CACHE.values():
        c.clear()
    _LAZY.clear()
    _EN_TYPES.clear()


# -- analyses of one Doc ------------------------------------------------------------------
_ROW_ATTRS = [ORTH, TAG, LEMMA, LOWER, IS_SPACE, IS_PUNCT]
_STR: dict[int, str] = {}  # hash -> string (a few MB at most: one entry per distinct token text/tag/lemma)


def token_rows(doc) -> list[tuple[str, str, str, str, bool, bool]]:
    """``(text, tag, lemma, lower, is_space, is_punct)`` per token, read as one array (no Token objects)."""
    if not len(doc):
        return []
    strings = doc.vocab.strings
    get = _STR.get
    if len(_STR) > _CACHE_SIZE:
        _STR.clear()
    out = []
    for o, t, lm, lw, sp, pu in doc.to_array(_ROW_ATTRS).tolist():
        row = []
        for h in (o, t, lm, lw):
            v = get(h)
            if v is None:
                v = _STR[h] = strings[h] if h else ""
            row.append(v)
        out.append((row[0], row[1], row[2] or row[0], row[3], bool(sp), bool(pu)))
    return out


def content_ja(rows) -> tuple[tuple[str, bool], ...]:
    """Japanese content words of one text from :func:`token_rows` (or a Doc)."""
    if not isinstance(rows, list):
        rows = token_rows(rows)
    words: dict[str, bool] = {}
    prev_tag = ""
    for text, tag, lemma, _, _, _ in rows:
        before, prev_tag = prev_tag, tag
        if not (tag.startswith("名詞") or tag.startswith("動詞") or tag.startswith("接尾辞-名詞的")):
            continue
        if lemma in JA_LIGHT:
            continue
        # 非自立可能 verbs after て/で are auxiliaries (見てみる, 行っておく), not content.
        if tag.startswith("動詞-非自立可能") and before == "助詞-接続助詞":
            continue
        slot = bool(
            tag.startswith("名詞-数詞") or tag.endswith("助数詞可能") or _JA_SLOT_VALUE.fullmatch(text)
        )
        # A lemma is kept without slot_values if any of its occurrences is not a slot value.
        words[lemma] = words.get(lemma, True) and slot
    return tuple(words.items())


def _en_word(lemma: str, lower: str, like_num: bool, stop: frozenset[str]) -> tuple[str, bool] | None:
    lemma = lemma.lower()
    if lemma in stop or lemma in EN_LIGHT or lower in stop:
        return None
    slot = bool(like_num or _EN_SLOT_VALUE.match(lemma))
    if not (lemma.isalpha() or like_num):
        return None
    # Non-alphabetic numbers are content only as slot values (kept when slot_values is True).
    return lemma, slot


def content_en(doc) -> tuple[tuple[str, bool], ...]:
    stop = _en_stop_words()
    words: dict[str, bool] = {}
    for t in doc:
        w = _en_word(t.lemma_ or t.text, t.lower_, t.like_num, stop)
        if w is not None:
            words[w[0]] = words.get(w[0], True) and w[1]
    return tuple(words.items())


def lower_tokens(doc) -> tuple[str, ...]:
    if isinstance(doc, list):  # token_rows
        return tuple(low for _, _, _, low, sp, pu in doc if not (sp or pu))
    return tuple(t.lower_ for t in doc if not (t.is_space or t.is_punct))


def _en_stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _from_doc(kind: str, lang: str) -> Callable:
    if kind == "content":
        return content_ja if lang == "ja" else content_en
    if kind == "lower":
        return lower_tokens
    from omotenashi_research.sentiment import score_rows_ja

    return score_rows_ja


def _analyse_docs(kinds: Sequence[str], lang: str, docs: Sequence) -> dict[str, list]:
    """Each kind's analysis of each doc; Japanese docs are read once as token rows."""
    items: Sequence = [token_rows(d) for d in docs] if lang == "ja" else docs
    return {kind: [_from_doc(kind, lang)(x) for x in items] for kind in kinds}


# -- English by token type (the engine's fast path gives ORTH arrays, not Docs) ------------
# ORTH -> (content word or None, lower-cased form or None for punctuation/space)
_EN_TYPES: dict[int, tuple[tuple[str, bool] | None, str | None]] = {}


def _en_type_info(orths: np.ndarray, nlp) -> list[tuple[tuple[str, bool] | None, str | None]]:
    get = _EN_TYPES.get
    if len(_EN_TYPES) > _CACHE_SIZE:
        _EN_TYPES.clear()
    missing = [o for o in dict.fromkeys(orths.tolist()) if get(o) is None]
    if missing:
        stop = _en_stop_words()
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        strings = nlp.vocab.strings
        texts = [strings[o] for o in missing]
        # The lexeme attributes of all new types in one array (one Doc of the types, as the marker
        # engine's type table does) instead of a Lexeme object per type: the same lexemes' values.
        attrs = Doc(nlp.vocab, words=texts, spaces=[False] * len(texts)).to_array(
            [LOWER, LIKE_NUM, IS_SPACE, IS_PUNCT]).reshape(len(texts), 4).tolist()
        for o, text, (low_h, like_num, space, punct) in zip(missing, texts, attrs, strict=True):
            low = strings[low_h]
            # The lookup table is keyed by the string's hash, which is the ORTH hash.
            lemma = table.get(o, text)
            _EN_TYPES[o] = (_en_word(lemma, low, bool(like_num), stop), None if (space or punct) else low)
    return [_EN_TYPES[o] for o in orths.tolist()]


class _ContentArrays:
    """Content words of a batch of texts (the English fast path) as flat arrays, one entry per word.

    Text ``i`` has entries ``bounds[i]:bounds[i + 1]``: ``words`` (lemmas), ``slot`` (slot-value flags)
    and ``pairs`` (the ``(lemma, slot)`` tuples of :func:`content_en`, each built once per batch).
    The context features read the arrays directly (:func:`_content_pairs`); a text's tuple is built
    only when :func:`analyses` asks for it (:meth:`value`).
    """

    __slots__ = ("bounds", "pairs", "slot", "words")

    def __init__(self, bounds: np.ndarray, words: np.ndarray, slot: np.ndarray, pairs: np.ndarray) -> None:
        self.bounds, self.words, self.slot, self.pairs = bounds, words, slot, pairs

    def value(self, i: int) -> tuple[tuple[str, bool], ...]:
        return tuple(self.pairs[self.bounds[i] : self.bounds[i + 1]].tolist())


def _content_arrays(orth: np.ndarray, lens: np.ndarray, nlp) -> _ContentArrays:
    """The content words of each text from its tokens' ORTH (``lens`` tokens per text).

    Computed per distinct token text, then spread over the texts with numpy: per text, the content
    words in order of first occurrence, each a slot value only when every occurrence is one (as
    :func:`content_en`)."""
    n_texts = len(lens)
    # Hash-based: types in order of first appearance, no sort of every token.
    inv, uniq = pd.factorize(orth)
    info = _en_type_info(uniq, nlp)
    found = [w for w, _ in info]
    is_word = np.fromiter((w is not None for w in found), dtype=bool, count=len(found))
    typed = [w for w in found if w is not None]
    # Word ids per type (-1: not a content word); the same lemma from several types (Room, room,
    # rooms) is one word.
    word_id, names = pd.factorize(np.array([w for w, _ in typed] + [None], dtype=object)[:-1])
    n_words = max(len(names), 1)
    type_word = np.full(len(uniq), -1, dtype=np.int64)
    type_word[is_word] = word_id
    type_slot = np.zeros(len(uniq), dtype=bool)
    type_slot[is_word] = np.fromiter((slot for _, slot in typed), dtype=bool, count=len(typed))
    word, slot = type_word[inv], type_slot[inv]
    keep = word >= 0
    doc = np.repeat(np.arange(n_texts), lens)[keep]
    # One entry per (text, word), in order of first occurrence: tokens run text by text, so that
    # is each text's words in order of first occurrence (factorize keeps first-seen order).
    pair_of, pairs_key = pd.factorize(doc * n_words + word[keep])
    all_slot = np.bincount(pair_of, weights=~slot[keep], minlength=len(pairs_key)) == 0
    pair_word = pairs_key % n_words
    # Each (word, slot) tuple is built once and shared by every text with it.
    table = np.fromiter(((w, b) for w in names.tolist() for b in (False, True)), dtype=object,
                        count=2 * len(names))
    bounds = np.zeros(n_texts + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs_key // n_words, minlength=n_texts), out=bounds[1:])
    words = np.asarray(names, dtype=object)[pair_word] if len(names) else np.zeros(0, dtype=object)
    return _ContentArrays(bounds, words, all_slot, table[2 * pair_word + all_slot])


def _from_orth(kind: str, orth: np.ndarray, lens: np.ndarray, nlp) -> list:
    """The ``kind`` analysis of each text from its tokens' ORTH (``lens`` tokens per text).

    Computed per distinct token text, then spread over the texts with numpy: per text, the
    content words in order of first occurrence, each a slot value only when every occurrence is
    one (as :func:`content_en`), or the lower-cased non-punctuation tokens in order."""
    if kind == "content":
        arrays = _content_arrays(orth, lens, nlp)
        items, ends = arrays.pairs.tolist(), arrays.bounds[1:].tolist()
    else:
        inv, uniq = pd.factorize(orth)
        info = _en_type_info(uniq, nlp)
        doc = np.repeat(np.arange(len(lens)), lens)
        type_low = np.array([low for _, low in info] + [None], dtype=object)[:-1]
        low = type_low[inv]
        keep = np.array([v is not None for v in type_low.tolist()], dtype=bool)[inv]
        items = low[keep].tolist()
        ends = np.cumsum(np.bincount(doc[keep], minlength=len(lens))).tolist()
    # One tuple per text: items[start:end] for consecutive ranges (map: no Python step per text).
    return list(map(tuple, map(items.__getitem__, map(slice, [0, *ends[:-1]], ends))))


def _en_by_type(nlp) -> bool:
    return nlp.pipe_names == ["sentencizer", "lemmatizer"]


# (lang, text) -> (arrays, i): content words recorded by the marker engine's English fast path, kept as
# arrays (see _ContentArrays); bounded like _CACHE, emptied by clear_caches().
_LAZY: dict[tuple[str, str], tuple[_ContentArrays, int]] = {}


def _store_arrays(lang: str, texts: Sequence[str], arrays: _ContentArrays) -> None:
    if len(_LAZY) + len(texts) > _CACHE_SIZE:
        _LAZY.clear()  # bounded memory on huge corpora; recomputing is only slower
    _LAZY.update({(lang, t): (arrays, i) for i, t in enumerate(texts)})


def _content_pairs(texts: Sequence[str], lang: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``analyses(texts, lang, "content")`` flattened: ``(position of the text, lemma, slot flag)`` arrays.

    Texts recorded as arrays are read from them with numpy (no tuple per text or per word); the
    others go through :func:`analyses`. Entries come grouped by source, not in text order.
    """
    from itertools import chain

    get = _LAZY.get
    refs = [get((lang, t)) for t in texts]
    by_source: dict[int, tuple[_ContentArrays, list[int], list[int]]] = {}
    other: list[int] = []
    for k, ref in enumerate(refs):
        if ref is None:
            other.append(k)
        else:
            entry = by_source.get(id(ref[0]))
            if entry is None:
                entry = by_source[id(ref[0])] = (ref[0], [], [])
            entry[1].append(k)
            entry[2].append(ref[1])
    pos_parts, word_parts, slot_parts = [], [], []
    for arrays, ks, idx in by_source.values():
        i = np.array(idx, dtype=np.int64)
        begin, lens = arrays.bounds[i], arrays.bounds[i + 1] - arrays.bounds[i]
        # Ragged gather: text k takes entries begin[k] .. begin[k] + lens[k] - 1.
        out_start = np.cumsum(lens) - lens
        take = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(begin - out_start, lens)
        pos_parts.append(np.repeat(np.array(ks, dtype=np.int64), lens))
        word_parts.append(arrays.words[take])
        slot_parts.append(arrays.slot[take])
    if other:
        found = analyses([texts[k] for k in other], lang, "content")
        lens = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        flat = list(chain.from_iterable(found))
        pos_parts.append(np.repeat(np.array(other, dtype=np.int64), lens))
        word_parts.append(np.array([w for w, _ in flat] + [None], dtype=object)[:-1])  # never 2-D
        slot_parts.append(np.fromiter((s for _, s in flat), dtype=bool, count=len(flat)))
    if not pos_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=bool)
    return np.concatenate(pos_parts), np.concatenate(word_parts), np.concatenate(slot_parts)


def _store(kind: str, lang: str, texts: Sequence[str], values: Sequence) -> None:
    cache = _CACHE[kind]
    if len(cache) + len(texts) > _CACHE_SIZE:
        cache.clear()  # bounded memory on huge corpora; recomputing is only slower
    for t, v in zip(texts, values, strict=True):
        cache[(lang, t)] = v


def recorder(lang: str, kinds: Sequence[str]) -> Callable:
    """An ``on_tokens`` hook for the marker engine that records ``kinds`` for each text.

    Examples
    --------
    >>> from omotenashi_research.markers.engine import get_matcher
    >>> from omotenashi_research.tokens import analyses, recorder
    >>> hook = recorder("en", ["content"])
    >>> _ = list(get_matcher("en").count_arrays(["A table by the window"], on_tokens=hook))
    >>> sorted(w for w, _ in analyses(["A table by the window"], "en", "content")[0])
    ['table', 'window']
    """
    kinds = [k for k in kinds if not (k == "sentiment" and lang != "ja")]
    nlp = get_pipeline(lang)

    def hook(texts, docs, orth, lens) -> None:
        if docs is not None:
            for kind, values in _analyse_docs(kinds, lang, docs).items():
                _store(kind, lang, texts, values)
        else:
            for kind in kinds:
                if kind == "content":  # kept as arrays; tuples only if analyses() asks
                    _store_arrays(lang, texts, _content_arrays(orth, lens, nlp))
                else:
                    _store(kind, lang, texts, _from_orth(kind, orth, lens, nlp))

    return hook


def analyses(texts: Sequence[str], lang: str, kind: str) -> list:
    """The ``kind`` analysis of each text (tokenising only texts not analysed before).

    Parameters
    ----------
    texts : sequence of str
    lang : {"ja", "en"}
    kind : {"content", "lower", "sentiment"}
        ``"sentiment"`` is Japanese only.

    Returns
    -------
    list
        One value per text, in order.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown analysis {kind!r}; choose from {KINDS}")
    cache = _CACHE[kind]
    try:  # every text analysed before (one pass)
        return [cache[(lang, t)] for t in texts]
    except KeyError:
        pass
    # Values of this call survive a cache reset inside it (bounded cache, huge input).
    local = {t: cache[(lang, t)] for t in dict.fromkeys(texts) if (lang, t) in cache}
    if kind == "content":  # texts the marker engine recorded as arrays: their tuples, now
        lazy = {t: _LAZY[(lang, t)] for t in dict.fromkeys(texts) if t not in local and (lang, t) in _LAZY}
        if lazy:
            values = [arrays.value(i) for arrays, i in lazy.values()]
            _store(kind, lang, list(lazy), values)
            local.update(zip(lazy, values, strict=True))
    todo = [t for t in dict.fromkeys(texts) if t not in local]
    if not todo:
        return [local[t] for t in texts]
    nlp = get_pipeline(lang)
    if lang == "en" and _en_by_type(nlp):
        arrays = [d.to_array(ORTH) for d in nlp_docs(todo, lang, nlp=nlp)]
        lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        orth = np.concatenate(arrays).astype(np.uint64) if arrays else np.zeros(0, dtype=np.uint64)
        values = _from_orth(kind, orth, lens, nlp)
    else:
        # Default Japanese pipeline: Sudachi's tokenizer gives tags and lemmas; others run in full.
        tok_only = lang == "ja" and nlp.pipe_names == ["sentencizer"]
        found = list(nlp_docs(todo, lang, nlp=nlp, tokenizer_only=tok_only))
        values = _analyse_docs([kind], lang, found)[kind]
    _store(kind, lang, todo, values)
    local.update(zip(todo, values, strict=True))
    return [local[t] for t in texts]
