"""Supervised construct tier (omotenashi_research.constructs): training, shipping, prediction, validation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from omotenashi_research import constructs as C

# Invented dialogues: the agent either promises to "zorble" something (label 1) or says a neutral line.
_AGENT_POS = ["I will zorble the order for you now.", "Let me zorble that booking right away.",
              "I shall zorble your table tonight."]
_AGENT_NEG = ["The museum opens at nine.", "There are three options in the north.", "It costs ten pounds."]


def _dialogues(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for d in range(n):
        y = int(rng.integers(0, 2))
        agent = (_AGENT_POS if y else _AGENT_NEG)[int(rng.integers(0, 3))]
        rows += [("demo", f"d{d}", 0, "customer", None, "Can you help me with a plan?", "en"),
                 ("demo", f"d{d}", 1, "agent", None, agent, "en")]
        labels.append(("demo", f"d{d}", 1, y))
    utt = pd.DataFrame(rows, columns=["corpus", "dialogue_id", "turn", "role", "speaker", "text", "lang"])
    lab = pd.DataFrame(labels, columns=["corpus", "dialogue_id", "turn", "ownership"])
    return utt, lab


@pytest.fixture(scope="module")
def fitted():
    utt, lab = _dialogues()
    return utt, lab, C.fit_constructs(utt, lab, label_names=["ownership"])


def test_model_learns_a_separable_invented_label(fitted):
    utt, lab, models = fitted
    m = models[("en", "ownership")]
    assert m.mode_ == "model"  # the rule (m_ownership) does not know "zorble"
    assert m.cv_["f1_model"] == pytest.approx(1.0)
    flags = C.construct_flags(utt, models=models)
    agent = flags[flags["role"] == "agent"]
    assert agent["c_ownership"].astype(int).tolist() == lab["ownership"].tolist()
    assert flags.loc[flags["role"] == "customer", "c_ownership"].isna().all()
    p = agent["p_ownership"].astype(float)
    assert (p[lab["ownership"].to_numpy() == 1] > p[lab["ownership"].to_numpy() == 0].max()).all()


def test_saved_model_holds_no_text_and_round_trips(fitted, tmp_path):
    utt, _, models = fitted
    path = C.save_models(models, tmp_path / "m.json", meta={"how": "test"})
    raw = path.read_text(encoding="utf-8")
    for word in ("zorble", "museum", "booking", "plan"):
        assert word not in raw  # hashed features only: no strings of the training texts
    assert json.loads(raw)["meta"] == {"how": "test"}
    again = C.load_models(path)
    pd.testing.assert_frame_equal(C.construct_flags(utt, models=models), C.construct_flags(utt, models=again))


def test_unsupported_language_and_missing_model_give_na(fitted):
    _, _, models = fitted
    utt = pd.DataFrame({"corpus": "x", "dialogue_id": "d", "turn": [0, 1], "role": ["customer", "agent"],
                        "speaker": None, "text": ["Hallo", "Ich werde das prüfen."], "lang": "de"})
    with pytest.warns(UserWarning, match="languages without lexicons"):
        flags = C.construct_flags(utt, models=models)
    assert flags["c_ownership"].isna().all()


def test_explain_names_the_ngram_of_this_text(fitted):
    _, _, models = fitted
    ex = C.explain_construct("I will zorble it.", "en", "ownership", models=models)
    assert ex.iloc[0]["contribution"] > 0
    assert "zorble" in " ".join(ex["feature"].astype(str))


def test_too_few_positives_is_a_clear_error():
    utt, lab = _dialogues(10)
    lab["ownership"] = 0
    lab.loc[0, "ownership"] = 1
    with pytest.raises(C.ConstructModelError, match="at least 2 positives"):
        C.fit_constructs(utt, lab, label_names=["ownership"])


def test_labels_not_in_utterances_are_named():
    utt, lab = _dialogues(6)
    lab.loc[0, "dialogue_id"] = "nowhere"
    with pytest.raises(C.ConstructModelError, match="nowhere"):
        C.fit_constructs(utt, lab, label_names=["ownership"])


def test_validate_constructs_known_answer():
    # y = [1,1,1,0,0,0,0,1], flags = [1,1,0,1,0,0,0,0]: tp 2, fp 1, fn 2 -> P 2/3, R 1/2, F1 4/7
    keys = pd.DataFrame({"corpus": "c", "dialogue_id": [f"d{i}" for i in range(8)], "turn": 1})
    labels = keys.assign(lang="en", empathy=[1, 1, 1, 0, 0, 0, 0, 1])
    pred = keys.assign(c_empathy=pd.array([1, 1, 0, 1, 0, 0, 0, 0], dtype="Int64"))
    res = C.validate_constructs(pred, labels, by=("lang",)).iloc[0]
    assert (res["precision"], res["recall"], res["f1"]) == pytest.approx((2 / 3, 1 / 2, 4 / 7))
    assert res["precision_ci_low"] < 2 / 3 < res["precision_ci_high"]
    assert res["f1_ci_low"] <= 4 / 7 <= res["f1_ci_high"]
    assert (res["n"], res["positives"], res["flagged"]) == (8, 4, 3)


def test_shipped_models_load_and_cover_every_label():
    models = C.load_models()
    for lang, labels in (("en", ["gratitude", "apology", "empathy", "anticipation", "ownership", "deflection",
                                 "personalization", "deference"]),
                         ("ja", ["gratitude", "apology", "empathy", "anticipation", "ownership", "deflection",
                                 "personalization", "sonkeigo", "kenjougo", "teineigo"])):
        assert {lab for lg, lab in models if lg == lang} == set(labels)


def test_select_on_makes_the_rule_or_model_choice_on_the_held_out_rows():
    from omotenashi_research.features import extract_features

    utt, lab = _dialogues(60, seed=1)
    dev = np.arange(len(lab)) >= 40
    models = C.fit_constructs(utt, lab, label_names=["ownership"], select_on=dev)
    cv = models[("en", "ownership")].cv_
    assert (cv["n_dev"], cv["dev_positives"]) == (20, int(lab["ownership"][dev].sum()))
    # the rule's F1 on the dev rows, by hand from the feature table
    feats = extract_features(utt, progress=False)
    rule = (feats.loc[utt["role"] == "agent", "m_ownership"].to_numpy() > 0)[dev]
    y = lab["ownership"].to_numpy()[dev].astype(bool)
    tp = int((rule & y).sum())
    assert cv["f1_rule_dev"] == pytest.approx(round(2 * tp / (rule.sum() + y.sum()), 4))
    assert cv["f1_model_dev"] == pytest.approx(1.0)  # "zorble" separates the classes
    expected = "rule" if cv["f1_rule_dev"] >= cv["f1_model_dev"] else "model"
    assert models[("en", "ownership")].mode_ == expected
    with pytest.raises(C.ConstructModelError, match="select_on has 3 flags, labels 60 rows"):
        C.fit_constructs(utt, lab, label_names=["ownership"], select_on=[True, False, True])


def test_previous_agent_turn_is_its_own_hashed_block():
    from omotenashi_research.constructs_design import (
        N_FEATURES,
        _context_columns,
        _vectorizer,
        design_matrix,
    )

    utt = pd.DataFrame({"corpus": "x", "dialogue_id": "d", "turn": [0, 1, 2, 3],
                        "role": ["customer", "agent", "customer", "agent"], "speaker": None,
                        "text": ["Hello there.", "We can offer a quiet room.", "Sounds good.", "Booked."],
                        "lang": "en"})
    ctx = _context_columns(utt)
    offer = "We can offer a quiet room."
    assert ctx["prev_agent"].tolist() == ["", "", offer, offer]  # the agent's text of the two turns before
    agent = pd.concat([utt, ctx], axis=1).iloc[[1, 3]]
    x = design_matrix(agent, pd.DataFrame(index=agent.index), "en", [])
    assert x.shape == (2, 2 + 3 * N_FEATURES)  # pickup, length, agent text, customer turns, previous agent
    block = x[:, 2 + 2 * N_FEATURES:]
    # the first agent turn has no previous agent text; the second has the 6 words + 5 bigrams of the offer
    assert (block[0].nnz, block[1].nnz) == (0, 11)
    quiet = int(_vectorizer("en").transform(["quiet"]).indices[0])
    assert block[1, quiet] > 0
    # the customer block does not see the agent's words
    assert x[1, 2 + N_FEATURES + quiet] == 0
