"""Overlap resolution: from raw matches to counted marker occurrences.

Per marker, matches overlapping an ``exclude`` match of that marker are dropped, then overlapping
matches are collapsed to the longest (ties: the earliest), so each occurrence counts once.
"""

from __future__ import annotations

import numpy as np


def _longest_non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Greedy: longest first, then earliest; drop anything overlapping a kept span."""
    kept: list[tuple[int, int, str]] = []
    for s, e, eid in sorted(spans, key=lambda t: (t[0] - t[1], t[0], t[2])):
        if all(e <= ks or ke <= s for ks, ke, _ in kept):
            kept.append((s, e, eid))
    return kept


class _OverlapResolver:
    """Mixin of :class:`~omotenashi_research.markers.matcher.MarkerMatcher`: resolve raw matches."""

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
            # Hard groups of one or two matches, at once: a lone match is an exclude match (0); two
            # matches (sorted by start, then end) overlap when the second starts before the first
            # ends, and count 1 unless one is an exclude match overlapping the other or both are
            # exclude matches (as _resolve_matches would count them).
            g_hard = np.flatnonzero(hard)
            first = np.searchsorted(gid, g_hard)
            size = np.searchsorted(gid, g_hard, "right") - first
            i = first[size == 2]
            ex_i, ex_j = ex[i], ex[i + 1]
            overlap = starts[i + 1] < ends[i]
            flat[group[i]] += (~ex_i & ~ex_j) | ((ex_i ^ ex_j) & ~overlap)
            hard[g_hard[size <= 2]] = False
            easy = ~hard[gid]
        if hard.any():
            rows = np.flatnonzero(~easy)
            hk, hs, he, hg = keys[rows].tolist(), starts[rows].tolist(), ends[rows].tolist(), group[rows]
            bounds = np.flatnonzero(np.diff(hg)) + 1
            for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), len(rows)], strict=True):
                matches = list(zip(hk[a:b], hs[a:b], he[a:b], strict=True))
                flat[int(hg[a])] += len(self._resolve_matches(matches))
