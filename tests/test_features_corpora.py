"""extract_features / count_markers on every staged corpus (a seeded slice of each, to stay fast)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from omotenashi_research import datasets
from omotenashi_research.features import extract_features
from omotenashi_research.markers import count_markers

pytestmark = pytest.mark.corpus


def _dialogues(df: pd.DataFrame, n: int = 40, seed: int = 0) -> pd.DataFrame:
    ids = df["dialogue_id"].drop_duplicates()
    keep = ids.sample(min(n, len(ids)), random_state=seed)
    return df[df["dialogue_id"].isin(keep)]


LOADERS = {
    "uss": lambda: datasets.load_uss(),
    "asdc": lambda: datasets.load_asdc(),
    "jmultiwoz": lambda: datasets.load_jmultiwoz(),
    "bsd": lambda: datasets.load_bsd(),
    "taskmaster": lambda: datasets.load_taskmaster(),
    "maia": lambda: datasets.load_maia(),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_every_dialogue_corpus_gets_one_feature_row_per_utterance(corpora_dir, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loaders warn about documented drops; MAIA about de/pt rows
        utts = _dialogues(LOADERS[name]())
        feats = extract_features(utts, progress=False)
    assert len(feats) == len(utts)
    assert feats[["corpus", "dialogue_id", "turn"]].to_numpy().tolist() == \
        utts[["corpus", "dialogue_id", "turn"]].to_numpy().tolist()
    supported = utts["lang"].isin(["ja", "en"]).to_numpy()
    # every supported utterance has tokens; unsupported languages (MAIA's de/pt) are NA, not dropped
    assert (feats.loc[supported, "n_tokens"] > 0).all()
    assert feats.loc[~supported, "n_tokens"].isna().all()
    # service talk: some agent (or, in BSD, some speaker) thanks somebody in 40 dialogues
    assert feats.loc[supported, "m_gratitude"].sum() > 0


def test_maia_customer_side_is_not_measured_but_agent_english_is(corpora_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        utts = _dialogues(datasets.load_maia())
        feats = extract_features(utts, progress=False)
    by_lang = feats.groupby("lang")["n_tokens"].apply(lambda s: s.notna().mean())
    assert by_lang.get("en") == 1.0
    assert all(by_lang[lang] == 0.0 for lang in by_lang.index if lang != "en")


def test_sentence_corpora_keico_and_stanford(corpora_dir):
    keico = datasets.load_keico()
    level = keico["level"].to_numpy()
    sample = keico.iloc[np.r_[0:10007:25]]  # every 25th sentence
    counts = count_markers(sample["text"].tolist(), "ja", progress=False)
    has_teineigo = (counts["teineigo"] > 0).to_numpy()
    lv = level[np.r_[0:10007:25]]
    # KeiCO level 4 is plain style, levels 1-3 are polite or honorific: です/ます appear far more there
    assert has_teineigo[lv <= 3].mean() > 0.6 > 0.1 > has_teineigo[lv == 4].mean()

    stanford = datasets.load_stanford_politeness()
    lab = stanford.dropna(subset=["polite_label"])
    counts = count_markers(lab["text"].tolist(), "en", progress=False)
    please = (counts["pol_convokit_please"] > 0).to_numpy()
    polite = lab["polite_label"].to_numpy() == 1
    # "please" is a politeness strategy in the 2013 paper: more frequent in the top quartile
    assert please[polite].mean() > please[~polite].mean()
