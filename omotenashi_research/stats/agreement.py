"""Inter-rater agreement of annotations: Fleiss' kappa and Krippendorff's alpha.

Three input forms are accepted everywhere:

- a long :class:`pandas.DataFrame`, one row per vote, with an item column and a rating column
  (and, for Krippendorff's alpha, optionally a rater column);
- a sequence (list or Series) with one tuple of votes per item, as the USS corpus gives
  (``sat_turn_votes``); items may have different numbers of votes, and NA / empty tuples mean
  "not rated";
- Fleiss: a 2-d array or DataFrame of counts (items x categories); Krippendorff: a 2-d array
  of ratings (raters x items, NaN where missing), the ``krippendorff`` package's layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["fleiss_kappa", "krippendorff_alpha", "vote_counts"]


def _is_missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return v is pd.NA


def _votes_to_long(votes: Sequence, what: str) -> pd.DataFrame:
    """One row per vote (item = position or Series index label)."""
    index = votes.index if isinstance(votes, pd.Series) else range(len(votes))
    rows = []
    for label, v in zip(index, votes, strict=True):
        if _is_missing(v):
            continue
        if isinstance(v, str) or not hasattr(v, "__iter__"):
            raise TypeError(f"{what}: item {label!r} holds {v!r}; expected a tuple of votes")
        for vote in v:
            if _is_missing(vote):
                continue
            rows.append((label, vote))
    return pd.DataFrame(rows, columns=["item", "rating"])


def vote_counts(
    ratings: pd.DataFrame | Sequence,
    *,
    item: str = "item",
    rating: str = "rating",
    categories: Sequence | None = None,
) -> pd.DataFrame:
    """Count table, one row per item and one column per category (number of votes).

    Parameters
    ----------
    ratings : pandas.DataFrame or sequence of tuples
        Long table with ``item`` and ``rating`` columns, or one tuple of votes per item.
    item, rating : str
        Column names of the long table.
    categories : sequence, optional
        All categories in order (e.g. ``range(1, 6)``); categories nobody chose still get a column.
        A vote outside ``categories`` is an error.

    Returns
    -------
    pandas.DataFrame
        Integer counts, index = item, columns = categories. Items with no votes are absent.

    Examples
    --------
    >>> from omotenashi_research.stats.agreement import vote_counts
    >>> vote_counts([(3, 3, 4), (5, 5)], categories=range(1, 6)).to_numpy().tolist()
    [[0, 0, 2, 1, 0], [0, 0, 0, 0, 2]]
    """
    what = "vote_counts"
    if isinstance(ratings, pd.DataFrame):
        missing = [c for c in (item, rating) if c not in ratings.columns]
        if missing:
            raise KeyError(f"{what}: column(s) {missing} not in the table (columns: {list(ratings.columns)})")
        long = ratings.loc[ratings[rating].notna(), [item, rating]].set_axis(["item", "rating"], axis=1)
    else:
        long = _votes_to_long(ratings, what)
    if categories is not None:
        categories = list(categories)
        bad = ~long["rating"].isin(categories)
        if bad.any():
            first = long.loc[bad].iloc[0]
            raise ValueError(
                f"{what}: item {first['item']!r} has the vote {first['rating']!r}, which is not one of "
                f"the categories {categories}"
            )
    table = pd.crosstab(long["item"], long["rating"])
    if categories is not None:
        table = table.reindex(columns=categories, fill_value=0)
    table.columns.name = None
    return table.astype(int)


def fleiss_kappa(
    ratings: pd.DataFrame | Sequence | np.ndarray,
    *,
    item: str = "item",
    rating: str = "rating",
    categories: Sequence | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Fleiss' kappa for many raters and nominal categories, with unequal raters per item allowed.

    Parameters
    ----------
    ratings : DataFrame, sequence of tuples, or 2-d array
        Long table (``item``, ``rating`` columns; a rater column is not needed), one tuple of
        votes per item, or a count table (items x categories, e.g. from :func:`vote_counts`).
    item, rating : str
        Column names of the long table.
    categories : sequence, optional
        The full category set (categories nobody used do not change kappa).
    ci : float
        Confidence level of ``ci_low, ci_high``.

    Returns
    -------
    pandas.DataFrame
        One row: ``kappa``, ``se`` and the Wald interval ``ci_low, ci_high`` (large-sample, items as
        the sampled units), ``se_null``, ``z`` and ``p`` (test of kappa = 0), ``p_observed``,
        ``p_expected``, ``n_items`` (items used),
        ``n_items_excluded`` (items with a single vote: they carry no agreement information),
        ``min_raters``, ``max_raters``, ``n_categories``, ``method``.

    Notes
    -----
    With the same number of votes n on every item this is Fleiss (1971), computed by
    :func:`statsmodels.stats.inter_rater.fleiss_kappa`. With unequal numbers (USS: 3-7 ratings
    per turn) it is the generalisation for missing ratings of Gwet (2014, *Handbook of Inter-Rater
    Reliability*, 4th ed., ch. 2), without any small-sample correction; it equals Fleiss' when
    all n are equal:
    p_o = mean over items with nᵢ ≥ 2 of Σⱼ nᵢⱼ(nᵢⱼ - 1) / (nᵢ(nᵢ - 1)) and
    p_e = Σⱼ πⱼ², πⱼ = mean over items of nᵢⱼ / nᵢ. Ratings on an ordered scale (satisfaction
    1-5) are better summarised by :func:`krippendorff_alpha` with ``level="ordinal"``.

    Standard errors. ``se`` (for the interval) is the large-sample linearisation (delta-method)
    variance over items of Gwet (2014, ch. 5), valid whatever the true kappa and with unequal
    numbers of votes: Var = Σᵢ Lᵢ² / (N (N - 1)) with the influence value
    Lᵢ = [(uᵢ - p_o) - 2 (1 - κ)(p_e|i - p_e)] / (1 - p_e). ``se_null`` is the SE under κ = 0 of
    Fleiss, Nee & Landis (1979) (also Fleiss, Levin & Paik 2003, *Statistical Methods for Rates
    and Proportions*, 3rd ed., ch. 18), used for ``z`` and ``p``; it is only defined for equal
    votes per item (otherwise ``se_null = se``). Fleiss' original 1971 variance is known to be
    wrong and is not used. Both treat items as independent: with items nested in dialogues,
    bootstrap dialogues instead (:func:`~omotenashi_research.stats.resampling.cluster_bootstrap`).

    Examples
    --------
    >>> from omotenashi_research.stats.agreement import fleiss_kappa
    >>> votes = [(1, 1, 1), (2, 2, 1), (3, 3, 3), (1, 2, 2), (3, 3)]
    >>> round(float(fleiss_kappa(votes)["kappa"].iloc[0]), 3)  # (0.7333 - 0.3422) / (1 - 0.3422)
    0.595
    """
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    what = "fleiss_kappa"
    if not (isinstance(ci, (float, int)) and 0 < ci < 1):
        raise ValueError(f"{what}: ci must be a confidence level strictly between 0 and 1, got {ci!r}")
    if isinstance(ratings, np.ndarray) or (
        isinstance(ratings, pd.DataFrame) and not {item, rating} <= set(ratings.columns)
    ):
        table = pd.DataFrame(np.asarray(ratings))
        values = table.to_numpy(dtype=float)
        if values.ndim != 2 or not np.isfinite(values).all() or (values < 0).any() or (values % 1).any():
            raise ValueError(
                f"{what}: a count table must be a 2-d array of non-negative integers (items x categories); "
                f"or pass a long table with {item!r} and {rating!r} columns"
            )
    else:
        table = vote_counts(ratings, item=item, rating=rating, categories=categories)
    counts = table.to_numpy(dtype=float)
    n_i = counts.sum(axis=1)
    rated = n_i > 0
    counts, n_i = counts[rated], n_i[rated]
    multi = n_i >= 2
    if multi.sum() < 2:
        raise ValueError(f"{what}: need at least 2 items with 2 or more votes, got {int(multi.sum())}")
    if counts.shape[1] < 2 and categories is None:
        raise ValueError(f"{what}: all votes fall in one category: kappa is undefined")
    equal = np.all(n_i == n_i[0])
    c, n = counts[multi], n_i[multi]
    p_o = float(np.mean(np.sum(c * (c - 1), axis=1) / (n * (n - 1))))
    pi = np.mean(counts / n_i[:, None], axis=0)
    p_e = float(np.sum(pi**2))
    if p_e == 1:
        raise ValueError(f"{what}: all votes fall in one category: kappa is undefined (expected agreement 1)")
    if equal:
        kappa = float(sm_fleiss_kappa(counts, method="fleiss"))
        method = "Fleiss (1971)"
    else:
        kappa = (p_o - p_e) / (1 - p_e)
        method = "Fleiss, unequal raters per item (Gwet 2014)"
    # Non-null SE (for the interval): linearisation over items (Gwet 2014, ch. 5), items as the
    # sampled units. kappa is a function of two item means, p_o (over items with >= 2 votes) and
    # pi; its influence value per item is [(u_i - p_o) - 2 (1 - kappa)(pe_i - p_e)] / (1 - p_e) with
    # u_i = N / N_multi * agreement_i (0 for single-vote items) and pe_i = sum_j pi_j n_ij / n_i.
    n_all = counts.shape[0]
    agree = np.zeros(n_all)
    agree[multi] = np.sum(c * (c - 1), axis=1) / (n * (n - 1)) * n_all / multi.sum()
    pe_i = (counts / n_i[:, None]) @ pi
    infl = ((agree - p_o) - 2 * (1 - kappa) * (pe_i - p_e)) / (1 - p_e)
    se = float(np.sqrt(np.sum(infl**2) / (n_all * (n_all - 1))))
    q = stats.norm.ppf(1 - (1 - ci) / 2)
    # Null SE (for the test of kappa = 0): Fleiss, Nee & Landis (1979); Fleiss, Levin & Paik (2003,
    # ch. 18). Equal votes per item only: sqrt(2) / (sum pq sqrt(N m (m - 1))) *
    # sqrt((sum pq)^2 - sum pq (q - p)).
    if equal:
        m, pq = n_i[0], pi * (1 - pi)
        se_null = float(np.sqrt(2) / (pq.sum() * np.sqrt(n_all * m * (m - 1)))
                        * np.sqrt(pq.sum() ** 2 - np.sum(pq * ((1 - pi) - pi))))
    else:
        se_null = se  # no null formula for unequal raters: test with the non-null SE (Gwet 2014)
    z = kappa / se_null if se_null > 0 else np.nan
    return pd.DataFrame([{
        "kappa": kappa, "se": se, "ci_low": kappa - q * se, "ci_high": kappa + q * se, "se_null": se_null,
        "z": z, "p": float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else np.nan,
        "p_observed": p_o, "p_expected": p_e, "n_items": int(multi.sum()),
        "n_items_excluded": int((~multi).sum()), "min_raters": int(n_i.min()), "max_raters": int(n_i.max()),
        "n_categories": int(counts.shape[1]), "method": method,
    }])


