"""Parallel-text agreement of the markers (issue 9, deliverable 4): the same construct in both languages.

On BSD's Japanese-English sentence pairs and CoCoA-MT's English source with its formal Japanese
reference (:func:`parallel_pairs`), :func:`parallel_flags` flags each side with the markers of
:data:`CONSTRUCTS`, :func:`parallel_agreement` gives Cohen's kappa per construct with a cluster-bootstrap
CI and the count of each disagreement direction, and :func:`parallel_disagreements` lists the IDs (never
the text) of disagreeing pairs. :mod:`omotenashi_research.validation_external` re-exports every name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from omotenashi_research.validation_metrics import SEED, cohen_kappa

__all__ = [
    "CONSTRUCTS",
    "parallel_agreement",
    "parallel_disagreements",
    "parallel_flags",
    "parallel_pairs",
]

#: construct -> (Japanese markers, English markers); a side is flagged when any of its markers counts.
#: Politeness form: English has no verb morphology for honorifics, so ConvoKit-style ``deference``
#: ("would you mind", "sir") stands for sonkeigo/kenjougo (teineigo has no English counterpart).
CONSTRUCTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gratitude": (("gratitude",), ("gratitude",)),
    "apology": (("apology",), ("apology",)),
    "empathy": (("empathy",), ("empathy",)),
    "ownership": (("ownership",), ("ownership",)),
    "deflection": (("deflection",), ("deflection",)),
    "politeness_form": (("sonkeigo", "kenjougo"), ("deference",)),
}

_DIRECTIONS = {"ja_only": (True, False), "en_only": (False, True)}


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; got {list(df.columns)}")



# --------------------------------------------------------------------------------------------------
# 4. parallel text


def parallel_pairs(bsd: pd.DataFrame | None = None, cocoa: pd.DataFrame | None = None) -> pd.DataFrame:
    """Japanese-English sentence pairs of BSD (dev + test) and CoCoA-MT (English source, formal reference).

    Parameters
    ----------
    bsd : pandas.DataFrame, optional
        :func:`~omotenashi_research.datasets.load_bsd` sentence rows (default: loaded).
    cocoa : pandas.DataFrame, optional
        :func:`~omotenashi_research.datasets.load_cocoa_mt` segments (default: loaded).

    Returns
    -------
    pandas.DataFrame
        ``source`` (``"bsd"``/``"cocoa-mt"``), ``pair_id`` (BSD ``<scenario>#<no>``, CoCoA-MT
        ``<split>:<domain>:<line>``), ``cluster`` (BSD scenario, CoCoA-MT segment: the bootstrap unit),
        ``direction`` (BSD ``ja->en``/``en->ja`` by the original language; CoCoA-MT ``en->ja``),
        ``ja_text``, ``en_text``. Held in memory only: corpus text, never write it to the repository.

    Examples
    --------
    >>> import pandas as pd
    >>> bsd = pd.DataFrame({"pair_id": ["s1#1", "s1#1"], "scenario_id": ["s1", "s1"],
    ...                     "original_language": ["ja", "ja"], "lang": ["ja", "en"],
    ...                     "text": ["ありがとう。", "Thanks."]})
    >>> cocoa = pd.DataFrame({"item_id": ["test:telephony:1"], "text": ["Sorry."],
    ...                       "ja_formal": ["すみません。"]})
    >>> parallel_pairs(bsd, cocoa)[["source", "pair_id", "direction"]].values.tolist()
    [['bsd', 's1#1', 'ja->en'], ['cocoa-mt', 'test:telephony:1', 'en->ja']]
    """
    if bsd is None:
        from omotenashi_research.datasets import load_bsd

        bsd = load_bsd()
    if cocoa is None:
        from omotenashi_research.datasets import load_cocoa_mt

        cocoa = load_cocoa_mt()
    _require(bsd, ["pair_id", "scenario_id", "original_language", "lang", "text"], "parallel_pairs(bsd)")
    _require(cocoa, ["item_id", "text", "ja_formal"], "parallel_pairs(cocoa)")
    wide = bsd.pivot_table(index=["pair_id", "scenario_id", "original_language"], columns="lang",
                           values="text", aggfunc="first").reset_index()
    unpaired = wide[["ja", "en"]].isna().any(axis=1) if {"ja", "en"} <= set(wide.columns) else None
    if unpaired is None or unpaired.any():
        bad = [] if unpaired is None else wide.loc[unpaired, "pair_id"].tolist()[:5]
        raise ValueError(f"parallel_pairs(bsd): every pair_id needs a 'ja' and an 'en' row; unpaired e.g. "
                         f"{bad}")
    out_bsd = pd.DataFrame({
        "source": "bsd", "pair_id": wide["pair_id"], "cluster": "bsd:" + wide["scenario_id"].astype(str),
        "direction": wide["original_language"].map({"ja": "ja->en", "en": "en->ja"}),
        "ja_text": wide["ja"], "en_text": wide["en"],
    })
    out_cocoa = pd.DataFrame({
        "source": "cocoa-mt", "pair_id": cocoa["item_id"], "cluster": "cocoa:" + cocoa["item_id"].astype(str),
        "direction": "en->ja", "ja_text": cocoa["ja_formal"], "en_text": cocoa["text"],
    })
    return pd.concat([out_bsd, out_cocoa], ignore_index=True)


def parallel_flags(
    pairs: pd.DataFrame,
    *,
    ja_counts: pd.DataFrame | None = None,
    en_counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per pair and construct, whether the Japanese and the English side are flagged (no text kept).

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`parallel_pairs` output (``source``, ``pair_id``, ``cluster``, ``direction``, ``ja_text``,
        ``en_text``).
    ja_counts, en_counts : pandas.DataFrame, optional
        :func:`~omotenashi_research.markers.count_markers` of ``ja_text`` / ``en_text``, row-aligned with
        ``pairs`` (default: counted here).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``pair_id``, ``cluster``, ``direction`` and bool ``ja_<construct>``,
        ``en_<construct>`` for each construct of :data:`CONSTRUCTS`.
    """
    from omotenashi_research.markers import count_markers

    _require(pairs, ["source", "pair_id", "cluster", "direction", "ja_text", "en_text"], "parallel_flags")
    if ja_counts is None:
        ja_counts = count_markers(pairs["ja_text"].tolist(), "ja")
    if en_counts is None:
        en_counts = count_markers(pairs["en_text"].tolist(), "en")
    for name, counts in (("ja_counts", ja_counts), ("en_counts", en_counts)):
        if len(counts) != len(pairs):
            raise ValueError(f"parallel_flags: {name} has {len(counts)} rows, pairs has {len(pairs)}")
    out = pairs[["source", "pair_id", "cluster", "direction"]].reset_index(drop=True).copy()
    for construct, (ja_m, en_m) in CONSTRUCTS.items():
        _require(ja_counts, ja_m, "parallel_flags(ja_counts)")
        _require(en_counts, en_m, "parallel_flags(en_counts)")
        out[f"ja_{construct}"] = (ja_counts[list(ja_m)].to_numpy() > 0).any(axis=1)
        out[f"en_{construct}"] = (en_counts[list(en_m)].to_numpy() > 0).any(axis=1)
    return out


