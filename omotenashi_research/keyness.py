"""Keyness: which words distinguish two sets of texts (weighted log-odds, Monroe et al. 2008).

Monroe, Colaresi & Quinn (2008), "Fightin' Words", *Political Analysis* 16: 372-403,
section 3.5.1 (equations 16-22). With counts ``y_w^a``, ``y_w^b``, totals ``n^a``, ``n^b``
and Dirichlet prior ``alpha_w`` (``alpha0 = sum_w alpha_w``)::

    delta_w = log[(y_w^a + alpha_w) / (n^a + alpha0 - y_w^a - alpha_w)]
            - log[(y_w^b + alpha_w) / (n^b + alpha0 - y_w^b - alpha_w)]      (eq. 16)
    var_w  ~= 1 / (y_w^a + alpha_w) + 1 / (y_w^b + alpha_w)                  (eq. 20)
    z_w     = delta_w / sqrt(var_w)                                          (eq. 22)

Default prior: the *informative* empirical prior of the paper, ``alpha_w`` proportional to
the pooled count of ``w`` in both sets, scaled so that ``alpha0`` equals the pooled total
(the same empirical-Bayes choice as R ``tidylo::bind_log_odds``). Note that tidylo compares
each set with the pooled corpus (``comparison="pooled"`` here), not set a with set b.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["keyness", "weighted_log_odds"]

CountsLike = Mapping[str, float] | pd.Series


def _as_counts(counts: CountsLike, name: str) -> pd.Series:
    s = pd.Series(counts, dtype=float) if not isinstance(counts, pd.Series) else counts.astype(float)
    if s.index.has_duplicates:
        dup = s.index[s.index.duplicated()].unique().tolist()[:5]
        raise ValueError(f"{name}: duplicated terms {dup}; aggregate counts first")
    bad = s[~np.isfinite(s) | (s < 0)]
    if len(bad):
        raise ValueError(f"{name}: counts must be finite and >= 0; bad term(s): {bad.head(5).to_dict()}")
    return s


def weighted_log_odds(
    counts_a: CountsLike,
    counts_b: CountsLike,
    prior: CountsLike | Literal["empirical", "uniform"] | None = None,
    alpha0: float | None = None,
    *,
    comparison: Literal["pairwise", "pooled"] = "pairwise",
) -> pd.DataFrame:
    """Log-odds ratio with informative Dirichlet prior and its z-score, per term.

    Parameters
    ----------
    counts_a, counts_b : mapping or Series term -> count
        Term frequencies of the two sets. Terms absent from one side count 0.
    prior : {"empirical", "uniform"} or mapping term -> count, optional
        ``None``/``"empirical"``: pooled counts of a and b (informative, empirical Bayes).
        ``"uniform"``: the same ``alpha_w`` for every term (uninformative).
        A mapping: background counts (e.g. a reference corpus); terms missing from it get 0,
        which is invalid for a term with zero counts on one side (raises). Terms with
        zero counts in both sets and zero prior are left out (no information, no odds).
    alpha0 : float, optional
        Prior strength ``sum_w alpha_w``. Default: pooled total ``n^a + n^b`` for the
        empirical prior, the number of terms (``alpha_w = 1``) for the uniform prior,
        the background total for a mapping.
    comparison : {"pairwise", "pooled"}
        ``"pairwise"``: set a vs set b (Monroe eq. 16; swapping a and b negates delta and z).
        ``"pooled"``: set a vs the pooled a+b corpus with pseudo-counts, exactly as
        ``tidylo::bind_log_odds`` computes it for set a (``delta = log(omega_a) - log(omega_pooled)``,
        ``var = 1/y_wa + 1/y_w`` on pseudo-counts).

    Returns
    -------
    pandas.DataFrame
        Columns ``term, count_a, count_b, alpha, delta, var, z``, sorted by ``z`` descending
        (positive z: characteristic of a).

    Examples
    --------
    >>> from omotenashi_research.keyness import weighted_log_odds
    >>> out = weighted_log_odds({"x": 3, "y": 1}, {"x": 1, "y": 3})
    >>> out[["term", "z"]].round(4).values.tolist()
    [['x', 1.1493], ['y', -1.1493]]
    """
    a = _as_counts(counts_a, "counts_a")
    b = _as_counts(counts_b, "counts_b")
    terms = a.index.union(b.index)
    if len(terms) == 0:
        raise ValueError("no terms: both count tables are empty")
    a = a.reindex(terms, fill_value=0.0)
    b = b.reindex(terms, fill_value=0.0)
    pooled = a + b
    if prior is None or (isinstance(prior, str) and prior == "empirical"):
        base = pooled
    elif isinstance(prior, str) and prior == "uniform":
        base = pd.Series(1.0, index=terms)
    elif isinstance(prior, str):
        raise ValueError(f"prior must be 'empirical', 'uniform' or a mapping of counts, not {prior!r}")
    else:
        base = _as_counts(prior, "prior").reindex(terms, fill_value=0.0)
    if base.sum() <= 0:
        raise ValueError("prior counts sum to 0")
    if alpha0 is None:
        alpha0 = float(base.sum())
    if alpha0 <= 0:
        raise ValueError(f"alpha0 must be > 0, got {alpha0}")
    alpha = base / base.sum() * alpha0
    # A term never seen and without prior mass carries no information (and has no odds).
    informative = (pooled > 0) | (alpha > 0)
    a, b, alpha = a[informative], b[informative], alpha[informative]
    terms = a.index
    if len(terms) < 2:
        raise ValueError(f"log-odds need at least 2 terms with counts or prior mass, got {list(terms)}")
    ya, yb = a + alpha, b + alpha
    if ((ya <= 0) | (yb <= 0)).any():
        zero = ya.index[((ya <= 0) | (yb <= 0))].tolist()[:5]
        raise ValueError(f"term(s) {zero} have zero count on one side and zero prior: log-odds undefined")
    if comparison == "pairwise":
        n_a, n_b = a.sum(), b.sum()
        delta = np.log(ya / (n_a + alpha0 - ya)) - np.log(yb / (n_b + alpha0 - yb))
        var = 1.0 / ya + 1.0 / yb
    elif comparison == "pooled":
        # tidylo: pseudo-counts y_wi for set i, y_w summed over both sets' pseudo-counts.
        y_w = ya + yb
        n_i = ya.sum()
        total = y_w.sum()
        delta = np.log(ya / (n_i - ya)) - np.log(y_w / (total - y_w))
        var = 1.0 / ya + 1.0 / y_w
    else:
        raise ValueError(f"comparison must be 'pairwise' or 'pooled', not {comparison!r}")
    out = pd.DataFrame(
        {
            "term": terms.astype(str),
            "count_a": a.to_numpy(),
            "count_b": b.to_numpy(),
            "alpha": alpha.to_numpy(),
            "delta": delta.to_numpy(),
            "var": var.to_numpy(),
        }
    )
    out["z"] = out["delta"] / np.sqrt(out["var"])
    # Stable sort with the term as tie-breaker keeps the output deterministic.
    return out.sort_values(["z", "term"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _term_counts(texts: Iterable[str], lang: str, lowercase: bool) -> Counter:
    from omotenashi_research.nlp import get_pipeline, pipe

    lookup = None
    if lang == "en" and lowercase:
        # The lookup table is case-sensitive ("Thanks" has no entry): look up the lower-cased form.
        nlp = get_pipeline("en")
        if "lemmatizer" in nlp.pipe_names:
            lookup = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup", None)
    counts: Counter = Counter()
    for i, doc in enumerate(pipe(list(texts), lang)):
        if doc is None:
            raise ValueError(f"text {i} could not be processed")
        for t in doc:
            if t.is_space or t.is_punct:
                continue
            # Japanese: dictionary form (Sudachi lemma) so conjugations pool; English: lookup lemma.
            if lookup is not None:
                term = lookup.get(t.lower_, t.lower_)
            else:
                term = t.lemma_ or t.text
                term = term.lower() if lowercase else term
            counts[term] += 1
    return counts


def keyness(
    texts_a: Iterable[str],
    texts_b: Iterable[str],
    lang: str,
    *,
    min_count: int = 5,
    prior: CountsLike | Literal["empirical", "uniform"] | None = None,
    alpha0: float | None = None,
    lowercase: bool = True,
) -> pd.DataFrame:
    """Weighted log-odds keyness of lemmas between two sets of texts in one language.

    Parameters
    ----------
    texts_a, texts_b : iterable of str
        The two sets (e.g. agent turns of a Japanese vs. an English corpus translated, or
        satisfied vs. dissatisfied dialogues).
    lang : {"ja", "en"}
        Tokenised with :func:`omotenashi_research.nlp.pipe`; terms are lemmas (Japanese:
        Sudachi dictionary forms), punctuation and spaces dropped.
    min_count : int
        Keep terms whose pooled count is at least this (the prior still uses all terms).
    prior, alpha0
        See :func:`weighted_log_odds`.
    lowercase : bool
        Lower-case lemmas (no effect on Japanese script).

    Returns
    -------
    pandas.DataFrame
        As :func:`weighted_log_odds`, restricted to frequent terms.

    Examples
    --------
    >>> from omotenashi_research.keyness import keyness
    >>> out = keyness(["thanks a lot", "thanks"], ["sorry", "sorry again"], "en", min_count=2)
    >>> out["term"].tolist()
    ['thank', 'sorry']
    """
    texts_a, texts_b = list(texts_a), list(texts_b)
    for name, texts in (("texts_a", texts_a), ("texts_b", texts_b)):
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f"{name}: item(s) {bad[:5]} are not strings")
    ca = _term_counts(texts_a, lang, lowercase)
    cb = _term_counts(texts_b, lang, lowercase)
    out = weighted_log_odds(ca, cb, prior=prior, alpha0=alpha0)
    keep = (out["count_a"] + out["count_b"]) >= min_count
    return out.loc[keep].reset_index(drop=True)
