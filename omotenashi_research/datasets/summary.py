"""Descriptive summary of an utterance table: dialogues, utterances and tokens per group."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.nlp import SUPPORTED_LANGS, token_counts

__all__ = ["summarize_corpus"]


def _failures(rows, column: str, problem: str, values) -> pd.DataFrame:
    return pd.DataFrame({"source": "DataFrame", "row": list(rows), "column": column,
                         "problem": problem, "value": list(values)})


def summarize_corpus(
    df: pd.DataFrame, by: Sequence[str] = ("corpus", "lang", "role"), tokens: bool = True
) -> pd.DataFrame:
    """One row per group with dialogue, utterance and token statistics.

    Parameters
    ----------
    df : pandas.DataFrame
        Utterance table (see ``omotenashi_research.schema``); needs ``corpus``, ``dialogue_id``, the
        ``by`` columns, and ``text`` + ``lang`` when ``tokens=True``.
    by : sequence of str
        Grouping columns.
    tokens : bool
        Count tokens with :func:`omotenashi_research.nlp.token_counts` (blank spaCy pipeline of each
        row's ``lang``; punctuation and spaces are not counted).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``n_dialogues`` (distinct ``(corpus, dialogue_id)`` with at least one
        utterance in the group), ``n_utterances``, ``utterances_per_dialogue``
        (``n_utterances / n_dialogues``), ``share_utterances`` (share of the utterances of the parent
        group, i.e. the same values of all ``by`` columns but the last; of the whole table if ``by`` has
        one column) and, with ``tokens=True``, ``mean_tokens`` and ``median_tokens`` per utterance.

    Raises
    ------
    TranscriptValidationError
        Missing columns, missing text, or a language without a pipeline; names the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.datasets.summary import summarize_corpus
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": ["d1", "d1", "d2"], "turn": [0, 1, 0],
    ...                    "role": ["customer", "agent", "customer"], "lang": "en",
    ...                    "text": ["Hi there", "Hello, how can I help?", "Thanks"]})
    >>> summarize_corpus(df)[["role", "n_dialogues", "n_utterances", "mean_tokens"]]
           role  n_dialogues  n_utterances  mean_tokens
    0     agent            1             1          5.0
    1  customer            2             2          1.5
    """
    by = list(by)
    needed = list(dict.fromkeys(["corpus", "dialogue_id", *by, *(["text", "lang"] if tokens else [])]))
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise TranscriptValidationError(
            _failures([None] * len(missing), "", "required column missing", missing)
            .assign(column=missing, value=None),
            source="summarize_corpus input",
        )
    keys = df[by]
    if keys.isna().any().any():
        bad = keys[keys.isna().any(axis=1)]
        raise TranscriptValidationError(
            _failures(bad.index, ",".join(by), "grouping value is missing",
                      [tuple(r) for r in bad.itertuples(index=False)]),
            source="summarize_corpus input",
        )
    work = df[needed].copy()
    work["_dlg"] = list(zip(work["corpus"], work["dialogue_id"], strict=True))
    aggs = {"n_dialogues": ("_dlg", "nunique"), "n_utterances": ("_dlg", "size")}
    if tokens:
        bad_text = work["text"].isna()
        bad_lang = ~work["lang"].isin(SUPPORTED_LANGS)
        no_tok = f"no tokenizer; expected one of {SUPPORTED_LANGS}"
        if bad_text.any() or bad_lang.any():
            raise TranscriptValidationError(
                pd.concat([
                    _failures(work.index[bad_text], "text", "text is missing", work.loc[bad_text, "text"]),
                    _failures(work.index[bad_lang], "lang", no_tok, work.loc[bad_lang, "lang"]),
                ], ignore_index=True),
                source="summarize_corpus input",
            )
        work["_tokens"] = 0
        for lang, idx in work.groupby("lang").groups.items():
            work.loc[idx, "_tokens"] = token_counts(work.loc[idx, "text"].astype(str).tolist(), lang)
        aggs |= {"mean_tokens": ("_tokens", "mean"), "median_tokens": ("_tokens", "median")}
    out = work.groupby(by, sort=True, observed=True).agg(**aggs).reset_index()
    out["utterances_per_dialogue"] = out["n_utterances"] / out["n_dialogues"]
    parent = out.groupby(by[:-1], observed=True)["n_utterances"].transform("sum") if len(by) > 1 \
        else out["n_utterances"].sum()
    out["share_utterances"] = out["n_utterances"] / parent
    first = [*by, "n_dialogues", "n_utterances", "utterances_per_dialogue", "share_utterances"]
    return out[first + (["mean_tokens", "median_tokens"] if tokens else [])]
