"""Criterion validity of the markers beyond our own labels (issue 9, deliverable 5).

The KokoroChat client's 受容・共感 rating vs the counsellor's empathy-marker rate
(:func:`kokorochat_dialogue_rates`, :func:`kokorochat_criterion`), politeness markers vs the
multilingual politeness ratings (:func:`politeness_correlations`, :func:`politeness_model_cv`),
teineigo vs CoCoA-MT's formal/informal references at sentence and span level
(:func:`cocoa_sentence_level`, :func:`cocoa_span_level`, :func:`span_overlap`) and PASTEL-JP minimal
pairs (:func:`pastel_pairs`, :func:`pastel_failures`). :mod:`omotenashi_research.validation_external`
runs them all (``criterion_validity``) and re-exports every name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from omotenashi_research.validation_metrics import SEED, binary_metrics, wilson_ci
from omotenashi_research.validation_parallel import _require

__all__ = [
    "POLITENESS_FEATURES",
    "cocoa_sentence_level",
    "cocoa_span_level",
    "kokorochat_criterion",
    "kokorochat_dialogue_rates",
    "pastel_failures",
    "pastel_pairs",
    "politeness_correlations",
    "politeness_model_cv",
    "span_overlap",
]

#: Features correlated with the multilingual politeness rating, per language.
POLITENESS_FEATURES: dict[str, tuple[str, ...]] = {
    "ja": ("sonkeigo", "kenjougo", "teineigo", "bika_prefix", "gratitude", "apology", "pol_ja_please",
           "pol_ja_cushion", "pol_ja_indirect_request", "pol_ja_reassurance", "pol_ja_bare_command", "hedge"),
    "en": ("deference", "gratitude", "apology", "pol_convokit_please", "pol_convokit_please_start",
           "pol_convokit_deference", "pol_convokit_hedges", "pol_convokit_subjunctive",
           "pol_convokit_indirect_greeting", "pol_convokit_direct_question", "pol_convokit_direct_start",
           "pol_convokit_hasnegative", "pol_convokit_haspositive", "pol_r_bare_command", "pol_r_swearing",
           "hedge"),
}

_KEIGO = ("sonkeigo", "kenjougo", "teineigo", "bika_prefix")


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(spearmanr(x, y).statistic)


# --------------------------------------------------------------------------------------------------
# 5a. KokoroChat: empathy rate vs the client's 受容・共感 rating

_RATING = "showed_acceptance_and_empathy"


def kokorochat_dialogue_rates(
    utterances: pd.DataFrame, counts: pd.DataFrame | None = None,
    markers: Sequence[str] = ("empathy", "apology", "gratitude"),
) -> pd.DataFrame:
    """Share of counsellor messages with each marker, one row per dialogue, with the client's rating.

    Parameters
    ----------
    utterances : pandas.DataFrame
        :func:`~omotenashi_research.datasets.load_kokorochat` rows (``dialogue_id``, ``role``,
        ``counselor_id``, ``showed_acceptance_and_empathy``; ``text`` only when ``counts`` is omitted).
        Only ``role == "agent"`` rows (the counsellor) are used.
    counts : pandas.DataFrame, optional
        Marker counts row-aligned with the **agent rows** of ``utterances`` (in order), e.g. from
        :func:`~omotenashi_research.markers.count_markers`; default: counted here (minutes for the
        full corpus).
    markers : sequence of str

    Returns
    -------
    pandas.DataFrame
        ``dialogue_id``, ``counselor_id``, ``rating`` (the 0-5 受容・共感 item), ``n_messages``
        (counsellor messages) and ``<marker>_rate`` per marker.

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"dialogue_id": ["1", "1", "1", "2"],
    ...                   "role": ["agent", "customer", "agent", "agent"],
    ...                   "counselor_id": [7, 7, 7, 8], "showed_acceptance_and_empathy": [4, 4, 4, 2]})
    >>> c = pd.DataFrame({"empathy": [1, 0, 0]})
    >>> kokorochat_dialogue_rates(u, c, markers=["empathy"])["empathy_rate"].tolist()
    [0.5, 0.0]
    """
    _require(utterances, ["dialogue_id", "role", "counselor_id", _RATING], "kokorochat_dialogue_rates")
    agent = utterances[utterances["role"] == "agent"].reset_index(drop=True)
    if counts is None:
        from omotenashi_research.markers import count_markers

        counts = count_markers(agent["text"].tolist(), "ja")
    if len(counts) != len(agent):
        raise ValueError(f"kokorochat_dialogue_rates: counts has {len(counts)} rows but there are "
                         f"{len(agent)} agent (counsellor) rows; pass counts of the agent rows, in order")
    _require(counts, list(markers), "kokorochat_dialogue_rates(counts)")
    flags = pd.DataFrame({m: counts[m].to_numpy() > 0 for m in markers})
    flags["dialogue_id"] = agent["dialogue_id"].to_numpy()
    g = flags.groupby("dialogue_id", sort=False)
    out = g[list(markers)].mean().add_suffix("_rate")
    out.insert(0, "n_messages", g.size())
    meta = agent.groupby("dialogue_id", sort=False)[["counselor_id", _RATING]].first()
    out = meta.join(out).reset_index().rename(columns={_RATING: "rating"})
    return out[["dialogue_id", "counselor_id", "rating", "n_messages", *[f"{m}_rate" for m in markers]]]


def kokorochat_criterion(
    rates: pd.DataFrame | None = None, *, n_boot: int = 1000, seed: int = SEED
) -> pd.DataFrame:
    """Spearman rho between each dialogue-level marker rate and the client's 受容・共感 rating.

    Parameters
    ----------
    rates : pandas.DataFrame, optional
        :func:`kokorochat_dialogue_rates` output (default: loads KokoroChat and counts the counsellor
        messages: ~30 s to load plus minutes to count; pass it precomputed to reuse).
    n_boot : int
        Resamples of the counsellor-clustered bootstrap (whole counsellors are resampled with all their
        dialogues: a counsellor's dialogues share style and are not independent).
    seed : int

    Returns
    -------
    pandas.DataFrame
        One row per marker: ``marker``, ``rho``, ``ci_low``, ``ci_high`` (percentile, counsellor
        clusters), ``p_naive`` (scipy, treats dialogues as independent), ``n_dialogues``,
        ``n_counselors``, ``mean_rate``, ``share_any`` (dialogues with at least one flagged message),
        ``rating_mean``.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"dialogue_id": list("abcdef"), "counselor_id": [1, 1, 2, 2, 3, 3],
    ...                   "rating": [1, 2, 3, 4, 5, 5], "n_messages": 10,
    ...                   "empathy_rate": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]})
    >>> round(float(kokorochat_criterion(r, n_boot=0)["rho"].iloc[0]), 4)
    0.9856
    """
    from omotenashi_research.stats.resampling import cluster_bootstrap

    if rates is None:
        from omotenashi_research.datasets import load_kokorochat

        rates = kokorochat_dialogue_rates(load_kokorochat(progress=False))
    _require(rates, ["dialogue_id", "counselor_id", "rating"], "kokorochat_criterion")
    cols = [c for c in rates.columns if c.endswith("_rate")]
    if not cols:
        raise ValueError("kokorochat_criterion: rates has no <marker>_rate column")
    if rates[["rating", *cols]].isna().any().any():
        raise ValueError("kokorochat_criterion: rates has missing ratings or rates")

    def stat(s: pd.DataFrame) -> dict[str, float]:
        y = s["rating"].to_numpy(dtype=float)
        return {c: _spearman(s[c].to_numpy(), y) for c in cols}

    est = stat(rates)
    ci = {c: (math.nan, math.nan) for c in cols}
    if n_boot > 0:
        res = cluster_bootstrap(rates, stat, cluster="counselor_id", n_resamples=n_boot, seed=seed)
        ci = {r.term: (r.ci_low, r.ci_high) for r in res.itertuples()}
    rows = []
    for c in cols:
        x = rates[c].to_numpy(dtype=float)
        p = spearmanr(x, rates["rating"]).pvalue if np.isfinite(est[c]) else math.nan
        rows.append({"marker": c.removesuffix("_rate"), "rho": est[c],
                     "ci_low": float(ci[c][0]), "ci_high": float(ci[c][1]),
                     "p_naive": float(p), "n_dialogues": len(rates),
                     "n_counselors": int(rates["counselor_id"].nunique()), "mean_rate": float(x.mean()),
                     "share_any": float((x > 0).mean()), "rating_mean": float(rates["rating"].mean())})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# 5b. multilingual politeness ratings


def _politeness_inputs(data: pd.DataFrame | None, counts: Mapping[str, pd.DataFrame] | None
                       ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    if data is None:
        from omotenashi_research.datasets import load_multilingual_politeness

        data = load_multilingual_politeness()
    _require(data, ["lang", "text" if counts is None else "lang", "politeness"], "politeness")
    out: dict[str, pd.DataFrame] = {}
    for lang, part in data.groupby("lang", sort=True):
        if counts is not None and lang in counts:
            c = counts[lang]
        else:
            from omotenashi_research.markers import count_markers

            c = count_markers(part["text"].tolist(), str(lang))
        if len(c) != len(part):
            raise ValueError(f"politeness: counts[{lang!r}] has {len(c)} rows, data has {len(part)} "
                             f"{lang} rows")
        out[str(lang)] = c.reset_index(drop=True)
    return data, out


def politeness_correlations(
    data: pd.DataFrame | None = None, counts: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Spearman rho of each politeness feature (marker count) with the 0-4 politeness rating, per language.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        :func:`~omotenashi_research.datasets.load_multilingual_politeness` rows (``lang``,
        ``politeness``; ``text`` unless ``counts`` covers every language). Default: loaded.
    counts : mapping lang -> pandas.DataFrame, optional
        Marker counts row-aligned with that language's rows of ``data`` (in order).

    Returns
    -------
    pandas.DataFrame
        ``lang``, ``feature`` (:data:`POLITENESS_FEATURES`, plus ``keigo_total`` in Japanese), ``rho``,
        ``p``, ``n``, ``share_nonzero``, ``mean_rating_with`` / ``mean_rating_without`` (mean rating of
        texts where the feature is > 0 / = 0).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"lang": "en", "politeness": [1.0, 2.0, 3.0, 4.0]})
    >>> c = {"en": pd.DataFrame({"gratitude": [0, 0, 1, 2]})}
    >>> politeness_correlations(d, c).query("feature == 'gratitude'")["rho"].round(4).tolist()
    [0.9487]
    """
    data, counts = _politeness_inputs(data, counts)
    rows = []
    for lang, part in data.groupby("lang", sort=True):
        c = counts[str(lang)].copy()
        if lang == "ja" and set(_KEIGO[:3]) <= set(c.columns):
            c["keigo_total"] = c[list(_KEIGO[:3])].sum(axis=1)
        y = part["politeness"].to_numpy(dtype=float)
        feats = [f for f in (*POLITENESS_FEATURES.get(str(lang), ()), "keigo_total") if f in c.columns]
        for f in feats:
            x = c[f].to_numpy(dtype=float)
            rho = _spearman(x, y)
            p = float(spearmanr(x, y).pvalue) if np.isfinite(rho) else math.nan
            rows.append({"lang": lang, "feature": f, "rho": rho, "p": p, "n": len(y),
                         "share_nonzero": float((x > 0).mean()),
                         "mean_rating_with": float(y[x > 0].mean()) if (x > 0).any() else math.nan,
                         "mean_rating_without": float(y[x == 0].mean()) if (x == 0).any() else math.nan})
    return pd.DataFrame(rows)


