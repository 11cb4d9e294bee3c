"""Redact personal data (PII) from utterance tables before sharing transcripts or outputs.

:func:`redact` replaces what it finds by typed placeholders and returns a report that says *where*
(row, keys, column, character offsets) and *what kind*, never the value itself:

===========  ===============  ===========================================================================
type         placeholder      what is found
===========  ===============  ===========================================================================
email        ``[EMAIL]``      ``local@domain.tld``
url          ``[URL]``        ``http(s)://...``, ``www....``
card         ``[CARD]``       13-19 digits, optionally grouped by spaces or dashes, passing the Luhn check
phone        ``[PHONE]``      Japanese ``0X0-XXXX-XXXX``, ``0X-XXXX-XXXX``, ``0XX(XXX)XXXX``, ``0120-XXX-XXX``
                              (10-11 digits), ``+81 ...`` and other international numbers (``+`` and 8-15
                              digits), North American ``(XXX) XXX-XXXX``
postcode     ``[POSTCODE]``   Japanese postal codes after ``〒`` or ``郵便番号`` (the mark is kept)
name         ``[NAME]``       names in a user-given list; English titles (``Mr./Ms./Mrs./Dr. X``: the title
                              is kept) and "my name is X"; Japanese names before an honorific
                              (``山田様``, ``タナカさん``, ``佐藤氏``: the honorific is kept) or before
                              ``と申します``; with ``ner=True``, person entities from GiNZA (Japanese) or
                              from a trained English model (``$OMOTENASHI_EN_MODEL``) when it has NER
===========  ===============  ===========================================================================

Digits are matched in half- or full-width form (``０９０－１２３４－５６７８``). Overlapping findings are
merged into one replacement (the longest finding names its type), so a partly overlapping pair
never leaves a fragment behind.

What it cannot promise: names written without a title, honorific or list entry (use ``names=`` or
``ner=True``), names in hiragana before さん, street addresses, and numbers in words. Japanese
honorific rules skip common nouns (お客様, 皆様, 奥様, 同様, 仕様 ...) and may still over-redact a
kanji compound before 様. Redaction is a safeguard, not an anonymisation guarantee: read a sample of
the output before publishing.

Also here: :func:`neutralize_formulas` and :func:`neutralize_cell`, which stop spreadsheet programs
from running cell text as a formula (``=HYPERLINK(...)``) when a CSV/TSV export is opened; used by
:func:`omotenashi_research.io.write_transcripts` and the command line.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "PLACEHOLDERS",
    "REPORT_COLUMNS",
    "find_pii",
    "neutralize_cell",
    "neutralize_formulas",
    "redact",
    "redact_text",
]

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "url": "[URL]",
    "card": "[CARD]",
    "phone": "[PHONE]",
    "postcode": "[POSTCODE]",
    "name": "[NAME]",
}
REPORT_COLUMNS: tuple[str, ...] = (
    "row", "corpus", "dialogue_id", "turn", "column", "type", "start", "end", "placeholder", "digest",
)
_KEYS = ("corpus", "dialogue_id", "turn")
# When two findings are equally long, the more specific type names the replacement.
_PRIORITY = {t: i for i, t in enumerate(("card", "email", "url", "phone", "postcode", "name"))}

# --------------------------------------------------------------------------------- width folding

# Full-width ASCII (！..～) -> ASCII and dash-like characters -> "-", one character for one, so
# offsets found in the folded text are offsets in the original.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD.update({ord(c): ord("-") for c in "‐‑‒–—―−ー－"})
_FOLD[0x3000] = ord(" ")  # ideographic space


def _fold(text: str) -> str:
    return text.translate(_FOLD)


# --------------------------------------------------------------------------------- patterns

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9!#$%&'*+/=?^_`{|}~.-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
)
# No \b: in Python \w includes kana and kanji, and Japanese text runs straight into a URL.
_URL = re.compile(r"(?:(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://|(?<![A-Za-z0-9.-])www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_URL_TRAILING = ".,;:!?)]'\""
# Digit groups separated by one space or dash: card candidates (sub-runs are Luhn-checked).
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]+(?:[ -][0-9]+)*(?![0-9])")
_PHONES = [
    # Japanese national numbers: 0 + area/mobile code, optional () or separators; 10-11 digits.
    re.compile(
        _NOT_ALNUM_BEFORE + r"(?<!\+)(?:\(0[0-9]{1,4}\)|0[0-9]{1,4})[ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,4})"
        r"[ .-]?[0-9]{3,4}" + _NOT_ALNUM_AFTER
    ),
    # International (E.164-like): + country code, groups; 8-15 digits. "+81 (0)3-..." is covered.
    re.compile(
        _NOT_ALNUM_BEFORE + r"\+[0-9]{1,3}(?:[ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,5})){1,6}" + _NOT_ALNUM_AFTER
    ),
    # North American (555) 123-4567 / 555-123-4567 / 555.123.4567.
    re.compile(
        _NOT_ALNUM_BEFORE + r"(?<!\+)(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}" + _NOT_ALNUM_AFTER
    ),
]
_POSTCODE = re.compile(r"(?:〒|郵便番号[:： ]?) ?([0-9]{3}-?[0-9]{4})" + _NOT_ALNUM_AFTER)

# English: a title then one or two capitalised words; the title stays, the name goes.
_EN_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? +([A-Z][a-z'’-]+(?: +[A-Z][a-z'’-]+)?)"
)
_EN_SELF = re.compile(r"\b(?:[Mm]y name is|[Mm]y name's|[Nn]ame is) +([A-Z][a-z'’-]+(?: +[A-Z][a-z'’-]+)?)")
# Japanese: a kanji or katakana run right before an honorific (or と申します).
_KANJI = r"\u4e00-\u9fff\u3005"
_KATA = r"\u30a1-\u30fa\u30fc"
_JA_HONORIFIC = re.compile(
    rf"([{_KANJI}]{{1,6}}|[{_KATA}]{{2,10}})"
    r"(?=様(?![々子式相])|さま|さん|氏(?!名)|殿(?![下堂])|くん|ちゃん)"
)
_JA_SELF = re.compile(rf"([{_KANJI}]{{1,6}}|[{_KATA}]{{2,10}})(?=と申し)")
# Common nouns that take 様/さん but are not names: a run equal to one of these, or ending like a
# role noun (予約者様, 店員さん, 本屋さん, 社長さん), is skipped.
_JA_NOT_NAMES = frozenset(
    "客 皆 皆々 奥 子 神 仏 王 上 若 同 模 仕 多 異 一 左 有 貴 外 他 何 誰 人 諸 彼 某 両 御 "
    "父 母 兄 姉 弟 妹 娘 息子 孫 嫁 婿 祖父 祖母 旦那 主人 本人 家族 一行 新規 団体 "
    "馳走 世話 苦労 陰 生憎 愁傷 毒 遠 先生 医者 相手 隣 各位 殿 姫 嬢 坊 得意 "
    "ゲスト メンバー ユーザー オーナー カスタマー ママ パパ ファン スタッフ ドライバー クライアント".split()
)
_JA_ROLE_ENDINGS = tuple("客者員主長手家様方屋社師")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    type: str


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _cards(folded: str) -> Iterable[_Span]:
    for m in _DIGIT_RUN.finditer(folded):
        if sum(ch.isdigit() for ch in m.group()) < 13:
            continue
        groups = [(m.start() + g.start(), m.start() + g.end()) for g in re.finditer(r"[0-9]+", m.group())]
        # Every run of whole groups with 13-19 digits that passes Luhn; overlapping ones are merged
        # later, so a card next to another number ("4111 1111 1111 1111 2") or two cards in a row
        # are all found.
        for i in range(len(groups)):
            n = 0
            for j in range(i, len(groups)):
                n += groups[j][1] - groups[j][0]
                if n > 19:
                    break
                if n >= 13:
                    s, e = groups[i][0], groups[j][1]
                    if _luhn(re.sub(r"[^0-9]", "", folded[s:e])):
                        yield _Span(s, e, "card")


_PHONE_DIGITS = ((10, 11), (8, 15), (10, 10))  # per pattern in _PHONES
_LAST_GROUP = re.compile(r"[ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,5})$")


def _phones(folded: str) -> Iterable[_Span]:
    for (lo, hi), rx in zip(_PHONE_DIGITS, _PHONES, strict=True):
        for m in rx.finditer(folded):
            text = m.group()
            n = sum(ch.isdigit() for ch in text)
            # The greedy match may have taken a following number too: drop trailing groups.
            while n > hi and (cut := _LAST_GROUP.search(text)) and cut.start() > 0:
                text = text[: cut.start()]
                n = sum(ch.isdigit() for ch in text)
            if lo <= n <= hi:
                yield _Span(m.start(), m.start() + len(text), "phone")


def _urls(folded: str) -> Iterable[_Span]:
    for m in _URL.finditer(folded):
        end = m.end()
        while end > m.start() and folded[end - 1] in _URL_TRAILING:
            # A closing bracket belongs to the URL only when it opens inside it (wiki-style links).
            url = folded[m.start():end]
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            end -= 1
        yield _Span(m.start(), end, "url")


def _ja_names(text: str) -> Iterable[_Span]:
    for rx in (_JA_HONORIFIC, _JA_SELF):
        for m in rx.finditer(text):
            run = m.group(1)
            if run in _JA_NOT_NAMES or run.endswith(_JA_ROLE_ENDINGS):
                continue
            yield _Span(m.start(1), m.end(1), "name")


def _name_list_regex(names: Sequence[str] | None) -> re.Pattern | None:
    names = sorted({n.strip() for n in (names or []) if isinstance(n, str) and n.strip()},
                   key=len, reverse=True)
    if not names:
        return None
    # Latin names match as whole words, case-insensitively; others (Japanese) as substrings.
    parts = [rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])" if n.isascii() else re.escape(n) for n in names]
    return re.compile("|".join(parts), re.IGNORECASE)


def find_pii(
    text: str,
    *,
    names: Sequence[str] | None = None,
    types: Iterable[str] | None = None,
    _names_rx: re.Pattern | None = None,
) -> list[tuple[int, int, str]]:
    """Rule-based PII spans in one text (no NER): ``(start, end, type)``, merged, in text order.

    Parameters
    ----------
    text : str
        The text.
    names : sequence of str, optional
        Names to redact wherever they occur (Latin names as whole words, any case).
    types : iterable of str, optional
        Subset of :data:`PLACEHOLDERS` keys; default all.

    Returns
    -------
    list of (int, int, str)
        Character offsets in ``text`` and the type; overlapping findings are merged.

    Examples
    --------
    >>> from omotenashi_research.redact import find_pii
    >>> find_pii("Mail jo@example.org or call 090-1234-5678.")
    [(5, 19, 'email'), (28, 41, 'phone')]
    """
    wanted = _check_types(types)
    rx = _names_rx if _names_rx is not None else _name_list_regex(names)
    return _merge(_rule_spans(text, wanted, rx))


def _check_types(types: Iterable[str] | None) -> frozenset[str]:
    if types is None:
        return frozenset(PLACEHOLDERS)
    wanted = frozenset([types] if isinstance(types, str) else types)
    unknown = sorted(wanted - set(PLACEHOLDERS))
    if unknown:
        raise ValueError(f"unknown PII type(s) {unknown}; choose from {list(PLACEHOLDERS)}")
    return wanted


def _rule_spans(text: str, wanted: frozenset[str], names_rx: re.Pattern | None) -> list[_Span]:
    folded = _fold(text)
    spans: list[_Span] = []
    if "email" in wanted and "@" in folded:
        spans += [_Span(m.start(), m.end(), "email") for m in _EMAIL.finditer(folded)]
    if "url" in wanted:
        spans += _urls(folded)
    has_digit = any(ch.isdigit() for ch in folded)
    if has_digit and "card" in wanted:
        spans += _cards(folded)
    if has_digit and "phone" in wanted:
        spans += _phones(folded)
    if has_digit and "postcode" in wanted:
        spans += [_Span(m.start(1), m.end(1), "postcode") for m in _POSTCODE.finditer(folded)]
    if "name" in wanted:
        for rx in (_EN_TITLE, _EN_SELF):
            spans += [_Span(m.start(1), m.end(1), "name") for m in rx.finditer(text)]
        spans += _ja_names(text)
        if names_rx is not None:
            spans += [_Span(m.start(), m.end(), "name") for m in names_rx.finditer(text)]
    return spans


def _merge(spans: Iterable[_Span]) -> list[tuple[int, int, str]]:
    """Union of overlapping spans; the longest member (then the most specific type) names the type."""
    out: list[tuple[int, int, str]] = []
    best: _Span | None = None
    start = end = -1
    for s in sorted((s for s in spans if s.end > s.start), key=lambda s: (s.start, -s.end)):
        if best is not None and s.start < end:
            end = max(end, s.end)
            if (s.end - s.start, -_PRIORITY[s.type]) > (best.end - best.start, -_PRIORITY[best.type]):
                best = s
            continue
        if best is not None:
            out.append((start, end, best.type))
        best, start, end = s, s.start, s.end
    if best is not None:
        out.append((start, end, best.type))
    return out


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts, pos = [], 0
    for s, e, t in spans:
        parts.append(text[pos:s])
        parts.append(PLACEHOLDERS[t])
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


def redact_text(text: str, *, names: Sequence[str] | None = None, types: Iterable[str] | None = None) -> str:
    """Redact one text with the rules (no NER); see :func:`redact` for tables and NER.

    Examples
    --------
    >>> from omotenashi_research.redact import redact_text
    >>> redact_text("山田様、〒150-0001 までお送りします。お問い合わせは 03-1234-5678 へ。")
    '[NAME]様、〒[POSTCODE] までお送りします。お問い合わせは [PHONE] へ。'
    >>> redact_text("Thanks Ms. Lee, card 4111 1111 1111 1111 noted; see https://example.com/x.")
    'Thanks Ms. [NAME], card [CARD] noted; see [URL].'
    """
    return _apply(text, find_pii(text, names=names, types=types))


# --------------------------------------------------------------------------------- NER

# GiNZA (and Sudachi under it) fail on very long texts (~49 KB); NER runs on windows of this size.
_NER_WINDOW = 10_000


def _windows(text: str) -> Iterable[tuple[int, str]]:
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + _NER_WINDOW)
        if end < len(text):
            # Cut after a sentence end or newline when there is one in the last tenth of the window.
            cut = max(text.rfind(c, pos + _NER_WINDOW * 9 // 10, end) for c in "。\n.!?！？")
            end = cut + 1 if cut > pos else end
        yield pos, text[pos:end]
        pos = end


def _ner_spans(texts: list[str], lang: str, batch_size: int) -> list[list[_Span]] | None:
    """Person entities per text, or None when no NER model is available for ``lang``."""
    from omotenashi_research.nlp import get_pipeline

    if lang == "ja":
        nlp = get_pipeline("ja", parse=True)  # ja_ginza: its NER labels people "Person"
        labels = {"Person"}
    elif lang == "en":
        nlp = get_pipeline("en")
        if "ner" not in nlp.pipe_names:
            return None
        labels = {"PERSON"}
    else:
        return None
    pieces = [(i, off, chunk) for i, t in enumerate(texts) for off, chunk in _windows(t)]
    out: list[list[_Span]] = [[] for _ in texts]
    docs = nlp.pipe((c for _, _, c in pieces), batch_size=batch_size)
    for (i, off, _), doc in zip(pieces, docs, strict=True):
        out[i] += [_Span(off + e.start_char, off + e.end_char, "name")
                   for e in doc.ents if e.label_ in labels]
    return out


# --------------------------------------------------------------------------------- tables


def _digest(value: str, key: bytes) -> str:
    # Keyed with a per-call random key: equal values share a digest within one report (to see a
    # repeated phone number) but the key is discarded, so digests cannot be brute-forced back.
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=5, key=key).hexdigest()


def redact(
    utterances: pd.DataFrame,
    *,
    names: Sequence[str] | None = None,
    ner: bool = False,
    types: Iterable[str] | None = None,
    columns: Sequence[str] = ("text",),
    batch_size: int = 64,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace personal data in the text columns of a table by typed placeholders.

    Parameters
    ----------
    utterances : pandas.DataFrame
        An utterance table (or any table with the ``columns``; invalid rows, e.g. a quarantine
        file, are fine: nothing is validated). Keys (``corpus``, ``dialogue_id``, ``turn``) are
        copied to the report when present and never changed.
    names : sequence of str, optional
        Names to redact wherever they occur (staff and guest names you know of). Latin names
        match whole words in any case; Japanese names match as written.
    ner : bool
        Also redact person entities found by a statistical model: GiNZA (``ja_ginza``) on rows with
        ``lang == "ja"``; on English rows only if ``$OMOTENASHI_EN_MODEL`` names a trained model with
        NER (otherwise a warning). Loaded on first use; it parses every Japanese text, which is
        far slower than the rules (on the 141 Japanese sample texts: about 8 s after a 10 s model
        load, on a busy 2-core machine, against 0.06 s for the rules on all 279 texts).
    types : iterable of str, optional
        Which kinds to redact (keys of :data:`PLACEHOLDERS`); default all.
    columns : sequence of str
        Text columns to redact, e.g. ``("text", "speaker")``. Key columns are refused.
    batch_size : int
        Texts per NER batch.

    Returns
    -------
    redacted : pandas.DataFrame
        A copy with the same index, row order, columns and keys; only ``columns`` cells change.
    report : pandas.DataFrame
        One row per replacement (:data:`REPORT_COLUMNS`): ``row`` (index label), ``corpus``,
        ``dialogue_id``, ``turn`` (NA when the table lacks them), ``column``, ``type``, ``start`` /
        ``end`` (character offsets in the *original* cell), ``placeholder`` and ``digest`` (a short
        keyed hash, equal for equal values within one report only). The report never holds the
        redacted values.

    Raises
    ------
    KeyError
        A column in ``columns`` is missing.
    ValueError
        ``columns`` names a key column, or ``types`` an unknown type.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.redact import redact
    >>> utt = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": [0, 1],
    ...                     "role": ["customer", "agent"], "speaker": None, "lang": "en",
    ...                     "text": ["I'm Jo Park, jo.park@example.com", "Thank you, Ms. Park."]})
    >>> clean, report = redact(utt, names=["Jo Park"])
    >>> clean["text"].tolist()
    ["I'm [NAME], [EMAIL]", 'Thank you, Ms. [NAME].']
    >>> report[["turn", "type", "start", "end", "placeholder"]].values.tolist()
    [[0, 'name', 4, 11, '[NAME]'], [0, 'email', 13, 32, '[EMAIL]'], [1, 'name', 15, 19, '[NAME]']]
    """
    if not isinstance(utterances, pd.DataFrame):
        raise TypeError(f"redact: expected a pandas DataFrame, got {type(utterances).__name__}")
    columns = [columns] if isinstance(columns, str) else list(columns)
    keys_asked = [c for c in columns if c in _KEYS]
    if keys_asked:
        raise ValueError(f"redact: key column(s) {keys_asked} cannot be redacted "
                         "(rows must stay identifiable)")
    missing = [c for c in columns if c not in utterances.columns]
    if missing:
        raise KeyError(f"redact: column(s) {missing} not in the table (columns: {list(utterances.columns)})")
    wanted = _check_types(types)
    names_rx = _name_list_regex(names)
    ner = bool(ner) and "name" in wanted
    key = os.urandom(16)
    out = utterances.copy()
    langs = utterances["lang"].to_numpy() if "lang" in utterances.columns else np.full(len(utterances), None)
    records = []
    for col in columns:
        values = utterances[col].to_numpy(dtype=object)
        is_text = np.array([isinstance(v, str) and v != "" for v in values], dtype=bool)
        spans: list[list[_Span]] = [[] for _ in values]
        for i in np.flatnonzero(is_text):
            spans[i] = _rule_spans(values[i], wanted, names_rx)
        if ner:
            for lang in ("ja", "en"):
                pos = np.flatnonzero(is_text & (langs == lang))
                if not len(pos):
                    continue
                found = _ner_spans([values[i] for i in pos], lang, batch_size)
                if found is None:
                    warnings.warn(
                        f"redact: no NER model for {lang!r} rows ({len(pos)} texts): names are found only by "
                        "titles, honorifics and names=; set OMOTENASHI_EN_MODEL to a trained spaCy model "
                        "with NER (e.g. en_core_web_sm) to add it",
                        UserWarning,
                        stacklevel=2,
                    )
                    continue
                for i, extra in zip(pos, found, strict=True):
                    spans[i] = spans[i] + extra
        new = values.copy()
        for i in np.flatnonzero(is_text):
            merged = _merge(spans[i])
            if not merged:
                continue
            new[i] = _apply(values[i], merged)
            for s, e, t in merged:
                records.append((i, col, t, s, e, PLACEHOLDERS[t], _digest(values[i][s:e], key)))
        # Same dtype as before (object or str): only cell values change.
        out[col] = pd.Series(new, index=out.index, dtype=utterances[col].dtype)
    return out, _report(utterances, records)


