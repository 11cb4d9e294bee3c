"""Satisfaction building blocks (omotenashi_research.satisfaction): invented dialogues, hand-computed
values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.satisfaction import (
    SatisfactionInputError,
    dialogue_exposure,
    effect_verdicts,
    satisfaction_agreement,
    turn_exposure,
    vote_agreement,
    zscore,
)


def _toy() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two invented dialogues; turn 4 of d1 is missing (a dropped line)."""
    utts = pd.DataFrame({
        "corpus": "toy",
        "dialogue_id": ["d1"] * 5 + ["d2"] * 4,
        "turn": [0, 1, 2, 3, 5, 0, 1, 2, 3],
        "role": ["agent", "customer", "agent", "customer", "customer",
                 "customer", "agent", "customer", "customer"],
        "sat_turn": [np.nan, 3, np.nan, 1, 4, 5, np.nan, 2, 3],
        "sat_dialogue": [3] * 5 + [4] * 4,
    })
    flags = pd.DataFrame({"c_apology": [1, pd.NA, 0, pd.NA, pd.NA, pd.NA, 1, pd.NA, pd.NA],
                          "c_empathy": [0, pd.NA, 1, pd.NA, pd.NA, pd.NA, 1, pd.NA, pd.NA]}, dtype="Int64")
    return utts, flags


# ----------------------------------------------------------------------------------------- turn_exposure


def test_turn_exposure_pairs_each_customer_turn_with_the_agent_turn_right_before():
    utts, flags = _toy()
    out = turn_exposure(utts, flags)
    # d1 turn 1 (after agent 0), d1 turn 3 (after agent 2), d2 turn 2 (after agent 1); not d1 turn 5 (gap),
    # not d2 turn 0 (nothing before) nor d2 turn 3 (after a customer turn)
    assert out[["dialogue_id", "turn"]].values.tolist() == [["d1", 1], ["d1", 3], ["d2", 2]]
    assert out["prev_apology"].tolist() == [1, 0, 1]
    assert out["prev_empathy"].tolist() == [0, 1, 1]
    assert out["sat_turn"].tolist() == [3, 1, 2]
    assert out["prev_apology"].dtype == int
    assert list(out.columns) == ["corpus", "dialogue_id", "turn", "sat_turn", "prev_apology", "prev_empathy"]


def test_turn_exposure_ignores_row_order_and_index():
    utts, flags = _toy()
    order = np.random.default_rng(0).permutation(len(utts))
    shuffled = turn_exposure(utts.iloc[order].set_axis(range(100, 109)),
                             flags.iloc[order].set_axis(range(100, 109)))
    pd.testing.assert_frame_equal(shuffled, turn_exposure(utts, flags))


def test_turn_exposure_counts_are_read_as_presence():
    utts, flags = _toy()
    out = turn_exposure(utts, flags.assign(c_apology=flags["c_apology"] * 3), columns=["c_apology"])
    assert out["prev_apology"].tolist() == [1, 0, 1]


def test_turn_exposure_refuses_unmeasured_agent_turns():
    utts, flags = _toy()
    flags.loc[2, "c_apology"] = pd.NA
    with pytest.raises(SatisfactionInputError, match=r"missing on agent turn \('toy', 'd1', 2\)"):
        turn_exposure(utts, flags)


def test_turn_exposure_refuses_duplicate_turns_and_misaligned_flags():
    utts, flags = _toy()
    dup = pd.concat([utts, utts.iloc[[0]]], ignore_index=True)
    with pytest.raises(SatisfactionInputError, match="must be unique"):
        turn_exposure(dup, pd.concat([flags, flags.iloc[[0]]], ignore_index=True))
    with pytest.raises(SatisfactionInputError, match="same index"):
        turn_exposure(utts, flags.iloc[1:])
    with pytest.raises(SatisfactionInputError, match=r"lacks column\(s\) \['sat_turn'\]"):
        turn_exposure(utts.drop(columns="sat_turn"), flags)
    with pytest.raises(SatisfactionInputError, match="no flag columns"):
        turn_exposure(utts, flags.rename(columns=lambda c: c.upper()))


