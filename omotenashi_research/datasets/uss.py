"""Loader for USS (User Satisfaction Simulation, Sun et al. SIGIR 2021): English dialogues with
turn- and dialogue-level satisfaction ratings 1-5.

Upstream files (``uss/dataset/<SUBSET>.txt``, see ``uss/SOURCE.md``): one utterance per line,
``role<TAB>text<TAB>act<TAB>votes``, dialogues separated by a blank line, each dialogue closed by a
pseudo-line ``USER<TAB>OVERALL<TAB><TAB>votes`` with the dialogue rating (not an utterance).
``ReDial-action.txt`` has the same layout with IARD acts and no ratings.
"""

from __future__ import annotations

import io
import os
import statistics
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from omotenashi_research.datasets._integrity import check_count, checked_file, read_text
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = ["AGGREGATES", "SUBSETS", "aggregate_votes", "load_uss"]

#: Subset name -> file inside ``uss/``; ``ReDial-action`` has acts but no ratings.
SUBSETS: dict[str, str] = {
    "MWOZ": "dataset/MWOZ.txt",
    "SGD": "dataset/SGD.txt",
    "ReDial": "dataset/ReDial.txt",
    "CCPE": "dataset/CCPE.txt",
    "ReDial-action": "dataset/ReDial-action.txt",
}
_RATED = ("MWOZ", "SGD", "ReDial", "CCPE")
_ROLES = {"USER": "customer", "SYSTEM": "agent"}
_OVERALL = "OVERALL"

Aggregate = Literal["majority", "majority_high", "mean", "median", "round_mean", "min", "max"]
#: Vote aggregation rules accepted by :func:`aggregate_votes` and :func:`load_uss`.
AGGREGATES: tuple[str, ...] = ("majority", "majority_high", "mean", "median", "round_mean", "min", "max")

_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]


def aggregate_votes(votes: Sequence[int], rule: Aggregate = "majority") -> float:
    """Combine several annotators' 1-5 ratings into one value.

    Parameters
    ----------
    votes : sequence of int
        The individual ratings. Empty -> NaN.
    rule : str
        ``"majority"`` (default, the upstream rule): most frequent rating, ties broken toward the
        **lower** rating (what the upstream baseline code does, per ``uss/SOURCE.md``);
        ``"majority_high"``: ties broken toward the higher rating; ``"mean"``: arithmetic mean
        (not rounded); ``"median"``: median (may end in .5); ``"round_mean"``: mean rounded with
        Python ``round`` (banker's rounding, as quoted in SOURCE.md); ``"min"``/``"max"``.

    Returns
    -------
    float
        Always within ``[min(votes), max(votes)]``.

    Examples
    --------
    >>> from omotenashi_research.datasets.uss import aggregate_votes
    >>> aggregate_votes((2, 3, 3, 2)), aggregate_votes((2, 3, 3, 2), "majority_high")
    (2.0, 3.0)
    >>> aggregate_votes((2, 3, 4, 4), "mean"), aggregate_votes((2, 3, 4, 4), "median")
    (3.25, 3.5)
    """
    if rule not in AGGREGATES:
        raise ValueError(f"unknown aggregate rule {rule!r}; choose one of {', '.join(AGGREGATES)}")
    if len(votes) == 0:
        return float("nan")
    if rule in ("majority", "majority_high"):
        counts = Counter(votes)
        top = max(counts.values())
        tied = [v for v, c in counts.items() if c == top]
        return float(min(tied) if rule == "majority" else max(tied))
    if rule == "mean":
        return float(statistics.fmean(votes))
    if rule == "median":
        return float(statistics.median(votes))
    if rule == "round_mean":
        return float(round(statistics.fmean(votes)))
    return float(min(votes) if rule == "min" else max(votes))


def _parse_votes(field: str) -> tuple[int, ...]:
    """``"3,4,3"`` -> ``(3, 4, 3)``; ``""`` -> ``()``. Raises ValueError on anything else."""
    field = field.strip()
    if not field:
        return ()
    votes = []
    for part in field.split(","):
        part = part.strip()
        if not part.isdigit():
            raise ValueError(f"rating {part!r} is not an integer")
        v = int(part)
        if not 1 <= v <= 5:
            raise ValueError(f"rating {v} is outside 1-5")
        votes.append(v)
    return tuple(votes)


def _parse_line(line: str) -> tuple[str, str, str, tuple[int, ...]]:
    """Split one non-blank USS line into ``(role, text, act, votes)``.

    Raises ValueError (message = the problem) when the line does not have the 4 TAB-separated
    fields, the role is not USER/SYSTEM, or the ratings are not integers 1-5.
    """
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != 4:
        raise ValueError(f"expected 4 TAB-separated fields, found {len(fields)}")
    role, text, act, votes = fields
    if role not in _ROLES:
        raise ValueError(f"role {role!r} is neither USER nor SYSTEM")
    return role, text, act, _parse_votes(votes)


