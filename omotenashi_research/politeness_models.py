"""Models of rated politeness in Japanese and English: feature blocks, incremental R², transfer.

Built for the holistic multilingual politeness ratings (Havaldar et al. 2023;
:func:`~omotenashi_research.datasets.load_multilingual_politeness`), where Japanese and English comments
were rated with one protocol, but every function takes plain tidy tables (one row per rated text: ``lang``,
``politeness`` and feature columns), so invented data or other corpora work the same way.

- :func:`feature_correlations`: each marker vs the rating (Spearman, from
  :func:`~omotenashi_research.validation_external.politeness_correlations`) with a confidence interval
  and the whole family of tests adjusted (:func:`~omotenashi_research.stats.multitest.p_adjust`).
- :func:`block_table` and :func:`cv_incremental_r2`: how much of the rating a block of features (e.g.
  keigo) explains over all the other markers, as cross-validated R² with a paired bootstrap CI.
- :func:`shared_features` and :func:`cross_language_transfer`: the features both languages have, and
  whether a model trained in one language ranks the texts of the other (Spearman), compared with
  cross-validation inside the target language. PoliteLex category counts, a second shared feature set,
  are in :mod:`omotenashi_research.politelex`.
- :func:`language_coefficients`: standardised OLS weights of the shared features in each language.

Models that learn use scikit-learn (``StandardScaler`` + ``Ridge`` with a fixed small penalty,
:data:`ALPHA`); all resampling is seeded. Nothing here returns or stores text: only IDs, counts and
statistics.

This module is the import path for all of the above. It holds the within-language analyses
(:data:`BLOCKS`, :func:`feature_correlations`, :func:`block_table`, :func:`cv_incremental_r2`) and the
findings (:data:`FEATURE_LABELS`, :func:`politeness_findings`); two parts live in their own modules and
are re-exported here:

- :mod:`omotenashi_research.politeness_transfer`: :data:`SHARED_MARKERS`, :func:`shared_features`,
  :func:`cross_language_transfer`, :func:`language_coefficients`;
- :mod:`omotenashi_research.politeness_resampling`: :data:`ALPHA`, the ridge pipeline, out-of-fold
  predictions and the bootstrap R² / Spearman helpers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from omotenashi_research.politelex import _require

# The cross-language parts and the fitting machinery live in their own modules (see the docstring);
# their public names are imported here so that ``politeness_models`` stays the one import path.
from omotenashi_research.politeness_resampling import (
    ALPHA,
    _boot_weights,
    _ci,
    _numeric,
    _oof,
    _r2_boot,
)
from omotenashi_research.politeness_transfer import (
    SHARED_MARKERS,
    cross_language_transfer,
    language_coefficients,
    shared_features,
)
from omotenashi_research.stats.multitest import p_adjust
from omotenashi_research.validation import SEED
from omotenashi_research.validation_external import politeness_correlations

__all__ = [
    "ALPHA",
    "BLOCKS",
    "SHARED_MARKERS",
    "block_table",
    "cross_language_transfer",
    "cv_incremental_r2",
    "feature_correlations",
    "language_coefficients",
    "FEATURE_LABELS",
    "politeness_findings",
    "shared_features",
]

#: Named feature blocks per language (marker columns of :func:`~omotenashi_research.markers.count_markers`).
#: Markers in no block form the block ``"other"`` (see :func:`block_table`).
BLOCKS: dict[str, dict[str, tuple[str, ...]]] = {
    "ja": {
        "keigo": ("sonkeigo", "kenjougo", "teineigo", "bika_prefix"),
        "thanks_apology": ("gratitude", "apology"),
        "requests": ("pol_ja_please", "pol_ja_cushion", "pol_ja_indirect_request", "pol_ja_bare_command",
                     "pol_ja_reassurance"),
        "hedges": ("hedge",),
    },
    "en": {
        # English has no honorific morphology: ConvoKit-style deference and formal titles stand in.
        "deference": ("deference", "pol_convokit_deference", "pol_r_formal_title"),
        "thanks_apology": ("gratitude", "apology", "pol_convokit_gratitude", "pol_convokit_apologizing",
                           "pol_r_gratitude", "pol_r_apology"),
        "requests": ("pol_convokit_please", "pol_convokit_please_start", "pol_convokit_subjunctive",
                     "pol_convokit_indicative", "pol_convokit_direct_question", "pol_convokit_direct_start",
                     "pol_r_please", "pol_r_could_you", "pol_r_can_you", "pol_r_bare_command"),
        "hedges": ("hedge", "pol_convokit_hedges", "pol_convokit_hashedge", "pol_r_hedges"),
        "sentiment": ("pol_convokit_haspositive", "pol_convokit_hasnegative", "pol_r_positive_emotion",
                      "pol_r_negative_emotion", "pol_r_swearing"),
    },
}


# --------------------------------------------------------------------------------------------------
# single features


def feature_correlations(
    data: pd.DataFrame,
    counts: Mapping[str, pd.DataFrame],
    *,
    adjust: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Spearman rho of each politeness marker with the rating per language, with a CI and adjusted p.

    The correlations are those of
    :func:`~omotenashi_research.validation_external.politeness_correlations` (the validation report's
    table); this adds a confidence interval (Fisher z with the Bonett-Wright standard error
    ``sqrt((1 + rho²/2) / (n - 3))``, suited to Spearman's rho) and adjusts the p-values over the whole
    family (both languages together).

    Parameters
    ----------
    data : pandas.DataFrame
        ``lang`` and ``politeness`` per rated text (rows of one language in the order of its counts).
    counts : mapping lang -> pandas.DataFrame
        Marker counts per language, row-aligned with that language's rows of ``data``.
    adjust : str
        Method for :func:`~omotenashi_research.stats.multitest.p_adjust` (default Holm).
    alpha : float
        Confidence level ``1 - alpha`` of the interval.

    Returns
    -------
    pandas.DataFrame
        The columns of ``politeness_correlations`` (``lang``, ``feature``, ``rho``, ``p``, ``n``,
        ``share_nonzero``, ``mean_rating_with``, ``mean_rating_without``) plus ``ci_low``, ``ci_high``,
        ``p_adj`` and ``adjustment``; features that never fire have ``rho`` NaN and are not counted.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 3, 300)
    >>> d = pd.DataFrame({"lang": "en", "politeness": x + rng.normal(0, 1, 300)})
    >>> res = feature_correlations(d, {"en": pd.DataFrame({"gratitude": x})})
    >>> row = res.iloc[0]
    >>> bool(row.ci_low < row.rho < row.ci_high), row.adjustment
    (True, 'holm over 1 tests')
    """
    _require(data, ["lang", "politeness"], "feature_correlations")
    res = politeness_correlations(data, counts)
    n = res["n"].to_numpy(dtype=float)
    rho = res["rho"].to_numpy(dtype=float)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((1 + rho ** 2 / 2) / (n - 3))
    q = norm.ppf(1 - alpha / 2)
    res["ci_low"] = np.tanh(z - q * se)
    res["ci_high"] = np.tanh(z + q * se)
    res["p_adj"] = p_adjust(res["p"].to_numpy(dtype=float), adjust)
    res["adjustment"] = f"{adjust} over {int(np.isfinite(res['p']).sum())} tests"
    return res


