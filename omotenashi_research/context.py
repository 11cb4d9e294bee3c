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
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

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

_KEYS = ["corpus", "dialogue_id", "turn"]
_SENTENCES_JA = re.compile(r"(?<=[。！？!?])|\n")
_SENTENCES_EN = re.compile(r"(?<=[.!?])\s+|\n")
# Results of the per-text rules (is_slot_request, closing_offer_pattern) per (rule, lang, text),
# shared by anticipation and dialogue_phase; bounded, emptied by clear_caches().
_RULE_CACHE: dict[tuple, dict[str, bool]] = {}
_RULE_CACHE_SIZE = 500_000


def clear_caches() -> None:
    """Forget the cached per-text rule results (memory, or honest benchmark repetitions)."""
    _RULE_CACHE.clear()

# Slot requests: the agent asks for a value it needs to complete the task. Judged per sentence,
# and only for questions or explicit requests, so that an offer mentioning a date is not one.
_SLOT_EN_ANY = re.compile(
    r"\b(?:may|can|could)\s+i\s+(?:have|get|take|ask for|ask|confirm)\s+(?:your|the)\b"
    r"|\bhow\s+many\s+(?:people|persons|guests|nights|days|tickets|rooms|seats|adults|children)\b",
    re.IGNORECASE,
)
_SLOT_EN_QUESTION = re.compile(
    r"^(?:and\s+|so\s+|ok(?:ay)?,?\s+)?(?:what(?!\s+about)|which|when|where|how\s+(?:many|much|long))\b"
    r"|\b(?:what|which)\s+(?:date|day|time|area|part of town|price range|type|kind|size|name|number|"
    r"email|address|postcode|zip|cuisine|star|budget|destination|departure)\b"
    r"|\b(?:your|the)\s+(?:name|phone|number|email|address|postcode|date of birth|card|budget)\b",
    re.IGNORECASE,
)
_REQUEST_EN = re.compile(r"^please\s+(?:tell|provide|give|confirm|let me know|send)\b", re.IGNORECASE)
_SLOT_JA = re.compile(
    r"お名前|何名|人数|何泊|何日|何時|何月|いつ|どちら|どこ|どの|何(?:か|が|を|の)?(?:ご希望|お探し)"
    r"|ご希望|ご予算|日程|ご連絡先|電話番号|メールアドレス|ご住所|生年月日"
)
_QUESTION_JA = re.compile(
    r"(?:か|かね|の)[。．.]?$|[？?]$|(?:お願い(?:いた)?します|ください|下さい|よろしいでしょうか)[。！!]?$"
)
_CLOSING_EN = re.compile(
    r"\b(?:anything|something)\s+else\b|\bany\s*(?:thing|other)\b[^.!?]*\b(?:help|assist|do)\b[^.!?]*\?"
    r"|\bany\s+other\s+(?:questions|requests)\b|\bis\s+that\s+all\b",
    re.IGNORECASE,
)
_CLOSING_JA = re.compile(
    r"(?:他|ほか)に(?:何か|なにか|ご不明|ご質問|ご要望|お手伝い|ございますか|ありますか)"
)

def is_slot_request(text: str, lang: str) -> bool:
    """Whether an agent utterance asks for a value the agent needs (date, party size, name).

    Rule, per sentence: English — "may/can I have your ...", "how many people/nights ...", or a
    question ("?") or "please tell/provide ..." request that starts with a WH-word (not "what
    about", which suggests) or names a slot ("what date", "your name"). Japanese — a sentence
    ending as a question or request (か。, ？, お願いします, ください, よろしいでしょうか) that
    contains a slot word (お名前, 何名, 人数, いつ, どちら, ご希望, ご予算, 日程 ...).

    Examples
    --------
    >>> from omotenashi_research.context import is_slot_request
    >>> is_slot_request("What day would you like to arrive?", "en")
    True
    >>> is_slot_request("何名様でしょうか。", "ja")
    True
    >>> is_slot_request("Would you like me to book a taxi as well?", "en")
    False
    """
    if lang == "ja":
        sentences = [x.strip() for x in _SENTENCES_JA.split(text) if x and x.strip()]
        return any(_QUESTION_JA.search(x) and _SLOT_JA.search(x) for x in sentences)
    sentences = [x.strip() for x in _SENTENCES_EN.split(text) if x and x.strip()]
    for x in sentences:
        if _SLOT_EN_ANY.search(x):
            return True
        if (x.endswith("?") or _REQUEST_EN.search(x)) and _SLOT_EN_QUESTION.search(x):
            return True
    return False


