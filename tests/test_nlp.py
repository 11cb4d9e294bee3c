"""The offline pipelines named in DEVELOPERS.md load from the project's own install, as documented."""

from __future__ import annotations

import pytest

from omotenashi_research.nlp import EN_MODEL_ENV, get_pipeline, pipe, token_counts


def test_japanese_blank_pipeline_gives_sudachi_lemmas_and_tags(nlp_ja):
    doc = nlp_ja("申し訳ございませんでした")
    lemmas = [t.lemma_ for t in doc]
    assert "ござる" in lemmas  # conjugated ございませ -> dictionary form: patterns match every conjugation
    assert any(t.tag_.startswith("助動詞") for t in doc)


def test_english_blank_pipeline_lemmatises_with_lookup_tables(nlp_en):
    assert [t.lemma_ for t in nlp_en("We were apologizing")] == ["We", "be", "apologize"]
    assert nlp_en.pipe_names == ["sentencizer", "lemmatizer"]


def test_pipelines_are_cached():
    assert get_pipeline("en") is get_pipeline("en")


def test_ginza_parses_when_asked():
    nlp = get_pipeline("ja", parse=True)
    doc = nlp("ホテルの部屋を予約しました。")
    assert "parser" in nlp.pipe_names
    assert {t.dep_ for t in doc} & {"obj", "ROOT"}  # GiNZA's UD labels


def test_english_model_defaults_to_blank_and_is_configurable(monkeypatch):
    monkeypatch.delenv(EN_MODEL_ENV, raising=False)
    assert get_pipeline("en").pipe_names == ["sentencizer", "lemmatizer"]  # blank: no model needed
    monkeypatch.setenv(EN_MODEL_ENV, "en_model_that_is_not_installed")
    with pytest.raises(OSError):
        get_pipeline("en")


def test_unsupported_language_is_a_clear_error():
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        get_pipeline("de")


def test_token_counts_skip_punctuation():
    assert token_counts(["Thank you!", "ありがとうございます。"], "en")[0] == 2
    assert [len(d) for d in pipe(["a b", "c"], "en")] == [2, 1]
