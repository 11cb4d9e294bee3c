"""The fast template key and the shared context preparation give exactly what the plain versions give.

``template_key`` skips rules that cannot match (a literal every match contains is absent) and
translates punctuation with a per-character table; the reference below is the previous
implementation, kept verbatim (it applies every rule on every pass). The context rules prepare the
utterance table once for anticipation, personalization and phase in ``extract_features(context=True)``;
the test compares against the three public functions called one by one. Texts are invented here;
the corpus test reads USS and JMultiWOZ at run time and stores nothing.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research import scripted_templates as stpl
from omotenashi_research.scripted import template_key

PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the reference: the previous implementation (every rule on every pass) ---------------------------

def _ref_strip_punct(text: str) -> str:
    if text.isascii():
        return text.translate(stpl._ASCII_PS)
    chars = [
        " " if (unicodedata.category(c)[0] in "PS" and c not in stpl._PLACEHOLDER_CHARS) else c for c in text
    ]
    return "".join(chars)


def _ref_one_pass(text: str, lang: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower()
    s = re.sub(r"<(?!(?:date|time|price|code|num|name)>)", " ", s)
    s = re.sub(r"(?<!<date)(?<!<time)(?<!<price)(?<!<code)(?<!<num)(?<!<name)>", " ", s)
    for k, (pattern, repl) in enumerate(stpl._RULES):
        if k in stpl._NEEDS_DIGIT and "<num>" not in s and not stpl._DIGIT.search(s):
            continue
        s = pattern.sub(repl, s)
    s = _ref_strip_punct(s)
    s = re.sub(r"\s+", " ", s).strip()
    if lang == "ja":
        s = re.sub(r"(?<![a-z0-9>]) | (?![a-z0-9<])", "", s)
    return s


def _ref_template_key(text: str, lang: str) -> str:
    s = text
    for _ in range(10):
        new = _ref_one_pass(s, lang)
        if new == s:
            break
        s = new
    return s


# -- generated texts: the slots' raw material, glued with spaces, punctuation or nothing -------------

_PIECES = [
    "7:30", "7:30pm", "7.30 p.m.", "10am", "12/25", "2024-03-01", "3rd", "march 5", "5th of may", "monday",
    "fridays", "$12.50", "£5", "€ 3", "¥1,000", "￥500", "20 dollars", "5 usd", "1000円", "三千円",
    "mr smith", "Dr. O'Neil", "my name is anna", "this is bob", "ab12cd", "x9y8z7", "booking ref 7yq2k",
    "one", "twenty", "thousand", "42", "3.14", "1,000,000",
    "午前10時30分", "午後三時半", "3月5日", "二〇二四年", "令和6年5月",
    "月曜日", "金曜", "三名", "二泊", "５名様", "１２：３０", "ＡＢＣ１２３", "ｈｔｔｐ", "user@example.com",
    "https://example.org/a?b=1", "www.test.jp", "<num>", "<date", "time>", "<name>", "<<>>", "a<b>c",
    "may", "day", "is", "miss", "ms", "dr", "mrs jones", "名", "時", "円", "年", "日", "曜", "〇", "两",
    "jan 5", "sept <num>", "<num> dollars", "<num> euros", "<num>:<num>", "<num>/<num>", "<num> pm",
    "$<num>", "<num>th of june", "a.m.", "p.m", "gbp", "yen", "pounds", "name  is", "this\tis",
    "\u3000", "\t", "\n", "\xa0", "\x1c", "\u2028", "…", "・", "「", "」", "、", "。", "！", "？", "-", "/",
    ".", ",", ":", "'", "(", ")", "②", "Ⅻ", "½", "ﬁ", "İ", "٣", "Ⅳ", "㍻", "㌔",
]
_GLUE = st.sampled_from(["", " ", "  ", ", ", ". ", "-", "/", "。", "、", ":"])
_texts = st.lists(st.tuples(st.sampled_from(_PIECES), _GLUE), max_size=12).map(
    lambda parts: "".join(p + g for p, g in parts)
)
_free = st.text(
    alphabet=st.sampled_from(list("0123456789０１２３:/.-,$£¥円年月日時分名泊曜〇一二三十百千万 amp<>@ａＢ")
                             + ["\u3000", "\t"]),
    max_size=30,
)


@PROPS
@given(st.one_of(_texts, _free), st.sampled_from(["en", "ja"]))
def test_template_key_equals_reference(text, lang):
    assert stpl._template_key.__wrapped__(text, lang) == _ref_template_key(text, lang)


@PROPS
@given(st.text(max_size=40))
def test_strip_punct_equals_reference_on_any_unicode(text):
    assert stpl._strip_punct(text) == _ref_strip_punct(text)


_ASCII_WORDS = st.sampled_from([
    "monday", "_monday_", "one", "one2", "2one", "$5one", "7:30pmone", "mr", "mr.", "dr x", "miss", "this is",
    "name is", "my name is", "<num>", "<num>/<num>", "<num> pm", "<num> dollars", "jan", "may <num>",
    "<name>", "<date", "num>", "x", "the", "am", "pm", "eur", "-", "/", ":", "$", "_", "\x00", "\x1f", "é",
])
_ascii_texts = st.lists(st.tuples(_ASCII_WORDS, _GLUE), max_size=10).map(
    lambda parts: "".join(p + g for p, g in parts)
)


@PROPS
@given(st.one_of(_texts, _free, _ascii_texts), st.sampled_from(["en", "ja"]))
def test_fixed_point_proof_is_sound(text, lang):
    # _template_key skips a pass when _is_fixed_point says the pass would change nothing: check that
    # claim against the reference pass, on outputs of one and of two passes.
    once, runs, fixed = stpl._pass(text, lang)
    assert once == _ref_one_pass(text, lang)
    twice, runs2, fixed2 = stpl._pass(once, lang)
    for s, r, f in ((once, runs, fixed), (twice, runs2, fixed2)):
        if r is not None:  # _pass's runs are a superset of its output's a-z runs
            assert set(stpl._az_runs(s)) <= r
        if f or stpl._is_fixed_point(s, r) or stpl._is_fixed_point(s):
            assert _ref_one_pass(s, lang) == s


_plain_texts = st.lists(st.tuples(st.sampled_from([
    "hello", "today", "monday", "mr", "mrs", "ms", "items", "address", "dr", "drive", "this", "is", "name",
    "one",
    "someone", "phone", "twenty", "may", "x", "_", "\x00", "\x7f", "it's", "e-mail", "a.m", "is.", "this,is",
]), st.sampled_from([" ", "  ", ", ", ". ", "!", "-", "\t", "", "?", ":", "("])), max_size=10).map(
    lambda parts: "".join(p + g for p, g in parts)
)


@PROPS
@given(_plain_texts, st.sampled_from(["en", "ja"]))
def test_plain_pass_is_the_pass_and_a_fixed_point(text, lang):
    # The one-pass shortcut for texts without digits or brackets: the reference pass's output, and
    # unchanged by a second reference pass.
    s = unicodedata.normalize("NFKC", text).lower()
    out = stpl._plain_pass(s)
    if out is not None:
        assert _ref_one_pass(text, lang) == out
        assert _ref_one_pass(out, lang) == out


def test_fixed_point_proof_declines_when_a_rule_would_act():
    # Outputs of a pass that the next pass still changes (a rule matches only after punctuation went).
    for text in ["_monday_ at 9", "ask for_mr_smith", "_one_ more"]:
        once = stpl._one_pass(text, "en")
        assert stpl._one_pass(once, "en") != once
        assert not stpl._is_fixed_point(once)


@PROPS
@given(st.lists(st.sampled_from(list("abcdefmnoprstuy/-:$.<>_ ")
                               + ["jan", "may", "day", "mr", "miss", "am", "p.m", "eur", "yen",
                                  "this is", "name is", "年", "月", "日", "曜", "時", "円", "£"]),
                max_size=20).map("".join))
def test_gates_spell_out_the_literal_table(text):
    for k, literals in stpl._ANY_OF.items():
        assert stpl._GATES[k](text, False) == any(lit in text for lit in literals), k
    assert stpl._GATES[5](text, False) == ("月" in text and "日" in text)


@PROPS
@given(st.one_of(_texts, _ascii_texts, st.text(alphabet=st.characters(max_codepoint=127), max_size=40)))
def test_word_gates_never_skip_a_match(text):
    # A rule skipped because none of its words is a whole a-z run must have no match.
    s = text.lower()
    if not s.isascii():
        return
    runs = set(stpl._az_runs(s))
    for k, words in stpl._WORD_GATES.items():
        if stpl._RULES[k][0].search(s) is not None:
            assert not words.isdisjoint(runs), k
    assert stpl._GATES[17](s, False) == (not stpl._WORD_GATES[17].isdisjoint(runs))


@PROPS
@given(st.one_of(_texts, _ascii_texts, st.text(max_size=30)))
def test_fast_number_word_pattern_equals_rule(text):
    s = text.lower()
    assert stpl._PATTERNS[17].sub("<num>", s) == stpl._RULES[17][0].sub("<num>", s)


def test_template_key_known_answers():
    # Hand-checked keys (the same as the docstring's), through the cached public path.
    assert template_key("Your table for 4 is booked at 7:30 PM, Mr. Smith!", "en") == (
        "your table for <num> is booked at <time> mr <name>"
    )
    assert template_key("３名様、５月３日で承りました。", "ja") == "<num>名様<date>で承りました"


# -- context: one preparation for the three rules equals the three public calls -------------------

def _context_utts() -> pd.DataFrame:
    rows = [
        ("demo", "b", 1, "agent", "Would you like me to book a taxi from the station as well?"),
        ("demo", "b", 0, "customer", "We need a hotel with parking for our dog on Friday."),
        ("demo", "a", 2, "agent", "Since you travel with your dog, this hotel allows pets. Anything else?"),
        ("demo", "a", 0, "customer", "Hello, I need a room for two nights with my dog."),
        ("demo", "a", 1, "agent", "Hello! What date would you like to arrive?"),
        ("other", "a", 0, "agent", "Good morning, how can I help?"),
        ("other", "a", 1, "customer", "Thanks, that is all."),
    ]
    df = pd.DataFrame(rows, columns=["corpus", "dialogue_id", "turn", "role", "text"])
    return df.assign(speaker=None, lang="en").set_axis([5, 5, 3, 1, 0, 9, 2])  # unsorted, repeated labels


@pytest.mark.parametrize("shuffle", [False, True])
def test_context_shared_preparation_equals_public_calls(shuffle):
    from omotenashi_research import context
    from omotenashi_research.features import extract_features

    utt = _context_utts()
    if shuffle:
        utt = utt.iloc[::-1]
    feats = extract_features(utt, progress=False)
    got = extract_features(utt, context=True, progress=False)
    expected = feats.copy()
    expected["anticipation"] = context.anticipation(utt, feats)["anticipation"].array
    expected["personalization"] = context.personalization(utt, feats)["personalization"].array
    expected["phase"] = context.dialogue_phase(utt, features_df=feats)["phase"].array
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # Flags read from a features table in another row order go through the join: same values.
    other = feats.iloc[::-1]
    pd.testing.assert_frame_equal(context.anticipation(utt, other), context.anticipation(utt, feats))


@pytest.mark.corpus
@pytest.mark.skipif(not os.environ.get("OMOTENASHI_DATA"), reason="needs OMOTENASHI_DATA (staged corpora)")
def test_template_key_equals_reference_on_corpus_sentences():
    from omotenashi_research.datasets.uss import load_uss
    from omotenashi_research.scripted import split_sentences

    df = load_uss()
    texts = [s for t in df["text"].head(20000) for s in (t, *split_sentences(t))]
    fast = stpl._template_key.__wrapped__
    bad = [i for i, t in enumerate(texts) if fast(t, "en") != _ref_template_key(t, "en")]
    assert not bad, f"{len(bad)} of {len(texts)} USS texts differ (first positions {bad[:5]})"


# -- lexical diversity: all sequences at once equal the token-by-token loops, bit for bit ----------

def _float_bits(x: float) -> int:
    import struct

    return struct.unpack("<q", struct.pack("<d", x))[0]


@PROPS
@given(st.lists(st.lists(st.sampled_from(list("abcdefgh") + ["the", "The", "a b"]), min_size=1, max_size=160),
                min_size=1, max_size=5),
       st.integers(1, 60), st.sampled_from([0.72, 0.5, 0.9, 0.3]))
def test_diversity_many_equals_lexical_diversity(sequences, window, threshold):
    from omotenashi_research.lexical_diversity import _diversity_many, _mattr, _mtld_pass
    from omotenashi_research.scripted import lexical_diversity

    mattr, mtld = _diversity_many(sequences, window=window, threshold=threshold)
    for tokens, m, d in zip(sequences, mattr, mtld, strict=True):
        assert _float_bits(m) == _float_bits(lexical_diversity(tokens, "mattr", window=window))
        assert _float_bits(m) == _float_bits(_mattr(tokens, window))
        expected = lexical_diversity(tokens, "mtld", threshold=threshold)
        assert _float_bits(d) == _float_bits(expected) or (math.isnan(d) and math.isnan(expected))
        fwd, bwd = _mtld_pass(tokens, threshold), _mtld_pass(tokens[::-1], threshold)
        assert (0.0 + fwd + bwd) / 2 == expected or math.isnan(expected)


def test_diversity_many_long_segments_and_known_answers():
    from omotenashi_research.lexical_diversity import _diversity_many

    # 400 distinct tokens then repeats: the first MTLD segment runs past the 128-token look-ahead.
    long_seq = [f"w{i}" for i in range(400)] + ["w1"] * 300
    mattr, mtld = _diversity_many([list("ababc"), list("ababab"), list("abac"), list("abcd"), long_seq],
                                  window=3)
    assert mattr[:4] == [(2 / 3 + 2 / 3 + 1) / 3, 2 / 3, (2 / 3 + 1) / 2, 1.0]
    assert mtld[1] == 3.0
    assert round(mtld[2], 2) == 4.24
    assert math.isnan(mtld[3])
    from omotenashi_research.scripted import lexical_diversity

    assert mtld[4] == lexical_diversity(long_seq, "mtld")
