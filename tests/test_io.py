"""Readers/writers for users' own transcripts: every bad-input kind names file, line and problem."""

from __future__ import annotations

import csv
import io
import json
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.io import read_transcripts, write_transcripts
from omotenashi_research.schema import validate_utterances
from omotenashi_research.text import ZERO_WIDTH

HEADER = "dialogue_id,turn,role,text,lang\n"


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def _error(path: Path, **kwargs) -> TranscriptValidationError:
    with pytest.raises(TranscriptValidationError) as info:
        read_transcripts(path, **kwargs)
    return info.value


def _assert_names(err: TranscriptValidationError, path: Path, line: int, problem: str) -> None:
    msg = str(err)
    assert path.name in msg
    assert f"row {line}:" in msg, msg
    assert "line number" in msg  # says what the row numbers mean
    assert problem in msg, msg


# ------------------------------------------------------------------------------------ reading valid files


def test_csv_known_values(tmp_path):
    path = _write(tmp_path, "calls.csv", HEADER + "d1,0,customer,Hi there,en\n"
                  "d1,1,agent,\"Hello, welcome!\",en\nd2,0,customer,こんにちは,ja\n")
    df = read_transcripts(path)
    assert df["corpus"].tolist() == ["calls"] * 3  # default corpus: the file's stem
    assert df["turn"].tolist() == [0, 1, 0]
    assert df["turn"].dtype == np.int64
    assert df["text"].tolist() == ["Hi there", "Hello, welcome!", "こんにちは"]
    assert df["speaker"].isna().all()
    assert list(df.columns[:7]) == ["corpus", "dialogue_id", "turn", "role", "speaker", "text", "lang"]


def test_rows_sorted_by_turn_within_dialogue_in_order_of_appearance(tmp_path):
    path = _write(tmp_path, "x.csv", HEADER + "b,1,agent,B1,en\na,0,customer,A0,en\nb,0,customer,B0,en\n")
    df = read_transcripts(path)
    assert df["text"].tolist() == ["B0", "B1", "A0"]


def test_tsv_and_bom_and_crlf(tmp_path):
    content = "\ufeffdialogue_id\tturn\trole\ttext\tlang\r\nd1\t0\tagent\tいらっしゃいませ\tja\r\n"
    path = _write(tmp_path, "x.tsv", content.encode("utf-8"))
    df = read_transcripts(path)
    assert df.loc[0, "text"] == "いらっしゃいませ"
    assert df.loc[0, "dialogue_id"] == "d1"


def test_other_encoding(tmp_path):
    path = _write(tmp_path, "sjis.csv", (HEADER + "d1,0,agent,申し訳ございません,ja\n").encode("shift_jis"))
    assert read_transcripts(path, encoding="shift_jis").loc[0, "text"] == "申し訳ございません"


def test_column_and_role_mapping(tmp_path):
    path = _write(tmp_path, "hotel.csv", "conv,who,utterance,n\nc7,guest,Is breakfast included?,0\n"
                  "c7,staff,Yes it is.,1\nc7,agent,Anything else?,2\n")
    df = read_transcripts(path,
                          columns={"conv": "dialogue_id", "who": "role", "utterance": "text", "n": "turn"},
                          role_map={"staff": "agent", "guest": "customer"}, lang="en", corpus="my-hotel")
    assert df["role"].tolist() == ["customer", "agent", "agent"]  # schema roles pass through unmapped
    assert df["dialogue_id"].tolist() == ["c7"] * 3
    assert (df["corpus"] == "my-hotel").all() and (df["lang"] == "en").all()


def test_reversed_columns_mapping_gets_a_hint(tmp_path):
    path = _write(tmp_path, "x.csv", "conv,turn,role,text,lang\nc1,0,agent,Hi,en\n")
    err = _error(path, columns={"dialogue_id": "conv"})
    assert "did you mean {'conv': 'dialogue_id'}" in str(err)


