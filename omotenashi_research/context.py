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
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "anticipation",
    "closing_offer_pattern",
    "content_words",
    "dialogue_phase",
    "is_slot_request",
    "marker_flags",
    "personalization",
]

_KEYS = ["corpus", "dialogue_id", "turn"]

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

# Generic words that carry no "offered thing" (Japanese nouns/verbs with light meaning).
_JA_LIGHT = {
    "こと", "もの", "物", "事", "よう", "様", "方", "ため", "為", "とき", "時", "ところ", "所", "等", "など",
    "する", "為る", "いる", "居る", "ある", "有る", "なる", "成る", "できる", "出来る", "いただく", "頂く",
    "くださる", "下さる", "おる", "ござる", "致す", "いたす", "申す", "存ずる", "思う", "いう", "言う",
}
_EN_LIGHT = {"like", "would", "want", "need", "let", "help", "also", "get", "make", "shall", "maybe", "sure",
             "ok", "okay", "yes", "no", "please", "thank", "thanks", "sir", "madam"}
_JA_SLOT_VALUE = re.compile(
    r"[0-9０-９〇一二三四五六七八九十百千万]+|[月火水木金土日]曜日?|[年月日時分]|今日|明日|明後日|今晩|今夜"
    r"|午前|午後|来週|今週"
)
_EN_SLOT_VALUE = re.compile(
    r"^(?:\d.*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|tonight|am|pm)$"
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
        sentences = [x.strip() for x in re.split(r"(?<=[。！？!?])|\n", text) if x and x.strip()]
        return any(_QUESTION_JA.search(x) and _SLOT_JA.search(x) for x in sentences)
    sentences = [x.strip() for x in re.split(r"(?<=[.!?])\s+|\n", text) if x and x.strip()]
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


def _en_stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def content_words(texts: Sequence[str], lang: str, *, slot_values: bool = True) -> list[set[str]]:
    """Content-word lemmas per text (see the module docstring for the rule).

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
    todo = [t for t in dict.fromkeys(texts) if (lang, t) not in _ANALYSED]
    if len(_ANALYSED) + len(todo) > _CACHE_SIZE:
        _ANALYSED.clear()  # bounded memory on huge corpora; recomputing is only slower
    from omotenashi_research.nlp import get_pipeline

    analyse = _analyse_ja if lang == "ja" else _analyse_en
    for text, doc in zip(todo, get_pipeline(lang).pipe(todo, batch_size=1000), strict=True):
        _ANALYSED[(lang, text)] = analyse(doc)
    # Each word is (lemma, is a slot value); slot values are dropped when slot_values is False.
    return [{w for w, slot in _ANALYSED[(lang, t)] if slot_values or not slot} for t in texts]


# (lang, text) -> content words with their slot-value flag. Anticipation and personalization
# both need every agent and customer text: tokenising each distinct text once halves the work,
# and scripted corpora repeat many texts.
_ANALYSED: dict[tuple[str, str], tuple[tuple[str, bool], ...]] = {}
_CACHE_SIZE = 500_000


def _analyse_ja(doc) -> tuple[tuple[str, bool], ...]:
    words: dict[str, bool] = {}
    for t in doc:
        tag = t.tag_
        if not (tag.startswith("名詞") or tag.startswith("動詞") or tag.startswith("接尾辞-名詞的")):
            continue
        if t.lemma_ in _JA_LIGHT:
            continue
        # 非自立可能 verbs after て/で are auxiliaries (見てみる, 行っておく), not content.
        if tag.startswith("動詞-非自立可能") and t.i > 0 and doc[t.i - 1].tag_ == "助詞-接続助詞":
            continue
        slot = bool(
            tag.startswith("名詞-数詞") or tag.endswith("助数詞可能") or _JA_SLOT_VALUE.fullmatch(t.text)
        )
        # A lemma is kept without slot_values if any of its occurrences is not a slot value.
        words[t.lemma_] = words.get(t.lemma_, True) and slot
    return tuple(words.items())


def _analyse_en(doc) -> tuple[tuple[str, bool], ...]:
    stop = _en_stop_words()
    words: dict[str, bool] = {}
    for t in doc:
        lemma = (t.lemma_ or t.text).lower()
        if lemma in stop or lemma in _EN_LIGHT or t.lower_ in stop:
            continue
        slot = bool(t.like_num or _EN_SLOT_VALUE.match(lemma))
        if not (lemma.isalpha() or t.like_num):
            continue
        # Non-alphabetic numbers are content only as slot values (kept when slot_values is True).
        words[lemma] = words.get(lemma, True) and slot
    return tuple(words.items())


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
            merged = utterances_df[_KEYS].merge(features_df[[*_KEYS, col]], on=_KEYS, how="left")
            if merged[col].isna().any():
                miss = merged.loc[merged[col].isna(), _KEYS].head(5).to_dict("records")
                raise ValueError(f"features_df lacks rows for utterances {miss}")
            values = merged[col].to_numpy()
        else:
            if len(features_df) != n:
                raise ValueError(
                    f"features_df has {len(features_df)} rows for {n} utterances and no "
                    "corpus/dialogue_id/turn columns to join on"
                )
            values = features_df[col].to_numpy()
        return pd.Series(pd.to_numeric(values) > 0, index=utterances_df.index, name=marker)
    try:
        from omotenashi_research.markers import count_markers, marker_names
    except ImportError as err:  # the engine is optional for these heuristics
        if not required:
            return pd.Series(False, index=utterances_df.index, name=marker)
        raise ValueError(f"no {marker!r} flags: pass features_df or flags (no marker engine)") from err
    out = pd.Series(False, index=utterances_df.index, name=marker)
    for lang, g in utterances_df.groupby("lang", sort=True):
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


def _content_by_row(df: pd.DataFrame, mask: pd.Series, *, slot_values: bool) -> dict:
    words: dict = {}
    for lang, g in df[mask].groupby("lang", sort=True):
        found = content_words(list(g["text"]), lang, slot_values=slot_values)
        words.update(zip(g.index, found, strict=True))
    return words


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
    is_agent = df["role"] == "agent"
    cue_s = marker_flags(df, "anticipation_cue", features_df, _reorder(cue, utterances_df, df))
    if closing_offer is not None:
        close_s = marker_flags(df, "closing_offer", None, _reorder(closing_offer, utterances_df, df))
    else:
        close_s = marker_flags(df, "closing_offer", features_df, required=False)
        generic = df.apply(lambda r: closing_offer_pattern(r["text"], r["lang"]), axis=1).astype(bool)
        close_s = close_s | generic
    slot_s = df.apply(lambda r: is_slot_request(r["text"], r["lang"]), axis=1).astype(bool)
    needs_words = is_agent & cue_s | (df["role"] == "customer")
    words = _content_by_row(df, needs_words, slot_values=True)

    overlap = pd.Series(np.nan, index=df.index)
    for _, g in df.groupby(["corpus", "dialogue_id"], sort=False):
        recent: list[set[str]] = []
        for idx, role in zip(g.index, g["role"], strict=True):
            if role == "customer":
                recent = [*recent, words.get(idx, set())][-window:]
            elif role == "agent" and idx in words:
                offered = words[idx]
                if offered:
                    asked = set().union(*recent) if recent else set()
                    overlap[idx] = len(offered & asked) / len(offered)
    antic = (is_agent & cue_s & ~slot_s & ~close_s & overlap.notna() & (overlap < threshold)).astype("Int64")
    antic[~is_agent] = pd.NA
    out = df[_KEYS].copy()
    out["anticipation_cue"] = cue_s & is_agent
    out["slot_request"] = slot_s & is_agent
    out["closing_offer"] = close_s & is_agent
    out["anticipation_overlap"] = overlap
    out["anticipation"] = antic
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
    greet = marker_flags(df, "greeting", features_df, required=False) if features_df is not None else None
    close_m = pd.Series(False, index=df.index)
    if features_df is not None:
        close_m = marker_flags(df, "closing", features_df, required=False) | marker_flags(
            df, "closing_offer", features_df, required=False)
    if "text" in df.columns and "lang" in df.columns:
        close_m = close_m | df.apply(
            lambda r: isinstance(r["text"], str) and closing_offer_pattern(r["text"], r["lang"]), axis=1
        ).astype(bool)
    phase = pd.Series("body", index=df.index, dtype=object)
    position = pd.Series(0.0, index=df.index)
    for _, g in df.groupby(["corpus", "dialogue_id"], sort=False):
        n = len(g)
        n_open = max(1, math.ceil(opening * n))
        n_close = max(1, math.ceil(closing * n))
        for i, idx in enumerate(g.index):
            position[idx] = i / (n - 1) if n > 1 else 0.0
            first_half = i < n / 2
            is_open = i < n_open or (first_half and greet is not None and bool(greet[idx]))
            is_close = i >= n - n_close or (not first_half and bool(close_m[idx]))
            if is_open and is_close:
                phase[idx] = "opening" if first_half else "closing"
            elif is_open:
                phase[idx] = "opening"
            elif is_close:
                phase[idx] = "closing"
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
    is_agent = df["role"] == "agent"
    cue_s = marker_flags(df, "personalization_cue", features_df, _reorder(cue, utterances_df, df))
    words = _content_by_row(df, df["role"].isin(["agent", "customer"]), slot_values=False)
    n_shared = pd.Series(np.nan, index=df.index)
    shared_txt = pd.Series("", index=df.index, dtype=object)
    for _, g in df.groupby(["corpus", "dialogue_id"], sort=False):
        recent: list[set[str]] = []
        agent_said: set[str] = set()
        introduced_by_agent: set[str] = set()
        for idx, role in zip(g.index, g["role"], strict=True):
            w = words.get(idx, set())
            if role == "customer":
                # A word the agent said first is the agent's, not the customer's situation.
                introduced_by_agent |= w & agent_said
                recent = [*recent, w] if window is None else [*recent, w][-window:]
            elif role == "agent":
                situation = (set().union(*recent) if recent else set()) - introduced_by_agent
                shared = w & situation
                n_shared[idx] = len(shared)
                shared_txt[idx] = " ".join(sorted(shared))
                agent_said |= w
    pers = (is_agent & cue_s & (n_shared.fillna(0) >= min_overlap)).astype("Int64")
    pers[~is_agent] = pd.NA
    out = df[_KEYS].copy()
    out["personalization_cue"] = cue_s & is_agent
    out["personalization_overlap"] = n_shared
    out["personalization_words"] = shared_txt
    out["personalization"] = pers
    return out.sort_index().set_axis(orig_index)
