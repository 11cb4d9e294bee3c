"""Taskmaster-4 loader: counts from taskmaster4/SOURCE.md; API-call grouping on invented annotations."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.taskmaster import _api_calls, load_taskmaster
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances


def _entries(n: int, with_request: list[bool]) -> list[dict]:
    out = []
    for i in range(n):
        out.append({"name": "api_call", "value": f"fn{i}", "context": f"api_call_{i}"})
        if with_request[i]:
            out.append({"name": "request", "value": f'{{"q": {i}}}', "context": f"api_call_{i}"})
        out.append({"name": "api_response", "value": f"fn{i}", "context": f"api_response_{i}"})
        out.append({"name": "response", "value": f'{{"r": {i}}}', "context": f"api_response_{i}"})
    return out


def test_api_calls_known_answer():
    entries = _entries(2, [True, False])
    assert _api_calls(entries) == (("fn0", '{"q": 0}', '{"r": 0}'), ("fn1", None, '{"r": 1}'))
    assert _api_calls([]) == ()


@given(st.lists(st.booleans(), max_size=6), st.randoms())
def test_api_calls_one_per_call_entry_in_any_order(with_request, rnd):
    entries = _entries(len(with_request), with_request)
    rnd.shuffle(entries)
    calls = _api_calls(entries)
    assert len(calls) == len(with_request)
    assert sorted(c[0] for c in calls) == sorted(f"fn{i}" for i in range(len(with_request)))
    assert sum(c[1] is None for c in calls) == with_request.count(False)
    for name, _, response in calls:
        assert response == f'{{"r": {name[2:]}}}'


def test_api_calls_rejects_orphans_and_unknown_contexts():
    with pytest.raises(ValueError, match="without an api_call"):
        _api_calls([{"name": "response", "value": "{}", "context": "api_response_4"}])
    with pytest.raises(ValueError, match="unknown context"):
        _api_calls([{"name": "api_call", "value": "x", "context": "elsewhere"}])


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="fetch"):
        load_taskmaster(data_dir=tmp_path, verify=False)


def _write(tmp_path, convs) -> str:
    folder = tmp_path / "taskmaster4" / "TM-4-2024" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data_00.json").write_text(json.dumps(convs), encoding="utf-8")
    return "TM-4-2024/data/data_00.json"


def test_invented_file_loads_in_index_order(tmp_path):
    conv = {"conversation_id": "dlg-1", "scenario": "s", "utterances": [
        {"index": 1, "speaker": "assistant", "text": "Anything else?", "annotations": []},
        {"index": 0, "speaker": "user", "text": "A latte please", "annotations": _entries(1, [True])}]}
    df = load_taskmaster(data_dir=tmp_path, verify=False, files=[_write(tmp_path, [conv])])
    assert df[["turn", "role", "text"]].values.tolist() == [
        [0, "customer", "A latte please"], [1, "agent", "Anything else?"]]
    assert df["api_calls"].tolist() == [(("fn0", '{"q": 0}', '{"r": 0}'),), ()]


@pytest.mark.parametrize(("utts", "match"), [
    ([{"index": 0, "speaker": "barista", "text": "Hi", "annotations": []}], "utterance 0.*'speaker'"),
    ([{"index": 0, "speaker": "user", "text": "Hi"}, {"index": 2, "speaker": "user", "text": "Hi"}],
     "'index'.*0..n-1"),
    ([{"index": 0, "speaker": "user", "text": "  ", "annotations": []}], "'text'.*non-empty"),
])
def test_bad_input_names_file_and_problem(tmp_path, utts, match):
    rel = _write(tmp_path, [{"conversation_id": "dlg-9", "utterances": utts}])
    with pytest.raises(TranscriptValidationError, match=match) as err:
        load_taskmaster(data_dir=tmp_path, verify=False, files=[rel])
    assert "data_00.json" in str(err.value)


@pytest.fixture(scope="module")
def tm(corpora_dir):
    return load_taskmaster(data_dir=corpora_dir)


@pytest.mark.corpus
def test_counts_match_source_md(tm):
    validate_utterances(tm)
    assert tm["dialogue_id"].nunique() == 3710
    assert len(tm) == 13915
    assert tm.groupby("role").size().to_dict() == {"customer": 6995, "agent": 6920}
    assert tm.groupby("file")["dialogue_id"].nunique().tolist() == [500] * 7 + [210]
    per_dialogue = tm.groupby("dialogue_id").size()
    assert (per_dialogue.min(), per_dialogue.max(), round(per_dialogue.mean(), 2)) == (2, 8, 3.75)
    assert (tm.loc[tm["turn"] == 0, "role"] == "customer").all()
    assert set(tm["lang"]) == {"en"}


@pytest.mark.corpus
def test_api_call_annotations_match_source_md(tm):
    calls = tm["api_calls"].explode().dropna()
    assert len(calls) == 15395  # api_call entries
    assert calls.map(lambda c: c[1] is not None).sum() == 15320  # request entries
    assert calls.map(lambda c: c[2] is not None).sum() == 15395  # response entries


@pytest.mark.corpus
@pytest.mark.parametrize(("role", "word", "n"), [
    ("agent", "please", 1100), ("agent", "thank", 444), ("agent", "sorry", 223), ("agent", "apolog", 12),
    ("customer", "please", 1747), ("customer", "thank", 182), ("customer", "sorry", 10),
])
def test_substring_counts_match_source_md(tm, role, word, n):
    texts = tm.loc[tm["role"] == role, "text"].str.lower()
    assert texts.str.contains(word, regex=False).sum() == n