def test_lang_fills_only_empty_cells(tmp_path):
    path = _write(tmp_path, "x.csv", HEADER + "d1,0,agent,Hi,\nd1,1,customer,はい,ja\n")
    assert read_transcripts(path, lang="en")["lang"].tolist() == ["en", "ja"]


def test_turn_order_is_explicit(tmp_path):
    path = _write(tmp_path, "x.csv", "dialogue_id,role,text,lang\na,customer,q1,en\nb,customer,p1,en\n"
                  "a,agent,q2,en\na,customer,q3,en\n")
    err = _error(path)
    _assert_names(err, path, 1, "turn='order'")
    df = read_transcripts(path, turn="order")
    assert df[["dialogue_id", "turn", "text"]].values.tolist() == [
        ["a", 0, "q1"], ["a", 1, "q2"], ["a", 2, "q3"], ["b", 0, "p1"]]
    with pytest.raises(ValueError, match="turn='order'"):
        read_transcripts(_write(tmp_path, "y.csv", HEADER + "a,0,agent,x,en\n"), turn="order")


def test_jsonl_known_values(tmp_path):
    lines = [{"dialogue_id": 17, "turn": 0, "role": "customer", "text": "Hi", "lang": "en", "sat_turn": 4},
             {"dialogue_id": 17, "turn": 1.0, "role": "agent", "text": "Hello", "lang": "en",
              "sat_turn": None}]
    path = _write(tmp_path, "x.jsonl", "\n".join(json.dumps(r) for r in lines) + "\n\n")
    df = read_transcripts(path)
    assert df["dialogue_id"].tolist() == ["17", "17"]  # numeric IDs become strings
    assert df["turn"].tolist() == [0, 1]
    assert df["sat_turn"].iloc[0] == 4.0 and np.isnan(df["sat_turn"].iloc[1])


def test_dataframe_source_rows_are_index_labels():
    raw = pd.DataFrame({"dialogue_id": ["a", "a"], "turn": [0, 1], "role": ["agent", "boss"],
                        "text": ["Hi", "Yo"], "lang": ["en", "en"]}, index=[10, 20])
    with pytest.raises(TranscriptValidationError) as info:
        read_transcripts(raw)
    assert "row 20:" in str(info.value) and "'boss'" in str(info.value)
    valid, quarantine = read_transcripts(raw, errors="quarantine", role_map={})
    assert valid["text"].tolist() == ["Hi"] and quarantine["_row"].tolist() == [20]
    assert raw.loc[20, "role"] == "boss"  # the caller's frame is not modified


# -------------------------------------------------------------------------- every bad-input kind, named


def test_missing_columns(tmp_path):
    path = _write(tmp_path, "nocols.csv", "dialogue_id,turn,role,lang\nd1,0,agent,en\n")
    err = _error(path)
    _assert_names(err, path, 1, "required column is missing")
    assert err.failures["column"].tolist() == ["text"]


def test_empty_text(tmp_path):
    path = _write(tmp_path, "empty.csv",
                  HEADER + "d1,0,agent,Hello,en\nd1,1,customer,,en\nd1,2,agent,   ,en\n")
    err = _error(path)
    _assert_names(err, path, 3, "empty or missing value")
    _assert_names(err, path, 4, "must be non-empty text")


def test_non_text_text(tmp_path):
    path = _write(tmp_path, "nt.jsonl",
                  '{"dialogue_id":"a","turn":0,"role":"agent","text":"ok","lang":"en"}\n'
                  '{"dialogue_id":"a","turn":1,"role":"agent","text":123,"lang":"en"}\n')
    _assert_names(_error(path), path, 2, "must be non-empty text")


def test_unknown_role_names_value_and_rows(tmp_path):
    path = _write(tmp_path, "roles.csv", HEADER + "d1,0,guest,Hi,en\nd1,1,staff,Hello,en\nd1,2,boss,Hm,en\n")
    err = _error(path, role_map={"guest": "customer", "staff": "agent"})
    _assert_names(err, path, 4, "unknown role")
    assert "'boss'" in str(err)
    assert err.failures["row"].tolist() == [4]
    with pytest.raises(ValueError, match="role_map"):
        read_transcripts(path, role_map={"guest": "client"})


