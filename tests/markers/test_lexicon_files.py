"""Every lexicon file: examples must fire, counterexamples must not; bad files fail with clear errors."""

from __future__ import annotations

import textwrap

import pytest

from omotenashi_research.markers import LexiconError, get_matcher, load_lexicon_file, load_lexicons
from omotenashi_research.nlp import SUPPORTED_LANGS


def _cases(kind: str):
    out = []
    for lang in SUPPORTED_LANGS:
        for marker, lex in load_lexicons(lang).items():
            for e in lex.entries:
                for i, text in enumerate(getattr(e, kind)):
                    out.append(pytest.param(lang, marker, e.id, text, id=f"{e.id}-{i}"))
    return out


@pytest.mark.parametrize(("lang", "marker", "entry_id", "text"), _cases("examples"))
def test_example_fires_marker(lang, marker, entry_id, text):
    spans = get_matcher(lang).spans(text)
    assert any(s.marker == marker for s in spans), f"{entry_id}: {text!r} does not trigger {marker}"


@pytest.mark.parametrize(("lang", "marker", "entry_id", "text"), _cases("counterexamples"))
def test_counterexample_does_not_fire_marker(lang, marker, entry_id, text):
    hits = [s for s in get_matcher(lang).spans(text) if s.marker == marker]
    assert not hits, f"{entry_id}: counterexample {text!r} triggers {marker}: {hits}"


def test_entry_ids_unique_across_languages():
    ids = [e.id for lang in SUPPORTED_LANGS for lex in load_lexicons(lang).values()
           for e in (*lex.entries, *lex.exclude)]
    assert len(ids) == len(set(ids))


def test_every_entry_has_rationale_source_and_example():
    for lang in SUPPORTED_LANGS:
        for lex in load_lexicons(lang).values():
            assert lex.description
            for e in lex.entries:
                assert e.rationale and e.source and e.examples, e.id


def test_english_marker_inventory():
    names = set(load_lexicons("en"))
    service = {"gratitude", "apology", "greeting", "closing", "closing_offer", "empathy", "ownership",
               "deflection", "hedge", "knowledge_gap", "deference", "anticipation_cue", "personalization_cue"}
    convokit = {"please", "please_start", "hashedge", "indirect_btw", "hedges", "factuality", "deference",
                "gratitude", "apologizing", "1st_person_pl", "1st_person", "1st_person_start", "2nd_person",
                "2nd_person_start", "indirect_greeting", "direct_question", "direct_start", "haspositive",
                "hasnegative", "subjunctive", "indicative"}
    r_feats = (
        "Hedges Positive.Emotion Negative.Emotion Impersonal.Pronoun Swearing Negation Filler.Pause "
        "Informal.Title Formal.Title Could.You Can.You By.The.Way Let.Me.Know Goodbye For.Me For.You "
        "Reasoning Reassurance Ask.Agency Give.Agency Hello Please First.Person.Plural First.Person.Single "
        "Second.Person Agreement Acknowledgement Subjectivity Bare.Command WH.Questions YesNo.Questions "
        "Gratitude Apology Truth.Intensifier Affirmation Adverb.Just Conjunction.Start"
    ).split()
    expected = service | {f"pol_convokit_{n}" for n in convokit} | {
        "pol_r_" + n.lower().replace(".", "_") for n in r_feats}
    assert expected == names, (expected - names, names - expected)


# -- validation errors name the file and the entry ----------------------------------------------

_GOOD_ENTRY = """
  - id: t_ok
    pattern: [{LOWER: hello}]
    rationale: test
    source: own rationale
    examples: ["hello"]
"""


def _write(tmp_path, body: str, name: str = "demo.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("  - id: t_bad\n    pattern: [{LOWR: hello}]\n    rationale: r\n    source: s\n    examples: [hi]\n",
         "invalid spaCy Matcher pattern"),
        ("  - id: t_bad\n    pattern: [{LOWER: {IN: [no, yes]}}]\n    rationale: r\n    source: s\n"
         "    examples: [hi]\n", "quote them"),
        ("  - id: t_bad\n    pattern: [{LOWER: hi}]\n    source: s\n    examples: [hi]\n",
         "missing 'rationale'"),
        ("  - id: t_bad\n    pattern: [{LOWER: hi}]\n    rationale: r\n    examples: [hi]\n",
         "missing 'source'"),
        ("  - id: t_bad\n    pattern: [{LOWER: hi}]\n    rationale: r\n    source: s\n",
         "needs at least one"),
        ("  - id: t_bad\n    pattern: [{LOWER: hi}]\n    phrase: hi\n    rationale: r\n    source: s\n"
         "    examples: [hi]\n", "exactly one of 'pattern' or 'phrase'"),
        ("  - id: t_bad\n    phrase: [hi, hi]\n    rationale: r\n    source: s\n    examples: [hi]\n",
         "more than once"),
        ("  - id: t_bad\n    pattern: [{LOWER: hi}]\n    rationale: r\n    source: s\n    examples: [hi]\n"
         "    colour: red\n", "unknown key"),
    ],
)
def test_bad_entry_error_names_file_and_entry(tmp_path, entries, message):
    path = _write(tmp_path, "marker: demo\nlang: en\ndescription: d\nentries:\n" + entries)
    with pytest.raises(LexiconError) as err:
        load_lexicon_file(path)
    text = str(err.value)
    assert str(path) in text and "'t_bad'" in text and message in text


def test_duplicate_ids_are_reported(tmp_path):
    path = _write(tmp_path, "marker: demo\nlang: en\ndescription: d\nentries:" + _GOOD_ENTRY + _GOOD_ENTRY)
    with pytest.raises(LexiconError, match=r"demo\.yaml: entry 't_ok': duplicate id"):
        load_lexicon_file(path)


def test_duplicate_ids_across_files_are_reported(tmp_path):
    _write(tmp_path, "marker: demo\nlang: en\ndescription: d\nentries:" + _GOOD_ENTRY)
    _write(tmp_path, "marker: other\nlang: en\ndescription: d\nentries:" + _GOOD_ENTRY, "other.yaml")
    expected = r"other\.yaml: entry 't_ok': duplicate id, also used in .*demo\.yaml"
    with pytest.raises(LexiconError, match=expected):
        load_lexicons("en", directory=tmp_path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("marker: demo\nlang: en\nentries: [\n", "not valid YAML"),
        ("marker: Demo Marker\nlang: en\ndescription: d\nentries:" + _GOOD_ENTRY, "snake_case"),
        ("marker: demo\nlang: fr\ndescription: d\nentries:" + _GOOD_ENTRY, "'lang' must be one of"),
        ("marker: other\nlang: en\ndescription: d\nentries:" + _GOOD_ENTRY, "file name must be 'other.yaml'"),
        ("marker: demo\nlang: en\ndescription: d\nentries: []\n", "non-empty list"),
    ],
)
def test_bad_file_error_names_file(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(LexiconError) as err:
        load_lexicon_file(path)
    assert str(path) in str(err.value) and message in str(err.value)
