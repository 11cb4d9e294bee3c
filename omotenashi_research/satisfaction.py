"""Building blocks of satisfaction analyses: who said what before a rating, how far raters agree.

Satisfaction corpora (USS: one rating per customer turn and per dialogue, each from 3-7 raters) are
analysed at two levels, and each level needs a table built the same way every time:

* :func:`dialogue_exposure` -- one row per dialogue: the **share of agent turns** that carry each
  construct (``c_<label>`` flags of :func:`omotenashi_research.constructs.construct_flags`), the number of
  agent turns and the dialogue rating;
* :func:`turn_exposure` -- one row per rated customer turn that **directly follows an agent turn**, with
  that agent turn's flags as ``prev_<label>`` (0/1): "what came right before this rating";
* :func:`vote_agreement` / :func:`satisfaction_agreement` -- Fleiss' kappa and ordinal Krippendorff's
  alpha of the individual votes, per group and pooled: does the rating measure something?
* :func:`effect_verdicts` -- a verdict per tested association from its adjusted p-value, the expected
  direction, how wide its interval is and how well its measure is validated;
* :func:`zscore` -- standardise predictors (optionally with another table's mean and SD, so a
  prediction grid in raw units lands on the fitted scale).

All functions take and return tidy DataFrames with the project's column vocabulary (``corpus,
dialogue_id, turn, role``; ``sat_turn``, ``sat_dialogue`` and their ``*_votes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError

__all__ = [
    "SatisfactionInputError",
    "dialogue_exposure",
    "effect_verdicts",
    "satisfaction_agreement",
    "turn_exposure",
    "vote_agreement",
    "zscore",
]

_KEYS = ["corpus", "dialogue_id", "turn"]


class SatisfactionInputError(OmotenashiError, ValueError):
    """Input of a satisfaction table is unusable (missing column, duplicate turn, misaligned flags)."""


def _require(df: pd.DataFrame, columns: Iterable[str], what: str, name: str = "table") -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SatisfactionInputError(f"{what}: {name} lacks column(s) {missing} "
                                     f"(has {list(df.columns)[:15]})")


def _flag_columns(flags: pd.DataFrame, columns: Sequence[str] | None, what: str) -> list[str]:
    cols = list(columns) if columns is not None else [c for c in flags.columns if c.startswith("c_")]
    if not cols:
        raise SatisfactionInputError(f"{what}: no flag columns (give columns=, or c_<label> columns)")
    _require(flags, cols, what, "flags")
    return cols


def _aligned_flags(utterances: pd.DataFrame, flags: pd.DataFrame, cols: list[str], what: str) -> pd.DataFrame:
    """0/1 flags row-aligned with ``utterances``; NA allowed only on non-agent rows."""
    if len(flags) != len(utterances) or not flags.index.equals(utterances.index):
        raise SatisfactionInputError(f"{what}: flags must have the same index as the utterances "
                                     f"({len(flags)} vs {len(utterances)} rows); pass construct_flags(utts)")
    out = pd.DataFrame(index=utterances.index)
    agent = (utterances["role"] == "agent").to_numpy()
    for c in cols:
        v = pd.to_numeric(flags[c], errors="coerce")
        na_agent = v.isna().to_numpy() & agent
        if na_agent.any():
            row = utterances.index[np.flatnonzero(na_agent)[0]]
            key = _key(utterances, row)
            raise SatisfactionInputError(
                f"{what}: flag {c!r} is missing on agent turn {key} ({int(na_agent.sum())} agent row(s)): a "
                "language without a construct model? An unmeasured turn cannot count as 'absent'")
        bad = v.notna() & ~v.isin((0, 1)) & ~(v > 0)
        if bad.any():
            raise SatisfactionInputError(f"{what}: flag {c!r} has negative values, e.g. row {bad.idxmax()!r}")
        out[c] = (v.fillna(0) > 0).astype(int)
    return out


def _key(utterances: pd.DataFrame, row: object) -> tuple:
    """(corpus, dialogue_id, turn) of a row as plain Python values, for messages."""
    return tuple(v.item() if isinstance(v, np.generic) else v for v in utterances.loc[row, _KEYS])


def _check_unique_turns(utterances: pd.DataFrame, what: str) -> None:
    dup = utterances.duplicated(_KEYS, keep=False)
    if dup.any():
        key = _key(utterances, utterances.index[np.flatnonzero(dup.to_numpy())[0]])
        raise SatisfactionInputError(f"{what}: turn {key} occurs {int(dup.sum())} times in total for "
                                     "duplicated keys; each (corpus, dialogue_id, turn) must be unique")


def _label(col: str) -> str:
    return col.removeprefix("c_").removeprefix("m_")


def turn_exposure(
    utterances: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    outcome: str = "sat_turn",
) -> pd.DataFrame:
    """Rated customer turns with the flags of the agent turn **directly before** them.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table with ``corpus, dialogue_id, turn, role`` and the ``outcome`` column.
    flags : pandas.DataFrame
        Same index as ``utterances``: 0/1 (or counts, read as > 0) per agent turn, e.g. the ``c_<label>``
        columns of :func:`~omotenashi_research.constructs.construct_flags`. NA is allowed on customer
        rows only (an agent turn with a missing flag was not measured, and is refused).
    columns : sequence of str, optional
        Flag columns to carry (default: every ``c_<label>`` column).
    outcome : str
        Rating column of the customer turn.

    Returns
    -------
    pandas.DataFrame
        One row per customer turn whose preceding turn (``turn - 1`` of the same dialogue) exists and is
        an agent turn, sorted by ``corpus, dialogue_id, turn``: ``corpus, dialogue_id, turn, <outcome>``
        and ``prev_<label>`` (int 0/1; ``c_`` / ``m_`` prefixes dropped). Customer turns after a gap
        (a line dropped by the loader) or after another customer turn are left out: their "previous
        agent turn" is not what the rater saw last.

    Raises
    ------
    SatisfactionInputError
        Missing columns, duplicated turns, flags not aligned with the utterances, or a missing flag on
        an agent turn.

    Examples
    --------
    >>> import pandas as pd
    >>> utts = pd.DataFrame({"corpus": "toy", "dialogue_id": "d1", "turn": [0, 1, 2, 3, 5],
    ...                      "role": ["agent", "customer", "customer", "agent", "customer"],
    ...                      "sat_turn": [None, 3, 2, None, 4]})
    >>> flags = pd.DataFrame({"c_apology": [1, None, None, 0, None]})
    >>> turn_exposure(utts, flags)
      corpus dialogue_id  turn  sat_turn  prev_apology
    0    toy          d1     1       3.0             1
    """
    what = "turn_exposure"
    _require(utterances, [*_KEYS, "role", outcome], what, "utterances")
    cols = _flag_columns(flags, columns, what)
    _check_unique_turns(utterances, what)
    f = _aligned_flags(utterances, flags, cols, what)
    tab = pd.concat([utterances[[*_KEYS, "role", outcome]], f], axis=1)
    tab = tab.sort_values(_KEYS, kind="mergesort")
    prev = tab.groupby(["corpus", "dialogue_id"], sort=False).shift(1)
    keep = ((tab["role"] == "customer") & (prev["role"] == "agent")
            & (prev["turn"] == tab["turn"] - 1)).to_numpy()
    out = tab.loc[keep, [*_KEYS, outcome]].copy()
    for c in cols:
        out[f"prev_{_label(c)}"] = prev.loc[keep, c].astype(int)
    return out.reset_index(drop=True)


def dialogue_exposure(
    utterances: pd.DataFrame,
    flags: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    outcome: str | None = "sat_dialogue",
) -> pd.DataFrame:
    """Per dialogue, the share of agent turns that carry each construct.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table with ``corpus, dialogue_id, turn, role`` (and ``outcome``).
    flags : pandas.DataFrame
        Same index as ``utterances`` (see :func:`turn_exposure`).
    columns : sequence of str, optional
        Flag columns (default: every ``c_<label>`` column).
    outcome : str or None
        Dialogue-level rating column to carry (its first value per dialogue); None for none.

    Returns
    -------
    pandas.DataFrame
        One row per dialogue with at least one agent turn, sorted by ``corpus, dialogue_id``:
        ``corpus, dialogue_id, n_agent_turns, [outcome], <label>_share`` (share of the dialogue's agent
        turns flagged, in [0, 1]) and ``<label>_any`` (0/1: at least one flagged turn). Dialogues
        without agent turns have no share and are left out (their number is in ``attrs["no_agent_turns"]``).

    Examples
    --------
    >>> import pandas as pd
    >>> utts = pd.DataFrame({"corpus": "toy", "dialogue_id": ["a"] * 4 + ["b"] * 2,
    ...                      "turn": [0, 1, 2, 3, 0, 1], "role": ["customer", "agent"] * 3,
    ...                      "sat_dialogue": [4] * 4 + [2] * 2})
    >>> flags = pd.DataFrame({"c_empathy": [None, 1, None, 0, None, 0]})
    >>> dialogue_exposure(utts, flags)[["dialogue_id", "n_agent_turns", "sat_dialogue", "empathy_share"]]
      dialogue_id  n_agent_turns  sat_dialogue  empathy_share
    0           a              2             4            0.5
    1           b              1             2            0.0
    """
    what = "dialogue_exposure"
    _require(utterances, [*_KEYS, "role", *([outcome] if outcome else [])], what, "utterances")
    cols = _flag_columns(flags, columns, what)
    _check_unique_turns(utterances, what)
    f = _aligned_flags(utterances, flags, cols, what)
    keys = ["corpus", "dialogue_id"]
    agent = utterances["role"] == "agent"
    tab = pd.concat([utterances.loc[agent, keys], f.loc[agent]], axis=1)
    g = tab.groupby(keys, sort=True)
    out = g.size().rename("n_agent_turns").to_frame()
    if outcome:
        out[outcome] = utterances.groupby(keys, sort=True)[outcome].first().reindex(out.index)
    shares = g[cols].mean()
    for c in cols:
        out[f"{_label(c)}_share"] = shares[c].astype(float)
    for c in cols:
        out[f"{_label(c)}_any"] = (shares[c] > 0).astype(int)
    out = out.reset_index()
    all_dialogues = utterances[keys].drop_duplicates()
    out.attrs["no_agent_turns"] = int(len(all_dialogues) - len(out))
    return out


def zscore(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    reference: pd.DataFrame | None = None,
    suffix: str = "_z",
) -> pd.DataFrame:
    """Add standardised copies ``<column><suffix> = (x - mean) / SD`` of numeric columns.

    Parameters
    ----------
    df : pandas.DataFrame
    columns : sequence of str
        Numeric columns to standardise.
    reference : pandas.DataFrame, optional
        Table whose mean and SD (``ddof=1``) are used (default: ``df`` itself). Pass the fitted data to
        put a prediction grid given in raw units on the model's scale.
    suffix : str
        Appended to each column name (``""`` replaces the columns).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the standardised columns; ``attrs["zscore"]`` holds ``{column: (mean, sd)}``.

    Raises
    ------
    SatisfactionInputError
        A missing or non-numeric column, missing values, or a constant column (SD 0: no scale).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    >>> zscore(d, ["x"])["x_z"].tolist()
    [-1.0, 0.0, 1.0]
    >>> zscore(pd.DataFrame({"x": [4.0]}), ["x"], reference=d)["x_z"].tolist()  # mean 2, SD 1
    [2.0]
    """
    what = "zscore"
    ref = df if reference is None else reference
    _require(df, columns, what, "data")
    _require(ref, columns, what, "reference")
    out = df.copy()
    params: dict[str, tuple[float, float]] = {}
    for c in columns:
        for name, t in (("data", df), ("reference", ref)):
            if not pd.api.types.is_numeric_dtype(t[c]):
                raise SatisfactionInputError(f"{what}: column {c!r} of the {name} is not numeric "
                                             f"({t[c].dtype})")
            if t[c].isna().any():
                raise SatisfactionInputError(f"{what}: column {c!r} of the {name} has missing values, "
                                             f"e.g. row {t[c].isna().idxmax()!r}")
        x = ref[c].astype(float)
        mean, sd = float(x.mean()), float(x.std(ddof=1))
        if not np.isfinite(sd) or sd == 0:
            where = "data" if reference is None else "reference"
            raise SatisfactionInputError(f"{what}: column {c!r} is constant (or has < 2 rows) in the "
                                         f"{where}: no scale to divide by")
        out[f"{c}{suffix}"] = (df[c].astype(float) - mean) / sd
        params[c] = (mean, sd)
    out.attrs["zscore"] = params
    return out


def vote_agreement(
    items: pd.DataFrame,
    votes: str,
    *,
    by: str | None = None,
    categories: Sequence = (1, 2, 3, 4, 5),
    pooled: str | None = "all",
) -> pd.DataFrame:
    """Agreement of individual rating votes: Fleiss' kappa (nominal) and Krippendorff's alpha (ordinal).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per rated item; ``votes`` holds a list of that item's votes.
    votes : str
        Column with the vote lists (e.g. ``sat_turn_votes``).
    by : str, optional
        Group column (e.g. ``corpus``): one row per group.
    categories : sequence
        The rating scale, lowest first (also the ordinal order for alpha).
    pooled : str or None
        Label of an extra row over all items (None: no pooled row).

    Returns
    -------
    pandas.DataFrame
        ``[by], items, votes_per_item ("min-max"), observed_agreement, fleiss_kappa,
        kripp_alpha_ordinal``. Kappa is 0 at chance agreement and 1 when all votes agree; ordinal alpha
        credits near-misses (3 vs 4 costs less than 1 vs 5).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"v": [[1, 1, 1], [2, 2, 2], [3, 3, 3]]})
    >>> a = vote_agreement(t, "v", categories=[1, 2, 3])
    >>> int(a.loc[0, "items"]), float(a.loc[0, "fleiss_kappa"]), float(a.loc[0, "kripp_alpha_ordinal"])
    (3, 1.0, 1.0)
    """
    from omotenashi_research.stats import fleiss_kappa, krippendorff_alpha

    what = "vote_agreement"
    _require(items, [votes, *([by] if by else [])], what, "items")
    bad = items[votes].map(lambda v: not isinstance(v, (list, tuple, np.ndarray)))
    if bad.any():
        row = bad.idxmax()
        raise SatisfactionInputError(f"{what}: column {votes!r} must hold a list of votes per item; row "
                                     f"{row!r} holds {type(items.loc[row, votes]).__name__}")

    def one(v: pd.Series, group: object) -> dict:
        try:
            kappa = fleiss_kappa(list(v), categories=categories).iloc[0]
            alpha = krippendorff_alpha(list(v), level="ordinal", value_domain=categories).iloc[0]
        except ValueError as exc:  # too few items, a vote outside the scale: say which group
            raise SatisfactionInputError(f"{what}: column {votes!r}, group {group!r}: {exc}") from exc
        return {"items": int(kappa["n_items"]),
                "votes_per_item": f"{kappa['min_raters']}-{kappa['max_raters']}",
                "observed_agreement": float(kappa["p_observed"]), "fleiss_kappa": float(kappa["kappa"]),
                "kripp_alpha_ordinal": float(alpha["alpha"])}

    rows = []
    if by:
        for key, g in items.groupby(by, sort=True):
            rows.append({by: key, **one(g[votes], key)})
    if pooled is not None or not by:
        rows.append({**({by: pooled} if by else {}), **one(items[votes], pooled or "all items")})
    return pd.DataFrame(rows)


def satisfaction_agreement(utterances: pd.DataFrame, *, by: str = "corpus") -> pd.DataFrame:
    """:func:`vote_agreement` of the customer-turn and the dialogue ratings of a USS-style table.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table with ``sat_turn_votes`` (customer rows) and ``sat_dialogue_votes`` (repeated on
        every row of a dialogue), as returned by :func:`~omotenashi_research.datasets.load_uss`.
    by : str
        Group column; a pooled row ``"all"`` is added per level.

    Returns
    -------
    pandas.DataFrame
        ``level`` (``"customer turn"`` or ``"dialogue"``), ``by`` and the columns of
        :func:`vote_agreement`.

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"corpus": "toy", "dialogue_id": ["a", "a", "b", "b"], "turn": [0, 1, 0, 1],
    ...                   "role": ["customer", "agent"] * 2,
    ...                   "sat_turn_votes": [[3, 3, 4], None, [2, 2, 2], None],
    ...                   "sat_dialogue_votes": [[3, 3, 3]] * 2 + [[4, 4, 4]] * 2})
    >>> satisfaction_agreement(u)[["level", "corpus", "items"]].values.tolist()
    [['customer turn', 'toy', 2], ['customer turn', 'all', 2], ['dialogue', 'toy', 2], ['dialogue', 'all', 2]]
    """
    _require(utterances, ["dialogue_id", "role", by, "sat_turn_votes", "sat_dialogue_votes"],
             "satisfaction_agreement", "utterances")
    turns = utterances[utterances["role"] == "customer"]
    # dialogue ids repeat across corpora: a dialogue is (corpus, dialogue_id) where there is a corpus
    dialogues = utterances.drop_duplicates([c for c in ("corpus", "dialogue_id") if c in utterances.columns])
    parts = [vote_agreement(turns, "sat_turn_votes", by=by).assign(level="customer turn"),
             vote_agreement(dialogues, "sat_dialogue_votes", by=by).assign(level="dialogue")]
    out = pd.concat(parts, ignore_index=True)
    return out[["level", *[c for c in out.columns if c != "level"]]]


def effect_verdicts(
    effects: pd.DataFrame,
    *,
    alpha: float = 0.05,
    negligible: float = 1.2,
    min_precision: float = 0.5,
) -> pd.DataFrame:
    """Verdict on each hypothesised association, from ratio effects with adjusted p-values.

    Parameters
    ----------
    effects : pandas.DataFrame
        One row per test: ``ratio, ratio_ci_low, ratio_ci_high`` (odds or rate ratio and its CI),
        ``p_adj`` (p-value adjusted over the family) and ``expected`` (``"above 1"`` or ``"below 1"``:
        the direction the hypothesis predicts); optionally ``precision`` (the measure's validated
        precision; NaN = not validated).
    alpha : float
        Level for the adjusted p-value.
    negligible : float
        Ratios within ``[1 / negligible, negligible]`` count as negligible (default 1.2, about a
        standardised difference of 0.1 for an odds ratio: ``ln(1.2) * sqrt(3) / pi``).
    min_precision : float
        A measure whose validated precision is below this flags mostly something else: its rows are
        ``"inconclusive"`` whatever the statistics say.

    Returns
    -------
    pandas.DataFrame
        ``effects`` with ``verdict`` and ``verdict_reason``. Rules, first match wins:

        1. precision < ``min_precision`` -> ``inconclusive`` (the measure is not trustworthy);
        2. ``p_adj < alpha`` in the expected direction -> ``supported``;
        3. ``p_adj < alpha`` in the other direction -> ``not supported`` (opposite association);
        4. CI inside the negligible band -> ``not supported`` (any effect is negligible);
        5. otherwise -> ``inconclusive`` (CI compatible with no effect and with a non-negligible one).

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"ratio": [1.5, 0.5, 1.02, 1.3], "ratio_ci_low": [1.2, 0.4, 0.95, 0.8],
    ...                   "ratio_ci_high": [1.9, 0.6, 1.1, 2.1], "p_adj": [0.001, 0.001, 0.8, 0.6],
    ...                   "expected": "above 1"})
    >>> effect_verdicts(e)["verdict"].tolist()
    ['supported', 'not supported', 'not supported', 'inconclusive']
    """
    what = "effect_verdicts"
    _require(effects, ["ratio", "ratio_ci_low", "ratio_ci_high", "p_adj", "expected"], what, "effects")
    bad = ~effects["expected"].isin(("above 1", "below 1"))
    if bad.any():
        raise SatisfactionInputError(f"{what}: 'expected' must be 'above 1' or 'below 1'; row "
                                     f"{bad.idxmax()!r} has {effects.loc[bad.idxmax(), 'expected']!r}")
    if negligible <= 1:
        raise SatisfactionInputError(f"{what}: negligible must be > 1 (a ratio), got {negligible}")
    verdicts, reasons = [], []
    prec = effects["precision"] if "precision" in effects.columns else pd.Series(np.nan, index=effects.index)
    for (_, r), pr in zip(effects.iterrows(), prec, strict=True):
        up = r["expected"] == "above 1"
        if pd.notna(pr) and pr < min_precision:
            verdicts.append("inconclusive")
            reasons.append(f"validated precision {pr:.2f} < {min_precision}: most flagged turns are not the "
                           "construct")
        elif r["p_adj"] < alpha and (r["ratio"] > 1) == up:
            verdicts.append("supported")
            reasons.append(f"adjusted p < {alpha} in the expected direction")
        elif r["p_adj"] < alpha:
            verdicts.append("not supported")
            reasons.append(f"adjusted p < {alpha} in the opposite direction")
        elif r["ratio_ci_low"] >= 1 / negligible and r["ratio_ci_high"] <= negligible:
            verdicts.append("not supported")
            reasons.append(f"CI within [{1 / negligible:.2f}, {negligible:.2f}]: any effect is negligible")
        else:
            verdicts.append("inconclusive")
            reasons.append("CI compatible with no effect and with a non-negligible one")
    return effects.assign(verdict=verdicts, verdict_reason=reasons)