def test_duplicate_turns_name_both_rows(tmp_path):
    path = _write(tmp_path, "dup.csv", HEADER + "d1,0,agent,Hi,en\nd1,1,customer,A,en\nd1,1,agent,B,en\n")
    err = _error(path)
    _assert_names(err, path, 3, "duplicate")
    _assert_names(err, path, 4, "duplicate")


@pytest.mark.parametrize("bad", ["3.5", "x", "", "-"])
def test_non_integer_turn(tmp_path, bad):
    path = _write(tmp_path, "turns.csv", HEADER + f"d1,0,agent,Hi,en\nd1,{bad},customer,Yo,en\n")
    err = _error(path)
    _assert_names(err, path, 3, "missing turn" if bad == "" else "turn is not an integer")
    assert len(err.failures) == 1  # not reported a second time by the schema


def test_integral_turn_strings_are_accepted(tmp_path):
    path = _write(tmp_path, "t.csv", HEADER + "d1,0,agent,Hi,en\nd1,2.0,customer,Yo,en\nd1, 3 ,agent,x,en\n")
    assert read_transcripts(path)["turn"].tolist() == [0, 2, 3]


def test_undecodable_bytes_report_line_and_byte_offset(tmp_path):
    good = (HEADER + "d1,0,agent,Hi,en\n").encode()
    path = _write(tmp_path, "latin1.csv", good + b"d1,1,customer,caf\xe9,en\nd1,2,agent,ok,en\n")
    offset = len(good) + len(b"d1,1,customer,caf")
    err = _error(path)
    _assert_names(err, path, 3, f"undecodable bytes at byte offset {offset}")
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert valid["turn"].tolist() == [0, 2] and quarantine["_row"].tolist() == [3]


def test_undecodable_bytes_jsonl(tmp_path):
    first = b'{"dialogue_id":"a","turn":0,"role":"agent","text":"ok","lang":"en"}\n'
    second = b'{"dialogue_id":"a","turn":1,"role":"agent","text":"\xff","lang":"en"}\n'
    path = _write(tmp_path, "bad.jsonl", first + second)
    _assert_names(_error(path), path, 2, f"undecodable bytes at byte offset {len(first) + 51}")


def test_malformed_json_lines(tmp_path):
    ok = '{"dialogue_id":"a","turn":0,"role":"agent","text":"ok","lang":"en"}\n'
    path = _write(tmp_path, "m.jsonl", ok + "\n" + '{"dialogue_id": "a", "turn": 1,\n' + "[1, 2]\n")
    err = _error(path)
    _assert_names(err, path, 3, "malformed JSON")
    _assert_names(err, path, 4, "not a JSON object")
    assert sorted(err.failures["row"]) == [3, 4]  # no cascade of schema complaints about unparsed lines
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert len(valid) == 1 and quarantine["_row"].tolist() == [3, 4]


def test_ragged_rows(tmp_path):
    path = _write(tmp_path, "ragged.csv",
                  HEADER + "d1,0,agent,Hi,en\nd1,1,customer,Yes, please,en\nd1,2,agent\n")
    err = _error(path)
    _assert_names(err, path, 3, "ragged row: 6 fields, the header has 5")
    _assert_names(err, path, 4, "ragged row: 3 fields, the header has 5")


def test_line_numbers_after_multiline_field(tmp_path):
    path = _write(tmp_path, "ml.csv", HEADER + 'd1,0,agent,"two\nlines",en\nd1,1,customer,,en\n')
    _assert_names(_error(path), path, 4, "empty or missing value")


def test_unterminated_quote_is_not_swallowed(tmp_path):
    path = _write(tmp_path, "q.csv", HEADER + 'd1,0,agent,"oops,en\nd1,1,customer,Hi,en\n')
    assert "malformed CSV" in str(_error(path, errors="quarantine"))


