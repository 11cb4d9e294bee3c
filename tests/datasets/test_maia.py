"""MAIA-DQE loaders: known counts from maia_dqe/SOURCE.md, alignment properties on invented records."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.datasets.maia import (
    COUNT_MISMATCH,
    EMOTIONS,
    _align_sentence_labels,
    _record_rows,
    load_maia,
    load_maia_turns,
)
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances

# ---------------------------------------------------------------- helpers, no corpus needed


@given(n=st.integers(0, 6), labels=st.one_of(st.none(), st.lists(st.integers(-1, 9), max_size=8)))
def test_align_is_exact_or_nothing(n, labels):
    out = _align_sentence_labels(n, labels)
    if labels is not None and len(labels) == n:
        assert out == tuple(labels)
    else:
        assert out is None


_sent = st.text(alphabet="abc xyz", min_size=1, max_size=8).filter(lambda s: s.strip())


@st.composite
def _records(draw):
    turns = []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, 4))
        turn = {"floor": draw(st.sampled_from(["inbound", "outbound"])),
                "text_src": draw(st.lists(_sent, min_size=n, max_size=n)),
                "text_mt": draw(st.lists(_sent, min_size=n, max_size=n))}
        for key in ("Correctness", "Templated", "Engagement", "Emotion"):
            # mostly aligned, sometimes one label too many or too few
            k = n + draw(st.sampled_from([0, 0, 0, -1, 1]))
            turn[key] = draw(st.lists(st.integers(0, 1), min_size=max(k, 0), max_size=max(k, 0)))
        for key in ("Understanding", "Sensibleness", "Politeness"):
            turn[key] = draw(st.sampled_from([None, 0, 1]))
        turn["IQ"] = draw(st.sampled_from([None, 1, 3, 5]))
        turns.append(turn)
    return {"id": "dlg-x", "turns": turns, "dialog": {"Dropped conversation": 0, "Task Sucess": 5}}


@settings(max_examples=60, deadline=None)
@given(record=_records(), text=st.sampled_from(["original", "translated", "english"]))
def test_record_rows_never_drop_turns_and_flag_every_mismatch(record, text):
    rows, issues = _record_rows(record, subset="de_client_99", record_no=0, text=text, source="x.json")
    assert [r["turn"] for r in rows] == list(range(len(record["turns"])))
    expected = {(i, key) for i, t in enumerate(record["turns"])
                for key in ("Correctness", "Templated", "Engagement", "Emotion")
                if len(t[key]) != len(t["text_src"])}
    assert {(it["turn"], it["label"]) for it in issues if it["problem"] == COUNT_MISMATCH} == expected
    for i, row in enumerate(rows):
        for key, col in (("Templated", "templated"), ("Emotion", "emotion")):
            assert (row[col] is None) == ((i, key) in expected)
        assert row["role"] == ("agent" if record["turns"][i]["floor"] == "outbound" else "customer")
    df = pd.DataFrame(rows)
    validate_utterances(df)
    if text == "english":
        assert set(df["lang"]) == {"en"}


def test_record_rows_known_answer():
    # Invented two-turn record: customer (German) then agent (English) with one label list too short.
    record = {"id": "d1", "dialog": {"Dropped conversation": -1, "Task Sucess": 4.0}, "turns": [
        {"floor": "inbound", "text_src": ["Hallo.", "Hilfe?"], "text_mt": ["Hello.", "Help?"],
         "Correctness": [2, 2], "Templated": [0, 0], "Engagement": [1, 1], "Emotion": [2, 4],
         "Understanding": None, "Sensibleness": None, "Politeness": 1, "IQ": 7},
        {"floor": "outbound", "text_src": ["Sorry to hear that.", "Let me check."],
         "text_mt": ["Tut mir leid.", "Ich prüfe."], "Correctness": [2, 2], "Templated": [1],
         "Engagement": [1, 1], "Emotion": [0, 2], "Understanding": 1, "Sensibleness": 1,
         "Politeness": 1, "IQ": 5}]}
    rows, issues = _record_rows(record, subset="de_client_02", record_no=3, text="original", source="f")
    assert [(r["role"], r["lang"], r["text"]) for r in rows] == [
        ("customer", "de", "Hallo. Hilfe?"), ("agent", "en", "Sorry to hear that. Let me check.")]
    assert rows[0]["text_alt"] == "Hello. Help?" and rows[0]["lang_alt"] == "en"
    assert rows[1]["templated"] is None and rows[1]["misaligned_labels"] == ("templated",)
    assert rows[1]["emotion"] == (0, 2) and EMOTIONS[0] == "empathy"
    assert rows[0]["iq"] is None and rows[1]["iq"] == 5
    assert rows[0]["dropped"] is None and rows[0]["task_success"] == 4
    assert sorted((it["turn"], it["label"], it["problem"]) for it in issues if it["turn"] is not None) == [
        (0, "IQ", "value out of range"), (1, "Templated", COUNT_MISMATCH)]
    assert [it["problem"] for it in issues if it["turn"] is None] == ["missing-value code -1"]


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="fetch"):
        load_maia(data_dir=tmp_path, verify=False)
    with pytest.raises(CorpusNotFoundError, match="fetch"):
        load_maia_turns(data_dir=tmp_path, verify=False)


def test_malformed_record_names_file_record_and_column(tmp_path):
    folder = tmp_path / "maia_dqe" / "data"
    folder.mkdir(parents=True)
    turn = {"floor": "sideways", "text_src": ["Hi"], "text_mt": ["Hi"]}
    record = {"id": "d1", "dialog": {}, "turns": [turn]}
    (folder / "de_client_77.json").write_text(json.dumps([record]), encoding="utf-8")
    with pytest.raises(TranscriptValidationError, match=r"de_client_77\.json") as err:
        load_maia(data_dir=tmp_path, verify=False, subsets=["de_client_77"])
    assert "record 0 (d1), turn 0" in str(err.value) and "'floor'" in str(err.value)


def test_bad_text_option():
    with pytest.raises(ValueError, match="text must be"):
        load_maia(text="german")


# ---------------------------------------------------------------- staged corpus


@pytest.fixture(scope="module")
def maia(corpora_dir):
    return load_maia(data_dir=corpora_dir, return_issues=True)


@pytest.mark.corpus
def test_deduplicated_to_133_dialogues(maia):
    df, _ = maia
    assert df["dialogue_id"].nunique() == 133
    # SOURCE.md turn counts of the three files that are kept whole: 1,374 + 549 + 382
    assert df.groupby(["subset", "role"]).size().to_dict() == {
        ("de_client_02", "agent"): 678, ("de_client_02", "customer"): 696,
        ("pt_br_client_02", "agent"): 270, ("pt_br_client_02", "customer"): 279,
        ("pt_pt_client_03", "agent"): 190, ("pt_pt_client_03", "customer"): 192}
    assert (df["also_in"] == ("pt_br_client_04",)).groupby(df["dialogue_id"]).first().sum() == 43
    assert df.groupby(["role", "lang"]).size().to_dict() == {
        ("agent", "en"): 1138, ("customer", "de"): 696, ("customer", "pt"): 471}
    validate_utterances(df)


@pytest.mark.corpus
@pytest.mark.parametrize(("subset", "label", "n"), [
    ("de_client_02", "Templated", 58), ("de_client_02", "Engagement", 44), ("de_client_02", "Correctness", 4),
    ("pt_br_client_02", "Engagement", 60), ("pt_br_client_02", "Correctness", 11),
    ("pt_br_client_02", "Templated", 11), ("pt_br_client_02", "Emotion", 11),
    ("pt_br_client_04", "Engagement", 46), ("pt_br_client_04", "Templated", 0),
    ("pt_pt_client_03", "Correctness", 27), ("pt_pt_client_03", "Templated", 3),
    ("pt_pt_client_03", "Emotion", 0),
])
def test_misaligned_counts_match_source_md(maia, subset, label, n):
    _, issues = maia
    mis = issues[(issues["problem"] == COUNT_MISMATCH) & (issues["subset"] == subset)
                 & (issues["label"] == label)]
    assert len(mis) == n


@pytest.mark.corpus
@pytest.mark.parametrize(("label", "col"), [("Templated", "templated"), ("Engagement", "engagement"),
                                            ("Correctness", "correctness"), ("Emotion", "emotion")])
def test_misaligned_turns_are_na_and_only_those(maia, label, col):
    df, issues = maia
    mis = issues[(issues["problem"] == COUNT_MISMATCH) & issues["kept"] & (issues["label"] == label)]
    na = df.loc[df[col].isna(), ["dialogue_id", "turn"]]
    assert sorted(map(tuple, na.to_numpy().tolist())) == sorted(
        zip(mis["dialogue_id"], mis["turn"].astype(int), strict=True))
    assert df.loc[df[col].isna(), "misaligned_labels"].map(lambda m: col in m).all()


@pytest.mark.corpus
def test_label_distributions_match_source_md(maia, corpora_dir):
    df, issues = maia
    de_agent = df[(df["subset"] == "de_client_02") & (df["role"] == "agent")]
    # no Emotion misalignment in de_client_02: all 180 empathy sentences are kept
    assert de_agent["n_empathy"].sum() == 180
    assert de_agent["politeness"].value_counts(dropna=False).to_dict() == {1: 663, 0: 4, pd.NA: 11}
    assert de_agent["iq"].value_counts(dropna=False).to_dict() == {
        1: 1, 2: 7, 3: 123, 4: 382, 5: 156, pd.NA: 9}
    de_dialogues = df[df["subset"] == "de_client_02"].groupby("dialogue_id")["task_success"].first()
    assert de_dialogues.value_counts().to_dict() == {5: 40, 4: 2, 3: 11, 2: 7, 1: 5}
    # Templated, de agents: 1,227 + 1,136 list entries = aligned sentences + entries of misaligned lists
    mis = issues[(issues["subset"] == "de_client_02") & (issues["label"] == "Templated")]
    mis_agent = mis.merge(de_agent[["dialogue_id", "turn"]], on=["dialogue_id", "turn"])
    aligned = de_agent["templated"].notna()
    assert de_agent.loc[aligned, "n_sentences"].sum() + mis_agent["n_labels"].sum() == 1227 + 1136
    # pt_br_client_04 alone (no Templated/Emotion misalignment there): 566 / 273 templated, 21 empathy
    pt4 = load_maia(data_dir=corpora_dir, subsets=["pt_br_client_04"])
    agent4 = pt4[pt4["role"] == "agent"]
    assert (agent4["n_templated"].sum(), (agent4["n_sentences"] - agent4["n_templated"]).sum()) == (566, 273)
    assert agent4["n_empathy"].sum() == 21
    # the one pt_br dialogue whose copies differ: kept copy has IQ 1, the dropped one the invalid 0
    assert issues["problem"].eq("duplicate record differs").sum() == 1


@pytest.mark.corpus
def test_text_versions_swap(corpora_dir, maia):
    original, _ = maia
    translated = load_maia(data_dir=corpora_dir, text="translated")
    english = load_maia(data_dir=corpora_dir, text="english")
    assert translated["text"].tolist() == original["text_alt"].tolist()
    assert translated["lang"].tolist() == original["lang_alt"].tolist()
    assert set(english["lang"]) == {"en"}
    is_agent = english["role"] == "agent"
    assert (english["text_version"] == is_agent.map({True: "original", False: "translated"})).all()


@pytest.mark.corpus
def test_turn_csv_counts_and_stray_values(corpora_dir):
    df, issues = load_maia_turns(data_dir=corpora_dir, return_issues=True)
    assert df.groupby("file").size().to_dict() == {
        "de_client_01": 4809, "de_client_02": 1309, "pt_br_client_02": 2737,
        "pt_br_client_04": 469, "pt_pt_client_03": 361}
    # stray cells: de_client_01 correctness 22 (x2), templated 2, engagement 11, politeness 5, iq 0;
    # de_client_02 correctness 21, understanding/sensibleness/politeness 3; pt_br_client_04 iq 0
    assert issues.groupby("file").size().to_dict() == {"de_client_01": 6, "de_client_02": 4,
                                                       "pt_br_client_04": 1}
    d1 = df[df["file"] == "de_client_01"]
    assert d1["correctness"].isna().sum() == 4 + 2  # 4 blanks + 2 stray
    assert d1["iq"].value_counts().to_dict() == {5: 1918, 4: 1536, 3: 911, 2: 310, 1: 68}