def _kappa_from_tables(tables: np.ndarray) -> np.ndarray:
    """Cohen's kappa of 2x2 tables stacked as (..., 4) counts [both, ja_only, en_only, neither]."""
    both, ja_only, en_only, neither = (tables[..., i].astype(float) for i in range(4))
    n = both + ja_only + en_only + neither
    with np.errstate(invalid="ignore", divide="ignore"):
        po = (both + neither) / n
        pj, pe = (both + ja_only) / n, (both + en_only) / n
        pexp = pj * pe + (1 - pj) * (1 - pe)
        return np.where(pexp < 1, (po - pexp) / (1 - pexp), np.nan)


def _cluster_kappa_ci(ja: np.ndarray, en: np.ndarray, clusters: np.ndarray, n_boot: int,
                      seed: int) -> tuple[float, float]:
    """Percentile CI of kappa, resampling whole clusters: a scenario's pairs are not independent."""
    codes, uniques = pd.factorize(clusters)
    k = len(uniques)
    if n_boot <= 0 or k < 2:
        return (math.nan, math.nan)
    cells = np.stack([ja & en, ja & ~en, ~ja & en, ~ja & ~en], axis=1).astype(np.int64)
    per_cluster = np.zeros((k, 4), dtype=np.int64)
    np.add.at(per_cluster, codes, cells)
    rng = np.random.default_rng(seed)
    # multinomial weights = how often each cluster is drawn in a resample of k clusters
    weights = rng.multinomial(k, np.full(k, 1 / k), size=n_boot)
    kappas = _kappa_from_tables(weights @ per_cluster)
    kappas = kappas[np.isfinite(kappas)]
    if kappas.size < 2:
        return (math.nan, math.nan)
    lo, hi = np.quantile(kappas, [0.025, 0.975])
    return (float(lo), float(hi))


