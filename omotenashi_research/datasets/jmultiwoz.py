"""Loader for the JMultiWOZ dialogues packaged in JMultiWOZ-TC (llm-jp; Japanese travel-information
Wizard-of-Oz chats, CC BY-SA 4.0 texts).

``jmultiwoz_tc/JMultiWOZ-TC_data.zip`` holds two JSON-Lines files aligned line by line:
``jmultiwoz_tc_input.json`` (``question`` = the dialogue so far, ending with the k-th user turn) and
``jmultiwoz_tc_ground.json`` (the tool calls the operator should issue next). Dialogues are rebuilt
from the longest ``question`` of each ``dialogue_id``; every shorter one must be a prefix of it
(``jmultiwoz_tc/SOURCE.md``). The operator's final reply of each dialogue is not in the data.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from typing import IO, Literal

import pandas as pd

from omotenashi_research.datasets._integrity import check_count, checked_file, open_zip, read_member
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = ["load_jmultiwoz"]

_ZIP = "JMultiWOZ-TC_data.zip"
_INPUT = "jmultiwoz_tc_input.json"
_GROUND = "jmultiwoz_tc_ground.json"
_ROLES = {"user": "customer", "assistant": "agent"}
_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]


def _error(source: str, row, column: str, problem: str, value=None) -> TranscriptValidationError:
    return TranscriptValidationError(
        pd.DataFrame([(source, row, column, problem, value)], columns=_FAILURE_COLUMNS), source
    )


def _read_jsonl(fh: IO[bytes], source: str, keys: tuple[str, ...]) -> list[dict]:
    """Parse a JSON-Lines stream; every object must have ``keys``. Errors name the 1-based line."""
    out = []
    for i, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as err:
            raise _error(source, i, "json", f"not valid JSON: {err.msg}", raw[:60]) from None
        except UnicodeDecodeError as err:
            raise _error(source, i, "json", f"undecodable bytes at byte offset {err.start} of the line "
                         "for encoding 'utf-8'", None) from None
        except RecursionError:
            raise _error(source, i, "json", "not valid JSON: nested too deeply to read", None) from None
        if not isinstance(rec, dict):
            raise _error(source, i, "json", f"not a JSON object but a {type(rec).__name__}", None)
        missing = [k for k in keys if k not in rec]
        if missing:
            raise _error(source, i, ",".join(missing), "missing key(s)", None)
        rec["_line"] = i
        out.append(rec)
    return out


def _rebuild(rows: list[dict], source: str) -> dict[str, tuple[list[dict], list[dict]]]:
    """Group input rows by dialogue (first-appearance order) and keep the longest history.

    Returns ``{dialogue_id: (history, rows)}`` where ``rows`` are the dialogue's input rows sorted
    by their number of messages. Raises when a shorter history is not a prefix of the longest or
    when a history does not end with a user message.
    """
    groups: dict[str, list[dict]] = {}
    for rec in rows:
        q = rec["question"]
        if not isinstance(q, list) or not q:
            raise _error(source, rec["_line"], "question", "must be a non-empty list of messages")
        for m in q:
            if not (isinstance(m, dict) and m.get("role") in _ROLES and isinstance(m.get("content"), str)):
                raise _error(source, rec["_line"], "question",
                             "each message needs role 'user'/'assistant' and string content", str(m)[:80])
        if q[-1]["role"] != "user":
            raise _error(source, rec["_line"], "question", "history does not end with a user message")
        groups.setdefault(rec["dialogue_id"], []).append(rec)
    out = {}
    for dlg, recs in groups.items():
        recs = sorted(recs, key=lambda r: len(r["question"]))
        longest = recs[-1]["question"]
        for rec in recs[:-1]:
            n = len(rec["question"])
            if rec["question"] != longest[:n]:
                raise _error(source, rec["_line"], "question",
                             f"history is not a prefix of the longest one of {dlg}", rec["data_id"])
        out[dlg] = (longest, recs)
    return out


def load_jmultiwoz(
    *,
    data_dir: str | os.PathLike | None = None,
    with_tool_calls: bool = False,
    empty_text: Literal["drop", "raise"] = "drop",
    verify: bool = True,
) -> pd.DataFrame:
    """Load the 4,246 JMultiWOZ dialogues rebuilt from JMultiWOZ-TC as an utterance table.

    The zip is read in place (nothing is extracted to disk).

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``jmultiwoz_tc/``; default ``$OMOTENASHI_DATA`` then the download cache.
    with_tool_calls : bool
        Also read ``jmultiwoz_tc_ground.json`` and add, on customer rows, ``tool_calls`` (JSON
        text of the list of ``{name, arguments}`` the operator should issue after that user turn,
        ``"[]"`` when none) and ``tool_names`` (tuple of the call names). Operator rows get NaN / None.
    empty_text : {"drop", "raise"}
        122 dialogues end with an **empty** user message (not mentioned in SOURCE.md; in these the
        operator's closing reply *is* present). The table requires text, so by default these rows
        are dropped with a warning; being last in their dialogue, no turn number is lost. Their
        ``data_id`` values are in ``df.attrs["jmultiwoz_dropped_data_ids"]``. ``"raise"`` makes
        them an error.
    verify : bool
        Check the zip's size and SHA-256 against ``registry.csv``, that no member is stored twice and
        that the input file has all 31,303 lines; a partial or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads it anyway.

    Returns
    -------
    pandas.DataFrame
        Utterance table (:mod:`omotenashi_research.schema`): ``corpus`` ``"jmultiwoz"``,
        ``dialogue_id`` the JMultiWOZ name (e.g. ``"dialogue_0002WLBV"``, file order), ``turn``
        0-based message index, ``role`` ``user`` -> ``"customer"``, ``assistant`` -> ``"agent"``,
        ``speaker`` the upstream role, ``text``, ``lang`` ``"ja"``, and ``data_id`` (the
        JMultiWOZ-TC row whose history ends with this user turn; NaN on operator rows). Each
        dialogue starts with the customer, alternates, and ends with a customer turn (the final
        operator reply is missing upstream).

    Raises
    ------
    CorpusNotFoundError
        When the zip is not staged (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when the zip is not the registered one or lines are missing.
    TranscriptValidationError
        A damaged zip, bad JSON, missing keys, unknown roles, histories that are not prefixes of each
        other, or input/ground files that are not aligned; naming the zip member, line and problem.

    Examples
    --------
    >>> from omotenashi_research.datasets.jmultiwoz import load_jmultiwoz
    >>> df = load_jmultiwoz()  # doctest: +SKIP
    >>> df["role"].value_counts().to_dict()  # doctest: +SKIP
    {'customer': 31303, 'agent': 27057}
    """
    path = checked_file("jmultiwoz_tc", _ZIP, data_dir, verify=verify)
    with open_zip(path) as zf:
        names = set(zf.namelist())
        needed = [_INPUT, *([_GROUND] if with_tool_calls else [])]
        for member in needed:
            if member not in names:
                raise _error(str(path), None, member, "member missing from the zip", sorted(names))
        src_in = f"{path}!{_INPUT}"
        rows = _read_jsonl(io.BytesIO(read_member(zf, _INPUT, path)), src_in,
                           ("data_id", "dialogue_id", "question"))
        check_count("jmultiwoz_tc", "input lines", len(rows), path, verify=verify)
        ground: dict[str, list] = {}
        if with_tool_calls:
            src_gr = f"{path}!{_GROUND}"
            grows = _read_jsonl(io.BytesIO(read_member(zf, _GROUND, path)), src_gr,
                                ("data_id", "dialogue_id", "ground_truth"))
            if [r["data_id"] for r in grows] != [r["data_id"] for r in rows]:
                raise _error(src_gr, None, "data_id", f"lines are not aligned with {_INPUT}")
            ground = {r["data_id"]: r["ground_truth"] for r in grows}

    if empty_text not in ("drop", "raise"):
        raise ValueError(f"empty_text must be 'drop' or 'raise', not {empty_text!r}")
    dialogues = _rebuild(rows, src_in)
    corpus, dlg_ids, turns, speakers, texts, data_ids = [], [], [], [], [], []
    for dlg, (history, recs) in dialogues.items():
        # the row whose history has n messages ends with message n-1 (a user turn)
        row_at = {len(r["question"]) - 1: r["data_id"] for r in recs}
        for t, msg in enumerate(history):
            dlg_ids.append(dlg)
            turns.append(t)
            speakers.append(msg["role"])
            texts.append(msg["content"])
            data_ids.append(row_at.get(t))
        corpus.extend(["jmultiwoz"] * len(history))
    df = pd.DataFrame(
        {
            "corpus": corpus,
            "dialogue_id": dlg_ids,
            "turn": pd.array(turns, dtype="int64"),
            "role": [_ROLES[s] for s in speakers],
            "speaker": speakers,
            "text": texts,
            "lang": "ja",
            "data_id": pd.Series(data_ids, dtype="str"),
        }
    )
    df["turn"] = df["turn"].astype("int64")
    empty = df["text"].str.strip() == ""
    dropped: tuple[str, ...] = ()
    if empty.any():
        if empty_text == "raise":
            bad = df.loc[empty]
            raise TranscriptValidationError(
                pd.DataFrame({"source": src_in, "row": [f"{d} turn {t}" for d, t in zip(bad["dialogue_id"],
                              bad["turn"], strict=True)], "column": "text", "problem": "empty message",
                              "value": bad["data_id"]}),
                src_in,
            )
        dropped = tuple(str(d) for d in df.loc[empty, "data_id"])
        warnings.warn(f"{src_in}: dropped {len(dropped)} empty message(s), e.g. {list(dropped[:3])}; "
                      "see df.attrs['jmultiwoz_dropped_data_ids']", UserWarning, stacklevel=2)
    if with_tool_calls:
        calls = [None if d is None else ground[d] for d in data_ids]
        df["tool_calls"] = pd.Series(
            [None if c is None else json.dumps(c, ensure_ascii=False) for c in calls], dtype="str"
        )
        df["tool_names"] = pd.Series(
            [None if c is None else tuple(x.get("name") for x in c) for c in calls], dtype=object
        )
    df = df.loc[~empty].reset_index(drop=True)
    df.attrs["jmultiwoz_dropped_data_ids"] = dropped
    return validate_utterances(df, source=src_in)
