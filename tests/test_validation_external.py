"""Tests of omotenashi_research.validation_external: known answers on invented inputs, corpus smoke tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omotenashi_research import validation_external as VE


def _flags(ja: list[bool], en: list[bool], source: str = "bsd", clusters=None) -> pd.DataFrame:
    n = len(ja)
    return pd.DataFrame({
        "source": source, "pair_id": [f"{source}{i}" for i in range(n)],
        "cluster": clusters if clusters is not None else [f"c{i // 2}" for i in range(n)],
        "direction": "ja->en", "ja_apology": ja, "en_apology": en,
    })


def test_parallel_agreement_textbook_kappa():
    # 20 both, 5 ja-only, 10 en-only, 15 neither: kappa = (0.7 - 0.5) / 0.5 = 0.4 (hand-computed:
    # p_o = 35/50 = 0.7, p_ja = 0.5, p_en = 0.6, p_e = 0.5*0.6 + 0.5*0.4 = 0.5).
    ja = [True] * 25 + [False] * 25
    en = [True] * 20 + [False] * 5 + [True] * 10 + [False] * 15
    res = VE.parallel_agreement(_flags(ja, en), n_boot=200, seed=1)
    row = res.iloc[0]
    assert (row["source"], row["direction"], row["construct"]) == ("bsd", "all", "apology")
    assert (row["n"], row["both"], row["ja_only"], row["en_only"]) == (50, 20, 5, 10)
    assert (row["ja_pos"], row["en_pos"]) == (25, 30)
    assert row["kappa"] == pytest.approx(0.4)
    assert row["agreement"] == pytest.approx(0.7)
    assert row["kappa_low"] < 0.4 < row["kappa_high"]
    assert row["n_clusters"] == 25


def test_parallel_agreement_groups_and_pooled():
    a = _flags([True, False, True, False], [True, False, True, False], "bsd")
    b = _flags([True, True, False, False], [False, False, True, True], "cocoa-mt")
    b["direction"] = "en->ja"
    a.loc[2:, "direction"] = "en->ja"
    res = VE.parallel_agreement(pd.concat([a, b], ignore_index=True), n_boot=0)
    got = {(r.source, r.direction): r.kappa for r in res.itertuples()}
    assert got[("bsd", "all")] == pytest.approx(1.0)
    assert got[("cocoa-mt", "all")] == pytest.approx(-1.0)
    assert set(got) == {("bsd", "all"), ("bsd", "en->ja"), ("bsd", "ja->en"), ("cocoa-mt", "all"),
                        ("pooled", "all")}
    assert np.isnan(res["kappa_low"]).all()  # n_boot=0: no interval


def test_cluster_kappa_ci_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    ja = rng.random(400) < 0.3
    en = np.where(rng.random(400) < 0.8, ja, ~ja)
    clusters = np.repeat(np.arange(40), 10)
    one = VE._cluster_kappa_ci(ja, en, clusters, 300, 5)
    assert one == VE._cluster_kappa_ci(ja, en, clusters, 300, 5)
    from omotenashi_research.validation import cohen_kappa

    k = cohen_kappa(ja.astype(int), en.astype(int))["kappa"]
    assert one[0] < k < one[1]


def test_kappa_from_tables_matches_cohen_kappa():
    from omotenashi_research.validation import cohen_kappa

    table = np.array([7, 3, 2, 13])  # both, ja_only, en_only, neither
    ja = [1] * 7 + [1] * 3 + [0] * 2 + [0] * 13
    en = [1] * 7 + [0] * 3 + [1] * 2 + [0] * 13
    assert VE._kappa_from_tables(table) == pytest.approx(cohen_kappa(ja, en)["kappa"])


def test_parallel_disagreements_ids_only_and_capped():
    ja = [True] * 5 + [False] * 3 + [True, False]
    en = [False] * 5 + [True] * 3 + [True, False]
    out = VE.parallel_disagreements("apology", 2, flags=_flags(ja, en))
    assert list(out.columns) == ["source", "pair_id", "construct", "disagreement"]
    assert out["disagreement"].value_counts().to_dict() == {"ja_only": 2, "en_only": 2}
    assert set(out.loc[out.disagreement == "ja_only", "pair_id"]) <= {f"bsd{i}" for i in range(5)}
    assert set(out.loc[out.disagreement == "en_only", "pair_id"]) <= {"bsd5", "bsd6", "bsd7"}
    with pytest.raises(ValueError, match="unknown construct"):
        VE.parallel_disagreements("hospitality", flags=_flags(ja, en))


def test_parallel_flags_from_counts():
    pairs = pd.DataFrame({"source": "bsd", "pair_id": ["a", "b"], "cluster": "s", "direction": "ja->en",
                          "ja_text": ["x", "y"], "en_text": ["x", "y"]})
    names = {m for ja_m, en_m in VE.CONSTRUCTS.values() for m in (*ja_m, *en_m)}
    ja = pd.DataFrame({m: [0, 0] for m in names} | {"kenjougo": [0, 2], "gratitude": [1, 0]})
    en = pd.DataFrame({m: [0, 0] for m in names} | {"deference": [1, 0], "gratitude": [1, 0]})
    f = VE.parallel_flags(pairs, ja_counts=ja, en_counts=en)
    assert f["ja_politeness_form"].tolist() == [False, True]
    assert f["en_politeness_form"].tolist() == [True, False]
    assert f["ja_gratitude"].tolist() == f["en_gratitude"].tolist() == [True, False]
    with pytest.raises(ValueError, match="en_counts has 1 rows"):
        VE.parallel_flags(pairs, ja_counts=ja, en_counts=en.iloc[:1])


def test_parallel_flags_counts_real_markers():
    pairs = pd.DataFrame({"source": "bsd", "pair_id": ["a", "b"], "cluster": "s", "direction": "ja->en",
                          "ja_text": ["ありがとうございます。", "はい。"], "en_text": ["Thank you.", "Yes."]})
    f = VE.parallel_flags(pairs)
    assert f["ja_gratitude"].tolist() == [True, False]
    assert f["en_gratitude"].tolist() == [True, False]


def _kokoro_rates(n_counselors: int = 30, per: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_counselors * per
    emp = rng.random(n)
    return pd.DataFrame({"dialogue_id": [str(i) for i in range(n)],
                         "counselor_id": np.repeat(np.arange(n_counselors), per),
                         "rating": np.clip(np.round(emp * 5 + rng.normal(0, 0.5, n)), 0, 5),
                         "n_messages": 40, "empathy_rate": emp, "apology_rate": rng.random(n)})


def test_kokorochat_criterion_known_rho_and_ci():
    rates = _kokoro_rates()
    res = VE.kokorochat_criterion(rates, n_boot=300, seed=2).set_index("marker")
    from scipy.stats import spearmanr

    assert res.loc["empathy", "rho"] == pytest.approx(spearmanr(rates["empathy_rate"], rates["rating"])[0])
    assert res.loc["empathy", "rho"] > 0.8
    assert res.loc["empathy", "ci_low"] < res.loc["empathy", "rho"] < res.loc["empathy", "ci_high"]
    assert res.loc["apology", "ci_low"] < 0 < res.loc["apology", "ci_high"]  # unrelated noise
    assert res.loc["empathy", "n_counselors"] == 30 and res.loc["empathy", "n_dialogues"] == 120


def test_kokorochat_dialogue_rates_uses_agent_rows_only():
    u = pd.DataFrame({"dialogue_id": ["1", "1", "1", "1", "2"],
                      "role": ["agent", "customer", "agent", "agent", "agent"],
                      "counselor_id": [7, 7, 7, 7, 8], "showed_acceptance_and_empathy": [4, 4, 4, 4, 2]})
    c = pd.DataFrame({"empathy": [2, 0, 1, 0], "apology": [0, 0, 0, 1], "gratitude": 0})
    r = VE.kokorochat_dialogue_rates(u, c)
    assert r["empathy_rate"].tolist() == pytest.approx([2 / 3, 0.0])
    assert r["apology_rate"].tolist() == pytest.approx([0.0, 1.0])
    assert r["n_messages"].tolist() == [3, 1]
    assert r["rating"].tolist() == [4, 2]
    with pytest.raises(ValueError, match="agent \\(counsellor\\) rows"):
        VE.kokorochat_dialogue_rates(u, c.iloc[:3])


def test_politeness_correlations_and_model():
    rng = np.random.default_rng(3)
    n = 300
    please = rng.integers(0, 3, n)
    y = np.clip(2 + please * 0.6 + rng.normal(0, 0.3, n), 0, 4)
    data = pd.DataFrame({"lang": "en", "politeness": y})
    counts = {"en": pd.DataFrame({"pol_convokit_please": please, "gratitude": rng.integers(0, 2, n)})}
    cor = VE.politeness_correlations(data, counts).set_index("feature")
    assert cor.loc["pol_convokit_please", "rho"] > 0.8
    assert abs(cor.loc["gratitude", "rho"]) < 0.2
    please_row = cor.loc["pol_convokit_please"]
    assert please_row["mean_rating_with"] > please_row["mean_rating_without"]
    model = VE.politeness_model_cv(data, counts, k=5).iloc[0]
    assert model["r2_cv"] > 0.6 and model["spearman_low"] < model["spearman_cv"] < model["spearman_high"]
    assert (model["n"], model["n_features"]) == (300, 2)


def test_politeness_correlations_keigo_total_in_japanese():
    data = pd.DataFrame({"lang": "ja", "politeness": [1.0, 2.0, 3.0, 4.0]})
    counts = {"ja": pd.DataFrame({"sonkeigo": [0, 0, 1, 1], "kenjougo": [0, 0, 0, 1],
                                  "teineigo": [0, 1, 1, 1]})}
    cor = VE.politeness_correlations(data, counts).set_index("feature")
    # keigo_total = [0, 1, 2, 3]: perfectly monotone with the rating
    assert cor.loc["keigo_total", "rho"] == pytest.approx(1.0)


def test_cocoa_sentence_level_known_counts():
    refs = pd.DataFrame({"formality": ["formal", "informal"] * 4, "domain": ["a"] * 4 + ["b"] * 4})
    keigo = pd.DataFrame({"teineigo": [1, 0, 1, 0, 1, 1, 0, 0], "sonkeigo": [0, 0, 0, 0, 0, 0, 1, 0],
                          "kenjougo": 0, "bika_prefix": 0})
    res = VE.cocoa_sentence_level(refs, keigo, n_boot=0).set_index(["detector", "domain"])
    t = res.loc[("teineigo", "all")]
    assert (t["precision"], t["recall"]) == (pytest.approx(3 / 4), pytest.approx(3 / 4))
    assert res.loc[("any_keigo", "all"), "recall"] == pytest.approx(1.0)
    assert res.loc[("teineigo", "a"), "precision"] == pytest.approx(1.0)


def test_span_overlap_and_cocoa_span_level():
    assert VE.span_overlap([(0, 3), (3, 5)], [(3, 4)]) == [False, True]  # half-open spans
    assert VE.span_overlap([(0, 3)], []) == [False]
    refs = pd.DataFrame({"formality": ["formal", "formal", "informal"],
                         "spans": [((0, 2), (5, 7)), ((1, 3),), ((0, 2),)]})
    pred = [{"teineigo": [(6, 8)], "sonkeigo": [(0, 1)]}, {"teineigo": []}, {"teineigo": [(1, 2)]}]
    res = VE.cocoa_span_level(refs, pred).set_index(["formality", "detector"])
    assert res.loc[("formal", "teineigo"), ["n_spans", "n_covered"]].tolist() == [3, 1]
    assert res.loc[("formal", "any_keigo"), "n_covered"] == 2
    assert res.loc[("informal", "teineigo"), "share"] == pytest.approx(1.0)


def test_keigo_char_spans_on_invented_text():
    text = "資料を拝見しました。"
    spans = VE._keigo_char_spans([text])[0]
    assert [text[s:e] for s, e in spans["kenjougo"]] == ["拝見"]
    assert [text[s:e] for s, e in spans["teineigo"]] == ["まし"]


def test_keigo_spans_counts_match_keigo_features():
    from omotenashi_research.markers.keigo import keigo_features

    texts = ["先生がおっしゃいました。", "社長が来られました。", "資料をお送りいたします。", "見た。"]
    got = VE._keigo_counts_from_spans(VE._keigo_char_spans(texts))
    want = keigo_features(texts)[list(got.columns)]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_pastel_pairs_and_failures():
    p = pd.DataFrame({"pair_id": ["politeness:1"] * 2 + ["politeness:2"] * 2 + ["formality:1"] * 2,
                      "style": ["politeness"] * 4 + ["formality"] * 2,
                      "positive": [True, False] * 3})
    k = pd.DataFrame({"sonkeigo": [1, 0, 0, 0, 0, 1], "kenjougo": 0, "teineigo": [1, 0, 0, 0, 0, 0],
                      "bika_prefix": 0})
    res = VE.pastel_pairs(p, k).set_index("style")
    assert res.loc["politeness", ["n_pairs", "higher", "tie", "lower"]].tolist() == [2, 1, 1, 0]
    assert res.loc["formality", "lower"] == 1
    assert res.loc["all", "share_higher"] == pytest.approx(1 / 3)
    fail = VE.pastel_failures(p, k)
    assert fail["pair_id"].tolist() == ["formality:1", "politeness:2"]
    assert "text" not in fail.columns
    bad = p.assign(positive=True)
    with pytest.raises(ValueError, match="one positive and one negative"):
        VE.pastel_pairs(bad, k)


# ------------------------------------------------------------------------------------------------
# corpora (skipped without OMOTENASHI_DATA)


@pytest.mark.corpus
def test_parallel_agreement_on_corpora(corpora_dir):
    pairs = VE.parallel_pairs()
    assert pairs.groupby("source").size().to_dict() == {"bsd": 4171, "cocoa-mt": 1594}
    flags = VE.parallel_flags(pairs)
    assert not {"ja_text", "en_text"} & set(flags.columns)  # no text in the output
    res = VE.parallel_agreement(flags, n_boot=100)
    grat = res.query("source == 'bsd' and direction == 'all' and construct == 'gratitude'").iloc[0]
    assert grat["kappa"] > 0.6  # thanks translate as thanks
    assert set(res["construct"]) == set(VE.CONSTRUCTS)


@pytest.mark.corpus
def test_cocoa_and_pastel_on_corpora(corpora_dir):
    sent = VE.cocoa_sentence_level(n_boot=100).set_index(["detector", "domain"])
    assert sent.loc[("teineigo", "all"), "n"] == 3188
    assert sent.loc[("teineigo", "all"), "f1"] > 0.8
    span = VE.cocoa_span_level().set_index(["formality", "detector"])
    assert span.loc[("formal", "teineigo"), "share"] > span.loc[("informal", "teineigo"), "share"]
    pas = VE.pastel_pairs().set_index("style")
    assert pas.loc["all", "n_pairs"] == 240
    assert pas.loc["all", "share_higher"] > 0.5


def test_run_external_end_to_end_on_invented_corpora(monkeypatch):
    import omotenashi_research.datasets as ds

    bsd = pd.DataFrame({"pair_id": ["s1#1", "s1#1", "s1#2", "s1#2", "s2#1", "s2#1"],
                        "scenario_id": ["s1", "s1", "s1", "s1", "s2", "s2"],
                        "original_language": ["ja"] * 4 + ["en"] * 2, "lang": ["ja", "en"] * 3,
                        "text": ["ありがとうございます。", "Thank you.", "はい。", "Yes.",
                                 "申し訳ございません。", "I'm sorry."]})
    refs = pd.DataFrame({"formality": ["formal", "informal"] * 2, "domain": "telephony",
                         "text": ["予約を確認します。", "予約を確認する。", "行きます。", "行く。"],
                         "spans": [((6, 8),), ((5, 7),), ((2, 4),), ((0, 2),)]})
    segments = pd.DataFrame({"item_id": ["test:telephony:1", "test:telephony:2"],
                             "text": ["I will check the booking.", "I'm going."],
                             "ja_formal": ["予約を確認します。", "行きます。"]})
    pol = pd.DataFrame({"lang": ["ja"] * 12 + ["en"] * 12,
                        "text": ["ありがとうございます。", "行く。", "申し訳ございません。"] * 4
                        + ["Thank you so much!", "Go away.", "Could you please help?"] * 4,
                        "politeness": [3.0, 1.0, 3.0] * 4 + [3.0, 0.0, 3.0] * 4})
    pastel = pd.DataFrame({"pair_id": ["politeness:1"] * 2, "style": "politeness",
                           "positive": [True, False], "text": ["行きます。", "行く。"]})
    monkeypatch.setattr(ds, "load_bsd", lambda: bsd)
    monkeypatch.setattr(ds, "load_cocoa_mt",
                        lambda layout="segments": refs if layout == "references" else segments)
    monkeypatch.setattr(ds, "load_multilingual_politeness", lambda: pol)
    monkeypatch.setattr(ds, "load_pastel_jp", lambda: pastel)
    out = VE.run_external(n_boot=20, kokorochat_rates=_kokoro_rates(), k=3)
    assert list(out) == [key for key, _ in VE.EXTERNAL_SECTIONS]
    assert all("seconds" in t.attrs for t in out.values())
    grat = out["parallel"].query("source == 'bsd' and direction == 'all' and construct == 'gratitude'")
    assert grat[["both", "ja_only", "en_only"]].values.tolist() == [[1, 0, 0]]
    sent = out["cocoa_sentence"].set_index(["detector", "domain"]).loc[("teineigo", "all")]
    assert (sent["precision"], sent["recall"]) == (1.0, 1.0)
    assert out["cocoa_span"].set_index(["formality", "detector"]).loc[("formal", "teineigo"), "share"] == 1.0
    assert out["pastel"].set_index("style").loc["all", "higher"] == 1
