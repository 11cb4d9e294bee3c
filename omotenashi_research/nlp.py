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
import re
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

from omotenashi_research.text import normalize

EN_MODEL_ENV = "OMOTENASHI_EN_MODEL"
SUPPORTED_LANGS = ("ja", "en")

__all__ = [
    "EN_MODEL_ENV", "SUDACHI_MAX_BYTES", "SUPPORTED_LANGS", "docs", "get_pipeline", "pipe", "token_counts",
]

# SudachiPy refuses longer input ("Input is too long, it can't be more than 49149 bytes").
SUDACHI_MAX_BYTES = 49149
_CHUNK_BYTES = 40_000  # pieces stay well below the limit
_SENT_END = re.compile(r"(?<=[。！？!?\n])")


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
    if n_process > 1:
        out = nlp.pipe((normalize(t, lang) for t in texts), batch_size=batch_size, n_process=n_process)
    else:
        out = docs(texts, lang, nlp=nlp, tokenizer_only=False, batch_size=batch_size)
    if progress:
        out = tqdm(out, total=total, desc=f"spaCy {lang}", unit="text")
    yield from out


def _split_long(text: str) -> list[str]:
    """Pieces of ``text`` of at most ``_CHUNK_BYTES`` UTF-8 bytes, cut after sentence ends when possible."""
    pieces: list[str] = []
    current = ""
    for sent in _SENT_END.split(text):
        while len(sent.encode("utf-8")) > _CHUNK_BYTES:  # one huge sentence: cut at characters
            cut = _CHUNK_BYTES // 4  # <= 4 bytes per character
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sent[:cut])
            sent = sent[cut:]
        if len((current + sent).encode("utf-8")) > _CHUNK_BYTES:
            pieces.append(current)
            current = sent
        else:
            current += sent
    if current or not pieces:
        pieces.append(current)
    return pieces


def docs(
    texts: Iterable[str],
    lang: str,
    *,
    nlp: Language | None = None,
    tokenizer_only: bool = True,
    batch_size: int = 1000,
    normalise: bool = True,
) -> Iterator[Doc]:
    """The package's tokenisation entry point: normalised texts, long Japanese texts made safe.

    Each text is normalised by :func:`omotenashi_research.text.normalize` (zero-width characters
    removed, NFKC where safe). A Japanese text longer than SudachiPy accepts
    (:data:`SUDACHI_MAX_BYTES`) is cut after sentence ends (``。！？!?`` or a newline; at
    characters only inside a single over-long sentence), each piece is tokenised, and the pieces
    are joined back into one ``Doc`` (``Doc.from_docs``): one Doc per text, in order.

    Parameters
    ----------
    texts : iterable of str
    lang : {"ja", "en"}
    nlp : spacy.language.Language, optional
        Pipeline to use (default :func:`get_pipeline` of ``lang``).
    tokenizer_only : bool
        Run only the tokenizer (True) or the whole pipeline.
    batch_size : int
    normalise : bool
        False when the caller already normalised the texts.

    Examples
    --------
    >>> from omotenashi_research.nlp import docs
    >>> [len(d) for d in docs(["ｓｏｒｒｙ\u200d!", "\u200b"], "en")]
    [2, 0]
    >>> len(next(docs(["お待ちしております。" * 6000], "ja")).text)
    60000
    """
    if nlp is None:
        nlp = get_pipeline(lang)
    run = nlp.tokenizer.pipe if tokenizer_only else nlp.pipe
    it = iter(texts)
    while batch := list(islice(it, batch_size)):
        if normalise:
            batch = [normalize(t, lang) for t in batch]
        if lang != "ja" or all(len(t) * 4 <= _CHUNK_BYTES for t in batch):
            yield from run(batch, batch_size=batch_size)
            continue
        pieces: list[str] = []
        owner: list[int] = []
        for i, t in enumerate(batch):
            parts = _split_long(t) if len(t.encode("utf-8")) > _CHUNK_BYTES else [t]
            pieces.extend(parts)
            owner.extend([i] * len(parts))
        done: list[list[Doc]] = [[] for _ in batch]
        for i, doc in zip(owner, run(pieces, batch_size=batch_size), strict=True):
            done[i].append(doc)
        for parts in done:
            yield parts[0] if len(parts) == 1 else Doc.from_docs(parts, ensure_whitespace=False)


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
        for doc in docs(texts, lang, nlp=nlp, batch_size=batch_size)
    ]
