"""USS loader: parser properties on generated lines, invented mini files, and SOURCE.md counts."""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.uss import (
    AGGREGATES,
    _format_line,
    _parse_line,
    _parse_votes,
    aggregate_votes,
    load_uss,
)
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances


def _labels(s: pd.Series) -> list:
    """Column values with missing ones as None (label columns are str dtype, NaN when missing)."""
    return [None if pd.isna(x) else x for x in s]

# ---------------------------------------------------------------- vote aggregation (hand-computed)


@pytest.mark.parametrize(
    ("votes", "rule", "expected"),
    [
        ((3, 3, 2), "majority", 3.0),
        ((2, 3, 3, 2), "majority", 2.0),  # tie 2 vs 3 -> lower (upstream rule, SOURCE.md)
        ((2, 3, 3, 2), "majority_high", 3.0),
        ((1, 2, 4), "majority", 1.0),  # all tied -> lowest
        ((2, 3, 4, 4), "mean", 3.25),
        ((2, 3, 4, 4), "median", 3.5),
        ((2, 3, 3, 4), "round_mean", 3.0),
        ((2, 3), "round_mean", 2.0),  # round(2.5) == 2 (banker's rounding)
        ((3, 4), "round_mean", 4.0),  # round(3.5) == 4
        ((2, 5, 3), "min", 2.0),
        ((2, 5, 3), "max", 5.0),
    ],
)
def test_aggregate_known_values(votes, rule, expected):
    assert aggregate_votes(votes, rule) == expected


def test_aggregate_empty_is_nan_and_bad_rule_raises():
    assert pd.isna(aggregate_votes((), "majority"))
    with pytest.raises(ValueError, match="unknown aggregate rule 'mode'"):
        aggregate_votes((3,), "mode")


VOTES = st.lists(st.integers(1, 5), min_size=1, max_size=7)


@given(VOTES, st.sampled_from(AGGREGATES))
def test_aggregate_within_min_max(votes, rule):
    assert min(votes) <= aggregate_votes(votes, rule) <= max(votes)


@given(VOTES)
def test_majority_is_a_most_frequent_vote(votes):
    low, high = aggregate_votes(votes, "majority"), aggregate_votes(votes, "majority_high")
    top = max(votes.count(v) for v in votes)
    assert votes.count(int(low)) == top and votes.count(int(high)) == top
    assert low <= high
    assert aggregate_votes(votes, "median") == statistics.median(votes)


# ---------------------------------------------------------------- line parser

TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1).filter(
    lambda s: s.strip() != ""
)
ACT = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_+"), max_size=20)


@given(st.sampled_from(["USER", "SYSTEM"]), TEXT, ACT, st.lists(st.integers(1, 5), max_size=7))
def test_parse_line_round_trip(role, text, act, votes):
    line = _format_line(role, text, act, votes) + "\n"
    assert _parse_line(line) == (role, text, act, tuple(votes))


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("USER\tHi there\t3,3", "expected 4 TAB-separated fields, found 3"),
        ("AGENT\tHi\t\t", "role 'AGENT' is neither USER nor SYSTEM"),
        ("USER\tHi\t\t3,x", "rating 'x' is not an integer"),
        ("USER\tHi\t\t3,6", "rating 6 is outside 1-5"),
        ("USER\tHi\t\t3,,3", "rating '' is not an integer"),
    ],
)
def test_parse_line_rejects_bad_lines(line, match):
    with pytest.raises(ValueError, match=match):
        _parse_line(line)


def test_parse_votes_spaces_and_empty():
    assert _parse_votes(" 3, 4 ,2 ") == (3, 4, 2)
    assert _parse_votes("") == ()


# ---------------------------------------------------------------- invented mini corpus

MINI = (
    "\n"
    "USER\tI need a cheap hotel.\tHotel-Inform\t3,2,2\n"
    "SYSTEM\tThere are two.\tHotel-Inform\t\n"
    "USER\tThanks, bye.\t\t4,4,5\n"
    "USER\tOVERALL\t\t2,3,3,2\n"
    "\n"
    "USER\tAny trains?\tTrain-Inform\t1,1,5\n"
    "SYSTEM\tYes.\t\t\n"
    "USER\tOVERALL\t\t5,5,4\n"
)


