"""Counselling dialogues (KokoroChat): counsellor behaviour vs the client's rating, at dialogue level.

Question: do counsellors whose messages carry more empathy, personalization, anticipation, apology,
gratitude or keigo get higher client ratings? The functions here turn per-message construct flags
(:func:`omotenashi_research.constructs.construct_flags`) into one row per dialogue, fit one model per
(rating, measure) with the counsellor as the cluster, adjust the family of tests, and check that the
estimates do not hinge on which dialogues were analysed.

Pipeline (each step a tidy :class:`pandas.DataFrame`):

1. :func:`sample_dialogues` -- a seeded random subset of dialogues split into folds (when featurising
   the whole corpus does not fit the time budget);
2. :func:`counsellor_flags` -- per counsellor message, the 0/1 flag of each construct in
   :data:`MEASURES` (no text), computed on whole dialogues (context features need the client's
   earlier messages), optionally in two processes;
3. :func:`dialogue_measures` -- per dialogue, the share of counsellor messages with each measure,
   the ratings and the confounders (length, topic);
4. :func:`fit_family` -- one proportional-odds model (0-5 items) or linear mixed model (total score)
   per (outcome, measure), effect per SD of the share, CIs, family-adjusted p-values;
5. :func:`subset_stability` -- the same family refitted on several subsets (spread of the estimates);
6. :func:`findings_rows` -- the family as rows of the project's findings table (verdicts withheld for
   measures :func:`weak_measures` finds too weak on the gold test split).

Steps 1-3 (which dialogues, per-message flags, one row per dialogue) and :data:`MEASURES`,
:data:`OUTCOMES` and :data:`SEED` are in :mod:`omotenashi_research.counselling_dialogues`; steps 4-6 (the
models, their stability, the findings rows) in :mod:`omotenashi_research.counselling_models`. Import
them from here: this module re-exports every public name of both.

KokoroChat is counselling, not commerce; both roles are role-played by trained counsellors; its licence
(CC BY-NC-ND 4.0) forbids sharing derived text, so nothing here returns message text.
"""

from __future__ import annotations

# The steps live in two modules named for what they hold; this module is the import path for all of
# their public names (notebooks and tests import from here).
from omotenashi_research.counselling_dialogues import (
    MEASURES,
    OUTCOMES,
    SEED,
    counsellor_flags,
    dialogue_measures,
    sample_dialogues,
)
from omotenashi_research.counselling_models import (
    findings_rows,
    fit_family,
    model_frame,
    subset_stability,
    weak_measures,
)

__all__ = [
    "MEASURES",
    "OUTCOMES",
    "SEED",
    "counsellor_flags",
    "dialogue_measures",
    "findings_rows",
    "fit_family",
    "model_frame",
    "sample_dialogues",
    "subset_stability",
    "weak_measures",
]
