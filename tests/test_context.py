"""Context heuristics: anticipation, personalization, dialogue phase (invented dialogues only)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.context import (
    anticipation,
    closing_offer_pattern,
    content_words,
    dialogue_phase,
    is_slot_request,
    marker_flags,
    personalization,
)

COLS = ["corpus", "dialogue_id", "turn", "role", "text"]


def frame(rows, lang):
    return pd.DataFrame(rows, columns=COLS).assign(lang=lang)


EN = frame([
    ("demo", "d1", 0, "customer", "I need a hotel room in the centre for two nights."),
    ("demo", "d1", 1, "agent", "What day would you like to arrive?"),                     # slot request
    ("demo", "d1", 2, "customer", "Friday, please."),
    ("demo", "d1", 3, "agent", "Would you like a hotel room in the centre?"),              # asked for
    ("demo", "d1", 4, "agent", "Would you like me to book a taxi from the station too?"),  # anticipation
    ("demo", "d1", 5, "agent", "Is there anything else I can help you with?"),             # closing offer
    ("demo", "d1", 6, "agent", "Would you like that?"),                                    # no content word
], "en")
EN_CUE = [False, True, False, True, True, True, True]

JA = frame([
    ("demo", "j1", 0, "customer", "京都で温泉付きのお部屋を探しています。"),
    ("demo", "j1", 1, "agent", "何名様でご利用でしょうか。"),
    ("demo", "j1", 2, "customer", "二名です。"),
    ("demo", "j1", 3, "agent", "よろしければ、温泉付きのお部屋はいかがでしょうか。"),
    ("demo", "j1", 4, "agent", "よろしければ、駅からの送迎バスもご予約いたしましょうか。"),
    ("demo", "j1", 5, "agent", "他に何かございますか。"),
    ("demo", "j1", 6, "customer", "京都の紅葉を見に行く予定です。"),
    ("demo", "j1", 7, "agent", "紅葉をご覧になるのでしたら、嵐山がおすすめです。"),
], "ja")
JA_CUE = [False, True, False, True, True, True, False, True]


def test_slot_request_and_closing_offer_rules():
    assert is_slot_request("How many people will be staying?", "en")
    assert is_slot_request("May I have your name, please?", "en")
    assert not is_slot_request("Would you like me to book a taxi as well?", "en")
    assert is_slot_request("お名前をお伺いしてもよろしいでしょうか。", "ja")
    assert is_slot_request("ご希望の日程を教えてください。", "ja")
    assert not is_slot_request("よろしければ朝食もお付けしましょうか。", "ja")
    # offers that merely mention a slot or a WH-word are not slot requests
    assert not is_slot_request("Would you like me to tell you where the nearest pharmacy is?", "en")
    assert not is_slot_request("What about a taxi from the station?", "en")
    assert is_slot_request("Great. Please tell me your phone number.", "en")
    assert is_slot_request("Sure! Which area do you prefer?", "en")
    assert not is_slot_request("よろしければ、ご予算に合わせたプランもご用意できます。", "ja")
    assert is_slot_request("ご予算はおいくらくらいでしょうか。", "ja")
    assert is_slot_request("承知しました。チェックインはいつになりますか？", "ja")
    assert closing_offer_pattern("Can I help you with anything else today?", "en")
    assert not closing_offer_pattern("Would you like breakfast with that?", "en")
    assert closing_offer_pattern("ほかにご不明な点はございますか。", "ja")


def test_content_words_english_and_japanese():
    assert content_words(["Would you like me to book a taxi from the station?"], "en") == [
        {"book", "taxi", "station"}
    ]
    # Japanese: nouns and independent verbs (lemmas); する/いたす and particles dropped
    assert content_words(["送迎バスをご予約いたしましょうか。"], "ja") == [{"送迎", "バス", "予約"}]
    # slot values dropped on request (personalization): numbers, weekdays, counters
    assert content_words(["Two rooms on Friday for my mother"], "en", slot_values=False) == [
        {"room", "mother"}
    ]
    assert content_words(["金曜日に二名で母と行きます"], "ja", slot_values=False) == [{"母", "行く"}]


def test_anticipation_english_known():
    out = anticipation(EN, cue=EN_CUE)
    assert out.index.equals(EN.index)
    assert out["anticipation"].tolist() == [pd.NA, 0, pd.NA, 0, 1, 0, 0]
    assert out["slot_request"].tolist() == [False, True, False, False, False, False, False]
    assert out["closing_offer"].tolist() == [False, False, False, False, False, True, False]
    # turn 3 content words {hotel, room, centre} all in turn 0 -> overlap 1; turn 4 {book, taxi, station} -> 0
    assert out.loc[3, "anticipation_overlap"] == 1.0
    assert out.loc[4, "anticipation_overlap"] == 0.0
    assert math.isnan(out.loc[6, "anticipation_overlap"])


def test_anticipation_window_limits_memory():
    df = frame([
        ("demo", "w", 0, "customer", "Is there a taxi service?"),
        ("demo", "w", 1, "customer", "Okay."),
        ("demo", "w", 2, "customer", "Fine."),
        ("demo", "w", 3, "agent", "Would you like me to book a taxi?"),
    ], "en")
    cue = [False, False, False, True]
    # content words {book, taxi}; taxi was said 3 customer turns back: overlap 1/2
    assert anticipation(df, cue=cue, window=3).loc[3, "anticipation_overlap"] == 0.5
    assert anticipation(df, cue=cue, window=3).loc[3, "anticipation"] == 0  # 0.5 is not < 0.5
    assert anticipation(df, cue=cue, window=2).loc[3, "anticipation"] == 1


def test_anticipation_japanese_known():
    out = anticipation(JA, cue=JA_CUE)
    # 1: 何名様 slot request; 3: offers what was asked; 4: shuttle bus unasked; 5: closing offer;
    # 7: no cue flag in the features
    assert out["anticipation"].tolist() == [pd.NA, 0, pd.NA, 0, 1, 0, pd.NA, 1]


def test_anticipation_uses_features_by_key_and_by_position():
    feats = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": range(7),
                          "m_anticipation_cue": np.array(EN_CUE, dtype=int) * 2})
    by_key = anticipation(EN, feats.iloc[::-1])  # shuffled rows joined on keys
    by_pos = anticipation(EN, feats[["m_anticipation_cue"]])
    assert by_key["anticipation"].tolist() == by_pos["anticipation"].tolist() == [pd.NA, 0, pd.NA, 0, 1, 0, 0]


def test_anticipation_input_order_and_index_kept():
    shuffled = EN.iloc[[6, 2, 4, 0, 1, 3, 5]].set_axis(list("gcaebdf"))
    cue = [EN_CUE[i] for i in [6, 2, 4, 0, 1, 3, 5]]
    out = anticipation(shuffled, cue=cue)
    assert list(out.index) == list("gcaebdf")
    assert out.loc["a", "anticipation"] == 1  # turn 4


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['lang'\]"):
        anticipation(EN.drop(columns="lang"), cue=EN_CUE)
    with pytest.raises(ValueError, match="expected 7 values"):
        anticipation(EN, cue=[True])
    with pytest.raises(ValueError, match="no column 'm_anticipation_cue'"):
        anticipation(EN, pd.DataFrame({"m_apology": [0] * 7}))
    feats = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": range(6), "m_anticipation_cue": 0})
    with pytest.raises(ValueError, match="lacks rows for utterances"):
        anticipation(EN, feats)
    dup = pd.concat([EN, EN.iloc[[0]]])
    with pytest.raises(ValueError, match="duplicate"):
        anticipation(dup, cue=[*EN_CUE, False])


def test_marker_flags_not_required_missing_marker():
    flags = marker_flags(EN, "greeting", pd.DataFrame({"m_other": [1] * 7}), required=False)
    assert not flags.any()


def test_personalization_known():
    out = personalization(JA, cue=[False] * 7 + [True])
    assert out.loc[7, "personalization"] == 1
    assert out.loc[7, "personalization_words"] == "紅葉"
    assert out["personalization"].isna().tolist() == [r == "customer" for r in JA["role"]]
    en = frame([
        ("demo", "p", 0, "customer", "We travel with our dog on Friday."),
        ("demo", "p", 1, "agent", "Since you travel on Friday, we open early."),  # only a slot value shared
        ("demo", "p", 2, "agent", "Since you have your dog with you, this hotel allows pets."),
    ], "en")
    res = personalization(en, cue=[False, True, True])
    # "travel" is a situation word too; "friday" is a slot value and never counts
    assert res["personalization_words"].tolist() == ["", "travel", "dog"]
    assert res["personalization"].tolist() == [pd.NA, 1, 1]
    assert personalization(en, cue=[False, True, True], min_overlap=2)["personalization"].tolist() == [
        pd.NA, 0, 0
    ]


def test_personalization_ignores_words_the_agent_introduced():
    en = frame([
        ("demo", "q", 0, "agent", "We have a spa."),
        ("demo", "q", 1, "customer", "A spa sounds nice."),
        ("demo", "q", 2, "agent", "As you like the spa, I booked it."),
    ], "en")
    out = personalization(en, cue=[False, False, True])
    # customer words {spa, sound, nice} minus {spa} (the agent's) share nothing with {spa, book}
    assert out.loc[2, "personalization_words"] == ""
    assert out.loc[2, "personalization"] == 0


def test_dialogue_phase_position_and_markers():
    df = frame([("demo", "p", i, "agent", "ok") for i in range(10)], "en")
    assert dialogue_phase(df)["phase"].tolist() == ["opening"] * 2 + ["body"] * 6 + ["closing"] * 2
    feats = pd.DataFrame({"m_greeting": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
                          "m_closing": [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]})
    phases = dialogue_phase(df, features_df=feats)["phase"].tolist()
    assert phases[3] == "opening" and phases[6] == "closing" and phases[5] == "body"
    short = frame([("demo", "s", 0, "agent", "hi"), ("demo", "s", 1, "customer", "bye")], "en")
    assert dialogue_phase(short)["phase"].tolist() == ["opening", "closing"]
    pos = dialogue_phase(df)["position"]
    assert pos.iloc[0] == 0 and pos.iloc[-1] == 1
    with pytest.raises(ValueError, match="opening must be a share"):
        dialogue_phase(df, opening=2)


words = st.sampled_from(["taxi", "hotel", "room", "breakfast", "station", "the", "a", "book", "spa"])
utterance = st.tuples(st.sampled_from(["agent", "customer"]), st.lists(words, min_size=1, max_size=6),
                      st.booleans())


@settings(max_examples=40, deadline=None)
@given(st.lists(utterance, min_size=1, max_size=8), st.integers(1, 4), st.floats(0.05, 1))
def test_anticipation_properties(turns, window, threshold):
    rows = [("p", "d", i, role, " ".join(ws).capitalize() + ".") for i, (role, ws, _) in enumerate(turns)]
    df = frame(rows, "en")
    cue = [c for _, _, c in turns]
    out = anticipation(df, cue=cue, window=window, threshold=threshold)
    assert len(out) == len(df)
    agent = (df["role"] == "agent").to_numpy()
    assert out["anticipation"].isna().to_numpy().tolist() == (~agent).tolist()
    flagged = out["anticipation"].fillna(0).astype(bool).to_numpy()
    # anticipation implies a cue and an overlap below the threshold
    assert not (flagged & ~np.asarray(cue)).any()
    assert (out.loc[flagged, "anticipation_overlap"] < threshold).all()
    ov = out["anticipation_overlap"].dropna()
    assert ((ov >= 0) & (ov <= 1)).all()


def test_anticipation_with_marker_engine_cues():
    """Without features or flags the cues come from the marker lexicons (engine helper's files)."""
    pytest.importorskip("omotenashi_research.markers.engine")
    en = anticipation(EN)["anticipation"].tolist()
    # 1 slot request, 3 asked-for offer, 4 unasked taxi offer, 5 "anything else?"
    assert (en[1], en[3], en[4], en[5]) == (0, 0, 1, 0)
    ja = anticipation(JA)["anticipation"].tolist()
    assert (ja[1], ja[3], ja[4], ja[5]) == (0, 0, 1, 0)