@st.composite
def _dialogues(draw):
    rows = []
    for d in range(draw(st.integers(1, 4))):
        turns = sorted(draw(st.sets(st.integers(0, 12), min_size=1, max_size=10)))
        for t in turns:
            rows.append({"corpus": "h", "dialogue_id": f"d{d}", "turn": t,
                         "role": draw(st.sampled_from(["agent", "customer"])),
                         "sat_turn": 3.0, "flag": draw(st.integers(0, 1))})
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(_dialogues())
def test_turn_exposure_property_matches_a_direct_lookup(df):
    utts = df.drop(columns="flag")
    flags = pd.DataFrame({"c_x": df["flag"].where(df["role"] == "agent")}, index=df.index)
    out = turn_exposure(utts, flags)
    lookup = {(r.dialogue_id, r.turn): (r.role, r.flag) for r in df.itertuples()}
    expected = [(r.dialogue_id, r.turn, lookup[(r.dialogue_id, r.turn - 1)][1]) for r in df.itertuples()
                if r.role == "customer" and lookup.get((r.dialogue_id, r.turn - 1), ("", 0))[0] == "agent"]
    got = list(zip(out["dialogue_id"], out["turn"], out["prev_x"], strict=True))
    assert sorted(got) == sorted(expected)


# ------------------------------------------------------------------------------------- dialogue_exposure


def test_dialogue_exposure_shares_hand_computed():
    utts, flags = _toy()
    out = dialogue_exposure(utts, flags)
    # d1: agent turns 0 (apology) and 2 (empathy) -> 1/2 each; d2: agent turn 1 has both -> 1
    assert out["dialogue_id"].tolist() == ["d1", "d2"]
    assert out["n_agent_turns"].tolist() == [2, 1]
    assert out["apology_share"].tolist() == [0.5, 1.0]
    assert out["empathy_share"].tolist() == [0.5, 1.0]
    assert out["apology_any"].tolist() == [1, 1]
    assert out["sat_dialogue"].tolist() == [3, 4]
    assert out.attrs["no_agent_turns"] == 0


def test_dialogue_exposure_counts_dialogues_without_agent_turns():
    utts, flags = _toy()
    extra = pd.DataFrame({"corpus": "toy", "dialogue_id": ["d3"], "turn": [0], "role": ["customer"],
                          "sat_turn": [3.0], "sat_dialogue": [3]})
    utts2 = pd.concat([utts, extra], ignore_index=True)
    flags2 = pd.concat([flags, pd.DataFrame({"c_apology": [pd.NA], "c_empathy": [pd.NA]}, dtype="Int64")],
                       ignore_index=True)
    out = dialogue_exposure(utts2, flags2, outcome=None)
    assert out["dialogue_id"].tolist() == ["d1", "d2"]
    assert out.attrs["no_agent_turns"] == 1
    assert "sat_dialogue" not in out.columns


# ------------------------------------------------------------------------------------------------ zscore


def test_zscore_hand_computed_and_with_reference():
    d = pd.DataFrame({"x": [2.0, 4.0, 6.0, 8.0]})  # mean 5, SD (ddof 1) sqrt(20/3) = 2.5819889
    z = zscore(d, ["x"])
    assert z["x_z"].tolist() == pytest.approx([-1.161895, -0.387298, 0.387298, 1.161895], abs=1e-6)
    assert z.attrs["zscore"]["x"] == pytest.approx((5.0, 2.5819889))
    g = zscore(pd.DataFrame({"x": [5.0, 7.5819889]}), ["x"], reference=d)
    assert g["x_z"].tolist() == pytest.approx([0.0, 1.0], abs=1e-6)
    assert "x" in zscore(d, ["x"], suffix="").columns and zscore(d, ["x"], suffix="")["x"].iloc[0] < 0


@pytest.mark.parametrize("data, match", [
    (pd.DataFrame({"x": [1.0, 1.0]}), "constant"),
    (pd.DataFrame({"x": [1.0, None]}), "missing values"),
    (pd.DataFrame({"x": ["a", "b"]}), "not numeric"),
    (pd.DataFrame({"y": [1.0, 2.0]}), "lacks column"),
])
def test_zscore_errors(data, match):
    with pytest.raises(SatisfactionInputError, match=match):
        zscore(data, ["x"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30).filter(
    lambda v: np.std(v) > 1e-3))
def test_zscore_property_mean_zero_sd_one(values):
    z = zscore(pd.DataFrame({"x": values}), ["x"])["x_z"]
    assert z.mean() == pytest.approx(0, abs=1e-9)
    assert z.std(ddof=1) == pytest.approx(1, abs=1e-9)


# ------------------------------------------------------------------------------------------- agreement


