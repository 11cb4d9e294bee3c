"""Corpus loaders, the bundled sample corpus, verified downloads and corpus summaries.

Every dialogue loader returns the tidy utterance table documented in :mod:`omotenashi_research.schema`;
KeiCO, the Stanford and multilingual politeness corpora, CoCoA-MT and PASTEL-JP return the sentence table.
"""

from omotenashi_research.datasets.asdc import load_asdc, load_asdc_dialog_acts
from omotenashi_research.datasets.bsd import load_bsd
from omotenashi_research.datasets.cocoa_mt import load_cocoa_mt, parse_formality_spans
from omotenashi_research.datasets.fetch import fetch, registry
from omotenashi_research.datasets.jmultiwoz import load_jmultiwoz
from omotenashi_research.datasets.keico import load_keico
from omotenashi_research.datasets.kokorochat import load_kokorochat, load_kokorochat_reviews
from omotenashi_research.datasets.maia import load_maia, load_maia_turns
from omotenashi_research.datasets.multilingual_politeness import load_multilingual_politeness, load_politelex
from omotenashi_research.datasets.pastel_jp import load_pastel_jp
from omotenashi_research.datasets.politeness import load_stanford_politeness
from omotenashi_research.datasets.sample import load_sample
from omotenashi_research.datasets.summary import summarize_corpus
from omotenashi_research.datasets.taskmaster import load_taskmaster
from omotenashi_research.datasets.uss import load_uss

__all__ = [
    "fetch",
    "load_asdc",
    "load_asdc_dialog_acts",
    "load_bsd",
    "load_cocoa_mt",
    "load_jmultiwoz",
    "load_keico",
    "load_kokorochat",
    "load_kokorochat_reviews",
    "load_maia",
    "load_maia_turns",
    "load_multilingual_politeness",
    "load_pastel_jp",
    "load_politelex",
    "load_sample",
    "load_stanford_politeness",
    "load_taskmaster",
    "load_uss",
    "parse_formality_spans",
    "registry",
    "summarize_corpus",
]
