"""Length-robust lexical diversity of a token sequence: MATTR and MTLD.

Holds :func:`lexical_diversity` and its two measures (moving-average type-token ratio,
Covington & McFall 2010; MTLD, McCarthy & Jarvis 2010). It sits beside scriptedness as the other
measure of formulaic agent talk (``dialogue_features`` reports both) but needs no templates.
Public path: :mod:`omotenashi_research.scripted`.
"""

from __future__ import annotations

from collections.abc import Sequence
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
