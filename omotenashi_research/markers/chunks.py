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
- re-tokenises a text (or cuts a group of new spans) with the tokenizer when a special-case match
  could cross a boundary between two spans: a token the matcher may have seen last before it and
  one it may have seen first after it are consecutive tokens of a pattern (the matcher sees a span's
  own final token there or, where a rule retokenised the span's edge, that rule's pattern token).

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
        (self._pairs, self._firsts, self._lasts, self._rfirst, self._rlast, self._was_first,
         self._was_last) = self._special_pairs(tokenizer)
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
    def _special_pairs(tokenizer: Tokenizer) -> tuple:
        """What spaCy's special-case matcher can do at a span boundary.

        - ``pairs``: consecutive (ORTH, ORTH) token pairs of its patterns (each rule tokenised
          without special cases, as spaCy adds it), with ``firsts``/``lasts`` the ids that open /
          close a pair;
        - ``rfirst``/``rlast``: the first / last token a retokenisation by a rule can leave at the
          start / end of a span *instead of* the pattern's own token (rules whose tokens differ
          there from their pattern's). A span whose tokens start or end with one may hide the
          pattern token the matcher saw;
        - ``was_first``/``was_last``: for each of those, the pattern tokens it may stand for. The
          matcher saw at a span's start either the span's first final token or, when a rule
          retokenised the start of the span, the first token of that rule's pattern: a boundary
          is risky when a pair joins any token the matcher may have seen before it to any it may
          have seen after it.
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
        rfirst: dict[int, set[int]] = {}
        rlast: dict[int, set[int]] = {}
        for rule, subs in (tokenizer.rules or {}).items():
            in_matcher = (not tokenizer.faster_heuristics or tokenizer.find_prefix(rule)
                          or tokenizer.find_infix(rule) or tokenizer.find_suffix(rule) or " " in rule)
            if not in_matcher:  # (as Tokenizer.add_special_case decides)
                continue
            orth = [t.orth for t in plain(rule)]
            pairs.update(zip(orth[:-1], orth[1:], strict=True))
            pieces = [strings.add(sub.get(ORTH, sub.get("ORTH", ""))) for sub in subs]
            if pieces and orth and pieces[0] != orth[0]:
                rfirst.setdefault(pieces[0], set()).add(orth[0])
            if pieces and orth and pieces[-1] != orth[-1]:
                rlast.setdefault(pieces[-1], set()).add(orth[-1])

        def table(values) -> np.ndarray:
            return np.array(sorted(values), dtype=np.uint64)

        return (pairs, table(a for a, _ in pairs), table(b for _, b in pairs), table(rfirst), table(rlast),
                rfirst, rlast)

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
        loose = np.flatnonzero(risky & loose)
        risky[loose] = self._loose_pairs(last[loose], first[loose])
        return risky

    def _loose_pairs(self, last: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Whether a pair joins any token the matcher may have seen before each boundary to any it
        may have seen after it (see :meth:`_special_pairs`)."""
        pairs, was_last, was_first = self._pairs, self._was_last, self._was_first
        out = []
        for a, b in zip(last.tolist(), first.tolist(), strict=True):
            before, after = (a, *was_last.get(a, ())), (b, *was_first.get(b, ()))
            out.append(any((x, y) in pairs for x in before for y in after))
        return np.array(out, dtype=bool)

    def _add(self) -> None:
        """Tokenise the spans queued in the index and append them to the cache."""
        spans, self._index.new = self._index.new, []
        if not spans:
            return
        tok = self.tokenizer
        n = len(spans)
        # Where each span's tokens are in ``parts`` (concatenated): first token and number of tokens.
        parts: list[np.ndarray] = []
        first = np.zeros(n, dtype=np.int64)
        count = np.zeros(n, dtype=np.int64)
        is_space = np.fromiter((s[0].isspace() for s in spans), dtype=bool, count=n)
        # Non-space runs are joined by ' ' in groups (one Doc per group). A span that is itself a
        # special case stops spaCy's chunk cache for the rest of its Doc (``has_special``), so such
        # spans go last: the other spans' tokens stay in spaCy's cache.
        rules = tok.rules or {}
        words = [k for k in np.flatnonzero(~is_space).tolist() if spans[k] != _SEP]
        words = [k for k in words if spans[k] not in rules] + [k for k in words if spans[k] in rules]
        pending = [words[g : g + _GROUP] for g in range(0, len(words), _GROUP)]
        while pending:
            pending = self._add_groups(spans, pending, parts, first, count)
        # whitespace runs (and the separator, whose tokens are read in slow texts only) one by one
        done = sum(len(p) for p in parts)
        for k, s in enumerate(spans):
            if is_space[k] or s == _SEP:
                orth = tok(s).to_array(ORTH).reshape(-1)
                first[k], count[k] = done, len(orth)
                done += len(orth)
                parts.append(orth)
        all_tok = np.concatenate(parts).astype(np.uint64) if parts else np.zeros(0, dtype=np.uint64)
        new_start = np.cumsum(count) - count
        new_tok = all_tok[np.repeat(first - new_start, count) + np.arange(int(count.sum()))]
        lens = count
        # whitespace runs never take part in a pattern (no rule holds whitespace but one character)
        has = (lens > 0) & ~is_space
        opens = np.zeros(n, dtype=bool)
        closes = np.zeros(n, dtype=bool)
        opens[has] = self._opens(new_tok[new_start[has] + lens[has] - 1])
        closes[has] = self._closes(new_tok[new_start[has]])
        self._start = np.concatenate([self._start, len(self._tok) + new_start])
        self._len = np.concatenate([self._len, lens])
        self._tok = np.concatenate([self._tok, new_tok])
        self._span_opens = np.concatenate([self._span_opens, opens])
        self._span_closes = np.concatenate([self._span_closes, closes])

    def _add_groups(
        self,
        spans: list[str],
        groups: list[list[int]],
        parts: list[np.ndarray],
        first: np.ndarray,
        count: np.ndarray,
    ) -> list[list[int]]:
        """Tokenise each group of spans (indices into ``spans``) joined by single spaces.

        When no special-case match could cross a boundary between two of a group's spans (as for
        the spans of a text, see :meth:`orth`), the group's tokens are each span's own: they are
        appended to ``parts`` and each span's ``first`` token (in ``parts`` concatenated) and token
        ``count`` set. Returns the other groups, cut at their risky boundaries (each piece strictly
        smaller, so repeating ends), or cut into single spans when some span has no token of its
        own (a token running over two spans)."""
        tok = self.tokenizer
        arrays = [tok(" ".join([spans[k] for k in group])).to_array([ORTH, IDX]) for group in groups]
        words = [k for group in groups for k in group]
        arr = np.concatenate(arrays)
        orth = arr[:, 0]
        base = sum(len(p) for p in parts)
        parts.append(orth)
        # character offset of each word in its group's string, and of each token
        g_size = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
        g_of_w = np.repeat(np.arange(len(groups)), g_size)
        w_len = np.fromiter((len(spans[k]) + 1 for k in words), dtype=np.int64, count=len(words))
        w_start = np.cumsum(w_len) - w_len  # as if all groups were one string
        g_first = np.cumsum(g_size) - g_size  # first word of each group
        n_tok = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        t_pos = arr[:, 1].astype(np.int64) + np.repeat(w_start[g_first], n_tok)
        which = np.searchsorted(w_start, t_pos, "right") - 1
        bounds = np.searchsorted(which, np.arange(len(words) + 1))
        lens = np.diff(bounds)
        no_start = np.zeros(len(groups), dtype=bool)  # a word without a token of its own
        no_start[g_of_w[lens == 0]] = True
        no_start &= g_size > 1
        inner = np.flatnonzero(g_of_w[1:] == g_of_w[:-1]) + 1  # word boundaries inside a group
        inner = inner[~no_start[g_of_w[inner]]]
        cut = np.zeros(len(words), dtype=bool)  # cut before word k: a risky boundary in its group
        cut[inner[self._risky(orth[bounds[inner] - 1], orth[bounds[inner]])]] = True
        bad = no_start.copy()
        bad[g_of_w[cut]] = True
        good = ~bad[g_of_w]
        idx = np.array(words, dtype=np.int64)[good]
        first[idx] = base + bounds[:-1][good]
        count[idx] = lens[good]
        pending: list[list[int]] = []
        cut_list = cut.tolist()
        for g in np.flatnonzero(bad).tolist():
            group = groups[g]
            if no_start[g]:  # one call per word
                pending.extend([k] for k in group)
                continue
            a = int(g_first[g])
            piece = [group[0]]
            for j in range(1, len(group)):
                if cut_list[a + j]:
                    pending.append(piece)
                    piece = []
                piece.append(group[j])
            pending.append(piece)
        return pending

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
        positions ``redo`` tokenised by the tokenizer itself.

        One gather (no array per text): the redone texts' tokens are appended to ``orth``, and each
        text's tokens are read from where they are."""
        start = np.cumsum(lens) - lens  # per position: first token in ``orth``
        if len(redo):
            redone = [
                self.tokenizer(texts[order[p] if order is not None else p]).to_array(ORTH).reshape(-1)
                for p in redo.tolist()
            ]
            n_redone = np.fromiter((len(a) for a in redone), dtype=np.int64, count=len(redone))
            lens = lens.copy()
            start[redo] = len(orth) + np.cumsum(n_redone) - n_redone
            lens[redo] = n_redone
            orth = np.concatenate([orth, *redone]).astype(np.uint64)
        if order is not None:
            at = np.empty(len(order), dtype=np.int64)  # position of each text
            at[np.array(order, dtype=np.int64)] = np.arange(len(order))
            start, lens = start[at], lens[at]
        offsets = np.cumsum(lens) - lens
        take = np.repeat(start - offsets, lens) + np.arange(int(lens.sum()), dtype=np.int64)
        return orth[take], lens.astype(np.int64)