def test_bad_arguments(tmp_path):
    path = _write(tmp_path, "x.txt", HEADER)
    with pytest.raises(ValueError, match="format="):
        read_transcripts(path)
    assert read_transcripts(path, format="csv").empty
    with pytest.raises(ValueError, match="errors"):
        read_transcripts(path, format="csv", errors="ignore")
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_transcripts(tmp_path / "nope.csv")
    with pytest.raises(TypeError):
        read_transcripts(42)


def test_quarantine_known_answer(tmp_path):
    path = _write(tmp_path, "q.csv", HEADER + "d1,0,agent,Hi,en\nd1,1,customer,,en\nd1,2,boss,x,en\n"
                  "d2,0,agent,ok,en\nd2,x,agent,ok,en\nd2,1,agent,a,b,c\n")
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert valid[["dialogue_id", "turn"]].values.tolist() == [["d1", 0], ["d2", 0]]
    assert quarantine["_row"].tolist() == [3, 4, 6, 7]
    reasons = dict(zip(quarantine["_row"], quarantine["_reasons"], strict=True))
    assert reasons[3] == "text: empty or missing value"
    assert "unknown role" in reasons[4]
    assert reasons[6] == "turn: turn is not an integer"
    assert reasons[7].startswith("row: ragged row")


# ------------------------------------------------------------------------------------ hypothesis properties

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30
).filter(lambda s: s.translate(str.maketrans("", "", ZERO_WIDTH)).strip() != "")
_ID = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=8)


@st.composite
def utterance_tables(draw, max_dialogues: int = 4) -> pd.DataFrame:
    """Valid tables: unique dialogue IDs, increasing turns, any Unicode text (commas, quotes, newlines)."""
    ids = draw(st.lists(_ID, min_size=1, max_size=max_dialogues, unique=True))
    rows = []
    for did in ids:
        turns = sorted(draw(st.sets(st.integers(0, 50), min_size=1, max_size=5)))
        lang = draw(st.sampled_from(["en", "ja"]))
        sat = draw(st.one_of(st.none(), st.integers(1, 5).map(float)))
        for t in turns:
            rows.append({"corpus": "gen", "dialogue_id": did, "turn": t,
                         "role": draw(st.sampled_from(["agent", "customer", "other"])),
                         "speaker": draw(st.one_of(st.none(), _ID)), "text": draw(_TEXT), "lang": lang,
                         "sat_dialogue": np.nan if sat is None else sat})
    return pd.DataFrame(rows)


def _normal(df: pd.DataFrame) -> pd.DataFrame:
    """Compare values, not dtypes (pandas may pick object or str for the same strings)."""
    return df.astype(object).where(df.notna(), None).reset_index(drop=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=utterance_tables(), suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]))
def test_round_trip_is_identity(tmp_path, df, suffix):
    path = write_transcripts(df, tmp_path / f"rt{suffix}")
    back = read_transcripts(path, corpus="ignored-when-present")
    pd.testing.assert_frame_equal(_normal(back), _normal(df))


