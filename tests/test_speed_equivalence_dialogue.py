"""dialogue_features' fast paths give exactly what the plain versions give.

``_features_for`` skips the key join when the features table's rows already carry the utterances'
keys in order, and checks and converts all count columns at once; ``_languages_and_turns`` avoids a
Python call per dialogue. The references below are the previous implementations, kept verbatim.
Tables are invented here; the corpus test reads USS at run time and stores nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research import dialogue

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_KEYS = ["corpus", "dialogue_id", "turn"]


# -- the references: the previous implementations ------------------------------------------------

def _ref_features_for(
    utterances_df: pd.DataFrame, features_df: pd.DataFrame | None, record: list[str] | None = None
) -> pd.DataFrame:
    """Return ``n_tokens`` and the ``m_*`` columns aligned row by row with ``utterances_df``.

    Counts may be NA only on rows in a language without lexicons (as ``extract_features`` gives
    them); ``record``: token analyses the later stages reuse (see :mod:`omotenashi_research.tokens`).
    """
    from omotenashi_research.nlp import SUPPORTED_LANGS

    if features_df is None:
        from omotenashi_research.features import _extract

        # dialogue_features validated the table just before: no second pass.
        features_df = _extract(utterances_df, record=record or [], validated=True)
    if not isinstance(features_df, pd.DataFrame):
        raise TypeError(f"features_df: expected a pandas DataFrame, got {type(features_df).__name__}")
    cols = [c for c in features_df.columns if c == "n_tokens" or c.startswith("m_")]
    if "n_tokens" not in cols:
        raise ValueError("features_df: missing required column 'n_tokens'")
    if all(k in features_df.columns for k in _KEYS):
        if features_df.duplicated(_KEYS).any():
            dup = features_df.loc[features_df.duplicated(_KEYS, keep=False), _KEYS].head(5).to_dict("records")
            raise ValueError(f"features_df: duplicate (corpus, dialogue_id, turn) rows: {dup}")
        merged = utterances_df[_KEYS].merge(
            features_df[[*_KEYS, *cols]], on=_KEYS, how="left", indicator=True
        )
        missing = merged["_merge"] != "both"
        if missing.any():
            rows = merged.loc[missing, _KEYS].head(5).to_dict("records")
            raise ValueError(f"features_df has no row for {int(missing.sum())} utterance(s), e.g. {rows}")
        out = merged[cols]
    else:
        if len(features_df) != len(utterances_df):
            raise ValueError(
                f"features_df has {len(features_df)} rows for {len(utterances_df)} utterances and no "
                "corpus/dialogue_id/turn columns to join on"
            )
        out = features_df[cols].reset_index(drop=True)
    out = out.set_axis(utterances_df.index)
    supported = utterances_df["lang"].isin(SUPPORTED_LANGS)
    for c in cols:
        num = pd.to_numeric(out[c], errors="coerce").astype("float64")
        bad = (num.isna() & supported) | (num < 0)
        if bad.any():
            i = bad.idxmax()
            raise ValueError(f"features_df: row {i}: column {c!r} must be a count >= 0, got {out.at[i, c]!r}")
        out[c] = num
    return out


def _ref_languages_and_turns(utt: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return utt.groupby(keys, sort=True).agg(
        lang=("lang", lambda s: "+".join(sorted(set(s)))), n_turns=("turn", "size")
    )


# -- invented tables ------------------------------------------------------------------------------

def _utterances(n_dialogues: int, langs: list[str]) -> pd.DataFrame:
    rows = []
    for d in range(n_dialogues):
        for t in range(3):
            role = ["customer", "agent"][t % 2]
            rows.append(("demo", f"d{d}", t, role, "Hello there.", langs[(d + t) % len(langs)]))
    df = pd.DataFrame(rows, columns=["corpus", "dialogue_id", "turn", "role", "text", "lang"])
    return df.assign(speaker=None)


def _features(utt: pd.DataFrame, rng: np.random.Generator, dtype: str) -> pd.DataFrame:
    n = len(utt)
    feats = utt[_KEYS].copy()
    feats["n_tokens"] = rng.integers(0, 20, n)
    for m in ["m_apology", "m_gratitude"]:
        col = pd.array(rng.integers(0, 3, n), dtype=dtype)
        feats[m] = col
    unsupported = ~utt["lang"].isin(["en", "ja"]).to_numpy()
    if dtype == "Int64":
        feats.loc[unsupported, "m_apology"] = pd.NA
    elif dtype == "float64":
        feats.loc[unsupported, "m_apology"] = np.nan
    return feats


def _outcome(fn, *args):
    try:
        return fn(*args)
    except (ValueError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"


def _assert_same(got, expected):
    if isinstance(expected, str):
        assert got == expected
    else:
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


@PROPS
@given(st.integers(1, 6), st.sampled_from([["en"], ["en", "de"], ["ja", "en", "pt"]]),
       st.sampled_from(["Int64", "int64", "float64", "object"]), st.integers(0, 2**32 - 1),
       st.sampled_from(["aligned", "shuffled", "positional", "missing", "duplicate", "negative", "na",
                        "text"]))
def test_features_for_equals_reference(n_dialogues, langs, dtype, seed, variant):
    rng = np.random.default_rng(seed)
    utt = _utterances(n_dialogues, langs)
    feats = _features(utt, rng, dtype)
    if variant == "shuffled":
        feats = feats.sample(frac=1, random_state=seed % 1000)
    elif variant == "positional":
        feats = feats.drop(columns=_KEYS)
    elif variant == "missing" and len(feats) > 1:
        feats = feats.iloc[1:]
    elif variant == "duplicate":
        feats = pd.concat([feats, feats.iloc[:1]], ignore_index=True)
    elif variant == "negative":
        feats.loc[feats.index[-1], "n_tokens"] = -1
    elif variant == "na":
        feats["m_gratitude"] = feats["m_gratitude"].astype("float64")
        feats.loc[feats.index[0], "m_gratitude"] = np.nan
    elif variant == "text":
        feats["m_gratitude"] = feats["m_gratitude"].astype(str)
    _assert_same(_outcome(dialogue._features_for, utt, feats), _outcome(_ref_features_for, utt, feats))


def test_features_for_fast_path_taken_for_aligned_keys():
    utt = _utterances(3, ["en"])
    feats = _features(utt, np.random.default_rng(0), "Int64")
    assert dialogue._same_keys(utt, feats)
    assert not dialogue._same_keys(utt, feats.iloc[::-1])
    assert dialogue._as_float_counts(feats[["n_tokens", "m_apology"]], np.ones(len(feats), bool)) is not None


@PROPS
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]),
                          st.sampled_from(["en", "ja", "de"])), min_size=1, max_size=12),
       st.sampled_from(["str", "string", "object", "category"]))
def test_languages_and_turns_equals_reference(rows, lang_dtype):
    df = pd.DataFrame(rows, columns=["corpus", "dialogue_id", "lang"])
    df = df.assign(turn=range(len(df)), lang=df["lang"].astype(lang_dtype))
    keys = ["corpus", "dialogue_id"]
    pd.testing.assert_frame_equal(dialogue._languages_and_turns(df, keys), _ref_languages_and_turns(df, keys),
                                  check_exact=True)


@pytest.mark.corpus
def test_dialogue_features_equals_plain_paths_on_uss(corpora_dir, monkeypatch):
    """2,000 USS utterances (whole dialogues) read at run time: the same table with the fast paths off."""
    import warnings

    from omotenashi_research.datasets.uss import load_uss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the loader reports lines it drops, known
        utt = load_uss()
    sizes = utt.groupby(["corpus", "dialogue_id"], sort=False).size()
    keep = sizes[sizes.cumsum() <= 2000].index
    utt = utt[pd.MultiIndex.from_frame(utt[["corpus", "dialogue_id"]]).isin(keep)].reset_index(drop=True)
    fast = dialogue.dialogue_features(utt)
    monkeypatch.setattr(dialogue, "_features_for", _ref_features_for)
    monkeypatch.setattr(dialogue, "_languages_and_turns", _ref_languages_and_turns)
    plain = dialogue.dialogue_features(utt)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4), st.sampled_from([["en"], ["en", "de"], ["ja", "en"]]),
       st.sampled_from(["int64", "Int64", "object", "int32", "uint8"]),  # (float turns fail validation)
       st.sampled_from(["object", "string", "str"]), st.booleans())
def test_features_computed_inside_equal_reference(n_dialogues, langs, turn_dtype, key_dtype, shuffle):
    """Features computed by _features_for itself skip the key join (validated keys are unique): the
    same table as the join, whatever the key dtypes and row order (as dialogue_features calls it)."""
    import warnings

    from omotenashi_research.schema import validate_utterances

    utt = _utterances(n_dialogues, langs)
    utt = utt.assign(turn=utt["turn"].astype(turn_dtype), corpus=utt["corpus"].astype(key_dtype),
                     dialogue_id=utt["dialogue_id"].astype(key_dtype))
    if shuffle:
        utt = utt.iloc[::-1]
    utt = utt.reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rows in languages without lexicons: reported, known
        validate_utterances(utt)
        got = _outcome(dialogue._features_for, utt, None)
        expected = _outcome(_ref_features_for, utt, None)
    _assert_same(got, expected)
