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


def _has_month(s: str, digit: bool) -> bool:
    return ("jan" in s or "feb" in s or "mar" in s or "apr" in s or "may" in s or "jun" in s or "jul" in s
            or "aug" in s or "sep" in s or "oct" in s or "nov" in s or "dec" in s)


# Per rule, whether it can match ``s`` (``digit``: ``s`` has a digit); rules without one are always tried.
# The literal tests spell out _ANY_OF as chains of ``in`` (a generator over the literals costs twice as
# much, and this runs for every text); tests/test_speed_equivalence_scripted.py checks they agree.
_GATES = {
    0: lambda s, digit: "/" in s or "-" in s,
    1: _has_month,
    2: _has_month,
    3: lambda s, digit: "day" in s,
    4: lambda s, digit: "年" in s,
    5: lambda s, digit: "月" in s and "日" in s,
    6: lambda s, digit: "曜" in s,
    7: lambda s, digit: ":" in s,
    8: lambda s, digit: "am" in s or "pm" in s or "a.m" in s or "p.m" in s,
    9: lambda s, digit: "時" in s,
    10: lambda s, digit: "$" in s or "£" in s or "€" in s or "¥" in s or "￥" in s,
    11: lambda s, digit: ("dollar" in s or "pound" in s or "yen" in s or "usd" in s or "gbp" in s
                          or "eur" in s),
    12: lambda s, digit: "円" in s,
    13: lambda s, digit: "mr" in s or "ms" in s or "dr" in s or "miss" in s,
    14: lambda s, digit: "this is" in s or "name is" in s,
    17: lambda s, digit: _number_word_gate(s),
    18: lambda s, digit: digit or (not s.isascii() and _KANJI_NUM_CHAR.search(s) is not None),
}
# Rules of which every match holds one of these words as a whole run of letters a-z (the word is
# matched between \b's, or next to whitespace, a dot, a digit or a placeholder's bracket: characters
# outside a-z). A text whose runs of a-z letters include none cannot match: _az_runs finds those
# runs with a bytes translation and a split, cheaper than the regex (the number words are tried on
# every text). Stale after a substitution (one can cut a run short, as "7:30pm" in "7:30pmone"):
# computed on the text as the rule is tried.
_WORD_GATES: dict[int, frozenset[bytes]] = {
    k: frozenset(w.encode() for w in words)
    for k, words in {
        1: _MONTHS.split("|"),
        2: _MONTHS.split("|"),
        3: _WEEKDAYS.split("|"),
        11: ["dollar", "dollars", "pound", "pounds", "euro", "euros", "yen", "usd", "gbp", "eur"],
        13: ["mr", "mrs", "ms", "miss", "dr"],
        17: _NUM_WORDS.split("|"),
    }.items()
}
_NOT_AZ_BYTES = bytes(c if 97 <= c <= 122 else 32 for c in range(256))


def _az_runs(s: str) -> list[bytes]:
    """The maximal runs of letters a-z in ASCII text ``s`` (other characters separate them)."""
    return s.encode("ascii").translate(_NOT_AZ_BYTES).split()


def _number_word_gate(s: str) -> bool:
    return not s.isascii() or not _WORD_GATES[17].isdisjoint(_az_runs(s))