_CORRUPTIONS = ["empty_text", "bad_role", "turn_x", "turn_frac", "dup_turn", "no_dialogue", "ragged", "bytes",
                "json"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(df=utterance_tables(), fmt=st.sampled_from(["csv", "jsonl"]), data=st.data())
def test_quarantine_invariant(tmp_path, df, fmt, data):
    """rows in == rows kept + rows quarantined, and exactly the corrupted rows (or their duplicates) go."""
    records = df.astype(object).where(df.notna(), None).to_dict("records")
    n = len(records)
    corrupt = data.draw(st.dictionaries(st.integers(0, n - 1), st.sampled_from(_CORRUPTIONS), max_size=n))
    raw_lines: dict[int, str] = {}
    for i, kind in corrupt.items():
        rec = records[i]
        if kind == "empty_text":
            rec["text"] = ""
        elif kind == "bad_role":
            rec["role"] = "boss"
        elif kind == "turn_x":
            rec["turn"] = "x"
        elif kind == "turn_frac":
            rec["turn"] = "3.5"
        elif kind == "dup_turn":
            rec["dialogue_id"], rec["turn"] = "dup!", 0  # every row so corrupted shares one key
        elif kind == "no_dialogue":
            rec["dialogue_id"] = None
        elif kind == "bytes":
            rec["text"] = "@@BAD@@"
        else:
            raw_lines[i] = kind  # ragged / malformed JSON: written below
    dups = [i for i, k in corrupt.items() if k == "dup_turn"]
    expected_bad = {i for i, k in corrupt.items() if k != "dup_turn"}
    expected_bad |= set(dups) if len(dups) > 1 else set()

    cols = list(df.columns)
    out = io.StringIO()
    lines_of: list[int] = []
    line = 1
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(cols)
        line += 1
        for i, rec in enumerate(records):
            lines_of.append(line)
            before = out.tell()
            cells = ["" if rec[c] is None else str(rec[c]) for c in cols]
            writer.writerow(cells + (["extra"] if i in raw_lines else []))
            # Lines end at "\n", "\r\n" or a lone "\r", as the reader counts them (quoted or not).
            line += len(io.StringIO(out.getvalue()[before:], newline="").readlines())
    else:
        for i, rec in enumerate(records):
            lines_of.append(line)
            text = "{not json" if i in raw_lines else json.dumps(rec, ensure_ascii=False)
            out.write(text + "\n")
            line += 1
    content = out.getvalue().encode("utf-8").replace(b"@@BAD@@", b"ok\xff\xfe")
    path = tmp_path / f"corrupt.{fmt}"
    path.write_bytes(content)

    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert len(valid) + len(quarantine) == n
    validate_utterances(valid)
    bad_lines = set(quarantine["_row"])
    assert {lines_of[i] for i in expected_bad} <= bad_lines
    # A lone "dup" row is fine; anything else quarantined must be a corrupted row.
    assert bad_lines <= {lines_of[i] for i in corrupt}
    if not corrupt:
        pd.testing.assert_frame_equal(_normal(valid), _normal(df))


def test_empty_files(tmp_path):
    for name in ("e.csv", "e.jsonl"):
        err = _error(_write(tmp_path, name, "\n"))
        assert name in str(err) and "the file is empty" in str(err)


def test_jsonl_missing_key_everywhere_is_a_missing_column(tmp_path):
    path = _write(tmp_path, "k.jsonl", '{"dialogue_id":"a","turn":0,"role":"agent","lang":"en"}\n')
    err = _error(path)
    assert "all rows: column 'text': required column is missing" in str(err)


def test_write_rejects_invalid_tables_and_unknown_suffixes(tmp_path):
    df = pd.DataFrame({"corpus": ["c"], "dialogue_id": ["d"], "turn": [0], "role": ["boss"],
                       "speaker": [None], "text": ["Hi"], "lang": ["en"]})
    with pytest.raises(TranscriptValidationError, match="role"):
        write_transcripts(df, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    with pytest.raises(ValueError, match="suffix"):
        write_transcripts(df.assign(role="agent"), tmp_path / "x.xlsx")
    path = write_transcripts(df.assign(role="agent", text="a\rb"), tmp_path / "cr.csv")
    assert read_transcripts(path)["text"].tolist() == ["a\rb"]  # a lone CR stays inside its quoted cell


def test_all_lines_malformed_json_are_reported_per_line_and_quarantined(tmp_path):
    # Regression (hypothesis found it): with no readable line, the problem is the JSON, not "missing columns".
    path = tmp_path / "allbad.jsonl"
    path.write_text('{"a":\nnot json\n', encoding="utf-8")
    with pytest.raises(TranscriptValidationError, match=r"row 2: .*malformed JSON"):
        read_transcripts(path)
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert len(valid) == 0 and quarantine["_row"].tolist() == [1, 2]
    assert quarantine["_reasons"].str.contains("malformed JSON").all()


# ------------------------------------------------------------------- issue 11: silent results and crashes

FULL = dict(corpus=["c"] * 3, dialogue_id=["d"] * 3, turn=[0, 1, 2], role=["agent", "customer", "agent"],
            speaker=[None] * 3, text=["Hello.", "Hi.", "Welcome."], lang=["en"] * 3)


@pytest.mark.parametrize("label", [np.nan, None])
def test_na_index_label_does_not_let_an_invalid_row_pass(label):
    from omotenashi_research.schema import split_valid

    df = pd.DataFrame(FULL, index=pd.Index([0, label, 2], dtype=object))
    df.iloc[1, df.columns.get_loc("text")] = ""
    valid, quarantine = read_transcripts(df, errors="quarantine")
    assert (len(valid), len(quarantine)) == (2, 1)
    assert "text" in quarantine["_reasons"].iloc[0]
    valid, quarantine = split_valid(df)
    assert (len(valid), len(quarantine)) == (2, 1)
    assert valid["text"].tolist() == ["Hello.", "Welcome."]
    assert pd.isna(quarantine["_row"].iloc[0])


def test_split_valid_with_repeated_index_labels_quarantines_only_the_bad_row():
    from omotenashi_research.schema import split_valid

    df = pd.DataFrame(FULL, index=[7, 7, 7])
    df.iloc[2, df.columns.get_loc("role")] = "manager"
    valid, quarantine = split_valid(df)
    assert valid["text"].tolist() == ["Hello.", "Hi."]
    assert quarantine["text"].tolist() == ["Welcome."]


@pytest.mark.parametrize("turn", [2**63, -(2**63) - 1, "9223372036854775808", 10**30])
def test_turn_beyond_int64_is_a_reported_problem_not_a_wrapped_number(turn):
    df = pd.DataFrame(dict(FULL, turn=[0, turn, 2]), dtype=object)
    valid, quarantine = read_transcripts(df, errors="quarantine")
    assert valid["turn"].tolist() == [0, 2]
    assert quarantine["_row"].tolist() == [1]
    assert "too large" in quarantine["_reasons"].iloc[0] or "integer" in quarantine["_reasons"].iloc[0]
    with pytest.raises(TranscriptValidationError, match="row 1: column 'turn'"):
        read_transcripts(df)


def test_huge_turn_in_a_file_is_reported(tmp_path):
    path = _write(tmp_path, "t.csv", HEADER + "d,0,agent,Hi,en\nd,9223372036854775808,agent,Yes,en\n")
    _assert_names(_error(path), path, 3, "too large")


def test_multiindex_in_quarantine_mode():
    df = pd.DataFrame(FULL, index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)]))
    df.iloc[1, df.columns.get_loc("text")] = " "
    valid, quarantine = read_transcripts(df, errors="quarantine")
    assert len(valid) == 2
    assert quarantine["_row"].tolist() == [("a", 2)]


