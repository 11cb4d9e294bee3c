"""Edge cases of the statistics helpers (issue #11, "Statistics edge cases").

Each test failed before the fix it guards. R is not available on the machine that wrote them:
known answers are hand computations (shown in the comments), R values already stored in the other
test files (quoted with their R code), or published values (cited).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from omotenashi_research.stats import p_adjust
from omotenashi_research.stats.agreement import fleiss_kappa
from omotenashi_research.stats.compare import compare_groups
from omotenashi_research.stats.effects import rank_biserial
from omotenashi_research.stats.models import ModelInputError, fit_gee, fit_mixed, fit_ordinal, fit_rate
from omotenashi_research.stats.resampling import cluster_bootstrap, permutation_p

from .test_agreement import WIKIPEDIA
from .test_models import DATA


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATA)


# --------------------------------------------------------------------------- fit_rate negbin


def test_negbin_on_poisson_counts_falls_back_to_poisson():
    """Before: 'first guess on the deviance function returned a nan' on most equidispersed sets."""
    n_fallback = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = rng.integers(5, 30, 200)
        x = rng.normal(size=200)
        df = pd.DataFrame({"k": rng.poisson(n * 0.05 * np.exp(0.3 * x)), "x": x, "n_tokens": n})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nb = fit_rate(df, "k ~ x", family="negbin")
        if nb.alpha_ == 0:
            n_fallback += 1
            assert any("no over-dispersion" in str(w.message) for w in caught)
            pois = fit_rate(df, "k ~ x")
            np.testing.assert_allclose(nb.coefs_["estimate"], pois.coefs_["estimate"], rtol=1e-10)
            assert nb.theta_ == float("inf")
        else:
            assert np.isfinite(nb.alpha_) and nb.alpha_ > 0
        assert np.isfinite(nb.coefs_[["estimate", "se"]].to_numpy()).all()
    assert n_fallback >= 3  # most of these sets sit on the boundary (7 of 8 with these seeds)


# --------------------------------------------------------------------------- one cluster per group


def test_a_group_made_of_one_cluster_is_refused_by_every_clustered_method(data):
    one = data.assign(special=(data["group"] == "g01").astype(int))
    msg = r"term 'special' value 1.0 occurs in only 1 cluster.*\['g01'\]"
    with pytest.raises(ModelInputError, match=msg):
        fit_gee(one, "y_bin ~ x1 + special", groups="group")
    with pytest.raises(ModelInputError, match=r"fit_rate: term 'special'.*only 1 cluster"):
        fit_rate(one, "y_count ~ special", cluster="group")
    with pytest.raises(ModelInputError, match=r"fit_ordinal: term 'special'.*only 1 cluster"):
        fit_ordinal(one, "y_ord ~ x1 + special", cluster="group")
    fit_rate(one, "y_count ~ special")  # without clustered SEs the contrast is a plain GLM one
    per_dialogue = one.groupby("group", as_index=False).agg(y=("y_cont", "mean"),
                                                            special=("special", "first"))
    with pytest.raises(ValueError, match=r"stratum 'special' value 1 occurs in only 1 cluster.*\['g01'\]"):
        cluster_bootstrap(per_dialogue, lambda s: s["y"].mean(), cluster="group", strata="special",
                          n_resamples=10)


# --------------------------------------------------------------------------- fit_mixed


def test_mixed_with_one_row_per_group_is_refused(data):
    # lme4: "number of levels of each grouping factor must be < number of observations"
    single = data.assign(row=np.arange(len(data)))
    with pytest.raises(ModelInputError, match="one row per group.*must be < number of observations"):
        fit_mixed(single, "y_cont ~ x1", groups="row")


def test_mixed_se_is_lme4_vcov_on_unbalanced_groups(data):
    """lme4's vcov(): sigma2 (X' V^-1 X)^-1 at the REML variance components, V_i = s2 I + t2 11'.

    Hand computation with the full V_i matrices (not the closed-form inverse the package uses).
    statsmodels' bse (the joint Hessian) differs by ~4e-4 relative on these unbalanced groups.
    """
    rng = np.random.default_rng(5)
    last_digit = data["group"].str[-1].astype(int)
    keep = rng.uniform(size=len(data)) < np.where(last_digit % 3 == 0, 0.3, 0.9)
    u = data[keep].reset_index(drop=True)
    assert u.groupby("group").size().nunique() > 4  # really unbalanced (sizes 1 to 8)
    m = fit_mixed(u, "y_cont ~ x1 + ja", groups="group")
    v_g, v_e = m.variance_["variance"].tolist()
    x = np.column_stack([np.ones(len(u)), u["x1"], u["ja"]])
    info = np.zeros((3, 3))
    for _, idx in u.groupby("group").indices.items():
        v = v_e * np.eye(len(idx)) + v_g * np.ones((len(idx), len(idx)))
        info += x[idx].T @ np.linalg.solve(v, x[idx])
    want = np.sqrt(np.diag(np.linalg.inv(info)))
    np.testing.assert_allclose(m.coefs_["se"], want, rtol=1e-10)
    assert np.max(np.abs(m.result.bse.iloc[:3].to_numpy() / want - 1)) > 1e-5  # what we used to report


# --------------------------------------------------------------------------- separation


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ordinal_perfect_separation_names_the_term(data, link):
    # Before: probit returned slope 14.6 with SE 352 silently; logit raised an opaque ValueError.
    d = data.assign(leak=data["y_ord"] + 0.1 * (data["x1"] > 0))
    with pytest.raises(ModelInputError, match=r"perfectly separated by term\(s\) \['leak'\]"):
        fit_ordinal(d, "y_ord ~ x1 + leak", link=link)


def test_ordinal_one_empty_cell_is_not_separation(data):
    # No 'ja' row in category 1: the shared slope keeps the ML estimate finite (not separation).
    d = data[~((data["ja"] == 1) & (data["y_ord"] == 1))]
    f = fit_ordinal(d, "y_ord ~ x1 + ja")
    assert np.isfinite(f.coefs_["se"]).all() and f.coefs_["se"].max() < 1


def test_gee_outcome_as_predictor_is_separation(data):
    d = data.assign(copy=data["y_bin"])
    with pytest.raises(ModelInputError, match=r"fit_gee: outcome 'y_bin' is perfectly separated by term\(s\) "
                                              r"\['copy'\]"):
        fit_gee(d, "y_bin ~ x1 + copy", groups="group")


def test_count_model_with_an_eventless_level_names_it(data):
    d = data.assign(y_count=np.where(data["ja"] == 1, 0, data["y_count"]))
    for fit in (lambda: fit_rate(d, "y_count ~ x1 + ja"),
                lambda: fit_gee(d, "y_count ~ x1 + ja", groups="group", family="poisson")):
        with pytest.raises(ModelInputError, match=r"0 in every row of some subgroup defined by term\(s\) "
                                                  r"\['ja'\]"):
            fit()


# --------------------------------------------------------------------------- scale


def test_ordinal_large_scale_predictor_reaches_the_same_optimum():
    # Before: x * 1e5 stopped at slope 1.18277 (vs 1.182657) and a location shift of 1e4 did not
    # converge; the slope must simply rescale and the log-likelihood must not change.
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = 1 + np.searchsorted([-1.0, 0.0, 1.0], x + rng.logistic(size=300))
    ref = fit_ordinal(pd.DataFrame({"y": y, "x": x}), "y ~ x")
    for scale, shift in ((1e5, 0.0), (1e3, 1e5), (1.0, 1e4)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no convergence warning either
            f = fit_ordinal(pd.DataFrame({"y": y, "x": x * scale + shift}), "y ~ x")
        assert f.converged_
        assert f.coefs_.loc[0, "estimate"] * scale == pytest.approx(ref.coefs_.loc[0, "estimate"], rel=1e-7)
        assert f.llf_ == pytest.approx(ref.llf_, abs=1e-8)


# --------------------------------------------------------------------------- constant / collinear


def test_constant_and_collinear_predictors_are_named(data):
    d = data.assign(never=0, twice_ja=2 * data["ja"])
    fits = {
        "fit_gee": lambda f: fit_gee(d, f.replace("Y", "y_bin"), groups="group"),
        "fit_rate": lambda f: fit_rate(d, f.replace("Y", "y_count")),
        "fit_ordinal": lambda f: fit_ordinal(d, f.replace("Y", "y_ord")),
        "fit_mixed": lambda f: fit_mixed(d, f.replace("Y", "y_cont"), groups="group"),
    }
    for name, fit in fits.items():
        with pytest.raises(ModelInputError, match=rf"{name}: term 'never' is constant \(0 in every row\)"):
            fit("Y ~ x1 + never")
        with pytest.raises(ModelInputError, match=rf"{name}: .*rank deficient.*'ja', 'twice_ja'"):
            fit("Y ~ x1 + ja + twice_ja")


# --------------------------------------------------------------------------- compare_groups


def _zero_event_table() -> pd.DataFrame:
    # 12 dialogues x 3 utterances; ja dialogues have 1-2 apologies each, en dialogues none.
    d = np.repeat(np.arange(12), 3)
    counts = np.zeros(36, dtype=int)
    counts[::3][:6] = [1, 2, 1, 1, 2, 1]
    return pd.DataFrame({"dialogue_id": d, "lang": np.where(d < 6, "ja", "en"), "apology": counts})


def test_rate_ratio_with_an_eventless_group():
    df = _zero_event_table()
    boot = compare_groups(df, "apology", "lang", groups=("ja", "en"), effect="rate_ratio", n_resamples=200)
    row = boot.iloc[0]  # before: IndexError from the bootstrap
    assert row["estimate"] == np.inf and np.isnan(row["ci_low"]) and np.isnan(row["p"])
    assert "group 'en' has no events" in row["note"]
    kw = {"groups": ("ja", "en"), "effect": "rate_ratio", "method": "permutation"}
    perm = compare_groups(df, "apology", "lang", **kw)
    # Exact: of C(12, 6) = 924 relabellings only the observed one and its mirror leave a group
    # without events (|log RR| = inf), so p = 2 / 924 (before: 0.0, the infinite values were dropped).
    assert perm["p"].iloc[0] == pytest.approx(2 / 924)
    rand = compare_groups(df, "apology", "lang", n_permutations=99, **kw)
    assert rand["p"].iloc[0] >= 1 / 100  # (b + 1) / (m + 1), never 0


def test_permutation_p_counts_infinite_relabellings():
    null = np.array([-np.inf, 0.1, -0.3, np.inf, np.nan])
    assert permutation_p(null, -np.inf, "two-sided", exact=True) == pytest.approx(2 / 4)
    assert permutation_p(null, np.inf, "greater", exact=False) == pytest.approx(2 / 5)
    assert np.isnan(permutation_p(null, np.nan, "two-sided", exact=True))


def _features_table() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    d = np.repeat(np.arange(12), 4)
    return pd.DataFrame({"dialogue_id": d, "lang": np.where(d < 6, "ja", "en"), "f1": rng.normal(size=48),
                         "f2": rng.normal(size=48), "flat": 1.0})


def test_one_failing_feature_gives_a_nan_row_with_the_reason():
    df = _features_table()
    with pytest.warns(RuntimeWarning, match=r"1 feature\(s\) could not be compared.*\['flat'\]"):
        res = compare_groups(df, ["f1", "flat", "f2"], "lang", method="welch")
    assert res["feature"].tolist() == ["f1", "flat", "f2"]
    flat = res.set_index("feature").loc["flat"]
    assert np.isnan(flat["estimate"]) and np.isnan(flat["p"]) and "both samples are constant" in flat["note"]
    assert res.loc[[0, 2], "note"].isna().all() and np.isfinite(res.loc[[0, 2], "p"]).all()
    # the adjustment counts only the two real tests; BH of p_a < p_b: (min(2 p_a, p_b), p_b)
    lo, hi = sorted(res.loc[[0, 2], "p"])
    assert sorted(res.loc[[0, 2], "p_fdr_bh"]) == pytest.approx([min(2 * lo, hi), hi])
    assert np.isnan(flat["p_fdr_bh"])
    with pytest.raises(ValueError, match="feature 'flat': both samples are constant"):
        compare_groups(df, ["f1", "flat"], "lang", errors="raise")


def test_adjust_names_are_checked_before_resampling_and_r_names_accepted():
    df = _features_table()
    with pytest.raises(ValueError, match="unknown p-value adjustment 'nonsense'"):
        compare_groups(df, ["f1"], "lang", adjust=("nonsense",), n_resamples=10**9)  # fails at once
    a = compare_groups(df, ["f1", "f2"], "lang", method="welch", adjust=("BH", "holm"))
    b = compare_groups(df, ["f1", "f2"], "lang", method="welch", adjust=("fdr_bh", "holm"))
    assert list(a.columns) == list(b.columns) and "p_fdr_bh" in a.columns
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- p_adjust


def test_p_adjust_known_answers():
    # R (stored in tests/stats/test_compare.py, from t.test p-values):
    # p.adjust(c(0.0021876900, 0.7606541208, 0.0551285308, 0.6083906461), "BH")
    #   0.0087507602 0.7606541208 0.1102570615 0.7606541208
    # p.adjust(..., "holm")  0.0087507602 1.0000000000 0.1653855923 1.0000000000
    p = [0.0021876900, 0.7606541208, 0.0551285308, 0.6083906461]
    np.testing.assert_allclose(p_adjust(p, "BH"), [0.0087507602, 0.7606541208, 0.1102570615, 0.7606541208],
                               atol=1e-9)
    np.testing.assert_allclose(p_adjust(p, "holm"), [0.0087507602, 1.0, 0.1653855923, 1.0], atol=1e-9)
    # By hand: p = 0.01, 0.04, 0.03, 0.20. BH: sorted p * 4 / rank = 0.04, 0.06, 0.0533, 0.20, running
    # minimum from the top -> 0.04, 0.0533, 0.0533, 0.20. Holm: sorted p * (4, 3, 2, 1) = 0.04, 0.09,
    # 0.08, 0.20, running maximum -> 0.04, 0.09, 0.09, 0.20. Bonferroni: 0.04, 0.16, 0.12, 0.80.
    q = pd.Series([0.01, 0.04, 0.03, 0.20], index=list("abcd"))
    bh = p_adjust(q, "fdr_bh")
    assert isinstance(bh, pd.Series) and list(bh.index) == list("abcd")
    np.testing.assert_allclose(bh, [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    np.testing.assert_allclose(p_adjust(q, "Holm"), [0.04, 0.09, 0.09, 0.20])
    np.testing.assert_allclose(p_adjust(q, "bonferroni"), [0.04, 0.16, 0.12, 0.80])
    # NA stays NA and is not counted (R: n = number of non-NA p-values)
    np.testing.assert_allclose(p_adjust([0.01, np.nan, 0.04], "holm"), [0.02, np.nan, 0.04])
    with pytest.raises(ValueError, match="unknown p-value adjustment"):
        p_adjust(q, "fdr_xx")
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]; positions \[1\]"):
        p_adjust([0.2, 1.5])


# --------------------------------------------------------------------------- Fleiss kappa SE


def test_fleiss_kappa_null_se_published_example():
    # Wikipedia's 10 items x 14 raters example. Published (Cardillo 2007, MATLAB File Exchange
    # 15426, output in its help text): kappa = 0.2099, "kappa error" = 0.0170, z = 12.3743.
    # By hand (Fleiss, Nee & Landis 1979): p_j = (20, 28, 39, 21, 32) / 140,
    # sum p q = 0.787245, sum p q (q - p) = 0.457434, N m (m - 1) = 10 * 14 * 13 = 1820:
    # se0 = sqrt(2) / (0.787245 sqrt(1820)) * sqrt(0.787245^2 - 0.457434) = 0.016965.
    res = fleiss_kappa(WIKIPEDIA).iloc[0]
    assert res["kappa"] == pytest.approx(0.2099, abs=5e-5)
    assert res["se_null"] == pytest.approx(0.016965, abs=5e-7)
    assert res["z"] == pytest.approx(12.3743, abs=5e-4)
    pj = np.array([20, 28, 39, 21, 32]) / 140
    pq = pj * (1 - pj)
    assert pq.sum() == pytest.approx(0.787245, abs=1e-6)
    assert np.sum(pq * ((1 - pj) - pj)) == pytest.approx(0.457434, abs=1e-6)


def test_fleiss_kappa_interval_is_a_sane_large_sample_one():
    res = fleiss_kappa(WIKIPEDIA).iloc[0]
    assert res["ci_low"] < res["kappa"] < res["ci_high"]
    assert res["ci_high"] - res["kappa"] == pytest.approx(1.959963985 * res["se"])
    # The linearisation SE is close to the item jackknife (both non-null, items as units).
    table = np.asarray(WIKIPEDIA)
    n = len(table)
    loo = np.array([fleiss_kappa(np.delete(table, i, axis=0))["kappa"].iloc[0] for i in range(n)])
    jack = np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2))
    assert res["se"] == pytest.approx(jack, rel=0.15)
    # Perfect agreement on varied items: SE 0 is right (no item disagrees).
    perfect = fleiss_kappa([(1, 1, 1), (2, 2, 2), (3, 3, 3), (1, 1, 1)]).iloc[0]
    assert perfect["kappa"] == 1 and perfect["se"] == pytest.approx(0, abs=1e-12)


# --------------------------------------------------------------------------- rank_biserial


def test_rank_biserial_interval_at_separation():
    # Before: the Fisher-z interval collapsed to [1, 1] (atanh(1) = inf) whatever n.
    # Newcombe (2006) method 5 at theta-hat = 1 with n1 = n2 = 10, n* = 9, z = 1.96: at theta = 0.8,
    # V = 0.16 (1 + 9 (0.2/1.2 + 0.8/1.8)) / 100 = 0.0104, z sqrt(V) = 0.19988 < 0.2, so the limit is
    # just above 0.8: r limit just above 2 * 0.8 - 1 = 0.6.
    res = rank_biserial(np.arange(10) + 100.0, np.arange(10.0)).iloc[0]
    assert res["estimate"] == 1 and res["ci_high"] == 1
    assert 0.6 < res["ci_low"] < 0.601
    small = rank_biserial([5.0, 6, 7], [1.0, 2, 3]).iloc[0]
    assert small["ci_low"] < res["ci_low"]  # fewer dialogues, wider interval
    neg = rank_biserial(np.arange(10.0), np.arange(10) + 100.0).iloc[0]
    assert (neg["ci_low"], neg["ci_high"]) == (-1.0, pytest.approx(-res["ci_low"]))
