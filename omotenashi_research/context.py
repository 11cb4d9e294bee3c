"""Dialogue-context features: anticipation, personalization and dialogue phase.

These are *heuristics* built on lexical cues plus what the customer said before. They are
meant to be transparent and auditable (every intermediate column is returned), not to be
a validated classifier; validate them against a hand-annotated sample before relying on
them (store such annotations keyed by ``corpus, dialogue_id, turn``, never by text).

Anticipation (offering something the customer did not ask for) — an agent utterance is
anticipatory when all hold:

1. it has an offer/suggestion cue (marker ``anticipation_cue``: "would you like", "I can
   also", よろしければ, いかがでしょうか ...);
2. it is not a *slot request*: a question asking for information the agent needs
   ("what date", "how many people", "may I have your name", お名前, 何名様, ご希望の日程);
3. it is not a generic *closing offer* ("anything else?", 他にご不明な点は; marker
   ``closing_offer``);
4. the offered thing was not asked for: the share of the utterance's content words
   (noun/verb lemmas; Japanese: Sudachi TAG 名詞/動詞 minus light words such as する/いる/いただく
   and auxiliary verbs after て; English: lower-cased lemmas that are
   alphabetic and not spaCy stop words, because the blank English pipeline has no POS)
   that already occur in the previous ``window`` customer turns is below ``threshold``.
   An offer without content words ("Would you like that?") refers to something already on
   the table and is *not* counted.

Rows in a language without lexicons (MAIA's German/Portuguese customer turns) never break these
features: they are read from their English side (``text_alt``/``lang_alt``) when the table has
one, otherwise treated as uninformative — no content words, no cue, no slot request
(:func:`analysis_texts`). NA marker counts in ``features_df`` count as "no marker".

Layout: the per-text rules (slot requests, closing offers, content words) are in
:mod:`omotenashi_research.context_rules`, the table preparation shared by the three features in
:mod:`omotenashi_research.context_prep`; this module holds the three features and re-exports the rest.
Anticipation and personalization compare words across turns on flat ``(row, word)`` arrays (one
binary search per word finds its last earlier customer turn) rather than walking each dialogue
with a set per turn; the rules above are what they compute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# The per-text rules and the table preparation live in their own modules; their public names are
# re-exported here, the package's one import path for the context features.
from omotenashi_research.context_prep import (
    _KEYS,
    _prepare,
    _Prepared,
    _reorder,
    analysis_texts,
    marker_flags,
)
from omotenashi_research.context_rules import (
    _per_row,
    closing_offer_pattern,
    content_words,
    is_slot_request,
)
from omotenashi_research.context_rules import clear_caches as clear_caches  # benchmarks/ call it here

__all__ = [
    "analysis_texts",
    "anticipation",
    "closing_offer_pattern",
    "content_words",
    "dialogue_phase",
    "is_slot_request",
    "marker_flags",
    "personalization",
]


def anticipation(
    utterances_df: pd.DataFrame,
    features_df: pd.DataFrame | None = None,
    *,
    window: int = 3,
    threshold: float = 0.5,
    cue: Sequence[bool] | pd.Series | None = None,
    closing_offer: Sequence[bool] | pd.Series | None = None,
) -> pd.DataFrame:
    """Flag anticipatory agent utterances (offers the customer did not ask for).

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``).
    features_df : pandas.DataFrame, optional
        Marker features with ``m_anticipation_cue`` (and optionally ``m_closing_offer``).
    window : int
        Number of preceding customer turns whose content words count as "asked for".
    threshold : float
        ``anticipation_overlap`` must be below this.
    cue, closing_offer : sequence of bool, optional
        Per-utterance flags overriding the features/marker engine.

    Returns
    -------
    pandas.DataFrame
        Same rows and index as the input: ``corpus, dialogue_id, turn, anticipation_cue,
        slot_request, closing_offer, anticipation_overlap`` (share of the utterance's
        content words found in the previous ``window`` customer turns; NaN for non-agent
        turns and agent turns without content words) and ``anticipation`` (0/1, ``<NA>``
        for non-agent turns).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.context import anticipation
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": "d", "turn": [0, 1, 2],
    ...     "role": ["customer", "agent", "agent"], "lang": "en",
    ...     "text": ["I need a hotel room for two nights.",
    ...              "Done. Would you like me to book a taxi from the station?",
    ...              "Would you like a hotel room with breakfast?"]})
    >>> anticipation(df, cue=[False, True, True])["anticipation"].tolist()
    [<NA>, 1, 0]
    """
    prep = _prepare(utterances_df, "anticipation", ["text", "lang"])
    return _anticipation(prep, features_df, window=window, threshold=threshold, cue=cue,
                         closing_offer=closing_offer)


def _anticipation(prep: _Prepared, features_df, *, window: int = 3, threshold: float = 0.5, cue=None,
                  closing_offer=None, report_rules: bool = True) -> pd.DataFrame:
    # report_rules=False: slot_request and closing_offer are right only on agent rows with a cue
    # (the only rows where they decide anticipation); the anticipation column is unchanged.
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    utterances_df, df = prep.utt, prep.df
    texts, langs = prep.texts()
    role = df["role"].to_numpy(dtype=object)
    is_agent = role == "agent"
    cue_s = prep.flags("anticipation_cue", features_df, _reorder(cue, utterances_df, df))
    if closing_offer is not None:
        given = _reorder(closing_offer, utterances_df, df)
        close_s = marker_flags(df, "closing_offer", None, given).to_numpy()
    else:
        close_s = prep.flags("closing_offer", features_df, required=False)
    # Only agent rows are reported, so only they are tested (each rule reads one text); with
    # report_rules=False (the caller reads only the anticipation column) only agent rows with a cue.
    rule_rows = is_agent if report_rules else is_agent & cue_s
    if closing_offer is None:
        # The pattern only matters where no closing_offer marker was found.
        close_s = close_s | _per_row(closing_offer_pattern, texts, langs, rule_rows & ~close_s)
    slot_s = _per_row(is_slot_request, texts, langs, rule_rows)
    overlap = _offer_overlap(prep, role, is_agent & cue_s, window)
    with np.errstate(invalid="ignore"):
        antic = is_agent & cue_s & ~slot_s & ~close_s & ~np.isnan(overlap) & (overlap < threshold)
    out = df[_KEYS].copy()
    out["anticipation_cue"] = cue_s & is_agent
    out["slot_request"] = slot_s & is_agent
    out["closing_offer"] = close_s & is_agent
    out["anticipation_overlap"] = overlap
    out["anticipation"] = pd.array(np.where(is_agent, antic.astype("int64"), 0), dtype="Int64")
    out.loc[~is_agent, "anticipation"] = pd.NA
    return prep.finish(out)


def dialogue_phase(
    utterances_df: pd.DataFrame,
    *,
    opening: float = 0.15,
    closing: float = 0.15,
    features_df: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Opening / body / closing phase of each utterance.

    Rule (per dialogue of ``n`` turns, position ``i`` = 0..n-1 in turn order):

    - *opening*: ``i < ceil(opening * n)`` (at least the first turn), or ``i < n / 2`` and the
      utterance has a ``greeting`` marker;
    - *closing*: ``i >= n - ceil(closing * n)`` (at least the last turn), or ``i >= n / 2``
      and the utterance has a ``closing`` or ``closing_offer`` marker (or matches the
      generic "anything else?" pattern);
    - *body*: everything else. When both rules fire (very short dialogues), the first half
      is opening and the second half closing.

    Markers come from ``features_df`` (``m_greeting``, ``m_closing``, ``m_closing_offer``);
    without it, only the position rule and the "anything else?" pattern are used.

    Returns
    -------
    pandas.DataFrame
        Same rows and index: ``corpus, dialogue_id, turn, position`` (``i / (n - 1)``, 0 for a
        one-turn dialogue) and ``phase``.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.context import dialogue_phase
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": "d", "turn": range(10),
    ...                    "role": "agent", "lang": "en", "text": "ok"})
    >>> dialogue_phase(df)["phase"].tolist()
    ['opening', 'opening', 'body', 'body', 'body', 'body', 'body', 'body', 'closing', 'closing']
    """
    prep = _prepare(utterances_df, "dialogue_phase")
    return _dialogue_phase(prep, opening=opening, closing=closing, features_df=features_df)


