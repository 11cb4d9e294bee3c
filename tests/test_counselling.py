"""Tests of omotenashi_research.counselling: known answers on invented data; corpus counts vs SOURCE.md."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from omotenashi_research import counselling as CO

# ------------------------------------------------------------------------------------------------
# invented data (no corpus text anywhere)


def _utterances() -> pd.DataFrame:
    """Two invented dialogues: d1 counsellor rows at turns 0, 2, 3; d2 at turns 0, 1."""
    rows = [("d1", 0, "agent"), ("d1", 1, "customer"), ("d1", 2, "agent"), ("d1", 3, "agent"),
            ("d2", 0, "agent"), ("d2", 1, "agent"), ("d2", 2, "customer")]
    u = pd.DataFrame(rows, columns=["dialogue_id", "turn", "role"])
    u["counselor_id"] = u["dialogue_id"].map({"d1": 7, "d2": 8})
    u["client_id"] = u["dialogue_id"].map({"d1": 70, "d2": 80})
    u["topic_main"] = u["dialogue_id"].map({"d1": "Workplace Issues", "d2": "School Issues"})
    u["score"] = u["dialogue_id"].map({"d1": 60, "d2": 40})
    return u


def _flags() -> pd.DataFrame:
    return pd.DataFrame({"dialogue_id": ["d1", "d1", "d1", "d2", "d2"], "turn": [0, 2, 3, 0, 1],
                         "c_empathy": [1.0, 0.0, 1.0, 0.0, 0.0],
                         "c_sonkeigo": [0.0, 1.0, 0.0, 1.0, 0.0],
                         "c_kenjougo": [0.0, 1.0, 1.0, 0.0, 0.0]})


def test_dialogue_measures_known_rates():
    d = CO.dialogue_measures(_utterances(), _flags(),
                             measures={"empathy": ("c_empathy",), "keigo": ("c_sonkeigo", "c_kenjougo")},
                             outcomes=["score"])
    d = d.set_index("dialogue_id")
    # d1: empathy on 2 of 3 counsellor messages; keigo (either form) on turns 2 and 3 -> 2/3
    # d2: no empathy; keigo on turn 0 only -> 1/2
    assert d.loc["d1", "empathy_rate"] == pytest.approx(2 / 3)
    assert d.loc["d1", "keigo_rate"] == pytest.approx(2 / 3)
    assert d.loc["d2", "empathy_rate"] == 0.0
    assert d.loc["d2", "keigo_rate"] == pytest.approx(0.5)
    assert d.loc["d1", "n_messages"] == 4 and d.loc["d1", "n_counsellor"] == 3
    assert d.loc["d2", "log_messages"] == pytest.approx(math.log(3))
    assert d.loc["d1", "counselor_id"] == 7 and d.loc["d2", "score"] == 40
    assert "text" not in d.columns


def test_dialogue_measures_refuses_missing_flags():
    with pytest.raises(ValueError, match="flags lack counsellor messages"):
        CO.dialogue_measures(_utterances(), _flags().iloc[:-1], measures={"empathy": ("c_empathy",)},
                             outcomes=["score"])


def test_dialogue_measures_refuses_all_missing_flag_values():
    f = _flags()
    f.loc[0, "c_empathy"] = np.nan
    with pytest.raises(ValueError, match="without any flag value"):
        CO.dialogue_measures(_utterances(), f, measures={"empathy": ("c_empathy",)}, outcomes=["score"])


def test_sample_dialogues_is_seeded_and_balanced():
    ids = [str(i) for i in range(100)]
    a = CO.sample_dialogues(ids, 40, n_folds=4, seed=3)
    b = CO.sample_dialogues(ids, 40, n_folds=4, seed=3)
    c = CO.sample_dialogues(ids, 40, n_folds=4, seed=4)
    assert a.equals(b) and not a.equals(c)
    assert a["dialogue_id"].is_unique and len(a) == 40
    assert a["fold"].value_counts().tolist() == [10, 10, 10, 10]
    assert list(a["dialogue_id"]) == sorted(a["dialogue_id"], key=int)  # in the order given
    assert len(CO.sample_dialogues(ids + ids)) == 100  # duplicates ignored
    with pytest.raises(ValueError, match="n must be between"):
        CO.sample_dialogues(ids, 101)


def test_model_frame_pools_rare_topics_and_floors_items():
    d = pd.DataFrame({"topic_main": ["a"] * 5 + ["b"] * 2 + ["c"],
                      "showed_acceptance_and_empathy": [0, 1, 2, 3, 4, 5, 0, 3], "score": [0] * 8})
    m = CO.model_frame(d, min_topic=3)
    assert m["topic"].tolist() == ["a"] * 5 + ["(rare topics)"] * 3
    assert m["showed_acceptance_and_empathy"].tolist() == [1, 1, 2, 3, 4, 5, 1, 3]
    assert m["score"].tolist() == [0] * 8  # the total is not floored
    assert d["showed_acceptance_and_empathy"].tolist()[0] == 0  # input untouched


def _simulated(n: int = 600, seed: int = 0, effect: float = 0.8) -> pd.DataFrame:
    """Dialogues where the empathy share raises the item rating (planted log-odds per SD = ``effect``)."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0, 0.4, n)
    z = (rate - rate.mean()) / rate.std(ddof=1)
    latent = effect * z + rng.logistic(size=n)
    item = 1 + np.searchsorted([-1.5, -0.5, 0.5, 1.5], latent)
    return pd.DataFrame({
        "dialogue_id": [str(i) for i in range(n)], "counselor_id": rng.integers(0, 60, n),
        "topic_main": rng.choice(["t1", "t2", "t3"], n), "log_messages": rng.normal(4.4, 0.3, n),
        "empathy_rate": rate, "gratitude_rate": rng.uniform(0, 0.2, n),
        "showed_acceptance_and_empathy": item, "score": 50 + 5 * z + rng.normal(0, 10, n),
    })


