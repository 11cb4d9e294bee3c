"""Marker engine: agreement with spaCy's matchers, known answers, and hypothesis properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research.markers import (
    MarkerMatcher,
    count_markers,
    explain,
    get_matcher,
    load_lexicons,
    marker_names,
)
from omotenashi_research.nlp import get_pipeline


def _sentences(lang: str) -> list[str]:
    out = []
    for lex in load_lexicons(lang).values():
        for e in lex.entries:
            out.extend([*e.examples, *e.counterexamples])
    return sorted(set(out))


EN_SENTENCES = _sentences("en")
NEUTRAL_EN = "The museum opens at nine."
# Words of the English lexicons plus punctuation, to build texts full of near-misses.
_EN_WORDS = sorted({w for t in EN_SENTENCES for w in t.replace(",", " ,").replace(".", " .").split()})
_TOKENS = [*_EN_WORDS, ".", "?", "!", ",", "'s", "n't"]
en_texts = st.lists(st.sampled_from(_TOKENS), min_size=0, max_size=25).map(" ".join)
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _spacy_counts(mm: MarkerMatcher, text: str) -> np.ndarray:
    """Counts from spaCy's own Matcher/PhraseMatcher (the reference semantics)."""
    row = np.zeros(len(mm.markers), dtype=np.int64)
    for mi, *_ in mm._resolve_matches(mm._raw_spacy(mm.nlp.make_doc(text))):
        row[mi] += 1
    return row


# -- the fast executor is spaCy's Matcher, only faster ------------------------------------------

def _assert_executor_matches_spacy(mm: MarkerMatcher, text: str) -> None:
    doc = mm.nlp.make_doc(text)
    assert mm._raw(doc) == mm._raw_spacy(doc)
    np.testing.assert_array_equal(mm.counts(text), _spacy_counts(mm, text))


@PROPS
@given(en_texts)
def test_executor_matches_spacy_matcher_en(text):
    _assert_executor_matches_spacy(get_matcher("en"), text)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_executor_matches_spacy_matcher_on_lexicon_sentences(lang):
    mm = get_matcher(lang)
    texts = _sentences(lang)
    _, fast = mm.count_docs([mm.nlp.make_doc(t) for t in texts])
    for i, t in enumerate(texts):
        doc = mm.nlp.make_doc(t)
        assert mm._raw(doc) == mm._raw_spacy(doc), t
        np.testing.assert_array_equal(fast[i], _spacy_counts(mm, t), err_msg=t)


@PROPS
@given(en_texts)
def test_derived_lemmas_and_sentence_starts_equal_the_pipeline(text):
    nlp = get_pipeline("en")
    mm = get_matcher("en")
    ref = nlp(text)
    ours = mm.make_doc(text)
    assert [t.lemma_ for t in ours] == [t.lemma_ for t in ref]
    assert [bool(t.is_sent_start) for t in ours] == [bool(t.is_sent_start) for t in ref]
    # the batch columns (used for counting) agree with the pipeline too
    cols, _, _ = mm._batch_columns([nlp.make_doc(text), nlp.make_doc(text)])
    if "IS_SENT_START" in mm._cols:
        got = cols[:, mm._cols["IS_SENT_START"]].astype(bool).tolist()
        assert got == [bool(t.is_sent_start) for t in ref] * 2


# -- properties --------------------------------------------------------------------------------

@PROPS
@given(en_texts)
def test_counts_are_non_negative_ints_for_every_marker(text):
    counts = get_matcher("en").count(text)
    assert list(counts) == marker_names("en")
    assert all(isinstance(v, int) and v >= 0 for v in counts.values())


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1] in ".!?" else text + "."


@PROPS
@given(st.sampled_from(EN_SENTENCES))
def test_unrelated_sentence_does_not_change_counts(a):
    mm = get_matcher("en")
    assert sum(mm.count(NEUTRAL_EN).values()) == 0
    a = _sentence(a)
    assert mm.count(a + " " + NEUTRAL_EN) == mm.count(a)
    assert mm.count(NEUTRAL_EN + " " + a) == mm.count(a)


@PROPS
@given(st.sampled_from(EN_SENTENCES), st.sampled_from(EN_SENTENCES))
def test_counts_add_over_sentences(a, b):
    mm = get_matcher("en")
    a, b = _sentence(a), _sentence(b)
    joined = mm.counts(a + " " + b)
    np.testing.assert_array_equal(joined, mm.counts(a) + mm.counts(b))


# -- known answers -----------------------------------------------------------------------------

def test_overlapping_rules_of_one_marker_count_once():
    mm = get_matcher("en")
    # three closing_offer rules overlap on this question
    assert mm.count("Is there anything else I can help you with?")["closing_offer"] == 1
    text = "Is there anything else I can help you with?"
    spans = [s for s in mm.spans(text) if s.marker == "closing_offer"]
    assert len(spans) == 1 and spans[0].start == 0


