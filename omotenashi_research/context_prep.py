"""Table preparation of the dialogue-context features (split out of :mod:`omotenashi_research.context`).

Checking an utterance table, choosing the text each row is analysed in, reading marker flags, and
sorting once (``_Prepared``) so that anticipation, personalization and dialogue phase share the work.
The public names are re-exported by :mod:`omotenashi_research.context`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["analysis_texts", "marker_flags"]

_KEYS = ["corpus", "dialogue_id", "turn"]


def analysis_texts(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Text and language each row is analysed in: the English side for rows without lexicons.

    A row whose ``lang`` has no lexicons (e.g. MAIA's German or Portuguese customer turns) is
    read from ``text_alt``/``lang_alt`` when the table has them and that side is in a supported
    language (MAIA's English translation); otherwise its language is returned as is and the
    context rules treat the row as *uninformative* (no content words, no cue, no slot request).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.context import analysis_texts
    >>> df = pd.DataFrame({"text": ["Hallo", "Hi"], "lang": ["de", "en"],
    ...                    "text_alt": ["Hello", "Hallo"], "lang_alt": ["en", "de"]})
    >>> [a.tolist() for a in analysis_texts(df)]
    [['Hello', 'Hi'], ['en', 'en']]
    """
    from omotenashi_research.nlp import SUPPORTED_LANGS

    texts = df["text"].to_numpy(dtype=object).copy()
    langs = df["lang"].to_numpy(dtype=object).copy()
    unsupported = ~np.isin(langs, SUPPORTED_LANGS)
    if unsupported.any() and {"text_alt", "lang_alt"} <= set(df.columns):
        alt_ok = unsupported & np.isin(df["lang_alt"].to_numpy(dtype=object), SUPPORTED_LANGS)
        alt_ok &= np.array([isinstance(v, str) for v in df["text_alt"].to_numpy(dtype=object)], dtype=bool)
        texts[alt_ok] = df["text_alt"].to_numpy(dtype=object)[alt_ok]
        langs[alt_ok] = df["lang_alt"].to_numpy(dtype=object)[alt_ok]
    return texts, langs