def parallel_agreement(
    flags: pd.DataFrame | None = None, *, n_boot: int = 1000, seed: int = SEED
) -> pd.DataFrame:
    """Agreement between the Japanese marker on the Japanese side and the English marker on the English side.

    Parameters
    ----------
    flags : pandas.DataFrame, optional
        :func:`parallel_flags` output (default: built from the corpora).
    n_boot : int
        Cluster-bootstrap resamples for the kappa CI (0: none).
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per ``source`` (``"bsd"``, ``"cocoa-mt"``, ``"pooled"``), ``direction`` (``"all"`` and,
        for BSD, ``"ja->en"``/``"en->ja"`` by the side written first) and ``construct``: ``n`` pairs,
        ``ja_pos``, ``en_pos``, ``both``, ``ja_only``, ``en_only``, ``agreement`` (observed share),
        ``kappa`` (statsmodels), ``kappa_low``/``kappa_high`` (percentile CI from a seeded bootstrap of
        clusters: BSD scenarios, CoCoA-MT segments) and ``n_clusters``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"source": "bsd", "pair_id": list("abcd"), "cluster": ["s1", "s1", "s2", "s2"],
    ...                   "direction": "ja->en", "ja_apology": [True, True, False, False],
    ...                   "en_apology": [True, False, True, False]})
    >>> row = parallel_agreement(f, n_boot=0).query("source == 'bsd' and direction == 'all'").iloc[0]
    >>> [float(v) for v in row[["both", "ja_only", "en_only", "kappa"]]]
    [1.0, 1.0, 1.0, 0.0]
    """
    if flags is None:
        flags = parallel_flags(parallel_pairs())
    _require(flags, ["source", "pair_id", "cluster", "direction"], "parallel_agreement")
    constructs = [c for c in CONSTRUCTS if f"ja_{c}" in flags.columns and f"en_{c}" in flags.columns]
    if not constructs:
        raise ValueError("parallel_agreement: flags has no ja_<construct>/en_<construct> column pair")
    groups: list[tuple[str, str, pd.DataFrame]] = []
    for source, part in flags.groupby("source", sort=True):
        groups.append((str(source), "all", part))
        if part["direction"].nunique() > 1:
            groups += [(str(source), str(d), p) for d, p in part.groupby("direction", sort=True)]
    if flags["source"].nunique() > 1:
        groups.append(("pooled", "all", flags))
    rows = []
    for source, direction, part in groups:
        for construct in constructs:
            ja = part[f"ja_{construct}"].to_numpy(dtype=bool)
            en = part[f"en_{construct}"].to_numpy(dtype=bool)
            k = cohen_kappa(ja.astype(int), en.astype(int))
            lo, hi = _cluster_kappa_ci(ja, en, part["cluster"].to_numpy(), n_boot, seed)
            rows.append({
                "source": source, "direction": direction, "construct": construct, "n": len(part),
                "ja_pos": int(ja.sum()), "en_pos": int(en.sum()), "both": int((ja & en).sum()),
                "ja_only": int((ja & ~en).sum()), "en_only": int((~ja & en).sum()),
                "agreement": k["agreement"], "kappa": k["kappa"], "kappa_low": lo, "kappa_high": hi,
                "n_clusters": int(part["cluster"].nunique()),
            })
    return pd.DataFrame(rows)


def parallel_disagreements(
    construct: str,
    n: int = 20,
    *,
    flags: pd.DataFrame | None = None,
    source: str | None = None,
    seed: int = SEED,
) -> pd.DataFrame:
    """IDs (never text) of pairs whose two sides disagree on ``construct``: inspect which side is wrong.

    Parameters
    ----------
    construct : str
        A key of :data:`CONSTRUCTS`.
    n : int
        At most ``n`` pairs per source and direction (``ja_only``, ``en_only``), a seeded random sample.
    flags : pandas.DataFrame, optional
        :func:`parallel_flags` output (default: built from the corpora).
    source : str, optional
        Only this source (``"bsd"`` or ``"cocoa-mt"``).
    seed : int

    Returns
    -------
    pandas.DataFrame
        ``source``, ``pair_id``, ``construct``, ``disagreement`` (``"ja_only"``: only the Japanese
        side flagged; ``"en_only"``), sorted. Resolve the text at run time with the loaders
        (BSD ``pair_id``, CoCoA-MT ``item_id``) and :func:`~omotenashi_research.markers.explain`.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"source": "bsd", "pair_id": list("abc"), "cluster": "s", "direction": "ja->en",
    ...                   "ja_empathy": [True, False, True], "en_empathy": [True, True, False]})
    >>> parallel_disagreements("empathy", flags=f)[["pair_id", "disagreement"]].values.tolist()
    [['c', 'ja_only'], ['b', 'en_only']]
    """
    if construct not in CONSTRUCTS:
        raise ValueError(f"unknown construct {construct!r}; choose from {list(CONSTRUCTS)}")
    if flags is None:
        flags = parallel_flags(parallel_pairs())
    _require(flags, ["source", "pair_id", f"ja_{construct}", f"en_{construct}"], "parallel_disagreements")
    if source is not None:
        flags = flags[flags["source"] == source]
    ja = flags[f"ja_{construct}"].to_numpy(dtype=bool)
    en = flags[f"en_{construct}"].to_numpy(dtype=bool)
    rng = np.random.default_rng(seed)
    parts = []
    for label, (want_ja, want_en) in _DIRECTIONS.items():
        sel = flags[(ja == want_ja) & (en == want_en)]
        for src, part in sel.groupby("source", sort=True):
            take = part if len(part) <= n else part.iloc[np.sort(rng.choice(len(part), n, replace=False))]
            parts.append(pd.DataFrame({"source": src, "pair_id": take["pair_id"].to_numpy(),
                                       "construct": construct, "disagreement": label}))
    cols = ["source", "pair_id", "construct", "disagreement"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]