def test_fit_family_recovers_planted_effects_and_adjusts():
    d = _simulated()
    outcomes = {"showed_acceptance_and_empathy": ("empathy item", "ordinal"), "score": ("total", "mixed")}
    fam = CO.fit_family(d, measures=["empathy", "gratitude"], outcomes=outcomes, adjust="holm")
    assert len(fam) == 4
    row = fam.set_index(["outcome", "measure"])
    emp = row.loc[("showed_acceptance_and_empathy", "empathy")]
    assert emp["estimate_name"] == "odds ratio per SD"
    assert emp["ci_low"] < math.exp(0.8) < emp["ci_high"]  # planted OR 2.23 per SD
    pts = row.loc[("score", "empathy")]
    assert pts["estimate_name"] == "points per SD"
    assert pts["ci_low"] < 5 < pts["ci_high"]  # planted 5 points per SD
    # Holm over 4 tests, by hand: sorted p times (4, 3, 2, 1), running max, capped at 1
    p = fam["p"].to_numpy()
    order = np.argsort(p)
    expect = np.minimum(1, np.maximum.accumulate(p[order] * np.array([4, 3, 2, 1])))
    assert fam["p_adj"].to_numpy()[order] == pytest.approx(expect)
    assert set(fam["adjustment"]) == {"holm over 4 tests"}
    assert (fam["n"] == 600).all() and (fam["n_clusters"] == 60).all()


def test_fit_family_parallel_equals_serial():
    d = _simulated(300, seed=2)
    kw = {"measures": ["empathy", "gratitude"], "outcomes": {"score": ("total", "mixed")}}
    serial = CO.fit_family(d, **kw)
    parallel = CO.fit_family(d, n_process=2, **kw)
    pd.testing.assert_frame_equal(serial, parallel)


def test_fit_family_refuses_constant_measure():
    d = _simulated(100).assign(empathy_rate=0.1)
    with pytest.raises(ValueError, match="does not vary"):
        CO.fit_family(d, measures=["empathy"], outcomes={"score": ("total", "mixed")})


def test_subset_stability_counts_refits():
    d = _simulated(400, seed=5)
    folds = CO.sample_dialogues(d["dialogue_id"], n_folds=4)
    st = CO.subset_stability(d, folds, measures=["empathy"], outcomes={"score": ("total", "mixed")})
    r = st.iloc[0]
    assert (r["n_subsets"], r["n_per_subset"]) == (4, 300)
    assert r["estimate_min"] <= r["estimate_max"]
    assert bool(r["same_sign"]) and r["n_significant"] == 4


