"""KeiCO loader: counts from keico/SOURCE.md; bad rows named on invented files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.datasets.keico import load_keico
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_sentences

HEADER = "本文,Level,尊敬語,謙譲語,丁寧語,フィールド\n"
FILE = "keico_corpus(forLREC)-OldVersion.csv"


def _write(tmp_path, body: str):
    folder = tmp_path / "keico"
    folder.mkdir(exist_ok=True)
    (folder / FILE).write_text(HEADER + body, encoding="utf-8")


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="fetch"):
        load_keico(data_dir=tmp_path, verify=False)


def test_invented_file_known_answer(tmp_path):
    # Invented sentences.
    _write(tmp_path, "いらっしゃいませ。,2,1,0,0,客\n明日行く。,4,0,0,0,\n")
    df = load_keico(data_dir=tmp_path, verify=False)
    assert df["item_id"].tolist() == ["keico:1", "keico:2"]
    assert df["level"].tolist() == [2, 4]
    assert df[["respectful", "humble", "polite"]].values.tolist() == [[True, False, False], [False] * 3]
    assert df["situation"].iloc[0] == "客" and df["situation"].isna().iloc[1]
    assert set(df["lang"]) == {"ja"}


@pytest.mark.parametrize(("body", "match"), [
    ("はい。,5,0,0,1,客\n", r"row 1: column 'Level'.*1, 2, 3 or 4.*'5'"),
    ("はい。,3,0,0,1,客\nはい。,3,0,2,1,客\n", r"row 2: column '謙譲語'.*0 or 1"),
    ("はい。,3,0,0,1,客\n ,3,0,0,1,客\n", r"row 2: column '本文'.*non-empty"),
])
def test_bad_rows_are_named(tmp_path, body, match):
    _write(tmp_path, body)
    with pytest.raises(TranscriptValidationError, match=match) as err:
        load_keico(data_dir=tmp_path, verify=False)
    assert FILE in str(err.value)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.booleans(), st.booleans(), st.booleans()),
                min_size=1, max_size=20))
def test_every_valid_row_is_kept_with_its_labels(tmp_path_factory, rows):
    tmp_path = tmp_path_factory.mktemp("keico")
    _write(tmp_path, "".join(f"文{i}です。,{lv},{int(r)},{int(h)},{int(p)},客\n"
                             for i, (lv, r, h, p) in enumerate(rows)))
    df = load_keico(data_dir=tmp_path, verify=False)
    assert len(df) == len(rows)
    assert list(zip(df["level"], df["respectful"], df["humble"], df["polite"], strict=True)) == rows


@pytest.fixture(scope="module")
def keico(corpora_dir):
    return load_keico(data_dir=corpora_dir)


@pytest.mark.corpus
def test_counts_match_source_md(keico):
    validate_sentences(keico)
    assert len(keico) == 10007
    assert keico["level"].value_counts().to_dict() == {1: 2584, 2: 2046, 3: 2694, 4: 2683}
    patterns = keico.groupby(["respectful", "humble", "polite"]).size()
    assert patterns[(True, False, False)] == 3861
    assert patterns[(False, False, False)] == 2776
    assert patterns[(False, False, True)] == 2400
    assert patterns[(False, True, False)] == 925
    assert patterns.sum() - 3861 - 2776 - 2400 - 925 == 45  # "other 45"


@pytest.mark.corpus
def test_situations(keico):
    assert keico["situation"].notna().all()
    assert {"客", "受付", "謝る", "挨拶", "メール", "買う"} <= set(keico["situation"])
    assert (keico["situation"] == "メール").sum() == 527