def _write(root: Path, name: str, text: str) -> Path:
    path = root / "uss" / "dataset" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_mini_file_known_table(tmp_path):
    _write(tmp_path, "MWOZ.txt", MINI)
    df = load_uss(["MWOZ"], data_dir=tmp_path, verify=False)
    assert df["dialogue_id"].tolist() == ["mwoz-0000"] * 3 + ["mwoz-0001"] * 2
    assert df["turn"].tolist() == [0, 1, 2, 0, 1]
    assert df["role"].tolist() == ["customer", "agent", "customer", "customer", "agent"]
    assert df["line"].tolist() == [2, 3, 4, 7, 8]
    assert _labels(df["act"]) == ["Hotel-Inform", "Hotel-Inform", None, "Train-Inform", None]
    # votes 3,2,2 -> 2; 4,4,5 -> 4; 1,1,5 -> 1
    assert df.loc[df["role"] == "customer", "sat_turn"].tolist() == [2.0, 4.0, 1.0]
    assert df["sat_turn"].isna().tolist() == [False, True, False, False, True]
    assert df["sat_turn_votes"].tolist()[:2] == [(3, 2, 2), ()]
    # OVERALL 2,3,3,2: tie -> 2 (majority) / 2.5 (mean); 5,5,4 -> 5
    assert df["sat_dialogue"].tolist() == [2.0] * 3 + [5.0] * 2
    assert df["sat_dialogue_votes"].tolist()[0] == (2, 3, 3, 2)
    assert "OVERALL" not in df["text"].tolist()
    mean = load_uss(["MWOZ"], data_dir=tmp_path, verify=False, aggregate="mean")
    assert mean["sat_dialogue"].tolist()[0] == 2.5
    assert mean["sat_turn"].tolist()[0] == pytest.approx(7 / 3)
    assert df["turn"].dtype == "int64" and df["sat_turn"].dtype == "float64"
    validate_utterances(df)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (MINI.replace("\t3,2,2", "\t3,9,2"), 2, "rating 9 is outside 1-5"),
        (MINI.replace("SYSTEM\tYes.\t\t\n", "SYSTEM\tYes.\n"), 8, "expected 4 TAB-separated fields"),
        (MINI.replace("USER\tOVERALL\t\t5,5,4\n", ""), 8, "dialogue has no OVERALL rating line"),
        (MINI.replace("\t4,4,5", "\t"), 4, "USER line without ratings"),
    ],
)
def test_mini_file_errors_name_file_and_line(tmp_path, text, line, problem):
    path = _write(tmp_path, "MWOZ.txt", text)
    with pytest.raises(TranscriptValidationError) as err:
        load_uss(["MWOZ"], data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value)
    fail = err.value.failures
    assert ((fail["row"] == line) & fail["problem"].str.contains(problem)).any(), fail


def test_empty_text_is_dropped_with_warning_or_raises(tmp_path):
    path = _write(tmp_path, "MWOZ.txt", MINI.replace("SYSTEM\tThere are two.", "SYSTEM\t"))
    with pytest.warns(UserWarning, match=r"dropped 1 line\(s\) with empty text: lines \[3\]"):
        df = load_uss(["MWOZ"], data_dir=tmp_path, verify=False)
    assert df["turn"].tolist() == [0, 2, 0, 1]  # the gap keeps the upstream position
    assert df.attrs["uss_dropped_lines"] == {"MWOZ": (3,)}
    with pytest.raises(TranscriptValidationError, match=str(path)):
        load_uss(["MWOZ"], data_dir=tmp_path, verify=False, empty_text="raise")


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown USS subset"):
        load_uss(["JDDC"])
    with pytest.raises(ValueError, match="unknown aggregate rule"):
        load_uss(["MWOZ"], aggregate="vote")


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('uss'\)"):
        load_uss(["MWOZ"], data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)

