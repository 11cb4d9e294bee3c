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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from omotenashi_research.politelex import _require
from omotenashi_research.stats.multitest import p_adjust
from omotenashi_research.validation import SEED
from omotenashi_research.validation_external import CONSTRUCTS, politeness_correlations

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

#: Ridge penalty on standardised features. With thousands of rated texts and at most a few dozen features
#: the penalty hardly matters (searching 0.01-1000 by inner CV changed out-of-fold R² by < 0.001 on the
#: multilingual politeness data) and a fixed one keeps every fit cheap; it only steadies collinear blocks.
ALPHA: float = 1.0

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

#: Constructs both languages' markers measure: construct -> (Japanese markers, English markers); a text's
#: value is the sum of its markers' counts. Starts from the parallel-text constructs of
#: :data:`~omotenashi_research.validation_external.CONSTRUCTS` (``politeness_form``: sonkeigo + kenjougo
#: vs English deference) and adds the request strategies both lexicons have.
SHARED_MARKERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    **CONSTRUCTS,
    "hedge": (("hedge",), ("hedge",)),
    "please": (("pol_ja_please",), ("pol_convokit_please", "pol_convokit_please_start")),
    "indirect_request": (("pol_ja_indirect_request", "pol_ja_cushion"),
                         ("pol_convokit_subjunctive", "pol_r_could_you")),
    "bare_command": (("pol_ja_bare_command",), ("pol_r_bare_command",)),
    "greeting": (("greeting",), ("greeting",)),
}


def _numeric(df: pd.DataFrame, columns: Sequence[str], what: str) -> np.ndarray:
    """Columns as a float matrix; NaN, infinite or negative counts are an error naming the rows."""
    x = df[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{what}: {columns[c]!r} is missing or not numeric at row {df.index[r]!r} "
                         f"({int(bad.any(axis=1).sum())} bad row(s))")
    return x


def _small_blas():
    """One BLAS thread: for matrices of a few thousand rows x a few dozen columns, threads cost more than
    they save, and on a loaded machine OpenBLAS threads that spin made a ridge fit >10x slower (measured
    0.16 s vs 0.012 s for one 5,130 x 71 Gram matrix at load 9 on 2 cores)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _pipeline():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), Ridge(alpha=ALPHA))


def _oof(x: np.ndarray, y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Out-of-fold predictions of the ridge pipeline under seeded shuffled k-fold CV."""
    from sklearn.model_selection import KFold, cross_val_predict

    if x.shape[1] == 0:  # no predictors: the training-fold mean
        pred = np.empty_like(y)
        for tr, te in KFold(n_splits=k, shuffle=True, random_state=seed).split(y):
            pred[te] = y[tr].mean()
        return pred
    with _small_blas():
        return cross_val_predict(_pipeline(), x, y, cv=KFold(n_splits=k, shuffle=True, random_state=seed))


def _boot_weights(n: int, n_boot: int, seed: int) -> np.ndarray | None:
    """(n_boot, n) counts of how often each item is drawn in each seeded bootstrap resample."""
    if n_boot <= 0:
        return None
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    flat = (np.arange(n_boot)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _r2_boot(y: np.ndarray, preds: Sequence[np.ndarray], w: np.ndarray | None) -> np.ndarray:
    """R² of each prediction vector (rows) on the full sample (``w`` None: one column) or per resample.

    Weighted sums instead of gathering each resample: one matrix product for all resamples.
    """
    w = np.ones((1, len(y))) if w is None else w
    cols = np.column_stack([y, y ** 2, *[(y - p) ** 2 for p in preds]])
    sums = w @ cols  # (n_boot, 2 + len(preds))
    sst = sums[:, 1] - sums[:, 0] ** 2 / w.sum(axis=1)
    return 1 - sums[:, 2:].T / sst


def _ranks(v: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank, as scipy's rankdata) of ``v[idx]`` row by row.

    Counting each distinct value per row is O(n) per resample where sorting every row is O(n log n):
    ratings and predictions from count features take few distinct values.
    """
    uniq, codes = np.unique(v, return_inverse=True)
    m, b = len(uniq), idx.shape[0]
    c = codes.reshape(-1)[idx]
    cnt = np.bincount((np.arange(b)[:, None] * m + c).ravel(), minlength=b * m).reshape(b, m)
    avg = np.cumsum(cnt, axis=1) - cnt + (cnt + 1) / 2
    return np.take_along_axis(avg, c, axis=1)


def _spearman_rows(a: np.ndarray, b: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
    """Spearman rho of ``a[idx]`` with ``b[idx]`` for each row of ``idx`` (default: the full sample)."""
    if idx is None:
        idx = np.arange(len(a))[None, :]
    ra, rb = _ranks(a, idx), _ranks(b, idx)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(axis=1) / np.sqrt((ra ** 2).sum(axis=1) * (rb ** 2).sum(axis=1))


def _ci(values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size < 2:
        return (math.nan, math.nan)
    lo, hi = np.quantile(v, [0.025, 0.975])
    return (float(lo), float(hi))


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
# shared features


def shared_features(
    counts: Mapping[str, pd.DataFrame],
    mapping: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Per language, one column per shared construct: the sum of that language's markers for it.

    Parameters
    ----------
    counts : mapping {"ja", "en"} -> pandas.DataFrame
        Marker counts per language.
    mapping : mapping construct -> (Japanese markers, English markers), optional
        Default :data:`SHARED_MARKERS`.

    Returns
    -------
    dict lang -> pandas.DataFrame
        Same rows as ``counts[lang]``, one int column per construct (same names in both languages).

    Examples
    --------
    >>> import pandas as pd
    >>> ja = pd.DataFrame({"sonkeigo": [1, 0], "kenjougo": [1, 0]})
    >>> en = pd.DataFrame({"deference": [0, 2]})
    >>> m = {"politeness_form": (("sonkeigo", "kenjougo"), ("deference",))}
    >>> {k: v["politeness_form"].tolist() for k, v in shared_features({"ja": ja, "en": en}, m).items()}
    {'ja': [2, 0], 'en': [0, 2]}
    """
    mapping = SHARED_MARKERS if mapping is None else mapping
    side = {"ja": 0, "en": 1}
    out = {}
    for lang, c in counts.items():
        if lang not in side:
            raise ValueError(f"shared_features: language must be 'ja' or 'en', not {lang!r}")
        for construct, pair in mapping.items():
            _require(c, list(pair[side[lang]]), f"shared_features({lang}, {construct})")
        out[lang] = pd.DataFrame({construct: c[list(pair[side[lang]])].sum(axis=1).astype("int64")
                                  for construct, pair in mapping.items()}, index=c.index)
    return out


# --------------------------------------------------------------------------------------------------
# cross-language transfer


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x), where=sd > 0)