# Rules whose every match holds a CJK character (年, 月 and 日, 曜, 時, 円): never tried on an ASCII text.
_CJK_ONLY = {4, 5, 6, 9, 12}
# The number-word rule runs on every text: the same pattern behind a lookahead on the words' first
# letters, which lets the regex engine skip the other positions quickly (about twice as fast).
_NUM_WORD_INITIALS = "".join(sorted({w[0] for w in _NUM_WORDS.split("|")}))
_FAST_PATTERNS = {17: re.compile(rf"(?=[{_NUM_WORD_INITIALS}])\b(?:{_NUM_WORDS})\b")}
_PATTERNS = [_FAST_PATTERNS.get(k, p) for k, (p, _) in enumerate(_RULES)]
# Per rule: its substitution, replacement, what digit it needs (0 none, 1 a digit or <num>, 2 a
# digit) and its gate (precomputed: the loop runs at least once per distinct text). ASCII texts
# (nearly all English ones) skip the CJK-only rules without testing their gates.
_STEPS = [
    (p.sub, repl, 2 if k in _NEEDS_REAL_DIGIT else int(k in _NEEDS_DIGIT), _GATES.get(k))
    for k, (p, (_, repl)) in enumerate(zip(_PATTERNS, _RULES, strict=True))
]
_ASCII_STEPS = [step for k, step in enumerate(_STEPS) if k not in _CJK_ONLY]
# An ASCII text with no digit and no <num> as a pass starts: only the rules that need neither can
# match (no rule before the number words writes <num>, none writes a digit; the last rule needs one).
_PLAIN_STEPS = [step for k, step in enumerate(_STEPS) if k not in _CJK_ONLY | _NEEDS_DIGIT | {18}]
_NUMBER_WORD_GATE = _GATES[17]
# The same rules as searches, for _is_fixed_point (the ASCII ones: it only decides ASCII texts).
_ASCII_CHECKS = [
    (p.search, needs_digit, gate, _WORD_GATES.get(k))
    for k, (p, (_, _, needs_digit, gate)) in enumerate(zip(_PATTERNS, _STEPS, strict=True))
    if k not in _CJK_ONLY
]
# Of those, the ones that can match a text without a digit (and then without <num>): the others need
# a digit (or, for the last rule, a digit in an ASCII text).
_ASCII_RULES = [k for k in range(len(_RULES)) if k not in _CJK_ONLY]
_NUM_CHECKS = [check for k, check in zip(_ASCII_RULES, _ASCII_CHECKS, strict=True)
               if k not in _NEEDS_REAL_DIGIT | {18}]
_PLAIN_CHECKS = [check for check in _NUM_CHECKS if not check[1]]
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


# The same for ASCII text as a bytes table: bytes.translate is several times faster than str.translate.
_ASCII_PS_BYTES = bytes(ord(_ASCII_PS.get(i, chr(i))) for i in range(128)) + bytes(range(128, 256))


def _strip_punct(text: str) -> str:
    # Drop punctuation and symbols (Unicode P* and S*), keeping the placeholder brackets.
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_PS_BYTES).decode("ascii")
    return text.translate(_PUNCT_TABLE)


def _one_pass(text: str, lang: str) -> str:
    return _pass(text, lang)[0]


# The words of the rules that can match a text without digits or brackets (weekdays, titles, number
# words; "this is"/"name is" is tested as a phrase).
_PLAIN_WORDS = frozenset(w.decode() for k in (3, 13, 17) for w in _WORD_GATES[k])


def _plain_pass(s: str) -> str | None:
    """The pass's output for the commonest text, when it is also a fixed point; else None.

    ``s``: NFKC, lower case, ASCII, without a digit or a bracket: only the rules of weekdays, titles,
    "this is"/"name is" and number words can match (the others need a digit, a bracket or a CJK
    character). If its words, the runs of letters once punctuation becomes space, are letters a-z
    only, they are its a-z runs: with none of those rules' words among them (_WORD_GATES) and
    neither phrase in it, no rule matches and the pass gives the words joined by single spaces. A
    second pass would find the same words, so it returns the same text, unless that now holds
    "this is"/"name is" (punctuation between the words gone): then None, and the general path runs.
    """
    if "this is" in s or "name is" in s:
        return None
    words = _strip_punct(s).split()
    if not "".join(words).isalpha() or not _PLAIN_WORDS.isdisjoint(words):
        return None  # control characters, no words at all, or a rule's word
    out = " ".join(words)
    return None if "this is" in out or "name is" in out else out