def politeness_model_cv(
    data: pd.DataFrame | None = None,
    counts: Mapping[str, pd.DataFrame] | None = None,
    *,
    k: int = 10,
    seed: int = SEED,
) -> pd.DataFrame:
    """Cross-validated ridge regression of the politeness rating on all markers, per language.

    Features are ``log1p`` of every marker count of the language; ``RidgeCV`` (alphas 0.1-1000, chosen
    inside each training fold) under seeded ``k``-fold CV; scored on the out-of-fold predictions.

    Returns
    -------
    pandas.DataFrame
        ``lang``, ``n``, ``n_features``, ``r2_cv`` (out-of-fold R^2), ``spearman_cv`` (out-of-fold
        predictions vs rating) with a seeded bootstrap CI (``spearman_low``/``spearman_high``, items
        resampled), ``k``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 3, 200)
    >>> d = pd.DataFrame({"lang": "en", "politeness": x + rng.normal(0, 0.1, 200)})
    >>> res = politeness_model_cv(d, {"en": pd.DataFrame({"please": x})}, k=5)
    >>> bool(res["r2_cv"].iloc[0] > 0.9)
    True
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict

    data, counts = _politeness_inputs(data, counts)
    rows = []
    for lang, part in data.groupby("lang", sort=True):
        c = counts[str(lang)]
        X = np.log1p(c.to_numpy(dtype=float))
        y = part["politeness"].to_numpy(dtype=float)
        cv = KFold(n_splits=k, shuffle=True, random_state=seed)
        pred = cross_val_predict(RidgeCV(alphas=np.logspace(-1, 3, 9)), X, y, cv=cv)
        r2 = 1 - float(((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())
        rho = _spearman(pred, y)
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(y), size=(200, len(y)))
        boots = np.array([_spearman(pred[i], y[i]) for i in idx])
        lo, hi = np.nanquantile(boots, [0.025, 0.975])
        rows.append({"lang": lang, "n": len(y), "n_features": X.shape[1], "r2_cv": r2, "spearman_cv": rho,
                     "spearman_low": float(lo), "spearman_high": float(hi), "k": k})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# 5c. teineigo vs CoCoA-MT formal/informal references, PASTEL-JP pairs


def _cocoa_references(refs: pd.DataFrame | None) -> pd.DataFrame:
    """The given CoCoA-MT reference table, or the corpus's one row per Japanese reference."""
    if refs is not None:
        return refs
    from omotenashi_research.datasets import load_cocoa_mt

    return load_cocoa_mt(layout="references")


