"""spaCy pipelines per language, cached, and batch processing with progress.

Defaults work offline with what ``requirements.txt`` installs:

- Japanese: ``spacy.blank("ja")`` (SudachiPy + sudachidict-core, spaCy's default split mode A:
  shortest units) for tokens, lemmas, part-of-speech tags and inflection; ``ja_ginza`` when a dependency
  parse is needed (``parse=True``).
- English: ``spacy.blank("en")`` + sentencizer + the lookup lemmatizer from
  ``spacy-lookups-data``. A trained English model can be named with ``model=`` or the
  environment variable ``OMOTENASHI_EN_MODEL``; nothing requires one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

EN_MODEL_ENV = "OMOTENASHI_EN_MODEL"
SUPPORTED_LANGS = ("ja", "en")

__all__ = ["EN_MODEL_ENV", "SUPPORTED_LANGS", "get_pipeline", "pipe", "token_counts"]


def _check_lang(lang: str) -> str:
    if lang not in SUPPORTED_LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {SUPPORTED_LANGS}")
    return lang


@cache
def _load(lang: str, model: str | None, parse: bool) -> Language:
    if lang == "ja":
        if parse:
            return spacy.load(model or "ja_ginza")
        if model:
            return spacy.load(model)
        nlp = spacy.blank("ja")
        nlp.add_pipe("sentencizer")
        return nlp
    if model:
        return spacy.load(model)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def get_pipeline(lang: str, *, model: str | None = None, parse: bool = False) -> Language:
    """Return the (cached) spaCy pipeline for ``lang``.

    Parameters
    ----------
    lang : {"ja", "en"}
        Language of the texts.
    model : str, optional
        A spaCy package name to load instead of the blank default. For English the
        default is read from ``$OMOTENASHI_EN_MODEL`` (unset: blank pipeline).
    parse : bool
        Japanese only: load ``ja_ginza`` (dependency parse, NER) instead of the blank
        Sudachi pipeline. Slower; markers do not need it.

    Returns
    -------
    spacy.language.Language
        The same object on every call with the same arguments.

    Examples
    --------
    >>> from omotenashi_research.nlp import get_pipeline
    >>> nlp = get_pipeline("en")
    >>> [t.lemma_ for t in nlp("We were apologizing")]
    ['We', 'be', 'apologize']
    """
    _check_lang(lang)
    if lang == "en" and model is None:
        model = os.environ.get(EN_MODEL_ENV) or None
    return _load(lang, model, parse)


def pipe(
    texts: Iterable[str],
    lang: str,
    *,
    model: str | None = None,
    batch_size: int = 256,
    n_process: int = 1,
    progress: bool | None = None,
    total: int | None = None,
) -> Iterator[Doc]:
    """Process texts lazily with ``nlp.pipe``, in order, with an optional progress bar.

    Parameters
    ----------
    texts : iterable of str
        Streamed: nothing is held in memory beyond one batch.
    lang : {"ja", "en"}
    model : str, optional
        See :func:`get_pipeline`.
    batch_size, n_process : int
        Passed to ``nlp.pipe``; ``n_process > 1`` forks worker processes.
    progress : bool, optional
        Show a tqdm bar; default: only when ``total`` (or ``len(texts)``) exceeds 5,000.
    total : int, optional
        Number of texts, for the progress bar when ``texts`` has no length.
    """
    nlp = get_pipeline(lang, model=model)
    if total is None and hasattr(texts, "__len__"):
        total = len(texts)  # type: ignore[arg-type]
    if progress is None:
        progress = total is not None and total > 5000
    docs = nlp.pipe(texts, batch_size=batch_size, n_process=n_process)
    if progress:
        docs = tqdm(docs, total=total, desc=f"spaCy {lang}", unit="text")
    yield from docs


def token_counts(texts: Iterable[str], lang: str, **kwargs) -> list[int]:
    """Number of non-space, non-punctuation tokens per text (tokenizer only).

    Examples
    --------
    >>> from omotenashi_research.nlp import token_counts
    >>> token_counts(["Thank you very much!", "ありがとうございます。"], "en")[0]
    4
    """
    nlp = get_pipeline(_check_lang(lang), model=kwargs.pop("model", None))
    batch_size = kwargs.pop("batch_size", 1000)
    return [
        sum(1 for t in doc if not (t.is_space or t.is_punct))
        for doc in nlp.tokenizer.pipe(texts, batch_size=batch_size)
    ]