def test_findings_rows_verdicts():
    fam = pd.DataFrame({
        "outcome": ["score", "score", "felt_respected"], "outcome_label": ["total", "total", "respected"],
        "measure": ["empathy", "apology", "keigo"],
        "estimate_name": ["points per SD", "points per SD", "odds ratio per SD"],
        "estimate": [2.0, -1.5, 1.05], "ci_low": [1.0, -2.5, 0.95], "ci_high": [3.0, -0.5, 1.15],
        "p_adj": [0.001, 0.01, 0.6], "adjustment": "holm over 3 tests", "n": 700})
    rows = CO.findings_rows(fam, notebook="05_kokorochat_empathy", data="KokoroChat",
                            quality={"empathy": "P 0.8"})
    assert rows["verdict"].tolist() == ["supported", "not supported", "inconclusive"]
    assert rows["id"].tolist() == ["empathy-score", "apology-score", "keigo-felt_respected"]
    assert rows["measure_quality"].tolist() == ["P 0.8", "", ""]
    from omotenashi_research.findings import FINDING_COLUMNS, validate_findings

    assert list(rows.columns) == FINDING_COLUMNS
    validate_findings(rows, "05_kokorochat_empathy")  # the shared checker accepts them
    # a weak measure: the significant effect is reported, the verdict withheld
    held = CO.findings_rows(fam, notebook="05_kokorochat_empathy", data="KokoroChat", caveats="toy",
                            weak={"empathy": "empathy (ja) P 0.80 R 0.25"})
    assert held["verdict"].tolist() == ["inconclusive", "not supported", "inconclusive"]
    assert held["caveats"].iloc[0] == ("toy; verdict withheld (supported on the statistics alone): measure "
                                       "too weak to decide: empathy (ja) P 0.80 R 0.25")
    assert held["caveats"].iloc[1] == "toy"
    validate_findings(held, "05_kokorochat_empathy")


def test_weak_measures_reads_the_gold_table(tmp_path):
    # invented gold test rows: personalization recall 0.25 is below 0.5, empathy is not
    rows = [("ja", "pooled", lab, "shipped", 100, 20, 10, p, 0.5, 0.9, r, 0.1, 0.5, 0.5, 0.3, 0.7)
            for lab, p, r in (("empathy", 0.8, 0.7), ("personalization", 0.76, 0.25))]
    cols = ["lang", "corpus", "label", "measure", "n", "positives", "flagged", "precision",
            "precision_ci_low", "precision_ci_high", "recall", "recall_ci_low", "recall_ci_high", "f1",
            "f1_ci_low", "f1_ci_high"]
    path = tmp_path / "gold.csv"
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    weak = CO.weak_measures({"empathy": ("c_empathy",), "personal": ("c_personalization", "c_empathy")},
                            "ja", path=str(path))
    assert weak == {"personal": "personalization (ja) P 0.76 R 0.25"}


def test_counsellor_flags_on_invented_dialogue():
    utt = pd.DataFrame({"corpus": "demo", "dialogue_id": ["d1"] * 3 + ["d2"] * 2, "turn": [0, 1, 2, 0, 1],
                        "role": ["customer", "agent", "agent", "agent", "customer"], "speaker": None,
                        "lang": "ja",
                        "text": ["相談があります。", "ご相談ありがとうございます。", "申し訳ありません。",
                                 "こんにちは。", "よろしくお願いします。"]})
    f = CO.counsellor_flags(utt)
    assert f[["dialogue_id", "turn"]].values.tolist() == [["d1", 1], ["d1", 2], ["d2", 0]]
    assert f["c_gratitude"].tolist() == [1.0, 0.0, 0.0]
    assert f["c_apology"].tolist() == [0.0, 1.0, 0.0]
    assert "text" not in f.columns
    f2 = CO.counsellor_flags(utt, n_process=2, n_chunks=2)  # whole dialogues per worker: same answer
    pd.testing.assert_frame_equal(f, f2)
    assert f.attrs["script_mismatch"] == 0 == f2.attrs["script_mismatch"]


