"""Count PoliteLex strategy categories (Havaldar et al. 2023) in Japanese and English texts.

The PoliteLex lexica (:func:`~omotenashi_research.datasets.load_politelex`) list literal strings per
politeness strategy, with mostly the same categories in both languages (gratitude, deference, hedge,
please ...), which makes them a shared feature set for cross-language models
(:func:`omotenashi_research.politeness_models.cross_language_transfer`). The lexica leave the matching
rules to the user; the rules chosen here are stated in :func:`politelex_counts`. Only counts are returned,
never text or entries (the lexica are CC BY-NC like the ratings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["politelex_counts", "shared_politelex_categories"]


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(df.columns)}")


def shared_politelex_categories(lexica: Mapping[str, pd.DataFrame]) -> list[str]:
    """PoliteLex categories present in every given lexicon (sorted).

    Examples
    --------
    >>> import pandas as pd
    >>> ja = pd.DataFrame({"category": ["please", "taboo"], "entry": ["ください", "あほ"]})
    >>> en = pd.DataFrame({"category": ["please", "subjunctive"], "entry": ["please", "could you"]})
    >>> shared_politelex_categories({"ja": ja, "en": en})
    ['please']
    """
    sets = [set(lex["category"]) for lex in lexica.values()]
    return sorted(set.intersection(*sets)) if sets else []


_EN_TOKEN = re.compile(r"[a-z0-9']+")
_EN_SENT = re.compile(r"(?<=[.!?])\s+|\n+")


def _ja_counts(texts: list[str], lexicon: pd.DataFrame, cats: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), len(cats)), dtype=np.int64)
    for c, cat in enumerate(cats):
        entries = sorted(set(lexicon.loc[lexicon["category"] == cat, "entry"].astype(str)),
                         key=lambda e: (-len(e), e))
        # literal substrings (Japanese has no spaces); the alternation tries the longest entry first
        pat = re.compile("|".join(re.escape(e) for e in entries))
        out[:, c] = [len(pat.findall(t)) for t in texts]
    return out


def _en_counts(texts: list[str], lexicon: pd.DataFrame, cats: list[str]) -> np.ndarray:
    anywhere: dict[tuple[str, ...], list[int]] = {}
    initial: dict[tuple[str, ...], list[int]] = {}
    for c, cat in enumerate(cats):
        table = initial if cat.endswith("_start") else anywhere
        for e in dict.fromkeys(lexicon.loc[lexicon["category"] == cat, "entry"].astype(str)):
            key = tuple(_EN_TOKEN.findall(e.lower()))
            if key:
                table.setdefault(key, []).append(c)
    longest = max((len(k) for k in (*anywhere, *initial)), default=1)
    out = np.zeros((len(texts), len(cats)), dtype=np.int64)
    for i, text in enumerate(texts):
        for sent in _EN_SENT.split(text.lower().replace("\u2019", "'")):
            toks = _EN_TOKEN.findall(sent)
            free: dict[int, int] = {}  # category -> first token not yet inside one of its matches
            for j in range(len(toks)):
                for n in range(min(longest, len(toks) - j), 0, -1):  # longest entry first
                    key = tuple(toks[j:j + n])
                    for c in (*anywhere.get(key, ()), *(initial.get(key, ()) if j == 0 else ())):
                        if free.get(c, 0) <= j:
                            out[i, c] += 1
                            free[c] = j + n
    return out


def politelex_counts(
    texts: Sequence[str], lexicon: pd.DataFrame, lang: str, *, categories: Sequence[str] | None = None
) -> pd.DataFrame:
    """Count PoliteLex entries per category in each text (non-overlapping, longest entry first).

    Japanese entries match as literal substrings (Japanese is written without spaces). English texts are
    lowercased and split into sentences (after ``.!?`` or a newline) and tokens (letters, digits,
    apostrophes); an entry matches a run of whole tokens, and the ``*_start`` categories only at the start
    of a sentence. Within a category matches do not overlap; entries listed in several categories count in
    each.

    Parameters
    ----------
    texts : sequence of str
    lexicon : pandas.DataFrame
        :func:`~omotenashi_research.datasets.load_politelex` output (``category``, ``entry``).
    lang : {"ja", "en"}
    categories : sequence of str, optional
        Categories to count (default: all of the lexicon, in order of appearance).

    Returns
    -------
    pandas.DataFrame
        One row per text, one int64 column per category (the counts only, never the text).

    Examples
    --------
    >>> import pandas as pd
    >>> lex = pd.DataFrame({"category": ["please", "please_start", "hedge", "hedge"],
    ...                     "entry": ["please", "please", "maybe", "maybe later"]})
    >>> politelex_counts(["Please help. Maybe later, please.", "no"], lex, "en").values.tolist()
    [[2, 1, 1], [0, 0, 0]]
    """
    if lang not in ("ja", "en"):
        raise ValueError(f"politelex_counts: language must be 'ja' or 'en', not {lang!r}")
    _require(lexicon, ["category", "entry"], "politelex_counts")
    cats = list(dict.fromkeys(lexicon["category"])) if categories is None else list(categories)
    unknown = [c for c in cats if c not in set(lexicon["category"])]
    if unknown:
        raise ValueError(f"politelex_counts: categories {unknown} are not in the {lang} lexicon")
    texts = [str(t) for t in texts]
    counts = (_ja_counts if lang == "ja" else _en_counts)(texts, lexicon, cats)
    return pd.DataFrame(counts, columns=cats)
