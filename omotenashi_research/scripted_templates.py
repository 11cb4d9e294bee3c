"""Template keys: an utterance with its variable slots blanked out, the unit that scriptedness counts.

Holds :func:`template_key` (with its cache ``_template_key``), the slot rules it applies (dates,
times, prices, booking codes, numbers, titled names; English and Japanese) and ``PLACEHOLDERS``.
Pure string functions: no tables. Public path: :mod:`omotenashi_research.scripted`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["PLACEHOLDERS", "template_key"]

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
# Of those, the rules whose every match holds a digit itself (a placeholder does not do).
_NEEDS_REAL_DIGIT = {15, 16}
_DIGIT = re.compile(r"\d")
_KANJI_NUM_CHAR = re.compile(_KANJI_NUM[:-1])  # one kanji numeral
_MONTH_PREFIXES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Literals of which every match of a rule contains one (a rule is skipped when the text has none:
# speed only, the rule could not match). All full month names start with their abbreviation;
# "mrs" contains "mr", "euros" "eur"; rule 14's phrases are spelled with a plain space.
_ANY_OF: dict[int, tuple[str, ...]] = {
    0: ("/", "-"),
    1: _MONTH_PREFIXES,
    2: _MONTH_PREFIXES,
    3: ("day",),
    4: ("年",),
    6: ("曜",),
    7: (":",),
    8: ("am", "pm", "a.m", "p.m"),
    9: ("時",),
    10: ("$", "£", "€", "¥", "￥"),
    11: ("dollar", "pound", "yen", "usd", "gbp", "eur"),
    12: ("円",),
    13: ("mr", "ms", "dr", "miss"),
    14: ("this is", "name is"),
}


def _gate_rule(k: int):
    """Whether rule ``k`` can match ``s`` (``digit``: ``s`` has a digit); None: always try."""
    literals = _ANY_OF.get(k)
    if literals is not None:
        if len(literals) == 1:
            (lit,) = literals
            return lambda s, digit: lit in s
        return lambda s, digit: any(lit in s for lit in literals)
    if k == 5:
        return lambda s, digit: "月" in s and "日" in s
    if k == 18:
        return lambda s, digit: digit or (not s.isascii() and _KANJI_NUM_CHAR.search(s) is not None)
    return None


# Per rule: its substitution, replacement, what digit it needs (0 none, 1 a digit or <num>, 2 a
# digit) and its gate (precomputed: the loop runs at least twice per distinct text).
_STEPS = [
    (p.sub, repl, 2 if k in _NEEDS_REAL_DIGIT else int(k in _NEEDS_DIGIT), _gate_rule(k))
    for k, (p, repl) in enumerate(_RULES)
]
_LOOSE_OPEN = re.compile(r"<(?!(?:date|time|price|code|num|name)>)")
_LOOSE_CLOSE = re.compile(r"(?<!<date)(?<!<time)(?<!<price)(?<!<code)(?<!<num)(?<!<name)>")
_JA_SPACE = re.compile(r"(?<![a-z0-9>]) | (?![a-z0-9<])")
_PLACEHOLDER_CHARS = {"<", ">"}
# ASCII punctuation and symbols (Unicode categories P* and S*) except the placeholder brackets.
_ASCII_PS = str.maketrans({
    c: " " for c in map(chr, range(128)) if unicodedata.category(c)[0] in "PS" and c not in _PLACEHOLDER_CHARS
})


class _PunctTable(dict):
    """``str.translate`` table for any character: P*/S* (but the brackets) to a space, others kept.

    Filled on first sight of each code point (bounded by the characters that occur)."""

    def __missing__(self, code: int) -> int:
        c = chr(code)
        self[code] = out = 32 if unicodedata.category(c)[0] in "PS" and c not in _PLACEHOLDER_CHARS else code
        return out


_PUNCT_TABLE = _PunctTable()


def _strip_punct(text: str) -> str:
    # Drop punctuation and symbols (Unicode P* and S*), keeping the placeholder brackets.
    if text.isascii():
        return text.translate(_ASCII_PS)
    return text.translate(_PUNCT_TABLE)


def _one_pass(text: str, lang: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower()
    # Loose brackets would fake placeholders: remove those not part of one.
    if "<" in s:
        s = _LOOSE_OPEN.sub(" ", s)
    if ">" in s:
        s = _LOOSE_CLOSE.sub(" ", s)
    # Substitutions only remove digits (placeholders have none): once gone, they stay gone.
    digit = _DIGIT.search(s) is not None
    for sub, repl, needs_digit, gate in _STEPS:
        if needs_digit and not digit and (needs_digit == 2 or "<num>" not in s):
            continue  # cannot match
        if gate is not None and not gate(s, digit):
            continue  # cannot match
        new = sub(repl, s)
        if digit and new != s:
            digit = _DIGIT.search(new) is not None
        s = new
    s = _strip_punct(s)
    s = " ".join(s.split())  # = re.sub(r"\s+", " ", s).strip(): both use str.isspace's whitespace
    if lang == "ja" and " " in s:
        # Japanese has no word spaces: drop them so spacing variants share a key.
        s = _JA_SPACE.sub("", s)
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
