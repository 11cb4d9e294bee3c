"""Japanese vs English service talk: one table of agent turns, the same constructs in both languages,
and hypothesis tests that end in a verdict.

Notebook ``02_japanese_vs_english`` runs on this module. The unit of measurement is the agent turn,
the unit of analysis the dialogue (turns of one dialogue are not independent):

* :func:`agent_turns` puts the validated construct flags (``constructs.construct_flags``) of every
  agent turn into one table, plus two *form* columns that exist in both languages:
  ``politeness_form`` (Japanese: a respectful or humble form, sonkeigo or kenjougo; English: a
  deferential form, codebook "deference") and, Japanese only, the ordinal ``keigo_level``
  (plain < polite < honorific);
* :func:`form_profile` gives the share of agent turns at each keigo level (Japanese) and with a
  deferential form (English), per corpus or per operator;
* :func:`evaluate_hypotheses` compares two groups of dialogues on a family of constructs
  (:func:`omotenashi_research.stats.compare.compare_groups`: ratio of the shares of agent turns,
  cluster-bootstrap interval over dialogues, family-wise adjustment) and gives each hypothesis a
  verdict (:func:`verdict`);
* :func:`describe_groups` is the descriptive counterpart for two *people* (ASDC's two operators):
  shares and their difference, no test;
* :func:`findings_rows` turns both into rows for :func:`omotenashi_research.findings.write_findings`,
  with the validated precision and recall of every measure used beside the effect.

Why a *politeness form* and not "politeness": Japanese marks deference in verb morphology (敬語) that
English lacks, so the English side of the same construct is lexical ("would you mind", "may I",
"sir"). The two are the codebook's paired construct (``docs/codebook.md``, *politeness form*), but they
do not translate into each other sentence by sentence (parallel-text check in ``docs/validation.md``):
their cross-language ratio describes the languages as much as the agents, and is reported as
descriptive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError

__all__ = [
    "EQUIVALENCE_RATIO",
    "KEIGO_LEVELS",
    "LANGUAGE_HYPOTHESES",
    "POLITENESS_FORM_HYPOTHESIS",
    "CrossLanguageError",
    "Hypothesis",
    "agent_turns",
    "describe_groups",
    "descriptive_rows",
    "findings_rows",
    "form_profile",
    "evaluate_hypotheses",
    "verdict",
]

_KEYS = ["corpus", "dialogue_id", "turn"]
#: Ordered keigo levels of a Japanese agent turn.
KEIGO_LEVELS: tuple[str, ...] = ("plain", "polite", "honorific")
#: Smallest ratio of shares that matters: a difference inside [0.8, 1.25] (the 80-125 % convention of
#: equivalence testing) counts as "no difference worth the name", so a precise null result is
#: "not supported" rather than "inconclusive".
EQUIVALENCE_RATIO: tuple[float, float] = (0.8, 1.25)
#: Which validated construct columns make up the politeness form in each language.
POLITENESS_FORM: dict[str, tuple[str, ...]] = {"ja": ("c_sonkeigo", "c_kenjougo"), "en": ("c_deference",)}


class CrossLanguageError(OmotenashiError, ValueError):
    """Input to the cross-language analysis is unusable; the message names the column or hypothesis."""


@dataclass(frozen=True)
class Hypothesis:
    """One directional hypothesis about a construct column of :func:`agent_turns`.

    ``direction`` is the predicted sign of group1 vs group2 (``"greater"``: group1 has the larger share);
    ``quality`` lists the validated measures behind the column as ``(column, lang)`` pairs, read by
    :func:`omotenashi_research.findings.quality_text`. A ``descriptive`` hypothesis gets its estimate and
    interval but no p-value and no verdict (it is left out of the adjusted family): for contrasts whose
    measures are not equivalent across the groups.
    """

    id: str
    text: str
    column: str
    direction: Literal["greater", "less"] = "greater"
    quality: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    descriptive: bool = False

    def __post_init__(self) -> None:
        if self.direction not in ("greater", "less"):
            raise CrossLanguageError(f"hypothesis {self.id!r}: direction must be 'greater' or 'less', "
                                     f"got {self.direction!r}")


def _both(column: str) -> tuple[tuple[str, str], ...]:
    return ((column, "ja"), (column, "en"))


#: The family tested Japanese vs English (group1 = ja). Omotenashi's claims: more gratitude and apology,
#: more empathy, anticipation of needs, ownership of the problem, personal touches, fewer deflections.
LANGUAGE_HYPOTHESES: tuple[Hypothesis, ...] = (
    Hypothesis("H1-apology", "Japanese agents apologise in more of their turns", "c_apology",
               quality=_both("c_apology")),
    Hypothesis("H2-gratitude", "Japanese agents thank in more of their turns", "c_gratitude",
               quality=_both("c_gratitude")),
    Hypothesis("H3-empathy", "Japanese agents express empathy in more of their turns", "c_empathy",
               quality=_both("c_empathy")),
    Hypothesis("H4-anticipation", "Japanese agents anticipate needs (unasked offers) in more turns",
               "c_anticipation", quality=_both("c_anticipation")),
    Hypothesis("H5-ownership", "Japanese agents take ownership in more of their turns", "c_ownership",
               quality=_both("c_ownership")),
    Hypothesis("H6-personalization", "Japanese agents personalise more of their turns", "c_personalization",
               quality=_both("c_personalization")),
    Hypothesis("H7-deflection", "Japanese agents deflect (send the customer elsewhere) in fewer turns",
               "c_deflection", direction="less", quality=_both("c_deflection")),
)

#: Keigo vs English deference: the codebook's paired construct, but not equivalent across languages.
POLITENESS_FORM_HYPOTHESIS = Hypothesis(
    "H8-politeness-form", "Japanese agents use a deferential form (sonkeigo/kenjougo vs English deference) "
    "in more of their turns", "politeness_form",
    quality=(("c_sonkeigo", "ja"), ("c_kenjougo", "ja"), ("c_deference", "en")), descriptive=True)


# --------------------------------------------------------------------------------------------------
# the turn table


def agent_turns(utterances: pd.DataFrame, flags: pd.DataFrame, *,
                extra: Sequence[str] = ()) -> pd.DataFrame:
    """One row per agent turn: keys, ``lang``, the construct flags and the two form columns.

    Parameters
    ----------
    utterances : pandas.DataFrame
        The utterance table the flags were computed on (same rows, same order).
    flags : pandas.DataFrame
        ``constructs.construct_flags(utterances, features)``: ``c_<label>`` (Int64, NA on customer
        rows and for labels a language has no model of).
    extra : sequence of str
        Further columns of ``utterances`` to carry along (e.g. ``"operator_hospitality"``).

    Returns
    -------
    pandas.DataFrame
        ``corpus, dialogue_id, turn, lang``, every ``c_<label>`` as float (1.0 / 0.0; NaN where the
        label is not measured in the row's language), ``politeness_form`` (float: Japanese
        sonkeigo or kenjougo, English deference; NaN in other languages) and ``keigo_level``
        (ordered categorical :data:`KEIGO_LEVELS`, Japanese rows only: *honorific* = sonkeigo or
        kenjougo, *polite* = teineigo without them, *plain* = neither), then ``extra``.

    Raises
    ------
    CrossLanguageError
        Row counts or keys of the two tables differ, or a needed column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> utt = pd.DataFrame({"corpus": "demo", "dialogue_id": "d", "turn": [0, 1, 2],
    ...                     "role": ["customer", "agent", "agent"], "lang": "ja"})
    >>> fl = utt[["corpus", "dialogue_id", "turn", "role", "lang"]].assign(
    ...     c_sonkeigo=pd.array([None, 0, 1], dtype="Int64"),
    ...     c_kenjougo=pd.array([None, 0, 0], dtype="Int64"),
    ...     c_teineigo=pd.array([None, 1, 1], dtype="Int64"),
    ...     c_deference=pd.array([None] * 3, dtype="Int64"))
    >>> out = agent_turns(utt, fl)
    >>> out[["turn", "politeness_form", "keigo_level"]].astype(str).values.tolist()
    [['1', '0.0', 'polite'], ['2', '1.0', 'honorific']]
    """
    needed_u = [*_KEYS, "role", "lang", *extra]
    miss = [c for c in needed_u if c not in utterances.columns]
    if miss:
        raise CrossLanguageError(f"agent_turns: utterances lack column(s) {miss}")
    if len(flags) != len(utterances):
        raise CrossLanguageError(f"agent_turns: flags have {len(flags)} rows, utterances {len(utterances)}; "
                                 "pass the flags computed on these utterances")
    miss = [c for c in _KEYS if c not in flags.columns]
    if miss:
        raise CrossLanguageError(f"agent_turns: flags lack column(s) {miss}")
    same = all((utterances[k].astype(str).to_numpy() == flags[k].astype(str).to_numpy()).all() for k in _KEYS)
    if not same:
        raise CrossLanguageError("agent_turns: flags are not in the order of the utterances (keys differ)")
    is_agent = (utterances["role"] == "agent").to_numpy()
    out = utterances.loc[is_agent, [*_KEYS, "lang"]].reset_index(drop=True)
    c_cols = [c for c in flags.columns if c.startswith("c_")]
    for c in c_cols:
        out[c] = pd.to_numeric(flags.loc[is_agent, c], errors="coerce").astype(float).to_numpy()
    lang = out["lang"].to_numpy()
    form = np.full(len(out), np.nan)
    for lg, cols in POLITENESS_FORM.items():
        missing = [c for c in cols if c not in out.columns]
        rows = lang == lg
        if not rows.any():
            continue
        if missing:
            raise CrossLanguageError(
                f"agent_turns: flags lack {missing}, needed for the {lg} politeness form")
        vals = out.loc[rows, list(cols)].to_numpy(float)
        # any form present -> 1; all measured and absent -> 0; unmeasured -> NaN
        form[rows] = np.where((vals == 1).any(axis=1), 1.0, np.where(np.isnan(vals).any(axis=1), np.nan, 0.0))
    out["politeness_form"] = form
    level = pd.Series(pd.NA, index=out.index, dtype=object)
    ja = lang == "ja"
    if ja.any():
        if "c_teineigo" not in out.columns:
            raise CrossLanguageError("agent_turns: flags lack 'c_teineigo', needed for the keigo level")
        hon = form[ja] == 1
        pol = out.loc[ja, "c_teineigo"].to_numpy(float) == 1
        unknown = np.isnan(form[ja]) | np.isnan(out.loc[ja, "c_teineigo"].to_numpy(float))
        lev = np.where(hon, "honorific", np.where(pol, "polite", "plain")).astype(object)
        lev[unknown & ~hon] = pd.NA
        level[ja] = lev
    out["keigo_level"] = pd.Categorical(level, categories=list(KEIGO_LEVELS), ordered=True)
    for c in extra:
        out[c] = utterances.loc[is_agent, c].to_numpy()
    return out


def form_profile(turns: pd.DataFrame, by: str | Sequence[str] = "corpus") -> pd.DataFrame:
    """Share of agent turns at each keigo level (Japanese) and with a deferential form (both languages).

    Parameters
    ----------
    turns : pandas.DataFrame
        :func:`agent_turns` output.
    by : str or list of str
        Grouping column(s), e.g. ``"corpus"`` or ``["corpus", "operator"]``.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by``, ``lang``, ``n_dialogues``, ``n_turns``, ``share_plain``,
        ``share_polite``, ``share_honorific`` (NaN for English groups) and ``share_politeness_form``
        (Japanese: = ``share_honorific``; English: share with deference).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"corpus": ["j", "j", "j", "e", "e"], "dialogue_id": ["a", "a", "b", "x", "y"],
    ...                   "lang": ["ja", "ja", "ja", "en", "en"],
    ...                   "politeness_form": [1.0, 0.0, 0.0, 1.0, 0.0],
    ...                   "keigo_level": pd.Categorical(["honorific", "polite", "plain", None, None],
    ...                                                 categories=["plain", "polite", "honorific"])})
    >>> form_profile(t)[["corpus", "share_polite", "share_politeness_form"]].values.tolist()
    [['e', nan, 0.5], ['j', 0.3333333333333333, 0.3333333333333333]]
    """
    by = [by] if isinstance(by, str) else list(by)
    needed = [*by, "dialogue_id", "lang", "politeness_form", "keigo_level"]
    miss = [c for c in needed if c not in turns.columns]
    if miss:
        raise CrossLanguageError(f"form_profile: turns lack column(s) {miss}; use agent_turns()")
    rows = []
    for key, g in turns.groupby(by, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        langs = sorted(set(g["lang"]))
        rec = dict(zip(by, key, strict=True))
        rec.update(lang="+".join(langs), n_dialogues=int(g["dialogue_id"].nunique()), n_turns=len(g))
        lev = g["keigo_level"].dropna()
        for name in KEIGO_LEVELS:
            rec[f"share_{name}"] = float((lev == name).mean()) if len(lev) else np.nan
        rec["share_politeness_form"] = float(g["politeness_form"].mean())  # NaN rows skipped
        rows.append(rec)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# verdicts and tests


def verdict(
    estimate: float,
    ci_low: float,
    ci_high: float,
    p_adj: float | None,
    *,
    direction: Literal["greater", "less"],
    null: float = 1.0,
    alpha: float = 0.05,
    equivalence: tuple[float, float] | None = EQUIVALENCE_RATIO,
) -> str:
    """The verdict on a directional hypothesis from an estimate, its interval and an adjusted p-value.

    * ``"supported"``: ``p_adj < alpha`` (without a p-value: the interval excludes ``null``) and the
      estimate lies on the predicted side of ``null``;
    * ``"not supported"``: significant in the opposite direction, or the whole interval inside the
      ``equivalence`` bounds (the difference is too small to matter);
    * ``"inconclusive"``: anything else (including a missing estimate or interval).

    Examples
    --------
    >>> verdict(1.8, 1.4, 2.3, 0.001, direction="greater")
    'supported'
    >>> verdict(0.6, 0.5, 0.7, 0.001, direction="greater")
    'not supported'
    >>> verdict(1.02, 0.95, 1.1, 0.6, direction="greater")
    'not supported'
    >>> verdict(1.3, 0.7, 2.4, 0.4, direction="greater")
    'inconclusive'
    """
    if direction not in ("greater", "less"):
        raise CrossLanguageError(f"direction must be 'greater' or 'less', got {direction!r}")
    vals = [estimate, ci_low, ci_high]
    if any(v is None or not math.isfinite(v) for v in vals):
        return "inconclusive"
    has_p = p_adj is not None and math.isfinite(p_adj)
    significant = p_adj < alpha if has_p else (ci_low > null or ci_high < null)
    side = "greater" if estimate > null else "less" if estimate < null else None
    if significant and side == direction:
        return "supported"
    if significant and side is not None:
        return "not supported"
    if equivalence is not None and equivalence[0] <= ci_low and ci_high <= equivalence[1]:
        return "not supported"
    return "inconclusive"


def evaluate_hypotheses(
    turns: pd.DataFrame,
    hypotheses: Sequence[Hypothesis] = LANGUAGE_HYPOTHESES,
    *,
    group: str = "lang",
    groups: tuple[str, str] = ("ja", "en"),
    adjust: str = "holm",
    equivalence: tuple[float, float] | None = EQUIVALENCE_RATIO,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int = 0,
    quality: pd.DataFrame | None = None,
    min_quality: float = 0.5,
) -> pd.DataFrame:
    """Test a family of directional hypotheses: ratio of the shares of agent turns, group1 / group2.

    Each column of :func:`agent_turns` is 0/1 per turn; per group the share is Σ flagged turns /
    Σ agent turns, and the estimate their ratio with a percentile interval from ``n_resamples``
    dialogues resampled within each group and a bootstrap p-value
    (:func:`~omotenashi_research.stats.compare.compare_groups`, ``effect="rate_ratio"``), adjusted
    across the family (``adjust``; Holm by default). The verdict comes from :func:`verdict`.

    A verdict needs a measure that measures: with ``quality`` given, a hypothesis whose measures have a
    validated precision or recall below ``min_quality`` in either group (or none at all) is
    ``"inconclusive"`` whatever the statistics say, and ``note`` says which measure is weak.
    Descriptive hypotheses (:class:`Hypothesis`) get ``p``, ``p_adj`` NaN and the verdict
    ``"descriptive"``.

    Parameters
    ----------
    turns : pandas.DataFrame
        :func:`agent_turns` rows of the two groups (other groups are ignored).
    hypotheses : sequence of Hypothesis
        The family; ids must be unique.
    group, groups : str, tuple
        Grouping column and the (group1, group2) order.
    adjust, equivalence, alpha, n_resamples, seed
        Multiple-testing method, equivalence bounds of the ratio, level, resamples, seed.
    quality : pandas.DataFrame, optional
        Validated measurement quality with ``column, lang, precision, recall`` (e.g.
        :func:`omotenashi_research.findings.measure_quality` of the hypotheses' measures).
    min_quality : float
        Smallest precision and recall that allow a verdict.

    Returns
    -------
    pandas.DataFrame
        One row per hypothesis: ``id, hypothesis, column, direction, share1, share2, estimate, ci_low,
        ci_high, p, p_adj, adjustment, verdict, n_dialogues1, n_dialogues2, n_turns1, n_turns2, note``.

    Raises
    ------
    CrossLanguageError
        Repeated ids, or a hypothesis column missing from ``turns``.
    """
    from omotenashi_research.stats.compare import compare_groups
    from omotenashi_research.stats.multitest import p_adjust

    hypotheses = list(hypotheses)
    ids = [h.id for h in hypotheses]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise CrossLanguageError(f"evaluate_hypotheses: repeated hypothesis ids {repeated}")
    miss = [h.column for h in hypotheses if h.column not in turns.columns]
    if miss:
        raise CrossLanguageError(f"evaluate_hypotheses: turns lack column(s) {miss}; use agent_turns()")
    if quality is not None:
        qmiss = [c for c in ("column", "lang", "precision", "recall") if c not in quality.columns]
        if qmiss:
            raise CrossLanguageError(f"evaluate_hypotheses: quality lacks column(s) {qmiss}")
    cols = list(dict.fromkeys(h.column for h in hypotheses))
    res = compare_groups(turns, cols, group, groups=groups, effect="rate_ratio", method="cluster_bootstrap",
                         n_resamples=n_resamples, seed=seed, adjust=()).set_index("feature")
    p_raw = np.array([np.nan if h.descriptive else res.at[h.column, "p"] for h in hypotheses], dtype=float)
    p_adj = np.asarray(p_adjust(p_raw, adjust), dtype=float)  # NaN (descriptive) rows are not counted
    n_family = sum(not h.descriptive for h in hypotheses)
    label = "Holm" if adjust == "holm" else adjust
    rows = []
    for i, (h, pa) in enumerate(zip(hypotheses, p_adj, strict=True)):
        r = res.loc[h.column]
        est, lo, hi = (float(r[k]) for k in ("estimate", "ci_low", "ci_high"))
        notes = [r["note"]] if isinstance(r["note"], str) and r["note"] else []
        if h.descriptive:
            result = "descriptive"
        else:
            result = verdict(est, lo, hi, pa, direction=h.direction, alpha=alpha, equivalence=equivalence)
            weak = _weak_measures(h, quality, min_quality) if quality is not None else []
            if weak:
                notes.append(f"verdict withheld ({result} on the statistics alone): measure too weak to "
                             f"decide: {', '.join(weak)}")
                result = "inconclusive"
        rows.append({
            "id": h.id, "hypothesis": h.text, "column": h.column, "direction": h.direction,
            "share1": float(r["mean1"]), "share2": float(r["mean2"]), "estimate": est, "ci_low": lo,
            "ci_high": hi, "p": float(p_raw[i]), "p_adj": float(pa),
            "adjustment": "none (descriptive)" if h.descriptive else f"{label} over {n_family}",
            "verdict": result,
            "n_dialogues1": r["n_dialogues1"], "n_dialogues2": r["n_dialogues2"],
            "n_turns1": r["n_utterances1"], "n_turns2": r["n_utterances2"],
            "note": "; ".join(notes) if notes else None,
        })
    return pd.DataFrame(rows)


def _weak_measures(h: Hypothesis, quality: pd.DataFrame, min_quality: float) -> list[str]:
    """Measures of ``h`` whose validated precision or recall is below ``min_quality`` (or unknown)."""
    out = []
    for col, lang in h.quality:
        q = quality[(quality["column"] == col) & (quality["lang"] == lang)]
        if q.empty:
            out.append(f"{col} ({lang}) not validated")
            continue
        p, r = float(q["precision"].iloc[0]), float(q["recall"].iloc[0])
        if not (math.isfinite(p) and math.isfinite(r)) or p < min_quality or r < min_quality:
            out.append(f"{col} ({lang}) P {p:.2f} R {r:.2f}")
    return out


def describe_groups(turns: pd.DataFrame, columns: Sequence[str], group: str,
                    groups: tuple[object, object]) -> pd.DataFrame:
    """Shares of agent turns per group and their difference, without a test.

    For comparisons where the groups are individual people (ASDC: one operator with hospitality
    experience, one without): a p-value would generalise from one person to a population, so
    none is given.

    Returns
    -------
    pandas.DataFrame
        One row per column: ``column, share1, share2, difference`` (share1 - share2), ``n_dialogues1,
        n_dialogues2, n_turns1, n_turns2``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"dialogue_id": ["a", "a", "b", "c"], "op": ["x", "x", "x", "y"],
    ...                   "c_empathy": [1.0, 0.0, 1.0, 0.0]})
    >>> out = describe_groups(t, ["c_empathy"], "op", ("x", "y"))
    >>> out[["share1", "share2", "difference"]].round(3).values.tolist()
    [[0.667, 0.0, 0.667]]
    """
    miss = [c for c in [*columns, group, "dialogue_id"] if c not in turns.columns]
    if miss:
        raise CrossLanguageError(f"describe_groups: turns lack column(s) {miss}")
    absent = [g for g in groups if not (turns[group] == g).any()]
    if absent:
        raise CrossLanguageError(f"describe_groups: group(s) {absent} not in column {group!r}")
    rows = []
    g1, g2 = (turns[turns[group] == g] for g in groups)
    for c in columns:
        a, b = g1[c].dropna(), g2[c].dropna()
        rows.append({"column": c, "share1": float(a.mean()), "share2": float(b.mean()),
                     "difference": float(a.mean() - b.mean()),
                     "n_dialogues1": int(g1.loc[a.index, "dialogue_id"].nunique()),
                     "n_dialogues2": int(g2.loc[b.index, "dialogue_id"].nunique()),
                     "n_turns1": len(a), "n_turns2": len(b)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# findings


def _quality(pairs: Sequence[tuple[str, str]], quality: Callable[[str, str], str]) -> str:
    return "; ".join(quality(col, lang) for col, lang in pairs)


def findings_rows(
    tests: pd.DataFrame,
    hypotheses: Sequence[Hypothesis],
    *,
    data: str,
    caveats: Mapping[str, str] | str = "",
    estimate_name: str = "ratio of shares of agent turns (ja / en)",
    quality: Callable[[str, str], str] | None = None,
) -> pd.DataFrame:
    """Rows of :data:`omotenashi_research.findings.FINDING_COLUMNS` (without ``notebook``) from
    :func:`evaluate_hypotheses`, with the measurement quality of each hypothesis's measures.

    Parameters
    ----------
    tests : pandas.DataFrame
        :func:`evaluate_hypotheses` output.
    hypotheses : sequence of Hypothesis
        The family tested (for the quality pairs).
    data : str
        What was compared (e.g. "JMultiWOZ vs MultiWOZ (USS), all dialogues").
    caveats : str or mapping
        One text for every row, or per hypothesis id (missing ids: no caveat).
    estimate_name : str
        Name of the estimate.
    quality : callable, optional
        ``quality(column, lang) -> str``; default :func:`omotenashi_research.findings.quality_text`.

    Returns
    -------
    pandas.DataFrame
    """
    if quality is None:
        from omotenashi_research.findings import quality_text as quality
    by_id = {h.id: h for h in hypotheses}
    rows = []
    for r in tests.to_dict("records"):
        h = by_id.get(r["id"])
        if h is None:
            raise CrossLanguageError(f"findings_rows: test {r['id']!r} is not among the hypotheses given")
        cav = caveats.get(h.id, "") if isinstance(caveats, Mapping) else caveats
        note = r.get("note")
        if isinstance(note, str) and note:
            cav = f"{cav}; {note}" if cav else note
        rows.append({"id": h.id, "hypothesis": h.text, "data": data, "measure": f"{h.column} per agent turn",
                     "estimate_name": estimate_name, "estimate": r["estimate"], "ci_low": r["ci_low"],
                     "ci_high": r["ci_high"], "p_adj": r["p_adj"], "adjustment": r["adjustment"],
                     "verdict": r["verdict"], "measure_quality": _quality(h.quality, quality), "caveats": cav,
                     "n": int(r["n_dialogues1"]) + int(r["n_dialogues2"])})
    return pd.DataFrame(rows)


def descriptive_rows(
    described: pd.DataFrame,
    *,
    data: str,
    lang: str,
    subject: str,
    id_prefix: str = "A-",
    estimate_name: str = "difference in share of agent turns",
    caveats: str = "",
    quality: Callable[[str, str], str] | None = None,
) -> pd.DataFrame:
    """Findings rows (verdict ``"descriptive"``, no interval, no p-value) from :func:`describe_groups`.

    Parameters
    ----------
    described : pandas.DataFrame
        :func:`describe_groups` output (``c_<label>`` and ``politeness_form`` columns).
    data, subject : str
        What was compared, and who ("The operator with hospitality experience") for the hypothesis text.
    lang : str
        Language of the turns (which validated measures apply).
    id_prefix, estimate_name, caveats : str
        Row ids are ``id_prefix + label``; caveats are prefixed by both shares.
    quality : callable, optional
        ``quality(column, lang) -> str``; default :func:`omotenashi_research.findings.quality_text`.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"column": ["c_empathy"], "share1": [0.2], "share2": [0.05], "difference": [0.15],
    ...                   "n_dialogues1": [3], "n_dialogues2": [2], "n_turns1": [9], "n_turns2": [4]})
    >>> r = descriptive_rows(d, data="toy", lang="ja", subject="Operator 1",
    ...                      quality=lambda c, lg: f"{c} {lg}").iloc[0]
    >>> r["id"], r["hypothesis"], r["verdict"], r["measure_quality"], int(r["n"])
    ('A-empathy', 'Operator 1 differs in empathy', 'descriptive', 'c_empathy ja', 5)
    """
    if quality is None:
        from omotenashi_research.findings import quality_text as quality
    miss = [c for c in ("column", "share1", "share2", "difference", "n_dialogues1", "n_dialogues2")
            if c not in described.columns]
    if miss:
        raise CrossLanguageError(f"descriptive_rows: described lacks column(s) {miss}; use describe_groups()")
    rows = []
    for r in described.to_dict("records"):
        col = r["column"]
        label = col.removeprefix("c_").replace("_", "-")
        pairs = ([(c, lang) for c in POLITENESS_FORM[lang]] if col == "politeness_form"
                 else [(col, lang)])
        shares = f"shares {r['share1']:.3f} vs {r['share2']:.3f}"
        text = f"{subject} differs in {label.replace('-', ' ')}"
        rows.append({"id": f"{id_prefix}{label}", "hypothesis": text,
                     "data": data, "measure": f"{col} per agent turn", "estimate_name": estimate_name,
                     "estimate": r["difference"], "ci_low": None, "ci_high": None, "p_adj": None,
                     "adjustment": "none (descriptive)", "verdict": "descriptive",
                     "measure_quality": _quality(pairs, quality),
                     "caveats": f"{shares}; {caveats}" if caveats else shares,
                     "n": int(r["n_dialogues1"]) + int(r["n_dialogues2"])})
    return pd.DataFrame(rows)
