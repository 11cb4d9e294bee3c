"""Japanese marker lexicons: hand-written tricky cases (invented sentences) and a hypothesis property.

Every ``examples`` / ``counterexamples`` sentence of the YAML files is checked by
test_lexicon_files.py; the cases here pin the disambiguation rules documented in the
lexicon descriptions (すみません / 恐れ入ります readings, empathy vs acknowledgement,
ownership vs knowledge_gap, counting one apology act once).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.markers import explain, get_matcher, load_lexicons

# (text, marker, expected count): counts were worked out by hand from the rules in the YAML files.
CASES = [
    # すみません: apology by default ...
    ("遅れてすみません。", "apology", 1),
    ("遅れてすみません。", "pol_ja_cushion", 0),
    ("遅れてすみません。", "gratitude", 0),
    # ... attention-getter before a question or request: cushion, not apology
    ("すみません、駅はどこですか。", "apology", 0),
    ("すみません、駅はどこですか。", "pol_ja_cushion", 1),
    ("すみません、お水をください。", "apology", 0),
    ("あのー、すみません。", "apology", 0),
    # ... sentence-initial but followed by a statement: still an apology
    ("すみません、すぐに直します。", "apology", 1),
    # ... thanks for a favour
    ("わざわざすみません。", "gratitude", 1),
    ("わざわざすみません。", "apology", 0),
    ("手伝ってくれてすみません。", "gratitude", 1),
    ("手伝ってくれてすみません。", "apology", 0),
    # ... request preface
    ("すみませんが、もう一度お願いします。", "apology", 0),
    ("すみませんが、もう一度お願いします。", "pol_ja_cushion", 1),
    # 恐れ入ります: cushion before a request, thanks alone, never an apology
    ("恐れ入りますが、お名前をお願いします。", "pol_ja_cushion", 1),
    ("恐れ入りますが、お名前をお願いします。", "gratitude", 0),
    ("恐れ入りますが、お名前をお願いします。", "apology", 0),
    ("ご丁寧に恐れ入ります。", "gratitude", 1),
    ("ご丁寧に恐れ入ります。", "pol_ja_cushion", 0),
    # acknowledgement is deference, not empathy
    ("かしこまりました。", "empathy", 0),
    ("かしこまりました。", "deference", 1),
    ("承知しました。", "empathy", 0),
    ("それは大変でしたね。", "empathy", 1),  # two entries overlap: counted once
    ("大変申し訳ございません。", "empathy", 0),
    # one apology act, two apology expressions in a row: ご迷惑をおかけして + 申し訳 -> only 申し訳 counts
    ("ご迷惑をおかけして申し訳ございません。", "apology", 1),
    ("申し訳ございません。本当に申し訳ございませんでした。", "apology", 2),
    # ownership vs knowledge_gap (documented choice)
    ("確認いたします。", "ownership", 1),
    ("確認いたします。", "knowledge_gap", 0),
    ("確認してまいります。", "knowledge_gap", 1),
    ("確認してまいります。", "ownership", 0),
    # deflection only without a continuation
    ("返品はできかねます。", "deflection", 1),
    ("返品はできかねますが、交換は可能です。", "deflection", 0),
    # こちらでは分かりかねます is deflection in the codebook (a bare "unknown"); it is also a knowledge gap
    ("分かりかねます。", "deflection", 1),
    ("分かりかねます。", "knowledge_gap", 1),
    ("分かりかねますが、お調べいたします。", "deflection", 0),
    # a bare "unknown" answering an asked attribute; ご不明な点 invites questions
    ("送迎バスの有無は不明でございます。", "deflection", 1),
    ("送迎バスの有無は、不明となっております。", "deflection", 1),
    ("ご不明な点がございましたらお知らせください。", "deflection", 0),
    ("不明な点があればどうぞ。", "deflection", 0),
    ("息子さんの本心は私にはわかりません。", "deflection", 1),
    ("理由はわかりませんが、一緒に整理してみましょう。", "deflection", 0),
    ("詳細は施設へ直接お問い合わせください。", "deflection", 1),
    ("こちらへお問い合わせください。", "deflection", 0),
    # ownership: humble action verbs without 私が; questions and formulae are not ownership
    ("海の見えるお宿をお探しいたします。", "ownership", 1),
    ("その条件でお調べしますので、お待ちください。", "ownership", 1),
    ("禁煙ルームも条件に加えておきますね。", "ownership", 1),
    ("ツインのお部屋をお取りしました。", "ownership", 1),
    ("ご注文を承りました。", "ownership", 1),
    ("お調べしたところ、三件ございました。", "ownership", 1),
    ("海の見えるお宿をお探ししましょうか？", "ownership", 0),
    ("何かお調べいたしますか？", "ownership", 0),
    ("よろしくお願いいたします。", "ownership", 0),
    ("大変お待たせしました。", "ownership", 0),
    ("この旅館をお勧めします。", "ownership", 0),
    ("確認しました。", "ownership", 0),
    # empathy: burdens, positive reactions and counselling reflections of a feeling
    ("階段の多い宿は大変かと思います。", "empathy", 1),
    ("お天気のご心配もあるかと存じます。", "empathy", 1),
    ("ご出産おめでとうございます。", "empathy", 1),
    ("結婚記念日のご旅行、素敵ですね。", "empathy", 1),
    ("ずっと認めてもらえないとお感じなんですね。", "empathy", 1),
    ("一人で抱えてつらかったですね。", "empathy", 1),
    ("先が見えなくて不安ですよね。", "empathy", 1),
    ("転職を考えているということですね。", "empathy", 0),
    ("大変人気のお宿ですね。", "empathy", 0),
    ("ご不安な点はございますか。", "empathy", 0),
    ("露天風呂が気持ちいいですね。", "empathy", 0),
    # sonkeigo: お/ご〜です predicates about the customer
    ("お部屋のタイプはお決まりですか。", "sonkeigo", 1),
    ("和室をご希望でしょうか。", "sonkeigo", 1),
    ("レンタカーをご利用でしたら駐車場がございます。", "sonkeigo", 1),
    ("将来のことをどのようにお考えですか。", "sonkeigo", 1),
    # respectful (ら)れる: the matcher's procedural rule (markers.respectful), with a cue in the sentence
    ("夕食はどうされますか。", "sonkeigo", 1),  # a question to the listener
    ("そう思われるんですね。", "sonkeigo", 1),  # confirming the listener's state
    ("不安を感じておられるのですね。", "sonkeigo", 1),
    ("ずっと頑張ってこられたのですね。", "sonkeigo", 1),
    ("先生に褒められたのですね。", "sonkeigo", 0),  # an honoured agent に: a plain passive
    ("辛いものは食べられないのですね。", "sonkeigo", 0),  # negated: the potential
    ("昨日は雨に降られました。", "sonkeigo", 0),  # no cue: the suffering passive is left alone
    # kenjougo: お/ご〜する with a nominal stem and お/ご〜できる; おられる and お〜される are not humble
    ("空室をお調べします。", "kenjougo", 1),
    ("空港までご案内できます。", "kenjougo", 1),
    ("不安を感じておられるのですね。", "kenjougo", 0),
    ("お話しされて、いかがでしたか。", "kenjougo", 0),
    ("お話しされて、いかがでしたか。", "sonkeigo", 1),
    ("担当者は席を外しております。", "kenjougo", 1),
    ("こちらでご案内です。", "sonkeigo", 0),
    ("割引が適用されるプランです。", "sonkeigo", 0),
    ("雨になると思われます。", "sonkeigo", 0),
    # personalization: building on what the customer said
    ("車いすをお使いとのことですので、段差のないお宿をお探しします。", "personalization_cue", 1),
    ("お子様がいらっしゃるので、広めのお部屋はいかがでしょうか。", "personalization_cue", 1),
    ("二泊とのことですが、よろしいでしょうか。", "personalization_cue", 0),
    # polite question is an offer cue, not a hedge
    ("こちらのお席はいかがでしょうか。", "anticipation_cue", 1),
    ("こちらのお席はいかがでしょうか。", "hedge", 0),
    ("明日は晴れるでしょう。", "hedge", 1),
    ("他にご不明な点はございますか。", "closing_offer", 1),
    # 失礼: past = apology, present = closing
    ("大変失礼いたしました。", "apology", 1),
    ("大変失礼いたしました。", "closing", 0),
    ("それでは失礼いたします。", "closing", 1),
    ("それでは失礼いたします。", "apology", 0),
    # request forms
    ("少々お待ちいただけますか。", "pol_ja_indirect_request", 1),
    ("少々お待ちください。", "pol_ja_please", 1),
    ("少々お待ちください。", "pol_ja_indirect_request", 0),
    ("少々お待ちください。", "pol_ja_bare_command", 0),
    ("ちょっと待て。", "pol_ja_bare_command", 1),
    # reassurance is a statement, not a question
    ("問題ございません。", "pol_ja_reassurance", 1),
    ("大丈夫ですか？", "pol_ja_reassurance", 0),
    # ～てきました is aspect, not "go and find out"
    ("以前にも聞いてきましたよね。", "knowledge_gap", 0),
    ("担当者に聞いてきます。", "knowledge_gap", 1),
]


@pytest.mark.parametrize(("text", "marker", "expected"), CASES)
def test_tricky_cases(text, marker, expected):
    assert get_matcher("ja").count(text)[marker] == expected


def test_explain_names_the_attention_getter_rule():
    ex = explain("すみません、駅はどこですか。", "ja")
    row = ex[(ex["marker"] == "apology") & (ex["kind"] == "entry")]
    assert row["entry_id"].tolist() == ["ja_apology_sumimasen"]
    assert row["reason"].tolist() == ["excluded by ja_apology_not_attention_getter"]


def test_every_japanese_entry_has_rationale_source_and_examples():
    for lex in load_lexicons("ja").values():
        for e in lex.entries:
            assert e.id.startswith("ja_"), e.id
            assert e.rationale and e.source and e.examples, e.id


def _example_sentences() -> list[str]:
    out = []
    for lex in load_lexicons("ja").values():
        for e in lex.entries:
            out += [s for s in (*e.examples, *e.counterexamples) if s.endswith("。")]
    return sorted(set(out))


EXAMPLES = _example_sentences()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(EXAMPLES), min_size=1, max_size=4))
def test_counts_add_up_over_sentences(sentences):
    """No rule reaches across 。: the counts of a text are the sum of its sentences' counts."""
    mm = get_matcher("ja")
    whole = mm.counts("".join(sentences))
    parts = sum(mm.counts(s) for s in sentences)
    assert (whole >= 0).all()
    assert whole.tolist() == parts.tolist()
