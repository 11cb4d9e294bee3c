"""Statistics for group comparisons of nested (utterances-in-dialogues) data: re-exports only."""

from omotenashi_research.stats.agreement import fleiss_kappa, krippendorff_alpha, vote_counts
from omotenashi_research.stats.compare import compare_groups
from omotenashi_research.stats.effects import (
    cliffs_delta,
    cohens_d,
    hedges_g,
    odds_ratio,
    rank_biserial,
    rate_ratio,
)
from omotenashi_research.stats.resampling import cluster_bootstrap, permutation_test

# models, power: see stats/models.py, stats/power.py

__all__ = [
    "cliffs_delta",
    "cluster_bootstrap",
    "cohens_d",
    "compare_groups",
    "fleiss_kappa",
    "hedges_g",
    "krippendorff_alpha",
    "odds_ratio",
    "permutation_test",
    "rank_biserial",
    "rate_ratio",
    "vote_counts",
]
