"""Lexicon-based service-behaviour markers (apology, gratitude, keigo, politeness strategies...).

Re-exports only; see :mod:`.lexicon` (YAML loading, validation) and :mod:`.engine` (matching).
"""

from omotenashi_research.markers.engine import MarkerMatcher, MarkerSpan, count_markers, explain, get_matcher
from omotenashi_research.markers.lexicon import (
    Entry,
    Lexicon,
    LexiconError,
    lexicon_dir,
    load_lexicon_file,
    load_lexicons,
    marker_names,
)

__all__ = [
    "Entry",
    "Lexicon",
    "LexiconError",
    "MarkerMatcher",
    "MarkerSpan",
    "count_markers",
    "explain",
    "get_matcher",
    "lexicon_dir",
    "load_lexicon_file",
    "load_lexicons",
    "marker_names",
]