# --------------------------------------------------------------------------------------------------
# feature blocks and incremental R²


def block_table(
    columns: Sequence[str], lang: str, blocks: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """Which block each feature column belongs to (``"other"`` for columns in no named block).

    Parameters
    ----------
    columns : sequence of str
        Feature columns (e.g. the marker counts of one language).
    lang : str
        Language whose :data:`BLOCKS` are used when ``blocks`` is not given.
    blocks : mapping block -> features, optional
        Named blocks; block members not in ``columns`` are ignored (a lexicon may lack one).

    Returns
    -------
    pandas.DataFrame
        ``feature``, ``block`` (one row per column, in the order of ``columns``).

    Raises
    ------
    ValueError
        When a column sits in two blocks, or no named block has any column.

    Examples
    --------
    >>> block_table(["teineigo", "gratitude", "empathy"], "ja").values.tolist()
    [['teineigo', 'keigo'], ['gratitude', 'thanks_apology'], ['empathy', 'other']]
    """
    if blocks is None:
        if lang not in BLOCKS:
            raise ValueError(f"block_table: no default blocks for language {lang!r}; pass blocks=")
        blocks = BLOCKS[lang]
    owner: dict[str, str] = {}
    for name, feats in blocks.items():
        for f in feats:
            if f in owner and owner[f] != name:
                raise ValueError(f"block_table: feature {f!r} is in blocks {owner[f]!r} and {name!r}")
            owner[f] = name
    cols = list(columns)
    if not any(c in owner for c in cols):
        raise ValueError(f"block_table: none of the columns is in a block {sorted(blocks)}; got {cols[:8]}")
    return pd.DataFrame({"feature": cols, "block": [owner.get(c, "other") for c in cols]})


def cv_incremental_r2(
    data: pd.DataFrame,
    features: Sequence[str],
    blocks: pd.DataFrame,
    *,
    target: str = "politeness",
    transform: str = "log1p",
    k: int = 10,
    n_boot: int = 1000,
    seed: int = SEED,
) -> pd.DataFrame:
    """Cross-validated R² of each feature block alone and over all other features, with bootstrap CIs.

    For each block B the same seeded ``k``-fold split scores three ridge models on out-of-fold
    predictions: all features (``r2_full``), all but B (``r2_without``) and B alone (``r2_alone``).
    ``delta_r2 = r2_full - r2_without`` is the variance B explains beyond the others (its unique,
    incremental share); ``r2_alone`` includes what B shares with other features. CIs resample the rated
    texts with their out-of-fold predictions (paired, so the three R² use the same resample); they cover
    test-sample variation, not the variation of refitting the model.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per rated text: ``target`` and the ``features`` columns (counts).
    features : sequence of str
        All feature columns of the full model.
    blocks : pandas.DataFrame
        :func:`block_table` output (``feature``, ``block``) covering ``features``.
    target : str
        Rating column.
    transform : {"log1p", "none"}
        Applied to the features before standardising (counts are skewed: log1p by default).
    k : int
        Folds.
    n_boot : int
        Bootstrap resamples (0: no CIs).
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per block (named blocks first, then ``"other"``): ``block``, ``n_features``,
        ``features`` (comma-joined), ``r2_full``, ``r2_without``, ``delta_r2`` with ``delta_low`` /
        ``delta_high``, ``r2_alone`` with ``alone_low`` / ``alone_high``, ``n``, ``k``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = pd.DataFrame({"keigo": np.tile([1, -1, 1, -1], 100), "other": np.tile([1, 1, -1, -1], 100)})
    >>> d["politeness"] = d["keigo"] + d["other"]   # uncorrelated, each explains half of the variance
    >>> b = block_table(["keigo", "other"], "ja", {"keigo": ["keigo"]})
    >>> res = cv_incremental_r2(d, ["keigo", "other"], b, transform="none", n_boot=0, k=5)
    >>> res.set_index("block")["delta_r2"].round(1).to_dict()
    {'keigo': 0.5, 'other': 0.5}
    """
    feats = list(features)
    _require(data, [target, *feats], "cv_incremental_r2")
    _require(blocks, ["feature", "block"], "cv_incremental_r2(blocks)")
    missing = [f for f in feats if f not in set(blocks["feature"])]
    if missing:
        raise ValueError(f"cv_incremental_r2: feature(s) {missing} have no block in `blocks`")
    if transform not in ("log1p", "none"):
        raise ValueError(f"cv_incremental_r2: transform must be 'log1p' or 'none', not {transform!r}")
    x = _numeric(data, feats, "cv_incremental_r2")
    if transform == "log1p":
        if (x < 0).any():
            raise ValueError("cv_incremental_r2: log1p needs non-negative counts; use transform='none'")
        x = np.log1p(x)
    y = _numeric(data, [target], "cv_incremental_r2")[:, 0]
    if len(y) < 2 * k:
        raise ValueError(f"cv_incremental_r2: {len(y)} rows are too few for {k}-fold CV")
    of = blocks.drop_duplicates("feature").set_index("feature")["block"].reindex(feats)
    names = [b for b in dict.fromkeys(blocks["block"]) if b != "other" and (of == b).any()]
    names += ["other"] if (of == "other").any() else []
    full = _oof(x, y, k, seed)
    w = _boot_weights(len(y), n_boot, seed)
    rows = []
    for name in names:
        inb = (of == name).to_numpy()
        without = _oof(x[:, ~inb], y, k, seed)
        alone = _oof(x[:, inb], y, k, seed)
        r_full, r_without, r_alone = _r2_boot(y, [full, without, alone], None)[:, 0]
        d_ci = a_ci = (math.nan, math.nan)
        if w is not None:
            b_full, b_without, b_alone = _r2_boot(y, [full, without, alone], w)
            d_ci, a_ci = _ci(b_full - b_without), _ci(b_alone)
        rows.append({"block": name, "n_features": int(inb.sum()),
                     "features": ", ".join(np.array(feats)[inb]),
                     "r2_full": float(r_full), "r2_without": float(r_without),
                     "delta_r2": float(r_full - r_without), "delta_low": d_ci[0], "delta_high": d_ci[1],
                     "r2_alone": float(r_alone), "alone_low": a_ci[0], "alone_high": a_ci[1],
                     "n": len(y), "k": k})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# findings

#: Plain-language names of features and blocks for tables and figures.
FEATURE_LABELS: dict[str, str] = {
    "keigo_total": "keigo (sonkeigo + kenjougo + teineigo)", "sonkeigo": "respectful keigo (sonkeigo)",
    "kenjougo": "humble keigo (kenjougo)", "teineigo": "polite forms (teineigo)",
    "bika_prefix": "beautifying prefix o-/go-", "gratitude": "thanks", "apology": "apology",
    "hedge": "hedges", "deference": "deference", "politeness_form": "keigo (ja) / deference (en)",
    "please": "please / kudasai", "indirect_request": "indirect request", "bare_command": "bare command",
    "greeting": "greeting", "empathy": "empathy", "ownership": "ownership", "deflection": "deflection",
    "pol_ja_please": "kudasai (please)", "pol_ja_cushion": "cushion words", "pol_ja_indirect_request":
    "indirect request", "pol_ja_reassurance": "reassurance", "pol_ja_bare_command": "bare command",
    "pol_convokit_please": "please", "pol_convokit_please_start": "please, sentence-initial",
    "pol_convokit_deference": "deference (ConvoKit)", "pol_convokit_hedges": "hedges (ConvoKit)",
    "pol_convokit_subjunctive": "could/would you", "pol_convokit_indirect_greeting": "greeting",
    "pol_convokit_direct_question": "direct question", "pol_convokit_direct_start": "direct start (so/then)",
    "pol_convokit_hasnegative": "negative words", "pol_convokit_haspositive": "positive words",
    "pol_r_bare_command": "bare command", "pol_r_swearing": "swearing",
    "thanks_apology": "thanks and apology", "requests": "request strategies", "hedges": "hedges",
    "sentiment": "sentiment words", "keigo": "keigo", "other": "all other markers",
}


def _verdict(lo: float, hi: float, negligible: float = 0.0) -> str:
    """Supported when the CI is above 0, not supported when it is below ``negligible``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "inconclusive"
    return "supported" if lo > 0 else "not supported" if hi < negligible else "inconclusive"


def politeness_findings(
    correlations: pd.DataFrame,
    increments: Mapping[str, pd.DataFrame],
    transfers: Mapping[str, pd.DataFrame],
    quality: Mapping[str, str],
    *,
    data: str = "Multilingual politeness ratings (Havaldar et al. 2023)",
    equivalence: float = 0.05,
    negligible_r2: float = 0.01,
) -> pd.DataFrame:
    """The headline results as findings rows (:data:`omotenashi_research.findings.FINDING_COLUMNS`).

    Verdicts: a correlation is *supported* when its adjusted p < 0.05 and it has the hypothesised
    (positive) sign, else *not supported*; an incremental R² when its CI is above 0, *not supported* when
    the whole CI is below ``negligible_r2`` (the block explains at most a negligible share); a transfer
    Spearman when its CI is above 0, *not supported* when below; "transfer is as good as in-language"
    when the CI of the gap lies within ``±equivalence``, *not supported* when the gap's CI is entirely
    below 0; anything else is *inconclusive*.

    Parameters
    ----------
    correlations : pandas.DataFrame
        :func:`feature_correlations` output.
    increments : mapping lang -> pandas.DataFrame
        :func:`cv_incremental_r2` output per language.
    transfers : mapping feature-set name -> pandas.DataFrame
        :func:`cross_language_transfer` output per shared feature set (e.g. ``"markers"``, ``"PoliteLex"``).
    quality : mapping key -> str
        Measurement-quality text per ``"<lang>:<feature>"`` (e.g. from
        :func:`omotenashi_research.findings.quality_text`) and per feature-set name; missing keys give
        "not validated on the gold set".
    data : str
        The ``data`` column.
    equivalence : float
        Margin on Spearman's rho for "as good as".
    negligible_r2 : float
        Incremental R² below which a block's contribution counts as negligible.

    Returns
    -------
    pandas.DataFrame
        One row per finding, without the ``notebook`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> corr = pd.DataFrame({"lang": ["ja"], "feature": ["gratitude"], "rho": [0.3], "ci_low": [0.2],
    ...                      "ci_high": [0.4], "p_adj": [0.001], "adjustment": ["holm over 1 tests"],
    ...                      "n": [100], "share_nonzero": [0.1]})
    >>> politeness_findings(corr, {}, {}, {})[["id", "verdict"]].values.tolist()
    [['ja-gratitude-rho', 'supported']]
    """
    names = {"ja": "Japanese", "en": "English"}
    caveat = ("online discussion comments, not service talk; observational; rating = mean of (apparently) "
              "three raters")
    rows: list[dict] = []

    def q(key: str) -> str:
        return quality.get(key, "not validated on the gold set")

    focus = {"ja": ("gratitude", "apology", "keigo_total"), "en": ("gratitude", "apology", "deference")}
    for r in correlations.itertuples():
        if r.feature not in focus.get(r.lang, ()):
            continue
        ok = math.isfinite(r.p_adj) and r.p_adj < 0.05
        verdict = ("supported" if ok and r.rho > 0 else "not supported" if math.isfinite(r.p_adj)
                   else "inconclusive")
        rows.append({"id": f"{r.lang}-{r.feature}-rho",
                     "hypothesis": f"{FEATURE_LABELS.get(r.feature, r.feature).capitalize()} goes with "
                                   f"higher politeness ratings in {names.get(r.lang, r.lang)}",
                     "data": f"{data}, {names.get(r.lang, r.lang)} part",
                     "measure": f"marker count: {r.feature}",
                     "estimate_name": "Spearman rho", "estimate": r.rho, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "p_adj": r.p_adj, "adjustment": r.adjustment, "verdict": verdict,
                     "measure_quality": q(f"{r.lang}:{r.feature}"),
                     "caveats": f"{caveat}; univariate (other markers not held fixed); fires in "
                                f"{r.share_nonzero:.1%} of texts", "n": int(r.n)})
    target = {"ja": "keigo", "en": "deference"}
    for lang, inc in increments.items():
        full = inc.iloc[0]
        rows.append({"id": f"{lang}-markers-r2",
                     "hypothesis": f"All markers together predict {names.get(lang, lang)} politeness "
                                   "ratings (descriptive)",
                     "data": f"{data}, {names.get(lang, lang)} part",
                     "measure": "ridge on log1p marker counts",
                     "estimate_name": f"R² ({int(full.k)}-fold CV)", "estimate": full.r2_full,
                     "ci_low": math.nan, "ci_high": math.nan, "p_adj": math.nan, "adjustment": "",
                     "verdict": "descriptive", "measure_quality": "", "caveats": caveat, "n": int(full.n)})
        hit = inc[inc["block"] == target.get(lang, "")]
        if hit.empty:
            continue
        b = hit.iloc[0]
        rows.append({"id": f"{lang}-{b.block}-delta-r2",
                     "hypothesis": f"{FEATURE_LABELS.get(b.block, b.block).capitalize()} explains "
                                   f"{names.get(lang, lang)} politeness ratings beyond the other markers",
                     "data": f"{data}, {names.get(lang, lang)} part",
                     "measure": f"block: {b.features}", "estimate_name": "incremental R² (CV)",
                     "estimate": b.delta_r2, "ci_low": b.delta_low, "ci_high": b.delta_high,
                     "p_adj": math.nan, "adjustment": "",
                     "verdict": _verdict(b.delta_low, b.delta_high, negligible_r2),
                     "measure_quality": q(f"{lang}:{b.block}"),
                     "caveats": caveat + "; CI over test texts, not refits", "n": int(b.n)})
    for fs, tr in transfers.items():
        for r in tr.itertuples():
            src, dst = names.get(r.train_lang, r.train_lang), names.get(r.test_lang, r.test_lang)
            slug = f"{fs.lower()}-{r.train_lang}-to-{r.test_lang}"
            row = {"data": f"{data}, both parts", "measure": f"shared features: {fs} ({r.n_features})",
                   "estimate_name": "Spearman rho", "estimate": r.spearman, "ci_low": r.ci_low,
                   "ci_high": r.ci_high, "p_adj": math.nan, "adjustment": "", "measure_quality": q(fs),
                   "n": int(r.n_test)}
            if r.kind == "transfer":
                row.update(id=f"transfer-{slug}", verdict=_verdict(r.ci_low, r.ci_high),
                           hypothesis=f"A model trained on {src} comments ranks {dst} comments by "
                                      f"politeness better than chance",
                           caveats=caveat + "; features z-scored within each language")
            elif r.kind == "transfer - in-language":
                ok = math.isfinite(r.ci_low) and -equivalence < r.ci_low and r.ci_high < equivalence
                verdict = "supported" if ok else "not supported" if r.ci_high < 0 else "inconclusive"
                row.update(id=f"gap-{slug}", estimate_name="Spearman rho gap", verdict=verdict,
                           hypothesis=f"A model trained on {src} ranks {dst} comments as well as one trained "
                                      f"in {dst} (gap within ±{equivalence})",
                           caveats=caveat + "; gap = transfer minus in-language CV rho on the same texts, "
                                            "paired bootstrap")
            else:
                continue
            rows.append(row)
    cols = ["id", "hypothesis", "data", "measure", "estimate_name", "estimate", "ci_low", "ci_high", "p_adj",
            "adjustment", "verdict", "measure_quality", "caveats", "n"]
    return pd.DataFrame(rows, columns=cols)
