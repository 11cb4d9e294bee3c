"""CoCoA-MT loader: the tolerant [F] span parser (known answers, properties), invented files, counts."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.cocoa_mt import GROUPS, load_cocoa_mt, parse_formality_spans
from omotenashi_research.errors import CorpusIncompleteError, CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_sentences

TAG = re.compile(r"\[/?F\]")

# ---------------------------------------------------------------- parser: known answers (invented lines)


@pytest.mark.parametrize(("line", "plain", "spans", "n_problems"), [
    ("予約を[F]確認してください[/F]。", "予約を確認してください。", ((3, 11),), 0),
    ("[F]です[/F]、[F]ます[/F]", "です、ます", ((0, 2), (3, 5)), 0),
    ("括弧[完了]だけ[", "括弧[完了]だけ[", (), 0),  # literal brackets are text
    ("[F][/F]空", "空", ((0, 0),), 0),
    # the three upstream kinds of malformed line, on invented text:
    ("[F]読んだ[/F]書いた[/F]消した[/F]", "読んだ書いた消した", ((0, 3),), 2),  # extra [/F] x2
    ("[F]会えて[F]嬉しいです[/F]よ", "会えて嬉しいですよ", ((0, 8),), 1),  # nested [F]
    ("先に[F]行きます[/F]、[F]教えて", "先に行きます、教えて", ((2, 6), (7, 10)), 1),  # unclosed at the end
])
def test_parser_known_answers(line, plain, spans, n_problems):
    p = parse_formality_spans(line)
    assert (p.plain, p.spans, len(p.problems)) == (plain, spans, n_problems)


def test_parser_problem_messages():
    assert parse_formality_spans("[F]a[/F]b[/F]").problems == ("unmatched [/F] at offset 2",)
    assert "nested [F] at offset 1" in parse_formality_spans("[F]a[F]b[/F]").problems[0]
    assert "unclosed [F] at offset 1" in parse_formality_spans("a[F]b").problems[0]


# ---------------------------------------------------------------- parser: properties

PIECES = st.lists(st.sampled_from(["[F]", "[/F]", "[", "]", "F", "/", "あ", "す", "x", "[F", "F]"]),
                  max_size=30)


@given(PIECES)
def test_stripping_tags_gives_the_plain_line_and_never_crashes(pieces):
    line = "".join(pieces)
    p = parse_formality_spans(line)
    assert p.plain == TAG.sub("", line)
    ends = [x for s in p.spans for x in s]
    assert ends == sorted(ends) and all(0 <= x <= len(p.plain) for x in ends)  # ordered, disjoint, inside
    tags = TAG.findall(line)
    balanced = tags == ["[F]", "[/F]"] * (len(tags) // 2)
    assert (p.problems == ()) == balanced
    if balanced:
        assert len(p.spans) == len(tags) // 2


@given(st.lists(st.tuples(st.text("あいう[]/", max_size=4), st.text("えお", min_size=1, max_size=3)),
                max_size=6), st.text("かき", max_size=3))
def test_well_formed_spans_round_trip(chunks, tail):
    # build an annotated line from (unmarked, marked) chunks; the parser recovers the marked text exactly
    line = "".join(f"{u}[F]{m}[/F]" for u, m in chunks) + tail
    p = parse_formality_spans(line)
    assert p.problems == ()
    assert [p.plain[a:b] for a, b in p.spans] == [m for _, m in chunks]


# ---------------------------------------------------------------- loader on invented files

EN = ["Check my booking.", "See you."]
FORMAL_ANN = ["予約を[F]確認してください[/F]。", "また[F]会いましょう[/F]。"]
INFORMAL_ANN = ["予約を[F]確認して[/F]。", "また[F]会おう[/F]。[/F]"]  # line 2: an extra [/F]


def _write_group(root, split="test", domain="call_center", en=EN, formal_ann=FORMAL_ANN,
                 informal_ann=INFORMAL_ANN, formal=None, informal=None):
    folder = root / "cocoa_mt" / "CoCoA-MT" / split / "en-ja"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"formality-control.{split}.{domain}.en-ja"
    files = {"": en, ".formal.annotated": formal_ann, ".informal.annotated": informal_ann,
             ".formal": formal or [TAG.sub("", x) for x in formal_ann],
             ".informal": informal or [TAG.sub("", x) for x in informal_ann]}
    for suffix, lines in files.items():
        (folder / (stem + suffix)).write_text("".join(x + "\n" for x in lines), encoding="utf-8")


def test_invented_group_known_answer(tmp_path):
    _write_group(tmp_path)
    df = load_cocoa_mt("test", "call_center", data_dir=tmp_path, verify=False)
    validate_sentences(df)
    assert df["item_id"].tolist() == ["test:call_center:1", "test:call_center:2"]
    assert df["text"].tolist() == EN and (df["lang"] == "en").all()
    assert df["ja_formal"].tolist() == ["予約を確認してください。", "また会いましょう。"]
    assert df["ja_formal_spans"].tolist() == [((3, 11),), ((2, 8),)]
    assert df["ja_informal_spans"].tolist() == [((3, 7),), ((2, 5),)]
    assert df["ja_informal_tag_problems"].tolist() == [(), ("unmatched [/F] at offset 6",)]
    probs = df.attrs["cocoa_mt_tag_problems"]
    assert probs.values.tolist() == [["test:call_center:2", "informal", "unmatched [/F] at offset 6"]]


def test_references_layout(tmp_path):
    _write_group(tmp_path)
    ref = load_cocoa_mt("test", "call_center", layout="references", data_dir=tmp_path, verify=False)
    validate_sentences(ref)
    assert ref["item_id"].tolist() == ["test:call_center:1:formal", "test:call_center:1:informal",
                                       "test:call_center:2:formal", "test:call_center:2:informal"]
    assert (ref["lang"] == "ja").all() and ref["en"].tolist() == [EN[0], EN[0], EN[1], EN[1]]
    assert [t[a:b] for t, s in zip(ref["text"], ref["spans"], strict=True) for a, b in s] == [
        "確認してください", "確認して", "会いましょう", "会おう"]


def test_annotated_line_that_differs_from_reference_is_named(tmp_path):
    _write_group(tmp_path, formal=["予約を確認してください。", "また会いましょうね。"])
    with pytest.raises(TranscriptValidationError, match=r"row 2: column 'line'.*differs") as err:
        load_cocoa_mt("test", "call_center", data_dir=tmp_path, verify=False)
    assert err.value.failures.loc[0, "source"].endswith("call_center.en-ja.formal.annotated")


def test_misaligned_and_empty_lines_are_named(tmp_path):
    _write_group(tmp_path, en=EN + ["Extra line."])
    with pytest.raises(TranscriptValidationError, match="has 2 lines, the English source 3"):
        load_cocoa_mt("test", "call_center", data_dir=tmp_path, verify=False)
    _write_group(tmp_path, en=["Hello.", " "])
    with pytest.raises(TranscriptValidationError, match=r"row 2: column 'line'.*non-empty") as err:
        load_cocoa_mt("test", "call_center", data_dir=tmp_path, verify=False)
    assert err.value.failures.loc[0, "source"].endswith("call_center.en-ja")


def test_verify_rejects_files_that_are_not_the_registered_ones(tmp_path):
    _write_group(tmp_path)
    with pytest.raises(CorpusIncompleteError, match=r"call_center\.en-ja"):
        load_cocoa_mt("test", "call_center", data_dir=tmp_path)


def test_bad_arguments_and_missing_corpus(tmp_path):
    with pytest.raises(ValueError, match="unknown split"):
        load_cocoa_mt("dev", data_dir=tmp_path, verify=False)
    with pytest.raises(ValueError, match="no data for"):
        load_cocoa_mt("train", "call_center", data_dir=tmp_path, verify=False)
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('cocoa_mt'\)"):
        load_cocoa_mt(data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)


@pytest.fixture(scope="module")
def seg(corpora_dir) -> pd.DataFrame:
    return load_cocoa_mt(data_dir=corpora_dir)


@pytest.mark.corpus
def test_segment_counts(seg):
    validate_sentences(seg)
    sizes = seg.groupby(["split", "domain"]).size()
    assert [sizes[g] for g in GROUPS] == [199, 195, 200, 500, 500]
    assert len(seg) == 1_594 and seg["split"].value_counts().to_dict() == {"train": 1_000, "test": 594}
    same = (seg["ja_formal"] == seg["ja_informal"]).groupby([seg["split"], seg["domain"]]).sum()
    assert [same[g] for g in GROUPS] == [0, 0, 0, 18, 2]
    assert not seg.duplicated(["split", "domain", "text"]).any()
    assert not set(seg.loc[seg["split"] == "train", "text"]) & set(seg.loc[seg["split"] == "test", "text"])


@pytest.mark.corpus
def test_tag_counts_per_file(seg):
    # SOURCE.md: [F] count (lines with >= 1) per file
    expected = {
        "formal": [(469, 199), (414, 194), (539, 200), (1_069, 492), (1_405, 500)],
        "informal": [(455, 198), (389, 192), (515, 199), (1_026, 485), (1_363, 499)],
    }
    for form, counts in expected.items():
        n = seg[f"ja_{form}_annotated"].str.count(r"\[F\]")
        got = n.groupby([seg["split"], seg["domain"]]).agg(["sum", lambda x: (x > 0).sum()])
        assert [tuple(got.loc[g]) for g in GROUPS] == counts, form
    closes = seg.groupby(["split", "domain"])[["ja_formal_annotated", "ja_informal_annotated"]].agg(
        lambda s: s.str.count(r"\[/F\]").sum())
    assert closes.loc[("train", "topical_chat")].tolist() == [1_406, 1_364]
    assert closes.loc[("test", "telephony"), "ja_informal_annotated"] == 388


@pytest.mark.corpus
def test_the_five_malformed_lines_are_reported_not_fatal(seg):
    probs = seg.attrs["cocoa_mt_tag_problems"]
    lines = sorted(set(zip(probs["item_id"], probs["formality"], strict=True)))
    assert lines == [
        ("test:telephony:3", "informal"),
        ("train:topical_chat:319", "formal"), ("train:topical_chat:319", "informal"),
        ("train:topical_chat:476", "formal"), ("train:topical_chat:476", "informal"),
    ]
    kinds = probs.groupby("item_id")["problem"].apply(lambda s: sorted({p.split(" at ")[0] for p in s}))
    assert kinds.to_dict() == {"test:telephony:3": ["unclosed [F]"],
                               "train:topical_chat:319": ["unmatched [/F]"],
                               "train:topical_chat:476": ["nested [F]"]}
    assert (probs.groupby("item_id").size().to_dict()) == {
        "test:telephony:3": 1, "train:topical_chat:319": 4, "train:topical_chat:476": 2}
    # every span lies inside its reference and marks non-empty text
    for form in ("formal", "informal"):
        for text, spans in zip(seg[f"ja_{form}"], seg[f"ja_{form}_spans"], strict=True):
            assert all(0 <= a < b <= len(text) for a, b in spans)


@pytest.mark.corpus
def test_references_layout_on_corpus(corpora_dir):
    ref = load_cocoa_mt(layout="references", data_dir=corpora_dir)
    validate_sentences(ref)
    assert len(ref) == 3_188
    assert ref["formality"].value_counts().to_dict() == {"formal": 1_594, "informal": 1_594}
    assert ref.loc[ref["domain"] == "call_center", "segment_id"].nunique() == 199
