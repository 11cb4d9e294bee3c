"""Vectorised marker matching: programs evaluated with numpy on whole batches of tokens.

Three kinds of programs never touch per-token Python:

- *simple* markers (every rule one token checked on one column, optionally at a sentence start, no
  exclude rules): counted with one sparse lookup per batch (:meth:`_VectorisedPrograms._simple_counts`);
- *fixed* programs (fixed length, plain ``EQ``/``IN``/``NOT_IN``/flag checks): candidates from an anchor
  token (or an adjacent pair of tokens) checked all at once against flat truth tables;
- *scan* programs of the shape ``A X* C``: evaluated with run lengths.
"""

from __future__ import annotations

import numpy as np

from omotenashi_research.markers.compiler import _EQ, _FLAG, _IN, _NOT_IN, _SENT, _Program
from omotenashi_research.markers.executor import _rows_of

_MAX_DENSE = 1 << 22  # entries of a dense table of pair keys (int32: 16 MB at most)


class _VectorisedPrograms:
    """Mixin of :class:`~omotenashi_research.markers.matcher.MarkerMatcher`: build and run the
    vectorised programs and simple markers."""

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
            # pair keys -> their row, as a dense table when small (one gather, no binary search)
            n_rows = len(self._vec_cols[c0]) + 1
            dense = None
            if is_pair and n_rows * n_rows <= _MAX_DENSE:
                dense = np.full(n_rows * n_rows, len(keys), dtype=np.int32)
                dense[keys] = np.arange(len(keys))
            self._vt_anchor.append((c0, is_pair, keys, counts, ptr, progs, offs, dense))

    def _vec_fixed(
        self, cols: np.ndarray, doc_of: np.ndarray, posidx: dict
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, starts, ends) of all fixed vectorised programs, in batch token offsets."""
        n = len(cols)
        progs_l, starts_l = [], []
        for c0, is_pair, keys, counts, ptr, progs, offs, dense in self._vt_anchor:
            value = posidx[c0]
            if is_pair and dense is not None:
                rows = dense[value[:-1] * (len(self._vec_cols[c0]) + 1) + value[1:]]
            elif is_pair:
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
        """Matches of A X* C programs: every (s, p + 1) with A(s), X on s+1..p-1, C(p), one doc;
        as one (keys, starts, ends) triple of arrays per program with matches."""
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
            out.append((np.full(len(starts), key, dtype=np.uint64), starts, ends))
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
            # (contiguous copies: every program reads them, a strided column costs more each time)
            posidx = {c: np.ascontiguousarray(aux[:, j]) for c, j in self._aux_vec.items()}
        else:
            posidx = {c: _rows_of(table, cols[:, c]) for c, table in self._vec_cols.items()}
        keys, starts, ends = self._vec_fixed(cols, doc_of, posidx)
        if self._scan:
            extra = self._scan_raw(cols, offsets, doc_of, posidx)
            if extra:  # (keys, starts, ends) arrays per program
                keys = np.concatenate([keys, *(k for k, _, _ in extra)])
                starts = np.concatenate([starts, *(st.astype(np.int64) for _, st, _ in extra)])
                ends = np.concatenate([ends, *(e.astype(np.int64) for _, _, e in extra)])
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
