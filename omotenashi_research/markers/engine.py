"""Marker matching: all lexicons of a language compiled once, counted batch-wise.

Semantics are those of spaCy's ``Matcher`` (token ``pattern`` entries) and
``PhraseMatcher`` (``phrase`` entries) run on the language pipeline's docs: every
``(start, end)`` match of every entry. Per marker, matches overlapping an ``exclude``
match of that marker are dropped, then overlapping matches are collapsed to the longest
(ties: the earliest), so each occurrence counts once.

Speed: spaCy's ``Matcher`` calls a Python predicate per token for every ``IN``/``REGEX``
of every pattern, which made counting ~80x slower than tokenising. The engine therefore
runs its own executor for the pattern subset the lexicons use (plain values, ``IN``,
``NOT_IN``, ``REGEX`` on string attributes, boolean flags, ``OP`` ``?``/``*``/``+``):

- docs are tokenised only (``nlp.tokenizer.pipe``); the lookup lemmas and the
  sentencizer's sentence starts of the default pipelines are derived with numpy for a
  whole batch at once (same rules as the ``lemmatizer`` and ``sentencizer`` pipes);
- each pattern is indexed by its most selective fixed-position token, so only
  positions where it can match are tried;
- markers made only of single-token word lists (most ``pol_*`` markers) are counted
  with one sparse lookup per batch, without any per-token Python.

With the default English pipeline (every column read is a lexeme attribute), counting
goes further (``MarkerMatcher._count_texts``): a batch of texts is tokenised as one string
(texts joined by blank lines, split back by character offsets; same tokens as one call per
text), only ORTH is read, and every other column, plus each value's row in the lookup
tables, comes from a table per distinct token text built once; the fixed-length programs
are checked all at once (anchored on an adjacent pair of tokens where possible), and the
overlap resolution runs vectorised for the (doc, marker) groups without overlaps or
exclude matches.

Entries using anything else fall back to a spaCy ``Matcher``. ``tests/markers/
test_engine.py`` checks that the executor and spaCy's matchers agree. A custom English
model (``$OMOTENASHI_EN_MODEL``) is run with ``nlp.pipe`` and its own lemmas/sentences.

Where things are (a rule is compiled, then matched by one of three executors, then resolved):

- :mod:`.matcher` — :class:`MarkerMatcher`: compiles the lexicons of a language and routes each
  program to an executor; tokenisation and the counting API;
- :mod:`.compiler` — entry patterns to ``(op, checks)`` programs, anchors and rare-token hints;
- :mod:`.vectorised` — simple markers, fixed-length and ``A X* C`` programs with numpy;
- :mod:`.executor` — every other program, token by token (``REGEX``, operators anywhere);
- :mod:`.resolve` — exclude rules and overlaps (longest match wins);
- :mod:`.typetable` — columns from a table per distinct token text (default English pipeline);
- :mod:`.annotate` — lookup lemmas and sentence starts with numpy;
- this module — :func:`get_matcher`, :func:`count_markers`, :func:`iter_count_arrays`,
  :func:`explain` (and re-exports of :class:`MarkerMatcher`, :class:`MarkerSpan`).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from itertools import islice

import numpy as np
import pandas as pd
from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

from omotenashi_research.markers.matcher import MarkerMatcher, MarkerSpan

__all__ = ["MarkerMatcher", "MarkerSpan", "count_markers", "explain", "get_matcher", "iter_count_arrays"]


@cache
def get_matcher(lang: str) -> MarkerMatcher:
    """The cached :class:`MarkerMatcher` of the packaged lexicons of ``lang``."""
    return MarkerMatcher(lang)



def _check_texts(texts: Sequence[str] | Iterable[str]) -> Iterator[str]:
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a string, got {type(t).__name__}: {t!r}")
        yield t



def _worker_counts(args: tuple[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
    lang, texts = args
    ntok, counts = zip(*get_matcher(lang).count_arrays(texts, batch_size=len(texts) or 1), strict=True)
    return np.concatenate(ntok), np.concatenate(counts)



def _identity(batches):
    """No post-processing of the count batches (see ``markers.politeness.parse_hedges_hook``)."""
    return batches



def iter_count_arrays(
    texts: Iterable[str],
    lang: str,
    *,
    batch_size: int = 1000,
    n_process: int = 1,
    on_tokens=None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stream ``(n_tokens, counts)`` per batch; ``n_process > 1`` counts batches in worker processes.

    ``on_tokens``: see :meth:`MarkerMatcher.count_arrays` (only with ``n_process == 1``: the
    tokens of worker processes are not sent back).
    """
    texts = _check_texts(texts)
    fix = _identity
    if lang == "en":  # ConvoKit Hedges from the parse when an English parser is configured
        from omotenashi_research.markers.politeness import parse_hedges_hook

        texts, fix = parse_hedges_hook(texts, get_matcher(lang).markers)
    if n_process <= 1:
        yield from fix(get_matcher(lang).count_arrays(texts, batch_size=batch_size, on_tokens=on_tokens))
        return

    def batches() -> Iterator[tuple[str, list[str]]]:
        while batch := list(islice(texts, batch_size)):
            yield lang, batch

    # fork keeps the loaded pipeline; imap keeps order and reads the input lazily.
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(n_process) as pool:
        yield from fix(pool.imap(_worker_counts, batches(), chunksize=1))



