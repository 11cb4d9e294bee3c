"""Tests for omotenashi_research.simulate: structure, known distributions, recovery by the models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from omotenashi_research.simulate import (
    SimulationInputError,
    dialogue_summary,
    simulate_dialogues,
)
from omotenashi_research.stats.models import fit_ordinal, fit_rate


def test_structure_and_truth():
    df = simulate_dialogues(50, turns=(4, 9), seed=3)
    assert df.columns.tolist() == ["corpus", "dialogue_id", "group", "turn", "role", "n_tokens", "apology",
                                   "thanks", "empathy", "sat_dialogue"]
    per = df.groupby("dialogue_id")
    assert (per["group"].first() == np.tile(["en", "ja"], 25)).all()
    assert per.ngroups == 50 and per.size().between(4, 9).all()
    # turns 0..T-1 in order, roles alternate starting with the customer
    assert (per["turn"].apply(lambda t: t.tolist() == list(range(len(t))))).all()
    assert (df["role"] == np.where(df["turn"] % 2 == 0, "customer", "agent")).all()
    assert (df.loc[df["role"] == "customer", ["apology", "thanks", "empathy"]] == 0).all().all()
    assert (df["n_tokens"] >= 1).all() and df["sat_dialogue"].between(1, 5).all()
    assert (per["sat_dialogue"].nunique() == 1).all()
    truth = df.attrs["truth"]
    assert truth["effects"] == {"apology": 0.3, "thanks": 0.2, "empathy": 0.0}
    assert truth["thresholds"] == (-0.5, 0.5, 1.5, 2.5) and truth["seed"] == 3


def test_seeded():
    a, b = simulate_dialogues(20, seed=11), simulate_dialogues(20, seed=11)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate_dialogues(20, seed=12))


def test_agent_first_and_custom_markers():
    df = simulate_dialogues(5, first_role="agent", marker_rates={"sumimasen": 0.1}, seed=0)
    assert df.columns.tolist()[6] == "sumimasen" and df.attrs["truth"]["effects"] == {"sumimasen": 0.0}
    assert (df.loc[df["turn"] == 0, "role"] == "agent").all()


def test_satisfaction_marginals_known_answer():
    """No effects: P(sat = j) = F(theta_j) - F(theta_{j-1}) with F logistic (hand-computed)."""
    th = (-1.0, 0.0, 2.0)
    df = simulate_dialogues(20000, turns=(2, 2), effects={}, thresholds=th, seed=5)
    sat = df.drop_duplicates("dialogue_id")["sat_dialogue"]
    want = np.diff(np.r_[0, stats.logistic.cdf(th), 1])  # 0.2689, 0.2311, 0.3808, 0.1192
    got = sat.value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(got, want, atol=0.012)  # 4 SE of a proportion at n = 20000


def test_token_and_count_means_known_answer():
    """E n_tokens = tokens_mean; with dialogue_sd = 0 agent counts are Poisson(n_tokens * rate)."""
    df = simulate_dialogues(4000, tokens_mean=10.0, marker_rates={"thanks": 0.05}, dialogue_sd=0.0, seed=8)
    assert df["n_tokens"].mean() == pytest.approx(10.0, abs=0.05)
    agent = df[df["role"] == "agent"]
    resid = agent["thanks"] - 0.05 * agent["n_tokens"]
    assert abs(resid.mean()) < 4 * np.sqrt(0.5 / len(agent))
    # Poisson: variance / mean of count given tokens ~ 1 (no extra dispersion without the random effect)
    assert (resid**2).mean() / agent["thanks"].mean() == pytest.approx(1.0, abs=0.05)


def test_dialogue_sd_induces_overdispersion():
    """E[(y - lam)^2 - y] = lam^2 (e^{s^2} - 1) per agent turn (lam = n_tokens x rate, s = dialogue_sd).

    Moment estimate sum((y - lam)^2 - y) / sum(lam^2); its SD over seeds is ~0.013 at this size.
    """
    df = simulate_dialogues(20000, turns=(2, 2), marker_rates={"a": 0.1}, dialogue_sd=0.5, seed=9)
    agent = df[df["role"] == "agent"]
    lam = 0.1 * agent["n_tokens"]
    est = (((agent["a"] - lam) ** 2 - agent["a"]).sum()) / (lam**2).sum()
    assert est == pytest.approx(np.exp(0.25) - 1, abs=0.05)  # 0.2840
    assert agent["a"].mean() == pytest.approx(lam.mean(), rel=0.03)


@pytest.mark.slow
def test_ordinal_fit_recovers_planted_effects():
    truth_beta = {"apology": 0.4, "thanks": -0.2, "empathy": 0.0}
    df = simulate_dialogues(4000, effects=truth_beta, seed=21)
    s = dialogue_summary(df)
    fit = fit_ordinal(s, "sat_dialogue ~ apology_per100 + thanks_per100 + empathy_per100")
    est = fit.coefs_.set_index("term")
    for m, b in truth_beta.items():
        row = est.loc[f"{m}_per100"]
        assert abs(row["estimate"] - b) < 3.5 * row["se"], (m, row["estimate"], b)
        assert abs(row["estimate"] - b) < 0.06
    np.testing.assert_allclose(fit.thresholds_["estimate"], df.attrs["truth"]["thresholds"], atol=0.2)


def test_fit_rate_recovers_marker_rates():
    df = simulate_dialogues(1500, seed=4)
    agent = df[df["role"] == "agent"]
    for m, rate in df.attrs["truth"]["marker_rates"].items():
        r = fit_rate(agent, f"{m} ~ 1", cluster="dialogue_id").coefs_.iloc[0]
        assert r["exp_ci_low"] < rate < r["exp_ci_high"], m
        assert r["exp_estimate"] == pytest.approx(rate, rel=0.08)


def test_group_rate_ratio_recovered():
    df = simulate_dialogues(2000, group_rate_ratios={"apology": 1.5}, seed=14)
    agent = df[df["role"] == "agent"]
    r = fit_rate(agent, "apology ~ C(group)", cluster="dialogue_id").coefs_.iloc[1]
    assert r["term"] == "C(group)[T.ja]" and r["exp_ci_low"] < 1.5 < r["exp_ci_high"]
    assert r["exp_estimate"] == pytest.approx(1.5, rel=0.08)
    t = fit_rate(agent, "thanks ~ C(group)", cluster="dialogue_id").coefs_.iloc[1]
    assert t["exp_ci_low"] < 1.0 < t["exp_ci_high"]
    assert df.attrs["truth"]["group_rate_ratios"] == {"apology": 1.5, "thanks": 1.0, "empathy": 1.0}


def test_dialogue_summary_known_answer():
    df = pd.DataFrame({
        "dialogue_id": ["a"] * 4 + ["b"] * 2,
        "role": ["customer", "agent", "customer", "agent", "customer", "agent"],
        "n_tokens": [5, 10, 3, 30, 2, 8],
        "thanks": [0, 1, 0, 2, 0, 2],
        "sat_dialogue": [4, 4, 4, 4, 2, 2],
    })
    s = dialogue_summary(df, markers=["thanks"]).set_index("dialogue_id")
    assert s.loc["a", "agent_tokens"] == 40 and s.loc["a", "thanks_per100"] == pytest.approx(7.5)
    assert s.loc["b", "thanks_per100"] == pytest.approx(25.0) and s.loc["b", "sat_dialogue"] == 2
    with pytest.raises(SimulationInputError, match="differs within dialogue 'a'"):
        dialogue_summary(df.assign(sat_dialogue=[4, 4, 5, 4, 2, 2]), markers=["thanks"])
    with pytest.raises(SimulationInputError, match="give markers="):
        dialogue_summary(df)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 30),
    lo=st.integers(2, 6),
    extra=st.integers(0, 6),
    rate=st.floats(0, 0.5),
    beta=st.floats(-2, 2),
    sd=st.floats(0, 1.5),
    th=st.lists(st.floats(-4, 4), min_size=1, max_size=6, unique=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants(n, lo, extra, rate, beta, sd, th, seed):
    th = sorted(th)
    if np.any(np.diff(th) <= 0):
        return
    df = simulate_dialogues(n, turns=(lo, lo + extra), marker_rates={"m": rate}, effects={"m": beta},
                            dialogue_sd=sd, thresholds=th, seed=seed)
    sizes = df.groupby("dialogue_id").size()
    assert len(sizes) == n and sizes.between(lo, lo + extra).all()
    assert df["sat_dialogue"].between(1, len(th) + 1).all()
    assert (df["m"] >= 0).all() and (df.loc[df["role"] == "customer", "m"] == 0).all()
    s = dialogue_summary(df)
    assert len(s) == n and (s["agent_tokens"] >= 1).all() and s["m"].sum() == df["m"].sum()


@pytest.mark.parametrize("kwargs, match", [
    ({"n_dialogues": 0}, "n_dialogues must be an integer >= 1"),
    ({"turns": (1, 5)}, "turns must be"),
    ({"turns": (6, 4)}, "turns must be"),
    ({"marker_rates": {"a": 1.5}}, r"marker_rates\['a'\] must be a rate"),
    ({"marker_rates": {"bad name": 0.1}}, "valid identifier"),
    ({"marker_rates": {}}, "marker_rates is empty"),
    ({"effects": {"nope": 1.0}}, r"\['nope'\] that have no rate"),
    ({"thresholds": (1.0, 0.0)}, "strictly increasing"),
    ({"dialogue_sd": -1.0}, "dialogue_sd must be >= 0"),
    ({"first_role": "bot"}, "first_role must be"),
    ({"group_rate_ratios": {"apology": 0.0}}, "group_rate_ratios must be > 0"),
    ({"group_rate_ratios": {"x": 2.0}}, r"\['x'\] that have no rate"),
    ({"groups": ("ja", "ja")}, "two distinct labels"),
    ({"tokens_mean": 0.5}, "tokens_mean must be >= 1"),
])
def test_bad_parameters_are_named(kwargs, match):
    args = {"n_dialogues": 5, **kwargs}
    with pytest.raises(SimulationInputError, match=match):
        simulate_dialogues(args.pop("n_dialogues"), **args)
