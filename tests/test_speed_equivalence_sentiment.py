"""The fast VADER compound gives exactly vaderSentiment's compound.

``sentiment._vader().compound`` skips texts without a lexicon word, lower-cases each word once and
computes only the compound (see its docstring); ``compound_many`` does a batch with array operations
(what ``sentiment()`` calls); the reference is the library itself
(``SentimentIntensityAnalyzer().polarity_scores(text)["compound"]``). Texts are invented here from
VADER's own rule words (negations, boosters, "but", "least", "kind of", idioms, caps, "!!!", "?",
emoticons, emoji); the corpus test reads USS at run time and stores nothing.
"""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("vaderSentiment")

PROPS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_WORDS = [
    # lexicon words, some in capitals, some that are also boosters or rule words
    "good", "GOOD", "Good", "bad", "BAD", "love", "hate", "nice", "great", "terrible", "fine", "ok", "okay",
    "lol", "sux", "yes", "no", "No", "please", "thanks", "like", "kind", "sorry", "wrong", "help", "free",
    "funny", "smart", "handsome", "uncompelling", "death", "die", "bomb", "shit", "badass", "cool",
    # negations, boosters, dampeners, idiom parts
    "not", "NOT", "never", "isn't", "don't", "aint", "cannot", "without", "doubt", "nor", "or", "least",
    "at", "very", "VERY", "extremely", "so", "this", "really", "kinda", "sort", "of", "just", "enough",
    "barely", "the", "bus", "stop", "yeah", "right", "kiss", "to", "for", "beating", "heart", "cut",
    "mustard", "but", "BUT", "But",
    # neutral words, punctuation, emoticons, emoji, odd characters
    "room", "it", "is", "was", "i", "a", "at", "two", "x", "!", "!!!", "?", "??", "????", ".", ",", "...",
    ":)", ":(", ":D", "<3", "</3", ";)", ":-)", "(good)", "'nice'", "good!", "!good", "😀", "💔", "ΑΣ",
    "ς", "İ", "\u00a0", "\t",
]
_SEPS = st.sampled_from([" ", " ", " ", "  ", "", ", ", "! ", "\n"])
_texts = st.lists(st.tuples(st.sampled_from(_WORDS), _SEPS), max_size=18).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@functools.cache  # the analyzer reads its lexicon file when built; polarity_scores keeps no state
def _library():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _same(a: float, b: float) -> bool:
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@PROPS
@given(_texts)
def test_fast_compound_equals_library(text):
    from omotenashi_research.sentiment import _vader

    expected = float(_library().polarity_scores(text)["compound"])
    assert _same(_vader().compound(text), expected)


@PROPS
@given(st.text(max_size=40))
def test_fast_compound_equals_library_on_any_unicode(text):
    from omotenashi_research.sentiment import _vader

    expected = float(_library().polarity_scores(text)["compound"])
    assert _same(_vader().compound(text), expected)


@PROPS
@given(st.lists(_texts, max_size=8))
def test_batch_compound_equals_library(texts):
    # A batch shares its word arrays across texts: texts with and without emoji, "but" or "kind of",
    # repeated and empty ones, words in capitals in some texts only.
    from omotenashi_research.sentiment import _vader

    lib = _library()
    got = _vader().compound_many(texts)
    assert len(got) == len(texts)
    for t, g in zip(texts, got, strict=True):
        assert isinstance(g, float)
        assert _same(g, float(lib.polarity_scores(t)["compound"])), t


@PROPS
@given(st.lists(st.text(max_size=30), max_size=5))
def test_batch_compound_equals_library_on_any_unicode(texts):
    from omotenashi_research.sentiment import _vader

    lib = _library()
    for t, g in zip(texts, _vader().compound_many(texts), strict=True):
        assert _same(g, float(lib.polarity_scores(t)["compound"])), t


def test_batch_compound_known_answers():
    from omotenashi_research.sentiment import _vader

    texts = ["I love it", "This is terrible.", "The room is on the second floor.", "", "I love it",
             "kind of good", "Catch utf-8 emoji such as 💘 and 💋 and 😁", "NOT GOOD at all!!!",
             "good, but bad", "Great!!!!! ???", "kind", "of"]
    lib = _library()
    got = _vader().compound_many(texts)
    assert got[:5] == [0.6369, -0.4767, 0.0, 0.0, 0.6369]
    assert got == [float(lib.polarity_scores(t)["compound"]) for t in texts]
    assert _vader().compound_many([]) == []


