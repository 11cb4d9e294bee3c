"""Known-answer tests for omotenashi_research.stats.power.

R reference numbers (R 4.x, base stats). statsmodels counts both rejection tails, which is
``power.t.test(strict = TRUE)``; R's default ``strict = FALSE`` drops the far tail (differs
by ~5e-6 in power at n = 50, d = 0.5).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from omotenashi_research.stats.power import (
    PowerInputError,
    cohens_h,
    design_effect,
    effective_n,
    power_analytic,
    power_simulation,
)

# R: options(digits = 10)
#    power.t.test(delta = 0.5, power = 0.8, strict = TRUE, tol = 1e-10)$n      63.76561019
#    power.t.test(n = 50, delta = 0.5, strict = TRUE)$power                     0.6968934055
#    power.t.test(n = 20, power = 0.9, strict = TRUE, tol = 1e-10)$delta        1.051992948
#    power.t.test(n = 30, delta = 0.4, alternative = "one.sided")$power         0.4547146955
#    power.t.test(n = 64, delta = 0.5, strict = TRUE)$power                     0.8014595579
#    power.t.test(delta = 0.5, power = 0.8)$n   (default strict = FALSE)        63.76576371
R_TTEST = [
    ({"effect_size": 0.5, "power": 0.8}, "n1", 63.76561019),
    ({"effect_size": 0.5, "n": 50}, "power", 0.6968934055),
    ({"effect_size": None, "n": 20, "power": 0.9}, "effect_size", 1.051992948),
    ({"effect_size": 0.4, "n": 30, "alternative": "larger"}, "power", 0.4547146955),
    ({"effect_size": 0.5, "n": 64}, "power", 0.8014595579),
]


@pytest.mark.parametrize("kwargs, col, want", R_TTEST)
def test_ttest_matches_r(kwargs, col, want):
    row = power_analytic(**kwargs).iloc[0]
    assert row[col] == pytest.approx(want, rel=1e-7)
    assert row["test"] == "ttest" and row["solved_for"] == {"n1": "n"}.get(col, col)


def test_unequal_groups_known_answer():
    """n1 = 40, n2 = 80, d = 0.5: noncentral t with df = 118, ncp = 0.5 / sqrt(1/40 + 1/80).

    R: nu <- 118; ncp <- 0.5 / sqrt(1/40 + 1/80); q <- qt(.975, nu)
       1 - pt(q, nu, ncp) + pt(-q, nu, ncp)   # 0.72606992
    """
    row = power_analytic(0.5, n=40, ratio=2).iloc[0]
    assert row["power"] == pytest.approx(0.72606992, abs=1e-8)
    assert row["n2"] == 80


def test_proportion_known_answer():
    """Two proportions, Cohen's h: power = Phi(h sqrt(n/2) - z) + Phi(-h sqrt(n/2) - z).

    R: h <- 0.3; pnorm(h*sqrt(100/2) - qnorm(.975)) + pnorm(-h*sqrt(100/2) - qnorm(.975))  # 0.5641160254
       2 * ((qnorm(.975) + qnorm(.8)) / h)^2   # 174.4195497 (one-tail approximation, pwr::pwr.2p.test)
    """
    got = power_analytic(0.3, n=100, test="proportion").iloc[0]["power"]
    assert got == pytest.approx(0.5641160254, abs=1e-9)
    n = power_analytic(0.3, power=0.8, test="proportion").iloc[0]["n1"]
    z = stats.norm.ppf(0.975)
    exact = stats.norm.cdf(0.3 * np.sqrt(n / 2) - z) + stats.norm.cdf(-0.3 * np.sqrt(n / 2) - z)
    assert exact == pytest.approx(0.8, abs=1e-9)
    assert n == pytest.approx(174.4195497, abs=1e-3)  # the far tail moves n by 4e-4


def test_cohens_h():
    # R: 2 * asin(sqrt(.65)) - 2 * asin(sqrt(.5))
    assert cohens_h(0.65, 0.5) == pytest.approx(0.304692654, abs=1e-9)
    assert cohens_h(0.5, 0.5) == 0
    with pytest.raises(PowerInputError, match="p1 must be a proportion"):
        cohens_h(1.2, 0.5)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not on PATH")
def test_ttest_against_live_r():
    code = ("cat(format(c(power.t.test(delta=0.5, power=0.8, strict=TRUE, tol=1e-10)$n, "
            "power.t.test(n=50, delta=0.5, strict=TRUE)$power), digits=15), sep='\\n')")
    proc = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=60, check=True)
    out = proc.stdout
    n_r, p_r = map(float, out.split())
    assert power_analytic(0.5, power=0.8).iloc[0]["n1"] == pytest.approx(n_r, rel=1e-7)
    assert power_analytic(0.5, n=50).iloc[0]["power"] == pytest.approx(p_r, rel=1e-9)


@given(st.floats(0.05, 2.0), st.floats(0.5, 0.99))
def test_solving_round_trips(d, pw):
    """Solve n for (d, power), then the power at that n is the requested one."""
    n = power_analytic(d, power=pw).iloc[0]["n1"]
    if n < 2:  # huge effects need less than the minimum we accept
        return
    assert power_analytic(d, n=n).iloc[0]["power"] == pytest.approx(pw, abs=1e-6)


def test_design_effect_known_answers():
    assert design_effect(10, 0.05) == pytest.approx(1.45)
    assert design_effect(10, 0.05, cv=0.5) == pytest.approx(1 + (1.25 * 10 - 1) * 0.05)  # 1.575
    assert design_effect(1, 0.9) == 1.0 and design_effect(25, 0.0) == 1.0
    np.testing.assert_allclose(design_effect(np.array([2, 11]), 0.1), [1.1, 2.0])
    assert effective_n(1000, 10, 0.05) == pytest.approx(1000 / 1.45)
    with pytest.raises(PowerInputError, match="icc must be in"):
        design_effect(10, 1.5)
    with pytest.raises(PowerInputError, match="m must be >= 1"):
        design_effect(0.5, 0.1)


@pytest.mark.parametrize("kwargs, match", [
    ({"effect_size": 0.5}, "exactly one of"),
    ({"effect_size": None, "n": None, "power": 0.8}, "exactly one of"),
    ({"effect_size": 0.5, "power": 0.8, "test": "anova"}, "test must be"),
    ({"effect_size": 0.5, "power": 1.2}, "power must be in"),
    ({"effect_size": 0.5, "n": 1}, "n must be >= 2"),
    ({"effect_size": 0.0, "power": 0.8}, "never reaches"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(PowerInputError, match=match):
        power_analytic(**kwargs)


# ------------------------------------------------------------------ simulation


def _two_group_normal(n_dialogues, *, seed, d=0.5):
    """Two groups of n_dialogues / 2 unit-variance normals, means 0 and d."""
    half = n_dialogues // 2
    return pd.DataFrame({"y": np.r_[seed.normal(0, 1, half), seed.normal(d, 1, half)],
                         "g": np.repeat([0, 1], half)})


def _ttest_fit(df):
    res = stats.ttest_ind(df.loc[df["g"] == 1, "y"], df.loc[df["g"] == 0, "y"])
    return pd.DataFrame({"term": ["g"], "estimate": [df.groupby("g")["y"].mean().diff().iloc[-1]],
                         "p": [res.pvalue]})


def test_simulated_power_matches_analytic():
    """Simulated t-test power at n = 64 per group, d = 0.5 vs R power.t.test: 0.8015 (3 MC SE)."""
    res = power_simulation(128, model=_ttest_fit, simulate_fn=_two_group_normal, n_sims=600, seed=3)
    row = res.iloc[0]
    assert row["n_sims"] == 600 and row["n_failed"] == 0
    assert abs(row["power"] - 0.8014595579) < 3 * np.sqrt(0.8 * 0.2 / 600)
    assert row["ci_low"] < 0.8014595579 < row["ci_high"]
    assert row["mean_estimate"] == pytest.approx(0.5, abs=0.03)


def test_simulation_seeded_and_curve():
    kw = {"model": _ttest_fit, "simulate_fn": _two_group_normal, "n_sims": 50}
    a = power_simulation([40, 160], seed=7, **kw)
    pd.testing.assert_frame_equal(a, power_simulation([40, 160], seed=7, **kw))
    assert a["n_dialogues"].tolist() == [40, 160]
    assert a.loc[1, "power"] > a.loc[0, "power"]


def test_simulation_reports_failures():
    calls = {"n": 0}

    def flaky(df):
        calls["n"] += 1
        if calls["n"] % 2:
            raise np.linalg.LinAlgError("singular")
        return _ttest_fit(df)

    row = power_simulation(60, model=flaky, simulate_fn=_two_group_normal, n_sims=10, seed=0).iloc[0]
    assert row["n_failed"] == 5 and row["n_sims"] == 5


@pytest.mark.slow
def test_ordinal_null_rejects_at_alpha():
    """No planted effect: rejection rate of the ordinal-logit Wald test ~ 0.05 (MC SE 0.015)."""
    res = power_simulation(150, model="ordinal", n_sims=200, seed=11, effects={}, terms=["apology_per100"])
    assert res.iloc[0]["power"] < 0.05 + 3 * np.sqrt(0.05 * 0.95 / 200)


@pytest.mark.slow
def test_rate_power_with_clustering():
    """Cluster-robust Poisson: null group contrast near alpha, RR 1.5 detected far more often."""
    res = power_simulation(200, model="rate", n_sims=100, seed=5, dialogue_sd=0.6,
                           group_rate_ratios={"apology": 1.5}).set_index("term")
    assert res.loc["apology: group", "power"] > 0.6
    assert res.loc["thanks: group", "power"] < 0.05 + 3 * np.sqrt(0.05 * 0.95 / 100)
    assert res.loc["apology: group", "mean_estimate"] == pytest.approx(np.log(1.5), abs=0.06)


def test_simulation_bad_arguments():
    with pytest.raises(PowerInputError, match="n_dialogues must be integers"):
        power_simulation(0)
    with pytest.raises(PowerInputError, match="model must be one of"):
        power_simulation(10, model="probit")
    with pytest.raises(PowerInputError, match="term 'nope' not in the fits"):
        power_simulation(20, model=_ttest_fit, simulate_fn=_two_group_normal, n_sims=2, terms=["nope"])