def cocoa_sentence_level(
    refs: pd.DataFrame | None = None, keigo: pd.DataFrame | None = None, *, n_boot: int = 1000,
    seed: int = SEED,
) -> pd.DataFrame:
    """Does teineigo (or any keigo) fire on the formal reference and not on the informal one?

    Parameters
    ----------
    refs : pandas.DataFrame, optional
        ``load_cocoa_mt(layout="references")`` rows (``formality``, ``domain``; ``text`` unless ``keigo``
        is given). Default: loaded.
    keigo : pandas.DataFrame, optional
        :func:`~omotenashi_research.markers.keigo.keigo_features` of ``refs["text"]``, row-aligned.

    Returns
    -------
    pandas.DataFrame
        ``detector`` (``teineigo``, ``any_keigo``), ``domain`` (``all`` and each domain), P/R/F1 with
        CIs (:func:`~omotenashi_research.validation.binary_metrics`; positive = formal reference),
        ``support``, ``n_predicted``, ``n``, ``auc`` (from counts).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"formality": ["formal", "informal", "formal", "informal"], "domain": "d"})
    >>> k = pd.DataFrame({"teineigo": [1, 0, 0, 1], "has_keigo": [True, False, False, True],
    ...                   "sonkeigo": 0, "kenjougo": 0, "bika_prefix": 0})
    >>> res = cocoa_sentence_level(r, k, n_boot=0)
    >>> res.query("detector == 'teineigo' and domain == 'all'")[["precision", "recall"]].values.tolist()
    [[0.5, 0.5]]
    """
    refs = _cocoa_references(refs)
    _require(refs, ["formality", "domain"], "cocoa_sentence_level")
    if keigo is None:
        from omotenashi_research.markers.keigo import keigo_features

        keigo = keigo_features(refs["text"].tolist())
    if len(keigo) != len(refs):
        raise ValueError(f"cocoa_sentence_level: keigo has {len(keigo)} rows, refs has {len(refs)}")
    _require(keigo, list(_KEIGO), "cocoa_sentence_level(keigo)")
    truth = (refs["formality"] == "formal").to_numpy()
    scores = {"teineigo": keigo["teineigo"].to_numpy(),
              "any_keigo": keigo[list(_KEIGO)].sum(axis=1).to_numpy()}
    domains = refs["domain"].to_numpy()
    rows = []
    for det, score in scores.items():
        for dom in ["all", *sorted(pd.unique(domains))]:
            sel = np.ones(len(refs), bool) if dom == "all" else domains == dom
            m = binary_metrics(truth[sel], score[sel] > 0, score[sel], n_boot=n_boot, seed=seed)
            rows.append({"detector": det, "domain": dom, **m})
    return pd.DataFrame(rows)


