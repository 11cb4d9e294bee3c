"""Scriptedness: recurring utterance templates, and lexical diversity of agent talk.

A *template key* is an utterance with its variable slots blanked out (numbers, times,
dates, prices, titled names) and case/punctuation removed, so that "Your table for 4 is
booked at 7pm." and "Your table for 2 is booked at 8:30 pm!" share one key. An utterance
is *scripted* here when its key recurs in at least ``min_dialogues`` distinct dialogues of
the same corpus: a corpus-internal, transparent proxy, not a judgement of sincerity.

Two refinements make the measure comparable across corpora:

* **per sentence** (``unit="sentence"``, :func:`split_sentences`): a turn that opens with a stock
  formula and goes on freely is partly scripted; whole-turn keys miss that, and they favour corpora
  with short turns;
* **at a fixed corpus size** (:func:`scripted_share_subsampled`): the more dialogues a corpus has,
  the more templates reach ``min_dialogues`` by chance, so the share of a 4,000-dialogue corpus and
  that of a 200-dialogue corpus are not comparable. Repeated equal-size subsamples of dialogues
  (the same size for every corpus) give a mean and a spread that are.

Where the parts live (this module re-exports them and stays the import path to use):

* :mod:`~omotenashi_research.scripted_templates`: :func:`template_key`, ``PLACEHOLDERS`` and the slot rules;
* :mod:`~omotenashi_research.scripted_sentences`: :func:`split_sentences`, :func:`sentence_table`;
* :mod:`~omotenashi_research.scripted_recurrence`: :func:`scriptedness`;
* :mod:`~omotenashi_research.scripted_subsampling`: :func:`scripted_share_subsampled`,
  :func:`subsample_summary`, :func:`compare_subsampled`;
* :mod:`~omotenashi_research.lexical_diversity`: :func:`lexical_diversity` (MATTR, MTLD).
"""

from __future__ import annotations

from omotenashi_research.lexical_diversity import lexical_diversity
from omotenashi_research.scripted_recurrence import scriptedness
from omotenashi_research.scripted_sentences import sentence_table, split_sentences
from omotenashi_research.scripted_subsampling import (
    compare_subsampled,
    scripted_share_subsampled,
    subsample_summary,
)
from omotenashi_research.scripted_templates import PLACEHOLDERS, template_key

# Not public, but benchmarks/bench_features.py imports it from here to empty the key cache between
# timed runs: the same object as scripted_templates._template_key, so cache_clear() empties the cache
# template_key uses. The "as" form marks it as a deliberate re-export.
from omotenashi_research.scripted_templates import _template_key as _template_key

__all__ = [
    "PLACEHOLDERS",
    "compare_subsampled",
    "lexical_diversity",
    "scripted_share_subsampled",
    "scriptedness",
    "sentence_table",
    "split_sentences",
    "subsample_summary",
    "template_key",
]
