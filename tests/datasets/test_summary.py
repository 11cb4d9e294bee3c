"""summarize_corpus on a hand-made table; expected values computed by hand (token splits in comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omotenashi_research.datasets.summary import summarize_corpus
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.nlp import token_counts

# Invented sentences. Token counts of the blank pipelines, punctuation not counted:
EN = {
    "Thank you very much!": 4,  # Thank | you | very | much
    "I'm sorry, we don't have it.": 8,  # I | 'm | sorry | we | do | n't | have | it
    "Hello, how can I help?": 5,  # Hello | how | can | I | help
}
JA = {
    "申し訳ございません。": 4,  # 申し訳 | ござい | ませ | ん
    "ありがとうございます。": 3,  # ありがとう | ござい | ます
    "お待ちしております。": 6,  # お | 待ち | し | て | おり | ます
}


def test_token_counts_of_known_sentences(nlp_en, nlp_ja):
    assert token_counts(list(EN), "en") == list(EN.values())
    assert token_counts(list(JA), "ja") == list(JA.values())


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rows = [
        ("A", "d1", 0, "customer", "en", "Thank you very much!"),
        ("A", "d1", 1, "agent", "en", "I'm sorry, we don't have it."),
        ("A", "d1", 2, "customer", "en", "Hello, how can I help?"),
        ("A", "d2", 0, "customer", "en", "Thank you very much!"),
        # same dialogue_id as in corpus A: must count as a different dialogue
        ("B", "d1", 0, "agent", "ja", "申し訳ございません。"),
        ("B", "d1", 1, "customer", "ja", "ありがとうございます。"),
        ("B", "d1", 2, "agent", "ja", "お待ちしております。"),
    ]
    return pd.DataFrame(rows, columns=["corpus", "dialogue_id", "turn", "role", "lang", "text"])


def test_default_grouping(table):
    out = summarize_corpus(table)
    expected = pd.DataFrame({
        "corpus": ["A", "A", "B", "B"],
        "lang": ["en", "en", "ja", "ja"],
        "role": ["agent", "customer", "agent", "customer"],
        "n_dialogues": [1, 2, 1, 1],
        "n_utterances": [1, 3, 2, 1],
        "utterances_per_dialogue": [1.0, 1.5, 2.0, 1.0],
        "share_utterances": [1 / 4, 3 / 4, 2 / 3, 1 / 3],  # within corpus x lang
        "mean_tokens": [8.0, 13 / 3, 5.0, 3.0],  # customer A: 4, 5, 4; agent B: 4, 6
        "median_tokens": [8.0, 4.0, 5.0, 3.0],
    })
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_by_role_counts_dialogues_per_corpus(table):
    out = summarize_corpus(table, by=["role"]).set_index("role")
    assert out.loc["agent", "n_dialogues"] == 2  # (A, d1) and (B, d1)
    assert out.loc["customer", "n_dialogues"] == 3
    np.testing.assert_allclose(out["share_utterances"], [3 / 7, 4 / 7])
    np.testing.assert_allclose(out["mean_tokens"], [6.0, 4.0])  # agent 8, 4, 6; customer 4, 5, 4, 3
    np.testing.assert_allclose(out["median_tokens"], [6.0, 4.0])


def test_without_tokens_needs_no_text(table):
    out = summarize_corpus(table.drop(columns=["text"]), by=("corpus",), tokens=False)
    assert list(out.columns) == ["corpus", "n_dialogues", "n_utterances", "utterances_per_dialogue",
                                 "share_utterances"]
    assert out["n_dialogues"].tolist() == [2, 1]
    assert out["n_utterances"].tolist() == [4, 3]
    np.testing.assert_allclose(out["share_utterances"], [4 / 7, 3 / 7])


def test_missing_column_is_named(table):
    with pytest.raises(TranscriptValidationError, match="'role'.*required column missing"):
        summarize_corpus(table.drop(columns=["role"]))


def test_missing_text_and_bad_lang_name_rows(table):
    bad = table.copy()
    bad.loc[2, "text"] = None
    bad.loc[5, "lang"] = "de"
    with pytest.raises(TranscriptValidationError) as err:
        summarize_corpus(bad)
    f = err.value.failures
    assert f[["row", "column"]].values.tolist() == [[2, "text"], [5, "lang"]]
    assert "row 2" in str(err.value) and "row 5" in str(err.value)


def test_missing_group_value_names_row(table):
    bad = table.copy()
    bad.loc[3, "role"] = None
    with pytest.raises(TranscriptValidationError, match="row 3.*grouping value is missing"):
        summarize_corpus(bad, tokens=False)
