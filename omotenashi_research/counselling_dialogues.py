"""Counselling dialogues (KokoroChat), steps 1-3: from counsellor messages to one row per dialogue.

Split out of :mod:`omotenashi_research.counselling`, which re-exports every public name here and
describes the whole pipeline. Here: the measures and outcomes analysed (:data:`MEASURES`,
:data:`OUTCOMES`), the seeded choice of dialogues and folds (:func:`sample_dialogues`), the construct
flag of each counsellor message (:func:`counsellor_flags`, optionally in forked processes) and the share
of counsellor messages per measure in each dialogue with its ratings and confounders
(:func:`dialogue_measures`). Nothing here returns message text (KokoroChat is CC BY-NC-ND 4.0).
"""

from __future__ import annotations

import multiprocessing as mp
import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["MEASURES", "OUTCOMES", "SEED", "counsellor_flags", "dialogue_measures", "sample_dialogues"]

SEED = 20261128

#: measure -> construct flag columns (``c_<label>``); a message counts when any of them is 1.
#: ``keigo`` is honorific language beyond the polite -masu/-desu form (sonkeigo or kenjougo):
#: teineigo is on ~90 % of counsellor messages and barely varies between counsellors.
MEASURES: dict[str, tuple[str, ...]] = {
    "empathy": ("c_empathy",),
    "personalization": ("c_personalization",),
    "anticipation": ("c_anticipation",),
    "apology": ("c_apology",),
    "gratitude": ("c_gratitude",),
    "keigo": ("c_sonkeigo", "c_kenjougo"),
}

#: outcome column -> (label in words, model). Items are 0-5 (ordinal), ``score`` is 0-100 (linear mixed).
OUTCOMES: dict[str, tuple[str, str]] = {
    "score": ("total score (0-100)", "mixed"),
    "showed_acceptance_and_empathy": ("受容・共感 acceptance and empathy (0-5)", "ordinal"),
    "felt_heard_and_understood": ("felt heard and understood (0-5)", "ordinal"),
    "felt_respected": ("felt respected (0-5)", "ordinal"),
}

_FLAG_COLUMNS = sorted({c for cols in MEASURES.values() for c in cols})
# extract_features' warning about texts whose script contradicts their lang (counted, not repeated)
_SCRIPT_MISMATCH = re.compile(r"^(\d+) utterances.* script that contradicts their lang")


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(df.columns)}")


# --------------------------------------------------------------------------------------------------
# 1. which dialogues


def sample_dialogues(
    dialogue_ids: Sequence[str] | pd.Series, n: int | None = None, *, n_folds: int = 4, seed: int = SEED
) -> pd.DataFrame:
    """A seeded random subset of dialogues, dealt into ``n_folds`` folds of (nearly) equal size.

    Parameters
    ----------
    dialogue_ids : sequence of str
        All dialogue IDs (duplicates are ignored: pass the ``dialogue_id`` column of an utterance table).
    n : int, optional
        How many to keep (default: all).
    n_folds : int
        Folds the subset is dealt into, in the random order (fold = position modulo ``n_folds``), so
        each fold is itself a random subset: :func:`subset_stability` refits without each fold.
    seed : int

    Returns
    -------
    pandas.DataFrame
        ``dialogue_id``, ``fold`` (0 .. ``n_folds`` - 1), sorted by ``dialogue_id`` as given.

    Examples
    --------
    >>> s = sample_dialogues([str(i) for i in range(10)], 6, n_folds=3, seed=1)
    >>> len(s), sorted(s["fold"].value_counts().tolist())
    (6, [2, 2, 2])
    >>> s.equals(sample_dialogues([str(i) for i in range(10)], 6, n_folds=3, seed=1))
    True
    """
    ids = pd.unique(pd.Series(dialogue_ids, dtype=object).astype(str))
    n = len(ids) if n is None else int(n)
    if not 1 <= n <= len(ids):
        raise ValueError(f"sample_dialogues: n must be between 1 and {len(ids)} (the dialogues given), "
                         f"got {n}")
    if not 1 <= n_folds <= n:
        raise ValueError(f"sample_dialogues: n_folds must be between 1 and n={n}, got {n_folds}")
    order = np.random.default_rng(seed).permutation(len(ids))[:n]
    out = pd.DataFrame({"dialogue_id": ids[order], "fold": np.arange(n) % n_folds})
    rank = {d: i for i, d in enumerate(ids)}
    return out.sort_values("dialogue_id", key=lambda s: s.map(rank), kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# 2. per-message flags


def _flags_chunk(chunk: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[type[Warning], str]]]:
    """Construct flags of the counsellor rows of whole dialogues (keys and 0/1 flags only), and the
    warnings raised meanwhile (a worker process's warnings would otherwise be lost or interleaved)."""
    from omotenashi_research.constructs import construct_flags
    from omotenashi_research.features import extract_features

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        feats = extract_features(chunk, context=True, progress=False)
        flags = construct_flags(chunk, feats)
    agent = (chunk["role"] == "agent").to_numpy()
    out = pd.DataFrame({"dialogue_id": chunk["dialogue_id"].to_numpy()[agent],
                        "turn": chunk["turn"].to_numpy()[agent]})
    for c in _FLAG_COLUMNS:
        out[c] = flags[c].to_numpy(dtype="float64", na_value=np.nan)[agent]
    return out, [(w.category, str(w.message)) for w in caught]


