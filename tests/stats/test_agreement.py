"""Fleiss' kappa and Krippendorff's alpha against published worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from omotenashi_research.stats.agreement import fleiss_kappa, krippendorff_alpha, vote_counts

# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists, 5 diagnoses (counts per category).
# Published kappa = 0.430 (also R irr::kappam.fleiss(diagnoses) -> 0.430).
FLEISS_1971 = np.array([
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
])

# Wikipedia "Fleiss' kappa" worked example: 10 items, 14 raters, 5 categories; P-bar = 0.378,
# P-e-bar = 0.213, kappa = 0.210.
WIKIPEDIA = np.array([
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
])

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", 4 observers x 12 units with
# missing values: nominal 0.743, ordinal 0.815, interval 0.849.
N = np.nan
KRIPP = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
])


def table_to_votes(table: np.ndarray) -> list[tuple]:
    return [tuple(np.repeat(np.arange(1, table.shape[1] + 1), row)) for row in table]


def test_fleiss_1971_table():
    res = fleiss_kappa(FLEISS_1971).iloc[0]
    assert res["kappa"] == pytest.approx(0.430, abs=5e-4)
    assert (res["n_items"], res["min_raters"], res["max_raters"]) == (30, 6, 6)
    assert res["method"] == "Fleiss (1971)"
    # Same answer from one tuple of votes per item and from a long table.
    assert fleiss_kappa(table_to_votes(FLEISS_1971))["kappa"].iloc[0] == pytest.approx(res["kappa"])
    long = pd.DataFrame([(i, v) for i, vs in enumerate(table_to_votes(FLEISS_1971)) for v in vs],
                        columns=["patient", "diagnosis"])
    got = fleiss_kappa(long, item="patient", rating="diagnosis")["kappa"].iloc[0]
    assert got == pytest.approx(res["kappa"])


def test_fleiss_wikipedia_example():
    res = fleiss_kappa(WIKIPEDIA).iloc[0]
    assert res["kappa"] == pytest.approx(0.210, abs=5e-4)
    assert res["p_observed"] == pytest.approx(0.378, abs=5e-4)
    assert res["p_expected"] == pytest.approx(0.213, abs=5e-4)


def test_fleiss_unequal_raters_by_hand():
    # Items (1,1,1) (2,2,1) (3,3,3) (1,2,2) (3,3):
    # P_i = 1, 1/3, 1, 1/3, 1 -> p_o = 11/15; pi = (1/3, 4/15, 2/5) -> p_e = 77/225
    # kappa = (11/15 - 77/225) / (1 - 77/225) = 88/148 = 0.594595
    votes = [(1, 1, 1), (2, 2, 1), (3, 3, 3), (1, 2, 2), (3, 3)]
    res = fleiss_kappa(votes).iloc[0]
    assert res["p_observed"] == pytest.approx(11 / 15)
    assert res["p_expected"] == pytest.approx(77 / 225)
    assert res["kappa"] == pytest.approx(88 / 148)
    assert (res["min_raters"], res["max_raters"]) == (2, 3)
    assert "unequal" in res["method"]


def test_single_votes_and_unrated_items_are_reported():
    votes = [(1, 1, 1), (2, 2, 1), None, (3, 3, 3), (1, 2, 2), (3, 3), (2,), ()]
    res = fleiss_kappa(votes).iloc[0]
    assert res["n_items"] == 5 and res["n_items_excluded"] == 1


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 6).flatmap(
    lambda n: st.lists(st.lists(st.integers(1, 4), min_size=n, max_size=n), min_size=3, max_size=12)
))
def test_generalised_formula_reduces_to_fleiss(votes):
    table = vote_counts([tuple(v) for v in votes], categories=range(1, 5)).to_numpy()
    pi = table.sum(axis=0) / table.sum()
    if np.isclose(np.sum(pi**2), 1):
        return  # one category only: kappa undefined
    res = fleiss_kappa([tuple(v) for v in votes], categories=range(1, 5)).iloc[0]
    assert res["kappa"] == pytest.approx(sm_fleiss_kappa(table), abs=1e-10)
    # The generalised p_o / p_e give the same kappa when all items have n votes.
    assert (res["p_observed"] - res["p_expected"]) / (1 - res["p_expected"]) == pytest.approx(res["kappa"])


def test_fleiss_errors():
    with pytest.raises(ValueError, match="not one of the categories"):
        fleiss_kappa([(1, 2), (2, 7)], categories=range(1, 6))
    with pytest.raises(ValueError, match="one category"):
        fleiss_kappa([(1, 1), (1, 1), (1, 1)])
    with pytest.raises(ValueError, match="non-negative integers"):
        fleiss_kappa(np.array([[1.5, 2], [1, 2]]))
    with pytest.raises(TypeError, match="tuple of votes"):
        fleiss_kappa(["3,3,4", "1,2,2"])


@pytest.mark.parametrize("level, expected", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_canonical_example(level, expected):
    res = krippendorff_alpha(KRIPP, level=level).iloc[0]
    assert res["alpha"] == pytest.approx(expected, abs=5e-4)
    # Unit 12 has a single rating: not pairable. 40 pairable values (Krippendorff's n..).
    assert (res["n_items"], res["n_items_excluded"], res["n_ratings"]) == (11, 1, 40)
    # Long table with raters, long table without raters, and tuples of votes agree.
    cells = [(j, i, KRIPP[i, j]) for i in range(4) for j in range(12) if not np.isnan(KRIPP[i, j])]
    long = pd.DataFrame(cells, columns=["item", "rater", "rating"])
    assert krippendorff_alpha(long, level=level)["alpha"].iloc[0] == pytest.approx(res["alpha"])
    assert krippendorff_alpha(long, level=level, rater=None)["alpha"].iloc[0] == pytest.approx(res["alpha"])
    votes = [tuple(col[~np.isnan(col)]) for col in KRIPP.T]
    assert krippendorff_alpha(votes, level=level)["alpha"].iloc[0] == pytest.approx(res["alpha"])


def test_krippendorff_errors():
    long = pd.DataFrame({"item": [1, 1, 2], "rater": ["a", "a", "b"], "rating": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"rows \[0, 1\]"):
        krippendorff_alpha(long)
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(KRIPP, level="ratioo")
    with pytest.raises(ValueError, match="value_domain"):
        krippendorff_alpha(KRIPP, level="ordinal", value_domain=[1, 2, 3])


@pytest.mark.corpus
def test_uss_mwoz_turn_votes(corpora_dir):
    # SOURCE.md: MWOZ.txt has 11,553 USER utterances (OVERALL lines excluded); each holds 3-6 ratings.
    path = corpora_dir / "uss" / "dataset" / "MWOZ.txt"
    votes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[0] == "USER" and fields[1] != "OVERALL":
            votes.append(tuple(int(v) for v in fields[3].split(",")))
    kappa = fleiss_kappa(votes, categories=range(1, 6)).iloc[0]
    alpha = krippendorff_alpha(votes, level="ordinal", value_domain=range(1, 6)).iloc[0]
    assert kappa["n_items"] + kappa["n_items_excluded"] == 11_553
    assert alpha["n_items"] == kappa["n_items"]
    assert kappa["min_raters"] >= 3 and kappa["max_raters"] <= 7
    assert -1 < kappa["kappa"] < 1 and -1 < alpha["alpha"] < 1