def _dialogue_starts(df: pd.DataFrame) -> np.ndarray:
    """True where a row (in sorted order) starts a new (corpus, dialogue_id)."""
    c = df["corpus"].to_numpy(dtype=object)
    d = df["dialogue_id"].to_numpy(dtype=object)
    start = np.ones(len(df), dtype=bool)
    if len(df) > 1:
        start[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    return start


def _same_keys(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Row by row equal keys (tables of the same length): ``all((a[k] == b[k]).all())`` on object arrays.

    Key columns of the same plain dtype (integers, or strings without missing values, the usual
    case) are compared without building a Python object per value; the answer is the same.
    """
    for k in _KEYS:
        x, y = a[k], b[k]
        if x.dtype == y.dtype and isinstance(x.dtype, np.dtype) and x.dtype.kind in "iu":
            same = bool((x.to_numpy() == y.to_numpy()).all())
        elif isinstance(x.dtype, pd.StringDtype) and isinstance(y.dtype, pd.StringDtype) and not (
            x.isna().any() or y.isna().any()
        ):
            # Strings compare equal exactly when their code points do, in Python and in the arrays.
            same = bool((x.array == y.array).all())
        else:
            same = bool((x.to_numpy(dtype=object) == y.to_numpy(dtype=object)).all())
        if not same:
            return False
    return True


def _check(df: pd.DataFrame, what: str, extra: Sequence[str] = ()) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    needed = [*_KEYS, "role", *extra]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}; see omotenashi_research.schema")
    if "text" in extra:
        text = df["text"]
        if isinstance(text.dtype, pd.StringDtype):  # values are str or NA: no Python call per value
            bad = df.index[text.isna().to_numpy()]
        else:
            bad = df.index[~text.map(lambda v: isinstance(v, str))]
        if len(bad):
            raise ValueError(f"{what}: row(s) {list(bad[:5])}: column 'text' must be a string")
    if df.duplicated(_KEYS).any():
        dup = df.loc[df.duplicated(_KEYS, keep=False), _KEYS].head(5).to_dict("records")
        raise ValueError(f"{what}: duplicate (corpus, dialogue_id, turn): {dup}")


def marker_flags(
    utterances_df: pd.DataFrame,
    marker: str,
    features_df: pd.DataFrame | None = None,
    flags: Sequence[bool] | pd.Series | None = None,
    *,
    required: bool = True,
) -> pd.Series:
    """Boolean per utterance: does ``marker`` occur? Aligned with ``utterances_df.index``.

    Source, in order: ``flags`` (one boolean per row); column ``m_<marker>`` of
    ``features_df`` (joined on ``corpus, dialogue_id, turn`` when it has them, otherwise by
    position); the marker engine (``count_markers``) when it is installed and has the marker.
    With ``required=False`` a missing marker gives all ``False`` instead of an error.
    """
    n = len(utterances_df)
    if flags is not None:
        arr = np.asarray(flags)
        if arr.shape != (n,):
            raise ValueError(f"{marker} flags: expected {n} values (one per utterance), got {arr.shape}")
        return pd.Series(arr.astype(bool), index=utterances_df.index, name=marker)
    col = f"m_{marker}"
    if features_df is not None:
        if col not in features_df.columns:
            if not required:
                return pd.Series(False, index=utterances_df.index, name=marker)
            raise ValueError(f"features_df has no column {col!r}; pass flags or add the marker")
        if all(k in features_df.columns for k in _KEYS):
            if features_df.duplicated(_KEYS).any():
                raise ValueError("features_df: duplicate (corpus, dialogue_id, turn) rows")
            if len(features_df) == n and _same_keys(utterances_df, features_df):
                # Same keys in the same order (the usual case: features of these utterances): the
                # join would pair row i with row i, so skip it.
                values = features_df[col].to_numpy()
            else:
                merged = utterances_df[_KEYS].merge(
                    features_df[[*_KEYS, col]], on=_KEYS, how="left", indicator=True
                )
                absent = (merged["_merge"] != "both").to_numpy()
                if absent.any():
                    miss = merged.loc[absent, _KEYS].head(5).to_dict("records")
                    raise ValueError(f"features_df lacks rows for utterances {miss}")
                values = merged[col].to_numpy()
        else:
            if len(features_df) != n:
                raise ValueError(
                    f"features_df has {len(features_df)} rows for {n} utterances and no "
                    "corpus/dialogue_id/turn columns to join on"
                )
            values = features_df[col].to_numpy()
        # NA counts (a language without lexicons) are uninformative: no marker, never an error.
        found = pd.array(pd.to_numeric(values), dtype="Float64").fillna(0).to_numpy(dtype=float) > 0
        return pd.Series(found, index=utterances_df.index, name=marker)
    try:
        from omotenashi_research.markers import count_markers, marker_names
    except ImportError as err:  # the engine is optional for these heuristics
        if not required:
            return pd.Series(False, index=utterances_df.index, name=marker)
        raise ValueError(f"no {marker!r} flags: pass features_df or flags (no marker engine)") from err
    out = pd.Series(False, index=utterances_df.index, name=marker)
    from omotenashi_research.nlp import SUPPORTED_LANGS

    for lang, g in utterances_df.groupby("lang", sort=True):
        if lang not in SUPPORTED_LANGS:
            continue  # no lexicons: uninformative rows (False)
        if marker not in marker_names(lang):
            if required:
                raise ValueError(f"{lang!r} lexicons define no marker {marker!r}; pass features_df or flags")
            continue
        counts = count_markers(list(g["text"]), lang)
        out.loc[g.index] = counts[marker].to_numpy() > 0
    return out


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(_KEYS, kind="mergesort")


def _reorder(flags, original: pd.DataFrame, sorted_df: pd.DataFrame) -> np.ndarray | None:
    # User flags follow the caller's row order; the computation runs in sorted order.
    if flags is None:
        return None
    arr = np.asarray(flags)
    if arr.shape != (len(original),):
        raise ValueError(f"flags: expected {len(original)} values (one per utterance), got {arr.shape}")
    return pd.Series(arr, index=original.index)[sorted_df.index].to_numpy()



class _Prepared:
    """An utterance table checked, re-indexed by position and sorted once, for the context rules.

    ``anticipation``, ``personalization`` and ``dialogue_phase`` each need the same preparation;
    ``features._add_context`` prepares once and runs all three on it (same results: each public
    function is ``_prepare`` followed by its private core)."""

    def __init__(self, utterances_df: pd.DataFrame) -> None:
        self.orig_index = utterances_df.index
        # Positional index: callers' indexes may have duplicate labels.
        self.utt = utterances_df.reset_index(drop=True)
        self.df = _sorted(self.utt)
        self._texts: tuple[np.ndarray, np.ndarray] | None = None
        self._aligned: dict[int, bool] = {}
        self._starts: np.ndarray | None = None
        # Content-word pairs of the rows analysed so far (see word_pairs).
        self._pairs: tuple[np.ndarray, ...] | None = None
        self._covered = np.zeros(len(self.df), dtype=bool)

    def texts(self) -> tuple[np.ndarray, np.ndarray]:
        self._texts_once()
        # Copies: callers must not see each other's changes.
        return self._texts[0].copy(), self._texts[1].copy()

    def starts(self) -> np.ndarray:
        """``_dialogue_starts(self.df)``, computed once (read-only: do not modify)."""
        if self._starts is None:
            self._starts = _dialogue_starts(self.df)
        return self._starts

    def word_pairs(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``context_rules._word_pairs`` of the rows of ``mask`` (sorted positions), each row analysed once.

        Anticipation and personalization read the content words of overlapping sets of rows; rows
        analysed for one are kept for the other, and only rows not seen yet are looked up.
        Returns ``(rows, words, slot)`` restricted to ``mask`` (read-only arrays).
        """
        from omotenashi_research.context_rules import _word_pairs

        new = mask & ~self._covered
        if new.any() or self._pairs is None:
            texts, langs = self._texts_once()
            part = _word_pairs(texts, langs, new)
            self._pairs = part if self._pairs is None else tuple(
                np.concatenate([a, b]) for a, b in zip(self._pairs, part, strict=True))
            self._covered |= new
        rows, words, slot = self._pairs
        keep = mask[rows]
        return rows[keep], words[keep], slot[keep]

    def _texts_once(self) -> tuple[np.ndarray, np.ndarray]:
        if self._texts is None:
            self._texts = analysis_texts(self.df)
        return self._texts

    def _is_aligned(self, features_df: pd.DataFrame) -> bool:
        # features_df holds the utterances' rows in input order, keyed and without duplicates: then
        # a marker column in sorted order is that column taken in the sort order (what the join
        # in marker_flags gives, without the join).
        key = id(features_df)
        if key not in self._aligned:
            ok = (
                all(k in features_df.columns for k in _KEYS)
                and len(features_df) == len(self.utt)
                and not features_df.duplicated(_KEYS).any()
                and _same_keys(self.utt, features_df)
            )
            self._aligned[key] = bool(ok)
        return self._aligned[key]

    def flags(
        self, marker: str, features_df: pd.DataFrame | None, flags=None, *, required: bool = True
    ) -> np.ndarray:
        """``marker_flags(self.df, ...)`` as an array (the join done once per features table)."""
        col = f"m_{marker}"
        if flags is None and features_df is not None and col in features_df.columns and self._is_aligned(
            features_df
        ):
            values = features_df[col].to_numpy()[self.df.index.to_numpy()]
            return pd.array(pd.to_numeric(values), dtype="Float64").fillna(0).to_numpy(dtype=float) > 0
        return marker_flags(self.df, marker, features_df, flags, required=required).to_numpy()

    def finish(self, out: pd.DataFrame) -> pd.DataFrame:
        return out.sort_index().set_axis(self.orig_index)


def _prepare(utterances_df: pd.DataFrame, what: str, extra: Sequence[str] = ()) -> _Prepared:
    _check(utterances_df, what, extra)
    return _Prepared(utterances_df)
