"""Tests of the validation report: metric helpers (known answers), check-set selection and files, report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research import validation as V

REPO = Path(__file__).resolve().parents[1]
ITEMS = REPO / "data" / "checkset" / "items.csv"


# ------------------------------------------------------------------------------------------ metrics


def test_prf_known_values():
    # tp=2 (items 0, 4), fp=1 (item 2), fn=1 (item 1): P = R = F1 = 2/3
    r = V.prf([1, 1, 0, 0, 1], [1, 0, 1, 0, 1])
    assert (r["tp"], r["fp"], r["fn"], r["tn"]) == (2, 1, 1, 1)
    assert r["precision"] == pytest.approx(2 / 3)
    assert r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(2 / 3)
    # P = 1/3, R = 1 -> F1 = 2 * (1/3 * 1) / (1/3 + 1) = 0.5
    r = V.prf([1, 0, 0], [1, 1, 1])
    assert (r["precision"], r["recall"], r["f1"]) == (pytest.approx(1 / 3), 1.0, 0.5)


def test_prf_undefined_is_nan_not_zero():
    r = V.prf([0, 0], [0, 0])
    assert math.isnan(r["precision"]) and math.isnan(r["recall"]) and math.isnan(r["f1"])
    with pytest.raises(ValueError, match="differ in length"):
        V.prf([1, 0], [1])


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_prf_f1_is_harmonic_mean(pairs):
    t, p = zip(*pairs, strict=True)
    r = V.prf(t, p)
    if r["tp"] > 0:
        assert r["f1"] == pytest.approx(2 * r["precision"] * r["recall"] / (r["precision"] + r["recall"]))
    assert r["tp"] + r["fp"] + r["fn"] + r["tn"] == len(pairs)


def test_wilson_matches_r_prop_test():
    # R: prop.test(8, 10, correct = FALSE)$conf.int  ->  0.4901625 0.9433178
    lo, hi = V.wilson_ci(8, 10)
    assert (lo, hi) == (pytest.approx(0.4901625, abs=1e-6), pytest.approx(0.9433178, abs=1e-6))
    # k = 0: the upper limit is z^2 / (n + z^2) = 3.841459 / 23.841459 = 0.1611252
    lo, hi = V.wilson_ci(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611252, abs=1e-6)
    assert all(math.isnan(v) for v in V.wilson_ci(0, 0))


def test_cohen_kappa_textbook_examples():
    # 2x2 table yes/yes 20, yes/no 5, no/yes 10, no/no 15: po = 0.7, pe = 0.5 -> kappa = 0.4
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    k = V.cohen_kappa(a, b)
    assert k["kappa"] == pytest.approx(0.4)
    assert k["agreement"] == pytest.approx(0.7) and k["n"] == 50
    assert k["kappa_low"] < 0.4 < k["kappa_upp"]
    # 45 / 15 / 25 / 15: po = 0.6, pe = 0.6*0.7 + 0.4*0.3 = 0.54 -> kappa = 0.06 / 0.46
    a = [1] * 60 + [0] * 40
    b = [1] * 45 + [0] * 15 + [1] * 25 + [0] * 15
    assert V.cohen_kappa(a, b)["kappa"] == pytest.approx(0.06 / 0.46)


def test_cohen_kappa_edge_cases():
    assert V.cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0])["kappa"] == pytest.approx(1.0)
    assert V.cohen_kappa([1, 0, 1, 0], [0, 1, 0, 1])["kappa"] == pytest.approx(-1.0)
    # both raters say 0 always: expected agreement 1, kappa undefined (not 0, not 1)
    assert math.isnan(V.cohen_kappa([0, 0, 0], [0, 0, 0])["kappa"])
    with pytest.raises(ValueError, match="differ in length"):
        V.cohen_kappa([1, 0], [1])


def test_auc_known_values():
    assert V.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert V.auc([0, 1], [1, 1]) == 0.5  # a tie counts one half
    assert V.auc([0, 0, 1], [0, 1, 2]) == 1.0
    assert math.isnan(V.auc([1, 1], [0, 1]))


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=40))
def test_auc_equals_pairwise_probability(pairs):
    t = np.array([p[0] for p in pairs])
    s = np.array([p[1] for p in pairs], dtype=float)
    a = V.auc(t, s)
    if t.all() or not t.any():
        assert math.isnan(a)
        return
    pos, neg = s[t], s[~t]
    brute = np.mean([(x > y) + 0.5 * (x == y) for x in pos for y in neg])
    assert a == pytest.approx(brute)
    assert a + V.auc(t, -s) == pytest.approx(1.0)


def test_binary_metrics_cis_and_seeded_bootstrap():
    y = [1] * 10 + [0] * 10
    p = [1] * 8 + [0] * 2 + [1] * 2 + [0] * 8
    m = V.binary_metrics(y, p, n_boot=500, seed=1)
    assert m["precision"] == pytest.approx(0.8) and m["recall"] == pytest.approx(0.8)
    # Wilson of 8/10, as in R's prop.test(8, 10, correct = FALSE)
    assert m["precision_low"] == pytest.approx(0.4901625, abs=1e-6)
    assert m["f1_low"] < 0.8 < m["f1_high"]
    assert V.binary_metrics(y, p, n_boot=500, seed=1) == m
    assert (m["support"], m["n_predicted"], m["n"]) == (10, 10, 20)


def test_stratified_folds_balanced_and_seeded():
    y = np.array([0] * 23 + [1] * 17)
    f = V.stratified_folds(y, k=10, seed=3)
    for cls in (0, 1):
        sizes = np.bincount(f[y == cls], minlength=10)
        assert sizes.max() - sizes.min() <= 1
    assert np.bincount(f, minlength=10).max() - np.bincount(f, minlength=10).min() <= 1
    assert (V.stratified_folds(y, k=10, seed=3) == f).all()
    assert not (V.stratified_folds(y, k=10, seed=4) == f).all()


def test_ridge_logit_unpenalised_equals_closed_form():
    # One binary feature: the MLE is logit of the group rates, 1/4 and 3/4 ->
    # intercept log(1/3) = -1.0986, slope log(9) = 2.1972 (statsmodels Logit gives the same).
    X = np.array([[0.0], [0.0], [1.0], [1.0], [1.0], [0.0], [1.0], [0.0]])
    y = np.array([0, 1, 1, 1, 0, 0, 1, 0])
    beta = V.ridge_logit(X, y, lam=0.0)
    assert beta == pytest.approx([math.log(1 / 3), math.log(9)], abs=1e-6)
    shrunk = V.ridge_logit(X, y, lam=5.0)
    assert 0 < shrunk[1] < beta[1]


def test_ridge_logit_finite_under_separation():
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    y = np.array([0, 0, 1, 1])
    beta = V.ridge_logit(X, y, lam=1.0)
    assert np.isfinite(beta).all() and beta[1] > 0


def test_cv_accuracy_perfect_and_uninformative_features():
    y = np.repeat([0, 1], 50)
    assert V.cv_logit_accuracy(y[:, None].astype(float), y, k=10).tolist() == [1.0] * 10
    # A constant feature carries no information: every fold predicts one class of a balanced split.
    acc = V.cv_logit_accuracy(np.zeros((100, 1)), y, k=10)
    assert acc.mean() == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------ sections


def test_validate_keigo_known_answer():
    k = pd.DataFrame({"level": [1, 3, 4, 1, 3, 2], "respectful": [True, False, False, True, False, True],
                      "humble": [False, False, False, True, False, False],
                      "polite": [False, True, False, False, True, False]})
    f = pd.DataFrame({"has_sonkeigo": [True, False, False, False, False, True],
                      "has_kenjougo": [False, False, False, True, True, False],
                      "has_teineigo": [True, True, False, True, True, True]})
    m, lv = V.validate_keigo(k, f, n_boot=0)
    row = m.query("split == 'all' and subset == 'all rows' and form == 'sonkeigo'").iloc[0]
    assert (row["precision"], row["recall"], row["support"]) == (1.0, pytest.approx(2 / 3), 3)
    row = m.query("split == 'all' and subset == 'all rows' and form == 'teineigo'").iloc[0]
    assert (row["precision"], row["recall"]) == (pytest.approx(2 / 5), 1.0)
    # no-other-flag subset for teineigo drops rows 0, 3, 5 (respectful/humble): P = 2/2
    row = m.query("split == 'all' and subset == 'no other flag' and form == 'teineigo'").iloc[0]
    assert (row["precision"], row["n"]) == (1.0, 3)
    # rows 0 and 5 are dev (position % 5 == 0)
    assert m.query("split == 'dev' and form == 'any keigo'").iloc[0]["n"] == 2
    l1 = lv.query("level == 1 and form == 'sonkeigo'").iloc[0]
    assert (l1["n"], l1["label_rate"], l1["detected_rate"]) == (2, 1.0, 0.5)
    with pytest.raises(ValueError, match="rows"):
        V.validate_keigo(k, f.iloc[:3], n_boot=0)


def _maia_stub() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for d in range(6):
        rows.append({"corpus": "maia-dqe", "dialogue_id": f"d{d}", "turn": 0, "role": "customer",
                     "text": "Hallo", "lang": "de", "sentences": ("Hallo",), "n_sentences": 1,
                     "templated": pd.NA, "n_templated": pd.NA, "n_empathy": pd.NA, "politeness": pd.NA})
        empathic = d < 2
        rows.append({"corpus": "maia-dqe", "dialogue_id": f"d{d}", "turn": 1, "role": "agent",
                     "text": f"Thank you for contacting us. Order {d} is late.", "lang": "en",
                     "sentences": ("Thank you for contacting us.", f"Order {d} is late."), "n_sentences": 2,
                     "templated": (1, 0), "n_templated": 1, "n_empathy": int(empathic),
                     "politeness": 1 if d else 0})
    df = pd.DataFrame(rows)
    for c in ("n_templated", "n_empathy", "politeness"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    counts = pd.DataFrame({"empathy": [1, 0, 1, 0, 0, 0], "gratitude": [1, 1, 1, 1, 1, 0]})
    return df, counts


def test_validate_maia_stub_known_answer():
    df, counts = _maia_stub()
    res = V.validate_maia(df, counts, min_dialogues=5, n_boot=0).set_index("check")
    # empathy gold: d0, d1; ours: d0, d2 -> P = R = 1/2
    assert res.loc["empathy", "precision"] == 0.5 and res.loc["empathy", "recall"] == 0.5
    # "Thank you for contacting us." recurs in 6 dialogues, "Order <num> is late." too (number blanked):
    # sentence level 6 TP + 6 FP
    s = res.loc["templated (sentence)"]
    assert (s["precision"], s["recall"], s["n"]) == (0.5, 1.0, 12)
    # politeness: gold 1 on d1..d5; ours (gratitude) on d0..d4 -> P = 4/5, R = 4/5
    p = res.loc["politeness"]
    assert p["precision"] == pytest.approx(0.8) and p["recall"] == pytest.approx(0.8)


def test_validate_stanford_synthetic():
    rng = np.random.default_rng(0)
    n = 200
    label = np.repeat([0, 1], n // 2)
    data = pd.DataFrame({"domain": np.tile(["wikipedia", "stack-exchange"], n // 2),
                         "polite_label": pd.array(label, dtype="Int64"), "text": "x"})
    counts = pd.DataFrame({"please": label * 2, "noise": rng.integers(0, 2, n)})
    res = V.validate_stanford(data, counts, k=5).set_index(["train", "test"])
    assert res["accuracy"].tolist() == [1.0] * 4
    assert res.loc[("wikipedia", "wikipedia"), "reference"].startswith("paper 83.8%")
    assert res.loc[("wikipedia", "wikipedia"), "n_train"] == 100


# ------------------------------------------------------------------------------------------ check set


def _toy_corpus(name: str, n_dialogues: int = 30) -> pd.DataFrame:
    rows = []
    for d in range(n_dialogues):
        for t in range(6):
            rows.append({"corpus": name, "dialogue_id": f"{name}{d:03d}", "turn": t,
                         "role": "customer" if t % 2 == 0 else "agent", "text": f"utt {t}", "lang": "en"})
    return pd.DataFrame(rows)


def test_build_checkset_reproducible_and_eligible():
    corpora = {"a": _toy_corpus("a"), "b": _toy_corpus("b")}
    one = V.build_checkset(10, corpora=corpora, enrich=False, seed=7)
    two = V.build_checkset(10, corpora=corpora, enrich=False, seed=7)
    pd.testing.assert_frame_equal(one, two)
    other = V.build_checkset(10, corpora=corpora, enrich=False, seed=8)
    assert not one.equals(other)
    assert list(one.columns) == V.ITEM_COLUMNS
    assert one.groupby("corpus").size().to_dict() == {"a": 10, "b": 10}
    assert (one["turn"] >= 2).all() and (one["turn"] % 2 == 1).all()  # agent turns only
    assert not one.duplicated(["corpus", "dialogue_id"]).any()  # one item per dialogue


def test_items_csv_holds_ids_only():
    items = pd.read_csv(ITEMS, dtype=str)
    assert list(items.columns) == V.ITEM_COLUMNS
    assert items.groupby("corpus").size().to_dict() == {c: 60 for c in V.CHECKSET_CORPORA}
    assert (items["lang"] == items["corpus"].map(V.CHECKSET_CORPORA)).all()
    assert (items["turn"].astype(int) >= 2).all()
    assert not items.duplicated(["corpus", "dialogue_id", "turn"]).any()
    # IDs, not text: short cells without spaces (the longest ID is a Taskmaster UUID, 40 characters)
    assert items.map(len).to_numpy().max() <= 45
    assert not items.map(lambda v: any(ch.isspace() for ch in v)).to_numpy().any()


def test_read_items_rejects_text_column(tmp_path):
    bad = tmp_path / "items.csv"
    pd.DataFrame({"corpus": ["asdc"], "dialogue_id": ["001"], "turn": [2], "lang": ["ja"],
                  "text": ["invented"]}).to_csv(bad, index=False)
    with pytest.raises(V.ChecksetError, match="never text"):
        V.checkset_items(items=bad)


@pytest.mark.corpus
def test_items_exist_in_corpora_as_agent_turns(corpora_dir):
    df = V.checkset_items(with_context=True)
    assert len(df) == 240
    assert (df["role"] == "agent").all() and df["text"].str.len().gt(0).all()
    assert {"prev_1", "prev_2", "prev_3"} <= set(df.columns)
    # turn >= 2, so at least two earlier turns exist
    assert df["prev_2"].str.len().gt(0).all()


def test_checkset_items_names_missing_ids():
    corpora = {"a": _toy_corpus("a", 2)}
    items = pd.DataFrame({"corpus": ["a"], "dialogue_id": ["a000"], "turn": [2], "lang": ["en"]})
    with pytest.raises(V.ChecksetError, match="not agent turns"):
        V.checkset_items(items=items, corpora=corpora)
    items["dialogue_id"] = "zzz"
    with pytest.raises(V.ChecksetError, match="not found"):
        V.checkset_items(items=items, corpora=corpora)
    items["dialogue_id"], items["turn"] = "a001", 3
    out = V.checkset_items(items=items, corpora=corpora)
    assert out.loc[0, "prev_1"] == "customer: utt 2" and out.loc[0, "prev_3"] == "customer: utt 0"


def _labels(items: pd.DataFrame, name: str, **cols) -> pd.DataFrame:
    base = {c: 0 for c in V.CHECKSET_LABELS}
    base.update(cols)
    return items[["corpus", "dialogue_id", "turn"]].assign(**base, annotator=name)


def test_read_labels_errors_name_file_and_line(tmp_path):
    items = pd.DataFrame({"corpus": "a", "dialogue_id": ["x", "y"], "turn": [2, 3], "lang": "en"})
    assert V.read_checkset_labels(tmp_path).empty
    _labels(items, "ann1", anticipation=[1, 2]).to_csv(tmp_path / "labels_ann1.csv", index=False)
    msg = r"labels_ann1.csv: line 3: column 'anticipation' must be 0 or 1"
    with pytest.raises(V.ChecksetError, match=msg):
        V.read_checkset_labels(tmp_path)
    _labels(items, "someone").to_csv(tmp_path / "labels_ann1.csv", index=False)
    with pytest.raises(V.ChecksetError, match="does not match"):
        V.read_checkset_labels(tmp_path)
    _labels(items, "ann1").drop(columns="ownership").to_csv(tmp_path / "labels_ann1.csv", index=False)
    with pytest.raises(V.ChecksetError, match="missing"):
        V.read_checkset_labels(tmp_path)


def test_checkset_agreement_not_yet_labelled():
    items = pd.DataFrame({"corpus": "a", "dialogue_id": ["x", "y"], "turn": [2, 3], "lang": "en"})
    res = V.checkset_agreement(pd.DataFrame(columns=V.LABEL_COLUMNS), items=items)
    assert res["status"].loc[0, "status"] == "not yet labelled"
    assert res["kappa"].empty and res["markers"].empty
    one = _labels(items, "solo")
    assert V.checkset_agreement(one, items=items)["status"].loc[0, "status"] == "not yet labelled"


def test_checkset_agreement_known_answer():
    n = 10
    items = pd.DataFrame({"corpus": "a", "dialogue_id": [f"d{i}" for i in range(n)], "turn": 2, "lang": "en"})
    # anticipation: A = 1111100000, B = 1110000001 -> 7 agree; pe = .5*.4 + .5*.6 = .5; kappa = .4
    a = _labels(items, "ann_a", anticipation=[1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    b = _labels(items, "ann_b", anticipation=[1, 1, 1, 0, 0, 0, 0, 0, 0, 1])
    # consensus positives d0..d2; ours d0, d1, d5 -> P = R = 2/3
    pred = items.assign(anticipation=[1, 1, 0, 0, 0, 1, 0, 0, 0, 0], ownership=0, deflection=0,
                        personalization=0)
    res = V.checkset_agreement(pd.concat([a, b]), items=items, predictions=pred)
    k = res["kappa"].set_index("label").loc["anticipation"]
    assert k["kappa"] == pytest.approx(0.4) and k["n_disagree"] == 3 and k["n"] == n
    m = res["markers"].set_index("label").loc["anticipation"]
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["support"] == 3 and m["n_disagree"] == 3
    assert res["status"].loc[0, "status"] == "labelled"
    assert math.isnan(res["kappa"].set_index("label").loc["ownership", "kappa"])  # all 0 by both
    with pytest.raises(V.ChecksetError, match="twice"):
        V.checkset_agreement(pd.concat([a, b, a]), items=items, predictions=pred)


def test_cohen_kappa_interval_within_bounds():
    k = V.cohen_kappa([1] + [0] * 59, [1] + [0] * 59)
    assert k["kappa"] == pytest.approx(1.0) and -1 <= k["kappa_low"] <= k["kappa_upp"] <= 1


# ------------------------------------------------------------------------------------------ report


def _stub_results() -> dict:
    keigo = pd.DataFrame([{"split": "test", "subset": "all rows", "form": "teineigo", "label": "polite",
                           "precision": 0.3, "recall": 0.9, "f1": 0.45, "support": 10, "n": 40}])
    stanford = pd.DataFrame([{"setting": "in-domain (10-fold CV)", "train": "wikipedia", "test": "wikipedia",
                              "accuracy": 0.7, "accuracy_sd": 0.02, "reference": "paper"}])
    return {"keigo": keigo, "maia": "MAIA-DQE: corpus not available (stub)", "stanford": stanford,
            "checkset_status": pd.DataFrame([{"status": "not yet labelled"}]),
            "checkset_kappa": pd.DataFrame(), "checkset_markers": pd.DataFrame()}


def test_report_sections_from_stub(tmp_path):
    out = V.write_report(tmp_path / "v.md", _stub_results())
    text = out.read_text(encoding="utf-8")
    headers = [line for line in text.splitlines() if line.startswith("## ")]
    assert headers == [f"## {title}" for _, title in V._sections()] + ["## Where each marker is weak"]
    assert V.REPORT_COMMAND in text
    assert "_MAIA-DQE: corpus not available (stub)_" in text
    assert "_Not computed._" in text  # keigo_levels missing from the stub
    assert "| test | all rows | teineigo | polite | 0.300 |" in text
    # the weak-spot list is computed from the numbers
    assert "- **teineigo / all rows** (KeiCO): precision 0.30 (support 10)." in text
    assert "accuracy 0.700 vs. the paper's 0.838" in text
    assert "The check set is not labelled yet" in text
    assert V.render_report(_stub_results()) == text  # deterministic


def test_weak_spots_separates_small_support_and_low_kappa():
    res = {"checkset_markers": pd.DataFrame([
        {"lang": "en", "label": "ownership", "precision": 0.0, "recall": 0.0, "support": 3},
        {"lang": "ja", "label": "ownership", "precision": 0.9, "recall": 0.5, "support": 28}]),
        "checkset_kappa": pd.DataFrame([{"lang": "en", "label": "ownership", "kappa": 0.28}])}
    lines = V._weak_spots(res)
    assert "- **ja / ownership** (check set): recall 0.50 (support 28)." in lines
    assert not any(line.startswith("- **en / ownership**") for line in lines)
    assert any("Too few gold positives" in line and "en / ownership (check set, 3)" in line for line in lines)
    assert any("en ownership 0.28" in line for line in lines)


def test_markdown_table_escapes_and_formats():
    t = V._markdown_table(pd.DataFrame({"a": ["x|y"], "b": [float("nan")], "c": [1 / 3]}))
    assert t.splitlines() == ["| a | b | c |", "|---|---|---|", "| x\\|y | – | 0.333 |"]


@settings(deadline=None, max_examples=25)
@given(st.integers(0, 2**31 - 1))
def test_build_checkset_same_seed_same_ids(seed):
    corpora = {"a": _toy_corpus("a", 12)}
    one = V.build_checkset(5, corpora=corpora, enrich=False, seed=seed)
    assert one.equals(V.build_checkset(5, corpora=corpora, enrich=False, seed=seed))
    assert len(one) == 5 and not one.duplicated("dialogue_id").any()