def _format_line(role: str, text: str, act: str, votes: Iterable[int]) -> str:
    """Inverse of :func:`_parse_line` (used by the tests)."""
    return "\t".join([role, text, act, ",".join(str(v) for v in votes)])


def _read_subset(
    lines: Iterable[str], source: str, rated: bool
) -> tuple[list[dict], list[dict], list[tuple]]:
    """Parse a whole USS file.

    Returns
    -------
    rows : list of dict
        One per utterance line, with ``dialogue`` (0-based index in the file), ``turn`` (0-based
        position among the dialogue's utterance lines), ``line`` (1-based line number), ``role``,
        ``text``, ``act`` and ``votes``.
    dialogues : list of dict
        One per dialogue: ``dialogue``, ``votes`` of the OVERALL line (``()`` when unrated).
    failures : list of tuple
        ``(source, line, column, problem, value)`` for every malformed line.
    """
    rows: list[dict] = []
    dialogues: list[dict] = []
    failures: list[tuple] = []
    current: list[dict] = []
    overall: tuple[int, ...] | None = None
    overall_line = 0

    def close(end_line: int) -> None:
        nonlocal current, overall
        if not current and overall is None:
            return
        d = len(dialogues)
        if rated and overall is None:
            where = current[-1]["line"] if current else end_line
            failures.append((source, where, "OVERALL", "dialogue has no OVERALL rating line", None))
        if not current:
            failures.append((source, overall_line, "text", "dialogue has no utterance line", None))
        for turn, rec in enumerate(current):
            rec.update(dialogue=d, turn=turn)
        rows.extend(current)
        dialogues.append({"dialogue": d, "votes": overall if overall is not None else ()})
        current, overall = [], None

    lineno = 0
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            close(lineno)
            continue
        try:
            role, text, act, votes = _parse_line(line)
        except ValueError as err:
            failures.append((source, lineno, "line", str(err), line.rstrip("\r\n")[:80]))
            continue
        if overall is not None:
            failures.append((source, lineno, "OVERALL", "utterance after the dialogue's OVERALL line", None))
        if text == _OVERALL:
            if not rated or role != "USER" or not votes:
                failures.append((source, lineno, "OVERALL", "OVERALL line without ratings", line.strip()))
            overall, overall_line = votes, lineno
            continue
        if rated and role == "USER" and not votes:
            failures.append((source, lineno, "votes", "USER line without ratings", None))
        if role == "SYSTEM" and votes:
            failures.append((source, lineno, "votes", "SYSTEM line with ratings", votes))
        current.append({"line": lineno, "role": role, "text": text, "act": act, "votes": votes})
    close(lineno + 1)
    return rows, dialogues, failures


def _subset_frame(
    subset: str, path: Path, aggregate: Aggregate, empty_text: str, verify: bool = True
) -> tuple[pd.DataFrame, list[int]]:
    rated = subset in _RATED
    text = read_text(path)
    rows, dialogues, failures = _read_subset(io.StringIO(text, newline=None), str(path), rated)
    if not dialogues:
        # Even a deliberate subset has dialogues: an empty file is never a corpus.
        failures.append((str(path), None, "text", "the file has no dialogues (empty or blank)", None))
    check_count("uss", f"dialogues in {subset}", len(dialogues), path, verify=verify and not failures)
    blank = [r["line"] for r in rows if not r["text"].strip()]
    if blank and empty_text == "raise":
        failures.extend((str(path), n, "text", "empty utterance text", "") for n in blank)
    if failures:
        raise TranscriptValidationError(pd.DataFrame(failures, columns=_FAILURE_COLUMNS), str(path))
    rows = [r for r in rows if r["text"].strip()]
    name = subset.lower()
    df = pd.DataFrame(rows, columns=["dialogue", "turn", "line", "role", "text", "act", "votes"])
    dlg = pd.DataFrame(dialogues, columns=["dialogue", "votes"])
    dlg_votes = dict(zip(dlg["dialogue"], dlg["votes"], strict=True))
    out = pd.DataFrame(
        {
            "corpus": f"uss-{name}",
            "dialogue_id": [f"{name}-{d:04d}" for d in df["dialogue"]],
            "turn": df["turn"].astype("int64"),
            "role": df["role"].map(_ROLES),
            "speaker": df["role"],
            "text": df["text"],
            "lang": "en",
            "act": pd.Series([a if a.strip() else None for a in df["act"]], dtype="str"),
            "sat_turn": np.array([aggregate_votes(v, aggregate) for v in df["votes"]], dtype="float64"),
            "sat_turn_votes": pd.Series(list(df["votes"]), dtype=object),
            "sat_dialogue_votes": pd.Series([dlg_votes[d] for d in df["dialogue"]], dtype=object),
            "line": df["line"].astype("int64"),
        }
    )
    out.insert(
        out.columns.get_loc("sat_dialogue_votes"),
        "sat_dialogue",
        np.array([aggregate_votes(v, aggregate) for v in out["sat_dialogue_votes"]], dtype="float64"),
    )
    return out, blank


