"""keigo_features: known answers on invented sentences (worked out by hand from the 敬語の指針 categories)
and hypothesis properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.markers.keigo import (
    KEIGO_MARKERS,
    keigo_features,
    keigo_spans,
    respectful_passive_positions,
)

# text -> (sonkeigo, kenjougo, teineigo, bika_prefix)
KNOWN = {
    "資料をご覧になりますか。": (1, 0, 1, 0),  # ご覧 (+になる) | ます
    "資料を拝見します。": (0, 1, 1, 0),  # 拝見 | ます
    "お客様、こちらへどうぞ。": (0, 0, 0, 1),  # お(客様)
    "少々お待ちください。": (1, 0, 0, 0),  # お待ちください: the お is part of the frame, not bika
    "ご案内いたします。": (0, 1, 1, 0),  # ご案内いたし | ます
    "ありがとうございます。": (0, 0, 1, 0),  # ございます counts once
    "こちらでございます。": (0, 0, 1, 0),
    "先生がおっしゃいました。": (1, 0, 1, 0),
    "田中と申します。": (0, 1, 1, 0),
    "担当者は席を外しております。": (0, 1, 1, 0),  # おり (丁重語) | ます
    "対応させていただきます。": (0, 1, 1, 0),  # させていただき collapses with いただき
    "こちらお茶になります。": (0, 0, 1, 1),  # "manual" Japanese: not お〜になる
    "早く寝なさい。": (0, 0, 0, 0),  # imperative なさい is not respect
    "ネットで申し込みました。": (0, 0, 1, 0),  # 申し込む is not humble 申す
    "社長が来られました。": (1, 0, 1, 0),  # respectful passive, honoured subject
    "先生に褒められました。": (0, 0, 1, 0),  # passive with agent 先生に
    "お客様は食べられませんか。": (0, 0, 1, 1),  # potential (negated) despite the honoured noun
    "回復されたのでしょうか。": (1, 0, 1, 0),  # respectful passive in a question
    "先輩に相談してごらん。": (0, 0, 0, 0),  # 〜てごらん: casual "try", not respectful ご覧
    "いつもお世話になっております。": (0, 1, 1, 1),  # お世話 (bika) | おり | ます; not お〜になる
    "明日は雨だ。": (0, 0, 0, 0),
}
COUNTS = list(KEIGO_MARKERS)


@pytest.fixture(scope="module")
def known() -> pd.DataFrame:
    return keigo_features(list(KNOWN))


@pytest.mark.parametrize("i", range(len(KNOWN)))
def test_known_answers(known, i):
    text = list(KNOWN)[i]
    assert tuple(known.loc[i, COUNTS].tolist()) == KNOWN[text], text


def test_table_shape_types_and_flags(known):
    assert list(known.columns) == [
        *COUNTS,
        "sonkeigo_reru",
        "n_tokens",
        *(f"has_{m}" for m in COUNTS),
        "has_keigo",
    ]
    assert known.index.equals(pd.RangeIndex(len(KNOWN)))
    for m in COUNTS:
        assert known[m].dtype == np.int64
        assert (known[f"has_{m}"] == (known[m] > 0)).all()
    assert known["has_keigo"].tolist() == [any(v) for v in KNOWN.values()]
    # 社長が来られました / 回復されたのでしょうか: the respectful passive is reported on its own too
    assert known["sonkeigo_reru"].sum() == 2


def test_reru_modes():
    texts = ["先生に褒められました。", "社長が来られました。", "帰られました。"]
    assert keigo_features(texts, reru="heuristic")["sonkeigo"].tolist() == [0, 1, 0]
    assert keigo_features(texts, reru="all")["sonkeigo"].tolist() == [1, 1, 1]
    none = keigo_features(texts, reru="none")
    assert none["sonkeigo"].tolist() == [0, 0, 0]
    assert none["sonkeigo_reru"].tolist() == [0, 0, 0]


def test_spans_show_which_word(nlp_ja):
    df = keigo_spans("ご覧になりますか。拝見します。")
    assert df[["marker", "text"]].values.tolist() == [
        ["sonkeigo", "ご覧"],
        ["teineigo", "ます"],
        ["kenjougo", "拝見"],
        ["teineigo", "ます"],
    ]
    assert respectful_passive_positions(nlp_ja("社長が来られました。")) == [3]  # 社長|が|来|られ


def test_bad_input_is_named():
    with pytest.raises(TypeError, match=r"texts\[1\] must be a string, got NoneType"):
        keigo_features(["はい。", None])
    with pytest.raises(ValueError, match="reru must be one of"):
        keigo_features(["はい。"], reru="maybe")


def test_empty_input():
    df = keigo_features([])
    assert len(df) == 0 and "has_keigo" in df.columns


KEIGO_SENTENCES = [t for t, v in KNOWN.items() if any(v)]
# Invented sentences with no keigo at all (plain style, no お/ご, no れる/られる).
PLAIN = ["明日は雨だ。", "本を読む。", "猫がいる。", "駅まで歩いた。", "それは高い。", "ここで待つ。"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(KEIGO_SENTENCES + PLAIN), min_size=1, max_size=4), st.sampled_from(PLAIN))
def test_appending_a_plain_sentence_changes_nothing(sentences, plain):
    text = "".join(sentences)
    before, after = keigo_features([text, text + plain])[COUNTS].to_numpy()
    assert (before >= 0).all()
    assert before.tolist() == after.tolist()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(KEIGO_SENTENCES + PLAIN), min_size=1, max_size=4))
def test_counts_add_up_over_sentences(sentences):
    whole = keigo_features(["".join(sentences)])[COUNTS].to_numpy()[0]
    parts = keigo_features(sentences)[COUNTS].to_numpy().sum(axis=0)
    assert whole.tolist() == parts.tolist()


# Invented sentences for the respectful passive: with a cue (question, 〜のですね, おられる, an honoured
# subject), without one, and the exclusions (honoured agent に, negation, causative).
RERU_SENTENCES = [
    "そう思われるんですね。", "不安を感じておられるのですね。", "夕食はどうされますか。",
    "社長が来られました。", "先生に褒められたのですね。", "辛いものは食べられないのですね。",
    "昨日は雨に降られました。", "ずいぶん待たされたのですね。", "割引が適用されるプランです。",
    "お部屋でゆっくりされますか。",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(RERU_SENTENCES + PLAIN + KEIGO_SENTENCES), min_size=1, max_size=4))
def test_matcher_sonkeigo_equals_keigo_features_heuristic(sentences):
    """extract_features' m_sonkeigo (matcher with its procedural rule) = keigo_features(reru="heuristic")."""
    from omotenashi_research.markers.engine import count_markers

    text = "".join(sentences)
    via_matcher = int(count_markers([text], "ja")["sonkeigo"].iloc[0])
    assert via_matcher == int(keigo_features([text], reru="heuristic")["sonkeigo"].iloc[0])


def test_respectful_passive_cues(nlp_ja):
    # hand-checked: 思わ|れる|ん|です|ね -> れる at 2; 感じ|て|おら|れる|の|です|ね -> れる at 3
    assert respectful_passive_positions(nlp_ja("そう思われるんですね。")) == [2]
    assert respectful_passive_positions(nlp_ja("感じておられる。")) == [3]  # おられる needs no cue
    assert respectful_passive_positions(nlp_ja("雨に降られました。")) == []  # no cue
    assert respectful_passive_positions(nlp_ja("先生に褒められたのですね。")) == []  # honoured agent


_RERU_PIECES = (
    "社長 が 来 られ まし た 。 先生 に 褒め お客様 は 帰ら れ ます か そう 思わ れる のですね おら "
    "言わ ない これ それ ご 利用"
).split()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_RERU_PIECES), max_size=14).map("".join))
def test_respectful_span_gate_never_drops_a_position(nlp_ja, text):
    # respectful_passive_spans skips docs without a れる/られる lemma; the gate must not lose a hit
    from omotenashi_research.markers.respectful import respectful_passive_spans

    doc = nlp_ja(text)
    assert respectful_passive_spans(doc) == [(i, i + 1) for i in respectful_passive_positions(doc)]