def _dialogue_phase(prep: _Prepared, *, opening: float = 0.15, closing: float = 0.15,
                    features_df: pd.DataFrame | None = None) -> pd.DataFrame:
    for name, v in (("opening", opening), ("closing", closing)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must be a share in [0, 1], got {v}")
    df = prep.df
    greet = np.zeros(len(df), dtype=bool)
    close_m = np.zeros(len(df), dtype=bool)
    if features_df is not None:
        greet = prep.flags("greeting", features_df, required=False)
        close_m = prep.flags("closing", features_df, required=False) | prep.flags(
            "closing_offer", features_df, required=False)
    # Position i within the dialogue and the dialogue's size n, as arrays (rows are sorted).
    starts = prep.starts()
    group = np.cumsum(starts) - 1
    first_row = np.flatnonzero(starts)
    sizes = np.diff(np.append(first_row, len(df)))
    i = np.arange(len(df)) - first_row[group]
    n = sizes[group]
    n_open = np.maximum(1, np.ceil(opening * n)).astype(np.int64)
    n_close = np.maximum(1, np.ceil(closing * n)).astype(np.int64)
    first_half = i < n / 2
    if "text" in df.columns and "lang" in df.columns:
        texts, langs = prep.texts()
        # The pattern decides only second-half rows not closing by position or by a marker: tested
        # only there.
        undecided = ~first_half & (i < n - n_close) & ~close_m
        close_m = close_m | _per_row(closing_offer_pattern, texts, langs, undecided)
    is_open = (i < n_open) | (first_half & greet)
    is_close = (i >= n - n_close) | (~first_half & close_m)
    phase = np.where(is_open & is_close, np.where(first_half, "opening", "closing"),
                     np.where(is_open, "opening", np.where(is_close, "closing", "body"))).astype(object)
    with np.errstate(invalid="ignore", divide="ignore"):
        position = np.where(n > 1, i / np.maximum(n - 1, 1), 0.0)
    out = df[_KEYS].copy()
    out["position"] = position
    out["phase"] = phase
    return prep.finish(out)


def personalization(
    utterances_df: pd.DataFrame,
    features_df: pd.DataFrame | None = None,
    *,
    window: int | None = None,
    min_overlap: int = 1,
    cue: Sequence[bool] | pd.Series | None = None,
) -> pd.DataFrame:
    """Agent utterances that refer back to the customer's stated situation (heuristic).

    An agent utterance is personalized when it has a ``personalization_cue`` marker (or
    ``cue`` flag) *and* shares at least ``min_overlap`` "situation words" with earlier
    customer turns: content words (see :func:`content_words`) of the previous ``window``
    customer turns (``None``: all earlier ones) minus slot values (numbers, dates, weekdays,
    times) and minus words the agent itself used before the customer did. This is a lexical
    heuristic: it cannot see paraphrase ("my daughter" vs. "your child") and it counts any
    repeated noun; validate against annotations before use.

    Returns
    -------
    pandas.DataFrame
        Same rows and index: ``corpus, dialogue_id, turn, personalization_cue``,
        ``personalization_overlap`` (number of shared situation words; NaN for non-agent
        turns), ``personalization_words`` (the shared lemmas, sorted, ``" "``-joined, for
        auditing) and ``personalization`` (0/1, ``<NA>`` for non-agent turns).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.context import personalization
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": "d", "turn": [0, 1],
    ...     "role": ["customer", "agent"], "lang": "en",
    ...     "text": ["We are travelling with our dog on Friday.",
    ...              "Since you have your dog with you, this hotel allows pets."]})
    >>> out = personalization(df, cue=[False, True])
    >>> out[["personalization", "personalization_words"]].values.tolist()[1]
    [1, 'dog']
    """
    prep = _prepare(utterances_df, "personalization", ["text", "lang"])
    return _personalization(prep, features_df, window=window, min_overlap=min_overlap, cue=cue)


def _personalization(prep: _Prepared, features_df, *, window: int | None = None, min_overlap: int = 1,
                     cue=None) -> pd.DataFrame:
    if window is not None and window < 1:
        raise ValueError(f"window must be >= 1 or None, got {window}")
    utterances_df, df = prep.utt, prep.df
    role = df["role"].to_numpy(dtype=object)
    is_agent = role == "agent"
    cue_s = prep.flags("personalization_cue", features_df, _reorder(cue, utterances_df, df))
    n_shared, shared_txt = _shared_situation_words(prep, role, window)
    pers = is_agent & cue_s & (np.nan_to_num(n_shared, nan=0.0) >= min_overlap)
    out = df[_KEYS].copy()
    out["personalization_cue"] = cue_s & is_agent
    out["personalization_overlap"] = n_shared
    out["personalization_words"] = shared_txt
    out["personalization"] = pd.array(pers.astype("int64"), dtype="Int64")
    out.loc[~is_agent, "personalization"] = pd.NA
    return prep.finish(out)


# -- comparing words across turns, on arrays --------------------------------------------------------
# Both features ask, for a word x of an agent turn i: in which customer turns before i (in i's
# dialogue) does x occur? With one (row, word) pair per content word, sorting the customer pairs by
# (word, row) answers it for every pair at once: the last customer row j < i with x is found by
# binary search, which decides both "asked for in the last `window` customer turns" and "said by the
# customer before the agent said it" (the same answers as walking the dialogue turn by turn with
# one set per turn, without a Python step per turn).


def _last_customer(rows: np.ndarray, words: np.ndarray, cust_rows: np.ndarray, cust_words: np.ndarray,
                   n: int) -> np.ndarray:
    """For each pair (row ``i``, word id ``x``): the last customer row ``j < i`` with ``x``, or -1.

    Searched over the whole (sorted) table: the caller checks that ``j`` is in ``i``'s dialogue
    (the last such row overall is the last in the dialogue when it is in the dialogue at all).
    """
    key = np.sort(cust_words * n + cust_rows)  # sorted by word, then row
    k = np.searchsorted(key, words * n + rows, side="left") - 1
    found = key[np.maximum(k, 0)] if len(key) else np.zeros(len(rows), dtype=np.int64)
    return np.where((k >= 0) & (found // n == words), found % n, -1)


def _in_recent(last: np.ndarray, rows: np.ndarray, group: np.ndarray, n_cust: np.ndarray,
               window: int | None) -> np.ndarray:
    """``last`` (from :func:`_last_customer`) is in the dialogue of ``rows`` and, unless ``window`` is
    None, among its last ``window`` customer turns (``n_cust``: customer rows up to each row)."""
    safe = np.maximum(last, 0)
    ok = (last >= 0) & (group[safe] == group[rows])
    if window is not None:
        # rows are not customer rows: n_cust[rows] customer turns precede them, the last `window` of
        # which have ordinals n_cust[rows] - window + 1 .. n_cust[rows].
        ok &= n_cust[safe] > n_cust[rows] - window
    return ok


def _word_ids(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, vocab = pd.factorize(words)
    return codes.astype(np.int64), np.asarray(vocab, dtype=object)


def _offer_overlap(prep: _Prepared, role: np.ndarray, offers: np.ndarray, window: int) -> np.ndarray:
    """``anticipation_overlap``: per row of ``offers``, the share of its content words found in the
    previous ``window`` customer turns of its dialogue (NaN without content words or off ``offers``)."""
    n = len(role)
    cust = role == "customer"
    rows, words, _ = prep.word_pairs(offers | cust)
    wid, _ = _word_ids(words)
    q, c = offers[rows], cust[rows]
    group = np.cumsum(prep.starts()) - 1
    last = _last_customer(rows[q], wid[q], rows[c], wid[c], n)
    asked = _in_recent(last, rows[q], group, np.cumsum(cust), window)
    n_offered = np.bincount(rows[q], minlength=n)
    n_asked = np.bincount(rows[q], weights=asked.astype(float), minlength=n)
    overlap = np.full(n, np.nan)
    has = n_offered > 0
    overlap[has] = n_asked[has] / n_offered[has]
    return overlap


def _shared_situation_words(prep: _Prepared, role: np.ndarray, window: int | None
                            ) -> tuple[np.ndarray, np.ndarray]:
    """``personalization_overlap`` and ``personalization_words`` of every row (NaN and "" off agent rows).

    A word x of agent turn i (slot values excluded) is shared when its last customer occurrence
    before i is in i's dialogue (and among its last ``window`` customer turns) and precedes the
    dialogue's first agent turn with x: otherwise the agent said x before the customer did.
    """
    n = len(role)
    is_agent, cust = role == "agent", role == "customer"
    rows, words, slot = prep.word_pairs(is_agent | cust)
    rows, words = rows[~slot], words[~slot]
    wid, vocab = _word_ids(words)
    a, c = is_agent[rows], cust[rows]
    ar, aw = rows[a], wid[a]
    starts = prep.starts()
    group = np.cumsum(starts) - 1
    last = _last_customer(ar, aw, rows[c], wid[c], n)
    # The first agent row of the dialogue with the word: the smallest (word, row) key at or after
    # (word, the dialogue's first row); it exists (the pair itself) and is at or before i.
    akey = np.sort(aw * n + ar)
    first_agent = akey[np.searchsorted(akey, aw * n + np.flatnonzero(starts)[group[ar]])] % n
    shared = _in_recent(last, ar, group, np.cumsum(cust), window) & (last < first_agent)
    n_shared = np.where(is_agent, np.bincount(ar[shared], minlength=n), np.nan)
    shared_txt = np.full(n, "", dtype=object)
    by_row: dict[int, list[str]] = {}
    for r, w in zip(ar[shared].tolist(), vocab[aw[shared]].tolist(), strict=True):
        by_row.setdefault(r, []).append(w)
    for r, ws in by_row.items():
        shared_txt[r] = " ".join(sorted(ws))
    return n_shared, shared_txt
