"""compare_groups: dialogue-level aggregation, R reference values, exact permutation, adjustment."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from omotenashi_research.stats import effects
from omotenashi_research.stats.compare import (
    COMPARE_COLUMNS,
    _hedges_from_weights,
    _log_rr_from_weights,
    compare_groups,
)
from omotenashi_research.stats.resampling import cluster_bootstrap


def make() -> pd.DataFrame:
    """12 dialogues (6 ja, 6 en) of 3-8 utterances. Written to CSV for the R references below."""
    rng = np.random.default_rng(2024)
    n_d = 12
    sizes = rng.integers(3, 9, n_d)
    d = np.repeat(np.arange(n_d), sizes)
    tokens = rng.integers(3, 15, d.size)
    return pd.DataFrame({
        "dialogue_id": [f"d{i:02d}" for i in d], "lang": np.where(d < 6, "ja", "en"), "tokens": tokens,
        "apology": rng.poisson(np.where(d < 6, 0.15, 0.05) * tokens),
        "thanks": rng.poisson(0.1 * tokens),
        "f1": rng.normal(np.where(d < 6, 1.0, 0.0), 1.0),
        "f2": rng.normal(0.3, 1.0, d.size),
        "f3": rng.normal(np.where(d < 6, 0.5, 0.0), 1.0),
        "f4": rng.normal(0.0, 1.0, d.size),
    })


FEATURES = ["f1", "f2", "f3", "f4"]


def test_welch_and_adjusted_p_match_r():
    # make().to_csv("cmp.csv"); in R:
    # d <- read.csv("cmp.csv")
    # m <- aggregate(cbind(f1, f2, f3, f4) ~ dialogue_id + lang, data = d, FUN = mean)
    # p <- sapply(c("f1","f2","f3","f4"), function(f) t.test(m[m$lang=="ja", f], m[m$lang=="en", f])$p.value)
    # p                    # 0.0021876900 0.7606541208 0.0551285308 0.6083906461
    # p.adjust(p, "BH")    # 0.0087507602 0.7606541208 0.1102570615 0.7606541208
    # p.adjust(p, "holm")  # 0.0087507602 1.0000000000 0.1653855923 1.0000000000
    # t statistics         # 4.6928061423 0.3140321891 2.1704644027 -0.5294355086
    res = compare_groups(make(), FEATURES, "lang", groups=("ja", "en"), method="welch")
    assert res["feature"].tolist() == FEATURES
    assert list(res.columns[: len(COMPARE_COLUMNS)]) == list(COMPARE_COLUMNS)
    np.testing.assert_allclose(res["p"], [0.0021876900, 0.7606541208, 0.0551285308, 0.6083906461], atol=1e-9)
    np.testing.assert_allclose(res["p_fdr_bh"], [0.0087507602, 0.7606541208, 0.1102570615, 0.7606541208],
                               atol=1e-9)
    np.testing.assert_allclose(res["p_holm"], [0.0087507602, 1.0, 0.1653855923, 1.0], atol=1e-9)
    np.testing.assert_allclose(res["statistic"], [4.6928061423, 0.3140321891, 2.1704644027, -0.5294355086],
                               atol=1e-8)
    assert res[["n_dialogues1", "n_dialogues2"]].iloc[0].tolist() == [6, 6]
    assert res[["n_utterances1", "n_utterances2"]].iloc[0].tolist() == [26, 37]


def test_adjustment_by_hand():
    # Four p-values 0.01, 0.04, 0.03, 0.20: BH = p * m / rank with running minimum from the top:
    # sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533.., 0.20 -> monotone 0.04, 0.0533, 0.0533, 0.20.
    # Holm: sorted p * (4, 3, 2, 1) = 0.04, 0.09, 0.08, 0.20 -> running max 0.04, 0.09, 0.09, 0.20.
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.20])
    np.testing.assert_allclose(multipletests(p, method="fdr_bh")[1], [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    np.testing.assert_allclose(multipletests(p, method="holm")[1], [0.04, 0.09, 0.09, 0.20])


def test_estimate_is_dialogue_level_hedges_g():
    df = make()
    means = df.groupby("dialogue_id").agg(lang=("lang", "first"), f1=("f1", "mean"))
    ja, en = means.loc[means.lang == "ja", "f1"], means.loc[means.lang == "en", "f1"]
    expected = effects.hedges_g(ja, en).iloc[0]
    res = compare_groups(df, "f1", "lang", groups=("ja", "en"), method="welch").iloc[0]
    assert res["estimate"] == pytest.approx(expected["estimate"])
    assert res["ci_low"] == pytest.approx(expected["ci_low"])
    assert res["mean1"] == pytest.approx(means.loc[means.lang == "ja", "f1"].mean())
    # An utterance-level Hedges' g (the wrong unit) differs: the test can tell.
    wrong = effects.hedges_g(df.loc[df.lang == "ja", "f1"], df.loc[df.lang == "en", "f1"]).iloc[0]["estimate"]
    assert abs(wrong - res["estimate"]) > 0.1


def test_rate_ratio_matches_geepack_robust_se():
    # R (geepack 1.3): d$ja <- as.numeric(d$lang == "ja"); d <- d[order(d$dialogue_id), ]
    # g <- geeglm(apology ~ ja + offset(log(tokens)), family = poisson, id = factor(dialogue_id),
    #             data = d, corstr = "independence"); summary(g)$coefficients["ja", ]
    #   apology: Estimate 0.9890750771, Std.err 0.2189760047
    #   thanks:  Estimate 0.0588952331, Std.err 0.2134166652
    # geepack's sandwich has no small-sample factor; ours multiplies each group's part by G/(G-1) = 6/5.
    res = compare_groups(make(), ["apology", "thanks"], "lang", groups=("ja", "en"), method="welch",
                         effect="rate_ratio", exposure="tokens")
    np.testing.assert_allclose(np.log(res["estimate"]), [0.9890750771, 0.0588952331], atol=1e-9)
    se = np.log(res["ci_high"] / res["estimate"]) / stats.norm.ppf(0.975)
    np.testing.assert_allclose(se, np.sqrt(1.2) * np.array([0.2189760047, 0.2134166652]), rtol=1e-7)
    df = make()
    assert res["mean1"].iloc[0] == pytest.approx(
        df.loc[df.lang == "ja", "apology"].sum() / df.loc[df.lang == "ja", "tokens"].sum())


def tiny() -> pd.DataFrame:
    # Dialogue means: ja 4.5, 5, 6; en 1, 2.5, 3 (two utterances per dialogue).
    return pd.DataFrame({
        "dialogue_id": np.repeat(list("abcdef"), 2),
        "lang": np.repeat(["ja"] * 3 + ["en"] * 3, 2),
        "y": [4, 5, 5, 5, 6, 6, 1, 1, 2, 3, 3, 3],
    })


@pytest.mark.parametrize(
    "effect, fn", [("hedges_g", effects.hedges_g), ("cliffs_delta", effects.cliffs_delta)]
)
def test_exact_permutation_by_enumeration(effect, fn):
    means = np.array([4.5, 5, 6, 1, 2.5, 3])
    observed = fn(means[:3], means[3:]).iloc[0]["estimate"]
    null = []
    for chosen in itertools.combinations(range(6), 3):
        rest = [i for i in range(6) if i not in chosen]
        null.append(fn(means[list(chosen)], means[rest]).iloc[0]["estimate"])
    expected = np.mean(np.abs(null) >= abs(observed) - 1e-9)
    res = compare_groups(tiny(), "y", "lang", groups=("ja", "en"), method="permutation", effect=effect)
    res = res.iloc[0]
    assert res["statistic"] == pytest.approx(observed)
    assert res["p"] == pytest.approx(expected)
    assert "exact" in res["method"]


def test_weighted_kernels_equal_duplicated_data():
    v1, v2 = np.array([1.0, 2.0, 4.0]), np.array([0.5, 3.0, 3.5, 7.0])
    w1, w2 = np.array([[2.0, 0.0, 1.0]]), np.array([[1.0, 1.0, 0.0, 2.0]])
    g = _hedges_from_weights(w1, w2, v1, v2)[0]
    assert g == pytest.approx(effects.hedges_g([1, 1, 4], [0.5, 3, 7, 7]).iloc[0]["estimate"])
    c1, e1 = np.array([1.0, 0, 3]), np.array([5.0, 2, 9])
    c2, e2 = np.array([0.0, 2, 1, 1]), np.array([4.0, 6, 3, 2])
    lrr = _log_rr_from_weights(w1, w2, c1, e1, c2, e2)[0]
    assert lrr == pytest.approx(np.log(((1 + 1 + 3) / (5 + 5 + 9)) / ((0 + 2 + 1 + 1) / (4 + 6 + 2 + 2))))


def test_bootstrap_agrees_with_generic_cluster_bootstrap():
    df = make()

    # One row per dialogue: resampling these rows is resampling whole dialogues.
    means = df.groupby("dialogue_id", as_index=False).agg(lang=("lang", "first"), f1=("f1", "mean"))

    def g(m):  # Hedges' g of the dialogue means, written out (no interval: fast)
        a, b = m.loc[m.lang == "ja", "f1"], m.loc[m.lang == "en", "f1"]
        df_ = len(a) + len(b) - 2
        sp = np.sqrt(((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / df_)
        return (a.mean() - b.mean()) / sp * effects._hedges_j(df_)

    generic = cluster_bootstrap(means, g, strata="lang", n_resamples=1000, seed=1).iloc[0]
    fast = compare_groups(df, "f1", "lang", groups=("ja", "en"), n_resamples=4000, seed=1).iloc[0]
    assert fast["estimate"] == pytest.approx(generic["estimate"])
    width = generic["ci_high"] - generic["ci_low"]
    assert fast["ci_low"] == pytest.approx(generic["ci_low"], abs=0.15 * width)
    assert fast["ci_high"] == pytest.approx(generic["ci_high"], abs=0.15 * width)


def test_seeded_and_feature_order_independent():
    df = make()
    a = compare_groups(df, ["f1", "f3"], "lang", n_resamples=300, seed=7)
    b = compare_groups(df, ["f3", "f1"], "lang", n_resamples=300, seed=7)
    pd.testing.assert_series_equal(a.set_index("feature").loc["f1", ["ci_low", "ci_high", "p"]],
                                   b.set_index("feature").loc["f1", ["ci_low", "ci_high", "p"]])
    c = compare_groups(df, ["f1", "f3"], "lang", n_resamples=300, seed=8)
    assert not np.allclose(a["ci_low"], c["ci_low"])


def test_mannwhitney_on_dialogue_means():
    df = make()
    m = df.groupby("dialogue_id").agg(lang=("lang", "first"), f3=("f3", "mean"))
    ref = stats.mannwhitneyu(m.loc[m.lang == "ja", "f3"], m.loc[m.lang == "en", "f3"])
    res = compare_groups(df, "f3", "lang", groups=("ja", "en"), method="mannwhitney", effect="cliffs_delta")
    res = res.iloc[0]
    assert res["p"] == pytest.approx(ref.pvalue) and res["statistic"] == ref.statistic
    assert res["estimate"] == pytest.approx(2 * ref.statistic / 36 - 1)


def test_missing_feature_values_are_counted_not_hidden():
    df = make()
    df.loc[df.index[:3], "f1"] = np.nan  # the first three utterances of dialogue d00
    res = compare_groups(df, ["f1", "f2"], "lang", groups=("ja", "en"), method="welch")
    assert res["n_utterances1"].tolist() == [23, 26]


def test_errors_name_the_problem():
    df = make()
    with pytest.raises(ValueError, match="constant within"):
        compare_groups(df.assign(lang=np.where(np.arange(len(df)) % 2, "ja", "en")), "f1", "lang")
    with pytest.raises(ValueError, match="exactly 2 levels"):
        compare_groups(df.assign(lang=df["dialogue_id"].str[-1:]), "f1", "lang")
    bad = df.astype({"f1": object})
    bad.loc[5, "f1"] = "n/a"
    with pytest.raises(ValueError, match=r"'f1' must be numeric; rows \[5\]"):
        compare_groups(bad, "f1", "lang", errors="raise")
    with pytest.raises(KeyError, match="nope"):
        compare_groups(df, "nope", "lang")
    one = df[df["dialogue_id"].isin(["d00", "d06", "d07"])]
    with pytest.raises(ValueError, match="group 'ja' has 1 dialogue"):
        compare_groups(one, "f1", "lang", groups=("ja", "en"), errors="raise")
    zero = df.assign(tokens=np.where(df["dialogue_id"] == "d03", 0, df["tokens"]))
    with pytest.raises(ValueError, match=r"dialogues \['d03'\] have zero exposure"):
        compare_groups(zero, "apology", "lang", effect="rate_ratio", exposure="tokens", errors="raise")


def test_constant_feature_error_names_feature():
    df = make().assign(flat=1.0)
    with pytest.raises(ValueError, match="feature 'flat': both samples are constant"):
        compare_groups(df, ["f1", "flat"], "lang", errors="raise")
