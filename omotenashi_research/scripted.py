"""Scriptedness: recurring utterance templates, and lexical diversity of agent talk.

A *template key* is an utterance with its variable slots blanked out (numbers, times,
dates, prices, titled names) and case/punctuation removed, so that "Your table for 4 is
booked at 7pm." and "Your table for 2 is booked at 8:30 pm!" share one key. An utterance
is *scripted* here when its key recurs in at least ``min_dialogues`` distinct dialogues of
the same corpus: a corpus-internal, transparent proxy, not a judgement of sincerity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["PLACEHOLDERS", "lexical_diversity", "scriptedness", "template_key"]

PLACEHOLDERS = ("<date>", "<time>", "<price>", "<code>", "<num>", "<name>")

_NUM_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    "|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|thousand"
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_KANJI_NUM = "[〇一二三四五六七八九十百千万两]+"
_D = r"\d+(?:[.,]\d+)*"
_N = rf"(?:{_D}|<num>)"
_JN = rf"(?:{_N}|{_KANJI_NUM})"

# Order matters: the most specific slot first, so "7:30pm" is a time, not two numbers.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # dates
    (re.compile(rf"\b{_N}\s*[/-]\s*{_N}(?:\s*[/-]\s*{_N})?\b"), "<date>"),
    (re.compile(rf"\b(?:{_MONTHS})\.?\s+{_N}(?:st|nd|rd|th)?\b"), "<date>"),
    (re.compile(rf"\b{_N}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b"), "<date>"),
    (re.compile(rf"\b(?:{_WEEKDAYS})\b"), "<date>"),
    (re.compile(rf"{_JN}年(?:{_JN}月)?(?:{_JN}日)?"), "<date>"),
    (re.compile(rf"{_JN}月{_JN}日"), "<date>"),
    (re.compile(r"[月火水木金土日]曜日?"), "<date>"),
    # times
    (re.compile(rf"\b{_N}\s*:\s*{_N}(?:\s*(?:a\.?m\.?|p\.?m\.?))?"), "<time>"),
    (re.compile(rf"\b{_N}\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])"), "<time>"),
    (re.compile(rf"(?:午前|午後)?(?:{_N}|{_KANJI_NUM})時(?:(?:{_N}|{_KANJI_NUM})分|半)?"), "<time>"),
    # prices
    (re.compile(rf"[$£€¥￥]\s*{_N}"), "<price>"),
    (re.compile(rf"\b{_N}\s*(?:dollars?|pounds?|euros?|yen|usd|gbp|eur)\b"), "<price>"),
    (re.compile(rf"(?:{_N}|{_KANJI_NUM})\s*円"), "<price>"),
    # names after a title (no NER: only the unambiguous cases)
    (re.compile(r"\b(mr|mrs|ms|miss|dr)\.?\s+[a-z][a-z'-]*"), r"\1 <name>"),
    (re.compile(r"\b(my name is|this is|name is)\s+[a-z][a-z'-]*"), r"\1 <name>"),
    # booking references and other codes mixing letters and digits
    (re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,}\b"), "<code>"),
    # remaining numbers
    (re.compile(rf"\b{_D}(?:st|nd|rd|th)?\b"), "<num>"),
    (re.compile(rf"\b(?:{_NUM_WORDS})\b"), "<num>"),
    (re.compile(rf"\d+|{_KANJI_NUM}(?=[名人泊日月時分階室枚個杯つ部屋])"), "<num>"),
]
# Rules that can only match where the text has a digit or a <num> placeholder (skipped otherwise: speed).
_NEEDS_DIGIT = {0, 1, 2, 7, 8, 10, 11, 15, 16}
_DIGIT = re.compile(r"\d")
_PLACEHOLDER_CHARS = {"<", ">"}
# ASCII punctuation and symbols (Unicode categories P* and S*) except the placeholder brackets.
_ASCII_PS = str.maketrans({
    c: " " for c in map(chr, range(128)) if unicodedata.category(c)[0] in "PS" and c not in _PLACEHOLDER_CHARS
})
_UTT_COLS = ("corpus", "dialogue_id", "turn", "role", "text", "lang")


def _strip_punct(text: str) -> str:
    # Drop punctuation and symbols (Unicode P* and S*), keeping the placeholder brackets.
    if text.isascii():
        return text.translate(_ASCII_PS)
    chars = [
        " " if (unicodedata.category(c)[0] in "PS" and c not in _PLACEHOLDER_CHARS) else c for c in text
    ]
    return "".join(chars)


def _one_pass(text: str, lang: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower()
    # Loose brackets would fake placeholders: remove those not part of one.
    s = re.sub(r"<(?!(?:date|time|price|code|num|name)>)", " ", s)
    s = re.sub(r"(?<!<date)(?<!<time)(?<!<price)(?<!<code)(?<!<num)(?<!<name)>", " ", s)
    for k, (pattern, repl) in enumerate(_RULES):
        if k in _NEEDS_DIGIT and "<num>" not in s and not _DIGIT.search(s):
            continue  # cannot match
        s = pattern.sub(repl, s)
    s = _strip_punct(s)
    s = re.sub(r"\s+", " ", s).strip()
    if lang == "ja":
        # Japanese has no word spaces: drop them so spacing variants share a key.
        s = re.sub(r"(?<![a-z0-9>]) | (?![a-z0-9<])", "", s)
    return s


def template_key(text: str, lang: str) -> str:
    """Normalise an utterance to its template key.

    Steps: NFKC (full-width digits and letters become ASCII), lower case, then slot
    placeholders ``<date>``, ``<time>``, ``<price>``, ``<code>`` (letters mixed with digits,
    e.g. booking references), ``<num>`` and ``<name>`` (only after a
    title such as "Mr." or "my name is": no named-entity recognition), then punctuation and
    symbols removed and whitespace collapsed (Japanese: removed). Applied until nothing
    changes, so ``template_key(template_key(t)) == template_key(t)``.

    Parameters
    ----------
    text : str
        One utterance.
    lang : str
        ISO 639-1 code; ``"ja"`` also turns kanji numerals before counters (三名, 二泊) into
        ``<num>`` and removes spaces.

    Returns
    -------
    str

    Examples
    --------
    >>> from omotenashi_research.scripted import template_key
    >>> template_key("Your table for 4 is booked at 7:30 PM, Mr. Smith!", "en")
    'your table for <num> is booked at <time> mr <name>'
    >>> template_key("３名様、５月３日で承りました。", "ja")
    '<num>名様<date>で承りました'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _template_key(text, lang)


