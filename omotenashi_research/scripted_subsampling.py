"""Scripted share at a fixed corpus size: repeated equal-size subsamples of dialogues, and their comparison.

Holds :func:`scripted_share_subsampled` (the share of each corpus over subsamples of the same
number of dialogues), :func:`subsample_summary` (mean and spread per corpus) and
:func:`compare_subsampled` (difference between two corpora over paired subsamples).
Public path: :mod:`omotenashi_research.scripted`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from omotenashi_research.scripted_recurrence import scriptedness
from omotenashi_research.scripted_sentences import _UTT_COLS, _check_utterances

__all__ = ["compare_subsampled", "scripted_share_subsampled", "subsample_summary"]


def _corpus_rng(seed: int, corpus: str) -> np.random.Generator:
    # One generator per corpus, from the seed and the corpus name: a corpus's subsamples do not depend
    # on which other corpora the table holds.
    return np.random.default_rng([int(seed), zlib.crc32(str(corpus).encode("utf-8"))])


def scripted_share_subsampled(
    utterances_df: pd.DataFrame,
    n_dialogues: int,
    *,
    n_subsamples: int = 20,
    min_dialogues: int = 5,
    unit: Literal["utterance", "sentence"] = "sentence",
    role: str | None = "agent",
    seed: int = 0,
) -> pd.DataFrame:
    """Scripted share of each corpus at a fixed corpus size: repeated equal-size subsamples of dialogues.

    For each corpus, ``n_subsamples`` times: draw ``n_dialogues`` of its dialogues without replacement,
    key every (agent) sentence of them (:func:`template_key`), call a key recurring when it occurs in
    at least ``min_dialogues`` of the drawn dialogues, and record the share of sentences with a
    recurring key. Every corpus is measured at the same size, so the shares are comparable; the spread
    over subsamples is how much a corpus of that size varies.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``), one or more corpora.
    n_dialogues : int
        Dialogues per subsample, the same for every corpus (at most the smallest corpus's count).
    n_subsamples : int
        Subsamples per corpus.
    min_dialogues : int
        Recurrence threshold, within the subsample.
    unit : {"sentence", "utterance"}
        Unit that gets a template key and that the share counts.
    role : str or None
        Only utterances of this role (``None``: all).
    seed : int
        Seed; each corpus draws from its own generator (seed and corpus name).

    Returns
    -------
    pandas.DataFrame
        One row per corpus and subsample: ``corpus, subsample, n_dialogues, n_units, n_recurring,
        scripted_share`` (``n_recurring / n_units``; NaN when the drawn dialogues have no such unit).

    Raises
    ------
    ValueError
        A corpus with fewer than ``n_dialogues`` dialogues (named, with its count), or bad arguments.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import scripted_share_subsampled
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": list("abcd"), "turn": 0, "role": "agent",
    ...                    "lang": "en", "text": ["Hi. Booked 2.", "Hi. Booked 3.", "Hi. Booked 9.", "Hi."]})
    >>> out = scripted_share_subsampled(df, 3, n_subsamples=4, min_dialogues=3)
    >>> out["n_units"].tolist()  # 6 sentences when "d" is left out, else 5
    [5, 6, 5, 5]
    >>> out["scripted_share"].round(2).tolist()  # "hi" always recurs; "booked <num>" only without "d"
    [0.6, 1.0, 0.6, 0.6]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "scripted_share_subsampled")
    for name, value in (("n_dialogues", n_dialogues), ("n_subsamples", n_subsamples),
                        ("min_dialogues", min_dialogues)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"scripted_share_subsampled: {name} must be an integer >= 1, got {value!r}")
    units = scriptedness(utterances_df, min_dialogues=1, role=role, unit=unit)  # keys; recurrence below
    sizes = utterances_df.groupby("corpus", sort=True)["dialogue_id"].nunique()
    small = sizes[sizes < n_dialogues]
    if len(small):
        raise ValueError(
            f"scripted_share_subsampled: n_dialogues={n_dialogues} exceeds the dialogues of corpus "
            f"{small.index[0]!r} ({int(small.iloc[0])}); choose n_dialogues <= {int(sizes.min())}")
    rows = []
    for corpus in sizes.index:
        rng = _corpus_rng(seed, corpus)
        dialogues = np.sort(utterances_df.loc[utterances_df["corpus"] == corpus, "dialogue_id"].unique())
        mine = units[units["corpus"] == corpus]
        # integer codes: each subsample is then an isin on ints and one groupby
        d_codes = pd.Categorical(mine["dialogue_id"], categories=dialogues).codes
        t_codes = pd.factorize(mine["template"])[0]
        for i in range(n_subsamples):
            pick = np.zeros(len(dialogues), dtype=bool)
            pick[rng.choice(len(dialogues), size=n_dialogues, replace=False)] = True
            keep = pick[d_codes]
            sub = pd.DataFrame({"t": t_codes[keep], "d": d_codes[keep]})
            n_dial = sub.groupby("t")["d"].transform("nunique").to_numpy()
            n_units = int(keep.sum())
            n_rec = int((n_dial >= min_dialogues).sum())
            rows.append({"corpus": corpus, "subsample": i, "n_dialogues": int(n_dialogues),
                         "n_units": n_units, "n_recurring": n_rec,
                         "scripted_share": n_rec / n_units if n_units else float("nan")})
    return pd.DataFrame(rows)


