"""JMultiWOZ-TC loader: dialogue rebuilding on an invented zip, and SOURCE.md counts."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.jmultiwoz import _rebuild, load_jmultiwoz
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances

# ---------------------------------------------------------------- invented dialogues

DIALOGUES = {  # invented; the last user message of dlg_B is empty, as in 122 upstream dialogues
    "dlg_A": ["京都でホテルを探しています。", "かしこまりました。ご予算は？", "1万円以内です。",
              "こちらはいかがでしょうか。", "ありがとうございます。"],
    "dlg_B": ["天気を教えてください。", "晴れの予報です。", ""],
}
CALLS = {"dlg_A": [[{"name": "Search_hotel", "arguments": {"city": "京都"}}], [], []], "dlg_B": [[], []]}


def _rows(dialogues: dict[str, list[str]]) -> tuple[list[dict], list[dict]]:
    """JMultiWOZ-TC style rows: one per user turn, its history ending with that turn."""
    inputs, ground = [], []
    for n, (dlg, texts) in enumerate(dialogues.items()):
        msgs = [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(texts)]
        for k, end in enumerate(range(0, len(msgs), 2)):
            data_id = f"jmultiwoz_tc_{n}_turn_{k}"
            # deep copy: each row owns its messages, as when read from JSON
            history = [dict(m) for m in msgs[: end + 1]]
            inputs.append({"data_id": data_id, "dialogue_id": dlg, "question": history})
            calls = CALLS[dlg][k] if dlg in CALLS else []
            ground.append({"data_id": data_id, "dialogue_id": dlg, "ground_truth": calls})
    return inputs, ground


def _write_zip(root: Path, inputs: list[dict], ground: list[dict]) -> Path:
    path = root / "jmultiwoz_tc" / "JMultiWOZ-TC_data.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in (("jmultiwoz_tc_input.json", inputs), ("jmultiwoz_tc_ground.json", ground)):
            zf.writestr(name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


@pytest.fixture()
def mini(tmp_path) -> Path:
    _write_zip(tmp_path, *_rows(DIALOGUES))
    return tmp_path


def test_mini_rebuilt(mini):
    with pytest.warns(UserWarning, match=r"dropped 1 empty message"):
        df = load_jmultiwoz(data_dir=mini, verify=False)
    assert df["dialogue_id"].tolist() == ["dlg_A"] * 5 + ["dlg_B"] * 2
    assert df["turn"].tolist() == [0, 1, 2, 3, 4, 0, 1]
    assert df["role"].tolist() == ["customer", "agent", "customer", "agent", "customer", "customer", "agent"]
    assert df["text"].tolist() == DIALOGUES["dlg_A"] + DIALOGUES["dlg_B"][:2]
    assert df["data_id"].isna().tolist() == [False, True, False, True, False, False, True]
    assert df["data_id"].tolist()[4] == "jmultiwoz_tc_0_turn_2"
    assert df.attrs["jmultiwoz_dropped_data_ids"] == ("jmultiwoz_tc_1_turn_1",)
    assert df["turn"].dtype == "int64" and (df["lang"] == "ja").all()
    validate_utterances(df)


def test_mini_tool_calls(mini):
    with pytest.warns(UserWarning):
        df = load_jmultiwoz(data_dir=mini, verify=False, with_tool_calls=True)
    user = df[df["role"] == "customer"]
    assert user["tool_names"].tolist() == [("Search_hotel",), (), (), ()]
    assert json.loads(user["tool_calls"].iloc[0]) == CALLS["dlg_A"][0]
    assert df.loc[df["role"] == "agent", "tool_names"].isna().all()


def test_empty_text_raise(mini):
    with pytest.raises(TranscriptValidationError, match="empty message") as err:
        load_jmultiwoz(data_dir=mini, verify=False, empty_text="raise")
    assert err.value.failures["row"].tolist() == ["dlg_B turn 2"]


def test_not_a_prefix_is_an_error(tmp_path):
    inputs, ground = _rows(DIALOGUES)
    inputs[1]["question"][0]["content"] = "別の文です。"  # row 2 (line 2) of dlg_A differs from the longest
    path = _write_zip(tmp_path, inputs, ground)
    with pytest.raises(TranscriptValidationError, match="not a prefix") as err:
        load_jmultiwoz(data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value) and err.value.failures.loc[0, "row"] == 2


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda r: r[0]["question"][0].update(role="system"), "role 'user'/'assistant'"),
        (lambda r: r[0].pop("question"), "missing key"),
        (lambda r: r[0].update(question=[]), "non-empty list"),
    ],
)
def test_bad_rows_name_line(tmp_path, mutate, problem):
    inputs, ground = _rows(DIALOGUES)
    mutate(inputs)
    _write_zip(tmp_path, inputs, ground)
    with pytest.raises(TranscriptValidationError, match=problem) as err:
        load_jmultiwoz(data_dir=tmp_path, verify=False)
    assert err.value.failures.loc[0, "row"] == 1
    assert "jmultiwoz_tc_input.json" in str(err.value)


def test_misaligned_ground_file(tmp_path):
    inputs, ground = _rows(DIALOGUES)
    _write_zip(tmp_path, inputs, ground[::-1])
    with pytest.warns(UserWarning):
        load_jmultiwoz(data_dir=tmp_path, verify=False)  # ground file not read
    with pytest.raises(TranscriptValidationError, match="not aligned"):
        load_jmultiwoz(data_dir=tmp_path, verify=False, with_tool_calls=True)


TEXTS = st.lists(st.text(alphabet="あいうえお。", min_size=1, max_size=5), min_size=1, max_size=9)


@given(st.lists(TEXTS, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_rebuild_recovers_dialogues_from_shuffled_prefixes(dialogues, rnd):
    # odd message counts: every history ends with a user turn
    dialogues = {f"d{i}": t if len(t) % 2 else t[:-1] for i, t in enumerate(dialogues)}
    inputs, _ = _rows(dialogues)
    for i, rec in enumerate(inputs, start=1):
        rec["_line"] = i
    rnd.shuffle(inputs)
    out = _rebuild(inputs, "src")
    assert {d: [m["content"] for m in hist] for d, (hist, _) in out.items()} == dialogues
    assert sum(len(recs) for _, recs in out.values()) == len(inputs)


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('jmultiwoz_tc'\)"):
        load_jmultiwoz(data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)

EMPTY_FINAL_USER = 122  # dialogues ending with an empty user message in this copy (not in SOURCE.md)


@pytest.fixture(scope="module")
def jmw(corpora_dir) -> pd.DataFrame:
    with pytest.warns(UserWarning, match=f"dropped {EMPTY_FINAL_USER} empty message"):
        return load_jmultiwoz(data_dir=corpora_dir, with_tool_calls=True)


@pytest.mark.corpus
def test_counts(jmw):
    assert jmw["dialogue_id"].nunique() == 4246
    assert len(jmw) + EMPTY_FINAL_USER == 58360
    assert (jmw["role"] == "customer").sum() + EMPTY_FINAL_USER == 31303
    assert (jmw["role"] == "agent").sum() == 27057
    assert len(jmw.attrs["jmultiwoz_dropped_data_ids"]) == EMPTY_FINAL_USER
    sizes = jmw.groupby("dialogue_id").size()
    assert (sizes.min(), sizes.max()) == (3, 45)
    assert jmw.groupby("role")["text"].apply(lambda s: s.str.len().sum()).to_dict() == {
        "customer": 988384, "agent": 904262
    }
    # Load time is not asserted here (shared CI cores make timed tests flaky): see benchmarks/.


@pytest.mark.corpus
def test_dialogue_shape(jmw):
    validate_utterances(jmw)
    first = jmw.groupby("dialogue_id")["role"].first()
    assert (first == "customer").all()
    # strict alternation: role flips on every turn
    flips = jmw["role"].ne(jmw.groupby("dialogue_id")["role"].shift()) | jmw["turn"].eq(0)
    assert flips.all()
    last = jmw.groupby("dialogue_id")["role"].last().value_counts().to_dict()
    assert last == {"customer": 4246 - EMPTY_FINAL_USER, "agent": EMPTY_FINAL_USER}


@pytest.mark.corpus
def test_tool_calls_and_substrings(jmw):
    names = Counter(n for t in jmw["tool_names"].dropna() for n in t)
    assert sum(names.values()) == 16523
    assert names == {
        "Search_shopping": 2451, "Search_restaurant": 2438, "Search_hotel": 2420, "Search_attraction": 2407,
        "Search_taxi": 1883, "Booking_taxi": 1676, "Search_weather": 1333, "Booking_restaurant": 997,
        "Booking_hotel": 918,
    }
    agent = jmw.loc[jmw["role"] == "agent", "text"]
    counts = [int(agent.str.contains(s).sum()) for s in ("申し訳", "かしこまりました", "承知", "ありがとう")]
    assert counts == [3363, 4100, 1208, 1652]
    assert int(jmw.loc[jmw["role"] == "customer", "text"].str.contains("ありがとう").sum()) == 9698