def test_fast_compound_known_answers():
    # Values of vaderSentiment 3.3.2 (the module's examples and test_sentiment.py's known answers).
    from omotenashi_research.sentiment import _vader

    v = _vader()
    assert v.compound("I love it") == 0.6369
    assert v.compound("This is terrible.") == -0.4767
    assert v.compound("The room is on the second floor.") == 0.0  # no lexicon word: the shortcut
    assert v.compound("") == 0.0
    lib = _library()
    for text in ["VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
                 "At least it isn't a horrible book.",
                 "The plot was good, but the characters are uncompelling and the dialog is not great.",
                 "Today only kinda sux! But I'll get by, lol", "Catch utf-8 emoji such as 💘 and 💋 and 😁"]:
        assert v.compound(text) == lib.polarity_scores(text)["compound"]


@pytest.mark.corpus
def test_fast_compound_equals_library_on_uss(corpora_dir):
    """Every distinct USS text read at run time (nothing stored): the identical compound."""
    import warnings

    from omotenashi_research.datasets.uss import load_uss
    from omotenashi_research.sentiment import _vader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the loader reports lines it drops, known
        texts = list(dict.fromkeys(load_uss()["text"]))
    lib, fast = _library(), _vader()
    want = [float(lib.polarity_scores(t)["compound"]) for t in texts]
    bad = [i for i, (t, w) in enumerate(zip(texts, want, strict=True)) if not _same(fast.compound(t), w)]
    assert not bad, f"{len(bad)} of {len(texts)} USS texts differ (first positions {bad[:5]})"
    many = fast.compound_many(texts)  # the batch path (what sentiment() calls)
    bad = [i for i, (g, w) in enumerate(zip(many, want, strict=True)) if not _same(g, w)]
    assert not bad, f"batch: {len(bad)} of {len(texts)} USS texts differ (first positions {bad[:5]})"


# -- trajectories: per-length array statistics equal numpy's per-dialogue ones, bit for bit ---------

def _bits(values) -> list[int]:
    import numpy as np

    return np.asarray(values, dtype=float).view("i8").tolist()


_floats = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 0.6369, -0.4767, 1e-300]),
    st.floats(min_value=-1, max_value=1, allow_nan=False),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


@PROPS
@given(st.integers(1, 128), st.integers(1, 4), st.data())
def test_row_sums_equal_numpy_sums(length, n_rows, data):
    import numpy as np

    from omotenashi_research.sentiment import _row_sums

    m = np.array(data.draw(st.lists(st.lists(_floats, min_size=length, max_size=length),
                                    min_size=n_rows, max_size=n_rows)))
    assert _bits(_row_sums(m)) == _bits([row.sum() for row in m])


@PROPS
@given(st.lists(st.tuples(st.lists(st.integers(0, 40), min_size=1, max_size=30), st.data()), min_size=1,
                max_size=6))
def test_segment_stats_equal_per_segment_numpy(segments):
    import numpy as np

    from omotenashi_research.sentiment import _segment_stats, _slope

    xs, ys, bounds = [], [], [0]
    for turns, data in segments:
        xs += [float(t) for t in turns]
        ys += data.draw(st.lists(_floats, min_size=len(turns), max_size=len(turns)))
        bounds.append(len(xs))
    xs, ys, bounds = np.array(xs), np.array(ys), np.array(bounds)
    got = _segment_stats(xs, ys, bounds)
    expected = [[], [], [], [], [], [], []]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        x, y = xs[a:b], ys[a:b]
        for col, v in zip(expected, (len(y), y[0], y[-1], y[-1] - y[0], y.min(), y.mean(), _slope(x, y)),
                          strict=True):
            col.append(v)
    assert got[0] == expected[0]
    for g, e in zip(got[1:], expected[1:], strict=True):
        assert _bits(g) == _bits(e)


def test_segment_stats_long_segments_take_the_plain_path():
    import numpy as np

    from omotenashi_research.sentiment import _segment_stats, _slope

    rng = np.random.default_rng(0)
    xs, ys = np.arange(300.0), rng.normal(size=300)
    got = _segment_stats(xs, ys, np.array([0, 200, 300]))
    assert _bits(got[5]) == _bits([ys[:200].mean(), ys[200:].mean()])
    assert _bits(got[6]) == _bits([_slope(xs[:200], ys[:200]), _slope(xs[200:], ys[200:])])
