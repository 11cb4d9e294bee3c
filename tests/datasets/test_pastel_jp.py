"""PASTEL-JP loader: invented pairs (known answers, bad files named) and SOURCE.md counts."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.datasets.pastel_jp import load_pastel_jp
from omotenashi_research.errors import CorpusIncompleteError, CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_sentences


def _write(root, folder: str, files: dict[str, list[str]]):
    d = root / "pastel_jp" / folder
    d.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (d / f"{name}.txt").write_text("".join(x + "\n" for x in lines), encoding="utf-8")


FORMAL, INFORMAL = "午後から会議を開きます。", "午後から会議するね。"  # invented


def test_invented_pairs_known_answer(tmp_path):
    # invented sentences
    _write(tmp_path, "Politeness", {"polite": ["明朝お届けいたします。", "ご覧ください。"],
                                    "impolite": ["明日の朝届けるよ。", "見て。"]})
    _write(tmp_path, "Formality", {"formal": [FORMAL], "informal": [INFORMAL]})
    df = load_pastel_jp(data_dir=tmp_path, verify=False)
    validate_sentences(df)
    assert df["item_id"].tolist() == ["politeness:polite:1", "politeness:impolite:1", "politeness:polite:2",
                                      "politeness:impolite:2", "formality:formal:1", "formality:informal:1"]
    assert df["positive"].tolist() == [True, False, True, False, True, False]
    assert df["pair_id"].tolist() == ["politeness:1"] * 2 + ["politeness:2"] * 2 + ["formality:1"] * 2
    assert df["text"].iloc[3] == "見て。" and (df["lang"] == "ja").all()
    pairs = df.pivot(index="pair_id", columns="positive", values="text")
    assert pairs.loc["formality:1"].tolist() == ["午後から会議するね。", "午後から会議を開きます。"]


def test_unequal_files_and_empty_lines_are_named(tmp_path):
    _write(tmp_path, "Formality", {"formal": [FORMAL, "散会といたします。"], "informal": [INFORMAL]})
    with pytest.raises(TranscriptValidationError, match=r"has 1 lines, its pair file formal\.txt 2") as err:
        load_pastel_jp("formality", data_dir=tmp_path, verify=False)
    assert err.value.failures.loc[0, "source"].endswith("informal.txt")
    _write(tmp_path, "Formality", {"formal": ["午後から会議を開きます。", ""],
                                   "informal": ["午後から会議するね。", "解散ね。"]})
    with pytest.raises(TranscriptValidationError, match=r"row 2: column 'line'.*non-empty") as err:
        load_pastel_jp("formality", data_dir=tmp_path, verify=False)
    assert err.value.failures.loc[0, "source"].endswith("formal.txt")


def test_verify_rejects_files_that_are_not_the_registered_ones(tmp_path):
    _write(tmp_path, "Formality", {"formal": [FORMAL], "informal": [INFORMAL]})
    with pytest.raises(CorpusIncompleteError, match=r"formal\.txt"):
        load_pastel_jp("formality", data_dir=tmp_path)


def test_bad_arguments_and_missing_corpus(tmp_path):
    with pytest.raises(ValueError, match="unknown style"):
        load_pastel_jp("gender", data_dir=tmp_path, verify=False)
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('pastel_jp'\)"):
        load_pastel_jp(data_dir=tmp_path, verify=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.text("あいうですます", min_size=1, max_size=6),
                          st.text("かきくよね", min_size=1, max_size=6)), min_size=1, max_size=10))
def test_every_pair_is_kept_in_order(tmp_path_factory, pairs):
    root = tmp_path_factory.mktemp("pastel")
    _write(root, "Politeness", {"polite": [p for p, _ in pairs], "impolite": [n for _, n in pairs]})
    df = load_pastel_jp("politeness", data_dir=root, verify=False)
    assert list(zip(df["text"][::2], df["text"][1::2], strict=True)) == pairs
    assert df["line"][::2].tolist() == list(range(1, len(pairs) + 1))


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)

DESU_MASU = re.compile("です|ます|ました|ません|でした|ございます|ください|でしょう")


@pytest.fixture(scope="module")
def pastel(corpora_dir) -> pd.DataFrame:
    return load_pastel_jp(data_dir=corpora_dir)


@pytest.mark.corpus
def test_counts(pastel):
    validate_sentences(pastel)
    assert pastel.groupby("side").size().to_dict() == {"polite": 120, "impolite": 120, "formal": 120,
                                                       "informal": 120}
    pairs = pastel.pivot(index="pair_id", columns="side", values="text")
    pol = pairs.loc[pairs.index.str.startswith("politeness:"), ["polite", "impolite"]]
    form = pairs.loc[pairs.index.str.startswith("formality:"), ["formal", "informal"]]
    assert (len(pol), len(pol.drop_duplicates())) == (120, 119)
    assert (len(form), len(form.drop_duplicates())) == (120, 120)
    dup = pol[pol.duplicated(keep=False)].index.str.split(":").str[1].astype(int)
    assert sorted(dup) == [42, 103]
    assert (pol["polite"] != pol["impolite"]).all() and (form["formal"] != form["informal"]).all()
    by_style = pastel.groupby("style")["text"].apply(set)
    assert not by_style["politeness"] & by_style["formality"]


@pytest.mark.corpus
def test_lengths_and_desu_masu(pastel):
    mean_len = pastel.groupby("side")["text"].apply(lambda s: round(s.str.len().mean(), 1)).to_dict()
    assert mean_len == {"formal": 22.4, "impolite": 15.0, "informal": 19.0, "polite": 21.3}
    has = pastel.assign(h=pastel["text"].str.contains(DESU_MASU)).groupby("side")["h"].sum().to_dict()
    assert has == {"formal": 113, "impolite": 9, "informal": 16, "polite": 114}
    keeps = (pastel["side"] == "impolite") & pastel["text"].str.contains(DESU_MASU)
    impolite_lines = pastel.loc[keeps, "line"]
    assert impolite_lines.tolist() == [27, 32, 45, 48, 58, 60, 61, 62, 64]
