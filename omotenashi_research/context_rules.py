"""Per-text rules of the dialogue-context features (split out of :mod:`omotenashi_research.context`).

What one text says on its own: slot requests, generic closing offers, content words, and applying such a
rule once per distinct text (``_per_row``, with a bounded per-process cache emptied by
:func:`clear_caches`). The public names are re-exported by :mod:`omotenashi_research.context`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["clear_caches", "closing_offer_pattern", "content_words", "is_slot_request"]

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
    if lang == "ja":
        return bool(_CLOSING_JA.search(text))
    # Every English alternative contains "else", or "any", or both "that" and "all": an ASCII text
    # without them cannot match (most texts; the regex is the slow part). Only ASCII text is screened,
    # because case-insensitive matching also pairs some non-ASCII letters with ASCII ones (long s, "s").
    if text.isascii():
        low = text.lower()
        if "else" not in low and "any" not in low and ("that" not in low or "all" not in low):
            return False
    return bool(_CLOSING_EN.search(text))


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


def _word_pairs(texts: np.ndarray, langs: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Content words of the rows of ``mask`` as flat arrays: one ``(row, word, slot value)`` per word.

    Returns ``rows`` (int64), ``words`` (object: the lemmas) and ``slot`` (bool: the word is a slot
    value). For a row ``i`` in a supported language, ``content_words([texts[i]], langs[i])[0]`` is the
    set of ``words[rows == i]``, and with ``slot_values=False`` the set of ``words[(rows == i) & ~slot]``;
    rows outside ``mask`` or in other languages have no entries. Flat arrays let the context features
    compare words across turns with numpy instead of one Python set per row; the words come from the
    marker engine's arrays when it recorded them (:func:`omotenashi_research.tokens._content_pairs`).
    """
    from omotenashi_research.nlp import SUPPORTED_LANGS
    from omotenashi_research.tokens import _content_pairs

    rows_parts, words_parts, slot_parts = [], [], []
    for lang in SUPPORTED_LANGS:
        pos = np.flatnonzero(mask & (langs == lang))
        if not len(pos):
            continue
        at, words, slot = _content_pairs(list(texts[pos]), lang)
        rows_parts.append(pos[at])
        words_parts.append(words)
        slot_parts.append(slot)
    if not rows_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=bool)
    return np.concatenate(rows_parts), np.concatenate(words_parts), np.concatenate(slot_parts)


def _per_row(fn, texts: np.ndarray, langs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``fn(text, lang)`` on the rows of ``mask`` in a supported language; False elsewhere.

    Each rule reads only (text, lang): it runs once per distinct text and language, and the
    result is kept (``_RULE_CACHE``) for the next call of the same rule in this process."""
    from omotenashi_research.nlp import SUPPORTED_LANGS

    out = np.zeros(len(texts), dtype=bool)
    for lang in SUPPORTED_LANGS:
        rows = np.flatnonzero(mask & (langs == lang))
        # Non-strings are skipped (False); checked on the masked rows only.
        rows = rows[np.fromiter((isinstance(t, str) for t in texts[rows]), dtype=bool, count=len(rows))]
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
