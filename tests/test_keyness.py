"""Weighted log-odds (Monroe et al. 2008): hand-computed answers, tidylo's formula, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omotenashi_research.keyness import keyness, weighted_log_odds

A = {"x": 2, "y": 0, "z": 1}  # n_a = 3
B = {"x": 1, "y": 2, "z": 3}  # n_b = 6


def row(out, term):
    return out.set_index("term").loc[term]


def test_empirical_prior_hand_computed():
    # alpha_w = pooled counts: x 3, y 2, z 4; alpha0 = 9.
    # delta_x = log((2+3)/(3+9-2-3)) - log((1+3)/(6+9-1-3)) = log(5/7) - log(4/11) = log(55/28)
    # var_x = 1/5 + 1/4 = 0.45;  z_x = 0.6751287 / sqrt(0.45) = 1.0064224
    out = weighted_log_odds(A, B)
    x = row(out, "x")
    assert x["alpha"] == 3
    assert x["delta"] == pytest.approx(math.log(55 / 28))
    assert x["var"] == pytest.approx(0.45)
    assert x["z"] == pytest.approx(1.0064224073, abs=1e-9)
    # y: log((0+2)/(3+9-0-2)) - log((2+2)/(6+9-2-2)) = log(2/10) - log(4/11) = log(22/40)
    assert row(out, "y")["delta"] == pytest.approx(math.log(22 / 40))
    assert out["term"].tolist() == ["x", "z", "y"]  # sorted by z, descending


def test_uniform_prior_hand_computed():
    # alpha_w = 1, alpha0 = 3. y: log(1/(3+3-0-1)) - log(3/(6+3-2-1)) = log(1/5) - log(1/2) = log(0.4)
    # var_y = 1/1 + 1/3;  z_y = -0.9162907 / sqrt(4/3) = -0.7935311
    out = weighted_log_odds(A, B, prior="uniform")
    y = row(out, "y")
    assert y["delta"] == pytest.approx(math.log(0.4))
    assert y["z"] == pytest.approx(-0.7935310511, abs=1e-9)


def test_symmetric_example():
    # a = {x:3, y:1}, b = {x:1, y:3}: alpha = 4 each, alpha0 = 8
    # delta_x = log(7/5) - log(5/7) = 2 log 1.4 = 0.6729445; var = 1/7 + 1/5; z = 1.1492715
    out = weighted_log_odds({"x": 3, "y": 1}, {"x": 1, "y": 3})
    assert row(out, "x")["z"] == pytest.approx(1.1492714809, abs=1e-9)
    assert row(out, "y")["z"] == pytest.approx(-1.1492714809, abs=1e-9)


def test_pooled_matches_tidylo_formula():
    # tidylo::bind_log_odds (empirical prior) for set "a", computed by hand from its source
    # (R/bind_log_odds.R: y_wi = n + alpha, alpha = total count of the word,
    #  omega_wi = y_wi / (n_i - y_wi), omega_w = y_w / (sum(y_wi) - y_w),
    #  delta = log(omega_wi) - log(omega_w), sigma2 = 1/y_wi + 1/y_w):
    #   d <- tibble::tribble(~set, ~word, ~n, "a","x",2, "a","y",0, "a","z",1,
    #                                          "b","x",1, "b","y",2, "b","z",3)
    #   tidylo::bind_log_odds(d, set, word, n, unweighted = TRUE)
    # x in a: y_wi = 5, n_i = 12, y_w = 5 + 4 = 9, total = 27
    #   delta = log(5/7) - log(9/18) = log(10/7) = 0.3566749; z = 0.3566749 / sqrt(1/5 + 1/9) = 0.6394621
    out = weighted_log_odds(A, B, comparison="pooled")
    x = row(out, "x")
    assert x["delta"] == pytest.approx(math.log(10 / 7))
    assert x["z"] == pytest.approx(0.6394621458, abs=1e-9)


def test_background_prior_and_alpha0():
    # background counts x 1, y 1, z 2 scaled to alpha0 = 8: alpha = 2, 2, 4
    out = weighted_log_odds(A, B, prior={"x": 1, "y": 1, "z": 2}, alpha0=8)
    assert row(out, "z")["alpha"] == 4
    # x: log((2+2)/(3+8-4)) - log((1+2)/(6+8-3)) = log(4/7) - log(3/11)
    assert row(out, "x")["delta"] == pytest.approx(math.log(4 / 7) - math.log(3 / 11))


def test_bad_input_errors():
    with pytest.raises(ValueError, match="counts_a.*bad term"):
        weighted_log_odds({"x": -1}, {"x": 1})
    with pytest.raises(ValueError, match="zero count on one side"):
        weighted_log_odds({"x": 1, "y": 1}, {"x": 1, "y": 0}, prior={"x": 1})
    with pytest.raises(ValueError, match="at least 2 terms"):
        weighted_log_odds({"x": 1, "y": 0}, {"x": 1})
    with pytest.raises(ValueError, match="no terms"):
        weighted_log_odds({}, {})
    with pytest.raises(ValueError, match="prior must be"):
        weighted_log_odds(A, B, prior="flat")


counts = st.dictionaries(st.sampled_from(list("abcdefgh")), st.integers(0, 50), min_size=1)


@settings(max_examples=60, deadline=None)
@given(counts, counts, st.sampled_from(["empirical", "uniform"]))
def test_swapping_sets_negates_z(ca, cb, prior):
    pooled = {k for k, v in [*ca.items(), *cb.items()] if v > 0}
    assume(len(pooled) >= 2 or (prior == "uniform" and len(set(ca) | set(cb)) >= 2))
    ab = weighted_log_odds(ca, cb, prior=prior).set_index("term")
    ba = weighted_log_odds(cb, ca, prior=prior).set_index("term").loc[ab.index]
    np.testing.assert_allclose(ab["z"], -ba["z"], atol=1e-9)
    np.testing.assert_allclose(ab["var"], ba["var"])


@settings(max_examples=40, deadline=None)
@given(counts)
def test_identical_sets_give_zero(c):
    assume(sum(v > 0 for v in c.values()) >= 2)
    out = weighted_log_odds(c, c)
    np.testing.assert_allclose(out["z"], 0, atol=1e-9)


def test_keyness_english_lemmas():
    out = keyness(["Thanks a lot!", "thanks again"], ["Sorry.", "so sorry again"], "en", min_count=2)
    assert out["term"].tolist() == ["thank", "again", "sorry"]
    assert out.iloc[0]["count_a"] == 2 and out.iloc[0]["count_b"] == 0
    # "again": 1 of 5 tokens in a, 1 of 4 in b -> slightly characteristic of b
    assert -0.5 < row(out, "again")["z"] < 0


def test_keyness_japanese_lemmas_pool_conjugations():
    # ございます / ございました / ございません all have the Sudachi lemma ござる.
    texts_a = ["ありがとうございます", "ありがとうございました"]
    out = keyness(texts_a, ["申し訳ございません"], "ja", min_count=1)
    gozaru = row(out, "ござる")
    assert (gozaru["count_a"], gozaru["count_b"]) == (2, 1)
    assert row(out, "ありがとう")["count_a"] == 2
    assert row(out, "ありがとう")["z"] > 0 > row(out, "申し訳")["z"]


def test_keyness_rejects_non_strings():
    with pytest.raises(TypeError, match="texts_b.*not strings"):
        keyness(["a"], ["b", None], "en")
