"""ASDC loader: sentence cutting and act alignment on invented data, and SOURCE.md counts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.asdc import (
    ACT_COLUMNS,
    _align_acts,
    _norm,
    _split_sentences,
    load_asdc,
    load_asdc_dialog_acts,
)
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances


def _labels(s: pd.Series) -> list:
    """Column values with missing ones as None (label columns are str dtype, NaN when missing)."""
    return [None if pd.isna(x) else x for x in s]

# ---------------------------------------------------------------- pure helpers


def _sbs(sentences: list[str]) -> list[int]:
    ends, pos = [], 0
    for s in sentences:
        pos += len(s)
        ends.append(pos)
    return ends


def test_split_sentences_known():
    text = "いらっしゃいませ。\nご希望をどうぞ。"
    assert _split_sentences(text, [9, 18], "f", 0) == ["いらっしゃいませ。", "ご希望をどうぞ。"]
    # unterminated trailing text is kept as a last sentence
    assert _split_sentences("はい。そうです", [3], "f", 0) == ["はい。", "そうです"]


@pytest.mark.parametrize("sbs", [[], [0], [5, 3], [3, 3], [99], "3"])
def test_split_sentences_rejects_bad_offsets(sbs):
    with pytest.raises(TranscriptValidationError) as err:
        _split_sentences("はい。そうです。", sbs, "dlg.json", 4)
    assert err.value.failures.loc[0, "row"] == 4 and err.value.failures.loc[0, "column"] == "text_sbs"
    assert "dlg.json" in str(err.value)


def test_norm_is_nfkc_without_whitespace():
    assert _norm("２人で\n行きます！ ") == "2人で行きます!"


SENTENCE = st.text(alphabet="あいうえおかきくけこ泊宿円朝夕12３４、", min_size=1, max_size=8).map(
    lambda s: s + "。"
)
POSTS = st.lists(st.lists(SENTENCE, min_size=1, max_size=4), min_size=1, max_size=8)


@given(POSTS)
def test_split_sentences_round_trip(posts):
    for sentences in posts:
        text = "\n".join(sentences)  # line breaks belong to the next sentence and are stripped
        ends = _sbs([s + "\n" for s in sentences[:-1]] + sentences[-1:])
        assert _split_sentences(text, ends, "f", 0) == sentences


@given(POSTS)
def test_align_acts_finds_every_sentence_in_order(posts):
    # roles alternate; one act row per sentence (the act files' normal case)
    post_dicts = [{"name": "operator_1" if i % 2 == 0 else "customer_1", "sentences": s}
                  for i, s in enumerate(posts)]
    rows = [{"speaker": "agent" if i % 2 == 0 else "user", "utterance": x}
            for i, s in enumerate(posts) for x in s]
    hits = _align_acts(post_dicts, rows)
    assert all(h is not None for h in hits)
    assert hits == sorted(hits)  # monotone in (post, offset)
    for (q, a, b), row in zip(hits, rows, strict=True):
        assert "".join(_norm(x) for x in posts[q])[a:b] == _norm(row["utterance"])
        assert post_dicts[q]["name"].startswith("operator") == (row["speaker"] == "agent")


# ---------------------------------------------------------------- invented mini corpus

POSTS_001 = [
    ("operator_1", ["いらっしゃいませ。", "ご希望をどうぞ。"]),
    ("customer_9", ["3月に2人で行きます。", "温泉がいいです。"]),
    ("operator_1", ["承知しました。"]),
    ("customer_9", ["はい。", "お願いします。"]),
]
ACTS_001 = [  # (speaker, text, act): full-width digits, a split row and a merged row as upstream
    ("agent", "いらっしゃいませ。", ""),
    ("agent", "ご希望をどうぞ。", ""),
    ("user", "３月に", "伝達"),
    ("user", "２人で行きます。", "要求"),
    ("user", "温泉がいいです。", "要求"),
    ("agent", "承知しました。", ""),
    ("user", "はい。お願いします。", "はい"),
]
POSTS_002 = [("customer_8", ["こんにちは。"]), ("operator_2", ["こんにちは。", "ご用件をどうぞ。"])]


def _write_dialogue(root: Path, stem: str, posts, purpose: str, acts=None) -> Path:
    base = root / "asdc" / "data" / "main"
    (base / "dialog" / "json").mkdir(parents=True, exist_ok=True)
    (base / "dialog_act").mkdir(parents=True, exist_ok=True)
    utts = []
    for k, (name, sents) in enumerate(posts):
        text = "\n".join(sents)
        utts.append({"id": {"id": f"demo.{stem}.{k}"}, "name": name, "text": text,
                     "text_sbs": _sbs([s + "\n" for s in sents[:-1]] + sents[-1:]), "time": 10.0 * k})
    path = base / "dialog" / "json" / f"{stem}.json"
    path.write_text(json.dumps({"meta": {"id": {"id": stem}, "purpose": purpose}, "utterances": utts},
                               ensure_ascii=False), encoding="utf-8")
    if acts is not None:
        lines = ["\t".join(ACT_COLUMNS)]
        lines += [f"{i}\t{int(stem)}\t{i}\t{sp}\t{tx}\t{act}\t0\t0\t0\t"
                  for i, (sp, tx, act) in enumerate(acts, 1)]
        (base / "dialog_act" / f"{stem}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def mini(tmp_path) -> Path:
    _write_dialogue(tmp_path, "001", POSTS_001, "train", ACTS_001)
    _write_dialogue(tmp_path, "002", POSTS_002, "test")  # no act file
    return tmp_path


def test_mini_posts(mini):
    df = load_asdc(data_dir=mini, verify=False)
    assert df["dialogue_id"].tolist() == ["001"] * 4 + ["002"] * 2
    assert df["turn"].tolist() == [0, 1, 2, 3, 0, 1]
    assert df["role"].tolist() == ["agent", "customer", "agent", "customer", "customer", "agent"]
    assert _labels(df["act"]) == [None, "伝達+要求", None, "はい", None, None]
    assert df["operator_hospitality"].tolist() == [True] * 4 + [False] * 2
    assert df["split"].tolist() == ["train"] * 4 + ["test"] * 2
    assert df["n_sentences"].tolist() == [2, 2, 1, 2, 1, 2]
    assert df["lang"].eq("ja").all() and df["turn"].dtype == "int64"
    validate_utterances(df)


def test_mini_sentences(mini):
    df = load_asdc(data_dir=mini, verify=False, sentences=True)
    d1 = df[df["dialogue_id"] == "001"]
    assert d1["turn"].tolist() == list(range(7))
    assert d1["post_turn"].tolist() == [0, 0, 1, 1, 2, 3, 3]
    assert d1["sentence"].tolist() == [0, 1, 0, 1, 0, 0, 1]
    # split row: both halves label sentence 2; merged row labels both of its sentences
    assert _labels(d1["act"]) == [None, None, "伝達+要求", "要求", None, "はい", "はい"]
    assert d1["text"].tolist()[1] == "ご希望をどうぞ。"  # line break stripped


def test_mini_dialog_acts(mini):
    acts = load_asdc_dialog_acts(data_dir=mini, verify=False)
    assert len(acts) == len(ACTS_001)
    assert acts["post_turn"].tolist() == [0, 0, 1, 1, 1, 2, 3]
    assert _labels(acts["speech_act"]) == [None, None, "伝達", "要求", "要求", None, "はい"]
    assert "utterance" not in acts.columns  # IDs only, no text


def test_bad_files_name_file_and_row(mini):
    path = mini / "asdc" / "data" / "main" / "dialog" / "json" / "002.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["utterances"][1]["name"] = "clerk"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TranscriptValidationError, match=r"002\.json") as err:
        load_asdc(data_dir=mini, verify=False)
    assert err.value.failures.loc[0, "row"] == 1 and err.value.failures.loc[0, "column"] == "name"
    act = mini / "asdc" / "data" / "main" / "dialog_act" / "001.tsv"
    act.write_text("utterance_id\tspeaker\n1\tagent\n", encoding="utf-8")
    path.unlink()
    with pytest.raises(TranscriptValidationError, match=r"001\.tsv"):
        load_asdc(data_dir=mini, verify=False)


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('asdc'\)"):
        load_asdc(data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)


@pytest.fixture(scope="module")
def posts(corpora_dir) -> pd.DataFrame:
    return load_asdc(data_dir=corpora_dir)


@pytest.mark.corpus
def test_post_counts(posts):
    assert posts["dialogue_id"].nunique() == 210 and len(posts) == 4270
    assert posts["role"].value_counts().to_dict() == {"agent": 2325, "customer": 1945}
    assert posts["speaker"].value_counts()[["operator_1", "operator_2"]].tolist() == [1529, 796]
    assert posts.loc[posts["role"] == "customer", "speaker"].nunique() == 35
    dlg = posts.drop_duplicates("dialogue_id")
    assert dlg["split"].value_counts().to_dict() == {"train": 125, "dev": 41, "test": 44}
    by_op = dlg.groupby("operator_hospitality")["dialogue_id"].agg(["min", "max", "count"])
    assert by_op.loc[True].tolist() == ["001", "126", 126]
    assert by_op.loc[False].tolist() == ["127", "210", 84]
    # 6 dialogues per customer
    assert posts[posts["role"] == "customer"].groupby("speaker")["dialogue_id"].nunique().eq(6).all()
    validate_utterances(posts)


@pytest.mark.corpus
def test_sentence_counts(corpora_dir, posts):
    sents = load_asdc(data_dir=corpora_dir, sentences=True)
    assert len(sents) == 10841 == posts["n_sentences"].sum()
    assert sents["act"].notna().sum() > 0 and sents.loc[sents["role"] == "agent", "act"].isna().all()
    # only 3 customer sentences are left without an act by the alignment (this copy)
    assert sents.loc[sents["role"] == "customer", "act"].isna().sum() == 3


@pytest.mark.corpus
def test_dialog_act_rows(corpora_dir, posts):
    acts = load_asdc_dialog_acts(data_dir=corpora_dir)
    assert len(acts) == 10785
    assert acts["speaker"].value_counts().to_dict() == {"agent": 7784, "user": 3001}
    assert acts["speech_act"].value_counts().to_dict() == {
        "要求": 1714, "はい": 520, "その他": 220, "照応要求": 203, "伝達": 119,
        "いいえ": 108, "感想": 48, "質問": 38, "確認": 31,
    }
    assert acts.loc[acts["speaker"] == "agent", "speech_act"].isna().all()
    assert (acts["post_turn"] >= 0).all()  # every row aligned to a post
    joined = acts.merge(posts[["dialogue_id", "turn", "role"]], left_on=["dialogue_id", "post_turn"],
                        right_on=["dialogue_id", "turn"], validate="many_to_one")
    assert (joined["role"] == joined["speaker"].map({"agent": "agent", "user": "customer"})).all()
