"""Tests of omotenashi_research.politeness_models: known answers on invented data, corpus smoke tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata, spearmanr
from sklearn.metrics import r2_score

from omotenashi_research import politelex as PL
from omotenashi_research import politeness_models as PM
from omotenashi_research import politeness_resampling as PR

# ------------------------------------------------------------------------------------------------
# incremental R² of blocks


def _orthogonal(n_rep: int = 100) -> pd.DataFrame:
    # +-1 patterns that are exactly uncorrelated with equal variance 1 (a Hadamard design)
    return pd.DataFrame({"sonkeigo": np.tile([1, -1, 1, -1], n_rep),
                         "gratitude": np.tile([1, 1, -1, -1], n_rep),
                         "hedge": np.tile([1, -1, -1, 1], n_rep)})


def test_incremental_r2_known_shares_of_variance():
    # y = 2*keigo + 1*gratitude with uncorrelated unit-variance features: var(y) = 4 + 1, so keigo's unique
    # share is 4/5 = 0.8, gratitude's 1/5 = 0.2, hedge's 0 and the full model explains everything.
    d = _orthogonal()
    d["politeness"] = 2 * d["sonkeigo"] + d["gratitude"]
    blocks = PM.block_table(["sonkeigo", "gratitude", "hedge"], "ja")
    res = PM.cv_incremental_r2(d, ["sonkeigo", "gratitude", "hedge"], blocks, transform="none", k=5,
                               n_boot=200).set_index("block")
    assert list(res.index) == ["keigo", "thanks_apology", "hedges"]
    assert res["r2_full"].iloc[0] == pytest.approx(1.0, abs=1e-3)
    # out-of-fold R² of a reduced model is a little below its population share (the +-1 patterns are not
    # exactly uncorrelated inside each training fold): tolerance 0.02
    assert res.loc["keigo", "delta_r2"] == pytest.approx(0.8, abs=0.02)
    assert res.loc["thanks_apology", "delta_r2"] == pytest.approx(0.2, abs=0.02)
    assert res.loc["hedges", "delta_r2"] == pytest.approx(0.0, abs=0.01)
    assert res.loc["keigo", "r2_alone"] == pytest.approx(0.8, abs=0.02)
    assert res.loc["keigo", "delta_low"] <= res.loc["keigo", "delta_r2"] <= res.loc["keigo", "delta_high"]


def test_rating_exactly_a_keigo_function_is_fully_explained_by_keigo():
    # ja rating is exactly 0.5*log1p(sonkeigo) + 0.25*log1p(teineigo): with the default log1p transform the
    # keigo block alone explains all the variance, the other markers (independent counts) nothing.
    rng = np.random.default_rng(3)
    n = 1000
    d = pd.DataFrame({"sonkeigo": rng.poisson(0.7, n), "teineigo": rng.poisson(1.5, n),
                      "gratitude": rng.poisson(0.5, n), "empathy": rng.poisson(0.3, n)})
    d["politeness"] = 0.5 * np.log1p(d["sonkeigo"]) + 0.25 * np.log1p(d["teineigo"])
    feats = ["sonkeigo", "teineigo", "gratitude", "empathy"]
    res = PM.cv_incremental_r2(d, feats, PM.block_table(feats, "ja"), n_boot=300).set_index("block")
    assert res.loc["keigo", "r2_full"] == pytest.approx(1.0, abs=1e-3)
    assert res.loc["keigo", "r2_alone"] == pytest.approx(1.0, abs=1e-3)
    assert res.loc["keigo", "r2_without"] == pytest.approx(0.0, abs=0.01)
    assert res.loc["keigo", "delta_r2"] == pytest.approx(1.0, abs=0.01)
    assert res.loc["keigo", "delta_low"] > 0.95
    assert abs(res.loc["thanks_apology", "delta_r2"]) < 0.005
    assert res.loc["other", "features"] == "empathy"


def test_incremental_r2_ci_covers_the_population_value():
    # a, b independent N(0,1), y = a + b + e, var(e) = 2: a's unique share in the population is 1/4.
    rng = np.random.default_rng(11)
    n = 3000
    d = pd.DataFrame({"sonkeigo": rng.normal(size=n), "gratitude": rng.normal(size=n)})
    d["politeness"] = d["sonkeigo"] + d["gratitude"] + rng.normal(0, math.sqrt(2), n)
    res = PM.cv_incremental_r2(d, ["sonkeigo", "gratitude"], PM.block_table(["sonkeigo", "gratitude"], "ja"),
                               transform="none", n_boot=500, seed=2).set_index("block")
    assert res.loc["keigo", "delta_low"] < 0.25 < res.loc["keigo", "delta_high"]
    assert res.loc["keigo", "delta_high"] - res.loc["keigo", "delta_low"] < 0.1


def test_incremental_r2_is_seeded():
    d = _orthogonal()
    d["politeness"] = d["sonkeigo"] + np.random.default_rng(0).normal(size=len(d))
    args = (d, ["sonkeigo", "gratitude"], PM.block_table(["sonkeigo", "gratitude"], "ja"))
    pd.testing.assert_frame_equal(PM.cv_incremental_r2(*args, transform="none", n_boot=50, seed=4),
                                  PM.cv_incremental_r2(*args, transform="none", n_boot=50, seed=4))


def test_incremental_r2_bad_input_is_named():
    d = _orthogonal()
    d["politeness"] = 1.0
    blocks = PM.block_table(["sonkeigo", "gratitude"], "ja")
    with pytest.raises(ValueError, match="'hedge'.*no block"):
        PM.cv_incremental_r2(d, ["sonkeigo", "gratitude", "hedge"], blocks)
    d.loc[7, "gratitude"] = np.nan
    with pytest.raises(ValueError, match="'gratitude' is missing or not numeric at row 7"):
        PM.cv_incremental_r2(d, ["sonkeigo", "gratitude"], blocks, transform="none")
    with pytest.raises(ValueError, match="log1p needs non-negative"):
        PM.cv_incremental_r2(d.fillna(0), ["sonkeigo", "gratitude"], blocks)
    with pytest.raises(ValueError, match="missing column"):
        PM.cv_incremental_r2(d.drop(columns="politeness"), ["sonkeigo"], blocks)


def test_block_table_rules():
    assert PM.block_table(["deference", "pol_r_swearing", "closing"], "en")["block"].tolist() == [
        "deference", "sentiment", "other"]
    with pytest.raises(ValueError, match="'x' is in blocks 'a' and 'b'"):
        PM.block_table(["x"], "ja", {"a": ["x"], "b": ["x"]})
    with pytest.raises(ValueError, match="none of the columns"):
        PM.block_table(["foo"], "ja")
    with pytest.raises(ValueError, match="no default blocks"):
        PM.block_table(["foo"], "de")


def test_r2_boot_matches_sklearn_on_a_resample():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(size=50)
    idx = rng.integers(0, 50, size=50)
    w = np.bincount(idx, minlength=50).astype(float)[None, :]
    assert PR._r2_boot(y, [p], w)[0, 0] == pytest.approx(r2_score(y[idx], p[idx]))
    assert PR._r2_boot(y, [p], None)[0, 0] == pytest.approx(r2_score(y, p))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=40), st.integers(0, 2**16))
def test_ranks_equal_scipy_average_ranks(values, seed):
    v = np.asarray(values, dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(v), size=(3, len(v)))
    np.testing.assert_allclose(PR._ranks(v, idx), rankdata(v[idx], axis=1))


# ------------------------------------------------------------------------------------------------
# single features


def test_feature_correlations_adds_bonett_wright_ci_and_holm():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, 203)
    d = pd.DataFrame({"lang": "ja", "politeness": x + rng.normal(0, 2, 203)})
    c = {"ja": pd.DataFrame({"gratitude": x, "apology": rng.integers(0, 2, 203)})}
    res = PM.feature_correlations(d, c).set_index("feature")
    rho = res.loc["gratitude", "rho"]
    assert rho == pytest.approx(spearmanr(x, d["politeness"]).statistic)
    # Bonett & Wright (2000): z = atanh(rho), se = sqrt((1 + rho^2 / 2) / (n - 3)), n = 203
    se = math.sqrt((1 + rho ** 2 / 2) / 200)
    lo, hi = math.tanh(math.atanh(rho) - 1.959964 * se), math.tanh(math.atanh(rho) + 1.959964 * se)
    assert res.loc["gratitude", "ci_low"] == pytest.approx(lo, abs=1e-6)
    assert res.loc["gratitude", "ci_high"] == pytest.approx(hi, abs=1e-6)
    # Holm over the two tests: the smaller p doubles
    p = res["p"].sort_values()
    assert res.loc[p.index[0], "p_adj"] == pytest.approx(min(1.0, 2 * p.iloc[0]))
    assert res["adjustment"].iloc[0] == "holm over 2 tests"


# ------------------------------------------------------------------------------------------------
# shared features and PoliteLex


def test_shared_features_sum_the_markers_of_each_side():
    ja = pd.DataFrame({m: [1, 0] for m in {m for pair in PM.SHARED_MARKERS.values() for m in pair[0]}})
    en = pd.DataFrame({m: [0, 2] for m in {m for pair in PM.SHARED_MARKERS.values() for m in pair[1]}})
    out = PM.shared_features({"ja": ja, "en": en})
    assert list(out["ja"].columns) == list(PM.SHARED_MARKERS)
    assert out["ja"]["politeness_form"].tolist() == [2, 0]  # sonkeigo + kenjougo
    assert out["en"]["please"].tolist() == [0, 4]  # please + please_start
    with pytest.raises(ValueError, match=r"shared_features\(ja, gratitude\).*gratitude"):
        PM.shared_features({"ja": ja.drop(columns="gratitude")})


def test_politelex_counts_japanese_longest_first_substrings():
    lex = pd.DataFrame({"category": ["gratitude", "gratitude", "please"],
                        "entry": ["ありがとう", "ありがとうございます", "ください"]})
    texts = ["ありがとうございます。見てください、ありがとう。", "どうも。"]
    res = PL.politelex_counts(texts, lex, "ja")
    assert res.to_dict("list") == {"gratitude": [2, 0], "please": [1, 0]}


def test_politelex_counts_english_tokens_start_and_overlap():
    lex = pd.DataFrame({"category": ["gratitude", "gratitude", "please_start", "hedge"],
                        "entry": ["thank", "thank you", "please", "i think"]})
    texts = ["Thank you! Please see. I think so, please.", "Thankfully, I thinking\u2026",
             "I\u2019m sure; i think"]
    res = PL.politelex_counts(texts, lex, "en", categories=["gratitude", "please_start", "hedge"])
    # "thank you" is one non-overlapping gratitude match; "please" counts only sentence-initially;
    # "thankfully"/"thinking" are other tokens.
    assert res.values.tolist() == [[1, 1, 1], [0, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="not in the en lexicon"):
        PL.politelex_counts(texts, lex, "en", categories=["taboo"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["please", "sorry", "ok", "thanks", "."]), max_size=12), max_size=6))
def test_politelex_single_word_entries_count_tokens(token_lists):
    lex = pd.DataFrame({"category": ["please", "apologetic"], "entry": ["please", "sorry"]})
    texts = [" ".join(t) for t in token_lists]
    res = PL.politelex_counts(texts, lex, "en")
    assert res["please"].tolist() == [t.count("please") for t in token_lists]
    assert res["apologetic"].tolist() == [t.count("sorry") for t in token_lists]
    # each text is counted on its own: batch == one at a time
    for i, t in enumerate(texts):
        assert PL.politelex_counts([t], lex, "en").iloc[0].tolist() == res.iloc[i].tolist()


def test_shared_politelex_categories():
    ja = pd.DataFrame({"category": ["please", "taboo", "hedge"], "entry": ["a", "b", "c"]})
    en = pd.DataFrame({"category": ["hedge", "please", "please_start"], "entry": ["a", "b", "c"]})
    assert PL.shared_politelex_categories({"ja": ja, "en": en}) == ["hedge", "please"]


# ------------------------------------------------------------------------------------------------
# transfer and coefficients


def _two_languages(same_rule: bool, n: int = 600, seed: int = 0) -> pd.DataFrame:
    # continuous features: with a few count values, a tiny weight on the other feature breaks the many ties
    # of the predictions and moves Spearman's rho far from 0 (rank measures see ties broken, not weights)
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(rng.gamma(2.0, 1.0, (2 * n, 2)), columns=["gratitude", "hedge"])
    d["lang"] = ["ja"] * n + ["en"] * n
    en_driver = "gratitude" if same_rule else "hedge"
    driver = np.where(d["lang"] == "ja", d["gratitude"], d[en_driver])
    d["politeness"] = np.log1p(driver) + rng.normal(0, 0.2, 2 * n)
    return d


def test_transfer_matches_in_language_when_the_rule_is_shared():
    res = PM.cross_language_transfer(_two_languages(True), ["gratitude", "hedge"], n_boot=300, k=5)
    t = res.set_index(["test_lang", "kind"])
    for lang in ("ja", "en"):
        assert t.loc[(lang, "transfer"), "spearman"] > 0.85
        assert t.loc[(lang, "transfer"), "train_lang"] != lang
        # the transfer model sees all 600 texts, each CV model 480: no loss, at most a small gain
        assert abs(t.loc[(lang, "transfer - in-language"), "spearman"]) < 0.05
    assert set(res["n_test"]) == {600}


def test_transfer_fails_when_the_languages_use_different_features():
    # ja politeness depends on gratitude only, en on hedge only: each model ranks the other language at
    # chance
    res = PM.cross_language_transfer(_two_languages(False), ["gratitude", "hedge"], n_boot=300, k=5)
    t = res.set_index(["test_lang", "kind"])
    for lang in ("ja", "en"):
        assert t.loc[(lang, "in-language"), "spearman"] > 0.85
        assert abs(t.loc[(lang, "transfer"), "spearman"]) < 0.15
        assert t.loc[(lang, "transfer - in-language"), "ci_high"] < -0.5
        row = t.loc[(lang, "transfer")]
        assert row["ci_low"] < row["spearman"] < row["ci_high"]


def test_transfer_needs_two_languages():
    d = _two_languages(True).query("lang == 'ja'")
    with pytest.raises(ValueError, match="exactly two languages"):
        PM.cross_language_transfer(d, ["gratitude", "hedge"])


def test_language_coefficients_recover_weights_and_skip_constant_features():
    rng = np.random.default_rng(2)
    n = 500
    d = pd.DataFrame({"lang": ["ja"] * n + ["en"] * n, "a": rng.normal(size=2 * n),
                      "b": rng.normal(size=2 * n)})
    d.loc[d["lang"] == "en", "b"] = 0.0  # b never varies in English
    d["politeness"] = np.where(d["lang"] == "ja", 1.0, -1.0) * d["a"] + rng.normal(0, 0.1, 2 * n)
    res = PM.language_coefficients(d, ["a", "b"], transform="none").set_index(["lang", "feature"])
    # z-scored within language: the weight is per SD of a (sd ~ 1 here)
    assert res.loc[("ja", "a"), "coef"] == pytest.approx(1.0, abs=0.1)
    assert res.loc[("en", "a"), "coef"] == pytest.approx(-1.0, abs=0.1)
    assert math.isnan(res.loc[("en", "b"), "coef"])
    assert res.loc[("en", "b"), "share_nonzero"] == 0.0
    assert res["adjustment"].iloc[0] == "holm over 3 tests"


# ------------------------------------------------------------------------------------------------
# corpora (skipped without OMOTENASHI_DATA)


@pytest.mark.corpus
def test_politelex_transfer_on_the_corpus(corpora_dir):
    from omotenashi_research.datasets import load_multilingual_politeness, load_politelex

    d = load_multilingual_politeness()
    lex = {lang: load_politelex(lang) for lang in ("ja", "en")}
    cats = PL.shared_politelex_categories(lex)
    assert len(cats) == 18  # SOURCE.md: 20 JA and 26 EN categories, 18 in both
    parts = []
    for lang in ("ja", "en"):
        part = d[d["lang"] == lang].reset_index(drop=True)
        counts = PL.politelex_counts(part["text"].tolist(), lex[lang], lang, categories=cats)
        assert (counts >= 0).all().all() and len(counts) == len(part)
        parts.append(pd.concat([part[["lang", "politeness"]], counts], axis=1))
    res = PM.cross_language_transfer(pd.concat(parts, ignore_index=True), cats, n_boot=100)
    assert res.groupby("test_lang")["n_test"].first().to_dict() == {"en": 5700, "ja": 5699}
    inlang = res[res["kind"] == "in-language"]
    assert (inlang["spearman"] > 0.1).all()  # lexicon categories carry some signal in both languages


def test_politeness_findings_verdicts():
    corr = pd.DataFrame({"lang": ["ja", "en", "en"], "feature": ["keigo_total", "deference", "hedge"],
                         "rho": [0.3, 0.01, 0.2], "ci_low": [0.2, -0.02, 0.1], "ci_high": [0.4, 0.04, 0.3],
                         "p_adj": [0.001, 0.6, 0.001], "adjustment": "holm over 3 tests", "n": 100,
                         "share_nonzero": [0.9, 0.004, 0.2]})
    inc = {"ja": pd.DataFrame({"block": ["keigo"], "features": ["sonkeigo"], "r2_full": [0.3],
                               "delta_r2": [0.05], "delta_low": [0.04], "delta_high": [0.06], "n": [100],
                               "k": [10]}),
           "en": pd.DataFrame({"block": ["deference"], "features": ["deference"], "r2_full": [0.2],
                               "delta_r2": [0.0], "delta_low": [-0.003], "delta_high": [0.002], "n": [100],
                               "k": [10]})}
    tr = pd.DataFrame({"train_lang": ["en", "en"], "test_lang": ["ja", "ja"],
                       "kind": ["transfer", "transfer - in-language"], "spearman": [0.3, -0.1],
                       "ci_low": [0.2, -0.15], "ci_high": [0.4, -0.05], "n_test": 100, "n_features": 5})
    res = PM.politeness_findings(corr, inc, {"markers": tr}, {"ja:keigo": "keigo P 1.00"}).set_index("id")
    assert res.loc["ja-keigo_total-rho", "verdict"] == "supported"
    assert res.loc["en-deference-rho", "verdict"] == "not supported"
    assert "en-hedge-rho" not in res.index  # only the focus features of each language
    assert res.loc["ja-markers-r2", "verdict"] == "descriptive"
    assert res.loc["ja-keigo-delta-r2", "verdict"] == "supported"
    assert res.loc["ja-keigo-delta-r2", "measure_quality"] == "keigo P 1.00"
    # CI within [-0.003, 0.002]: at most a negligible share (< 0.01), so not supported
    assert res.loc["en-deference-delta-r2", "verdict"] == "not supported"
    assert "fires in 0.4% of texts" in res.loc["en-deference-rho", "caveats"]
    assert res.loc["transfer-markers-en-to-ja", "verdict"] == "supported"
    assert res.loc["gap-markers-en-to-ja", "verdict"] == "not supported"
    assert res.loc["gap-markers-en-to-ja", "measure_quality"] == "not validated on the gold set"
    from omotenashi_research.findings import validate_findings

    validate_findings(res.reset_index(), "06_politeness_across_languages")  # the shared format accepts them