def span_overlap(gold: Sequence[tuple[int, int]], predicted: Sequence[tuple[int, int]]) -> list[bool]:
    """For each gold (start, end) character span, whether any predicted span overlaps it.

    Examples
    --------
    >>> span_overlap([(0, 3), (5, 8), (10, 12)], [(2, 4), (8, 10)])
    [True, False, False]
    """
    return [any(ps < ge and gs < pe for ps, pe in predicted) for gs, ge in gold]


def _keigo_char_spans(texts: Sequence[str]) -> list[dict[str, list[tuple[int, int]]]]:
    """Character spans of each keigo marker per text, as counted by ``keigo_features`` (incl. れる/られる).

    Token offsets of the matcher are mapped to characters; this avoids one DataFrame per text
    (:func:`~omotenashi_research.markers.keigo.keigo_spans` gives the same spans, 2x slower).
    """
    from omotenashi_research.markers.keigo import keigo_matcher, respectful_passive_positions

    out = []
    for doc in keigo_matcher().pipe(list(texts), batch_size=500):
        spans: dict[str, list[tuple[int, int]]] = {m: [] for m in _KEIGO}
        son = []
        for sp in keigo_matcher().spans(doc):
            last = doc[sp.end - 1]
            spans[sp.marker].append((doc[sp.start].idx, last.idx + len(last.text)))
            if sp.marker == "sonkeigo":
                son.append((sp.start, sp.end))
        # respectful passive outside lexicon sonkeigo spans, as keigo_spans/keigo_features count it
        for i in respectful_passive_positions(doc):
            if not any(s <= i < e for s, e in son):
                spans["sonkeigo"].append((doc[i].idx, doc[i].idx + len(doc[i].text)))
        out.append(spans)
    return out