def _report(utterances: pd.DataFrame, records: list[tuple]) -> pd.DataFrame:
    pos = np.array([r[0] for r in records], dtype=np.int64)
    rep = pd.DataFrame({"row": utterances.index[pos] if len(pos) else pd.Index([], dtype=object)})
    for k in _KEYS:
        rep[k] = (utterances[k].to_numpy()[pos] if k in utterances.columns else pd.NA)
    for j, name in enumerate(("column", "type", "start", "end", "placeholder", "digest"), start=1):
        rep[name] = [r[j] for r in records]
    rep["start"] = rep["start"].astype("int64")
    rep["end"] = rep["end"].astype("int64")
    # Row order, then column, then position: the order a reader scans the table in.
    order = np.lexsort((rep["start"].to_numpy(), rep["column"].to_numpy(dtype=str), pos))
    return rep.iloc[order].reset_index(drop=True)[list(REPORT_COLUMNS)]


# --------------------------------------------------------------------------------- spreadsheet formulas

# A cell starting with one of these may be run as a formula by Excel / LibreOffice / Google Sheets
# (OWASP "CSV injection"); tab and carriage return can hide such a start.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value):
    """Prefix ``'`` to a string that a spreadsheet would read as a formula; other values unchanged.

    Examples
    --------
    >>> from omotenashi_research.redact import neutralize_cell
    >>> neutralize_cell('=HYPERLINK("http://x.test","click")'), neutralize_cell("fine"), neutralize_cell(-3)
    ('\\'=HYPERLINK("http://x.test","click")', 'fine', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which no text cell starts like a spreadsheet formula.

    Text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading
    apostrophe (spreadsheets then show the text as written; a reader of the CSV sees the ``'``).
    Numbers, NA and non-text columns are untouched, so ``-3`` stays a number. Column names are
    checked too.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.redact import neutralize_formulas
    >>> df = pd.DataFrame({"text": ["=1+2", "ok", "@SUM(A1)"], "n": [-1, 2, 3]})
    >>> neutralize_formulas(df).to_dict("list")
    {'text': ["'=1+2", 'ok', "'@SUM(A1)"], 'n': [-1, 2, 3]}
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            vals = s.to_numpy(dtype=object)
            if any(isinstance(v, str) and v.startswith(_FORMULA_START) for v in vals):
                out[col] = pd.Series([neutralize_cell(v) for v in vals], index=out.index, dtype=s.dtype)
    return out.rename(columns=lambda c: neutralize_cell(c) if isinstance(c, str) else c)