def _lang_matrices(data: pd.DataFrame, features: Sequence[str], target: str, transform: str, what: str
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    feats = list(features)
    _require(data, ["lang", target, *feats], what)
    if transform not in ("log1p", "none"):
        raise ValueError(f"{what}: transform must be 'log1p' or 'none', not {transform!r}")
    out = {}
    for lang, part in data.groupby("lang", sort=True):
        x = _numeric(part, feats, what)
        if transform == "log1p":
            if (x < 0).any():
                raise ValueError(f"{what}: log1p needs non-negative counts ({lang}); use transform='none'")
            x = np.log1p(x)
        # z-scored within each language: a weight means "per SD of this feature in this language",
        # so a marker that is ten times rarer in one language is not ten times weaker there.
        out[str(lang)] = (_zscore(x), _numeric(part, [target], what)[:, 0])
    if len(out) != 2:
        raise ValueError(f"{what}: needs exactly two languages in `lang`, got {sorted(out)}")
    return out


def cross_language_transfer(
    data: pd.DataFrame,
    features: Sequence[str],
    *,
    target: str = "politeness",
    transform: str = "log1p",
    k: int = 10,
    n_boot: int = 1000,
    seed: int = SEED,
) -> pd.DataFrame:
    """Train on one language, test on the other, and compare with cross-validation inside the target language.

    Features are ``transform``-ed and z-scored within each language; the model is the ridge pipeline
    (standardise, ridge with :data:`ALPHA`). For each target language: ``transfer`` is the
    model fitted on all of the other language, ``in-language`` the out-of-fold predictions of seeded
    ``k``-fold CV inside the target language; both are scored by Spearman rho with the rating (ranking
    is what can transfer: the two languages' ratings differ in mean and spread) and by R².
    ``transfer - in-language`` is the gap, all three with a paired bootstrap CI over target texts.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per rated text: ``lang`` (exactly two languages), ``target`` and the ``features``.
    features : sequence of str
        Feature columns shared by both languages (same meaning, same name).
    target : str
    transform : {"log1p", "none"}
    k : int
    n_boot : int
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per ``test_lang`` and ``kind`` (``in-language``, ``transfer``, ``transfer - in-language``):
        ``train_lang``, ``test_lang``, ``kind``, ``spearman`` with ``ci_low`` / ``ci_high``, ``r2``,
        ``n_train``, ``n_test``, ``n_features``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.poisson(1.0, (400, 2))
    >>> d = pd.DataFrame(x, columns=["gratitude", "hedge"]).assign(lang=["ja", "en"] * 200)
    >>> d["politeness"] = np.log1p(d["gratitude"]) + rng.normal(0, 0.1, 400)
    >>> res = cross_language_transfer(d, ["gratitude", "hedge"], n_boot=0, k=5)
    >>> res.query("kind != 'transfer - in-language'")["spearman"].gt(0.8).tolist()
    [True, True, True, True]
    """
    what = "cross_language_transfer"
    mats = _lang_matrices(data, features, target, transform, what)
    langs = sorted(mats)
    rng = np.random.default_rng(seed)
    rows = []
    for test in langs:
        train = next(lg for lg in langs if lg != test)
        xt, yt = mats[test]
        xs, ys = mats[train]
        if len(yt) < 2 * k:
            raise ValueError(f"{what}: {len(yt)} {test} rows are too few for {k}-fold CV")
        inlang = _oof(xt, yt, k, seed)
        with _small_blas():
            transfer = _pipeline().fit(xs, ys).predict(xt)
        rho_in = float(_spearman_rows(inlang, yt)[0])
        rho_tr = float(_spearman_rows(transfer, yt)[0])
        r2_in, r2_tr = _r2_boot(yt, [inlang, transfer], None)[:, 0]
        ci_in = ci_tr = ci_d = (math.nan, math.nan)
        if n_boot > 0:
            idx = rng.integers(0, len(yt), size=(n_boot, len(yt)))
            b_in = _spearman_rows(inlang, yt, idx)
            b_tr = _spearman_rows(transfer, yt, idx)
            ci_in, ci_tr, ci_d = _ci(b_in), _ci(b_tr), _ci(b_tr - b_in)
        common = {"test_lang": test, "n_test": len(yt), "n_features": len(list(features))}
        rows += [
            {"train_lang": test, "kind": "in-language", "spearman": rho_in, "ci_low": ci_in[0],
             "ci_high": ci_in[1], "r2": float(r2_in), "n_train": len(yt), **common},
            {"train_lang": train, "kind": "transfer", "spearman": rho_tr, "ci_low": ci_tr[0],
             "ci_high": ci_tr[1], "r2": float(r2_tr), "n_train": len(ys), **common},
            {"train_lang": train, "kind": "transfer - in-language", "spearman": rho_tr - rho_in,
             "ci_low": ci_d[0], "ci_high": ci_d[1], "r2": float(r2_tr - r2_in), "n_train": len(ys),
             **common},
        ]
    cols = ["train_lang", "test_lang", "kind", "spearman", "ci_low", "ci_high", "r2", "n_train", "n_test",
            "n_features"]
    return pd.DataFrame(rows)[cols]


def language_coefficients(
    data: pd.DataFrame,
    features: Sequence[str],
    *,
    target: str = "politeness",
    transform: str = "log1p",
    adjust: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Standardised OLS weight of each shared feature in each language, with HC3 CIs and adjusted p.

    Features are transformed and z-scored within each language as in :func:`cross_language_transfer`,
    so a coefficient is the change in rating (rating points) per SD of the feature, holding the others
    fixed. Heteroscedasticity-robust (HC3) standard errors; p-values adjusted over both languages.

    Returns
    -------
    pandas.DataFrame
        ``lang``, ``feature``, ``coef``, ``ci_low``, ``ci_high``, ``p``, ``p_adj``, ``adjustment``,
        ``share_nonzero`` (of the raw feature), ``n``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"lang": ["ja", "en"] * 200, "a": rng.normal(size=400), "b": rng.normal(size=400)})
    >>> d["politeness"] = 2 * d["a"] + rng.normal(0, 0.1, 400)
    >>> res = language_coefficients(d, ["a", "b"], transform="none")
    >>> (res.query("feature == 'a'")["coef"] > 1.8).all()
    np.True_
    """
    import statsmodels.api as sm

    what = "language_coefficients"
    mats = _lang_matrices(data, features, target, transform, what)
    feats = list(features)
    rows = []
    for lang, (x, y) in mats.items():
        raw = _numeric(data[data["lang"] == lang], feats, what)
        keep = x.std(axis=0) > 0  # a feature that never fires in this language has no weight there
        with _small_blas():
            fit = sm.OLS(y, sm.add_constant(x[:, keep], has_constant="add")).fit(cov_type="HC3")
        ci = fit.conf_int(alpha)
        j = 1
        for i, f in enumerate(feats):
            if keep[i]:
                rows.append({"lang": lang, "feature": f, "coef": float(fit.params[j]),
                             "ci_low": float(ci[j, 0]), "ci_high": float(ci[j, 1]),
                             "p": float(fit.pvalues[j])})
                j += 1
            else:
                rows.append({"lang": lang, "feature": f, "coef": math.nan, "ci_low": math.nan,
                             "ci_high": math.nan, "p": math.nan})
            rows[-1].update({"share_nonzero": float((raw[:, i] > 0).mean()), "n": len(y)})
    res = pd.DataFrame(rows)
    res.insert(6, "p_adj", p_adjust(res["p"].to_numpy(dtype=float), adjust))
    res.insert(7, "adjustment", f"{adjust} over {int(res['p'].notna().sum())} tests")
    return res


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
