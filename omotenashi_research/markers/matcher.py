"""The marker matcher: all lexicons of one language compiled once, counted batch-wise.

:class:`MarkerMatcher` compiles the entries (:mod:`.compiler`), sorts the programs into the
vectorised path (:mod:`.vectorised`), the general token-by-token path (:mod:`.executor`) and, for
anything else, a spaCy ``Matcher``; it tokenises (:mod:`.typetable` for default English-like
pipelines, whole docs otherwise) and resolves overlaps (:mod:`.resolve`). See
:mod:`omotenashi_research.markers.engine` for the semantics and the public functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import NamedTuple

import numpy as np
from spacy.attrs import IDS as ATTR_IDS
from spacy.attrs import SENT_START
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from omotenashi_research.markers.annotate import (
    _FastAnnotator,
    _full_annotator,
    _lemma_arrays,
    _lookup,
    _sent_starts,
)
from omotenashi_research.markers.compiler import (
    _BASE_COLS,
    _EQ,
    _FLAG,
    _IN,
    _LEX_ATTRS,
    _NOT_IN,
    _SENT,
    _compile_token,
    _expand_optional,
    _pattern_attrs,
    _Program,
    _Unsupported,
)
from omotenashi_research.markers.executor import _ok, _ProgramExecutor
from omotenashi_research.markers.lexicon import Lexicon, load_lexicons
from omotenashi_research.markers.resolve import _OverlapResolver
from omotenashi_research.markers.typetable import _TypeTable
from omotenashi_research.markers.vectorised import _VectorisedPrograms
from omotenashi_research.nlp import SUPPORTED_LANGS, get_pipeline
from omotenashi_research.nlp import docs as _nlp_docs
from omotenashi_research.text import normalize

__all__ = ["MarkerMatcher", "MarkerSpan"]

_DEFAULT_PIPES = {"en": ["sentencizer", "lemmatizer"], "ja": ["sentencizer"]}
# Texts counted at once on the by-type path (several batches): the engine's cost per call (a few
# numpy operations per program) is then paid less often; results are still yielded per batch.
_TYPE_GROUP = 4000


class MarkerSpan(NamedTuple):
    """One counted marker occurrence: tokens ``start:end`` of the doc."""

    marker: str
    entry_id: str
    start: int
    end: int
    text: str


class MarkerMatcher(_VectorisedPrograms, _ProgramExecutor, _TypeTable, _OverlapResolver):
    """All marker lexicons of one language, compiled for fast counting.

    Parameters
    ----------
    lang : {"ja", "en"}
    lexicons : dict of str to Lexicon, optional
        Default: the packaged lexicons (:func:`~omotenashi_research.markers.lexicon.load_lexicons`).
    procedures : bool
        Add the language's procedural rules, which a token pattern cannot express: in Japanese,
        the respectful passive 〜れる/〜られる counts as ``sonkeigo``
        (:func:`~omotenashi_research.markers.respectful.respectful_passive_spans`, entry id
        ``ja_sonkeigo_reru_passive``). Default True.

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

    def __init__(self, lang: str, *, lexicons: dict[str, Lexicon] | None = None, procedures: bool = True):
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
        # procedural rules: (match key, function doc -> [(start, end)]), matched like an entry
        self._procs: list[tuple[int, object]] = []
        if procedures and lang == "ja" and "sonkeigo" in self._marker_index:
            from omotenashi_research.markers.respectful import RERU_ENTRY_ID, respectful_passive_spans

            key = vocab.strings.add(RERU_ENTRY_ID)
            self._info[key] = (self._marker_index["sonkeigo"], RERU_ENTRY_ID, False)
            self._procs.append((key, respectful_passive_spans))
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
        self._by_type = (
            self._fast and not self._n_fallback and not self._procs and set(self._direct) <= _LEX_ATTRS
        )
        self._type_id: dict[int, int] = {}
        self._join_ok: tuple[tuple, bool] | None = None  # see _tokenize_orth
        self._chunks = None  # (tokenizer key, ChunkTokens): see _tokenize_orth
        self._type_cols = np.zeros((0, self._n_cols), dtype=np.uint64)
        # Per type, its row in each value table of the vectorised programs and simple markers.
        self._aux_specs = [(c, t) for c, t in self._vec_cols.items()]
        self._aux_vec = {c: j for j, (c, _) in enumerate(self._aux_specs)}
        self._aux_simple = []
        for c, values, _, _ in self._simple_csr:
            self._aux_simple.append(len(self._aux_specs))
            self._aux_specs.append((c, values))
        if self._cols.get(_SENT) in {c for c, _ in self._aux_specs}:
            self._by_type = False
        # two more aux columns: the type's own row (to look up ``_type_member``), and whether the
        # type is one of the sentencizer's punct_chars (last)
        self._aux_row = len(self._aux_specs)
        self._type_aux = np.zeros((0, len(self._aux_specs) + 2), dtype=np.int64)
        # Per token predicate of the general path's plans (executor), whether each type passes it
        # (one contiguous row per predicate: read as a whole row per batch).
        self._type_member = np.zeros((len(self._exec_preds), 0), dtype=bool)
        # Per type, the predicates of ``_csr_preds`` it passes (CSR: ids[ptr[t]:ptr[t + 1]]).
        self._type_pred_ptr = np.zeros(1, dtype=np.int64)
        self._type_pred_ids = np.zeros(0, dtype=np.int64)

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
        for d, doc in enumerate(docs if self._procs else ()):
            extra = self._proc_matches(doc)
            if extra:
                out.setdefault(d, []).extend(extra)
        return out

    def _proc_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """``(match key, start, end)`` of the procedural rules in ``doc``."""
        return [(key, s, e) for key, find in self._procs for s, e in find(doc)]

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
        out.extend(self._proc_matches(doc))
        return sorted(set(out), key=lambda t: (t[1], t[2], t[0]))

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
        if self._procs:
            found = found + [(k, s + o, e + o) for d, o in enumerate(offsets[:-1].tolist())
                             for k, s, e in self._proc_matches(docs[d])]
        if found:
            k2, s2, e2 = zip(*found, strict=True)
            keys = np.concatenate([keys, np.array(k2, dtype=np.uint64)])
            starts = np.concatenate([starts, np.array(s2, dtype=np.int64)])
            ends = np.concatenate([ends, np.array(e2, dtype=np.int64)])
        if len(keys):
            self._add_resolved(counts, keys, starts, ends, doc_of)
        return ntok, counts

    def count_arrays(
        self, texts: Iterable[str], *, batch_size: int = 1000, on_tokens=None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Per batch of texts: ``(n_tokens, counts)`` (see :meth:`count_docs`).

        ``on_tokens(texts, docs, orth, lens)``, when given, is called once per batch with the
        batch's (original) texts and the tokens just produced — ``docs`` (a list of Doc) or, on
        the by-type path, ``orth`` (every token's ORTH hash, concatenated) and ``lens`` (tokens
        per text) — so that later stages reuse this tokenisation instead of tokenising again.
        On the by-type path, up to ``_TYPE_GROUP`` texts (whole batches) are tokenised and counted
        at once and ``on_tokens`` sees that group; the results are the same as batch by batch.
        """
        it = iter(texts)
        if self._by_type:
            group_size = batch_size * max(1, _TYPE_GROUP // batch_size)
            while group := list(islice(it, group_size)):
                norm = [normalize(t, self.lang) for t in group]
                orth, lens = self._tokenize_orth(norm, batch_size)
                if on_tokens is not None:
                    on_tokens(group, None, orth, lens)
                ntok, counts = self._count_orth(orth, lens)
                for s in range(0, len(group), batch_size):
                    yield ntok[s : s + batch_size], counts[s : s + batch_size]
            return
        while batch := list(islice(it, batch_size)):
            norm = [normalize(t, self.lang) for t in batch]
            docs = list(self.pipe(norm, batch_size=batch_size, normalise=False))
            if on_tokens is not None:
                on_tokens(batch, docs, None, None)
            yield self.count_docs(docs)
