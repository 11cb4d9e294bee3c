"""spaCy's tokens from a cache per whitespace-delimited chunk.

spaCy's :class:`~spacy.tokenizer.Tokenizer` cuts a string into *spans* — runs of non-space
characters, and runs of whitespace minus a single ``' '`` that directly follows a token (it becomes
that token's trailing space) — and tokenises each span on its own (affixes, infixes, special cases,
URLs). One pass then runs across the whole doc: the ``PhraseMatcher`` of special cases that contain
affixes, which retokenises each kept match by its rule. A match that crosses a span boundary covers
whitespace, so it never equals a rule and never changes tokens itself, but it can hide matches
inside the spans it touches (spaCy drops a match whose first or last token an earlier-ranked match
covers, kept or not). :class:`ChunkTokens` therefore

- keeps the ORTH ids of every span it has seen (bounded, like spaCy's own chunk cache), tokenising
  new spans with the tokenizer itself, joined by single spaces in small groups (one ``Doc`` per
  group, not per span);
- reads a text as its spans, and its tokens as the concatenation of the spans' cached tokens;
- re-tokenises a text (or a group of new spans) with the tokenizer when a special-case match could
  cross a boundary between two spans: the last token before it and the first token after it are
  consecutive tokens of a pattern, or either is a token a rule's retokenisation leaves in place of
  its pattern's token (the matcher may have seen another token there, so the boundary counts as risky).

The tokens are then exactly spaCy's (tested with hypothesis against ``tokenizer(text)``). The
tokenizer's rules must not contain whitespace except as single characters (the caller checks; see
:meth:`omotenashi_research.markers.matcher.MarkerMatcher._tokenize_orth`).
"""

from __future__ import annotations

import weakref
from itertools import groupby

import numpy as np
from spacy.attrs import IDX, ORTH
from spacy.tokenizer import Tokenizer

__all__ = ["ChunkTokens", "clear_caches", "spans_of"]

_MAX_CHUNKS = 100_000  # cached spans per tokenizer; past it the cache starts over (bounded memory)
_GROUP = 32  # new spans per tokenizer call (spaCy stops caching chunks after a special case)
_SEP = "\x00"  # joins the texts of a batch: never a span of a text taken on the fast path (unprintable)
_INSTANCES: weakref.WeakSet[ChunkTokens] = weakref.WeakSet()


def clear_caches() -> None:
    """Forget every cached span (memory, or honest benchmark repetitions)."""
    for inst in list(_INSTANCES):
        inst.clear()


