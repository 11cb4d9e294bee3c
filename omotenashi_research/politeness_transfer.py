"""Japanese and English politeness on shared features: which features both languages have, cross-language
transfer of a rating model, and each language's weights.

Split out of :mod:`omotenashi_research.politeness_models`, which re-exports every public name here:

- :data:`SHARED_MARKERS` and :func:`shared_features`: the constructs both languages' markers measure,
  one column each (PoliteLex category counts, a second shared feature set, are in
  :mod:`omotenashi_research.politelex`);
- :func:`cross_language_transfer`: whether a model trained in one language ranks the texts of the other
  (Spearman), compared with cross-validation inside the target language;
- :func:`language_coefficients`: standardised OLS weights of the shared features in each language.

Nothing here returns or stores text: only IDs, counts and statistics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from omotenashi_research.politelex import _require
from omotenashi_research.politeness_resampling import (
    _ci,
    _numeric,
    _oof,
    _pipeline,
    _r2_boot,
    _small_blas,
    _spearman_rows,
)
from omotenashi_research.stats.multitest import p_adjust
from omotenashi_research.validation import SEED
from omotenashi_research.validation_external import CONSTRUCTS

__all__ = ["SHARED_MARKERS", "cross_language_transfer", "language_coefficients", "shared_features"]

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
    (standardise, ridge with :data:`~omotenashi_research.politeness_resampling.ALPHA`). For each target
    language: ``transfer`` is the model fitted on all of the other language, ``in-language`` the
    out-of-fold predictions of seeded
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