def test_counsellor_flags_counts_script_mismatch_instead_of_warning(recwarn):
    utt = pd.DataFrame({"corpus": "demo", "dialogue_id": ["d1"] * 3 + ["d2"] * 2, "turn": [0, 1, 2, 0, 1],
                        "role": ["customer", "agent", "agent", "agent", "customer"], "speaker": None,
                        "lang": "ja",
                        "text": ["相談があります。", "OK, thanks!", "ありがとうございます。", "Sure thing",
                                 "はい。"]})
    f = CO.counsellor_flags(utt, n_process=2, n_chunks=2)
    assert f.attrs["script_mismatch"] == 2  # one Latin-only message in each dialogue, counted once each
    assert not [w for w in recwarn if "contradicts their lang" in str(w.message)]


# ------------------------------------------------------------------------------------------------
# corpus (skipped without OMOTENASHI_DATA)


@pytest.fixture(scope="module")
def kokorochat(corpora_dir) -> pd.DataFrame:
    """The corpus, loaded once for this module's corpus tests (~10 s of CPU)."""
    from omotenashi_research.datasets import load_kokorochat

    return load_kokorochat(progress=False)


@pytest.mark.corpus
def test_kokorochat_dialogue_table_matches_source_md(kokorochat):
    utt = kokorochat
    # SOURCE.md: 6,589 dialogues, 306,495 counselor messages, 424 counselors
    ids = CO.sample_dialogues(utt["dialogue_id"], n_folds=1)
    assert len(ids) == 6589
    agent = utt[utt["role"] == "agent"]
    assert len(agent) == 306495
    # measures from invented all-zero flags: counts and ratings only, no featurising
    flags = agent[["dialogue_id", "turn"]].assign(c_empathy=0.0)
    d = CO.dialogue_measures(utt, flags, measures={"empathy": ("c_empathy",)})
    assert len(d) == 6589 and d["counselor_id"].nunique() == 424
    assert d["n_messages"].sum() == 600939 and d["n_counsellor"].sum() == 306495
    assert d["score"].mean() == pytest.approx(63.58, abs=0.005)
    # 受容・共感 distribution from SOURCE.md
    assert d["showed_acceptance_and_empathy"].value_counts().sort_index().tolist() == [
        40, 331, 1017, 1754, 2022, 1425]
    assert d["topic_main"].value_counts()["Family Issues (Non-Spousal)"] == 1330


@pytest.mark.corpus
def test_kokorochat_flags_on_a_few_dialogues(kokorochat):
    utt = kokorochat
    pick = CO.sample_dialogues(utt["dialogue_id"], 5, seed=1)
    sub = utt[utt["dialogue_id"].isin(pick["dialogue_id"])]
    f = CO.counsellor_flags(sub)
    assert len(f) == int((sub["role"] == "agent").sum())
    d = CO.dialogue_measures(sub, f)
    assert len(d) == 5
    rates = d[[f"{m}_rate" for m in CO.MEASURES]]
    assert ((rates >= 0) & (rates <= 1)).all().all()
    assert rates["keigo_rate"].mean() > 0  # counsellors use honorifics


@pytest.mark.corpus
def test_notebook_05_outputs_hold_no_kokorochat_message(kokorochat):
    # licence CC BY-NC-ND: aggregates only. Messages of 12+ characters are specific enough to count as a
    # leak (shorter ones are generic: はい, なるほど); searched in every output of the committed notebook.
    import json
    from pathlib import Path

    from tests.leaks import hits, output_text

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "05_kokorochat_empathy.ipynb"
    out = output_text(json.loads(nb.read_text(encoding="utf-8"))["cells"])
    assert out  # the notebook is committed executed
    texts = {t for t in kokorochat["text"].drop_duplicates() if len(t) >= 12}
    assert len(texts) > 100_000
    assert hits(texts, out, width=12) == 0


def test_runner_finds_kokorochat_in_either_layout(tmp_path):
    # the shared corpora hold KokoroChat as one zip, the download cache as loose files: both count as present
    from omotenashi_research.notebooks_runner import missing_corpora

    root = tmp_path / "kokorochat"
    root.mkdir()
    (root / "LICENSE").touch()
    assert missing_corpora(["kokorochat"], [tmp_path]) == ["kokorochat"]
    (root / "kokorochat_dialogues.zip").touch()
    assert missing_corpora(["kokorochat"], [tmp_path]) == []
    (root / "LICENSE").unlink()
    assert missing_corpora(["kokorochat"], [tmp_path]) == ["kokorochat"]  # the other files still count
