"""Marker matching: all lexicons of a language compiled once, counted batch-wise.

Semantics are those of spaCy's ``Matcher`` (token ``pattern`` entries) and
``PhraseMatcher`` (``phrase`` entries) run on the language pipeline's docs: every
``(start, end)`` match of every entry. Per marker, matches overlapping an ``exclude``
match of that marker are dropped, then overlapping matches are collapsed to the longest
(ties: the earliest), so each occurrence counts once.

Speed: spaCy's ``Matcher`` calls a Python predicate per token for every ``IN``/``REGEX``
of every pattern, which made counting ~80x slower than tokenising. The engine therefore
runs its own executor for the pattern subset the lexicons use (plain values, ``IN``,
``NOT_IN``, ``REGEX`` on string attributes, boolean flags, ``OP`` ``?``/``*``/``+``):

- docs are tokenised only (``nlp.tokenizer.pipe``); the lookup lemmas and the
  sentencizer's sentence starts of the default pipelines are derived with numpy for a
  whole batch at once (same rules as the ``lemmatizer`` and ``sentencizer`` pipes);
- each pattern is indexed by its most selective fixed-position token, so only
  positions where it can match are tried;
- markers made only of single-token word lists (most ``pol_*`` markers) are counted
  with one sparse lookup per batch, without any per-token Python.

With the default English pipeline (every column read is a lexeme attribute), counting
goes further (``MarkerMatcher._count_texts``): a batch of texts is tokenised as one string
(texts joined by blank lines, split back by character offsets; same tokens as one call per
text), only ORTH is read, and every other column, plus each value's row in the lookup
tables, comes from a table per distinct token text built once; the fixed-length programs
are checked all at once (anchored on an adjacent pair of tokens where possible), and the
overlap resolution runs vectorised for the (doc, marker) groups without overlaps or
exclude matches.

Entries using anything else fall back to a spaCy ``Matcher``. ``tests/markers/
test_engine.py`` checks that the executor and spaCy's matchers agree. A custom English
model (``$OMOTENASHI_EN_MODEL``) is run with ``nlp.pipe`` and its own lemmas/sentences.
"""

from __future__ import annotations

import multiprocessing as mp
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from itertools import islice
from typing import NamedTuple

import numpy as np
import pandas as pd
from spacy.attrs import IDS as ATTR_IDS
from spacy.attrs import IDX, IS_PUNCT, LEMMA, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

from omotenashi_research.markers.lexicon import Entry, Lexicon, load_lexicons
from omotenashi_research.nlp import SUPPORTED_LANGS, get_pipeline
from omotenashi_research.nlp import docs as _nlp_docs
from omotenashi_research.text import normalize

__all__ = ["MarkerMatcher", "MarkerSpan", "count_markers", "explain", "get_matcher", "iter_count_arrays"]

_DEFAULT_PIPES = {"en": ["sentencizer", "lemmatizer"], "ja": ["sentencizer"]}


class MarkerSpan(NamedTuple):
    """One counted marker occurrence: tokens ``start:end`` of the doc."""

    marker: str
    entry_id: str
    start: int
    end: int
    text: str


def _pattern_attrs(entry: Entry) -> set[str]:
    if entry.pattern is None:
        return {entry.attr}
    return {str(k).upper() for tok in entry.pattern for k in tok if str(k).upper() != "OP"}


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