def test_vote_agreement_hand_computed_kappa_and_alpha():
    # 4 items x 3 votes on a 2-point scale.
    # Fleiss: P_i = 1, 1, 1/3, 1/3 -> P-bar = 2/3; p_1 = p_2 = 6/12 -> P_e = 1/2;
    # kappa = (2/3 - 1/2) / (1/2) = 1/3.
    # Krippendorff (two values, so every metric is the nominal one): coincidences o_11 = 4, o_22 = 4,
    # o_12 = o_21 = 2, n = 12, n_1 = n_2 = 6: alpha = 1 - (n - 1) o_12 / (n_1 n_2) = 1 - 22/36 = 7/18.
    items = pd.DataFrame({"v": [[1, 1, 1], [2, 2, 2], [1, 1, 2], [1, 2, 2]], "grp": ["a", "a", "b", "b"]})
    out = vote_agreement(items, "v", categories=[1, 2])
    assert out.loc[0, "fleiss_kappa"] == pytest.approx(1 / 3)
    assert out.loc[0, "observed_agreement"] == pytest.approx(2 / 3)
    assert out.loc[0, "kripp_alpha_ordinal"] == pytest.approx(7 / 18)
    assert out.loc[0, "items"] == 4 and out.loc[0, "votes_per_item"] == "3-3"
    by = vote_agreement(items, "v", by="grp", categories=[1, 2])
    assert by["grp"].tolist() == ["a", "b", "all"]
    assert by.loc[0, "fleiss_kappa"] == pytest.approx(1.0)
    assert vote_agreement(items, "v", by="grp", categories=[1, 2], pooled=None)["grp"].tolist() == ["a", "b"]


def test_vote_agreement_refuses_non_list_votes():
    with pytest.raises(SatisfactionInputError, match="list of votes"):
        vote_agreement(pd.DataFrame({"v": [3, 4]}), "v")


def test_satisfaction_agreement_levels_and_dialogues_per_corpus():
    # the same dialogue id in two corpora is two dialogues
    u = pd.DataFrame({"corpus": list("AAAABBBB"), "dialogue_id": list("11221122"), "turn": [0, 1] * 4,
                      "role": ["customer", "agent"] * 4,
                      "sat_turn_votes": [[3, 3, 3], None, [2, 2, 3], None] * 2,
                      "sat_dialogue_votes": ([[3, 3, 4]] * 2 + [[2, 2, 2]] * 2
                                             + [[4, 4, 4]] * 2 + [[1, 2, 2]] * 2)})
    out = satisfaction_agreement(u)
    assert out[["level", "corpus"]].values.tolist() == [["customer turn", "A"], ["customer turn", "B"],
                                                        ["customer turn", "all"], ["dialogue", "A"],
                                                        ["dialogue", "B"], ["dialogue", "all"]]
    assert out.loc[out["level"] == "dialogue", "items"].tolist() == [2, 2, 4]


def test_vote_agreement_names_the_group_that_fails():
    items = pd.DataFrame({"v": [[1, 1], [2, 2], [1, 2]], "grp": ["a", "a", "b"]})
    with pytest.raises(SatisfactionInputError, match="group 'b'"):
        vote_agreement(items, "v", by="grp", categories=[1, 2])


# -------------------------------------------------------------------------------------------- verdicts


def test_effect_verdicts_rules():
    e = pd.DataFrame({
        "ratio":         [1.5, 0.5, 1.02, 1.3, 2.0, 0.7],
        "ratio_ci_low":  [1.2, 0.4, 0.90, 0.8, 1.5, 0.5],
        "ratio_ci_high": [1.9, 0.6, 1.15, 2.1, 2.7, 0.9],
        "p_adj":         [0.001, 0.001, 0.8, 0.6, 0.001, 0.01],
        "expected": ["above 1", "above 1", "above 1", "above 1", "above 1", "below 1"],
        "precision": [0.9, 0.9, 0.9, 0.9, 0.3, np.nan],
    })
    out = effect_verdicts(e)
    assert out["verdict"].tolist() == ["supported", "not supported", "not supported", "inconclusive",
                                       "inconclusive", "supported"]
    assert "opposite" in out.loc[1, "verdict_reason"]
    assert "negligible" in out.loc[2, "verdict_reason"]
    assert "precision 0.30" in out.loc[4, "verdict_reason"]
    # a stricter negligible band turns the narrow null into inconclusive
    assert effect_verdicts(e, negligible=1.1).loc[2, "verdict"] == "inconclusive"


def test_effect_verdicts_errors():
    e = pd.DataFrame({"ratio": [1.0], "ratio_ci_low": [0.9], "ratio_ci_high": [1.1], "p_adj": [0.5],
                      "expected": ["up"]})
    with pytest.raises(SatisfactionInputError, match="'above 1' or 'below 1'"):
        effect_verdicts(e)
    with pytest.raises(SatisfactionInputError, match="negligible"):
        effect_verdicts(e.assign(expected="above 1"), negligible=0.8)