def load_uss(
    subsets: Sequence[str] = ("MWOZ", "SGD", "ReDial", "CCPE"),
    *,
    aggregate: Aggregate = "majority",
    empty_text: Literal["drop", "raise"] = "drop",
    data_dir: str | os.PathLike | None = None,
    verify: bool = True,
) -> pd.DataFrame:
    """Load USS dialogues as an utterance table with satisfaction ratings.

    Parameters
    ----------
    subsets : sequence of str
        Any of ``"MWOZ"``, ``"SGD"``, ``"ReDial"``, ``"CCPE"`` (rated) and ``"ReDial-action"``
        (336 ReDial dialogues with IARD acts, no ratings; its texts differ from ``ReDial.txt``, so
        it is its own corpus ``"uss-redial-action"``).
    aggregate : str
        How the annotators' votes become ``sat_turn`` / ``sat_dialogue``; see
        :func:`aggregate_votes`. Default ``"majority"``: majority vote, ties toward the lower
        rating, the rule of the upstream baseline code and the one SOURCE.md's distributions use.
        ``"majority_high"``, ``"mean"``, ``"median"``, ``"round_mean"``, ``"min"``, ``"max"`` also work.
        The individual votes are always kept in the ``*_votes`` columns.
    empty_text : {"drop", "raise"}
        ``ReDial.txt`` has 7 lines with an empty text (3 SYSTEM, 4 rated USER). The table requires
        text, so by default they are dropped **with a warning** naming file and lines; their
        dialogues keep the other turns' numbers (``turn`` then has a gap), and the dropped line
        numbers are in ``df.attrs["uss_dropped_lines"]``. ``"raise"`` makes them an error.
    data_dir : path, optional
        Folder holding ``uss/``; default ``$OMOTENASHI_DATA`` then the download cache.
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv`` and its number of dialogues
        (1,000 / 1,000 / 1,000 / 500 / 336); a partial or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError` naming it. ``False`` reads it anyway
        (a file without any dialogue is an error either way).

    Returns
    -------
    pandas.DataFrame
        Utterance table (:mod:`omotenashi_research.schema`), lang ``"en"``, sorted by corpus,
        dialogue, turn. ``corpus`` ``"uss-mwoz"``, ``"uss-sgd"``, ``"uss-redial"``, ``"uss-ccpe"``,
        ``"uss-redial-action"``; ``dialogue_id`` ``"<subset>-NNNN"`` (0-based order in the file);
        ``turn`` 0-based position among the dialogue's utterance lines (OVERALL excluded);
        ``role`` USER -> ``"customer"``, SYSTEM -> ``"agent"``; ``speaker`` the upstream role;
        ``act`` (str, NaN when empty); ``sat_turn`` (float, NaN on agent turns and unrated subsets);
        ``sat_turn_votes`` (tuple of int, ``()`` when unrated); ``sat_dialogue`` and
        ``sat_dialogue_votes`` from the OVERALL line, repeated on every row of the dialogue;
        ``line`` the 1-based line number in the source file.

    Raises
    ------
    CorpusNotFoundError
        When a file is not staged (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when a file is not the complete registered one.
    TranscriptValidationError
        Undecodable bytes, a file without dialogues, malformed lines (wrong field count, unknown
        role, rating not 1-5, missing OVERALL), naming the file, line and problem.

    Examples
    --------
    >>> from omotenashi_research.datasets.uss import load_uss
    >>> df = load_uss(["MWOZ"])  # doctest: +SKIP
    >>> df.groupby("role").size()  # doctest: +SKIP
    role
    agent       10555
    customer    11553
    dtype: int64
    """
    if isinstance(subsets, str):
        subsets = [subsets]
    unknown = [s for s in subsets if s not in SUBSETS]
    if unknown:
        raise ValueError(f"unknown USS subset(s) {unknown}; choose from {', '.join(SUBSETS)}")
    if aggregate not in AGGREGATES:
        raise ValueError(f"unknown aggregate rule {aggregate!r}; choose one of {', '.join(AGGREGATES)}")
    if empty_text not in ("drop", "raise"):
        raise ValueError(f"empty_text must be 'drop' or 'raise', not {empty_text!r}")
    frames, dropped, sources = [], {}, []
    for subset in dict.fromkeys(subsets):
        path = checked_file("uss", SUBSETS[subset], data_dir, verify=verify)
        df, blank = _subset_frame(subset, path, aggregate, empty_text, verify)
        if blank:
            msg = f"{path}: dropped {len(blank)} line(s) with empty text: lines {blank}"
            warnings.warn(msg, UserWarning, stacklevel=2)
            dropped[subset] = tuple(blank)
        frames.append(df)
        sources.append(str(path))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["uss_dropped_lines"] = dropped
    return validate_utterances(out, source=", ".join(sources))
