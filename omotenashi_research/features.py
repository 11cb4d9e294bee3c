"""Utterance-level features (token counts and lexicon marker counts) and per-dialogue rates.

Feature table: one row per utterance, same index and order as the input, keyed by
``(corpus, dialogue_id, turn)`` (``role`` and ``lang`` are carried along: see
:data:`KEY_COLUMNS`).

===================  ========  =========================================================
column               dtype     meaning
===================  ========  =========================================================
corpus               object    as in the utterance table
dialogue_id          object    as in the utterance table
turn                 int64     as in the utterance table
role                 object    as in the utterance table
lang                 object    as in the utterance table
n_tokens             Int64     non-space, non-punctuation spaCy tokens (NA: unsupported lang)
m_<marker>           Int64     occurrences of the marker (:mod:`omotenashi_research.markers`)
===================  ========  =========================================================

``m_<marker>`` columns are the sorted union of the English and Japanese marker names
(:func:`feature_columns`), so the columns do not depend on which languages a table holds.
A marker without a lexicon in a row's language (``m_sonkeigo`` on English rows,
``m_pol_r_hedges`` on Japanese rows) is **0** on that row: the concept is absent from the
lexical inventory, so sums and rates over mixed tables stay defined. Use
``marker_names(lang)`` to tell "not defined" from "not found". Rows in languages other than
``ja``/``en`` get ``<NA>`` in ``n_tokens`` and every ``m_`` column, with a warning, never an
error.

Extension point: ``extract_features(..., context=True)`` appends the dialogue-context
features of :mod:`omotenashi_research.context` (``anticipation``, ``personalization``,
``phase``; NA on non-agent turns where the context module says so), computed from the
marker columns; see :func:`_add_context` to add more.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from omotenashi_research.markers.engine import get_matcher, iter_count_arrays
from omotenashi_research.markers.lexicon import marker_names
from omotenashi_research.nlp import SUPPORTED_LANGS
from omotenashi_research.schema import validate_utterances

__all__ = [
    "KEY_COLUMNS",
    "extract_features",
    "feature_columns",
    "iter_features",
    "rates",
]

# The key is (corpus, dialogue_id, turn); role and lang ride along for grouping.
KEY_COLUMNS: tuple[str, ...] = ("corpus", "dialogue_id", "turn", "role", "lang")
_KEYS = ["corpus", "dialogue_id", "turn"]


def feature_columns() -> list[str]:
    """Marker columns of every feature table: ``m_<marker>`` for the union of both languages.

    Examples
    --------
    >>> from omotenashi_research.features import feature_columns
    >>> "m_apology" in feature_columns()
    True
    """
    names = sorted(set().union(*(marker_names(lang) for lang in SUPPORTED_LANGS)))
    return [f"m_{m}" for m in names]


def _count_lang(
    texts: list[str], lang: str, *, batch_size: int, n_process: int, progress: bool | None, on_tokens=None
) -> tuple[np.ndarray, np.ndarray]:
    matcher = get_matcher(lang)
    ntok_parts, count_parts = [], []
    parts = iter_count_arrays(texts, lang, batch_size=batch_size, n_process=n_process, on_tokens=on_tokens)
    if progress is None:
        progress = len(texts) > 5000
    if progress:
        from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

        parts = tqdm(parts, total=-(-len(texts) // batch_size), desc=f"features {lang}", unit="batch")
    for ntok, counts in parts:
        ntok_parts.append(ntok)
        count_parts.append(counts)
    n_markers = len(matcher.markers)
    ntok = np.concatenate(ntok_parts) if ntok_parts else np.zeros(0, dtype=np.int64)
    counts = np.concatenate(count_parts) if count_parts else np.zeros((0, n_markers), dtype=np.int64)
    return ntok, counts


def extract_features(
    utterances: pd.DataFrame,
    *,
    markers: bool = True,
    batch_size: int = 1000,
    n_process: int = 1,
    progress: bool | None = None,
    context: bool = False,
    source: str | None = None,
) -> pd.DataFrame:
    """Token and marker counts for every utterance.

    Rows are processed by position, so repeated index labels (e.g. ``pd.concat`` of two loader
    outputs) are safe; the result carries the caller's index. Each text is normalised
    (:mod:`omotenashi_research.text`) and tokenised once; with ``context=True`` the context
    features reuse those tokens (:mod:`omotenashi_research.tokens`).

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table (:data:`omotenashi_research.schema.UTTERANCE_SCHEMA`); validated first.
    markers : bool
        Add the ``m_<marker>`` columns (False: keys, role, lang and ``n_tokens`` only).
    batch_size, n_process : int
        Texts per batch / worker processes for the marker engine.
    progress : bool, optional
        Progress bar; default only for more than 5,000 texts of a language.
    context : bool
        Also add dialogue-context features from ``omotenashi_research.context``. Rows in a
        language without lexicons have NA counts; context rules read them from their English side
        (``text_alt``/``lang_alt``, e.g. MAIA) when the table has one, else treat them as
        uninformative (:func:`omotenashi_research.context.analysis_texts`).
    source : str, optional
        Name of the data, used in validation errors.

    Returns
    -------
    pandas.DataFrame
        Feature table (see the module docstring); same index and row order as ``utterances``.

    Raises
    ------
    TranscriptValidationError
        When ``utterances`` breaks the schema (names rows and problems).

    Warns
    -----
    UserWarning
        For rows in languages without lexicons, and for rows whose script contradicts their
        ``lang`` (:func:`omotenashi_research.text.script_mismatch`: e.g. Japanese text labelled
        ``en``, which would get 0 markers), naming how many and the first row labels.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.features import extract_features
    >>> utt = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": [0, 1],
    ...                     "role": ["customer", "agent"], "speaker": None,
    ...                     "text": ["My order is late.", "I'm so sorry, let me check."], "lang": "en"})
    >>> extract_features(utt)[["turn", "n_tokens", "m_apology", "m_knowledge_gap"]].to_dict("list")
    {'turn': [0, 1], 'n_tokens': [4, 7], 'm_apology': [0, 1], 'm_knowledge_gap': [0, 1]}
    """
    return _extract(utterances, markers=markers, batch_size=batch_size, n_process=n_process,
                    progress=progress, context=context, source=source)


_STR = pd.StringDtype(na_value=np.nan)  # pandas' default string dtype ("str")


def _key_values(s: pd.Series):
    """``s.to_numpy()``, which the DataFrame constructor infers back to the same column; a column of
    the default string dtype is taken as it is (the same column, without a round trip through Python
    objects)."""
    return s.array if s.dtype == _STR else s.to_numpy()


def _extract(
    utterances: pd.DataFrame,
    *,
    markers: bool = True,
    batch_size: int = 1000,
    n_process: int = 1,
    progress: bool | None = None,
    context: bool = False,
    source: str | None = None,
    record: Sequence[str] = (),
    validated: bool = False,
) -> pd.DataFrame:
    """:func:`extract_features`; ``record``: token analyses to keep for later stages (tokens.KINDS);
    ``validated``: the caller has just validated ``utterances`` (skip the second check)."""
    from omotenashi_research.text import script_mismatch
    from omotenashi_research.tokens import recorder

    if not validated:
        validate_utterances(utterances, source=source)
    n = len(utterances)
    out = pd.DataFrame({c: _key_values(utterances[c]) for c in KEY_COLUMNS})
    out["turn"] = out["turn"].astype("int64")
    cols = ["n_tokens", *(feature_columns() if markers else [])]
    col_of = {c: j for j, c in enumerate(cols)}
    # Column-major: each output column below is a contiguous copy, not a strided gather.
    values = np.zeros((n, len(cols)), dtype=np.int64, order="F")
    # NA until counted (unsupported languages stay NA)
    missing = np.ones((n, len(cols)), dtype=bool, order="F")
    langs = utterances["lang"].to_numpy(dtype=object)
    texts = utterances["text"].to_numpy(dtype=object)
    where = f" in {source}" if source else ""
    is_lang = {lang: langs == lang for lang in SUPPORTED_LANGS}  # (elementwise ==: cheaper than np.isin)
    unsupported = ~np.logical_or.reduce(list(is_lang.values()))
    if unsupported.any():
        names = sorted({str(v) for v in langs[unsupported]})
        warnings.warn(
            f"{int(unsupported.sum())} utterances in languages without lexicons {names}{where}: their "
            f"features are NA (supported: {SUPPORTED_LANGS})",
            UserWarning,
            stacklevel=3,
        )
    odd = script_mismatch(list(texts), list(langs))
    if odd.any():
        first = utterances.index[odd][:5].tolist()
        warnings.warn(
            f"{int(odd.sum())} utterances{where} are written in a script that contradicts their lang "
            f"(e.g. Japanese text labelled 'en'), rows {first}: their markers will be missed; "
            "check the lang column",
            UserWarning,
            stacklevel=3,
        )
    need = list(record) + (["content"] if context else [])
    for lang in SUPPORTED_LANGS:
        pos = np.flatnonzero(is_lang[lang])
        if not len(pos):
            continue
        hook = recorder(lang, need) if need else None
        # Counts are a function of the text alone: count each distinct text once (templated turns,
        # repeated greetings) and spread the rows back.
        codes, distinct = pd.factorize(texts[pos])
        ntok, counts = _count_lang(
            list(distinct), lang, batch_size=batch_size, n_process=n_process, progress=progress,
            on_tokens=hook,
        )
        if len(distinct) < len(pos):
            ntok, counts = ntok[codes], counts[codes]
        if len(pos) == n:  # markers of the other language: 0 (module docstring)
            missing[:] = False
        else:
            missing[pos, :] = False
        values[pos, 0] = ntok
        if markers:
            names = get_matcher(lang).markers
            src = [k for k, m in enumerate(names) if f"m_{m}" in col_of]
            dst = [col_of[f"m_{names[k]}"] for k in src]
            if len(pos) == n:  # (one language: plain column slices, cheaper than np.ix_)
                values[:, dst] = counts[:, src]
            else:
                values[np.ix_(pos, dst)] = counts[:, src]
    # Each column is a contiguous slice of ``values``/``missing`` (column-major), used as it is:
    # a copy per column (and pandas' own copy of a dict of arrays) costs more than the counting.
    feats = pd.DataFrame(
        {c: pd.arrays.IntegerArray(values[:, j], missing[:, j]) for j, c in enumerate(cols)}, copy=False
    )
    out = pd.concat([out, feats], axis=1).set_axis(utterances.index)
    if context:
        out = _add_context(utterances, out)
    return out


def _add_context(utterances: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Extension point: dialogue-context features from :mod:`omotenashi_research.context`.

    Each added feature is one column computed from the utterances and the marker columns,
    aligned on the input index; add new ones here.
    """
    from functools import cache

    from omotenashi_research import context

    # The three share one check, sort and join of the utterances (what each public function would
    # redo); prepared on first use, so a clashing column is still reported before any work.
    prep = cache(lambda: context._prepare(utterances, "anticipation", ["text", "lang"]))
    parts = {
        "anticipation": lambda: context._anticipation(prep(), features, report_rules=False)["anticipation"],
        "personalization": lambda: context._personalization(prep(), features)["personalization"],
        "phase": lambda: context._dialogue_phase(prep(), features_df=features)["phase"],
    }
    out = features.copy()
    for name, compute in parts.items():
        if name in out.columns:
            raise ValueError(f"context feature {name!r} clashes with an existing column")
        col = compute()
        if not col.index.equals(out.index):
            raise ValueError(f"context feature {name!r} is not aligned with the utterances")
        out[name] = col.array  # positional: the index may repeat labels
    return out