def _keigo_counts_from_spans(predicted: Sequence[Mapping[str, Sequence[tuple[int, int]]]]) -> pd.DataFrame:
    """Keigo counts per text from :func:`_keigo_char_spans` (what ``keigo_features`` counts)."""
    return pd.DataFrame([{m: len(p.get(m, ())) for m in _KEIGO} for p in predicted], columns=list(_KEIGO))


def cocoa_span_level(
    refs: pd.DataFrame | None = None,
    predicted: Sequence[Mapping[str, Sequence[tuple[int, int]]]] | None = None,
) -> pd.DataFrame:
    """Share of CoCoA-MT ``[F]`` spans that overlap a teineigo (or any keigo) span of ours.

    CoCoA-MT marks the words that carry the formality level in both references (です/ます in the formal
    one, だ and plain forms in the informal one). High coverage in formal references is recall at span
    level; coverage of informal spans should be low (a teineigo hit there is a false alarm).

    Parameters
    ----------
    refs : pandas.DataFrame, optional
        ``load_cocoa_mt(layout="references")`` (``formality``, ``spans``; ``text`` unless ``predicted``).
    predicted : sequence of mapping marker -> [(start, end)], optional
        Our character spans per reference, row-aligned (default: from
        :func:`~omotenashi_research.markers.keigo.keigo_spans`).

    Returns
    -------
    pandas.DataFrame
        ``formality``, ``detector`` (``teineigo``, ``any_keigo``), ``n_spans``, ``n_covered``, ``share``
        with a Wilson CI (``share_low``, ``share_high``; spans treated as independent).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"formality": ["formal", "informal"], "spans": [((0, 2), (4, 6)), ((0, 1),)]})
    >>> p = [{"teineigo": [(4, 5)]}, {"teineigo": []}]
    >>> cocoa_span_level(r, p).query("detector == 'teineigo'")[["formality", "n_covered"]].values.tolist()
    [['formal', 1], ['informal', 0]]
    """
    refs = _cocoa_references(refs)
    _require(refs, ["formality", "spans"], "cocoa_span_level")
    if predicted is None:
        predicted = _keigo_char_spans(refs["text"].tolist())
    if len(predicted) != len(refs):
        raise ValueError(f"cocoa_span_level: predicted has {len(predicted)} rows, refs has {len(refs)}")
    rows = []
    for form in sorted(refs["formality"].unique()):
        idx = np.flatnonzero((refs["formality"] == form).to_numpy())
        for det in ("teineigo", "any_keigo"):
            covered = []
            for i in idx:
                p = predicted[i]
                spans = (list(p.get("teineigo", [])) if det == "teineigo"
                         else [s for v in p.values() for s in v])
                covered += span_overlap(refs["spans"].iloc[i], spans)
            k, n = int(sum(covered)), len(covered)
            lo, hi = wilson_ci(k, n)
            rows.append({"formality": form, "detector": det, "n_spans": n, "n_covered": k,
                         "share": k / n if n else math.nan, "share_low": lo, "share_high": hi})
    return pd.DataFrame(rows)


