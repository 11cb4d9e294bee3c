"""The bundled sample corpus: known counts, the data card agrees with the files, labels fit the rows."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from omotenashi_research.datasets import sample
from omotenashi_research.datasets.sample import (
    DOMAINS,
    LABELS,
    SampleDataNotFoundError,
    load_sample,
    load_sample_labels,
    sample_dir,
)


@pytest.fixture(scope="module")
def utts() -> pd.DataFrame:
    return load_sample()


@pytest.fixture(scope="module")
def labels() -> pd.DataFrame:
    return load_sample_labels()


def _card_table(header: str) -> list[list[str]]:
    """Rows of the data card's markdown table whose header line starts with ``header``."""
    lines = (sample_dir() / "DATA_CARD.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_known_totals(utts):
    assert utts["dialogue_id"].nunique() == 48
    assert len(utts) == 279
    assert utts.groupby("lang")["dialogue_id"].nunique().to_dict() == {"en": 24, "ja": 24}
    assert utts.groupby("lang").size().to_dict() == {"en": 138, "ja": 141}
    assert utts["role"].value_counts().to_dict() == {"customer": 147, "agent": 132}
    assert (utts["corpus"] == "sample").all()


def test_known_counts_per_lang_domain_role(utts):
    counts = utts.groupby(["lang", "domain", "role"]).size()
    assert counts[("ja", "hotel", "agent")] == 17 and counts[("ja", "hotel", "customer")] == 19
    assert counts[("en", "support", "agent")] == 19 and counts[("en", "support", "customer")] == 20
    assert counts[("en", "retail", "agent")] == 16 and counts[("ja", "restaurant", "customer")] == 18
    per_domain = utts.groupby(["lang", "domain"])["dialogue_id"].nunique()
    assert (per_domain == 6).all() and len(per_domain) == 8


def test_data_card_counts_match_file(utts):
    rows = _card_table("| lang | domain | dialogues |")
    card = {(r[0], r[1]): tuple(int(x) for x in r[2:]) for r in rows}
    got = {}
    for (lang, domain), g in utts.groupby(["lang", "domain"]):
        got[(lang, domain)] = (g["dialogue_id"].nunique(), len(g), int((g["role"] == "agent").sum()),
                               int((g["role"] == "customer").sum()))
    assert card == got


def test_data_card_label_counts_match_labels(labels):
    rows = _card_table("| label | en | ja |")
    card = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    lang = labels["dialogue_id"].str[:2]
    got = {name: (int(labels.loc[lang == "en", name].sum()), int(labels.loc[lang == "ja", name].sum()))
           for name in LABELS}
    assert card == got


def test_dialogue_shape(utts):
    sizes = utts.groupby("dialogue_id").size()
    assert sizes.between(4, 10).all()
    for did, g in utts.groupby("dialogue_id"):
        lang, domain, _ = did.split("-")
        assert (g["lang"] == lang).all() and (g["domain"] == domain).all(), did
        assert g["turn"].tolist() == list(range(len(g))), did
        assert g["sat_dialogue"].nunique() == 1 and g["sat_dialogue"].between(1, 5).all(), did
    assert set(utts["role"]) == {"agent", "customer"}
    assert re.fullmatch(r"(ja|en)-(hotel|restaurant|retail|support)-0[1-6]", utts["dialogue_id"].iloc[0])


def test_turn_ratings_only_on_customer_turns(utts):
    rated = utts[utts["sat_turn"].notna()]
    assert (rated["role"] == "customer").all()
    assert rated["sat_turn"].between(1, 5).all()
    assert rated.groupby("lang")["dialogue_id"].nunique().to_dict() == {"en": 11, "ja": 11}
    # A rated dialogue has every customer turn rated.
    rated_dialogues = utts[utts["dialogue_id"].isin(rated["dialogue_id"]) & (utts["role"] == "customer")]
    assert rated_dialogues["sat_turn"].notna().all()


def test_labels_cover_exactly_the_agent_turns(utts, labels):
    agent_keys = set(utts.loc[utts["role"] == "agent", ["dialogue_id", "turn"]].itertuples(index=False))
    label_keys = set(labels[["dialogue_id", "turn"]].itertuples(index=False))
    assert label_keys == agent_keys
    assert len(labels) == len(label_keys)
    assert labels[list(LABELS)].isin([0, 1]).all().all()
    lang = labels["dialogue_id"].str[:2]
    for code in ("en", "ja"):
        assert (labels.loc[lang == code, list(LABELS)].sum() > 0).all()  # every label used in each language
        assert (labels.loc[lang == code, list(LABELS)].sum(axis=1) == 0).any()  # and plain utterances too


def test_known_labels(labels):
    lab = labels.set_index(["dialogue_id", "turn"])
    assert lab.loc[("en-hotel-02", 1), "deflection"] == 1
    assert lab.loc[("ja-hotel-05", 1), ["empathy", "apology"]].tolist() == [1, 1]
    assert lab.loc[("ja-hotel-01", 4), "anticipation"] == 1
    assert lab.loc[("en-support-01", 1), ["empathy", "personalization", "apology"]].tolist() == [1, 1, 0]


def test_ratings_plausible_but_not_deterministic(utts, labels):
    warm = labels.groupby("dialogue_id")[["empathy", "anticipation"]].max().max(axis=1)
    sat = utts.groupby("dialogue_id")["sat_dialogue"].first()
    warm = warm.reindex(sat.index)
    assert sat[warm == 1].mean() > sat[warm == 0].mean() + 1
    # ...yet some warm dialogue is rated below some plain one.
    assert sat[warm == 1].min() < sat[warm == 0].max()


def test_japanese_uses_keigo_formulas(utts):
    ja = " ".join(utts.loc[utts["lang"] == "ja", "text"])
    for phrase in ("いらっしゃいませ", "申し訳ございません", "かしこまりました", "確認いたします",
                   "ご案内いたします", "よろしければ", "いかがでしょうか", "それは大変でしたね",
                   "責任を持って"):
        assert phrase in ja, phrase
    en = " ".join(utts.loc[utts["lang"] == "en", "text"])
    for phrase in ("I'm sorry to hear", "You'll need to call", "I'll make sure", "Would you like"):
        assert phrase in en, phrase


def test_filters(utts):
    ja = load_sample(lang="ja")
    assert set(ja["lang"]) == {"ja"} and len(ja) == 141
    two = load_sample(lang="en", domain=["hotel", "retail"])
    assert len(two) == 66 and set(two["domain"]) == {"hotel", "retail"}
    assert two.index.tolist() == list(range(66))
    assert set(load_sample(domain="support")["domain"]) == {"support"}
    with pytest.raises(ValueError, match="lang"):
        load_sample(lang="fr")
    with pytest.raises(ValueError, match="domain"):
        load_sample(domain="spa")
    assert set(DOMAINS) == set(utts["domain"])


def test_missing_sample_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(sample, "__file__", str(tmp_path / "a" / "b" / "sample.py"))
    with pytest.raises(SampleDataNotFoundError, match="pip install -e"):
        load_sample()