@lru_cache(maxsize=200_000)  # scripted corpora repeat texts; bounded memory
def _template_key(text: str, lang: str) -> str:
    s = text
    for _ in range(10):
        new = _one_pass(s, lang)
        if new == s:
            break
        s = new
    return s


def _check_utterances(df: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}; see omotenashi_research.schema")
    bad = df.index[~df["text"].map(lambda v: isinstance(v, str))] if "text" in needed else []
    if len(bad):
        raise ValueError(f"{what}: row(s) {list(bad[:5])}: column 'text' must be a string")


def scriptedness(
    utterances_df: pd.DataFrame,
    *,
    min_dialogues: int = 5,
    role: str | None = "agent",
    level: Literal["utterance", "dialogue"] = "utterance",
) -> pd.DataFrame:
    """Flag utterances whose template recurs across dialogues, and the share per dialogue.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``).
    min_dialogues : int
        A template is recurring when it occurs in at least this many distinct dialogues
        of the same corpus.
    role : str or None
        Only utterances of this role are considered (``None``: all).
    level : {"utterance", "dialogue"}
        ``"utterance"``: one row per considered utterance with ``template``,
        ``template_n_dialogues`` and ``template_recurs`` (bool). ``"dialogue"``: one row per
        dialogue (every dialogue of the input, also those without such turns) with
        ``n_utterances`` and ``scripted_share`` (NaN when ``n_utterances`` is 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import scriptedness
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": ["a", "a", "b"], "turn": [0, 1, 0],
    ...                    "role": "agent", "lang": "en",
    ...                    "text": ["Thank you for 2 calls.", "Hm.", "Thank you for 3 calls!"]})
    >>> scriptedness(df, min_dialogues=2)["template_recurs"].tolist()
    [True, False, True]
    >>> scriptedness(df, min_dialogues=2, level="dialogue")["scripted_share"].tolist()
    [0.5, 1.0]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "scriptedness")
    if min_dialogues < 1:
        raise ValueError(f"min_dialogues must be >= 1, got {min_dialogues}")
    sel = utterances_df if role is None else utterances_df[utterances_df["role"] == role]
    out = sel[["corpus", "dialogue_id", "turn"]].copy()
    out["template"] = [template_key(t, lg) for t, lg in zip(sel["text"], sel["lang"], strict=True)]
    n_dial = out.groupby(["corpus", "template"])["dialogue_id"].transform("nunique")
    out["template_n_dialogues"] = n_dial.astype("int64")
    out["template_recurs"] = out["template_n_dialogues"] >= min_dialogues
    if level == "utterance":
        return out.reset_index(drop=True)
    if level != "dialogue":
        raise ValueError(f"level must be 'utterance' or 'dialogue', not {level!r}")
    dialogues = utterances_df[["corpus", "dialogue_id"]].drop_duplicates()
    agg = (
        out.groupby(["corpus", "dialogue_id"], sort=False)["template_recurs"]
        .agg(n_utterances="size", scripted_share="mean")
        .reset_index()
    )
    res = dialogues.merge(agg, on=["corpus", "dialogue_id"], how="left")
    res["n_utterances"] = res["n_utterances"].fillna(0).astype("int64")
    res["scripted_share"] = res["scripted_share"].astype(float)
    return res.reset_index(drop=True)


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
