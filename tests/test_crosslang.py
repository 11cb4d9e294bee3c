"""Cross-language turn table, form profile, verdicts and hypothesis tests: hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.crosslang import (
    KEIGO_LEVELS,
    LANGUAGE_HYPOTHESES,
    POLITENESS_FORM_HYPOTHESIS,
    CrossLanguageError,
    Hypothesis,
    agent_turns,
    describe_groups,
    evaluate_hypotheses,
    findings_rows,
    form_profile,
    verdict,
)

_KEYS = ["corpus", "dialogue_id", "turn", "role", "lang"]


def _flags(rows):
    """rows: (corpus, dialogue, turn, role, lang, sonkeigo, kenjougo, teineigo, deference, apology)."""
    df = pd.DataFrame(rows, columns=[*_KEYS, "c_sonkeigo", "c_kenjougo", "c_teineigo", "c_deference",
                                     "c_apology"])
    for c in df.columns[5:]:
        df[c] = pd.array(df[c], dtype="Int64")
    return df[_KEYS], df


def test_agent_turns_levels_and_form():
    utt, fl = _flags([
        ("j", "a", 0, "customer", "ja", None, None, None, None, None),
        ("j", "a", 1, "agent", "ja", 1, 0, 1, None, 0),     # honorific (sonkeigo)
        ("j", "a", 2, "agent", "ja", 0, 1, 0, None, 1),     # honorific (kenjougo, no teineigo)
        ("j", "a", 3, "agent", "ja", 0, 0, 1, None, 0),     # polite
        ("j", "a", 4, "agent", "ja", 0, 0, 0, None, 0),     # plain
        ("e", "x", 0, "agent", "en", None, None, None, 1, 1),
        ("e", "x", 1, "agent", "en", None, None, None, 0, 0),
        ("e", "x", 2, "customer", "en", None, None, None, None, None),
    ])
    out = agent_turns(utt, fl)
    assert len(out) == 6 and "role" not in out.columns
    assert out["keigo_level"].astype(object).where(out["keigo_level"].notna(), None).tolist() == [
        "honorific", "honorific", "polite", "plain", None, None]
    assert out["politeness_form"].tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    assert list(out["keigo_level"].cat.categories) == list(KEIGO_LEVELS) and out["keigo_level"].cat.ordered
    assert out["c_apology"].tolist() == [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    assert math.isnan(out.loc[4, "c_sonkeigo"])  # not measured in English


def test_agent_turns_errors():
    utt, fl = _flags([("j", "a", 1, "agent", "ja", 1, 0, 1, None, 0)])
    with pytest.raises(CrossLanguageError, match="flags have 0 rows, utterances 1"):
        agent_turns(utt, fl.iloc[:0])
    shuffled = fl.assign(turn=[9])
    with pytest.raises(CrossLanguageError, match="not in the order"):
        agent_turns(utt, shuffled)
    with pytest.raises(CrossLanguageError, match=r"flags lack \['c_deference'\], needed for the en"):
        utt2, fl2 = _flags([("e", "x", 0, "agent", "en", None, None, None, 1, 0)])
        agent_turns(utt2, fl2.drop(columns="c_deference"))
    with pytest.raises(CrossLanguageError, match=r"utterances lack column\(s\) \['operator'\]"):
        agent_turns(utt, fl, extra=["operator"])


def test_form_profile_known():
    utt, fl = _flags([
        ("j", "a", 1, "agent", "ja", 1, 0, 1, None, 0),
        ("j", "a", 2, "agent", "ja", 0, 0, 1, None, 0),
        ("j", "b", 1, "agent", "ja", 0, 0, 1, None, 0),
        ("j", "b", 2, "agent", "ja", 0, 0, 0, None, 0),
        ("e", "x", 0, "agent", "en", None, None, None, 1, 0),
        ("e", "y", 0, "agent", "en", None, None, None, 0, 0),
        ("e", "y", 1, "agent", "en", None, None, None, 0, 0),
    ])
    prof = form_profile(agent_turns(utt, fl)).set_index("corpus")
    assert prof.loc["j", "share_plain"] == 0.25 and prof.loc["j", "share_polite"] == 0.5
    assert prof.loc["j", "share_honorific"] == 0.25 and prof.loc["j", "share_politeness_form"] == 0.25
    assert prof.loc["j", "n_dialogues"] == 2 and prof.loc["j", "n_turns"] == 4
    assert math.isnan(prof.loc["e", "share_plain"])
    assert prof.loc["e", "share_politeness_form"] == pytest.approx(1 / 3)
    with pytest.raises(CrossLanguageError, match="use agent_turns"):
        form_profile(pd.DataFrame({"corpus": ["j"]}))


@pytest.mark.parametrize(
    ("args", "direction", "expected"),
    [
        ((1.8, 1.4, 2.3, 0.001), "greater", "supported"),
        ((0.5, 0.4, 0.7, 0.001), "less", "supported"),
        ((0.6, 0.5, 0.7, 0.001), "greater", "not supported"),  # significant the other way
        ((1.02, 0.95, 1.1, 0.6), "greater", "not supported"),  # inside the equivalence bounds
        ((1.3, 0.7, 2.4, 0.4), "greater", "inconclusive"),
        ((1.5, 1.1, 2.0, 0.2), "greater", "inconclusive"),  # CI excludes 1 but the adjusted p does not
        ((1.5, 1.1, 2.0, None), "greater", "supported"),  # no p-value: the interval decides
        ((float("nan"), 0.1, 2.0, 0.01), "greater", "inconclusive"),
    ],
)
def test_verdict_known(args, direction, expected):
    assert verdict(*args, direction=direction) == expected


def test_verdict_bad_direction():
    with pytest.raises(CrossLanguageError, match="direction"):
        verdict(1, 1, 1, 0.5, direction="up")


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 20), st.floats(0.01, 5), st.floats(0.01, 5), st.floats(0, 1))
def test_verdict_mirror(est, below, above, p):
    """Swapping group order (ratio -> 1/ratio, interval flipped) and direction gives the same verdict."""
    lo, hi = est / (1 + below), est * (1 + above)
    a = verdict(est, lo, hi, p, direction="greater", equivalence=(0.8, 1.25))
    b = verdict(1 / est, 1 / hi, 1 / lo, p, direction="less", equivalence=(0.8, 1.25))
    assert a == b
    assert a in {"supported", "not supported", "inconclusive"}


def _two_languages(seed=0, n=60, p_ja=0.3, p_en=0.1):
    """Dialogues of 5 agent turns; apology in each turn with probability p_ja (ja) / p_en (en)."""
    rng = np.random.default_rng(seed)
    rows = []
    for lang, p in (("ja", p_ja), ("en", p_en)):
        for d in range(n):
            for t in range(5):
                rows.append({"corpus": lang, "dialogue_id": f"{lang}{d}", "turn": t, "lang": lang,
                             "c_apology": float(rng.random() < p), "c_gratitude": 1.0 if t == 0 else 0.0,
                             "politeness_form": float(lang == "ja")})
    return pd.DataFrame(rows)


def test_evaluate_hypotheses_known_shares_and_verdicts():
    turns = _two_languages()
    fam = [Hypothesis("A", "ja apologise more", "c_apology", quality=(("c_apology", "ja"),)),
           Hypothesis("G", "ja thank less", "c_gratitude", direction="less")]
    res = evaluate_hypotheses(turns, fam, n_resamples=500).set_index("id")
    share_ja = turns.loc[turns.lang == "ja", "c_apology"].mean()
    share_en = turns.loc[turns.lang == "en", "c_apology"].mean()
    assert res.loc["A", "share1"] == pytest.approx(share_ja)
    assert res.loc["A", "estimate"] == pytest.approx(share_ja / share_en)
    assert res.loc["A", "verdict"] == "supported"
    # gratitude: exactly 1 of 5 turns in both languages -> ratio 1 with a degenerate interval
    assert res.loc["G", "estimate"] == pytest.approx(1.0) and res.loc["G", "verdict"] == "not supported"
    assert res.loc["A", "adjustment"] == "Holm over 2"
    assert res.loc["A", "p_adj"] >= res.loc["A", "p"]
    assert res.loc["A", "n_dialogues1"] == 60 and res.loc["A", "n_turns2"] == 300


def test_evaluate_hypotheses_quality_gate_and_descriptive():
    turns = _two_languages()
    both = (("c_apology", "ja"), ("c_apology", "en"))
    fam = [Hypothesis("A", "ja apologise more", "c_apology", quality=both), POLITENESS_FORM_HYPOTHESIS]
    quality = pd.DataFrame({"column": ["c_apology", "c_apology"], "lang": ["ja", "en"],
                            "precision": [0.9, 0.45], "recall": [0.9, 0.9]})
    res = evaluate_hypotheses(turns, fam, n_resamples=300, quality=quality).set_index("id")
    assert res.loc["A", "verdict"] == "inconclusive"
    assert "c_apology (en) P 0.45 R 0.90" in res.loc["A", "note"]
    assert "supported on the statistics alone" in res.loc["A", "note"]
    form = res.loc["H8-politeness-form"]
    assert form["verdict"] == "descriptive" and math.isnan(form["p_adj"]) and math.isnan(form["p"])
    assert res.loc["A", "adjustment"] == "Holm over 1"  # the descriptive row is not in the family


def test_evaluate_hypotheses_errors():
    turns = _two_languages(n=5)
    with pytest.raises(CrossLanguageError, match="repeated hypothesis ids"):
        evaluate_hypotheses(turns, [Hypothesis("A", "x", "c_apology"), Hypothesis("A", "y", "c_apology")])
    with pytest.raises(CrossLanguageError, match=r"lack column\(s\) \['c_empathy'\]"):
        evaluate_hypotheses(turns, [Hypothesis("E", "x", "c_empathy")])
    with pytest.raises(CrossLanguageError, match="direction"):
        Hypothesis("X", "x", "c_apology", direction="more")


def test_language_family_ids_unique_and_measures_named():
    ids = [h.id for h in LANGUAGE_HYPOTHESES]
    assert len(ids) == len(set(ids))
    assert all(h.quality and h.column.startswith("c_") for h in LANGUAGE_HYPOTHESES)


def test_describe_groups_known():
    t = pd.DataFrame({"dialogue_id": ["a", "a", "b", "c", "c"], "op": ["x", "x", "x", "y", "y"],
                      "c_empathy": [1.0, 0.0, 1.0, 0.0, np.nan]})
    out = describe_groups(t, ["c_empathy"], "op", ("x", "y")).iloc[0]
    assert out["share1"] == pytest.approx(2 / 3) and out["share2"] == 0.0
    assert out["difference"] == pytest.approx(2 / 3)
    assert out["n_turns2"] == 1 and out["n_dialogues1"] == 2
    with pytest.raises(CrossLanguageError, match=r"group\(s\) \['z'\]"):
        describe_groups(t, ["c_empathy"], "op", ("x", "z"))


def test_findings_rows_columns_and_quality():
    from omotenashi_research.findings import FINDING_COLUMNS, validate_findings

    turns = _two_languages()
    both = (("c_apology", "ja"), ("c_apology", "en"))
    fam = [Hypothesis("A", "ja apologise more", "c_apology", quality=both)]
    res = evaluate_hypotheses(turns, fam, n_resamples=300)
    rows = findings_rows(res, fam, data="invented", caveats={"A": "toy data"},
                         quality=lambda col, lang: f"{col}/{lang} ok")
    assert list(rows.columns) == [c for c in FINDING_COLUMNS if c != "notebook"]
    r = rows.iloc[0]
    assert r["measure_quality"] == "c_apology/ja ok; c_apology/en ok"
    assert r["caveats"] == "toy data" and r["n"] == 120 and r["verdict"] == "supported"
    validate_findings(rows, "02_demo")  # accepted by the findings checker
    with pytest.raises(CrossLanguageError, match="not among the hypotheses"):
        findings_rows(res, [], data="x", quality=lambda c, lg: "")


def test_findings_rows_no_nan_in_caveats():
    turns = _two_languages()
    fam = [Hypothesis("A", "ja apologise more", "c_apology")]
    res = evaluate_hypotheses(turns, fam, n_resamples=200)
    res["note"] = np.nan  # as after a round trip through a table
    rows = findings_rows(res, fam, data="invented", caveats="toy", quality=lambda c, lg: "")
    assert rows.loc[0, "caveats"] == "toy"


def test_descriptive_rows_known():
    from omotenashi_research.crosslang import descriptive_rows
    from omotenashi_research.findings import validate_findings

    t = pd.DataFrame({"dialogue_id": ["a", "a", "b", "c"], "op": ["x", "x", "x", "y"],
                      "c_empathy": [1.0, 0.0, 1.0, 0.0], "politeness_form": [1.0, 1.0, 0.0, 1.0]})
    d = describe_groups(t, ["c_empathy", "politeness_form"], "op", ("x", "y"))
    rows = descriptive_rows(d, data="toy", lang="ja", subject="Operator x", caveats="two people",
                            quality=lambda c, lg: f"{c}:{lg}")
    assert rows["id"].tolist() == ["A-empathy", "A-politeness-form"]
    assert rows["verdict"].tolist() == ["descriptive"] * 2
    assert rows.loc[1, "measure_quality"] == "c_sonkeigo:ja; c_kenjougo:ja"
    assert rows.loc[0, "estimate"] == pytest.approx(2 / 3)
    assert rows.loc[0, "caveats"] == "shares 0.667 vs 0.000; two people"
    assert rows["p_adj"].isna().all() and rows["n"].tolist() == [3, 3]
    validate_findings(rows, "02_demo")
    with pytest.raises(CrossLanguageError, match="use describe_groups"):
        descriptive_rows(d.drop(columns="share1"), data="x", lang="ja", subject="s")
