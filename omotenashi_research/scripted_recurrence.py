"""Scriptedness of a corpus: which utterances (or sentences) have a template recurring across dialogues.

Holds :func:`scriptedness`: per unit, its template key and the number of distinct dialogues of
the corpus in which that key occurs; per dialogue, the share of units whose key recurs. The
share grows with corpus size; :mod:`omotenashi_research.scripted_subsampling` compares corpora
at one size. Public path: :mod:`omotenashi_research.scripted`.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from omotenashi_research.scripted_sentences import _UTT_COLS, _check_utterances, sentence_table
from omotenashi_research.scripted_templates import template_key

__all__ = ["scriptedness"]


def scriptedness(
    utterances_df: pd.DataFrame,
    *,
    min_dialogues: int = 5,
    role: str | None = "agent",
    level: Literal["utterance", "dialogue"] = "utterance",
    unit: Literal["utterance", "sentence"] = "utterance",
) -> pd.DataFrame:
    """Flag utterances (or sentences) whose template recurs across dialogues, and the share per dialogue.

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
        ``"utterance"``: one row per considered unit with ``template``,
        ``template_n_dialogues`` and ``template_recurs`` (bool). ``"dialogue"``: one row per
        dialogue (every dialogue of the input, also those without such turns) with
        ``n_utterances`` (``n_sentences`` for sentences) and ``scripted_share`` (NaN when that is 0).
    unit : {"utterance", "sentence"}
        What gets a template key: the whole turn, or each sentence of it (:func:`sentence_table`;
        the rows then also carry ``sentence``).

    Note that the share depends on the number of dialogues in the corpus; compare corpora of
    different sizes with :func:`scripted_share_subsampled`.

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
    >>> df.loc[1, "text"] = "Hm. Thank you for 4 calls."
    >>> scriptedness(df, min_dialogues=2, unit="sentence")["template_recurs"].tolist()
    [True, False, True, True]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "scriptedness")
    if min_dialogues < 1:
        raise ValueError(f"min_dialogues must be >= 1, got {min_dialogues}")
    if level not in ("utterance", "dialogue"):
        raise ValueError(f"level must be 'utterance' or 'dialogue', not {level!r}")
    if unit == "sentence":
        sel = sentence_table(utterances_df, role=role)
        out = sel[["corpus", "dialogue_id", "turn", "sentence"]].copy()
    elif unit == "utterance":
        # Only the columns read here are filtered (a features table can have a hundred more).
        sel = utterances_df[["corpus", "dialogue_id", "turn", "text", "lang"]]
        if role is not None:
            sel = sel[utterances_df["role"] == role]
        out = sel[["corpus", "dialogue_id", "turn"]].copy()
    else:
        raise ValueError(f"unit must be 'utterance' or 'sentence', not {unit!r}")
    # Lists first: iterating a (pyarrow-backed) string column element by element is slow.
    texts, langs = sel["text"].tolist(), sel["lang"].tolist()
    out["template"] = [template_key(t, lg) for t, lg in zip(texts, langs, strict=True)]
    n_dial = out.groupby(["corpus", "template"])["dialogue_id"].transform("nunique")
    out["template_n_dialogues"] = n_dial.astype("int64")
    out["template_recurs"] = out["template_n_dialogues"] >= min_dialogues
    if level == "utterance":
        return out.reset_index(drop=True)
    n_col = "n_sentences" if unit == "sentence" else "n_utterances"
    dialogues = utterances_df[["corpus", "dialogue_id"]].drop_duplicates()
    agg = (
        out.groupby(["corpus", "dialogue_id"], sort=False)["template_recurs"]
        .agg(**{n_col: "size", "scripted_share": "mean"})
        .reset_index()
    )
    res = dialogues.merge(agg, on=["corpus", "dialogue_id"], how="left")
    res[n_col] = res[n_col].fillna(0).astype("int64")
    res["scripted_share"] = res["scripted_share"].astype(float)
    return res.reset_index(drop=True)