def _member(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Whether each value of ``x`` is in the sorted ``table`` (cheaper than ``np.isin`` on big ``x``)."""
    if not len(table):
        return np.zeros(len(x), dtype=bool)
    pos = np.minimum(np.searchsorted(table, x), len(table) - 1)
    return table[pos] == x


def spans_of(text: str) -> list[str]:
    """The spans spaCy's tokenizer tokenises one by one, in order (see the module docstring).

    Examples
    --------
    >>> spans_of("Hi  there\\n")
    ['Hi', ' ', 'there', '\\n']
    >>> spans_of(" a b")
    [' ', 'a', 'b']
    """
    if not text:
        return []
    if " ".join(text.split()) == text:  # the common case: single spaces between non-space runs
        return text.split()
    out = []
    first = True
    for ws, run in groupby(text, str.isspace):
        s = "".join(run)
        if ws and not first and s[0] == " ":
            s = s[1:]  # the trailing space of the previous token
        if s:
            out.append(s)
        first = False
    return out


class _Index(dict):
    """Span -> id; an unseen span gets the next id and is queued in ``new`` (one pass over the spans)."""

    def __init__(self):
        super().__init__()
        self.new: list[str] = []

    def __missing__(self, span: str) -> int:
        i = self[span] = len(self)
        self.new.append(span)
        return i


def _fast(text: str) -> bool:
    """Whether ``text`` is non-space runs joined by single spaces: then ``text.split()`` are its spans.

    Every whitespace character but ``' '`` is unprintable (tested over all of Unicode), so a
    printable text without double, leading or trailing spaces has no other whitespace."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


class ChunkTokens:
    """ORTH ids of spaCy tokens, from a cache per span (see the module docstring).

    Parameters
    ----------
    tokenizer : spacy.tokenizer.Tokenizer
        The tokenizer whose tokens are reproduced. Its rules must contain whitespace only as
        single characters.

    Examples
    --------
    >>> import spacy
    >>> nlp = spacy.blank("en")
    >>> orth, lens = ChunkTokens(nlp.tokenizer).orth(["I'm here.", "Don't  go"])
    >>> [nlp.vocab.strings[int(h)] for h in orth], lens.tolist()
    (['I', "'m", 'here', '.', 'Do', "n't", ' ', 'go'], [4, 4])
    """

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer
        self._pairs, self._firsts, self._lasts, self._rfirst, self._rlast = self._special_pairs(tokenizer)
        self.clear()
        _INSTANCES.add(self)

    def clear(self) -> None:
        """Forget every cached span."""
        self._index = _Index()
        self._tok = np.zeros(0, dtype=np.uint64)  # ORTH of every cached span's tokens, concatenated
        self._start = np.zeros(0, dtype=np.int64)  # per cached span: first token in _tok
        self._len = np.zeros(0, dtype=np.int64)  # per cached span: number of tokens
        # per cached span: its last token may open / its first token may close a special match
        self._span_opens = np.zeros(0, dtype=bool)
        self._span_closes = np.zeros(0, dtype=bool)
        self._sep = self._index[_SEP]  # the separator of joined texts (see orth)
        self._add()

    @staticmethod
    def _special_pairs(tokenizer: Tokenizer) -> tuple[set, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What spaCy's special-case matcher can do at a span boundary.

        - ``pairs``: consecutive (ORTH, ORTH) token pairs of its patterns (each rule tokenised
          without special cases, as spaCy adds it), with ``firsts``/``lasts`` the ids that open /
          close a pair;
        - ``rfirst``/``rlast``: the first / last token a retokenisation by a rule can leave at the
          start / end of a span *instead of* the pattern's own token (rules whose tokens differ
          there from their pattern's). A span whose tokens start or end with one may hide the
          pattern token the matcher saw, so its boundary counts as risky whatever the pair.
        """
        plain = Tokenizer(
            tokenizer.vocab,
            rules=None,
            prefix_search=tokenizer.prefix_search,
            suffix_search=tokenizer.suffix_search,
            infix_finditer=tokenizer.infix_finditer,
            token_match=tokenizer.token_match,
            url_match=tokenizer.url_match,
            faster_heuristics=tokenizer.faster_heuristics,
        )
        strings = tokenizer.vocab.strings
        pairs: set[tuple[int, int]] = set()
        rfirst: set[int] = set()
        rlast: set[int] = set()
        for rule, subs in (tokenizer.rules or {}).items():
            in_matcher = (not tokenizer.faster_heuristics or tokenizer.find_prefix(rule)
                          or tokenizer.find_infix(rule) or tokenizer.find_suffix(rule) or " " in rule)
            if not in_matcher:  # (as Tokenizer.add_special_case decides)
                continue
            orth = [t.orth for t in plain(rule)]
            pairs.update(zip(orth[:-1], orth[1:], strict=True))
            pieces = [strings.add(sub.get(ORTH, sub.get("ORTH", ""))) for sub in subs]
            if pieces and orth and pieces[0] != orth[0]:
                rfirst.add(pieces[0])
            if pieces and orth and pieces[-1] != orth[-1]:
                rlast.add(pieces[-1])

        def table(values) -> np.ndarray:
            return np.array(sorted(values), dtype=np.uint64)

        return (pairs, table(a for a, _ in pairs), table(b for _, b in pairs), table(rfirst), table(rlast))

    def _exact_pairs(self, last: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Whether each (last token before, first token after) boundary is a special-pattern pair."""
        pairs = self._pairs
        return np.array(
            [(a, b) in pairs for a, b in zip(last.tolist(), first.tolist(), strict=True)], dtype=bool
        )

    def _opens(self, last: np.ndarray) -> np.ndarray:
        return _member(last, self._firsts) | _member(last, self._rlast)

    def _closes(self, first: np.ndarray) -> np.ndarray:
        return _member(first, self._lasts) | _member(first, self._rfirst)

    def _risky(self, last: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Whether a special-case match could cross each boundary, from the final tokens on either
        side (``last`` before it, ``first`` after it; neither a whitespace token)."""
        loose = _member(last, self._rlast) | _member(first, self._rfirst)
        risky = self._opens(last) & self._closes(first)
        exact = np.flatnonzero(risky & ~loose)
        risky[exact] = self._exact_pairs(last[exact], first[exact])
        return risky

    def _add(self) -> None:
        """Tokenise the spans queued in the index and append them to the cache."""
        spans, self._index.new = self._index.new, []
        if not spans:
            return
        tok = self.tokenizer
        # non-space runs are joined by ' ' (one Doc per group); whitespace runs go one by one
        words = [s for s in spans if not s[0].isspace() and s != _SEP]
        results: dict[str, np.ndarray] = {}
        groups, arrays = [], []
        for g in range(0, len(words), _GROUP):
            group = words[g : g + _GROUP]
            arr = tok(" ".join(group)).to_array([ORTH, IDX])
            groups.append(group)
            arrays.append(arr)
        if words:
            arr = np.concatenate(arrays)
            orth = arr[:, 0]
            # character offset of each word in its group's string, and of each token
            w_len = np.fromiter((len(w) + 1 for w in words), dtype=np.int64, count=len(words))
            g_of_w = np.arange(len(words)) // _GROUP
            w_start = np.cumsum(w_len) - w_len  # as if all groups were one string
            g_start = w_start[::_GROUP]
            n_tok = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
            t_pos = arr[:, 1].astype(np.int64) + np.repeat(g_start, n_tok)
            which = np.searchsorted(w_start, t_pos, "right") - 1
            bounds = np.searchsorted(which, np.arange(len(words) + 1))
            lens = np.diff(bounds)
            bad = np.zeros(len(groups), dtype=bool)
            bad[g_of_w[lens == 0]] = True
            if len(words) > 1 and lens.all():
                inner = np.flatnonzero(g_of_w[1:] == g_of_w[:-1]) + 1  # word boundaries inside a group
                risky = inner[self._risky(orth[bounds[inner] - 1], orth[bounds[inner]])]
                bad[g_of_w[risky]] = True
            b_list = bounds.tolist()
            for k, w in enumerate(words):
                if not bad[g_of_w[k]]:
                    results[w] = orth[b_list[k] : b_list[k + 1]]
                else:  # a special-case match could cross spans in this group: one call per span
                    results[w] = tok(w).to_array(ORTH).reshape(-1)
        for s in spans:
            if s[0].isspace() or s == _SEP:  # (the separator's tokens are read in slow texts only)
                results[s] = tok(s).to_array(ORTH).reshape(-1)
        arrays = [results[s] for s in spans]
        lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        new_tok = np.concatenate(arrays).astype(np.uint64)
        new_start = np.cumsum(lens) - lens
        # whitespace runs never take part in a pattern (no rule holds whitespace but one character)
        has = (lens > 0) & np.array([not sp[0].isspace() for sp in spans], dtype=bool)
        opens = np.zeros(len(spans), dtype=bool)
        closes = np.zeros(len(spans), dtype=bool)
        opens[has] = self._opens(new_tok[new_start[has] + lens[has] - 1])
        closes[has] = self._closes(new_tok[new_start[has]])
        self._start = np.concatenate([self._start, len(self._tok) + new_start])
        self._len = np.concatenate([self._len, lens])
        self._tok = np.concatenate([self._tok, new_tok])
        self._span_opens = np.concatenate([self._span_opens, opens])
        self._span_closes = np.concatenate([self._span_closes, closes])

    def orth(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """ORTH of every token of every text (concatenated, uint64) and the number of tokens per text:
        the same as ``tokenizer(text)`` for each text."""
        if len(self._index) > _MAX_CHUNKS:
            self.clear()
        n = len(texts)
        fast = [_fast(t) for t in texts]
        n_fast = sum(fast)
        # fast texts first, joined by separators and split at once; then the others span by span
        order = None
        if n_fast < n:
            order = [d for d in range(n) if fast[d]] + [d for d in range(n) if not fast[d]]
        if order is None:
            flat = f" {_SEP} ".join(texts).split()
            slow = []
        else:
            flat = f" {_SEP} ".join(texts[d] for d in order[:n_fast]).split() if n_fast else []
            slow = [spans_of(texts[d]) for d in order[n_fast:]]
        n_joined = len(flat)
        for spans in slow:
            flat.extend(spans)
        index = self._index
        span_ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        if index.new:
            self._add()
        # in the joined part, separators are exactly the text boundaries (fast texts are
        # printable, so never contain one); in a slow text a separator-like span is a real span
        is_sep = span_ids[:n_joined] == self._sep
        text_of_span = np.concatenate(
            [
                np.cumsum(is_sep)[~is_sep],
                n_fast + np.repeat(np.arange(len(slow)), [len(s) for s in slow]).astype(np.int64),
            ]
        )
        span_ids = np.concatenate([span_ids[:n_joined][~is_sep], span_ids[n_joined:]])
        span_len = self._len[span_ids]
        span_start = self._start[span_ids]
        # token k of span j: _tok[span_start[j] + k]
        tok_offsets = np.cumsum(span_len) - span_len
        n_tok = int(span_len.sum())
        take = np.arange(n_tok, dtype=np.int64) + np.repeat(span_start - tok_offsets, span_len)
        orth = self._tok[take]
        lens = np.bincount(text_of_span, weights=span_len, minlength=n).astype(np.int64)
        # texts where a special-case match could cross a span boundary: tokenised by spaCy
        same = text_of_span[1:] == text_of_span[:-1]
        maybe = same & self._span_opens[span_ids[:-1]] & self._span_closes[span_ids[1:]]
        redo = np.zeros(0, dtype=np.int64)
        if maybe.any():
            at = np.flatnonzero(maybe)
            last = self._tok[span_start[at] + span_len[at] - 1]
            first = self._tok[span_start[at + 1]]
            redo = np.unique(text_of_span[at + 1][self._risky(last, first)])
        if order is None and not len(redo):
            return orth, lens
        return self._reorder(texts, orth, lens, order, redo)

    def _reorder(
        self, texts: list[str], orth: np.ndarray, lens: np.ndarray, order: list[int] | None, redo: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Tokens in the texts' order (``order``: text of each position), with the texts at the
        positions ``redo`` tokenised by the tokenizer itself."""
        pieces = np.split(orth, np.cumsum(lens)[:-1]) if len(texts) else []
        for p in redo.tolist():
            text = texts[order[p]] if order is not None else texts[p]
            pieces[p] = self.tokenizer(text).to_array(ORTH).reshape(-1).astype(np.uint64)
        if order is not None:
            back = [0] * len(order)
            for p, d in enumerate(order):
                back[d] = p
            pieces = [pieces[p] for p in back]
        lens = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
        orth = np.concatenate(pieces).astype(np.uint64) if pieces else np.zeros(0, dtype=np.uint64)
        return orth, lens
