"""BSD loader: turn grouping, an invented mini split, and SOURCE.md counts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.bsd import _turn_groups, load_bsd
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances

# ---------------------------------------------------------------- turn grouping


@given(st.lists(st.sampled_from(["A", "B", "C"]), max_size=30))
def test_turn_groups_properties(speakers):
    groups = _turn_groups(speakers)
    assert len(groups) == len(speakers)
    if not speakers:
        return
    assert groups[0] == 0
    for i in range(1, len(speakers)):
        # a new group exactly when the speaker changes
        assert groups[i] - groups[i - 1] == (speakers[i] != speakers[i - 1])
    runs = 1 + sum(a != b for a, b in zip(speakers, speakers[1:], strict=False))
    assert groups[-1] + 1 == runs


# ---------------------------------------------------------------- invented mini split

SCENARIO = {  # invented sentences in the BSD layout
    "id": "demo_J001_01",
    "tag": "phone call",
    "title": "Phone call: a delivery",
    "original_language": "ja",
    "conversation": [
        {"no": 1, "en_speaker": "Ms. Ito", "ja_speaker": "伊藤さん", "en_sentence": "Hello.",
         "ja_sentence": "もしもし。"},
        {"no": 2, "en_speaker": "Ms. Ito", "ja_speaker": "伊藤さん", "en_sentence": "Is this Kato?",
         "ja_sentence": "加藤さんですか？"},
        {"no": 3, "en_speaker": "Mr. Kato", "ja_speaker": "加藤さん", "en_sentence": "Yes.",
         "ja_sentence": "はい。"},
        {"no": 4, "en_speaker": "Ms. Ito", "ja_speaker": "伊藤さん", "en_sentence": "Thanks.",
         "ja_sentence": "どうも。"},
    ],
}


def _write(root: Path, split: str, data) -> Path:
    path = root / "bsd" / f"{split}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_mini_sentences(tmp_path):
    _write(tmp_path, "dev", [SCENARIO])
    df = load_bsd(["dev"], data_dir=tmp_path, verify=False)
    assert df["dialogue_id"].tolist() == ["demo_J001_01/ja"] * 4 + ["demo_J001_01/en"] * 4
    assert df["turn"].tolist() == [0, 1, 2, 3] * 2
    assert df["turn_group"].tolist() == [0, 0, 1, 2] * 2
    assert df["lang"].tolist() == ["ja"] * 4 + ["en"] * 4
    assert df["speaker"].tolist()[:3] == ["伊藤さん", "伊藤さん", "加藤さん"]
    assert df["speaker_key"].tolist()[:3] == ["Ms. Ito", "Ms. Ito", "Mr. Kato"]
    assert df["is_original"].tolist() == [True] * 4 + [False] * 4
    assert df["pair_id"].tolist()[:2] == ["demo_J001_01#1", "demo_J001_01#2"]
    assert (df["role"] == "other").all() and (df["scene"] == "phone call").all()
    assert df["turn"].dtype == "int64" and df["is_original"].dtype == bool
    validate_utterances(df)


def test_mini_merged_turns(tmp_path):
    _write(tmp_path, "dev", [SCENARIO])
    df = load_bsd(["dev"], data_dir=tmp_path, verify=False, merge_turns=True)
    assert df["turn"].tolist() == [0, 1, 2] * 2
    assert df["text"].tolist() == ["もしもし。加藤さんですか？", "はい。", "どうも。",
                                   "Hello. Is this Kato?", "Yes.", "Thanks."]
    assert df["n_sentences"].tolist() == [2, 1, 1] * 2
    assert df["no_first"].tolist() == [1, 3, 4] * 2 and df["no_last"].tolist() == [2, 3, 4] * 2
    validate_utterances(df)


@pytest.mark.parametrize(
    ("mutate", "column", "problem"),
    [
        (lambda sc: sc["conversation"][2].update(ja_sentence=" "), "ja_sentence", "non-empty text"),
        (lambda sc: sc["conversation"][1].update(no=5), "no", "expected 2"),
        (lambda sc: sc["conversation"][3].pop("en_speaker"), "en_speaker", "missing"),
        (lambda sc: sc.update(original_language="de"), "original_language", "'ja' or 'en'"),
    ],
)
def test_bad_files_name_file_scenario_and_pair(tmp_path, mutate, column, problem):
    sc = json.loads(json.dumps(SCENARIO))
    mutate(sc)
    path = _write(tmp_path, "test", [sc])
    with pytest.raises(TranscriptValidationError) as err:
        load_bsd(["test"], data_dir=tmp_path, verify=False)
    fail = err.value.failures
    assert str(path) in str(err.value)
    assert fail.loc[0, "column"] == column and problem in fail.loc[0, "problem"]
    assert "0" in str(fail.loc[0, "row"])


def test_bad_split_and_missing_corpus(tmp_path):
    with pytest.raises(ValueError, match="unknown BSD split"):
        load_bsd(["train"], data_dir=tmp_path, verify=False)
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('bsd'\)"):
        load_bsd(data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)

# split: scenarios, pairs, (ja-original scenarios, pairs), (en-original scenarios, pairs), speaker turns
COUNTS = {"dev": (69, 2051, (34, 1054), (35, 997), 1244), "test": (69, 2120, (34, 1052), (35, 1068), 1276)}
TAGS = {  # (tag, original_language): scenarios, the same in dev and test
    ("face-to-face conversation", "en"): 11, ("face-to-face conversation", "ja"): 12,
    ("general chatting", "en"): 8, ("general chatting", "ja"): 7, ("meeting", "en"): 7, ("meeting", "ja"): 7,
    ("phone call", "en"): 7, ("phone call", "ja"): 6, ("presentation", "en"): 1, ("presentation", "ja"): 1,
    ("training", "en"): 1, ("training", "ja"): 1,
}
SPEAKERS = {"dev": {2: 44, 3: 16, 4: 8, 5: 1}, "test": {2: 45, 3: 18, 4: 6}}


@pytest.fixture(scope="module")
def bsd(corpora_dir) -> pd.DataFrame:
    return load_bsd(data_dir=corpora_dir)


@pytest.mark.corpus
@pytest.mark.parametrize("split", ["dev", "test"])
def test_counts(bsd, split):
    n_sc, n_pairs, ja, en, n_turns = COUNTS[split]
    df = bsd[bsd["split"] == split]
    assert df["scenario_id"].nunique() == n_sc
    assert df.groupby("lang").size().to_dict() == {"en": n_pairs, "ja": n_pairs}
    one = df[df["lang"] == "ja"]
    by = one.groupby("original_language").agg(sc=("scenario_id", "nunique"), pairs=("no", "size"))
    assert tuple(by.loc["ja"]) == ja and tuple(by.loc["en"]) == en
    assert one.groupby("scenario_id")["turn_group"].max().add(1).sum() == n_turns
    tags = Counter(one.drop_duplicates("scenario_id")[["scene", "original_language"]].itertuples(index=False))
    assert dict(tags) == TAGS
    assert Counter(one.groupby("scenario_id")["speaker_key"].nunique()) == SPEAKERS[split]


@pytest.mark.corpus
def test_merged_turn_counts(corpora_dir):
    merged = load_bsd(data_dir=corpora_dir, merge_turns=True)
    assert merged.groupby(["split", "lang"]).size().to_dict() == {
        ("dev", "en"): 1244, ("dev", "ja"): 1244, ("test", "en"): 1276, ("test", "ja"): 1276
    }
    assert merged.groupby("split")["n_sentences"].sum().to_dict() == {"dev": 2051 * 2, "test": 2120 * 2}
    validate_utterances(merged)


@pytest.mark.corpus
def test_sides_are_parallel(bsd):
    validate_utterances(bsd)
    ja, en = bsd[bsd["lang"] == "ja"], bsd[bsd["lang"] == "en"]
    assert ja["pair_id"].tolist() == en["pair_id"].tolist()
    assert ja["turn_group"].tolist() == en["turn_group"].tolist()
    # scenario id carries _J / _E and agrees with original_language for all 138 scenarios
    sc = bsd.drop_duplicates("scenario_id")
    assert len(sc) == 138
    assert (sc["scenario_id"].str.contains("_J") == (sc["original_language"] == "ja")).all()
