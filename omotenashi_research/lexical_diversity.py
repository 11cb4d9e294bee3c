"""Length-robust lexical diversity of a token sequence: MATTR and MTLD.

Holds :func:`lexical_diversity` and its two measures (moving-average type-token ratio,
Covington & McFall 2010; MTLD, McCarthy & Jarvis 2010). It sits beside scriptedness as the other
measure of formulaic agent talk (``dialogue_features`` reports both) but needs no templates.
Public path: :mod:`omotenashi_research.scripted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Literal

import numpy as np

__all__ = ["lexical_diversity"]


def _mattr(tokens: Sequence[str], window: int) -> float:
    n = len(tokens)
    if n <= window:
        # Shorter than one window: MATTR reduces to the plain type-token ratio.
        return len(set(tokens)) / n
    counts: dict[str, int] = {}
    for t in tokens[:window]:
        counts[t] = counts.get(t, 0) + 1
    ttrs = [len(counts) / window]
    for i in range(window, n):
        new, old = tokens[i], tokens[i - window]
        counts[new] = counts.get(new, 0) + 1
        counts[old] -= 1
        if counts[old] == 0:
            del counts[old]
        ttrs.append(len(counts) / window)
    return float(np.mean(ttrs))


def _mtld_pass(tokens: Sequence[str], threshold: float) -> float:
    factors = 0.0
    types: set[str] = set()
    n_tok = 0
    ttr = 1.0
    for t in tokens:
        n_tok += 1
        types.add(t)
        ttr = len(types) / n_tok
        if ttr <= threshold:
            factors += 1
            types, n_tok, ttr = set(), 0, 1.0
    # Partial factor for the leftover segment (McCarthy & Jarvis 2010, p. 384).
    factors += (1.0 - ttr) / (1.0 - threshold)
    return len(tokens) / factors if factors > 0 else float("nan")


def _previous_same(codes: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per position, the last earlier position of the same token in the same sequence; -1 for none.

    ``codes``: token ids; ``group``: sequence id of each position (positions of a sequence contiguous).
    A stable sort by (sequence, token) lists each token's positions in order: each one's predecessor
    in that list is its previous occurrence.
    """
    key = group.astype(np.int64) * (int(codes.max()) + 1 if len(codes) else 1) + codes
    order = np.argsort(key, kind="stable")
    same = key[order[1:]] == key[order[:-1]]
    prev = np.full(len(codes), -1, dtype=np.int64)
    prev[order[1:][same]] = order[:-1][same]
    return prev


def _mattr_many(prev: np.ndarray, starts: np.ndarray, ends: np.ndarray, window: int) -> list[float]:
    """MATTR of each sequence ``[starts[j], ends[j])`` of the concatenation that ``prev`` describes.

    The number of types in a window is that of the window before it, plus one if the entering token
    does not occur in the rest of the window (its previous occurrence is before it), minus one if the
    leaving token does not occur again in the window (its next occurrence is after it): integer
    counts, exact, for all windows of all sequences at once. Each TTR is then ``count / window`` and
    their mean the float64 sum of the sequence's TTRs (numpy's pairwise sum, as ``np.mean`` of the
    one-window-at-a-time list takes it) over their number: bit-identical to :func:`_mattr`.
    """
    n_all = len(prev)
    new_type = prev < 0  # previous occurrences are within the sequence
    n_new = np.concatenate([[0], np.cumsum(new_type)])  # new types before each position
    lengths = ends - starts
    out = np.empty(len(starts), dtype=object)
    short = lengths <= window
    # Shorter than one window: MATTR reduces to the plain type-token ratio.
    out[short] = [int(t) / int(n) for t, n in
                  zip(n_new[ends[short]] - n_new[starts[short]], lengths[short], strict=True)]
    if (~short).any():
        nxt = np.full(n_all, np.iinfo(np.int64).max, dtype=np.int64)
        has_prev = prev >= 0
        nxt[prev[has_prev]] = np.flatnonzero(has_prev)
        s0, n_win = starts[~short], lengths[~short] - window + 1
        first = np.cumsum(n_win) - n_win  # where each sequence's windows start in the flat arrays
        left = np.arange(int(n_win.sum())) - np.repeat(first - s0, n_win) - 1  # token leaving before it
        steps = (prev[left + window] <= left).astype(np.int64) - (nxt[left] >= left + window)
        steps[first] = n_new[s0 + window] - n_new[s0]  # the first window's count
        counts = np.cumsum(steps)
        counts -= np.repeat(counts[first] - steps[first], n_win)
        ttrs = counts / window
        bounds = (first + n_win).tolist()
        out[~short] = [float(ttrs[i:j].sum()) / (j - i) for i, j in zip(first.tolist(), bounds, strict=True)]
    return out.tolist()


