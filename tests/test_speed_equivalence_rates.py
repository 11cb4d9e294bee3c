"""features.rates: the integer fast path of the per-dialogue agent sums equals the pandas groupby path
(Float64 conversion, ``sum(min_count=1)``, reindex) on generated feature tables, NA counts included;
so do float64 counts (what dialogue_features passes), which take the fast path only when they are
whole numbers >= 0 with an exact total."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.features import (
    _agent_sums,
    _agent_sums_int,
    _agent_sums_pandas,
    _sums_exactly,
    rates,
)

KEYS = ["corpus", "dialogue_id"]


@st.composite
def tables(draw):
    n = draw(st.integers(0, 30))
    dialogues = draw(st.lists(st.sampled_from(["d1", "d2", "d3", "d4"]), min_size=n, max_size=n))
    roles = draw(st.lists(st.sampled_from(["agent", "customer"]), min_size=n, max_size=n))
    cell = st.one_of(st.none(), st.integers(0, 5))
    counts = [draw(st.lists(cell, min_size=n, max_size=n)) for _ in range(2)]
    plain = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    return pd.DataFrame({
        "corpus": pd.array(["c"] * n, dtype="string"), "dialogue_id": pd.array(dialogues, dtype="string"),
        "role": roles, "lang": pd.array(["en"] * n, dtype="string"),
        "n_tokens": pd.array(plain, dtype="Int64"),
        "m_a": pd.array(counts[0], dtype="Int64"), "m_b": pd.array(counts[1], dtype="Int64"),
        "m_c": np.asarray(plain, dtype="int64"),  # a plain numpy int column
    })


def _assert_equals_groupby_path(f: pd.DataFrame, agent_sums) -> None:
    out = f[KEYS].drop_duplicates().reset_index(drop=True)
    idx = pd.MultiIndex.from_frame(out[KEYS])
    agent = f[f["role"] == "agent"]
    cols = ["n_tokens", "m_a", "m_b", "m_c"]
    want_sums, want_n = _agent_sums_pandas(agent, KEYS, cols, idx)
    got_sums, got_n = agent_sums(agent, KEYS, cols, idx)
    pd.testing.assert_frame_equal(got_sums, want_sums)
    assert got_n.tolist() == want_n.tolist()


@settings(max_examples=100, deadline=None)
@given(tables())
def test_integer_path_equals_groupby_path(f):
    _assert_equals_groupby_path(f, _agent_sums_int)


def test_known_answer_with_na():
    # d1: agent counts 1 and NA -> 1; d2: only NA in agent rows -> NA; d3: no agent row -> NA, 0 turns
    f = pd.DataFrame({"corpus": "c", "dialogue_id": ["d1", "d1", "d2", "d3"],
                      "role": ["agent", "agent", "agent", "customer"], "lang": "en",
                      "n_tokens": pd.array([4, 6, 5, 3], dtype="Int64"),
                      "m_a": pd.array([1, None, None, 2], dtype="Int64")})
    r = rates(f, per="agent_turn")
    assert r["n_turns"].tolist() == [2, 1, 0]
    assert r["m_a_per_turn"].iloc[0] == 0.5
    assert np.isnan(r["m_a_per_turn"].iloc[1]) and np.isnan(r["m_a_per_turn"].iloc[2])


@st.composite
def float_tables(draw):
    """Float64 count columns: whole numbers and NaN (the fast path), or with a fraction, a negative
    value, a negative zero, an infinity or a huge value somewhere (the groupby path)."""
    n = draw(st.integers(0, 30))
    dialogues = draw(st.lists(st.sampled_from(["d1", "d2", "d3", "d4"]), min_size=n, max_size=n))
    roles = draw(st.lists(st.sampled_from(["agent", "customer"]), min_size=n, max_size=n))
    whole = st.one_of(st.just(float("nan")), st.integers(0, 9).map(float))
    odd = st.sampled_from([0.5, -1.0, -0.0, float("inf"), 2.0**60, 1e-300, 3.25])
    cell = st.one_of(whole, whole, whole, odd)
    cols = {f"m_{k}": draw(st.lists(cell, min_size=n, max_size=n)) for k in "abc"}
    return pd.DataFrame({
        "corpus": pd.array(["c"] * n, dtype="string"), "dialogue_id": pd.array(dialogues, dtype="string"),
        "role": roles, "n_tokens": np.asarray(draw(st.lists(whole, min_size=n, max_size=n)), dtype="float64"),
        **{c: np.asarray(v, dtype="float64") for c, v in cols.items()},
    })


@settings(max_examples=150, deadline=None)
@given(float_tables())
def test_float_counts_equal_groupby_path(f):
    _assert_equals_groupby_path(f, _agent_sums)


def test_float_fast_path_conditions():
    ok = pd.Series([0.0, 3.0, float("nan"), 12.0])
    assert _sums_exactly(ok) and _sums_exactly(pd.Series([1, 2], dtype="Int64"))
    for bad in ([0.5], [-1.0], [-0.0], [float("inf")], [2.0**52, 1.0]):
        assert not _sums_exactly(pd.Series(bad)), bad
    assert not _sums_exactly(pd.Series([1.0], dtype="Float64"))  # masked floats: the groupby path


def test_float_known_answer():
    # d1: agent counts 2 and NaN -> 2.0 over 2 turns; d2: only NaN -> NA; d3: no agent row -> NA, 0 turns
    f = pd.DataFrame({"corpus": "c", "dialogue_id": ["d1", "d1", "d2", "d3"],
                      "role": ["agent", "agent", "agent", "customer"],
                      "n_tokens": [4.0, 6.0, 5.0, 3.0], "m_a": [2.0, float("nan"), float("nan"), 1.0]})
    r = rates(f, per=("agent_turn", "100_tokens"))
    assert r["n_turns"].tolist() == [2, 1, 0]
    assert r["m_a_per_turn"].iloc[0] == 1.0 and r["m_a_per_100tok"].iloc[0] == 20.0
    assert np.isnan(r["m_a_per_turn"].iloc[1]) and np.isnan(r["m_a_per_turn"].iloc[2])


def _rates_reference(features, per=("agent_turn", "100_tokens")):
    """features.rates before the numpy division (session 5), verbatim but for the sums, which are
    the groupby path's (the reference of the tests above)."""
    keys = ["corpus", "dialogue_id"]
    suffix = {"agent_turn": "per_turn", "100_tokens": "per_100tok"}
    per = [per] if isinstance(per, str) else list(per)
    mcols = [c for c in features.columns if c.startswith("m_")]
    out = features[keys].drop_duplicates().reset_index(drop=True)
    agent = features[features["role"] == "agent"]
    idx = pd.MultiIndex.from_frame(out[keys])
    sums, n_turns = _agent_sums_pandas(agent, keys, ["n_tokens", *mcols], idx)
    out["n_turns"] = n_turns.to_numpy()
    out["n_tokens"] = sums["n_tokens"].fillna(0).astype("float64").to_numpy()
    cols = {}
    for p in per:
        den = (n_turns.astype("float64") if p == "agent_turn" else sums["n_tokens"].astype("float64") / 100)
        den = den.where(den > 0)
        for c in mcols:
            cols[f"{c}_{suffix[p]}"] = (sums[c].astype("float64") / den).to_numpy()
    return pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)


@settings(max_examples=100, deadline=None)
@given(st.one_of(tables(), float_tables()), st.sampled_from([("agent_turn", "100_tokens"), "agent_turn",
                                                             ("100_tokens",)]))
def test_rates_equal_reference(f, per):
    f = f.drop(columns=["lang"], errors="ignore")  # (the lang column has its own tests)
    pd.testing.assert_frame_equal(rates(f, per=per), _rates_reference(f, per=per))
