"""The fast paths give exactly what the plain definitions give (issue 12's speed work).

Each speed-up is checked against a straightforward implementation of the same rule: the marker
engine's by-type path against its doc path and against spaCy's own matchers, content words and
lower-cased tokens from ORTH arrays against the Doc-based functions, the vectorised schema checks
against the element-wise ones, the VADER fast path against the library, and the per-dialogue
statistics against a pandas ``groupby`` loop. Texts are invented here; the corpus test reads USS
agent turns at run time and stores nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research import schema, tokens
from omotenashi_research.markers import get_matcher, load_lexicons
from omotenashi_research.nlp import get_pipeline

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_EN_WORDS = sorted(
    {
        w
        for lex in load_lexicons("en").values()
        for e in lex.entries
        for t in [*e.examples, *e.counterexamples]
        for w in t.replace(",", " ,").replace(".", " .").replace("?", " ?").split()
    }
)
_TOKENS = [*_EN_WORDS, ".", "?", "!", ",", "'s", "n't", "I", "we", "booked", "checking", "10", "two"]
en_texts = st.lists(st.sampled_from(_TOKENS), min_size=0, max_size=30).map(" ".join)


def _spacy_counts(text: str) -> np.ndarray:
    mm = get_matcher("en")
    row = np.zeros(len(mm.markers), dtype=np.int64)
    for mi, *_ in mm._resolve_matches(mm._raw_spacy(mm.make_doc(text))):
        row[mi] += 1
    return row


# -- marker engine: the by-type path (joined tokenisation, type table, candidate filters) ----------

@PROPS
@given(st.lists(en_texts, min_size=1, max_size=6))
def test_by_type_counts_equal_doc_counts_and_spacy(texts):
    mm = get_matcher("en")
    assert mm._by_type  # the default English pipeline takes the fast path
    ntok_fast, fast = mm._count_texts(texts, 1000)
    ntok_doc, by_doc = mm.count_docs([mm.nlp.make_doc(t) for t in texts])
    np.testing.assert_array_equal(fast, by_doc)
    np.testing.assert_array_equal(ntok_fast, ntok_doc)
    for i, t in enumerate(texts):
        np.testing.assert_array_equal(fast[i], _spacy_counts(t), err_msg=t)


def test_candidate_filters_keep_known_matches():
    # Known answers for patterns of the token-by-token path (anchor, later required token, REGEX).
    mm = get_matcher("en")
    texts = ["I have booked your table for two.", "We are checking that for you now.", "I booked it."]
    counts = pd.DataFrame(mm._count_texts(texts, 1000)[1], columns=mm.markers)
    ref = pd.DataFrame([_spacy_counts(t) for t in texts], columns=mm.markers)
    pd.testing.assert_frame_equal(counts, ref)
    assert counts["ownership"].tolist() == [1, 1, 1]


@pytest.mark.corpus
def test_uss_agent_turns_fast_path_equals_references(corpora_dir):
    from omotenashi_research.datasets.uss import load_uss

    utt = load_uss()
    agent = utt[(utt["role"] == "agent") & (utt["lang"] == "en")]
    texts = agent["text"].sample(5000, random_state=0).tolist()
    mm = get_matcher("en")
    fast = np.concatenate([c for _, c in mm.count_arrays(texts)])
    docs = list(mm.pipe(texts))
    np.testing.assert_array_equal(fast, mm.count_docs(docs)[1])
    for i in range(0, 5000, 10):  # spaCy's matchers are slow: every tenth turn
        np.testing.assert_array_equal(fast[i], _spacy_counts(texts[i]), err_msg=f"agent turn {i}")


# -- per-text analyses from ORTH arrays ------------------------------------------------------------

@PROPS
@given(st.lists(en_texts, min_size=0, max_size=6))
def test_orth_analyses_equal_doc_analyses(texts):
    nlp = get_pipeline("en")
    docs = [nlp(t) for t in texts]
    arrays = [d.to_array("ORTH") for d in docs]
    orth = np.concatenate(arrays).astype(np.uint64) if docs else np.zeros(0, np.uint64)
    lens = np.array([len(d) for d in docs], dtype=np.int64)
    assert tokens._from_orth("content", orth, lens, nlp) == [tokens.content_en(d) for d in docs]
    assert tokens._from_orth("lower", orth, lens, nlp) == [tokens.lower_tokens(d) for d in docs]


def test_orth_content_words_known_answer():
    nlp = get_pipeline("en")
    docs = [nlp("Two rooms, two nights: rooms with a view."), nlp("")]
    orth = np.concatenate([d.to_array("ORTH") for d in docs]).astype(np.uint64)
    got = tokens._from_orth("content", orth, np.array([len(d) for d in docs]), nlp)
    assert got == [(("room", False), ("night", False), ("view", False)), ()]


# -- schema checks: once per distinct value, same answer as element by element ---------------------

_values = st.one_of(
    st.lists(st.sampled_from(["a", " ", "\u200b", "\t", "en", "j"]), max_size=4).map("".join),
    st.none(), st.just(float("nan")), st.just(pd.NA), st.integers(-3, 3), st.booleans(),
)


@PROPS
@given(st.lists(_values, max_size=12), st.sampled_from([object, "string"]))
def test_schema_checks_equal_elementwise(values, dtype):
    if dtype == "string":
        values = [v if isinstance(v, str) else None for v in values]
    s = pd.Series(values, dtype=dtype, index=np.arange(len(values)) * 3)
    for fast, one in [
        (schema._is_str, schema._str_value),
        (schema._is_str_or_na, schema._str_or_na_value),
        (schema._non_empty_text, schema._non_empty_value),
        (schema._LANG._check_fn, schema._lang_value),
    ]:
        expected = s.map(one).astype(bool)
        pd.testing.assert_series_equal(fast(s), expected, check_names=False)


def test_is_int_fast_path_known_answers():
    assert schema._is_int(pd.Series([0, 5], dtype="int64")).tolist() == [True, True]
    mixed = pd.Series([0, True, 1.0, 2**70], dtype=object)
    assert schema._is_int(mixed).tolist() == [True, False, False, False]


# -- VADER fast path ----------------------------------------------------------------------------

@PROPS
@given(st.lists(st.sampled_from(["good", "not", "very", "BAD", "kind", "of", "but", ":)", "😀", "!", "?",
                                 " ", "love", "hate", "no", "never", "least"]), max_size=15).map("".join))
def test_vader_fast_path_equals_library(text):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from omotenashi_research.sentiment import _vader

    assert _vader().polarity_scores(text) == SentimentIntensityAnalyzer().polarity_scores(text)


@PROPS
@given(st.lists(st.sampled_from(["the", "room", "was", "kind", "of", "nice", "NOT", "great", "no", "or",
                                 "nor", "sort", "at", "least", "but", "extremely", "never", "so", "fine",
                                 "without", "doubt", "bad", "!", "?", ",", ".", "lol", "ok", "thanks"]),
                max_size=20).map(" ".join))
def test_vader_fast_path_equals_library_on_sentences(text):
    """Words outside VADER's lexicon take the shortcut (valence 0); every rule around them is kept."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from omotenashi_research.sentiment import _vader

    assert _vader().polarity_scores(text) == SentimentIntensityAnalyzer().polarity_scores(text)


