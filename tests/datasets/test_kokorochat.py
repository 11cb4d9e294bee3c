"""KokoroChat loader: invented dialogues in both layouts, broken files named, and SOURCE.md counts.

Licence CC BY-NC-ND: nothing here copies corpus text; the fixtures are invented and the corpus tests
only count.
"""

from __future__ import annotations

import copy
import json
import statistics
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omotenashi_research.datasets.kokorochat import (
    _FLAG_KEYS,
    _ID_KEYS,
    _ITEM_KEYS,
    FLAGS,
    ITEMS,
    derived_score,
    load_kokorochat,
    load_kokorochat_reviews,
)
from omotenashi_research.errors import CorpusIncompleteError, CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances

# ---------------------------------------------------------------- invented dialogues


def _dialogue(num: int, roles: list[str], items: list[int], flags=(None, None, None), score=None) -> dict:
    """One file in the upstream format (keys in upstream order), with invented text."""
    msgs = [{"role": r, "time": f"2021-05-0{1 + num % 9}T10:{i:02d}:00", "utterance": f"発言{i}です。"}
            for i, r in enumerate(roles)]
    values = [num, "2021-05-10T12:00:00", 900 + num, 800 + num,
              sum(items) if score is None else score, *items, *flags]
    en_keys = [e for _, e in _ID_KEYS] + [e for _, e, _ in _ITEM_KEYS] + [e for _, e in _FLAG_KEYS]
    jp_keys = [j for j, _ in _ID_KEYS] + [j for j, _, _ in _ITEM_KEYS] + [j for j, _ in _FLAG_KEYS]
    return {
        "dialogue": msgs,
        "topic": {"main_jp": "職場問題", "main_en": "Workplace Issues", "sub": "架空の相談"},
        "review_by_client_jp": dict(zip(jp_keys, values, strict=True)),
        "review_by_client_en": dict(zip(en_keys, values, strict=True)),
    }


