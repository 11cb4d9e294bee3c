"""Gold-set scoring (omotenashi_research.gold): which items are scored, and the rounds-4/5 selection rows."""

from __future__ import annotations

import pandas as pd
import pytest

from omotenashi_research import annotation as A
from omotenashi_research import gold


def _frames() -> tuple[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]:
    # six invented agent turns: four test items (one of round 4, one of round 5), two train items
    keys = pd.DataFrame({"corpus": "demo", "dialogue_id": [f"d{i}" for i in range(6)], "turn": 1})
    strata = ["random", "enriched", "random_r4", "enriched_r5", "random_r4", "random"]
    split = ["test", "test", "test", "test", "train", "train"]
    gold_items = keys.assign(lang="en", stratum=strata, split=split, empathy=[1, 0, 1, 1, 1, 0])
    # shipped flags: right on d0, d1, d2; wrong on d3 (missed); rule flags everything
    shipped = keys.assign(c_empathy=pd.array([1, 0, 1, 0, 1, 0], dtype="Int64"))
    rule = keys.assign(c_empathy=pd.array([1, 1, 1, 1, 1, 1], dtype="Int64"))
    return (keys, keys, gold_items), (shipped, rule)


def _pooled(res: pd.DataFrame, measure: str) -> pd.Series:
    row = res[(res["measure"] == measure) & (res["corpus"] == "pooled") & (res["label"] == "empathy")]
    assert len(row) == 1
    return row.iloc[0]


def test_gold_validation_scores_the_test_split_only():
    frames, pred = _frames()
    res = gold.gold_validation(frames, predictions=pred)
    shipped = _pooled(res, "shipped")
    # test items d0-d3: y = 1,0,1,1; shipped 1,0,1,0 -> tp 2, fp 0, fn 1
    assert (shipped["n"], shipped["positives"], shipped["flagged"]) == (4, 3, 2)
    assert (shipped["precision"], shipped["recall"]) == pytest.approx((1.0, 2 / 3))
    rule = _pooled(res, "rule")
    assert (rule["n"], rule["flagged"], rule["precision"]) == (4, 4, pytest.approx(3 / 4))


def test_gold_validation_strata_keeps_only_the_given_rounds():
    frames, pred = _frames()
    res = gold.gold_validation(frames, predictions=pred, strata=gold.SELECTION_STRATA)
    shipped = _pooled(res, "shipped")
    # round-4/5 test items d2, d3: y = 1, 1; shipped 1, 0
    assert (shipped["n"], shipped["positives"], shipped["flagged"]) == (2, 2, 1)
    assert shipped["recall"] == pytest.approx(0.5)
    # round 5 alone: d3 only, missed
    r5 = _pooled(gold.gold_validation(frames, predictions=pred, strata=gold.ROUND_STRATA[5]), "shipped")
    assert (r5["n"], r5["positives"], r5["flagged"], r5["recall"]) == (1, 1, 0, 0.0)


def test_selection_strata_are_the_round_4_and_5_strata_of_the_item_list():
    assert set(gold.SELECTION_STRATA) == {"random_r4", "enriched_r4", "random_r5", "enriched_r5"}
    items = A.read_items()
    sel = items[items["stratum"].isin(gold.SELECTION_STRATA)]
    assert len(sel) == sum(A.ROUND4_SIZES.values()) + sum(A.ROUND5_SIZES.values())
    # both splits exist in each round: train rows choose rule or model, test rows are reported alone
    for strata in gold.ROUND_STRATA.values():
        assert set(items.loc[items["stratum"].isin(strata), "split"]) == {"train", "test"}
