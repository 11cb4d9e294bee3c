"""Cluster bootstrap and cluster permutation: reproducibility, known answers, analytic agreement."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from omotenashi_research.stats.resampling import _bca, cluster_bootstrap, permutation_test


def nested(seed: int = 5, n_clusters: int = 150, icc_sd: float = 1.0) -> pd.DataFrame:
    """Utterances nested in dialogues with a dialogue random effect (sizes 2-11)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 12, n_clusters)
    cl = np.repeat(np.arange(n_clusters), sizes)
    y = rng.normal(0, icc_sd, n_clusters)[cl] + rng.normal(0, 1, cl.size)
    return pd.DataFrame({"dialogue_id": [f"d{c:03d}" for c in cl], "y": y})


def mean_y(sample: pd.DataFrame) -> float:
    return float(sample["y"].mean())


def test_same_seed_same_result():
    df = nested(n_clusters=40)
    a = cluster_bootstrap(df, mean_y, n_resamples=200, seed=11)
    b = cluster_bootstrap(df, mean_y, n_resamples=200, seed=11)
    c = cluster_bootstrap(df, mean_y, n_resamples=200, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert a["ci_low"].iloc[0] != c["ci_low"].iloc[0]


def test_bootstrap_se_matches_cluster_robust_se():
    # Analytic cluster-robust SE of a mean: sqrt(G/(G-1) * sum_g (sum_i e_gi)^2) / N
    # (= statsmodels OLS(y, 1).fit(cov_type="cluster") and R sandwich::vcovCL(lm(y ~ 1), cluster)).
    # The bootstrap SE lacks the G/(G-1) factor; with G = 150 both agree within Monte Carlo error.
    df = nested()
    g = df["dialogue_id"].factorize()[0]
    e = df["y"] - df["y"].mean()
    n_g = df["dialogue_id"].nunique()
    analytic = np.sqrt(n_g / (n_g - 1) * np.sum(np.bincount(g, e) ** 2)) / len(df)
    res = cluster_bootstrap(df, mean_y, n_resamples=1500, seed=1).iloc[0]
    assert res["se"] == pytest.approx(analytic, rel=0.10)
    # The naive iid SE is far smaller here (ICC ~ 0.5): the test can tell the two apart.
    naive = df["y"].std(ddof=1) / np.sqrt(len(df))
    assert naive < 0.75 * res["se"]
    assert res["n_clusters"] == 150
    assert res["ci_low"] < res["estimate"] < res["ci_high"]


def test_resampled_clusters_are_relabelled_and_whole():
    df = nested(n_clusters=20)
    sizes = df.groupby("dialogue_id").size()

    def check(sample: pd.DataFrame) -> float:
        # Every resampled cluster keeps all its rows; a cluster drawn twice appears as two clusters.
        assert sample["dialogue_id"].nunique() == 20
        assert sorted(sample.groupby("dialogue_id").size()) == sorted(sample.groupby("dialogue_id").size())
        assert set(sample.groupby("dialogue_id").size()) <= set(sizes)
        return float(sample["dialogue_id"].nunique())

    res = cluster_bootstrap(df, check, n_resamples=20, seed=0).iloc[0]
    assert res["se"] == 0


def test_stratified_bootstrap_keeps_group_sizes():
    df = nested(n_clusters=30)
    df["lang"] = np.where(df["dialogue_id"] < "d010", "ja", "en")

    def n_ja(sample):
        return float(sample.loc[sample["lang"] == "ja", "dialogue_id"].nunique())

    assert cluster_bootstrap(df, n_ja, strata="lang", n_resamples=50, seed=0)["se"].iloc[0] == 0
    assert cluster_bootstrap(df, n_ja, n_resamples=50, seed=0)["se"].iloc[0] > 0


def test_bca_formula_matches_scipy():
    # Given the same bootstrap distribution and jackknife values, the BCa limits must equal scipy's
    # (Efron & Tibshirani 1993 ch. 14; scipy.stats.bootstrap(method="BCa") uses the same jackknife).
    rng = np.random.default_rng(3)
    y = rng.exponential(size=60)
    ref = stats.bootstrap((y,), np.mean, n_resamples=4000, method="BCa", random_state=0)
    jack = np.array([np.delete(y, i).mean() for i in range(60)])
    lo, hi = _bca(ref.bootstrap_distribution, y.mean(), jack, 0.05)
    assert lo == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert hi == pytest.approx(ref.confidence_interval.high, rel=1e-12)


def test_bca_shifts_right_for_skewed_data():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"dialogue_id": np.arange(60), "y": rng.exponential(size=60)})
    bca = cluster_bootstrap(df, mean_y, n_resamples=1500, method="bca", seed=2).iloc[0]
    pct = cluster_bootstrap(df, mean_y, n_resamples=1500, seed=2).iloc[0]
    # Same resamples, so the only difference is the BCa adjustment (z0 > 0, a > 0 for a right skew).
    assert bca["se"] == pct["se"]
    assert bca["ci_low"] > pct["ci_low"] and bca["ci_high"] > pct["ci_high"]