def _mtld_passes(
    prev: np.ndarray, starts: np.ndarray, ends: np.ndarray, threshold: float
) -> list[tuple[int, int, int]]:
    """One MTLD pass over each sequence of the concatenation: (full factors, leftover types, leftover tokens).

    A segment starts at ``a``; token ``i`` is new to it when its previous occurrence is before ``a``,
    so its running TTR is a cumulative count of those over the position in the segment, and it
    closes at the first position where that TTR (the same float division) is ``<= threshold``. All
    sequences advance one segment per round, each looking up to ``span`` tokens ahead (doubled for
    the rows whose segment runs longer). Integer counts throughout: the caller computes the floats.
    """
    m = len(starts)
    a = starts.astype(np.int64).copy()
    end = ends.astype(np.int64)
    factors = np.zeros(m, dtype=np.int64)
    left_types = np.zeros(m, dtype=np.int64)
    left_tokens = np.zeros(m, dtype=np.int64)
    active = np.flatnonzero(a < end)
    span = 128
    while len(active):
        rows, k = active, span
        while True:
            aa, ee = a[rows], end[rows]
            offs = np.arange(k)
            idx = aa[:, None] + offs[None, :]
            valid = idx < ee[:, None]
            np.minimum(idx, len(prev) - 1, out=idx)
            running = np.cumsum((prev[idx] < aa[:, None]) & valid, axis=1)
            hit = (running / (offs + 1)[None, :] <= threshold) & valid
            first = hit.argmax(axis=1)
            closed = hit[np.arange(len(rows)), first]
            # A row without a closed segment within k tokens is done if it ran out of tokens, else
            # it looks further (k doubled) before the round ends.
            longer = ~closed & (ee - aa > k)
            done_rows, done_first, done_closed = rows[~longer], first[~longer], closed[~longer]
            ok = done_closed
            factors[done_rows[ok]] += 1
            a[done_rows[ok]] += done_first[ok] + 1
            tail = done_rows[~ok]
            n_tail = end[tail] - a[tail]
            left_tokens[tail] = n_tail
            left_types[tail] = running[~longer][~ok, n_tail - 1] if len(tail) else 0
            a[tail] = end[tail]
            if not longer.any():
                break
            rows, k = rows[longer], k * 2
        active = active[a[active] < end[active]]
    return list(zip(factors.tolist(), left_types.tolist(), left_tokens.tolist(), strict=True))


def _mtld_value(n_tokens: int, forward: tuple[int, int, int], backward: tuple[int, int, int],
                threshold: float) -> float:
    """MTLD from the two passes' counts, with the float operations of the token-by-token loop."""
    values = []
    for full, types, tokens in (forward, backward):
        ttr = types / tokens if tokens else 1.0  # a segment closed on the last token leaves TTR 1
        factors = float(full) + (1.0 - ttr) / (1.0 - threshold)  # 0.0 + 1 + 1 ... is exact
        values.append(n_tokens / factors if factors > 0 else float("nan"))
    # np.mean of the two: numpy sums fewer than 8 values one by one from 0.0, then divides.
    return (0.0 + values[0] + values[1]) / 2


def _diversity_many(
    sequences: Sequence[Sequence[str]], window: int = 50, threshold: float = 0.72
) -> tuple[list[float], list[float]]:
    """MATTR and MTLD of each non-empty token sequence at once (what :func:`lexical_diversity` gives).

    Token ids come from one ``pandas.factorize`` over all tokens; the per-token loops become array
    operations over the concatenation (``tests/test_speed_equivalence_scripted.py`` compares every
    value bit for bit with the token-by-token loops).
    """
    import pandas as pd

    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if (lengths == 0).any():
        raise ValueError("_diversity_many: empty sequence")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    flat = np.fromiter(chain.from_iterable(sequences), dtype=object, count=int(lengths.sum()))
    codes = pd.factorize(flat)[0].astype(np.int64)
    group = np.repeat(np.arange(len(sequences)), lengths)
    prev = _previous_same(codes, group)
    # The backward pass reads each sequence reversed: position p of [s, e) becomes s + e - 1 - p, and
    # a token's previous occurrence there is its next one here.
    rev = np.repeat(starts + ends - 1, lengths) - np.arange(len(codes))
    has_prev = prev >= 0
    prev_rev = np.full(len(codes), -1, dtype=np.int64)
    prev_rev[rev[prev[has_prev]]] = rev[np.flatnonzero(has_prev)]
    mattr = _mattr_many(prev, starts, ends, window)
    fwd = _mtld_passes(prev, starts, ends, threshold)
    bwd = _mtld_passes(prev_rev, starts, ends, threshold)
    mtld = [_mtld_value(int(n), f, b, threshold) for n, f, b in zip(lengths.tolist(), fwd, bwd, strict=True)]
    return mattr, mtld


def lexical_diversity(
    tokens: Sequence[str],
    method: Literal["mattr", "mtld"] = "mattr",
    window: int = 50,
    *,
    threshold: float = 0.72,
) -> float:
    """Length-robust lexical diversity of a token sequence.

    Parameters
    ----------
    tokens : sequence of str
        Tokens (e.g. lower-cased lemmas of all agent turns of a dialogue).
    method : {"mattr", "mtld"}
        ``"mattr"``: moving-average type-token ratio (Covington & McFall 2010): mean TTR
        over every window of ``window`` consecutive tokens; plain TTR when the text is
        shorter than the window. In [0, 1].
        ``"mtld"``: measure of textual lexical diversity (McCarthy & Jarvis 2010): mean
        length of segments whose running TTR stays above ``threshold``, averaged over a
        forward and a backward pass, with the partial last segment counted as
        ``(1 - TTR) / (1 - threshold)`` of a factor. In tokens (>= 1); NaN when no factor
        accrues (every token distinct).
    window : int
        MATTR window.
    threshold : float
        MTLD TTR threshold (0.72 in the original).

    Returns
    -------
    float
        NaN for an empty sequence.

    Examples
    --------
    >>> from omotenashi_research.scripted import lexical_diversity
    >>> round(lexical_diversity(list("ababc"), "mattr", window=3), 4)  # (2/3 + 2/3 + 1) / 3
    0.7778
    >>> lexical_diversity(list("ababab"), "mtld")
    3.0
    """
    tokens = list(tokens)
    if not all(isinstance(t, str) for t in tokens):
        raise TypeError("tokens must be strings")
    if not tokens:
        return float("nan")
    if method == "mattr":
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        return _mattr(tokens, window)
    if method == "mtld":
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        fwd = _mtld_pass(tokens, threshold)
        bwd = _mtld_pass(tokens[::-1], threshold)
        return float(np.mean([fwd, bwd]))
    raise ValueError(f"method must be 'mattr' or 'mtld', not {method!r}")