def test_two_columns_mapped_to_one_name_is_a_clear_error():
    df = pd.DataFrame(FULL).rename(columns={"text": "t1"}).assign(t2="x")
    with pytest.raises(TranscriptValidationError, match="several input columns to one name.*t1.*t2"):
        read_transcripts(df, columns={"t1": "text", "t2": "text"}, errors="quarantine")


def test_zero_row_tables_validate_and_split():
    from omotenashi_research.schema import split_valid

    empty = pd.DataFrame(FULL).iloc[0:0]
    assert validate_utterances(empty) is empty
    valid, quarantine = split_valid(empty)
    assert len(valid) == len(quarantine) == 0


def test_deeply_nested_json_line_is_quarantined_not_a_recursion_error(tmp_path):
    good = json.dumps(dict(dialogue_id="d", turn=0, role="agent", text="Hi", lang="en"))
    path = _write(tmp_path, "deep.jsonl", good + "\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert (len(valid), quarantine["_row"].tolist()) == (1, [2])
    assert "nested too deeply" in quarantine["_reasons"].iloc[0]
    _assert_names(_error(path), path, 2, "nested too deeply")


def test_csv_field_longer_than_131072_characters_is_read(tmp_path):
    long_text = "long " * 30_000  # 150,000 characters, beyond csv's default field limit
    path = _write(tmp_path, "long.csv", HEADER + f"d,0,agent,{long_text},en\nd,1,customer,,en\n")
    before = csv.field_size_limit()
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert valid["text"].tolist() == [long_text]
    assert quarantine["_row"].tolist() == [3]
    assert csv.field_size_limit() == before  # global csv state restored


def test_error_messages_and_reports_truncate_values(tmp_path):
    secret = "My card is 4111 1111 1111 1111 and I live at 1-2-3 Example-cho, call me on 090-0000-0000."
    df = pd.DataFrame(dict(FULL, role=["agent", secret, "agent"]))
    with pytest.raises(TranscriptValidationError) as info:
        read_transcripts(df)
    assert secret not in str(info.value)
    assert secret[:40] in str(info.value) and "…" in str(info.value)
    assert all(len(str(v)) <= 60 for v in info.value.failures["value"].dropna())
    path = _write(tmp_path, "bad.jsonl", "{" + secret + "\n")
    err = _error(path)
    assert secret not in str(err) and all(len(str(v)) <= 60 for v in err.failures["value"].dropna())


def test_wrong_encoding_every_line_undecodable_is_reported_per_line(tmp_path):
    body = "".join(f"d,{i},agent,ありがとうございます{i},ja\n" for i in range(300))
    path = _write(tmp_path, "sjis.csv", (HEADER + body).encode("shift_jis"))
    valid, quarantine = read_transcripts(path, errors="quarantine")
    assert len(valid) == 0 and quarantine["_row"].tolist() == list(range(2, 302))
    first = (HEADER + "d,0,agent,").encode("shift_jis")
    _assert_names(_error(path), path, 2, f"byte offset {len(first)}")


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.tuples(st.text(alphabet="abcあ\ufffd", min_size=1, max_size=5), st.booleans()),
                      min_size=1, max_size=12))