def test_multi_term_statistic_and_invalid_resamples():
    df = nested(n_clusters=30)
    res = cluster_bootstrap(df, lambda s: {"mean": s["y"].mean(), "sd": s["y"].std()}, n_resamples=50)
    assert res["term"].tolist() == ["mean", "sd"]

    def sometimes_nan(s):
        return np.nan if s["y"].iloc[0] > 0 else s["y"].mean()

    with pytest.warns(RuntimeWarning, match="not finite"):
        res = cluster_bootstrap(df, sometimes_nan, n_resamples=50)
    assert 0 < res["n_invalid"].iloc[0] < 50


def test_bootstrap_errors():
    df = nested(n_clusters=10)
    with pytest.raises(KeyError, match="dialogue"):
        cluster_bootstrap(df.drop(columns="dialogue_id"), mean_y)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        cluster_bootstrap(df.assign(dialogue_id="x"), mean_y)
    bad = df.assign(g=np.arange(len(df)) % 2)
    with pytest.raises(ValueError, match="constant within"):
        cluster_bootstrap(bad, mean_y, strata="g")
    with pytest.raises(TypeError, match="must return a number"):
        cluster_bootstrap(df, lambda s: "x", n_resamples=5)


# --- permutation -------------------------------------------------------------------------------

def tiny() -> pd.DataFrame:
    # Two utterances per dialogue; dialogue means: ja 4.5, 5, 6 / en 1, 2.5, 3.
    return pd.DataFrame({
        "dialogue_id": np.repeat(list("abcdef"), 2),
        "lang": np.repeat(["ja"] * 3 + ["en"] * 3, 2),
        "y": [4, 5, 5, 5, 6, 6, 1, 1, 2, 3, 3, 3],
    })


def test_exact_permutation_p_by_enumeration():
    df = tiny()
    means = np.array([4.5, 5, 6, 1, 2.5, 3])
    obs = means[:3].mean() - means[3:].mean()
    # Hand enumeration of all C(6,3) = 20 relabellings.
    splits = itertools.combinations(range(6), 3)
    null = [means[list(c)].mean() - np.delete(means, list(c)).mean() for c in splits]
    res = permutation_test(df, "y", group="lang", groups=("ja", "en")).iloc[0]
    assert res["statistic"] == pytest.approx(obs)
    assert res["exact"] and res["n_permutations"] == 20
    assert res["p"] == pytest.approx(np.mean(np.abs(null) >= abs(obs) - 1e-12))
    assert res["p"] == pytest.approx(2 / 20)  # only the observed split and its mirror
    greater = permutation_test(df, "y", group="lang", groups=("ja", "en"), alternative="greater")
    assert greater["p"].iloc[0] == pytest.approx(1 / 20)
    less = permutation_test(df, "y", group="lang", groups=("ja", "en"), alternative="less")
    assert less["p"].iloc[0] == pytest.approx(1.0)


def test_callable_statistic_gives_same_exact_p():
    df = tiny()

    def diff(s):
        m = s.groupby("dialogue_id").agg(y=("y", "mean"), lang=("lang", "first"))
        return m.loc[m["lang"] == "ja", "y"].mean() - m.loc[m["lang"] == "en", "y"].mean()

    res = permutation_test(df, diff, group="lang", groups=("ja", "en")).iloc[0]
    assert res["p"] == pytest.approx(0.1)


def test_random_permutation_reproducible_and_identical_groups_large_p():
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame({"dialogue_id": np.repeat(np.arange(n), 3),
                       "lang": np.repeat(np.where(np.arange(n) < 20, "ja", "en"), 3)})
    df["y"] = rng.normal(size=len(df))  # same distribution in both groups
    a = permutation_test(df, "y", group="lang", n_permutations=999, seed=4).iloc[0]
    b = permutation_test(df, "y", group="lang", n_permutations=999, seed=4).iloc[0]
    assert a["p"] == b["p"] and not a["exact"] and a["n_permutations"] == 999
    assert a["p"] > 0.1
    # Identical values in both groups: every relabelling ties, p = 1.
    same = df.assign(y=np.tile([1.0, 2.0, 3.0], n))
    assert permutation_test(same, "y", group="lang", n_permutations=199).iloc[0]["p"] == 1.0


def test_permutation_errors():
    df = tiny()
    mixed = df.copy()
    mixed.loc[0, "lang"] = "en"
    with pytest.raises(ValueError, match="constant within"):
        permutation_test(mixed, "y", group="lang")
    with pytest.raises(ValueError, match="exactly 2 levels"):
        permutation_test(df.assign(lang=np.repeat(list("abcdef"), 2)), "y", group="lang")
    with pytest.raises(ValueError, match="not numeric"):
        permutation_test(df.assign(y=["x"] * 12), "y", group="lang")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=4, max_size=8))
def test_exact_p_is_a_multiple_of_one_over_total(values):
    n = len(values)
    n1 = n // 2
    df = pd.DataFrame({"dialogue_id": range(n), "g": ["a"] * n1 + ["b"] * (n - n1), "y": values})
    res = permutation_test(df, "y", group="g").iloc[0]
    total = len(list(itertools.combinations(range(n), n1)))
    assert res["exact"]
    assert 1 / total - 1e-12 <= res["p"] <= 1
    assert res["p"] * total == pytest.approx(round(res["p"] * total))