# --------------------------------------------------------------------------------------
# Pattern executor
# --------------------------------------------------------------------------------------
_STR_ATTRS = {"ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "TAG", "SHAPE", "PREFIX", "SUFFIX"}
_FLAG_ATTRS = {
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER",
    "LIKE_URL", "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT",
    "IS_RIGHT_PUNCT", "IS_CURRENCY", "IS_SENT_START",
}
_OPS = {None, "?", "*", "+"}
_EQ, _IN, _NOT_IN, _REGEX, _FLAG = range(5)
_SENT = "IS_SENT_START"
# Columns every batch reads: ORTH and IS_PUNCT derive sentence starts, IS_SPACE n_tokens.
_BASE_COLS = ("ORTH", "IS_PUNCT", "IS_SPACE")
_MAX_TYPES = 500_000  # distinct token texts kept in MarkerMatcher's type table
_JOIN = "\n\n"  # joins texts for one tokenizer call (see MarkerMatcher._tokenize_orth)
_JOIN_GROUP = 16  # texts per joined tokenizer call (see MarkerMatcher._tokenize_orth)
# Lexeme attributes: a function of the token text alone (not NORM: tokenizer exceptions set it).
_LEX_ATTRS = {"ORTH", "LOWER", "SHAPE", "PREFIX", "SUFFIX"} | (_FLAG_ATTRS - {"IS_SENT_START"})


class _Unsupported(Exception):
    pass


def _compile_token(tok: dict, col: dict[str, int], strings) -> tuple[str | None, tuple]:
    """(op, checks) of one token spec; each check is (column, kind, value)."""
    op = None
    checks = []
    for raw_key, value in tok.items():
        key = str(raw_key).upper()
        if key == "OP":
            if value not in _OPS:
                raise _Unsupported(f"OP {value!r}")
            op = value
            continue
        key = {"TEXT": "ORTH", "SENT_START": _SENT}.get(key, key)
        if key in _FLAG_ATTRS:
            if not isinstance(value, bool):
                raise _Unsupported(f"{key} value {value!r}")
            checks.append((col.setdefault(key, len(col)), _FLAG, int(value)))
        elif key in _STR_ATTRS or key == "POS":
            c = col.setdefault(key, len(col))
            to_id = (lambda s: int(POS_IDS[s])) if key == "POS" else strings.add
            if isinstance(value, str):
                checks.append((c, _EQ, to_id(value)))
            elif isinstance(value, dict) and len(value) == 1:
                ((pred, arg),) = value.items()
                if pred == "IN" and isinstance(arg, list):
                    checks.append((c, _IN, frozenset(to_id(v) for v in arg)))
                elif pred == "NOT_IN" and isinstance(arg, list):
                    checks.append((c, _NOT_IN, frozenset(to_id(v) for v in arg)))
                elif pred == "REGEX" and isinstance(arg, str) and key != "POS":
                    checks.append((c, _REGEX, (re.compile(arg), {})))
                else:
                    raise _Unsupported(f"{key} predicate {pred!r}")
            else:
                raise _Unsupported(f"{key} value {value!r}")
        else:
            raise _Unsupported(f"attribute {key}")
    return op, tuple(checks)


def _ok(checks: tuple, cols: list[list[int]], i: int, strings) -> bool:
    for c, kind, v in checks:
        x = cols[c][i]
        if kind == _EQ or kind == _FLAG:
            if x != v:
                return False
        elif kind == _IN:
            if x not in v:
                return False
        elif kind == _NOT_IN:
            if x in v:
                return False
        else:
            rx, memo = v
            hit = memo.get(x)
            if hit is None:
                hit = memo[x] = rx.search(strings[x]) is not None
            if not hit:
                return False
    return True


def _ends(specs: tuple, k: int, i: int, n: int, cols, strings, out: set[int]) -> None:
    """Add to ``out`` every end of a match of ``specs[k:]`` from token ``i`` (``n``: doc end)."""
    if k == len(specs):
        out.add(i)
        return
    op, checks = specs[k]
    if op is None:
        if i < n and _ok(checks, cols, i, strings):
            _ends(specs, k + 1, i + 1, n, cols, strings, out)
    elif op == "?":
        _ends(specs, k + 1, i, n, cols, strings, out)
        if i < n and _ok(checks, cols, i, strings):
            _ends(specs, k + 1, i + 1, n, cols, strings, out)
    else:
        last = k + 2 == len(specs) and specs[k + 1][0] is None
        nxt = specs[k + 1][1] if last else None
        j = i
        if op == "*":
            if last:
                if j < n and _ok(nxt, cols, j, strings):
                    out.add(j + 1)
            else:
                _ends(specs, k + 1, j, n, cols, strings, out)
        while j < n and _ok(checks, cols, j, strings):
            j += 1
            if last:  # common tail "X* Y": no recursion
                if j < n and _ok(nxt, cols, j, strings):
                    out.add(j + 1)
            else:
                _ends(specs, k + 1, j, n, cols, strings, out)


class _Program:
    """One compiled entry (or one phrase of a phrase entry)."""

    __slots__ = ("anchor", "fixed", "key", "marker", "rare", "single", "specs")

    def __init__(self, key: int, marker: int, specs: tuple, cost):
        self.key = key
        self.marker = marker
        self.specs = specs
        self.fixed = all(op is None for op, _ in specs)
        self.single = len(specs) == 1 and specs[0][0] is None
        # (column, values) of the rarest token every match must contain: a doc without one
        # of these values cannot match, whatever the anchor says.
        self.rare: tuple[int, frozenset] | None = None
        rare_best = None
        for op, checks in specs:
            if op not in (None, "+"):
                continue
            for c, kind, v in checks:
                if kind in (_EQ, _IN):
                    vals = frozenset([v]) if kind == _EQ else v
                    score = cost(c, vals)
                    if rare_best is None or score < rare_best[0]:
                        rare_best = (score, c, vals)
        if rare_best is not None:
            self.rare = (rare_best[1], rare_best[2])
        # (column, values, offset): a token at start+offset must have one of `values`.
        # Among the leading fixed-width tokens, the one with the rarest values; if the
        # pattern opens with optional tokens, every one of them up to the first required
        # token is an anchor (offset 0), and `anchor` lists them all.
        self.anchor: list[tuple[int, frozenset, int]] | None = None
        best = None
        for off, (op, checks) in enumerate(specs):
            if op is not None:
                break
            for c, kind, v in checks:
                if kind in (_EQ, _IN):
                    vals = frozenset([v]) if kind == _EQ else v
                    score = cost(c, vals)
                    if best is None or score < best[0]:
                        best = (score, c, vals, off)
        if best is not None:
            self.anchor = [(best[1], best[2], best[3])]
        elif specs and specs[0][0] is not None:
            anchors = []
            for op, checks in specs:
                idx = [
                    (c, frozenset([v]) if kind == _EQ else v) for c, kind, v in checks if kind in (_EQ, _IN)
                ]
                if not idx:
                    anchors = None
                    break
                anchors.append((*min(idx, key=lambda cv: cost(*cv)), 0))
                if op in (None, "+"):
                    break
            self.anchor = anchors


def _expand_optional(specs: tuple, limit: int = 4) -> list[tuple]:
    """Fixed-length variants of a pattern whose only operators are ``?`` (spaCy reports every
    match with and without each optional token, so the variants find exactly the same spans);
    other patterns are returned unchanged."""
    ops = [op for op, _ in specs]
    n_opt = ops.count("?")
    if not n_opt or n_opt > limit or any(op in ("*", "+") for op in ops):
        return [specs]
    out = []
    for mask in range(2**n_opt):
        variant, bit = [], 0
        for op, checks in specs:
            if op == "?":
                keep = mask >> bit & 1
                bit += 1
                if not keep:
                    continue
            variant.append((None, checks))
        if variant:
            out.append(tuple(variant))
    return out


def _value_index(table: dict[int, dict[int, list]]) -> list[tuple[int, np.ndarray, list[list]]]:
    """Per column: sorted values (for np.searchsorted) and the payload list of each value."""
    out = []
    for c, by_value in table.items():
        values = np.array(sorted(by_value), dtype=np.uint64)
        out.append((c, values, [by_value[int(v)] for v in values]))
    return out


def _hits(cols: np.ndarray, c: int, values: np.ndarray) -> tuple[list[int], list[int]]:
    """Token positions whose column ``c`` value is in ``values``, and the value's row."""
    col = cols[:, c]
    pos = np.searchsorted(values, col)
    pos[pos == len(values)] = 0
    hit = np.flatnonzero(values[pos] == col)
    return hit.tolist(), pos[hit].tolist()


class _ColumnLists:
    """Like ``cols.T.tolist()`` (``[c][i]`` is a Python int), one column converted when first read."""

    __slots__ = ("_cols", "_lists")

    def __init__(self, cols: np.ndarray):
        self._cols = cols
        self._lists: dict[int, memoryview] = {}

    def __getitem__(self, c: int) -> memoryview:
        lst = self._lists.get(c)
        if lst is None:  # indexing a memoryview gives Python ints, like the list would
            lst = self._lists[c] = memoryview(np.ascontiguousarray(self._cols[:, c]))
        return lst


def _rows_of(table: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Row of each value of ``col`` in the sorted ``table``; ``len(table)`` when absent."""
    pos = np.searchsorted(table, col)
    found = pos < len(table)
    found[found] = table[pos[found]] == col[found]
    return np.where(found, pos, len(table))


def _fixed_ok(specs: tuple, i: int, n: int, cols, strings) -> bool:
    if i + len(specs) > n:
        return False
    for k, (_, checks) in enumerate(specs):
        if not _ok(checks, cols, i + k, strings):
            return False
    return True


class MarkerMatcher:
    """All marker lexicons of one language, compiled for fast counting.

    Parameters
    ----------
    lang : {"ja", "en"}
    lexicons : dict of str to Lexicon, optional
        Default: the packaged lexicons (:func:`~omotenashi_research.markers.lexicon.load_lexicons`).

    Attributes
    ----------
    markers : list of str
        Marker names, in column order of :meth:`counts` and :func:`count_markers`.

    Examples
    --------
    >>> from omotenashi_research.markers import MarkerMatcher
    >>> mm = MarkerMatcher("en")
    >>> found = {s.marker for s in mm.spans("Thanks a lot! I'm sorry to hear that.")}
    >>> sorted(found & {"gratitude", "apology", "empathy"})
    ['empathy', 'gratitude']
    """

    def __init__(self, lang: str, *, lexicons: dict[str, Lexicon] | None = None):
        if lang not in SUPPORTED_LANGS:
            raise ValueError(f"unsupported language {lang!r}; expected one of {SUPPORTED_LANGS}")
        self.lang = lang
        self.nlp = get_pipeline(lang)
        self.lexicons = dict(lexicons) if lexicons is not None else load_lexicons(lang)
        self.markers: list[str] = list(self.lexicons)
        self._marker_index = {m: i for i, m in enumerate(self.markers)}
        vocab = self.nlp.vocab
        self._strings = vocab.strings
        self._fast = self.nlp.pipe_names == _DEFAULT_PIPES[lang]
        self._cols: dict[str, int] = {name: i for i, name in enumerate(_BASE_COLS)}
        stop = {vocab.strings.add(w) for w in self.nlp.Defaults.stop_words}
        stop |= {vocab.strings.add(w.capitalize()) for w in self.nlp.Defaults.stop_words}

        def cost(c: int, values: frozenset) -> int:
            # Frequent (stop) words make poor anchors: every occurrence must be tried.
            return sum(1000 if v in stop else 1 for v in values)

        # match_id (hash of the entry id) -> (marker index, entry id, is an exclude rule)
        self._info: dict[int, tuple[int, str, bool]] = {}
        raw_programs: list[tuple[int, int, tuple]] = []
        self._fallback = Matcher(vocab)
        self._info_keys: np.ndarray | None = None
        self._n_fallback = 0
        fallback_attrs: set[str] = set()
        simple_ok = {m: not lex.exclude for m, lex in self.lexicons.items()}
        for lex in self.lexicons.values():
            mi = self._marker_index[lex.marker]
            for is_ex, group in ((False, lex.entries), (True, lex.exclude)):
                for e in group:
                    key = vocab.strings.add(e.id)
                    self._info[key] = (mi, e.id, is_ex)
                    try:
                        cols = dict(self._cols)
                        if e.pattern is not None:
                            compiled = tuple(_compile_token(t, cols, vocab.strings) for t in e.pattern)
                            variants = _expand_optional(compiled)
                        else:
                            c = cols.setdefault(e.attr, len(cols))
                            variants = [
                                tuple((None, ((c, _EQ, int(v)),)) for v in self._phrase_values(ph, e.attr))
                                for ph in e.phrases
                            ]
                    except _Unsupported:
                        self._fallback.add(e.id, [e.pattern])
                        self._n_fallback += 1
                        fallback_attrs |= _pattern_attrs(e)
                        simple_ok[lex.marker] = False
                        continue
                    self._cols = cols
                    for specs in variants:
                        raw_programs.append((key, mi, specs))
        programs = [_Program(k, mi, specs, cost) for k, mi, specs in raw_programs]
        # A marker is "simple" when all its rules are one token checked on one column
        # (optionally plus IS_SENT_START) and it has no exclude rules: counted vectorised.
        sent_col = self._cols.get(_SENT)
        for p in programs:
            if simple_ok[self.markers[p.marker]] and not self._is_simple(p, sent_col):
                simple_ok[self.markers[p.marker]] = False
        simple_cols = {}
        for p in programs:
            if simple_ok[self.markers[p.marker]]:
                simple_cols.setdefault(self.markers[p.marker], set()).add(p.anchor[0][0])
        for m, cs in simple_cols.items():
            if len(cs) > 1:
                simple_ok[m] = False
        self._simple_markers = np.array([simple_ok[m] for m in self.markers], dtype=bool)
        rest = [p for p in programs if not simple_ok[self.markers[p.marker]]]
        vec = [p for p in rest if self._is_vectorisable(p)]
        vec_ids = {id(p) for p in vec}
        self._programs = [p for p in rest if id(p) not in vec_ids]
        self._build_simple([p for p in programs if simple_ok[self.markers[p.marker]]], sent_col)
        self._build_vec(vec, cost)
        self._build_index(sent_col)
        self._setup_columns()
        self._annotate = _FastAnnotator(
            self.nlp, lemma="LEMMA" in fallback_attrs, sents=bool(fallback_attrs & {_SENT, "SENT_START"})
        )

    # -- compilation ----------------------------------------------------------------------
    def _phrase_values(self, phrase: str, attr: str) -> list[int]:
        doc = self.nlp.make_doc(phrase) if self._fast else self.nlp(phrase)
        if self._fast and attr == "LEMMA":
            doc = _full_annotator(self.nlp)(doc)
        return doc.to_array([ATTR_IDS[attr]]).reshape(-1).tolist()

    @staticmethod
    def _is_simple(p: _Program, sent_col: int | None) -> bool:
        if not p.single or p.anchor is None:
            return False
        (_, checks), = p.specs
        anchor_col = p.anchor[0][0]
        rest = [ch for ch in checks if not (ch[0] == anchor_col and ch[1] in (_EQ, _IN))]
        n_anchor = len(checks) - len(rest)
        only_sent = all(c == sent_col and kind == _FLAG for c, kind, _ in rest)
        return n_anchor == 1 and only_sent and len(rest) <= 1

    @staticmethod
    def _is_vectorisable(p: _Program) -> bool:
        kinds = [kind for _, checks in p.specs for _, kind, _ in checks]
        if not all(k in (_EQ, _IN, _NOT_IN, _FLAG) for k in kinds):
            return False
        if p.fixed:
            return any(k in (_EQ, _IN) for _, k, _ in p.specs[0][1]) or any(k in (_EQ, _IN) for k in kinds)
        # "scan" shape A X* C (e.g. a WH word ... '?'), evaluated with run lengths
        return [op for op, _ in p.specs] == [None, "*", None]

    def _build_vec(self, programs: list[_Program], cost) -> None:
        """Fixed-length programs of plain checks: evaluated with numpy on whole batches."""
        by_col: dict[int, set[int]] = {}
        for p in programs:
            for _, checks in p.specs:
                for c, kind, v in checks:
                    if kind in (_EQ, _IN, _NOT_IN):
                        by_col.setdefault(c, set()).update([v] if kind == _EQ else v)
        self._vec_cols = {c: np.array(sorted(vs), dtype=np.uint64) for c, vs in by_col.items()}
        self._vec: list[tuple[int, int, tuple, list[tuple]]] = []
        self._scan: list[tuple[int, list[list[tuple]]]] = []
        sigs: dict[tuple, int] = {}
        self._scan_sig: dict[int, int] = {}  # id of a check list -> id of its distinct checks
        for p in [p for p in programs if not p.fixed]:
            lists = [self._vec_checks(checks) for _, checks in p.specs]
            for lst, (_, checks) in zip(lists, p.specs, strict=True):
                sig = tuple(
                    sorted((c, k, v if k in (_EQ, _FLAG) else tuple(sorted(v))) for c, k, v in checks)
                )
                self._scan_sig[id(lst)] = sigs.setdefault(sig, len(sigs))
            self._scan.append((p.key, lists))
        for p in [p for p in programs if p.fixed]:
            member_checks, flag_checks = [], []
            for k, (_, checks) in enumerate(p.specs):
                for c, kind, v in checks:
                    if kind == _FLAG:
                        flag_checks.append((k, c, 1, v))
                        continue
                    if kind == _NOT_IN:
                        table = self._vec_cols[c]
                        member = np.zeros(len(table) + 1, dtype=bool)
                        member[np.searchsorted(table, np.array(sorted(v), dtype=np.uint64))] = True
                        flag_checks.append((k, c, 2, member))
                        continue
                    vals = [v] if kind == _EQ else sorted(v)
                    table = self._vec_cols[c]
                    rows = np.searchsorted(table, np.array(vals, dtype=np.uint64))
                    member = np.zeros(len(table) + 1, dtype=bool)
                    member[rows] = True
                    member_checks.append((cost(c, frozenset(vals)), (k, c, 0, member), rows))
            member_checks.sort(key=lambda t: t[0])
            _, (k0, c0, _, _), rows0 = member_checks[0]
            anchor = (k0, c0, rows0)
            others = [chk for _, chk, _ in member_checks[1:]] + flag_checks
            self._vec.append((p.key, len(p.specs), anchor, others))
        self._build_vec_tables()

    def _build_vec_tables(self) -> None:
        """Flat tables of the fixed programs, to check all their candidates at once.

        Each program is anchored on its anchor token's value row or, when an adjacent token
        is checked on the same column with few values, on the pair of rows (``r1 * R + r2``,
        ``R``: table rows), which occurs far less often. Per anchor (column, single/pair):
        sorted keys and a CSR of (program, offset). Per program: its other checks as
        (offset, slot, start of its truth table in ``_vt_truth``); a token's value in a slot
        is its row in the column's value table (``posidx``) or a 0/1 flag.
        """
        slots: dict[tuple[int, int], int] = {}
        truth: list[np.ndarray] = []
        n_truth = 0
        chk_k, chk_slot, chk_off, chk_ptr = [], [], [], [0]
        anchors: dict[tuple[int, bool], dict[int, list[tuple[int, int]]]] = {}
        for pi, (_, _, (k0, c0, rows0), others) in enumerate(self._vec):
            rows0 = np.asarray(rows0).tolist()
            n_rows = len(self._vec_cols[c0]) + 1
            pair = None
            for j, (k, c, kind, v) in enumerate(others):
                if kind == 0 and c == c0 and abs(k - k0) == 1:
                    rows = np.flatnonzero(v[:-1]).tolist()
                    if len(rows) * len(rows0) <= 256 and (pair is None or len(rows) < len(pair[1])):
                        pair = (j, rows, k)
            if pair is None:
                for r in rows0:
                    anchors.setdefault((c0, False), {}).setdefault(int(r), []).append((pi, k0))
            else:
                j, rows, k = pair
                others = others[:j] + others[j + 1 :]
                a, b, first = (rows0, rows, k0) if k > k0 else (rows, rows0, k)
                by_pair = anchors.setdefault((c0, True), {})
                for ra in a:
                    for rb in b:
                        by_pair.setdefault(ra * n_rows + rb, []).append((pi, first))
            for k, c, kind, v in others:
                if kind == 1:
                    slot = slots.setdefault((c, 1), len(slots))
                    t = np.array([v == 0, v == 1], dtype=bool)
                else:
                    slot = slots.setdefault((c, 0), len(slots))
                    t = v if kind == 0 else ~v
                chk_k.append(k)
                chk_slot.append(slot)
                chk_off.append(n_truth)
                truth.append(t)
                n_truth += len(t)
            chk_ptr.append(len(chk_k))
        self._vt_slots = sorted(slots, key=slots.get)
        self._vt_truth = np.concatenate(truth) if truth else np.zeros(0, dtype=bool)
        self._vt_k = np.array(chk_k, dtype=np.int64)
        self._vt_slot = np.array(chk_slot, dtype=np.int64)
        self._vt_off = np.array(chk_off, dtype=np.int64)
        self._vt_ptr = np.array(chk_ptr, dtype=np.int64)
        self._vt_len = np.array([length for _, length, _, _ in self._vec], dtype=np.int64)
        self._vt_key = np.array([key for key, _, _, _ in self._vec], dtype=np.uint64)
        self._vt_anchor = []
        for (c0, is_pair), by_key in anchors.items():
            if is_pair:
                keys = np.array(sorted(by_key), dtype=np.int64)
            else:
                keys = np.arange(len(self._vec_cols[c0]) + 1, dtype=np.int64)
            counts = np.array([len(by_key.get(int(k), ())) for k in keys] + [0], dtype=np.int64)
            ptr = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            pairs = [pk for k in keys.tolist() for pk in by_key.get(k, ())]
            progs = np.array([pi for pi, _ in pairs], dtype=np.int64)
            offs = np.array([k for _, k in pairs], dtype=np.int64)
            self._vt_anchor.append((c0, is_pair, keys, counts, ptr, progs, offs))

    def _vec_fixed(
        self, cols: np.ndarray, doc_of: np.ndarray, posidx: dict
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, starts, ends) of all fixed vectorised programs, in batch token offsets."""
        n = len(cols)
        progs_l, starts_l = [], []
        for c0, is_pair, keys, counts, ptr, progs, offs in self._vt_anchor:
            value = posidx[c0]
            if is_pair:
                value = value[:-1] * (len(self._vec_cols[c0]) + 1) + value[1:]
                rows = np.searchsorted(keys, value)
                rows[rows == len(keys)] = 0
                rows[keys[rows] != value] = len(keys)
            else:  # keys: every row of the column's table
                rows = value
            cnt = counts[rows]
            tok = np.flatnonzero(cnt)
            if not len(tok):
                continue
            cnt = cnt[tok]
            total = int(cnt.sum())
            first = np.repeat(ptr[rows[tok]] - np.cumsum(cnt) + cnt, cnt) + np.arange(total)
            progs_l.append(progs[first])
            starts_l.append(np.repeat(tok, cnt) - offs[first])
        empty = np.zeros(0, dtype=np.int64)
        if not progs_l:
            return empty.astype(np.uint64), empty, empty
        prog = np.concatenate(progs_l)
        start = np.concatenate(starts_l)
        end = start + self._vt_len[prog]
        ok = (start >= 0) & (end <= n)
        prog, start, end = prog[ok], start[ok], end[ok]
        ok = doc_of[start] == doc_of[end - 1]
        prog, start, end = prog[ok], start[ok], end[ok]
        n_chk = self._vt_ptr[prog + 1] - self._vt_ptr[prog]
        total = int(n_chk.sum())
        if total:
            cand = np.repeat(np.arange(len(prog)), n_chk)
            chk = np.repeat(self._vt_ptr[prog] - np.cumsum(n_chk) + n_chk, n_chk) + np.arange(total)
            pos = start[cand] + self._vt_k[chk]
            slot = self._vt_slot[chk]
            vals = np.empty(total, dtype=np.int64)
            for j, (c, is_flag) in enumerate(self._vt_slots):
                sel = slot == j
                vals[sel] = cols[pos[sel], c] if is_flag else posidx[c][pos[sel]]
            bad = ~self._vt_truth[self._vt_off[chk] + vals]
            ok = np.bincount(cand[bad], minlength=len(prog)) == 0
            prog, start, end = prog[ok], start[ok], end[ok]
        return self._vt_key[prog], start, end

    def _vec_checks(self, checks: tuple) -> list[tuple]:
        """(column, kind, arg) with kind 0: member, 1: flag == arg, 2: not member."""
        out = []
        for c, kind, v in checks:
            if kind == _FLAG:
                out.append((c, 1, v))
                continue
            table = self._vec_cols[c]
            vals = [v] if kind == _EQ else sorted(v)
            member = np.zeros(len(table) + 1, dtype=bool)
            member[np.searchsorted(table, np.array(vals, dtype=np.uint64))] = True
            out.append((c, 2 if kind == _NOT_IN else 0, member))
        return out

    @staticmethod
    def _mask(checks: list[tuple], cols: np.ndarray, posidx: dict) -> np.ndarray:
        if len(checks) == 1 and checks[0][1] == 0:
            c, _, arg = checks[0]
            return arg[posidx[c]]
        ok = np.ones(len(cols), dtype=bool)
        for c, kind, arg in checks:
            if kind == 0:
                ok &= arg[posidx[c]]
            elif kind == 2:
                ok &= ~arg[posidx[c]]
            else:
                ok &= cols[:, c] == arg
        return ok

    def _scan_raw(self, cols: np.ndarray, offsets: np.ndarray, doc_of: np.ndarray, posidx: dict) -> list:
        """Matches of A X* C programs: every (s, p + 1) with A(s), X on s+1..p-1, C(p), one doc."""
        n = len(cols)
        out = []
        memo: dict[int, np.ndarray] = {}  # check lists shared by several programs

        def positions(checks: list, negate: bool = False) -> np.ndarray:
            sig = self._scan_sig[id(checks)] * 2 + negate
            pos = memo.get(sig)
            if pos is None:
                mask = self._mask(checks, cols, posidx)
                pos = memo[sig] = np.flatnonzero(~mask if negate else mask)
            return pos

        for key, (a_chk, x_chk, c_chk) in self._scan:
            c_pos = positions(c_chk)
            if not len(c_pos):
                continue
            a_pos = positions(a_chk)
            if not len(a_pos):
                continue
            # first position >= a + 1 where X fails (n: none)
            fail = np.append(positions(x_chk, negate=True), n)
            first = a_pos + 1
            run_end = fail[np.searchsorted(fail, first)]
            last = np.minimum(run_end, offsets[doc_of[a_pos] + 1] - 1)
            lo = np.searchsorted(c_pos, first, "left")
            hi = np.searchsorted(c_pos, last, "right")
            counts = np.maximum(hi - lo, 0)
            if not counts.sum():
                continue
            starts = np.repeat(a_pos, counts)
            within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            ends = c_pos[np.repeat(lo, counts) + within] + 1
            out.extend(zip([key] * len(starts), starts.tolist(), ends.tolist(), strict=True))
        return out

    def _vec_raw(
        self, cols: np.ndarray, offsets: np.ndarray, doc_of: np.ndarray, aux: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, starts, ends) of the vectorised programs, in batch token offsets."""
        n = len(cols)
        empty = np.zeros(0, dtype=np.int64)
        if not (self._vec or self._scan) or not n:
            return empty.astype(np.uint64), empty, empty
        if aux is not None:
            posidx = {c: aux[:, j] for c, j in self._aux_vec.items()}
        else:
            posidx = {c: _rows_of(table, cols[:, c]) for c, table in self._vec_cols.items()}
        keys, starts, ends = self._vec_fixed(cols, doc_of, posidx)
        if self._scan:
            extra = self._scan_raw(cols, offsets, doc_of, posidx)
            if extra:
                k2, s2, e2 = zip(*extra, strict=True)
                keys = np.concatenate([keys, np.array(k2, dtype=np.uint64)])
                starts = np.concatenate([starts, np.array(s2, dtype=np.int64)])
                ends = np.concatenate([ends, np.array(e2, dtype=np.int64)])
        return keys, starts, ends

    def _build_simple(self, programs: list[_Program], sent_col: int | None) -> None:
        """Per column: sorted values and value x marker 0/1 tables (any / sentence-start / not)."""
        self._simple: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        by_col: dict[int, list[_Program]] = {}
        for p in programs:
            by_col.setdefault(p.anchor[0][0], []).append(p)
        n_markers = len(self.markers)
        for c, progs in by_col.items():
            values = np.array(sorted({v for p in progs for v in p.anchor[0][1]}), dtype=np.uint64)
            pos = {int(v): i for i, v in enumerate(values)}
            tables = np.zeros((3, len(values) + 1, n_markers), dtype=np.int64)
            for p in progs:
                (_, checks), = p.specs
                flag = [v for cc, kind, v in checks if cc == sent_col and kind == _FLAG]
                which = 0 if not flag else (1 if flag[0] == 1 else 2)
                for v in p.anchor[0][1]:
                    tables[which, pos[v], p.marker] = 1
            self._simple.append((c, values, tables[0], tables[1], tables[2]))
        # (column, values, CSR over row * 2 + is_sentence_start -> markers counted once)
        self._simple_csr = []
        for c, values, t_any, t_start, t_inner in self._simple:
            comb = np.minimum(np.stack([t_any + t_inner, t_any + t_start], axis=1), 1)
            comb = comb.reshape(-1, comb.shape[-1])
            which, markers = np.nonzero(comb)
            ptr = np.zeros(len(comb) + 1, dtype=np.int64)
            np.cumsum(np.bincount(which, minlength=len(comb)), out=ptr[1:])
            self._simple_csr.append((c, values, ptr, markers.astype(np.int64)))

    def _build_index(self, sent_col: int | None) -> None:
        """Anchor index of the programs without a prefilter; rare-token index of the others."""
        self._prefilter = [False] * len(self._programs)
        rare_by_col: dict[int, dict[int, list[int]]] = {}
        for pi, p in enumerate(self._programs):
            if p.rare is None or p.single or (p.anchor and len(p.anchor) == 1 and p.anchor[0][:2] == p.rare):
                continue
            self._prefilter[pi] = True
            for v in p.rare[1]:
                rare_by_col.setdefault(p.rare[0], {}).setdefault(int(v), []).append(pi)
        self._rare_index = _value_index(rare_by_col)
        by_col: dict[int, dict[int, list[tuple[int, int]]]] = {}
        self._sent_anchored: list[int] = []
        self._unanchored: list[int] = []
        self._sent_first: list[bool] = [False] * len(self._programs)
        for pi, p in enumerate(self._programs):
            first_op, first_checks = p.specs[0]
            self._sent_first[pi] = first_op is None and any(
                c == sent_col and k == _FLAG and v == 1 for c, k, v in first_checks
            )
            if self._prefilter[pi]:
                continue
            if p.anchor is None:
                (self._sent_anchored if self._sent_first[pi] else self._unanchored).append(pi)
                continue
            for c, values, off in p.anchor:
                for v in values:
                    lst = by_col.setdefault(c, {}).setdefault(int(v), [])
                    if (pi, off) not in lst:
                        lst.append((pi, off))
        self._index = _value_index(by_col)

    def _setup_columns(self) -> None:
        names = sorted(self._cols, key=self._cols.get)
        derived = set()
        self._punct_chars = None
        if self._fast and "sentencizer" in self.nlp.pipe_names:
            derived.add(_SENT)
            chars = self.nlp.get_pipe("sentencizer").punct_chars
            self._punct_chars = np.array(sorted(self._strings.add(ch) for ch in chars), dtype=np.uint64)
        if self._fast and "lemmatizer" in self.nlp.pipe_names and "LEMMA" in self._cols:
            derived.add("LEMMA")
            self._lemma_keys, self._lemma_vals = _lemma_arrays(self.nlp)
        self._direct = [n for n in names if n not in derived]
        self._direct_ids = [SENT_START if n == _SENT else ATTR_IDS[n] for n in self._direct]
        self._derived = derived
        self._n_cols = len(names)
        # Default English-like pipelines: every read column is a lexeme attribute (or derived from
        # ORTH), so token columns come from a table per distinct token text ("type").
        self._by_type = self._fast and not self._n_fallback and set(self._direct) <= _LEX_ATTRS
        self._type_id: dict[int, int] = {}
        self._join_ok: tuple[tuple, bool] | None = None  # see _tokenize_orth
        self._type_cols = np.zeros((0, self._n_cols), dtype=np.uint64)
        # Per type, its row in each value table of the vectorised programs and simple markers.
        self._aux_specs = [(c, t) for c, t in self._vec_cols.items()]
        self._aux_vec = {c: j for j, (c, _) in enumerate(self._aux_specs)}
        self._aux_simple = []
        for c, values, _, _ in self._simple_csr:
            self._aux_simple.append(len(self._aux_specs))
            self._aux_specs.append((c, values))
        self._aux_rare = []
        for c, values, _ in self._rare_index:
            self._aux_rare.append(len(self._aux_specs))
            self._aux_specs.append((c, values))
        if self._cols.get(_SENT) in {c for c, _ in self._aux_specs}:
            self._by_type = False
        # last aux column: the type is one of the sentencizer's punct_chars
        self._type_aux = np.zeros((0, len(self._aux_specs) + 1), dtype=np.int64)

    # -- documents ----------------------------------------------------------------------
    def make_doc(self, text: str) -> Doc:
        """Tokenise ``text`` as :meth:`pipe` does, with lookup lemmas and sentence starts set."""
        doc = next(_nlp_docs([text], self.lang, nlp=self.nlp, tokenizer_only=self._fast))
        return _full_annotator(self.nlp)(doc) if self._fast else doc

    def pipe(
        self, texts: Iterable[str], *, batch_size: int = 1000, normalise: bool = True
    ) -> Iterator[Doc]:
        """Docs for matching, lazily and in order (default pipelines: tokenizer only).

        Texts go through :func:`omotenashi_research.nlp.docs` (Unicode normalisation, long
        Japanese texts split safely); ``normalise=False`` when they are normalised already.
        """
        yield from _nlp_docs(
            texts, self.lang, nlp=self.nlp, tokenizer_only=self._fast, batch_size=batch_size,
            normalise=normalise,
        )

    # -- matching -----------------------------------------------------------------------
    def _batch_columns(self, docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Concatenated token columns of ``docs`` (n_tokens x n_cols), doc offsets, doc of each token."""
        lens = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        total = int(offsets[-1])
        cols = np.zeros((total, self._n_cols), dtype=np.uint64)
        if total:
            direct = np.concatenate([d.to_array(self._direct_ids) for d in docs if len(d)])
            cols[:, [self._cols[n] for n in self._direct]] = direct
            if _SENT in self._cols:
                c = self._cols[_SENT]
                if _SENT in self._derived:
                    cols[:, c] = _sent_starts(cols[:, 0], cols[:, 1], self._punct_chars, offsets[:-1])
                else:  # a custom pipeline's own boundaries: SENT_START is 1 / 0 / -1
                    cols[:, c] = cols[:, c] == 1
            if "LEMMA" in self._derived:
                cols[:, self._cols["LEMMA"]] = _lookup(self._lemma_keys, self._lemma_vals, cols[:, 0])
        doc_of = np.repeat(np.arange(len(docs)), lens)
        return cols, offsets, doc_of

    def _simple_counts(
        self, cols: np.ndarray, doc_of: np.ndarray, n_docs: int, aux: np.ndarray | None = None
    ) -> np.ndarray:
        """Counts of the simple markers; ``aux``: the tokens' value rows (see :meth:`_aux_block`)."""
        n_markers = len(self.markers)
        counts = np.zeros(n_docs * n_markers, dtype=np.int64)
        sent_c = self._cols.get(_SENT)
        for j, (c, values, ptr, markers) in enumerate(self._simple_csr):
            if aux is not None:
                pos = aux[:, self._aux_simple[j]]
            else:
                pos = _rows_of(values, cols[:, c])
            hit = np.flatnonzero(pos < len(values))
            if not len(hit):
                continue
            key = pos[hit] * 2
            if sent_c is not None:
                key += cols[hit, sent_c].astype(bool)
            n = ptr[key + 1] - ptr[key]
            total = int(n.sum())
            if not total:
                continue
            first = np.repeat(ptr[key] - np.cumsum(n) + n, n) + np.arange(total)
            flat = np.repeat(doc_of[hit], n) * n_markers + markers[first]
            counts += np.bincount(flat, minlength=len(counts))
        return counts.reshape(n_docs, n_markers)

    def _batch_raw(
        self, docs: Sequence[Doc], cols: np.ndarray, offsets: np.ndarray, doc_of: np.ndarray
    ) -> dict[int, list[tuple[int, int, int]]]:
        """Raw matches of the non-simple programs, per doc index, in doc-local token offsets."""
        doc_list = doc_of.tolist()
        off_list = offsets.tolist()
        keys, starts, ends, found = self._global_raw(cols, offsets, doc_of)
        out: dict[int, list[tuple[int, int, int]]] = {}
        for key, i, e in zip(keys.tolist(), starts.tolist(), ends.tolist(), strict=True):
            d = doc_list[i]
            o = off_list[d]
            out.setdefault(d, []).append((key, i - o, e - o))
        for key, i, e in found:
            d = doc_list[i]
            o = off_list[d]
            out.setdefault(d, []).append((key, i - o, e - o))
        if self._n_fallback:
            for d, doc in enumerate(docs):
                adoc = self._annotate(doc) if self._fast else doc
                extra = self._fallback(adoc)
                if extra:
                    out.setdefault(d, []).extend(extra)
        return out

    def _global_raw(
        self, cols: np.ndarray, offsets: np.ndarray, doc_of: np.ndarray, aux: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, int]]]:
        """Raw matches of the non-simple, non-fallback programs in batch token offsets: the
        vectorised ones as (keys, starts, ends) arrays, the others as (key, start, end) list."""
        cand: set[tuple[int, int]] = set()
        doc_list = memoryview(np.ascontiguousarray(doc_of, dtype=np.int64))
        off_list = offsets.tolist()
        lists = _ColumnLists(cols)
        programs = self._programs
        present: set[tuple[int, int]] = set()
        for j, (c, values, progs) in enumerate(self._rare_index):
            if aux is not None:
                rows = aux[:, self._aux_rare[j]]
                hit = np.flatnonzero(rows < len(values))
                hits = (hit.tolist(), rows[hit].tolist())
            else:
                hits = _hits(cols, c, values)
            for p, row in zip(*hits, strict=True):
                d = doc_list[p]
                for pi in progs[row]:
                    present.add((pi, d))
        # Prefiltered programs: look for their anchors only in the docs that hold their rare token.
        for pi, d in present:
            first, last = off_list[d], off_list[d + 1]
            anchor = programs[pi].anchor
            if anchor is None:
                sent = lists[self._cols[_SENT]] if self._sent_first[pi] else None
                cand.update((pi, i) for i in range(first, last) if sent is None or sent[i])
                continue
            for c, vals, off in anchor:
                col = lists[c]
                cand.update((pi, i - off) for i in range(first + off, last) if col[i] in vals)
        for c, values, progs in self._index:
            for p, row in zip(*_hits(cols, c, values), strict=True):
                first = off_list[doc_list[p]]
                for pi, off in progs[row]:
                    if p - off >= first:
                        cand.add((pi, p - off))
        if self._sent_anchored:
            starts = np.flatnonzero(cols[:, self._cols[_SENT]]).tolist()
            cand.update((pi, i) for pi in self._sent_anchored for i in starts)
        if self._unanchored:
            cand.update((pi, i) for pi in self._unanchored for i in range(len(cols)))
        vkeys, vstarts, vends = self._vec_raw(cols, offsets, doc_of, aux)
        found: set[tuple[int, int, int]] = set()
        if cand:
            strings = self._strings
            for pi, i in cand:
                prog = programs[pi]
                d = doc_list[i]
                if prog.single:
                    if _ok(prog.specs[0][1], lists, i, strings):
                        found.add((pi, i, i + 1))
                    continue
                if prog.fixed:
                    if _fixed_ok(prog.specs, i, off_list[d + 1], lists, strings):
                        found.add((pi, i, i + len(prog.specs)))
                    continue
                ends: set[int] = set()
                _ends(prog.specs, 0, i, off_list[d + 1], lists, strings, ends)
                for e in ends:
                    if e > i:
                        found.add((pi, i, e))
        return vkeys, vstarts, vends, [(programs[pi].key, i, e) for pi, i, e in found]

    def _raw(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Every (match_id, start, end) of every entry, as spaCy's matchers would report them."""
        cols, offsets, doc_of = self._batch_columns([doc])
        matches = self._batch_raw([doc], cols, offsets, doc_of).get(0, [])
        # simple markers: re-derive their single-token matches for span-level output
        if self._simple:
            matches = matches + self._simple_raw(cols)
        return sorted(set(matches), key=lambda t: (t[1], t[2], t[0]))

    def _simple_raw(self, cols: np.ndarray) -> list[tuple[int, int, int]]:
        out = []
        lists = cols.T.tolist()
        for lex in self.lexicons.values():
            if not self._simple_markers[self._marker_index[lex.marker]]:
                continue
            for e in lex.entries:
                cc = dict(self._cols)
                for specs in (
                    [tuple(_compile_token(t, cc, self._strings) for t in e.pattern)]
                    if e.pattern is not None
                    else [
                        tuple((None, ((cc[e.attr], _EQ, int(v)),)) for v in self._phrase_values(ph, e.attr))
                        for ph in e.phrases
                    ]
                ):
                    key = self._strings[e.id]
                    for i in range(len(cols)):
                        if _ok(specs[0][1], lists, i, self._strings):
                            out.append((key, i, i + 1))
        return out

    def _raw_spacy(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Reference: the same matches found with spaCy's Matcher/PhraseMatcher (slow; for tests)."""
        if getattr(self, "_reference", None) is None:
            vocab = self.nlp.vocab
            matcher = Matcher(vocab)
            phrase: dict[str, PhraseMatcher] = {}
            for lex in self.lexicons.values():
                for e in (*lex.entries, *lex.exclude):
                    if e.pattern is not None:
                        matcher.add(e.id, [e.pattern])
                    else:
                        pm = phrase.setdefault(e.attr, PhraseMatcher(vocab, attr=e.attr))
                        pm.add(e.id, [self.make_doc(ph) for ph in e.phrases])
            self._reference = (matcher, phrase)
        matcher, phrase = self._reference
        adoc = _full_annotator(self.nlp)(doc) if self._fast else doc
        out = list(matcher(adoc))
        for pm in phrase.values():
            out.extend(pm(adoc))
        return sorted(set(out), key=lambda t: (t[1], t[2], t[0]))

    def _resolve_matches(self, matches: list[tuple[int, int, int]]) -> list[tuple[int, str, int, int]]:
        """Counted (marker index, entry id, start, end), sorted by start then marker."""
        info = self._info
        keep: dict[int, list[tuple[int, int, str]]] = {}
        excl: dict[int, list[tuple[int, int]]] = {}
        for key, s, e in matches:
            mi, eid, is_ex = info[key]
            if is_ex:
                excl.setdefault(mi, []).append((s, e))
            else:
                keep.setdefault(mi, []).append((s, e, eid))
        out: list[tuple[int, str, int, int]] = []
        for mi, spans in keep.items():
            ex = excl.get(mi)
            if ex:
                spans = [sp for sp in spans if not any(sp[0] < xe and xs < sp[1] for xs, xe in ex)]
            if len(spans) > 1:
                spans = _longest_non_overlapping(spans)
            out.extend((mi, eid, s, e) for s, e, eid in spans)
        out.sort(key=lambda t: (t[2], t[0], t[3]))
        return out

    def _resolve(self, doc: Doc) -> list[tuple[int, str, int, int]]:
        return self._resolve_matches(self._raw(doc)) if len(doc) else []

    def spans(self, doc: Doc | str) -> list[MarkerSpan]:
        """Counted marker occurrences in ``doc`` (overlaps within a marker collapsed to the longest).

        Parameters
        ----------
        doc : spacy.tokens.Doc or str
            A doc of this language's pipeline (:meth:`make_doc`, :meth:`pipe`, or
            ``nlp(text)``), or a text.
        """
        if isinstance(doc, str):
            doc = self.make_doc(doc)
        return [
            MarkerSpan(self.markers[mi], eid, s, e, doc[s:e].text) for mi, eid, s, e in self._resolve(doc)
        ]

    def counts(self, doc: Doc | str) -> np.ndarray:
        """Counts per marker as an int64 array in :attr:`markers` order."""
        if isinstance(doc, str):
            doc = next(self.pipe([doc]))
        return self.count_docs([doc])[1][0]

    def count(self, doc: Doc | str) -> dict[str, int]:
        """Counts of every marker (zeros included) in ``doc``.

        Examples
        --------
        >>> from omotenashi_research.markers import MarkerMatcher
        >>> MarkerMatcher("en").count("Thank you for waiting.")["gratitude"]
        1
        """
        return dict(zip(self.markers, (int(v) for v in self.counts(doc)), strict=True))

    def count_docs(self, docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray]:
        """``(n_tokens, counts)`` for a batch of docs: shapes ``(b,)`` and ``(b, n_markers)``.

        ``n_tokens`` counts non-space, non-punctuation tokens, like
        :func:`omotenashi_research.nlp.token_counts`.
        """
        return self._count_columns(docs, *self._batch_columns(docs))

    def _count_columns(
        self,
        docs: Sequence[Doc] | None,
        cols: np.ndarray,
        offsets: np.ndarray,
        doc_of: np.ndarray,
        aux: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        n_docs = len(offsets) - 1
        skip = (cols[:, 1] | cols[:, 2]).astype(bool)
        ntok = np.bincount(doc_of[~skip], minlength=n_docs).astype(np.int64)
        counts = self._simple_counts(cols, doc_of, n_docs, aux)
        keys, starts, ends, found = self._global_raw(cols, offsets, doc_of, aux)
        if self._n_fallback:
            extra = []
            for d, doc in enumerate(docs):
                adoc = self._annotate(doc) if self._fast else doc
                o = int(offsets[d])
                extra.extend((key, s + o, e + o) for key, s, e in self._fallback(adoc))
            found = found + extra
        if found:
            k2, s2, e2 = zip(*found, strict=True)
            keys = np.concatenate([keys, np.array(k2, dtype=np.uint64)])
            starts = np.concatenate([starts, np.array(s2, dtype=np.int64)])
            ends = np.concatenate([ends, np.array(e2, dtype=np.int64)])
        if len(keys):
            self._add_resolved(counts, keys, starts, ends, doc_of)
        return ntok, counts

    def _add_resolved(
        self, counts: np.ndarray, keys: np.ndarray, starts: np.ndarray, ends: np.ndarray, doc_of: np.ndarray
    ) -> None:
        """Add the counted matches (:meth:`_resolve_matches`) of raw matches in batch offsets.

        A (doc, marker) group without exclude matches whose spans do not overlap counts all its
        spans; the other groups are resolved one by one."""
        if self._info_keys is None:
            items = sorted(self._info.items())
            self._info_keys = np.array([k for k, _ in items], dtype=np.uint64)
            self._info_mi = np.array([v[0] for _, v in items], dtype=np.int64)
            self._info_ex = np.array([v[2] for _, v in items], dtype=bool)
        row = np.searchsorted(self._info_keys, keys)
        n_markers = counts.shape[1]
        group = doc_of[starts] * n_markers + self._info_mi[row]
        order = np.lexsort((ends, starts, group))
        group, starts, ends, keys = group[order], starts[order], ends[order], keys[order]
        ex = self._info_ex[row[order]]
        new = np.ones(len(group), dtype=bool)
        new[1:] = group[1:] != group[:-1]
        gid = np.cumsum(new) - 1
        bad = ex.copy()
        bad[1:] |= ~new[1:] & (starts[1:] < ends[:-1])
        hard = np.bincount(gid, weights=bad, minlength=int(gid[-1]) + 1) > 0
        easy = ~hard[gid]
        flat = counts.reshape(-1)
        flat += np.bincount(group[easy], minlength=len(flat))[: len(flat)].astype(np.int64)
        if hard.any():
            rows = np.flatnonzero(~easy)
            hk, hs, he, hg = keys[rows].tolist(), starts[rows].tolist(), ends[rows].tolist(), group[rows]
            bounds = np.flatnonzero(np.diff(hg)) + 1
            for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), len(rows)], strict=True):
                matches = list(zip(hk[a:b], hs[a:b], he[a:b], strict=True))
                flat[int(hg[a])] += len(self._resolve_matches(matches))

    def count_arrays(
        self, texts: Iterable[str], *, batch_size: int = 1000, on_tokens=None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Per batch of texts: ``(n_tokens, counts)`` (see :meth:`count_docs`).

        ``on_tokens(texts, docs, orth, lens)``, when given, is called once per batch with the
        batch's (original) texts and the tokens just produced — ``docs`` (a list of Doc) or, on
        the by-type path, ``orth`` (every token's ORTH hash, concatenated) and ``lens`` (tokens
        per text) — so that later stages reuse this tokenisation instead of tokenising again.
        """
        it = iter(texts)
        while batch := list(islice(it, batch_size)):
            norm = [normalize(t, self.lang) for t in batch]
            if self._by_type:
                orth, lens = self._tokenize_orth(norm, batch_size)
                if on_tokens is not None:
                    on_tokens(batch, None, orth, lens)
                yield self._count_orth(orth, lens)
            else:
                docs = list(self.pipe(norm, batch_size=batch_size, normalise=False))
                if on_tokens is not None:
                    on_tokens(batch, docs, None, None)
                yield self.count_docs(docs)

    def _type_rows(self, orth: np.ndarray) -> np.ndarray:
        """Row of each token's text in the type table (new texts are added)."""
        if len(self._type_id) > _MAX_TYPES:  # bounded memory on huge vocabularies: start over
            self._type_id = {}
            self._type_cols = self._type_cols[:0]
            self._type_aux = self._type_aux[:0]
        uniq, inv = np.unique(orth, return_inverse=True)
        get = self._type_id.get
        ids = [get(u, -1) for u in uniq.tolist()]
        if -1 in ids:
            new = [u for u, i in zip(uniq.tolist(), ids, strict=True) if i == -1]
            strings = self._strings
            doc = Doc(self.nlp.vocab, words=[strings[h] for h in new], spaces=[False] * len(new))
            block = np.zeros((len(new), self._n_cols), dtype=np.uint64)
            block[:, [self._cols[n] for n in self._direct]] = doc.to_array(self._direct_ids).reshape(
                len(new), -1
            )
            if "LEMMA" in self._derived:
                block[:, self._cols["LEMMA"]] = _lookup(self._lemma_keys, self._lemma_vals, block[:, 0])
            first = len(self._type_cols)
            self._type_cols = np.concatenate([self._type_cols, block])
            aux = np.zeros((len(new), len(self._aux_specs) + 1), dtype=np.int64)
            for j, (c, table) in enumerate(self._aux_specs):
                aux[:, j] = _rows_of(table, block[:, c])
            if self._punct_chars is not None:
                aux[:, -1] = np.isin(block[:, 0], self._punct_chars)
            self._type_aux = np.concatenate([self._type_aux, aux])
            for k, u in enumerate(new):
                self._type_id[u] = first + k
            ids = [get(u) for u in uniq.tolist()]
        return np.array(ids, dtype=np.int64)[inv.reshape(-1)]

    def _count_texts(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`count_docs` of the texts' docs, reading only each doc's ORTH column."""
        return self._count_orth(*self._tokenize_orth(texts, batch_size))

    def _count_orth(self, orth: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`count_docs` from every token's ORTH and the number of tokens per text."""
        texts = lens  # one entry per text
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        if offsets[-1]:
            rows = self._type_rows(orth)  # may grow the table: before reading it
            cols = self._type_cols[rows]
            aux = self._type_aux[rows]
            if _SENT in self._cols:
                cols[:, self._cols[_SENT]] = _sent_starts(
                    cols[:, 0], cols[:, 1], self._punct_chars, offsets[:-1], aux[:, -1].astype(bool)
                )
        else:
            cols = np.zeros((0, self._n_cols), dtype=np.uint64)
            aux = np.zeros((0, len(self._aux_specs) + 1), dtype=np.int64)
        doc_of = np.repeat(np.arange(len(texts)), lens)
        return self._count_columns(None, cols, offsets, doc_of, aux)

    def _tokenize_orth(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """ORTH of every token of every text (concatenated) and the number of tokens per text.

        The tokenizer splits a string at whitespace runs and tokenises each chunk on its own;
        only special cases containing whitespace could match across chunks. So when no rule
        but single whitespace characters contains whitespace, texts that neither start nor
        end with whitespace are tokenised joined by ``_JOIN`` (one Doc instead of one per
        text) and split back by character offsets: the same tokens as one call per text.
        """
        tokenizer = self.nlp.tokenizer
        rules = getattr(tokenizer, "rules", None)
        key = (id(tokenizer), id(rules), len(rules) if isinstance(rules, dict) else -1)
        if self._join_ok is None or self._join_ok[0] != key:  # (re)check after tokenizer changes
            ok = (
                type(tokenizer) is Tokenizer
                and isinstance(rules, dict)
                and all(len(k) == 1 or not any(ch.isspace() for ch in k) for k in rules)
            )
            self._join_ok = (key, ok)
        if not self._join_ok[1]:
            arrays = [doc.to_array(ORTH) for doc in tokenizer.pipe(texts, batch_size=batch_size)]
            lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
            orth = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)
            return orth, lens
        joinable = [bool(t) and not t[0].isspace() and not t[-1].isspace() for t in texts]
        parts = [t for t, ok in zip(texts, joinable, strict=True) if ok]
        char_len = np.fromiter((len(t) for t in parts), dtype=np.int64, count=len(parts))
        char_start = np.zeros(len(parts), dtype=np.int64)
        np.cumsum(char_len[:-1] + len(_JOIN), out=char_start[1:])
        if parts:
            # Small groups, not the whole batch: spaCy's tokenizer stops caching chunks for the rest
            # of a call once it meets a special case, so one huge string re-tokenises every word
            # (3x slower on new texts); groups of _JOIN_GROUP texts keep the cache working.
            arrays = []
            for g in range(0, len(parts), _JOIN_GROUP):
                arr = tokenizer(_JOIN.join(parts[g : g + _JOIN_GROUP])).to_array([ORTH, IDX]).astype(np.int64)
                arr[:, 1] += char_start[g]
                arrays.append(arr)
            arr = np.concatenate(arrays)
            part = np.searchsorted(char_start, arr[:, 1], "right") - 1
            inside = arr[:, 1] < (char_start + char_len)[part]  # not a separator
            orth = arr[inside, 0].astype(np.uint64)
            part_lens = np.bincount(part[inside], minlength=len(parts))
        else:
            orth = np.zeros(0, dtype=np.uint64)
            part_lens = np.zeros(0, dtype=np.int64)
        if all(joinable):
            return orth, part_lens.astype(np.int64)
        # texts with leading/trailing whitespace (or empty): one call each
        pieces = np.split(orth, np.cumsum(part_lens)[:-1]) if parts else []
        arrays, k = [], 0
        for t, ok in zip(texts, joinable, strict=True):
            if ok:
                arrays.append(pieces[k])
                k += 1
            else:
                arrays.append(tokenizer(t).to_array(ORTH))
        lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        return np.concatenate(arrays).astype(np.uint64), lens


def _longest_non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Greedy: longest first, then earliest; drop anything overlapping a kept span."""
    kept: list[tuple[int, int, str]] = []
    for s, e, eid in sorted(spans, key=lambda t: (t[0] - t[1], t[0], t[2])):
        if all(e <= ks or ke <= s for ks, ke, _ in kept):
            kept.append((s, e, eid))
    return kept


@cache
def get_matcher(lang: str) -> MarkerMatcher:
    """The cached :class:`MarkerMatcher` of the packaged lexicons of ``lang``."""
    return MarkerMatcher(lang)


def _check_texts(texts: Sequence[str] | Iterable[str]) -> Iterator[str]:
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a string, got {type(t).__name__}: {t!r}")
        yield t


def _worker_counts(args: tuple[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
    lang, texts = args
    ntok, counts = zip(*get_matcher(lang).count_arrays(texts, batch_size=len(texts) or 1), strict=True)
    return np.concatenate(ntok), np.concatenate(counts)


def _identity(batches):
    """No post-processing of the count batches (see ``markers.politeness.parse_hedges_hook``)."""
    return batches


def iter_count_arrays(
    texts: Iterable[str],
    lang: str,
    *,
    batch_size: int = 1000,
    n_process: int = 1,
    on_tokens=None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stream ``(n_tokens, counts)`` per batch; ``n_process > 1`` counts batches in worker processes.

    ``on_tokens``: see :meth:`MarkerMatcher.count_arrays` (only with ``n_process == 1``: the
    tokens of worker processes are not sent back).
    """
    texts = _check_texts(texts)
    fix = _identity
    if lang == "en":  # ConvoKit Hedges from the parse when an English parser is configured
        from omotenashi_research.markers.politeness import parse_hedges_hook

        texts, fix = parse_hedges_hook(texts, get_matcher(lang).markers)
    if n_process <= 1:
        yield from fix(get_matcher(lang).count_arrays(texts, batch_size=batch_size, on_tokens=on_tokens))
        return

    def batches() -> Iterator[tuple[str, list[str]]]:
        while batch := list(islice(texts, batch_size)):
            yield lang, batch

    # fork keeps the loaded pipeline; imap keeps order and reads the input lazily.
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(n_process) as pool:
        yield from fix(pool.imap(_worker_counts, batches(), chunksize=1))


def count_markers(
    texts: Iterable[str],
    lang: str,
    *,
    batch_size: int = 1000,
    n_process: int = 1,
    progress: bool | None = None,
    total: int | None = None,
) -> pd.DataFrame:
    """Count every marker of ``lang`` in each text.

    Parameters
    ----------
    texts : iterable of str
        Texts of one language.
    lang : {"ja", "en"}
    batch_size : int
        Texts tokenised per batch.
    n_process : int
        Worker processes (forked); 1 runs in this process.
    progress : bool, optional
        tqdm progress bar; default: only for more than 5,000 texts.
    total : int, optional
        Number of texts, for the progress bar when ``texts`` has no length.

    Returns
    -------
    pandas.DataFrame
        One row per text (``RangeIndex``), one int64 column per marker
        (:func:`~omotenashi_research.markers.lexicon.marker_names` order).

    Examples
    --------
    >>> from omotenashi_research.markers import count_markers
    >>> df = count_markers(["Thank you so much!", "OK."], "en")
    >>> df["gratitude"].tolist()
    [1, 0]
    """
    matcher = get_matcher(lang)
    if total is None and hasattr(texts, "__len__"):
        total = len(texts)  # type: ignore[arg-type]
    if progress is None:
        progress = total is not None and total > 5000
    parts = iter_count_arrays(texts, lang, batch_size=batch_size, n_process=n_process)
    bar = tqdm(total=total, desc=f"markers {lang}", unit="text", disable=not progress)
    chunks = []
    with bar:
        for _, counts in parts:
            chunks.append(counts)
            bar.update(len(counts))
    data = np.concatenate(chunks) if chunks else np.zeros((0, len(matcher.markers)), dtype=np.int64)
    return pd.DataFrame(data, columns=list(matcher.markers), copy=False)  # `data` is ours


def explain(text: str, lang: str) -> pd.DataFrame:
    """Every lexicon rule that fired on ``text``, and whether it was counted.

    Parameters
    ----------
    text : str
    lang : {"ja", "en"}

    Returns
    -------
    pandas.DataFrame
        One row per raw match with columns ``marker``, ``entry_id``, ``kind``
        (``"entry"`` or ``"exclude"``), ``start``, ``end`` (token offsets), ``text``,
        ``counted`` (bool) and ``reason`` (``"counted"``, ``"excluded by <id>"``,
        ``"overlaps longer <id>"`` or ``"exclude rule"``), sorted by ``start``.

    Examples
    --------
    >>> from omotenashi_research.markers import explain
    >>> ex = explain("I'm sorry to hear that.", "en")
    >>> ex.loc[ex["marker"] == "apology", ["kind", "counted", "reason"]].values.tolist()
    [['entry', False, 'excluded by en_apology_not_sorry_to_hear'], ['exclude', False, 'exclude rule']]
    """
    matcher = get_matcher(lang)
    doc = matcher.make_doc(text)
    counted = {(m, eid, s, e) for m, eid, s, e in matcher._resolve(doc)}
    raw = sorted(set(matcher._raw(doc)), key=lambda t: (t[1], t[2]))
    rows = []
    for key, s, e in raw:
        mi, eid, is_ex = matcher._info[key]
        if is_ex:
            reason = "exclude rule"
        elif (mi, eid, s, e) in counted:
            reason = "counted"
        else:
            blocker = next(
                (
                    (xeid, xis)
                    for xkey, xs, xe in raw
                    for xmi, xeid, xis in [matcher._info[xkey]]
                    if xmi == mi and xs < e and s < xe and xis
                ),
                None,
            )
            if blocker is not None:
                reason = f"excluded by {blocker[0]}"
            else:
                longer = next(
                    (c for c in counted if c[0] == mi and c[2] < e and s < c[3]), (None, "?", 0, 0)
                )
                reason = f"overlaps longer {longer[1]}"
        rows.append(
            {
                "marker": matcher.markers[mi],
                "entry_id": eid,
                "kind": "exclude" if is_ex else "entry",
                "start": s,
                "end": e,
                "text": doc[s:e].text,
                "counted": reason == "counted",
                "reason": reason,
            }
        )
    cols = ["marker", "entry_id", "kind", "start", "end", "text", "counted", "reason"]
    return pd.DataFrame(rows, columns=cols)
