"""The construct tier's pick-up measure gives exactly what the per-row string version gave.

``constructs_design._content_units`` finds its units with two regular expressions instead of a Python
loop over characters, and ``_context_columns`` computes each customer turn's units once (``_pickup``)
instead of re-reading the joined text of the last 8 customer turns for every agent row. Both are
compared here with the previous implementation, kept verbatim in this file (``_old_*``). Texts are
invented; the corpus test reads gold-set corpora at run time and stores nothing.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research.constructs_design import PREV_TURNS, _content_units, _context_columns

_KEYS = ["corpus", "dialogue_id", "turn"]
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _old_content_units(text: str, lang: str) -> set[str]:
    if lang == "ja":
        s = "".join(ch if ("\u4e00" <= ch <= "\u9fff" or "\u30a0" <= ch <= "\u30ff") else " " for ch in text)
        return {s[i:i + 2] for i in range(len(s) - 1) if " " not in s[i:i + 2]}
    return {w for w in "".join(c.lower() if c.isalpha() else " " for c in text).split() if len(w) >= 4}


def _old_context_columns(utterances: pd.DataFrame) -> pd.DataFrame:
    df = utterances[[*_KEYS, "role", "text", "lang"]].copy()
    df["_pos"] = np.arange(len(df))
    df = df.sort_values([*_KEYS[:2], "turn"])
    cust = df["text"].where(df["role"] == "customer", "")
    agent = df["text"].where(df["role"] == "agent", "")
    grp_key = [df["corpus"], df["dialogue_id"]]
    prev = pd.Series("", index=df.index)
    for k in range(1, PREV_TURNS + 1):
        prev = prev + " " + cust.groupby(grp_key).shift(k).fillna("")
    prev_agent = agent.groupby(grp_key).shift(1).fillna("") + " " + agent.groupby(grp_key).shift(2).fillna("")
    earlier = pd.Series("", index=df.index)
    for k in range(1, 9):
        earlier = earlier + " " + cust.groupby(grp_key).shift(k).fillna("")
    pick = np.zeros(len(df))
    is_agent = (df["role"] == "agent").to_numpy()
    texts, langs, earl = df["text"].to_numpy(), df["lang"].to_numpy(), earlier.to_numpy()
    for i in np.flatnonzero(is_agent):
        units = _old_content_units(str(texts[i]), str(langs[i]))
        if units:
            pick[i] = len(units & _old_content_units(str(earl[i]), str(langs[i]))) / len(units)
    out = pd.DataFrame({"prev_customer": prev.str.strip().to_numpy(),
                        "prev_agent": prev_agent.str.strip().to_numpy(), "pickup": pick}, index=df.index)
    return out.set_index(df["_pos"].to_numpy()).sort_index().set_axis(utterances.index)


# Characters where a per-character loop and regular expressions can part ways: final sigma, letters
# that lower to two characters (İ), ligatures, numeric non-digits (² ½ Ⅻ), combining marks, "_",
# digits, apostrophes, kanji and katakana runs with the long-vowel mark, full-width letters.
_CHARS = list("abcdeXYZ ΣσςİıﬁßǅÅ²½Ⅻ'’_19 東京都タワーーァ予約ご家族ｈｏｔｅｌ\u0307\u0301\u3000\n-.")
_words = st.lists(st.sampled_from(_CHARS), max_size=14).map("".join)
_any_text = st.one_of(_words, st.text(max_size=30))


@PROPS
@given(_any_text, st.sampled_from(["ja", "en", "de"]))
def test_content_units_equal_old(text, lang):
    assert _content_units(text, lang) == _old_content_units(text, lang)


@st.composite
def dialogues(draw):
    n = draw(st.integers(1, 40))  # (an empty table is refused before this step by construct_flags)
    rows = {
        "corpus": draw(st.lists(st.sampled_from(["c1", "c2"]), min_size=n, max_size=n)),
        "dialogue_id": draw(st.lists(st.sampled_from(["d1", "d2", "d3"]), min_size=n, max_size=n)),
        "turn": draw(st.lists(st.integers(0, 60), min_size=n, max_size=n, unique=True)),
        "role": draw(st.lists(st.sampled_from(["agent", "customer", "customer", "system"]), min_size=n,
                              max_size=n)),
        "text": draw(st.lists(_any_text, min_size=n, max_size=n)),
        "lang": draw(st.lists(st.sampled_from(["ja", "en", "en", "de"]), min_size=n, max_size=n)),
    }
    index = draw(st.permutations(list(range(100, 100 + n))))  # any row order, a non-default index
    return pd.DataFrame(rows, index=pd.Index(index, dtype="int64"))


@PROPS
@given(dialogues())
def test_context_columns_equal_old(utt):
    pd.testing.assert_frame_equal(_context_columns(utt), _old_context_columns(utt))


def test_pickup_known_answer():
    # agent turn 3 has units {東京, 京タ, タワ, ワー}; the customer said 東京 at turn 0 and タワー at turn 2:
    # 東京, タワ, ワー found -> 3/4. Turn 12: customer turns 0 and 2 are more than 8 rows back.
    turns = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    role = ["customer", "agent", "customer", "agent", *(["agent"] * 8), "agent"]
    text = ["東京へ", "はい", "タワーです", "東京タワーですね", *(["はい"] * 8), "東京タワー"]
    utt = pd.DataFrame({"corpus": "c", "dialogue_id": "d", "turn": turns, "role": role, "text": text,
                        "lang": "ja"})
    pick = _context_columns(utt)["pickup"].to_numpy()
    assert pick[3] == 0.75 and pick[12] == 0.0 and pick[0] == 0.0


@pytest.mark.corpus
@pytest.mark.skipif(not os.environ.get("OMOTENASHI_DATA"), reason="needs the staged corpora")
def test_context_columns_equal_old_on_corpus_dialogues():
    from omotenashi_research import datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # documented loader warnings (dropped empty turns)
        parts = [datasets.load_asdc(), datasets.load_uss(["ReDial"])]
    keep = [*_KEYS, "role", "text", "lang"]
    utt = pd.concat([p[keep] for p in parts], ignore_index=True)
    ids = utt["dialogue_id"].drop_duplicates().to_numpy()
    utt = utt[utt["dialogue_id"].isin(np.random.default_rng(3).choice(ids, 300, replace=False))]
    pd.testing.assert_frame_equal(_context_columns(utt), _old_context_columns(utt))


def test_empty_table_gives_empty_flags():
    from omotenashi_research.constructs import construct_flags

    utt = pd.DataFrame({c: pd.Series([], dtype=object) for c in [*_KEYS, "role", "text", "lang"]})
    assert _context_columns(utt).empty
    flags = construct_flags(utt, pd.DataFrame(index=utt.index))
    assert flags.empty and "c_empathy" in flags.columns
