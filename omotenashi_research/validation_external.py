"""External validation of the markers (issue 9, deliverables 4 and 5): parallel text and outside criteria.

Two questions, each answered by functions that return tidy :class:`pandas.DataFrame` tables for
``docs/validation.md``:

- **The same construct in both languages** (:func:`parallel_agreement`): on parallel text -- BSD's
  Japanese-English sentence pairs and CoCoA-MT's English source with its formal Japanese reference --
  does the Japanese marker fire on the Japanese side exactly when the English marker fires on the
  English side? Cohen's kappa per construct with a cluster-bootstrap CI and the count of each
  disagreement direction; :func:`parallel_disagreements` lists the IDs (never the text) of disagreeing
  pairs for inspection.
- **Criterion validity beyond our own labels** (:func:`criterion_validity` and the functions it calls):
  the KokoroChat client's 受容・共感 rating vs the counsellor's empathy-marker rate
  (:func:`kokorochat_criterion`), politeness markers vs the multilingual politeness ratings
  (:func:`politeness_correlations`, :func:`politeness_model_cv`), teineigo vs CoCoA-MT's
  formal/informal references at sentence and span level (:func:`cocoa_sentence_level`,
  :func:`cocoa_span_level`) and PASTEL-JP minimal pairs (:func:`pastel_pairs`).

Every function takes precomputed inputs (marker counts, flags) so that a caller can count once and
reuse; when they are omitted it loads the corpus (``$OMOTENASHI_DATA``) and counts. Nothing is
cached on disk and no corpus text is returned: the tables hold IDs, counts and statistics only.
All resampling is seeded.

Runtime (measured 2026-11-28 on the 2-core project machine at a load average of ~8, i.e. shared with
other jobs; expect about a third on an idle machine): parallel text 16 s to load + 78 s to count
5,765 pairs in both languages + 16 s for the table; politeness 113 s to count 11,399 texts + 22 s
for the CV; CoCoA-MT keigo spans of 3,188 references ~100 s; PASTEL-JP 3 s. KokoroChat: load
~70 s, then :func:`~omotenashi_research.markers.count_markers` needs ~1.3-2.5 ms of CPU per
counsellor message, i.e. 7-13 CPU minutes for all 306,495 -- pass ``kokorochat_rates`` precomputed
(:func:`kokorochat_dialogue_rates`) or leave this section out of quick runs.

Layout: the parallel-text functions live in :mod:`~omotenashi_research.validation_parallel`, the
criterion-validity ones in :mod:`~omotenashi_research.validation_criterion`; this module holds the
section list (:data:`EXTERNAL_SECTIONS`), :func:`criterion_validity` and :func:`run_external`, and
re-exports every name of those modules.
"""

from __future__ import annotations

import time

import pandas as pd

# re-exported so that ``validation_external.<name>`` keeps working (private names included: tests use them)
from omotenashi_research.validation_criterion import (  # noqa: F401
    _KEIGO,
    _RATING,
    POLITENESS_FEATURES,
    _cocoa_references,
    _keigo_char_spans,
    _keigo_counts_from_spans,
    _pastel_scores,
    _politeness_inputs,
    _spearman,
    cocoa_sentence_level,
    cocoa_span_level,
    kokorochat_criterion,
    kokorochat_dialogue_rates,
    pastel_failures,
    pastel_pairs,
    politeness_correlations,
    politeness_model_cv,
    span_overlap,
)
from omotenashi_research.validation_metrics import SEED
from omotenashi_research.validation_parallel import (  # noqa: F401
    _DIRECTIONS,
    CONSTRUCTS,
    _cluster_kappa_ci,
    _kappa_from_tables,
    _require,
    parallel_agreement,
    parallel_disagreements,
    parallel_flags,
    parallel_pairs,
)

__all__ = [
    "CONSTRUCTS",
    "EXTERNAL_SECTIONS",
    "POLITENESS_FEATURES",
    "cocoa_sentence_level",
    "cocoa_span_level",
    "criterion_validity",
    "kokorochat_criterion",
    "kokorochat_dialogue_rates",
    "parallel_agreement",
    "parallel_disagreements",
    "parallel_flags",
    "parallel_pairs",
    "pastel_failures",
    "pastel_pairs",
    "politeness_correlations",
    "politeness_model_cv",
    "run_external",
    "span_overlap",
]


# --------------------------------------------------------------------------------------------------
# all sections

#: (key, title) of the sections :func:`run_external` returns, in report order.
EXTERNAL_SECTIONS: tuple[tuple[str, str], ...] = (
    ("parallel", "Parallel text: the same construct in both languages (BSD, CoCoA-MT)"),
    ("kokorochat", "KokoroChat: counsellor empathy rate vs the client's 受容・共感 rating"),
    ("politeness_features", "Multilingual politeness: marker vs rating (Spearman)"),
    ("politeness_model", "Multilingual politeness: cross-validated ridge on all markers"),
    ("cocoa_sentence", "CoCoA-MT: teineigo vs formal/informal reference (sentence level)"),
    ("cocoa_span", "CoCoA-MT: [F] spans covered by our keigo spans (span level)"),
    ("pastel", "PASTEL-JP: keigo on the polite/formal vs impolite/informal side"),
)


def criterion_validity(
    *,
    kokorochat_rates: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = SEED,
    k: int = 10,
) -> dict[str, pd.DataFrame]:
    """All criterion-validity tables (deliverable 5) keyed as in :data:`EXTERNAL_SECTIONS`.

    ``kokorochat_rates`` (from :func:`kokorochat_dialogue_rates`) skips loading and counting KokoroChat.
    Each table has ``attrs["seconds"]``, the wall time it took.
    """
    out: dict[str, pd.DataFrame] = {}

    def timed(key: str, fn) -> None:
        t0 = time.perf_counter()
        out[key] = fn()
        out[key].attrs["seconds"] = round(time.perf_counter() - t0, 1)

    timed("kokorochat", lambda: kokorochat_criterion(kokorochat_rates, n_boot=n_boot, seed=seed))
    from omotenashi_research.datasets import load_cocoa_mt, load_multilingual_politeness

    pol, counts = _politeness_inputs(load_multilingual_politeness(), None)
    timed("politeness_features", lambda: politeness_correlations(pol, counts))
    timed("politeness_model", lambda: politeness_model_cv(pol, counts, k=k, seed=seed))
    refs = load_cocoa_mt(layout="references")
    t0 = time.perf_counter()
    predicted = _keigo_char_spans(refs["text"].tolist())  # tokenise once for both levels
    seconds = time.perf_counter() - t0
    timed("cocoa_sentence", lambda: cocoa_sentence_level(refs, _keigo_counts_from_spans(predicted),
                                                         n_boot=n_boot, seed=seed))
    timed("cocoa_span", lambda: cocoa_span_level(refs, predicted))
    out["cocoa_span"].attrs["seconds"] += round(seconds, 1)
    timed("pastel", lambda: pastel_pairs())
    return out


def run_external(*, n_boot: int = 1000, seed: int = SEED, kokorochat_rates: pd.DataFrame | None = None,
                 k: int = 10) -> dict[str, pd.DataFrame]:
    """Every table of this module keyed as in :data:`EXTERNAL_SECTIONS` (parallel agreement first)."""
    t0 = time.perf_counter()
    out = {"parallel": parallel_agreement(n_boot=n_boot, seed=seed)}
    out["parallel"].attrs["seconds"] = round(time.perf_counter() - t0, 1)
    out.update(criterion_validity(kokorochat_rates=kokorochat_rates, n_boot=n_boot, seed=seed, k=k))
    return out