def test_count_markers_known_answers_and_shape():
    df = count_markers(["Thank you so much! Thanks again.", "OK.", "", "I'm sorry to hear that."], "en")
    assert list(df.columns) == marker_names("en") and len(df) == 4
    assert df["gratitude"].tolist() == [2, 0, 0, 0]
    assert df["empathy"].tolist() == [0, 0, 0, 1]
    assert df["apology"].tolist() == [0, 0, 0, 0]
    assert (df.dtypes == "int64").all()


def test_count_markers_rejects_non_text_with_position():
    with pytest.raises(TypeError, match=r"texts\[1\] must be a string, got float"):
        count_markers(["Hello", float("nan")], "en")


def test_count_markers_multiprocess_equals_single():
    texts = EN_SENTENCES[:300]
    one = count_markers(texts, "en", batch_size=50)
    two = count_markers(texts, "en", batch_size=50, n_process=2)
    pd.testing.assert_frame_equal(one, two)


def test_explain_reports_exclusions():
    ex = explain("I'm sorry to hear that. Sorry for the delay.", "en")
    apology = ex[(ex["marker"] == "apology") & (ex["kind"] == "entry")]
    assert apology["counted"].tolist() == [False, True]
    assert apology["reason"].iloc[0] == "excluded by en_apology_not_sorry_to_hear"
    assert list(ex.columns) == ["marker", "entry_id", "kind", "start", "end", "text", "counted", "reason"]


def test_custom_lexicon_directory_and_spacy_fallback(tmp_path):
    (tmp_path / "demo.yaml").write_text(
        "marker: demo\nlang: en\ndescription: d\nentries:\n"
        "  - id: t_demo_len\n"
        "    pattern: [{LOWER: room}, {LENGTH: 3}]\n"  # LENGTH: not in the executor -> spaCy fallback
        "    rationale: r\n    source: own rationale\n    examples: [room 101]\n"
        "  - id: t_demo_phrase\n    phrase: [late check out, late checkout]\n"
        "    rationale: r\n    source: own rationale\n    examples: [a late checkout]\n",
        encoding="utf-8",
    )
    mm = MarkerMatcher("en", lexicons=load_lexicons("en", directory=tmp_path))
    assert mm._n_fallback == 1
    assert mm.count("Room 101 has a late check out and room 2002 a late checkout.") == {"demo": 3}


def test_empty_and_whitespace_texts_count_zero():
    mm = get_matcher("en")
    assert sum(mm.count("").values()) == 0
    assert sum(mm.count("   ").values()) == 0


# -- Japanese: MORPH (inflection) checks run in the executor, not in spaCy's Matcher ------------------

_JA_SENTENCES = _sentences("ja")
_JA_PIECES = sorted({t.text for s in _JA_SENTENCES for t in get_pipeline("ja").make_doc(s)})
ja_texts = st.lists(st.sampled_from(_JA_PIECES), min_size=0, max_size=20).map("".join)


def test_japanese_inflection_rules_are_compiled_not_left_to_spacy():
    # the MORPH REGEX rules (終止形, 命令形 ...) used to run through spaCy's Matcher on every doc
    assert get_matcher("ja")._n_fallback == 0


@PROPS
@given(ja_texts)
def test_executor_matches_spacy_matcher_ja(text):
    _assert_executor_matches_spacy(get_matcher("ja"), text)


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["asdc", "jmultiwoz", "kokorochat"])
def test_executor_matches_spacy_matcher_on_japanese_corpora(corpora_dir, name):
    from omotenashi_research.annotation import load_annotation_corpus

    texts = load_annotation_corpus(name)["text"].astype(str)
    texts = texts.sample(n=min(1500, len(texts)), random_state=0).tolist()
    mm = get_matcher("ja")
    docs = [mm.nlp.make_doc(t) for t in texts]
    _, fast = mm.count_docs(docs)
    # spaCy's matches of each doc, once: compared with the executor's, then resolved into the reference
    # counts (what _spacy_counts gives, without tokenising each text a second time)
    ref = np.zeros((len(docs), len(mm.markers)), dtype=np.int64)
    bad = []
    for i, d in enumerate(docs):
        raw_spacy = mm._raw_spacy(d)
        if mm._raw(d) != raw_spacy:
            bad.append(i)
        for mi, *_ in mm._resolve_matches(raw_spacy):
            ref[i, mi] += 1
    assert not bad, f"{len(bad)} of {len(texts)} texts differ (row positions {bad[:5]})"
    np.testing.assert_array_equal(fast, ref)