def count_markers(
    texts: Iterable[str],
    lang: str,
    *,
    batch_size: int = 1000,
    n_process: int = 1,
    progress: bool | None = None,
    total: int | None = None,
) -> pd.DataFrame:
    """Count every marker of ``lang`` in each text.

    Parameters
    ----------
    texts : iterable of str
        Texts of one language.
    lang : {"ja", "en"}
    batch_size : int
        Texts tokenised per batch.
    n_process : int
        Worker processes (forked); 1 runs in this process.
    progress : bool, optional
        tqdm progress bar; default: only for more than 5,000 texts.
    total : int, optional
        Number of texts, for the progress bar when ``texts`` has no length.

    Returns
    -------
    pandas.DataFrame
        One row per text (``RangeIndex``), one int64 column per marker
        (:func:`~omotenashi_research.markers.lexicon.marker_names` order).

    Examples
    --------
    >>> from omotenashi_research.markers import count_markers
    >>> df = count_markers(["Thank you so much!", "OK."], "en")
    >>> df["gratitude"].tolist()
    [1, 0]
    """
    matcher = get_matcher(lang)
    if total is None and hasattr(texts, "__len__"):
        total = len(texts)  # type: ignore[arg-type]
    if progress is None:
        progress = total is not None and total > 5000
    parts = iter_count_arrays(texts, lang, batch_size=batch_size, n_process=n_process)
    bar = tqdm(total=total, desc=f"markers {lang}", unit="text", disable=not progress)
    chunks = []
    with bar:
        for _, counts in parts:
            chunks.append(counts)
            bar.update(len(counts))
    data = np.concatenate(chunks) if chunks else np.zeros((0, len(matcher.markers)), dtype=np.int64)
    return pd.DataFrame(data, columns=list(matcher.markers), copy=False)  # `data` is ours



def explain(text: str, lang: str) -> pd.DataFrame:
    """Every lexicon rule that fired on ``text``, and whether it was counted.

    Parameters
    ----------
    text : str
    lang : {"ja", "en"}

    Returns
    -------
    pandas.DataFrame
        One row per raw match with columns ``marker``, ``entry_id``, ``kind``
        (``"entry"`` or ``"exclude"``), ``start``, ``end`` (token offsets), ``text``,
        ``counted`` (bool) and ``reason`` (``"counted"``, ``"excluded by <id>"``,
        ``"overlaps longer <id>"`` or ``"exclude rule"``), sorted by ``start``.

    Examples
    --------
    >>> from omotenashi_research.markers import explain
    >>> ex = explain("I'm sorry to hear that.", "en")
    >>> ex.loc[ex["marker"] == "apology", ["kind", "counted", "reason"]].values.tolist()
    [['entry', False, 'excluded by en_apology_not_sorry_to_hear'], ['exclude', False, 'exclude rule']]
    """
    matcher = get_matcher(lang)
    doc = matcher.make_doc(text)
    counted = {(m, eid, s, e) for m, eid, s, e in matcher._resolve(doc)}
    raw = sorted(set(matcher._raw(doc)), key=lambda t: (t[1], t[2]))
    rows = []
    for key, s, e in raw:
        mi, eid, is_ex = matcher._info[key]
        if is_ex:
            reason = "exclude rule"
        elif (mi, eid, s, e) in counted:
            reason = "counted"
        else:
            blocker = next(
                (
                    (xeid, xis)
                    for xkey, xs, xe in raw
                    for xmi, xeid, xis in [matcher._info[xkey]]
                    if xmi == mi and xs < e and s < xe and xis
                ),
                None,
            )
            if blocker is not None:
                reason = f"excluded by {blocker[0]}"
            else:
                longer = next(
                    (c for c in counted if c[0] == mi and c[2] < e and s < c[3]), (None, "?", 0, 0)
                )
                reason = f"overlaps longer {longer[1]}"
        rows.append(
            {
                "marker": matcher.markers[mi],
                "entry_id": eid,
                "kind": "exclude" if is_ex else "entry",
                "start": s,
                "end": e,
                "text": doc[s:e].text,
                "counted": reason == "counted",
                "reason": reason,
            }
        )
    cols = ["marker", "entry_id", "kind", "start", "end", "text", "counted", "reason"]
    return pd.DataFrame(rows, columns=cols)
