"""Counselling dialogues (KokoroChat), steps 4-6: the model family, its stability and its findings rows.

Split out of :mod:`omotenashi_research.counselling`, which re-exports every public name here and
describes the whole pipeline. Input is the one-row-per-dialogue table of
:func:`~omotenashi_research.counselling_dialogues.dialogue_measures`. Here: the modelling table
(:func:`model_frame`: rare topics pooled, the bottom item category merged), one model per (outcome,
measure) with the counsellor as the cluster and the family's p-values adjusted (:func:`fit_family`),
leave-one-fold-out refits (:func:`subset_stability`) and the family as findings rows
(:func:`findings_rows`).
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from omotenashi_research.counselling_dialogues import MEASURES, OUTCOMES, _require
from omotenashi_research.stats.multitest import p_adjust

__all__ = ["findings_rows", "fit_family", "model_frame", "subset_stability", "weak_measures"]


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
    >>> from omotenashi_research.counselling import sample_dialogues
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
    weak: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The family as findings rows (the columns of ``omotenashi_research.findings.FINDING_COLUMNS``).

    Verdict per row: ``"supported"`` when the family-adjusted p is below ``alpha`` and the effect is
    positive (odds ratio > 1, points > 0), ``"not supported"`` when it is significant the other way,
    ``"inconclusive"`` otherwise. A measure listed in ``weak`` gets ``"inconclusive"`` whatever the
    statistics say, with the verdict they would have given in the caveats (as
    :func:`omotenashi_research.crosslang.evaluate_hypotheses` does): an association of a measure that
    misses most of what it should count says little about the construct.

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
    weak : mapping, optional
        Measure -> why it is too weak to decide (e.g. ``"personalization (ja) P 0.76 R 0.25"``); see
        :func:`weak_measures`.

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
    weak = weak or {}
    notes = [caveats] * len(family)
    for i, m in enumerate(family["measure"]):
        if m in weak:
            withheld = (f"verdict withheld ({verdict[i]} on the statistics alone): measure too weak to "
                        f"decide: {weak[m]}")
            notes[i] = f"{caveats}; {withheld}" if caveats else withheld
            verdict[i] = "inconclusive"
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
        "caveats": notes,
        "n": family["n"].astype(int),
    })


def weak_measures(
    measures: Mapping[str, Sequence[str]], lang: str, *, min_quality: float = 0.5, path: str | None = None
) -> dict[str, str]:
    """Measures with a validated precision or recall below ``min_quality`` on the gold test split.

    Parameters
    ----------
    measures : mapping
        Measure -> its construct columns (:data:`~omotenashi_research.counselling_dialogues.MEASURES`);
        a measure is weak when any of its columns is.
    lang : str
    min_quality : float
        The threshold notebook 02 uses for its verdicts too (0.5).
    path : str, optional
        Gold test table (default ``docs/validation_gold_test.csv``).

    Returns
    -------
    dict
        Measure -> reason, for :func:`findings_rows` ``weak``.
    """
    from omotenashi_research.findings_quality import measure_quality

    out = {}
    for m, cols in measures.items():
        q = measure_quality(list(cols), lang=lang, path=path)
        bad = [f"{c.removeprefix('c_')} ({lang}) P {p:.2f} R {r:.2f}"
               for c, p, r in zip(q["column"], q["precision"], q["recall"], strict=True)
               if not (np.isfinite(p) and np.isfinite(r)) or p < min_quality or r < min_quality]
        if bad:
            out[m] = ", ".join(bad)
    return out
