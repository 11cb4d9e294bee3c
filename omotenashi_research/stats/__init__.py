"""Statistics for nested (utterances-in-dialogues) service data: effect sizes, resampling, group
comparisons, agreement, models and power. Re-exports only."""

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
from omotenashi_research.stats.models import fit_gee, fit_mixed, fit_ordinal, fit_rate, tidy_coefs
from omotenashi_research.stats.multitest import p_adjust
from omotenashi_research.stats.power import design_effect, effective_n, power_analytic, power_simulation
from omotenashi_research.stats.resampling import cluster_bootstrap, permutation_test

__all__ = [
    "design_effect",
    "effective_n",
    "fit_gee",
    "fit_mixed",
    "fit_ordinal",
    "fit_rate",
    "power_analytic",
    "power_simulation",
    "tidy_coefs",
    "cliffs_delta",
    "cluster_bootstrap",
    "cohens_d",
    "compare_groups",
    "fleiss_kappa",
    "hedges_g",
    "krippendorff_alpha",
    "odds_ratio",
    "p_adjust",
    "permutation_test",
    "rank_biserial",
    "rate_ratio",
    "vote_counts",
]