ITEMS_A = [3] * 10 + [4] * 10
ITEMS_B = [1, 2, 3, 4, 5, 0, 1, 2, 3, 4] * 2
DIALOGUES = {  # file number -> content; 100 sorts before 7 as text, after it as a number
    7: _dialogue(7, ["counselor", "client", "client", "counselor"], ITEMS_A),
    100: _dialogue(100, ["client", "counselor", "client"], ITEMS_B, (None, None, "チェックあり"),
                   score=sum(ITEMS_B) // 2),
}


def _dump(d: dict) -> bytes:
    return json.dumps(d, ensure_ascii=False, indent=4).encode("utf-8")


def _write_zip(root: Path, files: dict[int, dict | bytes]) -> Path:
    path = root / "kokorochat" / "kokorochat_dialogues.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in files.items():
            zf.writestr(f"kokorochat_dialogues/{n}.json", d if isinstance(d, bytes) else _dump(d))
    return path


def _write_loose(root: Path, files: dict[int, dict | bytes]) -> Path:
    folder = root / "kokorochat" / "kokorochat_dialogues"
    folder.mkdir(parents=True, exist_ok=True)
    for n, d in files.items():
        (folder / f"{n}.json").write_bytes(d if isinstance(d, bytes) else _dump(d))
    return folder


@pytest.mark.parametrize("layout", [_write_zip, _write_loose])
def test_invented_dialogues_known_answer(tmp_path, layout):
    layout(tmp_path, DIALOGUES)
    df = load_kokorochat(data_dir=tmp_path, progress=False, verify=False)
    validate_utterances(df)
    assert df["dialogue_id"].tolist() == ["7"] * 4 + ["100"] * 3  # file-number order
    assert df["turn"].tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert df["role"].tolist() == ["agent", "customer", "customer", "agent", "customer", "agent", "customer"]
    assert df["speaker"].tolist() == ["counselor", "client", "client", "counselor", "client", "counselor",
                                      "client"]
    assert df["text"].iloc[2] == "発言2です。" and (df["lang"] == "ja").all()
    assert (df["corpus"] == "kokorochat").all()
    assert df["time"].iloc[1] == pd.Timestamp("2021-05-08T10:01:00")  # day 1 + 7 % 9
    assert df["counselor_id"].tolist() == [807] * 4 + [900] * 3
    assert df["client_id"].tolist() == [907] * 4 + [1000] * 3
    assert df["score"].tolist() == [70] * 4 + [25] * 3
    assert df["clarified_issues_clearly"].tolist() == [4] * 4 + [1] * 3  # item 17 (typo fixed)
    assert "clarified_issues_cleraly" not in df.columns
    assert df["unwilling_to_continue"].tolist() == [False] * 4 + [True] * 3
    assert df["topic_main"].astype(str).unique().tolist() == ["Workplace Issues"]
    assert df["evaluation_created_at"].iloc[0] == pd.Timestamp("2021-05-10T12:00:00")
    assert (derived_score(df) == df["score"]).all()


@pytest.mark.parametrize("layout", [_write_zip, _write_loose])
def test_reviews_one_row_per_dialogue(tmp_path, layout):
    layout(tmp_path, DIALOGUES)
    rev = load_kokorochat_reviews(data_dir=tmp_path, progress=False, verify=False)
    assert rev["dialogue_id"].tolist() == ["7", "100"]
    assert rev["n_messages"].tolist() == [4, 3]
    assert rev[list(ITEMS)].to_numpy().tolist() == [ITEMS_A, ITEMS_B]
    assert rev[list(FLAGS)].to_numpy().tolist() == [[False] * 3, [False, False, True]]
    assert "text" not in rev.columns


def test_progress_bar_counts_files(tmp_path, capsys):
    _write_zip(tmp_path, DIALOGUES)
    load_kokorochat_reviews(data_dir=tmp_path, progress=True, verify=False)
    err = capsys.readouterr().err
    assert "KokoroChat" in err and "2/2" in err


def test_zip_preferred_over_loose_files(tmp_path):
    _write_zip(tmp_path, {7: DIALOGUES[7]})
    _write_loose(tmp_path, DIALOGUES)
    assert load_kokorochat_reviews(data_dir=tmp_path, verify=False)["dialogue_id"].tolist() == ["7"]


def test_derived_score_rule_known_answer():
    rev = pd.DataFrame({**{c: [5, 5, 5, 5, 1] for c in ITEMS},
                        "harmful_due_to_ignorance": [False, False, True, False, False],
                        "other_potentially_unethical": [False, False, False, True, False],
                        "unwilling_to_continue": [False, True, True, False, True]})
    # 20 items of 5 = 100; halved with 離脱 only; 0 with an ethics flag; floor(20 / 2) = 10
    assert derived_score(rev).tolist() == [100, 50, 0, 0, 10]


def _broken(mutate) -> dict:
    d = copy.deepcopy(DIALOGUES[100])
    mutate(d)
    return d


@pytest.mark.parametrize(("content", "row", "column", "problem"), [
    (b'{"dialogue": [', 1, "json", "not valid JSON"),
    (_broken(lambda d: d.pop("topic")), None, "topic", "missing key"),
    (_broken(lambda d: d["dialogue"][2].pop("utterance")), 2, "utterance", "missing key"),
    (_broken(lambda d: d["dialogue"][1].update(role="therapist")), 1, "role",
     "must be 'counselor' or 'client'"),
    (_broken(lambda d: d["dialogue"][0].update(utterance=" ")), 0, "utterance", "non-empty"),
    (_broken(lambda d: d["dialogue"][1].update(time="yesterday")), 1, "time", "YYYY-MM-DD"),
    (_broken(lambda d: d["review_by_client_en"].update(felt_respected=6)), None,
     "review_by_client_en.felt_respected", "integer 0-5"),
    (_broken(lambda d: d["review_by_client_en"].update(score=71)), None,
     "review_by_client_en.score", "differs from review_by_client_jp"),
    (_broken(lambda d: d["review_by_client_jp"].pop("離脱")), None, "review_by_client_jp.離脱",
     "missing key"),
    (_broken(lambda d: d["review_by_client_en"].update(unwilling_to_continue="yes")), None,
     "review_by_client_en.unwilling_to_continue", "or null"),
])
@pytest.mark.parametrize("layout", [_write_zip, _write_loose])
def test_broken_file_is_named(tmp_path, layout, content, row, column, problem):
    if isinstance(content, dict) and column.startswith("review_by_client_en.") and "differs" not in problem:
        # change both reviews alike, so the value check (not the jp/en comparison) is what fails
        jp_key = dict((e, j) for j, e in _ID_KEYS + _FLAG_KEYS) | {e: j for j, e, _ in _ITEM_KEYS}
        en_key = column.split(".", 1)[1]
        content["review_by_client_jp"][jp_key[en_key]] = content["review_by_client_en"][en_key]
    layout(tmp_path, {7: DIALOGUES[7], 100: content})
    with pytest.raises(TranscriptValidationError, match=problem) as err:
        load_kokorochat(data_dir=tmp_path, progress=False, verify=False)
    f = err.value.failures.iloc[0]
    assert f["source"].endswith("100.json") and "100.json" in str(err.value)
    assert (f["row"], f["column"]) == (row, column)


def test_evaluation_id_must_match_file_number(tmp_path):
    _write_zip(tmp_path, {8: DIALOGUES[7]})  # content of file 7 stored as 8.json
    with pytest.raises(TranscriptValidationError, match="must equal the file number 8"):
        load_kokorochat_reviews(data_dir=tmp_path, verify=False)


def test_unexpected_member_name(tmp_path):
    _write_zip(tmp_path, {"7": DIALOGUES[7], "notes": b"{}"})
    with pytest.raises(TranscriptValidationError, match=r"kokorochat_dialogues/<number>\.json"):
        load_kokorochat(data_dir=tmp_path, verify=False)


@pytest.mark.parametrize("layout", [_write_zip, _write_loose])
def test_verify_rejects_a_partial_corpus(tmp_path, layout):
    layout(tmp_path, DIALOGUES)
    with pytest.raises(CorpusIncompleteError, match=r"incomplete or altered.*\n.*kokorochat_dialogues/") as e:
        load_kokorochat_reviews(data_dir=tmp_path)
    assert "verify=False" in str(e.value)


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match=r"fetch\('kokorochat'\)"):
        load_kokorochat(data_dir=tmp_path, verify=False)