def closing_offer_pattern(text: str, lang: str) -> bool:
    """Generic "anything else?" offer (used when no ``closing_offer`` marker column is given).

    Examples
    --------
    >>> from omotenashi_research.context import closing_offer_pattern
    >>> closing_offer_pattern("Is there anything else I can help with?", "en")
    True
    >>> closing_offer_pattern("他に何かございますか。", "ja")
    True
    """
    pattern = _CLOSING_JA if lang == "ja" else _CLOSING_EN
    return bool(pattern.search(text))


def content_words(texts: Sequence[str], lang: str, *, slot_values: bool = True) -> list[set[str]]:
    """Content-word lemmas per text (see the module docstring for the rule).

    Each distinct text is tokenised once per process (:mod:`omotenashi_research.tokens`);
    ``extract_features(..., context=True)`` records them while counting markers, so the
    context features reuse the marker engine's tokens.

    Parameters
    ----------
    texts : sequence of str
    lang : {"ja", "en"}
    slot_values : bool
        Keep numbers, dates, weekdays and times. ``False`` drops them (for personalization,
        where "situation" words matter, not booking values).

    Examples
    --------
    >>> from omotenashi_research.context import content_words
    >>> sorted(content_words(["Would you like a table by the window?"], "en")[0])
    ['table', 'window']
    >>> sorted(content_words(["温泉付きのお部屋を予約したい"], "ja")[0])
    ['予約', '付き', '温泉', '部屋']
    """
    from omotenashi_research.tokens import analyses

    # Each word is (lemma, is a slot value); slot values are dropped when slot_values is False.
    found = analyses(list(texts), lang, "content")
    if slot_values:  # set(dict(...)): the same set, built without a Python-level loop per word
        return [set(dict(a)) for a in found]
    return [{w for w, slot in a if not slot} for a in found]


