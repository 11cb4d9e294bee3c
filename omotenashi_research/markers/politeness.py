"""ConvoKit ``Hedges`` from a dependency parse, when an English parser is configured.

ConvoKit's ``politeness_api`` rule for *Hedges* is ``check_word(p, dep=["nsubj"], up_tok=hedges)``:
a token whose dependency label is ``nsubj`` and whose head's lower-cased text is a hedge word. That
needs a parse. The default English pipeline of this package is a blank tokenizer (no parser, no
model download), so the lexicon ``pol_convokit_hedges.yaml`` approximates the rule with token
patterns (a subject pronoun, optionally auxiliaries/negation/adverbs, then a hedge verb).

When ``$OMOTENASHI_EN_MODEL`` (see :mod:`omotenashi_research.nlp`) names an English spaCy model with
a ``parser``, :func:`parse_hedges_hook` makes the marker engine replace the approximate
``pol_convokit_hedges`` counts by the parse-based ones (:func:`hedge_count`), so
``count_markers`` and ``extract_features`` follow ConvoKit's rule. Everything else stays token-based.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache

import numpy as np
from spacy.tokens import Doc

__all__ = ["HEDGES_MARKER", "hedge_count", "hedge_words", "parse_hedges_hook", "parser_pipeline"]

HEDGES_MARKER = "pol_convokit_hedges"
_HASHEDGE_MARKER = "pol_convokit_hashedge"


@cache
def hedge_words() -> frozenset[str]:
    """ConvoKit's single-word hedges (its ``hedges`` list; multi-word items cannot be a token's text).

    Read from ``pol_convokit_hashedge.yaml``, the port of the same list, so there is one copy.

    Examples
    --------
    >>> from omotenashi_research.markers.politeness import hedge_words
    >>> {"think", "suppose"} <= hedge_words(), "tend to" in hedge_words()
    (True, False)
    """
    from omotenashi_research.markers.lexicon import load_lexicons

    lex = load_lexicons("en")[_HASHEDGE_MARKER]
    return frozenset(w for e in lex.entries for tok in (e.pattern or []) for w in tok["LOWER"]["IN"])


def hedge_count(doc: Doc) -> int:
    """Occurrences of ConvoKit's *Hedges* in a parsed doc: ``nsubj`` tokens headed by a hedge word.

    ConvoKit reads the head only when the token has one (``up`` is absent for a root), so a root
    never counts.

    Examples
    --------
    >>> import spacy
    >>> from spacy.tokens import Doc
    >>> from omotenashi_research.markers.politeness import hedge_count
    >>> v = spacy.blank("en").vocab
    >>> hedge_count(Doc(v, words=["I", "think", "so"], heads=[1, 1, 1], deps=["nsubj", "ROOT", "advmod"]))
    1
    >>> hedge_count(Doc(v, words=["Maybe", "it", "works"], heads=[2, 2, 2], deps=["advmod", "nsubj", "ROOT"]))
    0
    """
    words = hedge_words()
    return sum(1 for t in doc if t.dep_ == "nsubj" and t.head.i != t.i and t.head.text.lower() in words)


def parser_pipeline():
    """The configured English pipeline if it has a dependency parser, else None.

    Examples
    --------
    >>> from omotenashi_research.markers.politeness import parser_pipeline
    >>> parser_pipeline() is None  # the default blank English pipeline has no parser
    True
    """
    from omotenashi_research.nlp import get_pipeline

    nlp = get_pipeline("en")
    return nlp if "parser" in nlp.pipe_names else None


def _parse(nlp, texts: list[str]) -> Iterator[Doc]:
    try:  # the package's tokenisation entry point (normalises texts as the marker engine does)
        from omotenashi_research.nlp import docs
    except ImportError:  # pragma: no cover - older nlp module
        return nlp.pipe(texts)
    return docs(texts, "en", nlp=nlp, tokenizer_only=False)


def parse_hedges_hook(
    texts: Iterable[str], markers: Sequence[str]
) -> tuple[Iterable[str], Callable[[Iterator[tuple[np.ndarray, np.ndarray]]], Iterator]]:
    """Hook for the engine's English ``(n_tokens, counts)`` batches: parse-based Hedges if configured.

    Parameters
    ----------
    texts : iterable of str
        The texts about to be counted.
    markers : sequence of str
        The matcher's marker names (column order of ``counts``).

    Returns
    -------
    (texts, fix)
        Without a parser (or without the marker): ``texts`` unchanged and ``fix`` the identity.
        Otherwise ``texts`` is wrapped to remember each text as the engine reads it, and
        ``fix(batches)`` re-yields each ``(n_tokens, counts)`` batch with the Hedges column
        replaced by :func:`hedge_count` on the parsed texts of that batch (batches come in input order).
    """
    nlp = parser_pipeline()
    if nlp is None or HEDGES_MARKER not in markers:
        return texts, lambda batches: batches
    col = list(markers).index(HEDGES_MARKER)
    seen: deque[str] = deque()

    def remember() -> Iterator[str]:
        for t in texts:
            seen.append(t)
            yield t

    def fix(batches: Iterator[tuple[np.ndarray, np.ndarray]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for ntok, counts in batches:
            batch = [seen.popleft() for _ in range(len(counts))]
            counts = np.array(counts, copy=True)
            counts[:, col] = [hedge_count(d) for d in _parse(nlp, batch)]
            yield ntok, counts

    return remember(), fix
