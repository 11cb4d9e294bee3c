"""features.rates: the integer fast path of the per-dialogue agent sums equals the pandas groupby path
(Float64 conversion, ``sum(min_count=1)``, reindex) on generated feature tables, NA counts included."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.features import _agent_sums_int, _agent_sums_pandas, rates

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


@settings(max_examples=200, deadline=None)
@given(tables())
def test_integer_path_equals_groupby_path(f):
    out = f[KEYS].drop_duplicates().reset_index(drop=True)
    idx = pd.MultiIndex.from_frame(out[KEYS])
    agent = f[f["role"] == "agent"]
    cols = ["n_tokens", "m_a", "m_b", "m_c"]
    want_sums, want_n = _agent_sums_pandas(agent, KEYS, cols, idx)
    got_sums, got_n = _agent_sums_int(agent, KEYS, cols, idx)
    pd.testing.assert_frame_equal(got_sums, want_sums)
    assert got_n.tolist() == want_n.tolist()


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