# subset: (dialogues, utterances, USER, SYSTEM)
COUNTS = {
    "MWOZ": (1000, 22108, 11553, 10555),
    "SGD": (1000, 25666, 12833, 12833),
    "ReDial": (1000, 21458, 10806, 10652),
    "CCPE": (500, 11936, 6360, 5576),
    "ReDial-action": (336, 4583, 2261, 2322),
}
TURN_DIST = {  # majority, ties low; user turns excluding OVERALL
    "MWOZ": [9, 661, 10317, 559, 7],
    "SGD": [3, 710, 10728, 1336, 56],
    "ReDial": [17, 629, 8915, 1211, 34],
    "CCPE": [6, 432, 5614, 306, 2],
}
DIALOGUE_DIST = {
    "MWOZ": [2, 46, 828, 124, 0],
    "SGD": [1, 38, 761, 199, 1],
    "ReDial": [1, 70, 678, 245, 6],
    "CCPE": [0, 33, 434, 33, 0],
}
# ReDial.txt lines with an empty text, found in this copy: 3 SYSTEM + 4 USER (majority votes all 3).
REDIAL_EMPTY = {"lines": (4953, 13734, 14707, 17073, 17150, 17151, 21249), "USER": 4, "SYSTEM": 3}


@pytest.fixture(scope="module")
def uss(corpora_dir) -> pd.DataFrame:
    with pytest.warns(UserWarning, match="ReDial.txt: dropped 7 line"):
        return load_uss(list(COUNTS), data_dir=corpora_dir)


@pytest.mark.corpus
@pytest.mark.parametrize("subset", list(COUNTS))
def test_counts_match_source(uss, subset):
    n_dlg, n_utt, n_user, n_system = COUNTS[subset]
    df = uss[uss["corpus"] == f"uss-{subset.lower()}"]
    dropped = REDIAL_EMPTY if subset == "ReDial" else {"USER": 0, "SYSTEM": 0}
    assert df["dialogue_id"].nunique() == n_dlg
    assert len(df) == n_utt - dropped["USER"] - dropped["SYSTEM"]
    assert (df["role"] == "customer").sum() == n_user - dropped["USER"]
    assert (df["role"] == "agent").sum() == n_system - dropped["SYSTEM"]
    assert (df["speaker"] == "USER").sum() == n_user - dropped["USER"]


@pytest.mark.corpus
def test_redial_dropped_lines(uss):
    assert uss.attrs["uss_dropped_lines"] == {"ReDial": REDIAL_EMPTY["lines"]}


@pytest.mark.corpus
@pytest.mark.parametrize("subset", list(TURN_DIST))
def test_rating_distributions_match_source(uss, subset):
    df = uss[uss["corpus"] == f"uss-{subset.lower()}"]
    turn = df.loc[df["role"] == "customer", "sat_turn"].value_counts().reindex([1.0, 2.0, 3.0, 4.0, 5.0])
    expected = list(TURN_DIST[subset])
    if subset == "ReDial":
        expected[2] -= REDIAL_EMPTY["USER"]  # the 4 dropped empty USER lines are all rated 3
    assert turn.fillna(0).astype(int).tolist() == expected
    dlg = df.drop_duplicates("dialogue_id")["sat_dialogue"].value_counts().reindex([1.0, 2.0, 3.0, 4.0, 5.0])
    assert dlg.fillna(0).astype(int).tolist() == DIALOGUE_DIST[subset]
    assert df.loc[df["role"] == "agent", "sat_turn"].isna().all()
    assert df.loc[df["role"] == "customer", "sat_turn"].notna().all()


@pytest.mark.corpus
def test_mwoz_round_mean_annotators_and_empty_acts(corpora_dir):
    df = load_uss(["MWOZ"], aggregate="round_mean", data_dir=corpora_dir)
    user = df[df["role"] == "customer"]
    assert user["sat_turn"].value_counts().sort_index().tolist() == [6, 740, 9668, 1135, 4]
    assert user["sat_turn_votes"].map(len).value_counts().sort_index().to_dict() == {
        3: 6530, 4: 4369, 5: 556, 6: 98
    }
    assert df.groupby("role")["act"].apply(lambda s: s.isna().sum()).to_dict() == {
        "customer": 3977, "agent": 3051
    }


@pytest.mark.corpus
def test_table_shape(uss):
    validate_utterances(uss)
    assert (uss["lang"] == "en").all()
    rated = uss[uss["corpus"] != "uss-redial-action"]
    assert rated["sat_dialogue"].notna().all()
    assert rated.groupby(["corpus", "dialogue_id"])["sat_dialogue"].nunique().eq(1).all()
    action = uss[uss["corpus"] == "uss-redial-action"]
    assert action["sat_turn"].isna().all() and action["sat_dialogue"].isna().all()
    assert set(action["act"].dropna()) <= {
        "AskForRec", "Recommend", "GiveFeedback", "Explain", "AddDetails", "Respond", "Request", "OTH"
    }
