"""PASTEL-JP, Politeness and Formality parts: hand-written Japanese minimal pairs (EhimeNLP, CC BY 4.0).

120 polite/impolite and 120 formal/informal sentence pairs written by five students for evaluating
Japanese style transfer (花房ら, NLP 2025). Line *i* of ``polite.txt`` pairs with line *i* of
``impolite.txt`` (likewise ``formal.txt``/``informal.txt``). Very small: use it as known-answer gold
for politeness, keigo and teineigo features (the polite/formal side should score higher in nearly
every pair), not for effect sizes. The "impolite" side is mostly casual plain speech (タメ口), not
rudeness. See ``pastel_jp/SOURCE.md``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from omotenashi_research.datasets._integrity import checked_file
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_sentences

__all__ = ["CORPUS", "STYLES", "load_pastel_jp"]

CORPUS = "pastel-jp"
FOLDER = "pastel_jp"
#: style -> (folder, positive side, negative side); the positive side is the polite / formal one.
STYLES: dict[str, tuple[str, str, str]] = {
    "politeness": ("Politeness", "polite", "impolite"),
    "formality": ("Formality", "formal", "informal"),
}


def _bad(source: str, rows, column: str, problem: str, values) -> TranscriptValidationError:
    failures = pd.DataFrame({"source": source, "row": list(rows), "column": column, "problem": problem,
                             "value": list(values)}, dtype=object)
    return TranscriptValidationError(failures, source)


def _lines(path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline after the last line
    empty = [i for i, line in enumerate(lines, start=1) if not line.strip()]
    if empty:
        raise _bad(str(path), empty, "line", "must be non-empty text", [lines[i - 1] for i in empty])
    return lines


def load_pastel_jp(
    styles: Sequence[str] = ("politeness", "formality"),
    *,
    data_dir: str | os.PathLike | None = None,
    verify: bool = True,
) -> pd.DataFrame:
    """Load the PASTEL-JP minimal pairs in long format: one row per sentence, two per pair.

    Parameters
    ----------
    styles : sequence of {"politeness", "formality"}
        Which parts; default both (2 x 120 pairs, 480 sentences).
    data_dir : path, optional
        Folder holding ``pastel_jp/`` (default ``$OMOTENASHI_DATA``, then the download cache).
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv`` (a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`); ``False`` reads it anyway (e.g. a
        subset or invented files).

    Returns
    -------
    pandas.DataFrame
        Sentence table (:mod:`omotenashi_research.schema`): ``corpus`` ``"pastel-jp"``, ``item_id``
        ``<style>:<side>:<line>``, ``text``, ``lang`` ``"ja"``, ``style`` (``"politeness"`` /
        ``"formality"``), ``side`` (``polite``/``impolite`` or ``formal``/``informal``), ``positive``
        (True on the polite / formal side), ``pair_id`` ``<style>:<line>`` and ``line`` (1-based line of
        both files). Rows: style, line, positive side first. Long format so that sentence-level
        features run on ``text`` directly; pivot on ``pair_id`` for pairs (see Examples). Politeness
        lines 42 and 103 hold the same pair (119 distinct pairs); both are kept.

    Raises
    ------
    CorpusNotFoundError
        When a file is not found (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when a file is not the complete registered one.
    TranscriptValidationError
        The two files of a style with different line counts, or empty lines, naming the file and line.

    Examples
    --------
    >>> from omotenashi_research.datasets.pastel_jp import load_pastel_jp
    >>> df = load_pastel_jp()  # doctest: +SKIP
    >>> pairs = df.pivot(index="pair_id", columns="positive", values="text")  # doctest: +SKIP
    >>> len(pairs)  # doctest: +SKIP
    240
    """
    styles = (styles,) if isinstance(styles, str) else tuple(styles)
    unknown = [s for s in styles if s not in STYLES]
    if unknown or not styles:
        raise ValueError(f"unknown style(s) {unknown}; expected a subset of {tuple(STYLES)}")
    parts = []
    for style in styles:
        folder, pos, neg = STYLES[style]
        paths = {side: checked_file(FOLDER, f"{folder}/{side}.txt", data_dir, verify=verify)
                 for side in (pos, neg)}
        lines = {side: _lines(p) for side, p in paths.items()}
        if len(lines[pos]) != len(lines[neg]):
            raise _bad(str(paths[neg]), [None], "lines",
                       f"has {len(lines[neg])} lines, its pair file {paths[pos].name} {len(lines[pos])}",
                       [str(paths[pos])])
        rows = [
            (f"{style}:{side}:{i}", text, style, side, side == pos, f"{style}:{i}", i)
            for i, pair in enumerate(zip(lines[pos], lines[neg], strict=True), start=1)
            for side, text in zip((pos, neg), pair, strict=True)
        ]
        parts.append(pd.DataFrame(rows, columns=["item_id", "text", "style", "side", "positive", "pair_id",
                                                 "line"]))
    df = pd.concat(parts, ignore_index=True)
    df.insert(0, "corpus", CORPUS)
    df.insert(3, "lang", "ja")
    return validate_sentences(df, source=FOLDER)