def _pass(text: str, lang: str) -> tuple[str, set[bytes] | None, bool]:
    """One pass of the slot rules; (when known) a superset of the a-z runs of its output; whether
    the output is known to be a fixed point (a next pass would return it unchanged).

    The runs: an ASCII text without a number word, as that rule is tried, keeps those runs to the
    end of the pass, but for a "num" run that the last rule may add (it swaps digits, which are no
    letters, for <num>; stripping punctuation and spaces neither joins nor adds runs). None when
    not known; :func:`_is_fixed_point` then finds them itself.
    """
    s = unicodedata.normalize("NFKC", text).lower()
    if s.isascii() and "<" not in s and ">" not in s and _DIGIT.search(s) is None:
        out = _plain_pass(s)
        if out is not None:  # (Japanese removes no space between letters a-z: same output)
            return out, None, True
    # Loose brackets would fake placeholders: remove those not part of one.
    if "<" in s:
        s = _LOOSE_OPEN.sub(" ", s)
    if ">" in s:
        s = _LOOSE_CLOSE.sub(" ", s)
    # Substitutions only remove digits (placeholders have none): once gone, they stay gone.
    digit = _DIGIT.search(s) is not None
    # An ASCII text stays ASCII (placeholders are): the CJK-only rules cannot match.
    ascii_text = s.isascii()
    if not ascii_text:
        steps = _STEPS
    elif digit or "<num>" in s:
        steps = _ASCII_STEPS
    else:
        steps = _PLAIN_STEPS
    runs = None
    for sub, repl, needs_digit, gate in steps:
        if needs_digit and not digit and (needs_digit == 2 or "<num>" not in s):
            continue  # cannot match
        if gate is _NUMBER_WORD_GATE and ascii_text:
            found = _az_runs(s)
            if _WORD_GATES[17].isdisjoint(found):
                runs = found
                continue  # cannot match: no number word
        elif gate is not None and not gate(s, digit):
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
    return s, (None if runs is None else {*runs, b"num"}), False


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


def _is_fixed_point(s: str, runs: set[bytes] | None = None) -> bool:
    """True only when ``_one_pass(s, lang) == s``, for ``s`` an output of :func:`_one_pass` (any ``lang``).

    A pass over its own output usually changes nothing, and proving that is cheaper than the pass.
    Such an output is already NFKC, lower case, without punctuation (brackets aside) and with its
    whitespace collapsed (and, for Japanese, spaces removed): for an ASCII text those steps of a pass
    give it back unchanged (NFKC of ASCII is itself; stripping and collapsing are idempotent). So the
    pass changes it only if a loose bracket or a rule matches; the rules are tried as
    :func:`_one_pass` would try them (same conditions, ``search`` instead of ``sub``; the word gates
    read one set of the text's a-z runs, valid throughout since nothing is substituted). False (run
    the pass) for a non-ASCII text or one with a digit (NFKC or the digit rules might act). An ASCII
    output has no digit anyway (the last rule replaces every digit).
    """
    if not s.isascii() or _DIGIT.search(s) is not None:
        return False
    if "<" in s or ">" in s:
        # No loose bracket: every "<" and every ">" belongs to a placeholder (placeholders cannot
        # overlap: each holds one "<"). Counting is cheaper than the two lookaround regexes.
        n = sum(s.count(p) for p in PLACEHOLDERS)
        if s.count("<") != n or s.count(">") != n:
            return False
    if runs is None:  # else: a superset of the text's a-z runs, from _pass
        runs = set(_az_runs(s))
    # Without a digit, the rules that need one cannot match, nor, without <num>, those needing either.
    for search, _, gate, words in _NUM_CHECKS if "<num>" in s else _PLAIN_CHECKS:
        if words is not None:
            if words.isdisjoint(runs):
                continue  # cannot match: none of its words
        elif gate is not None and not gate(s, False):
            continue  # cannot match
        if search(s) is not None:
            return False
    return True


@lru_cache(maxsize=200_000)  # scripted corpora repeat texts; bounded memory
def _template_key(text: str, lang: str) -> str:
    s, runs = text, None
    for i in range(10):
        # From the second pass on, s is a pass's output: a cheap proof that the pass would return
        # it unchanged ends the loop as the comparison would.
        if i and _is_fixed_point(s, runs):
            break
        new, runs, fixed = _pass(s, lang)
        if new == s:
            break
        s = new
        if fixed:
            break  # the next pass would return s unchanged
    return s
