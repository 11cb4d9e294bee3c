"""Counselling dialogues (KokoroChat): counsellor behaviour vs the client's rating, at dialogue level.

Question: do counsellors whose messages carry more empathy, personalization, anticipation, apology,
gratitude or keigo get higher client ratings? The functions here turn per-message construct flags
(:func:`omotenashi_research.constructs.construct_flags`) into one row per dialogue, fit one model per
(rating, measure) with the counsellor as the cluster, adjust the family of tests, and check that the
estimates do not hinge on which dialogues were analysed.

Pipeline (each step a tidy :class:`pandas.DataFrame`):

1. :func:`sample_dialogues` -- a seeded random subset of dialogues split into folds (when featurising
   the whole corpus does not fit the time budget);
2. :func:`counsellor_flags` -- per counsellor message, the 0/1 flag of each construct in
   :data:`MEASURES` (no text), computed on whole dialogues (context features need the client's
   earlier messages), optionally in two processes;
3. :func:`dialogue_measures` -- per dialogue, the share of counsellor messages with each measure,
   the ratings and the confounders (length, topic);
4. :func:`fit_family` -- one proportional-odds model (0-5 items) or linear mixed model (total score)
   per (outcome, measure), effect per SD of the share, CIs, family-adjusted p-values;
5. :func:`subset_stability` -- the same family refitted on several subsets (spread of the estimates);
6. :func:`findings_rows` -- the family as rows of the project's findings table.

KokoroChat is counselling, not commerce; both roles are role-played by trained counsellors; its licence
(CC BY-NC-ND 4.0) forbids sharing derived text, so nothing here returns message text.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from omotenashi_research.stats.multitest import p_adjust

__all__ = [
    "MEASURES",
    "OUTCOMES",
    "SEED",
    "counsellor_flags",
    "dialogue_measures",
    "findings_rows",
    "fit_family",
    "model_frame",
    "sample_dialogues",
    "subset_stability",
]

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


# --------------------------------------------------------------------------------------------------
# 4. the model family


def model_frame(dialogues: pd.DataFrame, *, min_topic: int = 30, bottom: int = 1) -> pd.DataFrame:
    """The modelling table: rare topics pooled, the bottom item categories merged.

    Parameters
    ----------
    dialogues : pandas.DataFrame
        :func:`dialogue_measures` output.
    min_topic : int
        Topics with fewer dialogues than this are pooled as ``"(rare topics)"``: one dummy per topic
        with a handful of dialogues would add noise, not adjustment.
    bottom : int
        0-5 item ratings below ``bottom`` are set to ``bottom`` (default 1: the 0 category holds under
        1 % of the ratings, too few for a stable threshold in a subset). ``score`` is untouched.

    Returns
    -------
    pandas.DataFrame
        A copy with ``topic`` (str) added and the 0-5 ordinal outcomes of :data:`OUTCOMES` floored.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"topic_main": ["a"] * 3 + ["b"], "felt_respected": [0, 3, 5, 4]})
    >>> m = model_frame(d, min_topic=2)
    >>> m["topic"].tolist(), m["felt_respected"].tolist()
    (['a', 'a', 'a', '(rare topics)'], [1, 3, 5, 4])
    """
    _require(dialogues, ["topic_main"], "model_frame")
    out = dialogues.copy()
    counts = out["topic_main"].astype(str).value_counts()
    rare = counts.index[counts < min_topic]
    out["topic"] = out["topic_main"].astype(str).where(~out["topic_main"].astype(str).isin(rare),
                                                       "(rare topics)")
    for o, (_, kind) in OUTCOMES.items():
        if kind == "ordinal" and o in out.columns:
            out[o] = out[o].clip(lower=bottom)
    return out


def _fit_one(df: pd.DataFrame, outcome: str, kind: str, rate: str, covariates: Sequence[str],
             cluster: str) -> dict:
    from omotenashi_research.stats.models import fit_mixed, fit_ordinal

    x = df[rate].to_numpy(dtype=float)
    sd = float(x.std(ddof=1))
    if not np.isfinite(sd) or np.ptp(x) == 0:
        raise ValueError(f"fit_family: {rate!r} does not vary in these dialogues")
    data = df.assign(z_rate=(x - x.mean()) / sd)
    rhs = " + ".join(["z_rate", *covariates])
    if kind == "ordinal":
        fit = fit_ordinal(data, f"{outcome} ~ {rhs}", cluster=cluster)
        row = fit.coefs_.set_index("term").loc["z_rate"]
        est, lo, hi = math.exp(row["estimate"]), math.exp(row["ci_low"]), math.exp(row["ci_high"])
        name, converged = "odds ratio per SD", bool(fit.converged_)
    else:
        fit = fit_mixed(data, f"{outcome} ~ {rhs}", groups=cluster)
        row = fit.coefs_.set_index("term").loc["z_rate"]
        est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
        name, converged = "points per SD", bool(getattr(fit.result, "converged", True))
    return {"estimate_name": name, "estimate": est, "ci_low": lo, "ci_high": hi, "p": float(row["p"]),
            "sd_rate": sd, "converged": converged}


def fit_family(
    dialogues: pd.DataFrame,
    *,
    measures: Sequence[str] = tuple(MEASURES),
    outcomes: Mapping[str, tuple[str, str]] = OUTCOMES,
    covariates: Sequence[str] = ("log_messages", "C(topic)"),
    cluster: str = "counselor_id",
    adjust: str = "holm",
    min_topic: int = 30,
    n_process: int = 1,
) -> pd.DataFrame:
    """One model per (outcome, measure), the measure standardised, confounders adjusted, p family-adjusted.

    0-5 items: proportional-odds logit (:func:`~omotenashi_research.stats.models.fit_ordinal`) with
    counsellor-clustered (sandwich) SEs; effect = odds ratio of a higher rating per SD of the measure's
    share. Total score: linear mixed model with a random intercept per counsellor
    (:func:`~omotenashi_research.stats.models.fit_mixed`); effect = score points per SD. Every model
    adjusts for ``covariates`` (default: log dialogue length and topic, rare topics pooled by
    :func:`model_frame`). The p-values of the whole family (all outcomes x measures) are adjusted
    together with :func:`~omotenashi_research.stats.multitest.p_adjust`.

    Parameters
    ----------
    dialogues : pandas.DataFrame
        :func:`dialogue_measures` output (``<measure>_rate``, the outcomes, ``log_messages``,
        ``topic_main`` and the ``cluster`` column).
    measures : sequence of str
    outcomes : mapping
        Outcome column -> (label, ``"ordinal"`` or ``"mixed"``).
    covariates : sequence of str
        Formula terms added to every model (``[]`` for unadjusted models).
    cluster : str
    adjust : str
        Any method of :func:`~omotenashi_research.stats.multitest.p_adjust` (``"holm"``, ``"BH"``).
    min_topic : int
        See :func:`model_frame`.
    n_process : int
        Fit the models in this many forked processes (the result does not depend on it).

    Returns
    -------
    pandas.DataFrame
        One row per (outcome, measure): ``outcome``, ``outcome_label``, ``measure``, ``model``,
        ``estimate_name``, ``estimate``, ``ci_low``, ``ci_high`` (95 % Wald), ``p``, ``p_adj``,
        ``adjustment``, ``sd_rate`` (the SD the effect is scaled by), ``mean_rate``, ``n``
        (dialogues), ``n_clusters``, ``converged``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 300
    >>> d = pd.DataFrame({"counselor_id": rng.integers(0, 30, n), "topic_main": "t",
    ...                   "log_messages": rng.normal(4.4, 0.3, n), "empathy_rate": rng.uniform(0, 0.4, n)})
    >>> counsellor = rng.normal(0, 4, 30)[d["counselor_id"]]
    >>> d["score"] = 50 + 40 * d["empathy_rate"] + counsellor + rng.normal(0, 5, n)
    >>> fam = fit_family(d, measures=["empathy"], outcomes={"score": ("total", "mixed")},
    ...                  covariates=["log_messages"])
    >>> fam[["measure", "estimate_name"]].values.tolist()
    [['empathy', 'points per SD']]
    >>> bool(fam["ci_low"].iloc[0] > 0)
    True
    """
    _require(dialogues, [cluster, *(f"{m}_rate" for m in measures), *outcomes], "fit_family")
    if n_process < 1:
        raise ValueError(f"fit_family: n_process must be >= 1, got {n_process}")
    df = model_frame(dialogues, min_topic=min_topic)
    tasks = []
    for outcome, (_, kind) in outcomes.items():
        if kind not in ("ordinal", "mixed"):
            raise ValueError(f"fit_family: model for {outcome!r} must be 'ordinal' or 'mixed', got {kind!r}")
        tasks += [(df, outcome, kind, f"{m}_rate", tuple(covariates), cluster) for m in measures]
    if n_process == 1 or len(tasks) == 1:
        results = [_fit_one(*t) for t in tasks]
    else:
        # the fits are independent: fork workers (each gets its own copy of the small table)
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(n_process) as pool:
            results = pool.starmap(_fit_one, tasks, chunksize=1)
    rows = []
    for (_, outcome, kind, rate, _, _), res in zip(tasks, results, strict=True):
        m = rate.removesuffix("_rate")
        rows.append({"outcome": outcome, "outcome_label": outcomes[outcome][0], "measure": m, "model": kind,
                     **res, "mean_rate": float(df[rate].mean()), "n": len(df),
                     "n_clusters": int(df[cluster].nunique())})
    out = pd.DataFrame(rows)
    out["p_adj"] = p_adjust(out["p"].to_numpy(), adjust)
    out["adjustment"] = f"{adjust} over {len(out)} tests"
    return out[["outcome", "outcome_label", "measure", "model", "estimate_name", "estimate", "ci_low",
                "ci_high", "p", "p_adj", "adjustment", "sd_rate", "mean_rate", "n", "n_clusters",
                "converged"]]


# --------------------------------------------------------------------------------------------------
# 5. does it depend on the subset?


def subset_stability(
    dialogues: pd.DataFrame, folds: pd.DataFrame, **family_kwargs
) -> pd.DataFrame:
    """Refit :func:`fit_family` without each fold in turn: how much do the estimates move?

    Parameters
    ----------
    dialogues : pandas.DataFrame
        :func:`dialogue_measures` output.
    folds : pandas.DataFrame
        ``dialogue_id``, ``fold`` (:func:`sample_dialogues`).
    **family_kwargs
        Passed to :func:`fit_family`.

    Returns
    -------
    pandas.DataFrame
        One row per (outcome, measure): ``outcome``, ``measure``, ``estimate_name``, ``n_subsets``,
        ``n_per_subset`` (dialogues in each refit), ``estimate_min``, ``estimate_max`` (range over the
        leave-one-fold-out refits), ``same_sign`` (all refits on the same side of no effect: 1 for odds
        ratios, 0 for points) and ``n_significant`` (refits whose unadjusted 95 % CI excludes no effect).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> n = 400
    >>> d = pd.DataFrame({"dialogue_id": [str(i) for i in range(n)], "counselor_id": rng.integers(0, 40, n),
    ...                   "topic_main": "t", "log_messages": 4.0, "empathy_rate": rng.uniform(0, 0.4, n)})
    >>> counsellor = rng.normal(0, 4, 40)[d["counselor_id"]]
    >>> d["score"] = 50 + 40 * d["empathy_rate"] + counsellor + rng.normal(0, 5, n)
    >>> folds = sample_dialogues(d["dialogue_id"], n_folds=4)
    >>> st = subset_stability(d, folds, measures=["empathy"], outcomes={"score": ("total", "mixed")},
    ...                       covariates=[])
    >>> st[["n_subsets", "n_per_subset", "same_sign", "n_significant"]].values.tolist()
    [[4, 300, True, 4]]
    """
    _require(folds, ["dialogue_id", "fold"], "subset_stability(folds)")
    fold_of = folds.set_index("dialogue_id")["fold"]
    f = dialogues["dialogue_id"].map(fold_of)
    if f.isna().any():
        raise ValueError(f"subset_stability: {int(f.isna().sum())} dialogue(s) have no fold")
    fits = []
    for k in sorted(f.unique()):
        keep = dialogues[(f != k).to_numpy()]
        fits.append(fit_family(keep, **family_kwargs).assign(left_out=k))
    allfits = pd.concat(fits, ignore_index=True)
    null = np.where(allfits["estimate_name"].str.startswith("odds"), 1.0, 0.0)
    allfits["above"] = allfits["estimate"] > null
    allfits["sig"] = (allfits["ci_low"] > null) | (allfits["ci_high"] < null)
    g = allfits.groupby(["outcome", "measure"], sort=False)
    return pd.DataFrame({
        "estimate_name": g["estimate_name"].first(),
        "n_subsets": g.size(),
        "n_per_subset": g["n"].median().astype(int),
        "estimate_min": g["estimate"].min(),
        "estimate_max": g["estimate"].max(),
        "same_sign": g["above"].nunique() == 1,
        "n_significant": g["sig"].sum().astype(int),
    }).reset_index()


# --------------------------------------------------------------------------------------------------
# 6. findings


def findings_rows(
    family: pd.DataFrame,
    *,
    notebook: str,
    data: str,
    quality: Mapping[str, str] | None = None,
    caveats: str = "",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The family as findings rows (the columns of ``omotenashi_research.findings.FINDING_COLUMNS``).

    Verdict per row: ``"supported"`` when the family-adjusted p is below ``alpha`` and the effect is
    positive (odds ratio > 1, points > 0), ``"not supported"`` when it is significant the other way,
    ``"inconclusive"`` otherwise.

    Parameters
    ----------
    family : pandas.DataFrame
        :func:`fit_family` output.
    notebook : str
        Notebook name (without ``.ipynb``).
    data : str
        What data the estimates come from (corpus, subset).
    quality : mapping, optional
        Measure -> measurement-quality text (validated precision/recall); default empty.
    caveats : str
    alpha : float

    Returns
    -------
    pandas.DataFrame
        ``notebook, id, hypothesis, data, measure, estimate_name, estimate, ci_low, ci_high, p_adj,
        adjustment, verdict, measure_quality, caveats, n``.

    Examples
    --------
    >>> import pandas as pd
    >>> fam = pd.DataFrame({"outcome": ["score"], "outcome_label": ["total"], "measure": ["empathy"],
    ...                     "estimate_name": ["points per SD"], "estimate": [2.0], "ci_low": [1.0],
    ...                     "ci_high": [3.0], "p_adj": [0.001], "adjustment": ["holm over 1 tests"],
    ...                     "n": [100]})
    >>> findings_rows(fam, notebook="nb", data="d")[["id", "verdict"]].values.tolist()
    [['empathy-score', 'supported']]
    """
    _require(family, ["outcome", "outcome_label", "measure", "estimate_name", "estimate", "ci_low", "ci_high",
                      "p_adj", "adjustment", "n"], "findings_rows")
    quality = quality or {}
    null = np.where(family["estimate_name"].str.startswith("odds"), 1.0, 0.0)
    sig = family["p_adj"].to_numpy() < alpha
    up = family["estimate"].to_numpy() > null
    verdict = np.where(sig & up, "supported", np.where(sig, "not supported", "inconclusive"))
    hyp = [f"Dialogues whose counsellor messages carry more {m} get a higher client rating: {lab}"
           for m, lab in zip(family["measure"], family["outcome_label"], strict=True)]
    return pd.DataFrame({
        "notebook": notebook,
        "id": family["measure"] + "-" + family["outcome"],
        "hypothesis": hyp,
        "data": data,
        "measure": family["measure"] + " (share of counsellor messages)",
        "estimate_name": family["estimate_name"],
        "estimate": family["estimate"].astype(float),
        "ci_low": family["ci_low"].astype(float),
        "ci_high": family["ci_high"].astype(float),
        "p_adj": family["p_adj"].astype(float),
        "adjustment": family["adjustment"],
        "verdict": verdict,
        "measure_quality": [quality.get(m, "") for m in family["measure"]],
        "caveats": caveats,
        "n": family["n"].astype(int),
    })
