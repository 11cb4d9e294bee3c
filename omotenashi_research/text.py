"""Unicode normalisation of utterance texts: the one place where text is cleaned before tokenising.

Every tokenising entry point of the package (the marker engine, content words, sentiment, lexical
diversity) passes texts through :func:`normalize` first; the stored ``text`` column is never
changed. Rules:

- **Zero-width and invisible format characters are removed** (U+200B–U+200F, U+2060–U+2064,
  U+FEFF, U+00AD soft hyphen, U+180E): ``"sorry\\u200d"`` is ``"sorry"`` and a text of only such
  characters becomes ``""`` (0 tokens), never a 1-token utterance.
- **English** (and any language other than Japanese): Unicode NFKC, so full-width ``ｓｏｒｒｙ``,
  ligatures (``ﬁ``) and compatibility forms match the lexicons.
- **Japanese**: NFKC only for full-width Latin letters (``Ａ``–``ｚ``) and half-width katakana
  (``ｱ`` → ``ア``, ``ｶﾞ`` → ``ガ``). Full-width punctuation (``？！``) and digits (``０``–``９``) are
  kept: the Japanese lexicons and rules are written with them, and Sudachi normalises digits itself.

:func:`script_mismatch` flags texts whose script contradicts their ``lang`` (a Japanese text
labelled ``en`` would silently get 0 markers); :func:`omotenashi_research.features.extract_features`
warns about them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

__all__ = ["ZERO_WIDTH", "normalize", "script_mismatch"]

ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_ZW_RE = re.compile(f"[{ZERO_WIDTH}]")
# Full-width Latin letters and half-width katakana (with their sound marks): safe to NFKC in Japanese.
_JA_NFKC_RE = re.compile(r"[\uff21-\uff3a\uff41-\uff5a\uff61-\uff9f]+")
_JA_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]")


def normalize(text: str, lang: str) -> str:
    """Normalise one text for tokenising (rules in the module docstring).

    Parameters
    ----------
    text : str
    lang : str
        ``"ja"`` keeps full-width punctuation and digits; anything else gets full NFKC.

    Returns
    -------
    str
        The text to tokenise. ASCII text comes back unchanged (and fast).

    Examples
    --------
    >>> from omotenashi_research.text import normalize
    >>> normalize("ｓｏｒｒｙ", "en"), normalize("sorry\\u200d", "en"), normalize("\\u200b\\u200b", "en")
    ('sorry', 'sorry', '')
    >>> normalize("ｶﾞｲﾄﾞの？", "ja")
    'ガイドの？'
    """
    if text.isascii():
        return text
    text = _ZW_RE.sub("", text)
    if lang == "ja":
        return _JA_NFKC_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return unicodedata.normalize("NFKC", text)


def script_mismatch(texts: Sequence[str], langs: Sequence[str] | str) -> np.ndarray:
    """Boolean per text: its script contradicts its language label.

    ``en`` rows: more than half of the letters are kana or CJK ideographs. ``ja`` rows: at least
    five Latin letters and no kana or ideograph at all. Other languages are never flagged.

    Examples
    --------
    >>> from omotenashi_research.text import script_mismatch
    >>> texts = ["ありがとうございます", "Thank you", "Thank you very much"]
    >>> script_mismatch(texts, ["en", "en", "ja"]).tolist()
    [True, False, True]
    """
    if isinstance(langs, str):
        langs = [langs] * len(texts)
    out = np.zeros(len(texts), dtype=bool)
    for i, (t, lg) in enumerate(zip(texts, langs, strict=True)):
        if not isinstance(t, str) or lg not in ("en", "ja"):
            continue
        if lg == "en":
            if t.isascii():
                continue
            n_ja = len(_JA_SCRIPT.findall(t))
            out[i] = n_ja > 0 and n_ja > len(_LATIN.findall(t))
        else:
            out[i] = not _JA_SCRIPT.search(t) and len(_LATIN.findall(t)) >= 5
    return out