def test_decode_reports_the_right_line_and_byte_for_every_bad_run(lines):
    from omotenashi_research._decoding import _bad_lines, _decode

    data = b""
    expected = {}
    for number, (text, bad) in enumerate(lines, start=1):
        chunk = text.encode("utf-8")
        if bad:
            expected[number] = len(data) + len(chunk)
            chunk += b"\xff"
        data += chunk + b"\n"
    text, marks = _decode(data, "utf-8")
    assert _bad_lines(text, marks) == expected
    assert text.count("\ufffd") == sum(t.count("\ufffd") for t, _ in lines) + len(expected)


def test_wrong_encoding_gets_an_encoding_hint_but_a_single_bad_byte_does_not(tmp_path):
    body = "".join(f"d,{i},agent,ありがとうございます{i},ja\n" for i in range(5))
    sjis = _write(tmp_path, "sjis.csv", (HEADER + body).encode("shift_jis"))
    assert "pass the right encoding=" in str(_error(sjis)) and "'cp932'" in str(_error(sjis))
    data = (HEADER + body).encode("utf-8").replace("ありがとう".encode(), b"\xff", 1)
    one = _write(tmp_path, "one.csv", data)
    assert "encoding=" not in str(_error(one))


def test_zero_width_only_text_is_empty():
    # issue 11, item 8: a text of only zero-width characters is no utterance
    df = pd.DataFrame({"corpus": "c", "dialogue_id": "d", "turn": [0, 1], "role": "agent", "speaker": None,
                       "text": ["\u200b\u200d", "hello\u200b"], "lang": "en"})
    with pytest.raises(TranscriptValidationError, match="non-empty"):
        validate_utterances(df)
    validate_utterances(df.iloc[[1]])