def _pastel_scores(pastel: pd.DataFrame | None, keigo: pd.DataFrame | None) -> pd.DataFrame:
    if pastel is None:
        from omotenashi_research.datasets import load_pastel_jp

        pastel = load_pastel_jp()
    _require(pastel, ["pair_id", "style", "positive"], "pastel_pairs")
    if keigo is None:
        from omotenashi_research.markers.keigo import keigo_features

        keigo = keigo_features(pastel["text"].tolist())
    if len(keigo) != len(pastel):
        raise ValueError(f"pastel_pairs: keigo has {len(keigo)} rows, pastel has {len(pastel)}")
    _require(keigo, list(_KEIGO), "pastel_pairs(keigo)")
    df = pastel[["pair_id", "style", "positive"]].reset_index(drop=True).copy()
    df["score"] = keigo[list(_KEIGO)].sum(axis=1).to_numpy()
    counts = df.groupby("pair_id")["positive"].agg(["sum", "size"])
    bad = counts[(counts["sum"] != 1) | (counts["size"] != 2)]
    if len(bad):
        raise ValueError(f"pastel_pairs: pairs need one positive and one negative row; bad pair_id(s) "
                         f"{bad.index.tolist()[:5]}")
    wide = df.pivot(index="pair_id", columns="positive", values="score")
    style = df.groupby("pair_id")["style"].first()
    return pd.DataFrame({"pair_id": wide.index, "style": style.reindex(wide.index).to_numpy(),
                         "score_positive": wide[True].to_numpy(), "score_negative": wide[False].to_numpy()})


def pastel_pairs(pastel: pd.DataFrame | None = None, keigo: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of PASTEL-JP pairs where the polite/formal side has more keigo than the impolite/informal side.

    The keigo score is the count of sonkeigo + kenjougo + teineigo + bika_prefix
    (:func:`~omotenashi_research.markers.keigo.keigo_features`).

    Returns
    -------
    pandas.DataFrame
        Per ``style`` (``politeness``, ``formality``, ``all``): ``n_pairs``, ``higher``, ``tie``, ``lower``,
        ``share_higher`` with a Wilson CI.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"pair_id": ["p:1", "p:1", "p:2", "p:2"], "style": "politeness",
    ...                   "positive": [True, False, True, False]})
    >>> k = pd.DataFrame({"sonkeigo": [1, 0, 0, 0], "kenjougo": 0, "teineigo": [1, 0, 0, 0],
    ...                   "bika_prefix": 0})
    >>> pastel_pairs(p, k).query("style == 'all'")[["higher", "tie", "share_higher"]].values.tolist()
    [[1.0, 1.0, 0.5]]
    """
    s = _pastel_scores(pastel, keigo)
    rows = []
    for style, part in [*s.groupby("style", sort=True), ("all", s)]:
        d = part["score_positive"] - part["score_negative"]
        k, n = int((d > 0).sum()), len(part)
        lo, hi = wilson_ci(k, n)
        rows.append({"style": style, "n_pairs": n, "higher": k, "tie": int((d == 0).sum()),
                     "lower": int((d < 0).sum()), "share_higher": k / n if n else math.nan,
                     "share_low": lo, "share_high": hi})
    return pd.DataFrame(rows)


def pastel_failures(pastel: pd.DataFrame | None = None, keigo: pd.DataFrame | None = None) -> pd.DataFrame:
    """PASTEL-JP pair IDs where the polite/formal side does **not** score higher on keigo (IDs, scores).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"pair_id": ["p:1", "p:1", "p:2", "p:2"], "style": "politeness",
    ...                   "positive": [True, False, True, False]})
    >>> k = pd.DataFrame({"sonkeigo": [1, 0, 0, 0], "kenjougo": 0, "teineigo": [1, 0, 0, 0],
    ...                   "bika_prefix": 0})
    >>> pastel_failures(p, k)["pair_id"].tolist()
    ['p:2']
    """
    s = _pastel_scores(pastel, keigo)
    return s[s["score_positive"] <= s["score_negative"]].reset_index(drop=True)