def _chunks(utterances: pd.DataFrame, n_chunks: int) -> list[pd.DataFrame]:
    """About ``n_chunks`` pieces of whole dialogues with similar numbers of rows."""
    ids = utterances["dialogue_id"].to_numpy(dtype=object)
    codes, uniq = pd.factorize(ids)
    sizes = np.bincount(codes)
    target = len(ids) / max(n_chunks, 1)
    group_of_dialogue = np.minimum((np.cumsum(sizes) - sizes / 2) // target, n_chunks - 1).astype(int)
    group = group_of_dialogue[codes]
    return [utterances[group == g] for g in np.unique(group)]


def counsellor_flags(
    utterances: pd.DataFrame, *, n_process: int = 1, n_chunks: int | None = None
) -> pd.DataFrame:
    """The construct flags of :data:`MEASURES` for every counsellor (``role == "agent"``) message.

    Features are computed with ``extract_features(..., context=True)`` and flags with
    :func:`~omotenashi_research.constructs.construct_flags` (the shipped, validated models), on whole
    dialogues: personalization and anticipation read the client's earlier messages.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table of whole dialogues (e.g. rows of
        :func:`~omotenashi_research.datasets.load_kokorochat`).
    n_process : int
        Worker processes (``fork``; the spaCy pipeline and the models are loaded once, before forking).
        Each worker takes pieces of whole dialogues, so the result does not depend on ``n_process``.
    n_chunks : int, optional
        Pieces the dialogues are cut into (default ``4 * n_process``; more pieces balance the load).

    Returns
    -------
    pandas.DataFrame
        One row per counsellor message, in table order: ``dialogue_id``, ``turn`` and float 0/1 columns
        ``c_<label>`` (NaN where the model gives none). No text. ``attrs["script_mismatch"]``: how many
        messages (of either role) :func:`~omotenashi_research.features.extract_features` found written in
        a script that contradicts their ``lang`` (e.g. Latin letters only): their markers are missed. Its
        warning is counted here instead of repeated per piece; every other warning is re-raised, in
        piece order, in the calling process.

    Examples
    --------
    >>> import pandas as pd
    >>> utt = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": [0, 1],
    ...                     "role": ["customer", "agent"], "speaker": None, "lang": "ja",
    ...                     "text": ["相談したいことがあります。", "ご相談ありがとうございます。"]})
    >>> f = counsellor_flags(utt)
    >>> f[["dialogue_id", "turn", "c_gratitude"]].values.tolist()
    [['d1', 1, 1.0]]
    """
    _require(utterances, ["corpus", "dialogue_id", "turn", "role", "text", "lang"], "counsellor_flags")
    if n_process < 1:
        raise ValueError(f"counsellor_flags: n_process must be >= 1, got {n_process}")
    n_chunks = n_chunks or 4 * n_process
    pieces = _chunks(utterances, n_chunks if n_process > 1 else 1)
    if n_process == 1 or len(pieces) == 1:
        parts = [_flags_chunk(p) for p in pieces]
    else:
        # Load the tokenizer, matcher and models in this process so that forked workers share them.
        from omotenashi_research.constructs import load_models
        from omotenashi_research.markers.engine import get_matcher
        from omotenashi_research.nlp import get_pipeline

        get_pipeline("ja")
        get_matcher("ja")
        load_models()
        import sklearn.feature_extraction.text  # noqa: F401  (imported once, before forking)

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(n_process) as pool:
            parts = pool.map(_flags_chunk, pieces, chunksize=1)
    mismatched = 0
    for _, caught in parts:
        for category, message in caught:
            m = _SCRIPT_MISMATCH.match(message)
            if m:  # known: a few messages in Latin script only; counted, see the Returns section
                mismatched += int(m.group(1))
            else:
                warnings.warn(message, category, stacklevel=2)
    out = pd.concat([p for p, _ in parts], ignore_index=True)
    order = utterances.loc[utterances["role"] == "agent", ["dialogue_id", "turn"]].reset_index(drop=True)
    out = order.merge(out, on=["dialogue_id", "turn"], how="left", validate="one_to_one")
    out.attrs["script_mismatch"] = mismatched
    return out


# --------------------------------------------------------------------------------------------------
# 3. one row per dialogue


def dialogue_measures(
    utterances: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    measures: Mapping[str, Sequence[str]] = MEASURES,
    outcomes: Sequence[str] = tuple(OUTCOMES),
) -> pd.DataFrame:
    """Per dialogue: the share of counsellor messages with each measure, the ratings and the confounders.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table with the review columns repeated per row (``counselor_id``, ``client_id``,
        ``topic_main`` and the ``outcomes``), as :func:`~omotenashi_research.datasets.load_kokorochat`
        returns it. Text is not read.
    flags : pandas.DataFrame
        :func:`counsellor_flags` (``dialogue_id``, ``turn``, ``c_<label>``).
    measures : mapping
        Measure name -> flag columns (a message counts when any is 1).
    outcomes : sequence of str
        Rating columns to carry (constant within a dialogue).

    Returns
    -------
    pandas.DataFrame
        One row per dialogue (first-appearance order): ``dialogue_id``, ``counselor_id``,
        ``client_id``, ``topic_main``, ``n_messages`` (all messages), ``n_counsellor`` (counsellor
        messages), ``log_messages`` (natural log of ``n_messages``), the ``outcomes`` and
        ``<measure>_rate`` (share of counsellor messages flagged, 0-1).

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"dialogue_id": ["1"] * 4, "turn": [0, 1, 2, 3],
    ...                   "role": ["agent", "customer", "agent", "agent"], "counselor_id": 7,
    ...                   "client_id": 9, "topic_main": "Workplace Issues", "score": 60})
    >>> f = pd.DataFrame({"dialogue_id": ["1"] * 3, "turn": [0, 2, 3], "c_empathy": [1.0, 0.0, 1.0]})
    >>> d = dialogue_measures(u, f, measures={"empathy": ("c_empathy",)}, outcomes=["score"])
    >>> d[["n_messages", "n_counsellor", "empathy_rate"]].values.tolist()
    [[4.0, 3.0, 0.6666666666666666]]
    """
    _require(utterances, ["dialogue_id", "turn", "role", "counselor_id", "client_id", "topic_main",
                          *outcomes], "dialogue_measures(utterances)")
    cols = sorted({c for cs in measures.values() for c in cs})
    _require(flags, ["dialogue_id", "turn", *cols], "dialogue_measures(flags)")
    agent_keys = utterances.loc[utterances["role"] == "agent", ["dialogue_id", "turn"]]
    merged = agent_keys.merge(flags[["dialogue_id", "turn", *cols]], on=["dialogue_id", "turn"], how="left",
                              indicator=True)
    if (merged["_merge"] != "both").any():
        miss = merged.loc[merged["_merge"] != "both", ["dialogue_id", "turn"]].head(3).to_dict("records")
        raise ValueError(f"dialogue_measures: flags lack counsellor messages, e.g. {miss}")
    hit = pd.DataFrame({"dialogue_id": merged["dialogue_id"].to_numpy()})
    for name, cs in measures.items():
        vals = merged[list(cs)].to_numpy(dtype=float)
        if np.isnan(vals).all(axis=1).any():
            raise ValueError(f"dialogue_measures: measure {name!r} has messages without any flag value "
                             f"(NaN in {list(cs)}); were the flags computed for Japanese counsellor rows?")
        hit[f"{name}_rate"] = (np.nan_to_num(vals, nan=0.0) > 0).any(axis=1).astype(float)
    g = hit.groupby("dialogue_id", sort=False)
    rates = g.mean()
    rates.insert(0, "n_counsellor", g.size().astype(float))
    meta = utterances.groupby("dialogue_id", sort=False).agg(
        counselor_id=("counselor_id", "first"), client_id=("client_id", "first"),
        topic_main=("topic_main", "first"), n_messages=("turn", "size"),
        **{o: (o, "first") for o in outcomes})
    meta["n_messages"] = meta["n_messages"].astype(float)
    meta["log_messages"] = np.log(meta["n_messages"])
    meta["topic_main"] = meta["topic_main"].astype(str)
    out = meta.join(rates, how="left").reset_index()
    front = ["dialogue_id", "counselor_id", "client_id", "topic_main", "n_messages", "n_counsellor",
             "log_messages", *outcomes]
    return out[front + [f"{m}_rate" for m in measures]]
