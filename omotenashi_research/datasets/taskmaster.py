"""Taskmaster-4 (TM-4-2024): English coffee-ordering self-dialogues with back-end API-call annotations.

Crowd workers completed partly pre-written ("Auto template") conversations, so the agent side is largely
template text: a scripted virtual-agent reference, not evidence about human agents. See
``taskmaster4/SOURCE.md`` of the staged corpora. License CC BY 4.0.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from omotenashi_research.datasets._integrity import checked_file, read_text
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = ["CORPUS", "FILES", "load_taskmaster"]

CORPUS = "taskmaster-4"
FOLDER = "taskmaster4"
FILES: tuple[str, ...] = tuple(f"TM-4-2024/data/data_{i:02d}.json" for i in range(8))
_ROLES = {"assistant": "agent", "user": "customer"}
_CONTEXT = re.compile(r"api_(call|response)_(\d+)")


def _format_error(source: str, row: Any, column: str | None, problem: str, value: Any
                  ) -> TranscriptValidationError:
    failures = pd.DataFrame([{"source": source, "row": row, "column": column, "problem": problem,
                              "value": value}], dtype=object)
    return TranscriptValidationError(failures, source)


def _api_calls(annotations: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str | None, str | None], ...]:
    """Group an utterance's annotations into ``(api name, request JSON, response JSON)`` per call.

    The corpus ties the four entries of one call together by the number in ``context``
    (``api_call_3`` holds ``api_call`` + ``request``, ``api_response_3`` holds ``api_response`` +
    ``response``). Calls keep the order of their ``api_call`` entries; a missing request or
    response is ``None`` (75 calls in the corpus have no request).

    Raises
    ------
    ValueError
        An entry without a recognisable ``context``, or a request/response with no ``api_call``.
    """
    calls: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for entry in annotations:
        m = _CONTEXT.fullmatch(str(entry.get("context", "")))
        if not m:
            raise ValueError(f"annotation with unknown context: {entry!r}")
        key = m.group(2)
        slot = calls.setdefault(key, {})
        name = entry.get("name")
        if name == "api_call":
            order.append(key)
            slot["name"] = entry.get("value")
        elif name in ("request", "response", "api_response"):
            slot[name] = entry.get("value")
        else:
            raise ValueError(f"annotation with unknown name: {entry!r}")
    orphans = [k for k in calls if "name" not in calls[k]]
    if orphans:
        raise ValueError(f"request/response without an api_call entry (context number {orphans[0]})")
    return tuple((calls[k]["name"], calls[k].get("request"), calls[k].get("response")) for k in order)


def _conversation_rows(conv: Any, *, source: str, position: int) -> list[dict]:
    if not isinstance(conv, Mapping) or not isinstance(conv.get("conversation_id"), str) \
            or not isinstance(conv.get("utterances"), list):
        raise _format_error(source, f"conversation {position}", "conversation_id/utterances",
                            "must be an object with a string 'conversation_id' and a list 'utterances'",
                            type(conv).__name__)
    cid = conv["conversation_id"]
    utts = conv["utterances"]
    indices = [u.get("index") if isinstance(u, Mapping) else None for u in utts]
    if sorted(indices, key=lambda v: (v is None, v if isinstance(v, int) else 0)) != list(range(len(utts))):
        raise _format_error(source, f"conversation {position} ({cid})", "index",
                            "utterance indices must be 0..n-1 without gaps or repeats", indices)
    rows = []
    for u in sorted(utts, key=lambda u: u["index"]):
        where = f"conversation {position} ({cid}), utterance {u['index']}"
        if u.get("speaker") not in _ROLES:
            raise _format_error(source, where, "speaker", "must be 'user' or 'assistant'", u.get("speaker"))
        try:
            calls = _api_calls(u.get("annotations") or [])
        except ValueError as err:
            raise _format_error(source, where, "annotations", str(err), None) from err
        rows.append({
            "corpus": CORPUS, "dialogue_id": cid, "turn": u["index"], "role": _ROLES[u["speaker"]],
            "speaker": u["speaker"], "text": u.get("text"), "lang": "en",
            "scenario": conv.get("scenario"), "api_calls": calls,
            "file": os.path.basename(source),
        })
    return rows


def load_taskmaster(*, data_dir: str | os.PathLike | None = None, files: Sequence[str] = FILES,
                    verify: bool = True) -> pd.DataFrame:
    """Load Taskmaster-4 as an utterance table (3,710 conversations, 13,915 utterances).

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``taskmaster4/`` (default: ``$OMOTENASHI_DATA``, then the download cache).
    files : sequence of str
        Data files relative to the corpus folder (default: all eight).
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv``; a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads it anyway.

    Returns
    -------
    pandas.DataFrame
        Utterance table (``omotenashi_research.schema``), ``lang`` ``"en"``, ``role`` ``agent``
        (``assistant``) or ``customer`` (``user``), ``speaker`` the corpus's name, ``turn`` the corpus's
        ``index``. Extra columns: ``scenario`` (template title), ``api_calls`` (tuple of
        ``(api name, request JSON, response JSON)`` for the back-end calls annotated on the utterance,
        empty when none; in this corpus they sit on the user's utterances), ``file``.

    Raises
    ------
    CorpusNotFoundError
        When the files are not found (the message says how to fetch them).
    TranscriptValidationError
        Malformed conversations or empty texts, naming the file, conversation and utterance.

    Examples
    --------
    >>> from omotenashi_research.datasets.taskmaster import load_taskmaster
    >>> df = load_taskmaster()  # doctest: +SKIP
    >>> df.groupby("role").size().to_dict()  # doctest: +SKIP
    {'agent': 6920, 'customer': 6995}
    """
    frames = []
    for rel in files:
        path = checked_file(FOLDER, rel, data_dir, verify=verify)
        try:
            convs = json.loads(read_text(path))
        except json.JSONDecodeError as err:
            raise _format_error(str(path), f"line {err.lineno}", None, f"invalid JSON: {err.msg}",
                                None) from None
        except RecursionError:
            raise _format_error(str(path), None, None, "invalid JSON: nested too deeply", None) from None
        if not isinstance(convs, list):
            raise _format_error(str(path), None, None, "expected a JSON list of conversations",
                                type(convs).__name__)
        rows = [r for i, c in enumerate(convs) for r in _conversation_rows(c, source=str(path), position=i)]
        df = pd.DataFrame(rows)
        validate_utterances(df, source=str(path))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