def analysis_texts(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Text and language each row is analysed in: the English side for rows without lexicons.

    A row whose ``lang`` has no lexicons (e.g. MAIA's German or Portuguese customer turns) is
    read from ``text_alt``/``lang_alt`` when the table has them and that side is in a supported
    language (MAIA's English translation); otherwise its language is returned as is and the
    context rules treat the row as *uninformative* (no content words, no cue, no slot request).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.context import analysis_texts
    >>> df = pd.DataFrame({"text": ["Hallo", "Hi"], "lang": ["de", "en"],
    ...                    "text_alt": ["Hello", "Hallo"], "lang_alt": ["en", "de"]})
    >>> [a.tolist() for a in analysis_texts(df)]
    [['Hello', 'Hi'], ['en', 'en']]
    """
    from omotenashi_research.nlp import SUPPORTED_LANGS

    texts = df["text"].to_numpy(dtype=object).copy()
    langs = df["lang"].to_numpy(dtype=object).copy()
    unsupported = ~np.isin(langs, SUPPORTED_LANGS)
    if unsupported.any() and {"text_alt", "lang_alt"} <= set(df.columns):
        alt_ok = unsupported & np.isin(df["lang_alt"].to_numpy(dtype=object), SUPPORTED_LANGS)
        alt_ok &= np.array([isinstance(v, str) for v in df["text_alt"].to_numpy(dtype=object)], dtype=bool)
        texts[alt_ok] = df["text_alt"].to_numpy(dtype=object)[alt_ok]
        langs[alt_ok] = df["lang_alt"].to_numpy(dtype=object)[alt_ok]
    return texts, langs


def _row_words(texts: np.ndarray, langs: np.ndarray, mask: np.ndarray, *, slot_values: bool) -> list:
    """Content words per row (empty set where ``mask`` is False or the language has no rules)."""
    from omotenashi_research.nlp import SUPPORTED_LANGS

    words: list = [frozenset()] * len(texts)
    for lang in SUPPORTED_LANGS:
        pos = np.flatnonzero(mask & (langs == lang))
        if len(pos):
            for i, w in zip(pos.tolist(), content_words(list(texts[pos]), lang, slot_values=slot_values),
                            strict=True):
                words[i] = w
    return words


def _per_row(fn, texts: np.ndarray, langs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``fn(text, lang)`` on the rows of ``mask`` in a supported language; False elsewhere.

    Each rule reads only (text, lang): it runs once per distinct text and language, and the
    result is kept (``_RULE_CACHE``) for the next call of the same rule in this process."""
    from omotenashi_research.nlp import SUPPORTED_LANGS

    out = np.zeros(len(texts), dtype=bool)
    is_str = np.fromiter((isinstance(t, str) for t in texts), dtype=bool, count=len(texts))
    for lang in SUPPORTED_LANGS:
        rows = np.flatnonzero(mask & (langs == lang) & is_str)
        if not len(rows):
            continue
        codes, distinct = pd.factorize(texts[rows])
        cache = _RULE_CACHE.setdefault((fn, lang), {})
        if len(cache) > _RULE_CACHE_SIZE:
            cache.clear()  # bounded memory on huge corpora; recomputing is only slower
        get = cache.get
        hits = [get(t) for t in distinct]
        for k in [k for k, h in enumerate(hits) if h is None]:
            hits[k] = cache[distinct[k]] = bool(fn(distinct[k], lang))
        out[rows] = np.array(hits, dtype=bool)[codes]
    return out


def _dialogue_starts(df: pd.DataFrame) -> np.ndarray:
    """True where a row (in sorted order) starts a new (corpus, dialogue_id)."""
    c = df["corpus"].to_numpy(dtype=object)
    d = df["dialogue_id"].to_numpy(dtype=object)
    start = np.ones(len(df), dtype=bool)
    if len(df) > 1:
        start[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    return start


def _check(df: pd.DataFrame, what: str, extra: Sequence[str] = ()) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    needed = [*_KEYS, "role", *extra]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}; see omotenashi_research.schema")
    if "text" in extra:
        bad = df.index[~df["text"].map(lambda v: isinstance(v, str))]
        if len(bad):
            raise ValueError(f"{what}: row(s) {list(bad[:5])}: column 'text' must be a string")
    if df.duplicated(_KEYS).any():
        dup = df.loc[df.duplicated(_KEYS, keep=False), _KEYS].head(5).to_dict("records")
        raise ValueError(f"{what}: duplicate (corpus, dialogue_id, turn): {dup}")


def marker_flags(
    utterances_df: pd.DataFrame,
    marker: str,
    features_df: pd.DataFrame | None = None,
    flags: Sequence[bool] | pd.Series | None = None,
    *,
    required: bool = True,
) -> pd.Series:
    """Boolean per utterance: does ``marker`` occur? Aligned with ``utterances_df.index``.

    Source, in order: ``flags`` (one boolean per row); column ``m_<marker>`` of
    ``features_df`` (joined on ``corpus, dialogue_id, turn`` when it has them, otherwise by
    position); the marker engine (``count_markers``) when it is installed and has the marker.
    With ``required=False`` a missing marker gives all ``False`` instead of an error.
    """
    n = len(utterances_df)
    if flags is not None:
        arr = np.asarray(flags)
        if arr.shape != (n,):
            raise ValueError(f"{marker} flags: expected {n} values (one per utterance), got {arr.shape}")
        return pd.Series(arr.astype(bool), index=utterances_df.index, name=marker)
    col = f"m_{marker}"
    if features_df is not None:
        if col not in features_df.columns:
            if not required:
                return pd.Series(False, index=utterances_df.index, name=marker)
            raise ValueError(f"features_df has no column {col!r}; pass flags or add the marker")
        if all(k in features_df.columns for k in _KEYS):
            if features_df.duplicated(_KEYS).any():
                raise ValueError("features_df: duplicate (corpus, dialogue_id, turn) rows")
            if len(features_df) == n and all(
                (utterances_df[k].to_numpy(dtype=object) == features_df[k].to_numpy(dtype=object)).all()
                for k in _KEYS
            ):
                # Same keys in the same order (the usual case: features of these utterances): the
                # join would pair row i with row i, so skip it.
                values = features_df[col].to_numpy()
            else:
                merged = utterances_df[_KEYS].merge(
                    features_df[[*_KEYS, col]], on=_KEYS, how="left", indicator=True
                )
                absent = (merged["_merge"] != "both").to_numpy()
                if absent.any():
                    miss = merged.loc[absent, _KEYS].head(5).to_dict("records")
                    raise ValueError(f"features_df lacks rows for utterances {miss}")
                values = merged[col].to_numpy()
        else:
            if len(features_df) != n:
                raise ValueError(
                    f"features_df has {len(features_df)} rows for {n} utterances and no "
                    "corpus/dialogue_id/turn columns to join on"
                )
            values = features_df[col].to_numpy()
        # NA counts (a language without lexicons) are uninformative: no marker, never an error.
        found = pd.array(pd.to_numeric(values), dtype="Float64").fillna(0).to_numpy(dtype=float) > 0
        return pd.Series(found, index=utterances_df.index, name=marker)
    try:
        from omotenashi_research.markers import count_markers, marker_names
    except ImportError as err:  # the engine is optional for these heuristics
        if not required:
            return pd.Series(False, index=utterances_df.index, name=marker)
        raise ValueError(f"no {marker!r} flags: pass features_df or flags (no marker engine)") from err
    out = pd.Series(False, index=utterances_df.index, name=marker)
    from omotenashi_research.nlp import SUPPORTED_LANGS

    for lang, g in utterances_df.groupby("lang", sort=True):
        if lang not in SUPPORTED_LANGS:
            continue  # no lexicons: uninformative rows (False)
        if marker not in marker_names(lang):
            if required:
                raise ValueError(f"{lang!r} lexicons define no marker {marker!r}; pass features_df or flags")
            continue
        counts = count_markers(list(g["text"]), lang)
        out.loc[g.index] = counts[marker].to_numpy() > 0
    return out


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(_KEYS, kind="mergesort")


def _reorder(flags, original: pd.DataFrame, sorted_df: pd.DataFrame) -> np.ndarray | None:
    # User flags follow the caller's row order; the computation runs in sorted order.
    if flags is None:
        return None
    arr = np.asarray(flags)
    if arr.shape != (len(original),):
        raise ValueError(f"flags: expected {len(original)} values (one per utterance), got {arr.shape}")
    return pd.Series(arr, index=original.index)[sorted_df.index].to_numpy()


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
    _check(utterances_df, "anticipation", ["text", "lang"])
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    orig_index = utterances_df.index
    # Positional index: callers' indexes may have duplicate labels.
    utterances_df = utterances_df.reset_index(drop=True)
    df = _sorted(utterances_df)
    texts, langs = analysis_texts(df)
    role = df["role"].to_numpy(dtype=object)
    is_agent = role == "agent"
    cue_s = marker_flags(df, "anticipation_cue", features_df, _reorder(cue, utterances_df, df)).to_numpy()
    if closing_offer is not None:
        given = _reorder(closing_offer, utterances_df, df)
        close_s = marker_flags(df, "closing_offer", None, given).to_numpy()
    else:
        close_s = marker_flags(df, "closing_offer", features_df, required=False).to_numpy()
        close_s = close_s | _per_row(closing_offer_pattern, texts, langs, is_agent)
    # Only agent rows are reported, so only they are tested (each rule reads one text).
    slot_s = _per_row(is_slot_request, texts, langs, is_agent)
    words = _row_words(texts, langs, is_agent & cue_s | (role == "customer"), slot_values=True)

    overlap = np.full(len(df), np.nan)
    starts = _dialogue_starts(df)
    recent: list = []
    for i in range(len(df)):
        if starts[i]:
            recent = []
        if role[i] == "customer":
            recent = [*recent, words[i]][-window:]
        elif is_agent[i] and cue_s[i]:
            offered = words[i]
            if offered:
                asked = set().union(*recent) if recent else set()
                overlap[i] = len(offered & asked) / len(offered)
    with np.errstate(invalid="ignore"):
        antic = is_agent & cue_s & ~slot_s & ~close_s & ~np.isnan(overlap) & (overlap < threshold)
    out = df[_KEYS].copy()
    out["anticipation_cue"] = cue_s & is_agent
    out["slot_request"] = slot_s & is_agent
    out["closing_offer"] = close_s & is_agent
    out["anticipation_overlap"] = overlap
    out["anticipation"] = pd.array(np.where(is_agent, antic.astype("int64"), 0), dtype="Int64")
    out.loc[~is_agent, "anticipation"] = pd.NA
    return out.sort_index().set_axis(orig_index)


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
    _check(utterances_df, "dialogue_phase")
    for name, v in (("opening", opening), ("closing", closing)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must be a share in [0, 1], got {v}")
    orig_index = utterances_df.index
    # Positional index: callers' indexes may have duplicate labels.
    utterances_df = utterances_df.reset_index(drop=True)
    df = _sorted(utterances_df)
    greet = np.zeros(len(df), dtype=bool)
    close_m = np.zeros(len(df), dtype=bool)
    if features_df is not None:
        greet = marker_flags(df, "greeting", features_df, required=False).to_numpy()
        close_m = marker_flags(df, "closing", features_df, required=False).to_numpy() | marker_flags(
            df, "closing_offer", features_df, required=False).to_numpy()
    if "text" in df.columns and "lang" in df.columns:
        texts, langs = analysis_texts(df)
        close_m = close_m | _per_row(closing_offer_pattern, texts, langs, np.ones(len(df), dtype=bool))
    # Position i within the dialogue and the dialogue's size n, as arrays (rows are sorted).
    starts = _dialogue_starts(df)
    group = np.cumsum(starts) - 1
    first_row = np.flatnonzero(starts)
    sizes = np.diff(np.append(first_row, len(df)))
    i = np.arange(len(df)) - first_row[group]
    n = sizes[group]
    n_open = np.maximum(1, np.ceil(opening * n)).astype(np.int64)
    n_close = np.maximum(1, np.ceil(closing * n)).astype(np.int64)
    first_half = i < n / 2
    is_open = (i < n_open) | (first_half & greet)
    is_close = (i >= n - n_close) | (~first_half & close_m)
    phase = np.where(is_open & is_close, np.where(first_half, "opening", "closing"),
                     np.where(is_open, "opening", np.where(is_close, "closing", "body"))).astype(object)
    with np.errstate(invalid="ignore", divide="ignore"):
        position = np.where(n > 1, i / np.maximum(n - 1, 1), 0.0)
    out = df[_KEYS].copy()
    out["position"] = position
    out["phase"] = phase
    return out.sort_index().set_axis(orig_index)


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
    _check(utterances_df, "personalization", ["text", "lang"])
    if window is not None and window < 1:
        raise ValueError(f"window must be >= 1 or None, got {window}")
    orig_index = utterances_df.index
    # Positional index: callers' indexes may have duplicate labels.
    utterances_df = utterances_df.reset_index(drop=True)
    df = _sorted(utterances_df)
    texts, langs = analysis_texts(df)
    role = df["role"].to_numpy(dtype=object)
    is_agent = role == "agent"
    cue_s = marker_flags(df, "personalization_cue", features_df, _reorder(cue, utterances_df, df)).to_numpy()
    words = _row_words(texts, langs, np.isin(role, ["agent", "customer"]), slot_values=False)
    n_shared = np.full(len(df), np.nan)
    shared_txt = np.full(len(df), "", dtype=object)
    starts = _dialogue_starts(df)
    recent: list = []
    agent_said: set[str] = set()
    introduced_by_agent: set[str] = set()
    for i in range(len(df)):
        if starts[i]:
            recent, agent_said, introduced_by_agent = [], set(), set()
        w = words[i]
        if role[i] == "customer":
            # A word the agent said first is the agent's, not the customer's situation.
            introduced_by_agent |= w & agent_said
            recent = [*recent, w] if window is None else [*recent, w][-window:]
        elif is_agent[i]:
            situation = (set().union(*recent) if recent else set()) - introduced_by_agent
            shared = w & situation
            n_shared[i] = len(shared)
            shared_txt[i] = " ".join(sorted(shared))
            agent_said |= w
    pers = is_agent & cue_s & (np.nan_to_num(n_shared, nan=0.0) >= min_overlap)
    out = df[_KEYS].copy()
    out["personalization_cue"] = cue_s & is_agent
    out["personalization_overlap"] = n_shared
    out["personalization_words"] = shared_txt
    out["personalization"] = pd.array(pers.astype("int64"), dtype="Int64")
    out.loc[~is_agent, "personalization"] = pd.NA
    return out.sort_index().set_axis(orig_index)