def subsample_summary(subsamples: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread of :func:`scripted_share_subsampled` per corpus.

    Returns
    -------
    pandas.DataFrame
        One row per corpus: ``corpus, n_dialogues, n_subsamples, mean_units, mean, sd`` (ddof 1),
        ``min, max``.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import subsample_summary
    >>> sub = pd.DataFrame({"corpus": "demo", "subsample": [0, 1], "n_dialogues": 3, "n_units": [5, 6],
    ...                     "n_recurring": [3, 6], "scripted_share": [0.6, 1.0]})
    >>> subsample_summary(sub)[["mean", "sd", "min", "max"]].round(3).values.tolist()
    [[0.8, 0.283, 0.6, 1.0]]
    """
    _require(subsamples, ["corpus", "subsample", "n_dialogues", "n_units", "scripted_share"],
             "subsample_summary")
    g = subsamples.groupby("corpus", sort=True)
    return pd.DataFrame({
        "n_dialogues": g["n_dialogues"].first(),
        "n_subsamples": g["subsample"].nunique(),
        "mean_units": g["n_units"].mean(),
        "mean": g["scripted_share"].mean(),
        "sd": g["scripted_share"].std(ddof=1),
        "min": g["scripted_share"].min(),
        "max": g["scripted_share"].max(),
    }).reset_index()


def compare_subsampled(subsamples: pd.DataFrame, corpus1: str, corpus2: str, *, ci: float = 0.95
                       ) -> pd.DataFrame:
    """Difference in scripted share between two corpora at the same size, over paired subsamples.

    Subsample *i* of ``corpus1`` is paired with subsample *i* of ``corpus2`` (independent draws);
    the estimate is the mean difference, the interval the ``ci`` percentile range of the
    differences: how far apart two corpora of ``n_dialogues`` dialogues each land. It is the spread
    of equal-size comparisons, not a sampling interval for a population, and carries no p-value.

    Returns
    -------
    pandas.DataFrame
        One row: ``corpus1, corpus2, n_dialogues, n_subsamples, mean1, mean2, estimate, ci_low,
        ci_high, share_positive`` (share of pairs with ``corpus1`` above ``corpus2``).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import compare_subsampled
    >>> sub = pd.DataFrame({"corpus": ["a", "a", "b", "b"], "subsample": [0, 1, 0, 1], "n_dialogues": 5,
    ...                     "n_units": 10, "scripted_share": [0.5, 0.7, 0.2, 0.3]})
    >>> compare_subsampled(sub, "a", "b")[["estimate", "share_positive"]].round(2).values.tolist()
    [[0.35, 1.0]]
    """
    _require(subsamples, ["corpus", "subsample", "n_dialogues", "scripted_share"], "compare_subsampled")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be strictly between 0 and 1, got {ci!r}")
    parts = []
    for c in (corpus1, corpus2):
        part = subsamples[subsamples["corpus"] == c]
        if part.empty:
            raise ValueError(f"compare_subsampled: no subsamples of corpus {c!r} "
                             f"(corpora: {sorted(subsamples['corpus'].unique())})")
        parts.append(part.set_index("subsample"))
    a, b = parts
    if a["n_dialogues"].iloc[0] != b["n_dialogues"].iloc[0]:
        raise ValueError(f"compare_subsampled: {corpus1!r} was subsampled at {a['n_dialogues'].iloc[0]} "
                         f"dialogues and {corpus2!r} at {b['n_dialogues'].iloc[0]}: sizes must match")
    common = a.index.intersection(b.index)
    diff = (a.loc[common, "scripted_share"] - b.loc[common, "scripted_share"]).to_numpy(float)
    alpha = 1 - ci
    lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
    return pd.DataFrame([{
        "corpus1": corpus1, "corpus2": corpus2, "n_dialogues": int(a["n_dialogues"].iloc[0]),
        "n_subsamples": len(common), "mean1": float(a.loc[common, "scripted_share"].mean()),
        "mean2": float(b.loc[common, "scripted_share"].mean()), "estimate": float(diff.mean()),
        "ci_low": float(lo), "ci_high": float(hi), "share_positive": float((diff > 0).mean()),
    }])


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}")