# ---------------------------------------------------------------- the staged corpus (SOURCE.md)


@pytest.fixture(scope="module")
def kk(corpora_dir) -> pd.DataFrame:
    return load_kokorochat(data_dir=corpora_dir, progress=False)


@pytest.fixture(scope="module")
def reviews(corpora_dir) -> pd.DataFrame:
    return load_kokorochat_reviews(data_dir=corpora_dir, progress=False)


@pytest.mark.corpus
@pytest.mark.slow  # loads all 600,939 messages once per module (~10 s CPU)
def test_message_counts(kk):
    assert len(kk) == 600_939
    assert kk["speaker"].value_counts().to_dict() == {"counselor": 306_495, "client": 294_444}
    assert kk["role"].value_counts().to_dict() == {"agent": 306_495, "customer": 294_444}
    assert kk["dialogue_id"].nunique() == 6_589
    sizes = kk.groupby("dialogue_id", sort=False).size()
    assert (sizes.min(), sizes.median(), round(sizes.mean(), 2), sizes.max()) == (30, 85, 91.20, 360)
    chars = kk["text"].str.len().groupby(kk["speaker"]).mean().round(2).to_dict()
    assert chars == {"client": 20.63, "counselor": 35.84}
    # runs of consecutive same-role messages
    new_run = kk["speaker"].ne(kk["speaker"].shift()) | kk["turn"].eq(0)
    assert kk.loc[new_run, "speaker"].value_counts().to_dict() == {"counselor": 237_735, "client": 234_205}
    first = kk.loc[kk["turn"] == 0, "speaker"].value_counts().to_dict()
    assert first == {"counselor": 5_966, "client": 623}
    # times never decrease within a dialogue; the review comes after the last message
    assert (kk.groupby("dialogue_id", sort=False)["time"].diff().dropna() >= pd.Timedelta(0)).all()
    last = kk.groupby("dialogue_id", sort=False).agg(t=("time", "max"), r=("evaluation_created_at", "first"))
    assert (last["r"] > last["t"]).all()
    years = kk.groupby("dialogue_id", sort=False)["time"].min().dt.year.value_counts().sort_index()
    assert years.to_dict() == {2020: 884, 2021: 1_684, 2022: 1_377, 2023: 1_667, 2024: 977}


@pytest.mark.corpus
@pytest.mark.slow  # loads all 600,939 messages once per module (~10 s CPU)
def test_ids_and_turn_convention(kk, reviews):
    ids = reviews["dialogue_id"].astype(int)
    assert (ids.min(), ids.max(), ids.is_monotonic_increasing) == (4, 7_234, True)
    assert kk["dialogue_id"].iloc[0] == "4" and kk["turn"].iloc[0] == 0
    n_messages = kk.groupby("dialogue_id", sort=False)["turn"].max() + 1
    assert n_messages.tolist() == reviews["n_messages"].tolist()
    assert reviews["counselor_id"].nunique() == 424 and reviews["client_id"].nunique() == 463
    both = set(reviews["counselor_id"]) & set(reviews["client_id"])
    assert len(both) == 407 and len(set(reviews["counselor_id"]) | set(reviews["client_id"])) == 480
    assert not (reviews["counselor_id"] == reviews["client_id"]).any()
    assert len(reviews[["counselor_id", "client_id"]].drop_duplicates()) == 4_900
    per_counselor = reviews.groupby("counselor_id").size()
    assert (per_counselor.median(), per_counselor.max()) == (11, 144)
    assert reviews.groupby("client_id").size().max() == 289