def _dialogue_chunks(df: pd.DataFrame, chunksize: int) -> Iterator[pd.DataFrame]:
    """Chunks of about ``chunksize`` rows holding whole dialogues (a dialogue is never split)."""
    if not len(df):
        return
    code = df.groupby(["corpus", "dialogue_id"], sort=False, dropna=False).ngroup().to_numpy()
    order = np.argsort(code, kind="stable")  # identity when dialogues are contiguous (loaders)
    code = code[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    cut, begin = [], 0
    for s in starts[1:].tolist():
        if s - begin >= chunksize:
            cut.append(s)
            begin = s
    for a, b in zip([0, *cut], [*cut, len(df)], strict=True):
        yield df.iloc[order[a:b]]


def _whole_dialogues(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Re-cut a stream of chunks so that a dialogue running across a chunk boundary stays whole.

    The rows of the last dialogue of each chunk are held back and prepended to the next chunk
    (dialogues must be contiguous in the stream, as loaders write them).
    """
    carry: pd.DataFrame | None = None
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, pd.DataFrame):
            raise TypeError(f"chunk {i} is a {type(chunk).__name__}, expected a pandas DataFrame")
        if carry is not None and len(carry):
            chunk = pd.concat([carry, chunk])
        if not len(chunk):
            continue
        c = chunk["corpus"].to_numpy(dtype=object)
        d = chunk["dialogue_id"].to_numpy(dtype=object)
        last = (c == c[-1]) & (d == d[-1])
        carry = chunk[last]
        if (~last).any():
            yield chunk[~last]
    if carry is not None and len(carry):
        yield carry


def iter_features(
    utterances: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    chunksize: int = 5000,
    **kwargs,
) -> Iterator[pd.DataFrame]:
    """Stream feature tables chunk by chunk; memory does not grow with the corpus.

    Parameters
    ----------
    utterances : pandas.DataFrame or iterable of DataFrame
        One table, processed ``chunksize`` rows at a time, or an iterator of chunks (e.g. a
        loader's chunked reader), processed as given. With ``context=True`` chunks hold whole
        dialogues, so context features equal the one-call result: a table is cut at the first
        dialogue boundary at or after ``chunksize`` rows (a dialogue whose rows are not
        contiguous is gathered into one chunk), and in a stream the rows of a dialogue running
        across a chunk boundary are carried into the next chunk (dialogues must be contiguous
        in the stream, as loaders write them).
    chunksize : int
        Rows per chunk when ``utterances`` is one DataFrame.
    **kwargs
        Passed to :func:`extract_features` (``markers``, ``batch_size``, ...).

    Yields
    ------
    pandas.DataFrame
        The feature table of each chunk (with that chunk's index).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.features import iter_features
    >>> utt = pd.DataFrame({"corpus": "demo", "dialogue_id": "d1", "turn": range(5),
    ...                     "role": "agent", "speaker": None, "text": "Thank you!", "lang": "en"})
    >>> [len(f) for f in iter_features(utt, chunksize=2)]
    [2, 2, 1]
    >>> [len(f) for f in iter_features(utt, chunksize=2, context=True)]  # one dialogue: one chunk
    [5]
    """
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    if isinstance(utterances, pd.DataFrame):
        if kwargs.get("context"):
            chunks: Iterable[pd.DataFrame] = _dialogue_chunks(utterances, chunksize)
        else:  # counts are per utterance: plain row chunks keep memory bounded even for one huge dialogue
            chunks = (utterances.iloc[i : i + chunksize] for i in range(0, len(utterances), chunksize))
    elif kwargs.get("context"):
        chunks = _whole_dialogues(utterances)
    else:
        chunks = utterances
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, pd.DataFrame):
            raise TypeError(f"chunk {i} is a {type(chunk).__name__}, expected a pandas DataFrame")
        kwargs.setdefault("progress", False)
        yield extract_features(chunk, source=kwargs.pop("source", None) or f"chunk {i}", **kwargs)


def rates(
    features: pd.DataFrame,
    per: Sequence[str] = ("agent_turn", "100_tokens"),
) -> pd.DataFrame:
    """Per-dialogue marker rates over agent turns.

    Parameters
    ----------
    features : pandas.DataFrame
        A feature table from :func:`extract_features` (needs ``corpus``, ``dialogue_id``,
        ``role``, ``n_tokens`` and ``m_*`` columns).
    per : sequence of {"agent_turn", "100_tokens"}
        ``"agent_turn"``: marker occurrences in agent turns / number of agent turns
        (column ``m_<marker>_per_turn``); ``"100_tokens"``: occurrences in agent turns per
        100 agent tokens (column ``m_<marker>_per_100tok``).

    Returns
    -------
    pandas.DataFrame
        One row per ``(corpus, dialogue_id)`` in first-appearance order, with ``lang`` (the
        dialogue's language, ``"mixed"`` if several), ``n_turns`` (agent turns),
        ``n_tokens`` (agent tokens) and the rate columns (float; NaN when the denominator
        is 0, e.g. a dialogue without agent turns, or when counts are NA). Customer
        turns never enter the numerators.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.features import rates
    >>> f = pd.DataFrame({"corpus": "c", "dialogue_id": "d", "turn": [0, 1, 2],
    ...                   "role": ["agent", "customer", "agent"], "lang": "en",
    ...                   "n_tokens": [10, 5, 10], "m_apology": [1, 3, 0]})
    >>> rates(f).loc[0, ["m_apology_per_turn", "m_apology_per_100tok"]].tolist()
    [0.5, 5.0]
    """
    need = ["corpus", "dialogue_id", "role", "n_tokens"]
    missing = [c for c in need if c not in features.columns]
    if missing:
        raise ValueError(f"features is missing column(s) {missing}; pass the output of extract_features")
    per = [per] if isinstance(per, str) else list(per)
    suffix = {"agent_turn": "per_turn", "100_tokens": "per_100tok"}
    bad = [p for p in per if p not in suffix]
    if bad:
        raise ValueError(f"unknown rate denominator(s) {bad}; choose from {sorted(suffix)}")
    keys = ["corpus", "dialogue_id"]
    mcols = [c for c in features.columns if c.startswith("m_")]
    out = features[keys].drop_duplicates().reset_index(drop=True)
    if "lang" in features.columns:
        lang = features["lang"]
        if isinstance(lang.dtype, pd.StringDtype) and lang.notna().all():
            # The usual case, vectorised (a Python call per dialogue took seconds on 20,000
            # utterances): a string column keeps its dtype either way, and without NA the first
            # row's lang and the distinct count mean the same as in the general rule below.
            g = features.groupby(keys, sort=False)
            gid = g.ngroup().to_numpy()
            rows = np.flatnonzero(gid >= 0)
            _, first = np.unique(gid[rows], return_index=True)  # group ids follow first appearance
            n_unique = g["lang"].nunique()
            first_lang = lang.iloc[rows[first]].set_axis(n_unique.index)
            langs = first_lang.where(n_unique.to_numpy() == 1, "mixed").rename("lang")
        else:
            langs = features.groupby(keys, sort=False)["lang"].agg(
                lambda s: s.iloc[0] if s.nunique() == 1 else "mixed"
            )
        out = out.join(langs, on=keys)
    agent = features[features["role"] == "agent"]
    idx = pd.MultiIndex.from_frame(out[keys])
    sums, n_turns = _agent_sums(agent, keys, ["n_tokens", *mcols], idx)
    out["n_turns"] = n_turns.to_numpy()
    out["n_tokens"] = sums["n_tokens"].fillna(0).astype("float64").to_numpy()
    # On numpy arrays (the Series' values; NA as NaN): a Series operation per marker copies the
    # MultiIndex each time, which cost more than the division.
    num = {c: sums[c].to_numpy(dtype="float64", na_value=np.nan) for c in mcols}
    cols = {}
    for p in per:
        if p == "agent_turn":
            den = n_turns.to_numpy(dtype="float64")
        else:
            den = sums["n_tokens"].to_numpy(dtype="float64", na_value=np.nan) / 100
        den = np.where(den > 0, den, np.nan)  # Series.where(den > 0): NaN without an opportunity
        with np.errstate(divide="ignore", invalid="ignore"):  # (pandas divides silently too)
            for c in mcols:
                cols[f"{c}_{suffix[p]}"] = num[c] / den
    # One concat, not a column insert per marker (~100 markers would fragment the frame).
    return pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)


def _agent_sums(
    agent: pd.DataFrame, keys: list[str], cols: list[str], idx: pd.MultiIndex
) -> tuple[pd.DataFrame, pd.Series]:
    """Per dialogue (rows of ``idx``): the sums of ``cols`` over ``agent`` rows (Float64; NA when a
    dialogue has no non-NA value, min_count=1) and the number of agent rows (int64)."""
    # (a missing key is a group of its own here but dropped by groupby: the general path decides)
    if all(_sums_exactly(agent[c]) for c in cols) and not agent[keys].isna().any().any():
        return _agent_sums_int(agent, keys, cols, idx)
    return _agent_sums_pandas(agent, keys, cols, idx)


_EXACT_SUM = 2.0**52  # float64 holds every integer up to 2**53: totals below half that are exact (a margin)


def _sums_exactly(s: pd.Series) -> bool:
    """Whether any order of summing ``s``'s non-missing values gives the same float64: integer
    columns, and float64 columns of whole numbers >= 0 (no negative zero) whose total stays below
    2**52 (the float counts dialogue_features passes; every partial sum is then an exact integer)."""
    if pd.api.types.is_integer_dtype(s.dtype):
        return True
    if not (isinstance(s.dtype, np.dtype) and s.dtype == np.float64):
        return False
    v = s.to_numpy()
    v = v[~np.isnan(v)]
    return bool((v >= 0).all() and not np.signbit(v).any() and (v == np.floor(v)).all()
                and v.sum() < _EXACT_SUM)


def _agent_sums_pandas(
    agent: pd.DataFrame, keys: list[str], cols: list[str], idx: pd.MultiIndex
) -> tuple[pd.DataFrame, pd.Series]:
    num = agent[[*keys, *cols]].copy()
    for c in cols:
        num[c] = pd.to_numeric(num[c]).astype("Float64")
    g = num.groupby(keys, sort=False)
    # min_count=1: an all-NA group (unsupported language) stays NA instead of summing to 0.
    sums = g[cols].sum(min_count=1)
    n_turns = g.size()
    sums = sums.reindex(idx)
    n_turns = n_turns.reindex(idx).fillna(0).astype("int64")
    return sums, n_turns


def _agent_sums_int(
    agent: pd.DataFrame, keys: list[str], cols: list[str], idx: pd.MultiIndex
) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`_agent_sums_pandas` for integer columns (what extract_features gives) and float64 columns
    of whole numbers (:func:`_sums_exactly`; NaN is missing) with one bincount per column instead of
    a Float64 conversion and a groupby per column: integer sums are exact in float64, so the order
    of summation cannot change them."""
    n = len(idx)
    pos = idx.get_indexer(pd.MultiIndex.from_frame(agent[keys])) if len(agent) else np.zeros(0, np.int64)
    data = {}
    for c in cols:
        arr = agent[c].array
        if isinstance(arr, pd.arrays.IntegerArray):
            vals, na = arr.to_numpy(dtype="float64", na_value=0.0), arr.isna()
        else:  # numpy integers (never NaN) or float64 (NaN: missing, as the Float64 conversion makes it)
            vals = agent[c].to_numpy(dtype="float64")
            na = np.isnan(vals)
        total = np.bincount(pos, weights=np.where(na, 0.0, vals), minlength=n).astype("float64")
        seen = np.bincount(pos, weights=(~na).astype("float64"), minlength=n)
        data[c] = pd.arrays.FloatingArray(total, seen == 0)
    sums = pd.DataFrame(data, index=idx)
    n_turns = pd.Series(np.bincount(pos, minlength=n).astype("int64"), index=idx)
    return sums, n_turns
