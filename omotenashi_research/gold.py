"""Train the shipped construct models on the gold set and validate them on its test split.

``python -m omotenashi_research.gold train`` rebuilds ``omotenashi_research/models/constructs.json.gz`` from
``data/annotation`` (train split only); ``make validation`` then scores the test split once through
:func:`gold_validation` (rules and models side by side, per corpus and pooled, with 95 % CIs).

Both need the corpora (``OMOTENASHI_DATA``): the gold set stores IDs only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research import annotation as A
from omotenashi_research import constructs as C

__all__ = ["ROUND_STRATA", "SELECTION_STRATA", "gold_agreement", "gold_frames", "gold_validation",
           "train_shipped_models"]

_KEYS = ["corpus", "dialogue_id", "turn"]
#: the strata of the rounds drawn and labelled after the rules had last been revised on rounds 1-3
#: (round 4, and round 5 drawn to enlarge it): the rule-or-model choice is made on their train items,
#: and each round's test items are reported apart
ROUND_STRATA: dict[int, tuple[str, ...]] = {4: ("random_r4", "enriched_r4"), 5: ("random_r5", "enriched_r5")}
SELECTION_STRATA: tuple[str, ...] = (*ROUND_STRATA[4], *ROUND_STRATA[5])


def gold_frames(
    directory: str | Path | None = None,
    *,
    corpora: Mapping[str, pd.DataFrame] | None = None,
    features: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The gold items' whole dialogues, their feature table and the gold labels (with split and stratum).

    Returns
    -------
    (utterances, features, gold)
        ``utterances``: every turn of every dialogue holding a gold item (context for the models);
        ``features``: ``extract_features(utterances, context=True)`` (or the one passed in);
        ``gold``: items + adjudicated labels.
    """
    from omotenashi_research.features import extract_features

    directory = Path(directory) if directory is not None else A.ANNOTATION_DIR
    gold = A.gold_labels(directory)
    parts = []
    for corpus, g in gold.groupby("corpus", sort=False):
        given = corpora is not None and corpus in corpora
        utt = corpora[corpus] if given else A.load_annotation_corpus(corpus)
        utt = utt.assign(dialogue_id=utt["dialogue_id"].astype(str), corpus=corpus)
        utt = utt[utt["dialogue_id"].isin(set(g["dialogue_id"]))]
        if "speaker" not in utt.columns:
            utt = utt.assign(speaker=None)
        parts.append(utt[["corpus", "dialogue_id", "turn", "role", "speaker", "text", "lang"]])
    utterances = pd.concat(parts, ignore_index=True)
    if features is None:
        with warnings.catch_warnings():
            # MAIA-DQE customer turns in German/Portuguese have no lexicons: NA features, announced once
            warnings.filterwarnings("ignore", message=r".*languages without lexicons.*", category=UserWarning)
            features = extract_features(utterances, context=True, progress=False)
    return utterances, features, gold


def train_shipped_models(
    directory: str | Path | None = None,
    out: str | Path = C.MODEL_FILE,
    *,
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
) -> dict:
    """Fit every (language, label) model on the gold set's ``train`` split and write ``out``.

    The rules were written and revised on the train items of rounds 1 to 3; the round-4 and round-5 train
    items (:data:`SELECTION_STRATA`), labelled after the last revision, are what the rule-or-model choice is
    made on (see :func:`omotenashi_research.constructs.fit_constructs`), then every model is fitted on
    the whole train split.
    """
    utterances, features, gold = frames if frames is not None else gold_frames(directory)
    train = gold[gold["split"] == "train"].reset_index(drop=True)
    select = train["stratum"].isin(SELECTION_STRATA).to_numpy()
    models = C.fit_constructs(utterances, train, features=features,
                              select_on=select if select.any() else None)
    meta = {"trained_on": "data/annotation labels_adjudicated.csv, split == train",
            "n_train_items": int(len(train)), "date": _dt.date.today().isoformat(),
            "rule_or_model_chosen_on": f"stratum in {list(SELECTION_STRATA)} ({int(select.sum())} items)",
            "how": "python -m omotenashi_research.gold train"}
    C.save_models(models, out, meta=meta)
    return models


def gold_agreement(directory: str | Path | None = None) -> pd.DataFrame:
    """Cohen's kappa of the two annotators per language and label (all items)."""
    directory = Path(directory) if directory is not None else A.ANNOTATION_DIR
    items = A.read_items(directory / "items.csv")
    a = A.read_labels(directory / "labels_annotator_a.csv", items)
    b = A.read_labels(directory / "labels_annotator_b.csv", items)
    return A.annotation_agreement(a, b, items)


def _rule_flags(features: pd.DataFrame, utterances: pd.DataFrame) -> pd.DataFrame:
    out = utterances[_KEYS].copy()
    for label, col in C.RULE_COLUMNS.items():
        vals = pd.to_numeric(features[col], errors="coerce") if col in features.columns else np.nan
        out[f"c_{label}"] = (pd.Series(vals, index=features.index) > 0).astype("Int64").to_numpy()
    return out


def gold_predictions(
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(shipped, rule)`` flags for every turn of :func:`gold_frames` (computed once, scored many ways)."""
    utterances, features, _ = frames if frames is not None else gold_frames()
    return C.construct_flags(utterances, features), _rule_flags(features, utterances)


def gold_validation(
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    *,
    split: str = "test",
    by: Sequence[str] = ("lang", "corpus"),
    strata: Sequence[str] | None = None,
    predictions: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Precision/recall/F1 with CIs of the rules and of the shipped measure on one split.

    Parameters
    ----------
    frames : tuple, optional
        :func:`gold_frames` output (loaded when omitted).
    split : str
        ``"test"`` (default) or ``"train"``.
    by : sequence of str
        Grouping of the per-group rows (the language pool is always given too).
    strata : sequence of str, optional
        Score only items of these strata (e.g. ``ROUND_STRATA[5]`` for the round-5 test items).
    predictions : tuple, optional
        :func:`gold_predictions` output, to score several ways without recomputing it.

    Returns a tidy table with ``measure`` (``rule`` = the marker/context column alone, ``shipped`` = what
    :func:`omotenashi_research.constructs.construct_flags` outputs), ``lang``, ``corpus`` (``"pooled"`` for
    the language pool), ``label`` and the metrics of :func:`constructs.validate_constructs`.
    """
    frames = frames if frames is not None else gold_frames()
    gold = frames[2]
    part = gold[gold["split"] == split]
    if strata is not None:
        part = part[part["stratum"].isin(list(strata))]
    shipped, rules = predictions if predictions is not None else gold_predictions(frames)
    out = []
    for name, pred in (("rule", rules), ("shipped", shipped)):
        for grouping in (("lang",), tuple(by)):
            res = C.validate_constructs(pred, part, by=grouping)
            if "corpus" not in res.columns:
                res.insert(1, "corpus", "pooled")
            out.append(res.assign(measure=name))
    res = pd.concat(out, ignore_index=True)
    cols = ["measure", "lang", "corpus", "label"]
    return res[[*cols, *(c for c in res.columns if c not in cols)]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m omotenashi_research.gold", description=__doc__)
    parser.add_argument("command", choices=["train", "validate"])
    args = parser.parse_args(argv)
    frames = gold_frames()
    if args.command == "train":
        models = train_shipped_models(frames=frames)
        for (lang, label), m in sorted(models.items()):
            print(f"{lang} {label:16s} mode={m.mode_:5s} cv={m.cv_}")
    else:
        with pd.option_context("display.width", 200, "display.max_rows", 500):
            print(gold_validation(frames).round(3).to_string())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