@pytest.mark.corpus
def test_vader_fast_path_equals_library_on_uss(corpora_dir):
    """3,000 USS texts read at run time (nothing stored): identical VADER scores, all four of them."""
    import warnings

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from omotenashi_research.datasets.uss import load_uss
    from omotenashi_research.sentiment import _vader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the loader reports dropped empty lines
        texts = load_uss()["text"].sample(3000, random_state=1).tolist()
    ref = SentimentIntensityAnalyzer()
    fast = _vader()
    assert [fast.polarity_scores(t) for t in texts] == [ref.polarity_scores(t) for t in texts]


# -- per-dialogue statistics without pandas group objects ---------------------------------------

def _trajectory_reference(df: pd.DataFrame) -> pd.DataFrame:
    sel = df[df["role"] == "customer"].sort_values(["corpus", "dialogue_id", "turn"], kind="mergesort")
    rows = []
    for (c, d), g in sel.dropna(subset=["sentiment"]).groupby(["corpus", "dialogue_id"], sort=False):
        x, y = g["turn"].to_numpy(dtype=float), g["sentiment"].to_numpy()
        slope = float("nan")
        if len(x) > 1 and np.ptp(x) > 0:
            slope = float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())
        rows.append((c, d, len(y), y[0], y[-1], y[-1] - y[0], y.min(), y.mean(), slope))
    cols = ["corpus", "dialogue_id", "n", "first", "last", "delta", "min", "mean", "slope"]
    out = df[["corpus", "dialogue_id"]].drop_duplicates().merge(pd.DataFrame(rows, columns=cols), how="left")
    out["n"] = out["n"].fillna(0).astype("int64")
    return out