def krippendorff_alpha(
    ratings: pd.DataFrame | Sequence | np.ndarray,
    *,
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal",
    item: str = "item",
    rater: str | None = "rater",
    rating: str = "rating",
    value_domain: Sequence | None = None,
) -> pd.DataFrame:
    """Krippendorff's alpha (missing ratings allowed), via the ``krippendorff`` package.

    Parameters
    ----------
    ratings : DataFrame, sequence of tuples, or 2-d array
        Long table with ``item``, ``rating`` (and ``rater``: one vote per item and rater); one tuple
        of votes per item (rater identity is not needed by alpha); or a raters x items array with
        NaN for missing ratings.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement (the distance metric). Satisfaction ratings 1-5: ``"ordinal"``.
    item, rater, rating : str
        Column names of the long table. When the ``rater`` column is absent (or ``rater=None``),
        votes are pooled per item.
    value_domain : sequence, optional
        Ordered possible values (e.g. ``range(1, 6)``). Default: the sorted observed values.

    Returns
    -------
    pandas.DataFrame
        One row: ``alpha``, ``level``, ``n_items`` (pairable items: 2 or more ratings),
        ``n_items_excluded`` (items with one rating: alpha ignores them), ``n_ratings`` (pairable
        ratings), ``method``.

    Notes
    -----
    Krippendorff (2011), "Computing Krippendorff's alpha-reliability". Known answers on his
    4-observer, 12-unit example: nominal 0.743, ordinal 0.815, interval 0.849 (tested).

    Examples
    --------
    >>> from omotenashi_research.stats.agreement import krippendorff_alpha
    >>> votes = [(1, 1, 2), (4, 5, 5), (3, 3, 3), (2, 1), (5, 4, 5)]
    >>> round(float(krippendorff_alpha(votes, level="ordinal")["alpha"].iloc[0]), 3)
    0.87
    """
    import krippendorff

    what = "krippendorff_alpha"
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"{what}: level must be nominal, ordinal, interval or ratio, got {level!r}")
    if isinstance(ratings, np.ndarray):
        data = np.asarray(ratings, dtype=float)
        if data.ndim != 2:
            raise ValueError(f"{what}: a reliability matrix must be 2-d (raters x items), got {data.ndim}-d")
        counts_per_item = np.sum(~np.isnan(data), axis=0)
        observed = np.unique(data[~np.isnan(data)])
        kwargs = {"reliability_data": data}
    elif isinstance(ratings, pd.DataFrame) and rater is not None and rater in ratings.columns:
        missing = [c for c in (item, rating) if c not in ratings.columns]
        if missing:
            raise KeyError(f"{what}: column(s) {missing} not in the table (columns: {list(ratings.columns)})")
        dup = ratings.duplicated([item, rater], keep=False)
        if dup.any():
            rows = ratings.index[dup][:5].tolist()
            raise ValueError(f"{what}: rows {rows} give the same ({item!r}, {rater!r}) more than once")
        wide = ratings.pivot(index=rater, columns=item, values=rating)
        data = wide.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        if np.isnan(data).sum() != wide.isna().to_numpy().sum():
            raise ValueError(f"{what}: column {rating!r} must be numeric (code categories as numbers)")
        counts_per_item = np.sum(~np.isnan(data), axis=0)
        observed = np.unique(data[~np.isnan(data)])
        kwargs = {"reliability_data": data}
    else:
        table = vote_counts(ratings, item=item, rating=rating, categories=value_domain)
        counts_per_item = table.to_numpy().sum(axis=1)
        observed = np.asarray(table.columns)
        kwargs = {"value_counts": table.to_numpy(dtype=float), "value_domain": list(table.columns)}
    domain = list(value_domain) if value_domain is not None else sorted(observed.tolist())
    if "reliability_data" in kwargs:
        outside = set(observed.tolist()) - set(domain)
        if outside:
            raise ValueError(f"{what}: values {sorted(outside)[:5]} are not in value_domain {domain}")
        kwargs["value_domain"] = domain
    pairable = counts_per_item >= 2
    if pairable.sum() < 1 or len(observed) < 2:
        raise ValueError(f"{what}: need pairable items (2+ ratings) and at least 2 distinct values; got "
                         f"{int(pairable.sum())} pairable item(s) and values {observed.tolist()[:5]}")
    alpha = float(krippendorff.alpha(level_of_measurement=level, **kwargs))
    return pd.DataFrame([{
        "alpha": alpha, "level": level, "n_items": int(pairable.sum()),
        "n_items_excluded": int((~pairable & (counts_per_item > 0)).sum()),
        "n_ratings": int(counts_per_item[pairable].sum()), "method": "Krippendorff (2011)",
    }])
