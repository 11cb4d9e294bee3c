"""Executing compiled programs token by token (the general path of the marker engine).

Programs the vectorised path (:mod:`.vectorised`) cannot take — ``REGEX`` checks, ``*``/``+``/``?``
in arbitrary places — are run here. Candidate start tokens come from each program's anchor token and
are filtered with numpy by conditions every match implies (:meth:`_ProgramExecutor._build_index`);
each remaining candidate is checked by :func:`_ends`, which follows every path through the pattern
like spaCy's ``Matcher`` and returns every end.
"""

from __future__ import annotations

import numpy as np

from omotenashi_research.markers.compiler import _EQ, _FLAG, _IN, _NOT_IN, _REGEX, _SENT


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


def _fixed_ok(specs: tuple, i: int, n: int, cols, strings) -> bool:
    if i + len(specs) > n:
        return False
    for k, (_, checks) in enumerate(specs):
        if not _ok(checks, cols, i + k, strings):
            return False
    return True


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


class _ProgramExecutor:
    """Mixin of :class:`~omotenashi_research.markers.matcher.MarkerMatcher`: index and run the
    programs of the general path (``self._programs``)."""

    def _build_index(self, sent_col: int | None) -> None:
        """Per program of the general path, the necessary conditions checked with numpy before the
        token-by-token executor runs (:meth:`_candidates`).

        Each is implied by a match at the candidate start ``i``, so filtering never loses one:

        - *anchor*: a token at ``i + offset`` holds one of the anchor values (every leading optional
          token is an anchor at offset 0 when the pattern opens with optional tokens); without
          anchor, every sentence start (``IS_SENT_START`` first token) or every token;
        - *length*: the doc has at least as many tokens after ``i`` as the pattern's required tokens;
        - *prefix*: the leading fixed-position tokens pass their checks;
        - *later*: every other required token has a token passing its checks in the doc at or after
          ``i`` plus the number of required tokens before it.

        A token's checks (sentence starts apart) form a *predicate*, evaluated once per batch — on the
        by-type path once per distinct token text (``_type_member``), ``REGEX`` included; on docs
        without ``REGEX`` (the executor checks it anyway).
        """
        preds: dict[tuple, int] = {}

        def pred_id(checks) -> int | None:
            key = tuple(
                sorted(
                    (c, kind, id(v) if kind == _REGEX else v if kind in (_EQ, _FLAG) else tuple(sorted(v)))
                    for c, kind, v in checks
                    if c != sent_col
                )
            )
            if not key:
                return None
            if key not in preds:
                preds[key] = len(preds)
                self._exec_preds.append(tuple((c, kind, v) for c, kind, v in checks if c != sent_col))
            return preds[key]

        self._exec_preds: list[tuple] = []
        self._plans: list[tuple] = []
        for p in self._programs:
            first_op, first_checks = p.specs[0]
            sent_first = first_op is None and any(
                c == sent_col and k == _FLAG and v == 1 for c, k, v in first_checks
            )
            anchors = None
            if p.anchor is not None:
                anchors = [(pred_id([(c, _IN, vals)]), off) for c, vals, off in p.anchor]
            required = [op in (None, "+") for op, _ in p.specs]
            n_prefix = next((k for k, (op, _) in enumerate(p.specs) if op is not None), len(p.specs))
            prefix = []  # (offset, predicate id or None, sentence-start flag or None)
            for k in range(n_prefix):
                checks = p.specs[k][1]
                sent = [v for c, kind, v in checks if c == sent_col and kind == _FLAG]
                prefix.append((k, pred_id(checks), sent[0] if sent else None))
            later = []  # (minimal offset, predicate id)
            for k in range(n_prefix, len(p.specs)):
                if required[k] and (pid := pred_id(p.specs[k][1])) is not None:
                    later.append((sum(required[:k]), pid))
            self._plans.append((anchors, sent_first, sum(required), prefix, later))
        # Predicates whose token positions the plans look up (anchors, later tokens) and that hold
        # an EQ/IN check, so only a few types pass them: on the by-type path their positions come
        # from one list of (type, predicate) pairs (``_type_pred_ptr``/``_type_pred_ids``, built with
        # the type table) for all of them at once. The others (NOT_IN, flags, REGEX alone) may pass
        # most tokens and are read as before.
        looked_up = {s for anchors, _, _, _, _ in self._plans for s, _ in anchors or ()}
        looked_up |= {s for *_, later in self._plans for _, s in later}
        self._csr_preds = [
            s for s in sorted(looked_up) if any(kind in (_EQ, _IN) for _, kind, _ in self._exec_preds[s])
        ]
        self._csr_slot = np.full(len(self._exec_preds), -1, dtype=np.int64)
        self._csr_slot[self._csr_preds] = np.arange(len(self._csr_preds))
        # value tables of the predicates' EQ/IN/NOT_IN checks
        self._exec_tables = {
            id(v): np.array(sorted(v), dtype=np.uint64)
            for checks in self._exec_preds
            for _, kind, v in checks
            if kind in (_IN, _NOT_IN)
        }

    def _pred_mask(self, pred: tuple, cols: np.ndarray, regex: bool) -> np.ndarray:
        """Whether each row of ``cols`` passes the predicate's checks (``REGEX`` only if ``regex``)."""
        ok = np.ones(len(cols), dtype=bool)
        strings = self._strings
        for c, kind, v in pred:
            col = cols[:, c]
            if kind in (_EQ, _FLAG):
                ok &= col == v
            elif kind in (_IN, _NOT_IN):
                table = self._exec_tables[id(v)]
                hit = _rows_of(table, col) < len(table)
                ok &= ~hit if kind == _NOT_IN else hit
            elif regex:
                rx, memo = v
                uniq, inv = np.unique(col, return_inverse=True)
                res = []
                for x in uniq.tolist():
                    r = memo.get(x)
                    if r is None:
                        r = memo[x] = rx.search(strings[x]) is not None
                    res.append(r)
                ok &= np.array(res, dtype=bool)[inv.reshape(-1)]
        return ok

    def _candidates(
        self, cols: np.ndarray, offsets: np.ndarray, doc_of: np.ndarray, aux: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(program, start) of every start that passes the checks of :meth:`_build_index`."""
        n = len(cols)
        member: dict[int, np.ndarray] = {}
        where: dict[int, np.ndarray] = {}
        type_row = np.ascontiguousarray(aux[:, self._aux_row]) if aux is not None else None

        def is_member(s: int) -> np.ndarray:
            m = member.get(s)
            if m is None:
                if type_row is not None:
                    m = self._type_member[s][type_row]
                else:
                    m = self._pred_mask(self._exec_preds[s], cols, regex=False)
                member[s] = m
            return m

        by_pred: list = []  # (tokens sorted by predicate slot, slot bounds), built on first use

        def sparse_positions(j: int) -> np.ndarray:
            """Tokens passing the predicate of slot ``j`` of ``_csr_preds``, ascending."""
            if not by_pred:
                # every (token, slot of a predicate its type passes), sorted by slot (stable: each
                # slot's tokens stay ascending)
                ptr, ids = self._type_pred_ptr, self._type_pred_ids
                lo = ptr[type_row]
                k = ptr[type_row + 1] - lo
                total = int(k.sum())
                slot = ids[np.repeat(lo - (np.cumsum(k) - k), k) + np.arange(total)]
                m = len(self._csr_preds)
                order = np.argsort(slot.astype(np.uint16) if m <= 1 << 16 else slot, kind="stable")
                bounds = np.zeros(m + 1, dtype=np.int64)
                np.cumsum(np.bincount(slot, minlength=m), out=bounds[1:])
                by_pred.extend((np.repeat(np.arange(n), k)[order], bounds))
            tok, bounds = by_pred
            return tok[bounds[j] : bounds[j + 1]]

        def member_at(s: int, idx: np.ndarray) -> np.ndarray:
            """Whether the tokens ``idx`` pass predicate ``s`` (no full-batch mask on the by-type path)."""
            if type_row is not None and s not in member:
                return self._type_member[s][type_row[idx]]
            return is_member(s)[idx]

        def positions(s: int) -> np.ndarray:
            w = where.get(s)
            if w is None:
                if type_row is not None and self._csr_slot[s] >= 0:
                    w = where[s] = sparse_positions(int(self._csr_slot[s]))
                else:
                    w = where[s] = np.flatnonzero(is_member(s))
            return w

        after: dict[int, np.ndarray] = {}

        def positions_and_end(s: int) -> np.ndarray:
            """:func:`positions` of ``s`` followed by ``n`` (no such token)."""
            w = after.get(s)
            if w is None:
                w = after[s] = np.append(positions(s), n)
            return w

        doc_end = offsets[1:][doc_of] if n else np.zeros(0, dtype=np.int64)
        sent = cols[:, self._cols[_SENT]] if _SENT in self._cols else None
        progs, starts = [], []
        sent_pos = None
        for pi, (anchors, sent_first, min_len, prefix, later) in enumerate(self._plans):
            if anchors is None:
                if sent_first:
                    if sent_pos is None:
                        sent_pos = np.flatnonzero(sent)
                    start = sent_pos
                else:
                    start = np.arange(n)
            else:
                parts = []
                for s, off in anchors:
                    pos = positions(s)
                    st = pos - off
                    ok = st >= 0
                    ok[ok] = doc_of[st[ok]] == doc_of[pos[ok]]
                    parts.append(st[ok])
                start = parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
            if not len(start):
                continue
            start = start[start + min_len <= doc_end[start]]
            # (a lone anchor's own token needs no second check)
            known = (anchors[0][1], anchors[0][0]) if anchors is not None and len(anchors) == 1 else None
            for k, s, flag in prefix:
                if s is not None and len(start) and (k, s) != known:
                    start = start[member_at(s, start + k)]
                if flag is not None and len(start):
                    start = start[sent[start + k] == flag]
            for min_off, s in later:
                if not len(start):
                    break
                pos = positions_and_end(s)
                nxt = pos[np.searchsorted(pos[:-1], start + min_off)]
                start = start[nxt < doc_end[start]]
            if len(start):
                progs.append(np.full(len(start), pi, dtype=np.int64))
                starts.append(start)
        if not progs:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(progs), np.concatenate(starts)

    def _global_raw(
        self, cols: np.ndarray, offsets: np.ndarray, doc_of: np.ndarray, aux: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, int]]]:
        """Raw matches of the non-simple, non-fallback programs in batch token offsets: the
        vectorised ones as (keys, starts, ends) arrays, the others as (key, start, end) list."""
        vkeys, vstarts, vends = self._vec_raw(cols, offsets, doc_of, aux)
        cand_prog, cand_start = self._candidates(cols, offsets, doc_of, aux)
        found: set[tuple[int, int, int]] = set()
        if len(cand_prog):
            lists = _ColumnLists(cols)
            programs = self._programs
            strings = self._strings
            doc_end = offsets[1:][doc_of[cand_start]].tolist()
            for pi, i, last in zip(cand_prog.tolist(), cand_start.tolist(), doc_end, strict=True):
                prog = programs[pi]
                if prog.single:
                    if _ok(prog.specs[0][1], lists, i, strings):
                        found.add((pi, i, i + 1))
                    continue
                if prog.fixed:
                    if _fixed_ok(prog.specs, i, last, lists, strings):
                        found.add((pi, i, i + len(prog.specs)))
                    continue
                ends: set[int] = set()
                _ends(prog.specs, 0, i, last, lists, strings, ends)
                for e in ends:
                    if e > i:
                        found.add((pi, i, e))
        return vkeys, vstarts, vends, [(programs[pi].key, i, e) for pi, i, e in found]