def test_trajectory_equals_groupby_reference():
    from omotenashi_research.sentiment import sentiment_trajectory

    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({
        "corpus": rng.choice(["a", "b"], n), "dialogue_id": rng.choice([f"d{i}" for i in range(40)], n),
        "turn": np.arange(n), "role": rng.choice(["customer", "agent"], n), "sentiment": rng.normal(size=n),
    })
    df.loc[df.index[::7], "sentiment"] = np.nan
    pd.testing.assert_frame_equal(sentiment_trajectory(df), _trajectory_reference(df))


def test_rates_lang_equals_per_dialogue_rule():
    from omotenashi_research.features import rates

    f = pd.DataFrame({
        "corpus": "c", "dialogue_id": ["d1", "d1", "d2", "d2", "d3"], "turn": [0, 1, 0, 1, 0],
        "role": "agent", "lang": pd.array(["en", "en", "en", "ja", "ja"], dtype="string"),
        "n_tokens": 5, "m_x": [1, 0, 0, 1, 1],
    })
    for lang in (f["lang"], f["lang"].astype(object), f["lang"].astype(object).where(f["turn"] > 0, None)):
        g = f.assign(lang=lang)
        expected = g.groupby(["corpus", "dialogue_id"], sort=False)["lang"].agg(
            lambda s: s.iloc[0] if s.nunique() == 1 else "mixed"
        )
        got = rates(g).set_index(["corpus", "dialogue_id"])["lang"]
        pd.testing.assert_series_equal(got, expected, check_names=False)
    assert rates(f)["lang"].tolist() == ["en", "mixed", "ja"]


# -- features: each distinct text counted once; context flags without a join when rows align ------

def _utterances(texts: list[str], lang: str = "en") -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame({
        "corpus": "demo", "dialogue_id": [f"d{i // 3}" for i in range(n)], "turn": [i % 3 for i in range(n)],
        "role": ["customer", "agent", "agent"] * (n // 3) + ["customer", "agent"][: n % 3],
        "speaker": None, "text": texts, "lang": lang,
    })


def test_repeated_texts_get_the_features_of_a_single_call():
    from omotenashi_research.features import extract_features

    texts = ["Thank you so much!", "I am sorry, let me check that for you.", "Thank you so much!",
             "Would you like a taxi as well?", "I am sorry, let me check that for you.", "Thank you so much!"]
    feats = extract_features(_utterances(texts), progress=False)
    cols = [c for c in feats.columns if c == "n_tokens" or c.startswith("m_")]
    for i, t in enumerate(texts):
        one = extract_features(_utterances([t]), progress=False)
        pd.testing.assert_series_equal(feats.loc[i, cols], one.loc[0, cols], check_names=False)
    assert feats.loc[0, "m_gratitude"] == 1


def test_marker_flags_aligned_rows_equal_joined_rows():
    from omotenashi_research.context import anticipation
    from omotenashi_research.features import extract_features

    utt = _utterances(["I need a hotel room.", "Would you like me to book a taxi from the station?",
                       "Anything else?", "A table for two, please.", "Would you like a table by the window?"])
    feats = extract_features(utt, progress=False)
    shuffled = feats.sample(frac=1.0, random_state=1)  # same rows, other order: joined on the keys
    pd.testing.assert_frame_equal(anticipation(utt, feats), anticipation(utt, shuffled))
