"""Multilingual politeness loader: invented files (known answers, bad rows named) and SOURCE.md counts."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.datasets.multilingual_politeness import load_multilingual_politeness, load_politelex
from omotenashi_research.errors import CorpusIncompleteError, CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_sentences


def _write(root, lang: str, split: str, rows: list[tuple[str, str]]):
    folder = root / "multilingual_politeness" / "data" / "labeled_data"
    folder.mkdir(parents=True, exist_ok=True)
    name = {"ja": "japanese", "en": "english"}[lang]
    with open(folder / f"{name}_{split}_4-14.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Utterance", "labels"])
        w.writerows(rows)


def _write_lexicon(root, lang: str, text: str):
    folder = root / "multilingual_politeness" / "MLC" / "Lexica"
    folder.mkdir(parents=True, exist_ok=True)
    name = {"ja": "japanese_politelex_purified.csv", "en": "english_politelex.csv"}[lang]
    (folder / name).write_bytes(text.encode("utf-8"))


def test_invented_files_known_answer(tmp_path):
    # invented texts; the second English text holds a quoted newline, as one upstream row does
    _write(tmp_path, "en", "train", [("Thanks a lot.", repr(11 / 3)), ("Fix it.\nNow.", "0.0")])
    _write(tmp_path, "en", "test", [("Could you check?", repr(7 / 3))])
    _write(tmp_path, "ja", "train", [("ありがとうございます。 助かりました。", "4.0")])
    _write(tmp_path, "ja", "test", [("知らんがな。", "1.0")])
    df = load_multilingual_politeness(["ja", "en"], splits=["train", "test"], data_dir=tmp_path, verify=False)
    validate_sentences(df)
    assert df["item_id"].tolist() == ["ja:train:1", "ja:test:1", "en:train:1", "en:train:2", "en:test:1"]
    assert df["text"].iloc[3] == "Fix it.\nNow."
    assert [round(3 * x) for x in df["politeness"]] == [12, 3, 11, 0, 7]
    assert df["split"].tolist() == ["train", "test", "train", "train", "test"]
    assert df["corpus"].unique().tolist() == ["multilingual-politeness"]


@pytest.mark.parametrize(("label", "problem"), [
    ("4.5", "k/3"), ("-0.3333333333333333", "k/3"), ("2.5", "k/3"), ("high", "k/3"), ("", "k/3"),
])
def test_bad_label_names_file_and_row(tmp_path, label, problem):
    _write(tmp_path, "ja", "val", [("はい。", "2.0"), ("いや、架空の文だよ。", label)])
    with pytest.raises(TranscriptValidationError, match=problem) as err:
        load_multilingual_politeness("ja", splits="val", data_dir=tmp_path, verify=False)
    assert err.value.failures["row"].tolist() == [2]
    assert "japanese_val_4-14.csv" in str(err.value)


def test_empty_text_and_missing_column(tmp_path):
    _write(tmp_path, "ja", "val", [("はい。", "2.0"), ("  ", "2.0")])
    with pytest.raises(TranscriptValidationError, match=r"row 2: column 'Utterance'.*non-empty"):
        load_multilingual_politeness("ja", splits="val", data_dir=tmp_path, verify=False)
    folder = tmp_path / "multilingual_politeness" / "data" / "labeled_data"
    (folder / "japanese_val_4-14.csv").write_text("Utterance,score\nはい。,2.0\n", encoding="utf-8")
    with pytest.raises(TranscriptValidationError, match="required column is missing"):
        load_multilingual_politeness("ja", splits="val", data_dir=tmp_path, verify=False)


def test_verify_rejects_files_that_are_not_the_registered_ones(tmp_path):
    _write(tmp_path, "ja", "val", [("はい。", "2.0")])
    with pytest.raises(CorpusIncompleteError, match=r"japanese_val_4-14\.csv"):
        load_multilingual_politeness("ja", splits="val", data_dir=tmp_path)
    _write_lexicon(tmp_path, "ja", "CATEGORY,word\nhedge,たぶん\n")
    with pytest.raises(CorpusIncompleteError, match="japanese_politelex_purified"):
        load_politelex("ja", data_dir=tmp_path)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown language"):
        load_multilingual_politeness("de", data_dir=tmp_path, verify=False)
    with pytest.raises(ValueError, match="unknown split"):
        load_multilingual_politeness("ja", splits=["dev"], data_dir=tmp_path, verify=False)
    with pytest.raises(ValueError, match="one language"):
        load_politelex(["ja"], data_dir=tmp_path, verify=False)
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('multilingual_politeness'\)"):
        load_multilingual_politeness("ja", data_dir=tmp_path, verify=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=15))
def test_every_k_over_3_label_round_trips(tmp_path_factory, ks):
    root = tmp_path_factory.mktemp("mlp")
    _write(root, "en", "test", [(f"text {i}", repr(k / 3)) for i, k in enumerate(ks)])
    df = load_multilingual_politeness("en", splits="test", data_dir=root, verify=False)
    assert [round(3 * x) for x in df["politeness"]] == ks


def test_invented_lexicon_crlf(tmp_path):
    _write_lexicon(tmp_path, "en", "CATEGORY,word\r\ngratitude,thanks\r\nhedge,maybe\r\nhedge,maybe")
    lex = load_politelex("en", data_dir=tmp_path, verify=False)
    # the duplicate row is kept, as upstream has some
    assert lex[["category", "entry"]].values.tolist() == [["gratitude", "thanks"], ["hedge", "maybe"],
                                                          ["hedge", "maybe"]]
    assert lex["row"].tolist() == [1, 2, 3] and (lex["lang"] == "en").all()
    _write_lexicon(tmp_path, "ja", "category,entry\nhedge,たぶん\n")
    with pytest.raises(TranscriptValidationError, match="CATEGORY"):
        load_politelex("ja", data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)


@pytest.fixture(scope="module")
def mlp(corpora_dir) -> pd.DataFrame:
    return load_multilingual_politeness(data_dir=corpora_dir)


@pytest.mark.corpus
def test_rows_means_sds(mlp):
    validate_sentences(mlp)
    stats = mlp.groupby(["lang", "split"])["politeness"].agg(["size", "mean", "std"])
    expected = {  # (rows, mean, SD n-1) from the SOURCE.md table
        ("ja", "train"): (4_559, 2.326, 0.817), ("ja", "val"): (570, 2.381, 0.815),
        ("ja", "test"): (570, 2.336, 0.830), ("en", "train"): (4_560, 2.028, 0.879),
        ("en", "val"): (570, 2.020, 0.904), ("en", "test"): (570, 2.108, 0.872),
    }
    for key, (n, mean, sd) in expected.items():
        row = stats.loc[key]
        assert (row["size"], round(row["mean"], 3), round(row["std"], 3)) == (n, mean, sd), key
    total = mlp.groupby("lang")["politeness"].agg(["size", "mean", "std", "median"])
    assert total.loc["ja"].round(3).tolist() == [5_699, 2.332, 0.818, 2.333]
    assert total.loc["en"].round(3).tolist() == [5_700, 2.035, 0.881, 2.000]


@pytest.mark.corpus
def test_label_scale_is_thirds(mlp):
    k = (3 * mlp["politeness"]).round().astype(int)
    assert ((3 * mlp["politeness"] - k).abs() < 1e-9).all()
    assert k[mlp["lang"] == "ja"].value_counts().sort_index().tolist() == [
        39, 66, 135, 222, 379, 567, 1_000, 897, 840, 674, 412, 283, 185]
    assert k[mlp["lang"] == "en"].value_counts().sort_index().tolist() == [
        122, 165, 264, 395, 545, 682, 1_045, 807, 682, 402, 295, 162, 134]


@pytest.mark.corpus
def test_quoted_newline_row_and_no_overlap(mlp):
    with_newline = mlp[mlp["text"].str.contains("\n")]
    assert with_newline["item_id"].tolist() == ["en:train:3716"]
    ja = mlp[mlp["lang"] == "ja"]
    assert ja["text"].str.len().max() == 99 and round(ja["text"].str.len().mean(), 1) == 75.6
    assert mlp.groupby("lang")["text"].apply(lambda s: s.duplicated().sum()).tolist() == [0, 0]


@pytest.mark.corpus
def test_lexica(corpora_dir):
    ja, en = load_politelex("ja", data_dir=corpora_dir), load_politelex("en", data_dir=corpora_dir)
    assert (len(ja), ja["category"].nunique(), ja["entry"].nunique()) == (522, 20, 482)
    assert (len(en), en["category"].nunique(), en["entry"].nunique()) == (7_012, 26, 6_960)
    assert ja["category"].value_counts().to_dict() == {
        "taboo": 130, "hedge": 90, "indirect_btw": 42, "deference": 40, "praise": 35, "direct_question": 29,
        "greeting": 25, "gratitude": 19, "emergency": 17, "you_honorific": 17, "ingroup_ident": 14,
        "promise": 13, "first_person_singular": 12, "please": 12, "apologetic": 9, "first_person_plural": 5,
        "together": 5, "factuality": 3, "you_direct": 3, "second_person": 2,
    }
    en_counts = en["category"].value_counts()
    assert en_counts[["has_negative", "has_positive", "hedge", "factuality", "together"]].tolist() == [
        4_785, 2_005, 99, 12, 1]
    assert en.duplicated(["category", "entry"]).sum() == 8
    assert (ja.groupby("entry")["category"].nunique() > 1).sum() == 33
    assert (en.groupby("entry")["category"].nunique() > 1).sum() == 40