@pytest.mark.corpus
@pytest.mark.slow  # loads all 600,939 messages once per module (~10 s CPU)
def test_review_columns_repeat_the_review(kk, reviews):
    cols = ["score", *ITEMS, *FLAGS, "counselor_id"]
    per_dialogue = kk.groupby("dialogue_id", sort=False)[cols].agg("nunique")
    assert (per_dialogue == 1).all().all()
    first = kk.groupby("dialogue_id", sort=False)[["score", *ITEMS]].first().reset_index(drop=True)
    pd.testing.assert_frame_equal(first, reviews[["score", *ITEMS]], check_dtype=False)


@pytest.mark.corpus
def test_score_is_derived_from_items_and_flags(reviews):
    assert (derived_score(reviews) == reviews["score"]).all()
    flags = reviews[list(FLAGS)]
    none = ~flags.any(axis=1)
    only_dropout = reviews["unwilling_to_continue"] & ~reviews["harmful_due_to_ignorance"] & ~reviews[
        "other_potentially_unethical"]
    unethical = reviews["harmful_due_to_ignorance"] | reviews["other_potentially_unethical"]
    total = reviews[list(ITEMS)].sum(axis=1)
    assert none.sum() == 6_374 and (reviews.loc[none, "score"] == total[none]).all()
    assert only_dropout.sum() == 203
    assert (reviews.loc[only_dropout, "score"] == total[only_dropout] // 2).all()
    assert unethical.sum() == 12 and (reviews.loc[unethical, "score"] == 0).all()
    assert flags.sum().to_dict() == {"harmful_due_to_ignorance": 8, "other_potentially_unethical": 4,
                                     "unwilling_to_continue": 209}
    assert flags.any(axis=1).sum() == 215


@pytest.mark.corpus
def test_score_distribution(reviews):
    s = reviews["score"]
    assert (len(s), round(s.mean(), 2), round(s.std(), 2), s.min(), s.max()) == (6_589, 63.58, 20.83, 0, 100)
    assert statistics.quantiles(s, n=4, method="inclusive") == [50, 64, 79]
    bands = pd.cut(s, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 101], right=False).value_counts(sort=False)
    assert bands.tolist() == [47, 144, 258, 370, 766, 1_113, 1_172, 1_085, 861, 698, 75]
    assert ((s < 70).sum(), s.between(70, 98).sum(), (s <= 98).sum()) == (3_870, 2_601, 6_471)


@pytest.mark.corpus
def test_empathy_item(reviews):
    e = reviews["showed_acceptance_and_empathy"]
    assert e.value_counts().sort_index().to_dict() == {0: 40, 1: 331, 2: 1_017, 3: 1_754, 4: 2_022, 5: 1_425}
    assert (round(e.mean(), 2), round(e.std(), 2), e.median()) == (3.47, 1.17, 4)
    assert round(reviews["score"].groupby(e).mean(), 1).tolist() == [11.4, 29.0, 43.6, 56.4, 70.7, 86.1]
    assert round(e.corr(reviews["score"], method="spearman"), 2) == 0.80


@pytest.mark.corpus
def test_item_distributions(reviews):
    # rows 1, 2, 9 and 17 of the SOURCE.md item table (counts of 0..5)
    table = {
        "felt_heard_and_understood": [53, 535, 1_167, 1_685, 1_940, 1_209],
        "felt_respected": [56, 356, 769, 2_058, 2_001, 1_349],
        "felt_appropriate_and_satisfying": [59, 407, 1_262, 2_115, 1_765, 981],
        "clarified_issues_clearly": [126, 592, 1_543, 2_144, 1_452, 732],
    }
    for item, counts in table.items():
        assert reviews[item].value_counts().reindex(range(6), fill_value=0).tolist() == counts, item
    means = reviews[list(ITEMS)].mean().round(2).tolist()
    assert means == [3.30, 3.46, 3.00, 2.89, 3.09, 3.05, 3.29, 3.22, 3.22, 3.13,
                     3.76, 3.33, 3.47, 3.47, 3.15, 3.10, 2.97, 2.98, 3.17, 3.16]


@pytest.mark.corpus
def test_topics(reviews):
    assert reviews["topic_main"].value_counts().to_dict() == {
        "Family Issues (Non-Spousal)": 1_330, "Workplace Issues": 1_123, "Mental Health Issues": 966,
        "School Issues": 928, "Career and Educational Issues": 848, "Romantic Issues": 454,
        "Family Issues (Spouse)": 438, "Interpersonal Issues": 306, "Financial Issues": 140,
        "Physical Health Issues": 49, "Others": 7,
    }
    pairs = reviews[["topic_main", "topic_main_ja"]].astype(str).drop_duplicates()
    assert len(pairs) == 11  # one Japanese label per English one
    assert reviews["topic_sub"].str.strip().ne("").all()
    assert np.issubdtype(reviews["evaluation_created_at"].dtype, np.datetime64)
