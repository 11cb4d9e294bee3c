"""MAIA-DQE: real, machine-translation-mediated customer-support chats with quality and emotion labels.

The agent writes English, the customer German or Portuguese, and each side reads the other's messages
machine-translated. ``data/*.json`` holds 176 dialogue records in four files; the 43 records of
``pt_br_client_04.json`` repeat dialogues of ``pt_br_client_02.json``, so :func:`load_maia` keeps the
133 unique dialogues. ``DialogueEvaluation/data/*_turn.csv`` holds the authors' context/response pairs
(:func:`load_maia_turns`). See ``maia_dqe/SOURCE.md`` of the staged corpora.

License CC BY-ND 4.0: analyses are fine, modified copies of the files must not be distributed.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from omotenashi_research.datasets._integrity import checked_file, read_csv, read_text
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = [
    "CORPUS",
    "EMOTIONS",
    "SUBSETS",
    "TURN_FILES",
    "load_maia",
    "load_maia_turns",
]

CORPUS = "maia-dqe"
FOLDER = "maia_dqe"
# Order matters: the first file holding a dialogue id wins. pt_br_client_02 comes before pt_br_client_04
# (whose records it contains) because its copy of the one differing dialogue has IQ 1, not the invalid 0.
SUBSETS: tuple[str, ...] = ("de_client_02", "pt_br_client_02", "pt_br_client_04", "pt_pt_client_03")
TURN_FILES: tuple[str, ...] = (
    "de_client_01", "de_client_02", "pt_br_client_02", "pt_br_client_04", "pt_pt_client_03",
)
_LOCALE = {"de": "de", "pt_br": "pt-BR", "pt_pt": "pt-PT"}

# Emotion index -> name, order of Emotion/data/maia/labels.txt in the source repository (SOURCE.md).
EMOTIONS: tuple[str, ...] = (
    "empathy", "happiness", "neutral", "disappointment", "confusion", "frustration", "anger", "anxiety",
)

# JSON key -> (column, allowed values)
_SENTENCE_LABELS: dict[str, tuple[str, frozenset[int]]] = {
    "Correctness": ("correctness", frozenset({0, 1, 2})),
    "Templated": ("templated", frozenset({0, 1})),
    "Engagement": ("engagement", frozenset({0, 1})),
    "Emotion": ("emotion", frozenset(range(len(EMOTIONS)))),
}
_TURN_LABELS: dict[str, tuple[str, frozenset[int]]] = {
    "Understanding": ("understanding", frozenset({0, 1})),
    "Sensibleness": ("sensibleness", frozenset({0, 1})),
    "Politeness": ("politeness", frozenset({0, 1})),
    "IQ": ("iq", frozenset({1, 2, 3, 4, 5})),
}
_DIALOGUE_LABELS: dict[str, tuple[str, frozenset[int]]] = {
    "Dropped conversation": ("dropped", frozenset({0, 1})),
    "Task Sucess": ("task_success", frozenset({1, 2, 3, 4, 5})),  # [sic] in the data
}
_ROLES = {"outbound": "agent", "inbound": "customer"}
ISSUE_COLUMNS = ["subset", "record", "dialogue_id", "turn", "label", "problem", "n_sentences", "n_labels",
                 "value", "kept"]

COUNT_MISMATCH = "sentence/label count mismatch"
OUT_OF_RANGE = "value out of range"
MISSING_CODE = "missing-value code -1"
DUPLICATE_DIFFERS = "duplicate record differs"


def _format_error(source: str, row: Any, column: str | None, problem: str, value: Any
                  ) -> TranscriptValidationError:
    failures = pd.DataFrame([{"source": source, "row": row, "column": column, "problem": problem,
                              "value": value}], dtype=object)
    return TranscriptValidationError(failures, source)


def _align_sentence_labels(n_sentences: int, labels: Any) -> tuple | None:
    """Per-sentence labels as a tuple when there is exactly one per sentence, else ``None``.

    Never guesses: a list that is longer or shorter than the sentence list cannot be matched to
    sentences, so the turn gets no labels rather than shifted ones.
    """
    if not isinstance(labels, (list, tuple)) or len(labels) != n_sentences:
        return None
    return tuple(labels)


def _as_label(value: Any, allowed: frozenset[int]) -> tuple[int | None, str | None]:
    """(label, problem): ints and integral floats in ``allowed`` pass; -1 and others become NA."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value):
        return None, OUT_OF_RANGE
    value = int(value)
    if value in allowed:
        return value, None
    return None, MISSING_CODE if value == -1 else OUT_OF_RANGE


def _sentences(turn: Mapping, key: str, source: str, row: str) -> list[str]:
    value = turn.get(key)
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise _format_error(source, row, key, "must be a list of sentence strings", value)
    return value


def _record_rows(
    record: Any, *, subset: str, record_no: int, text: str, source: str
) -> tuple[list[dict], list[dict]]:
    """Utterance rows (one per turn, none dropped) and label issues of one JSON dialogue record."""
    if not isinstance(record, Mapping) or not isinstance(record.get("id"), str) \
            or not isinstance(record.get("turns"), list):
        raise _format_error(source, f"record {record_no}", "id/turns",
                            "record must be an object with a string 'id' and a list 'turns'",
                            type(record).__name__)
    dlg_id = record["id"]
    customer_lang = subset.rsplit("_client_", 1)[0]
    locale = _LOCALE.get(customer_lang, customer_lang)
    customer_lang = customer_lang.split("_")[0]
    issues: list[dict] = []

    def issue(turn, label, problem, n_sentences=None, n_labels=None, value=None):
        issues.append({"subset": subset, "record": record_no, "dialogue_id": dlg_id, "turn": turn,
                       "label": label, "problem": problem, "n_sentences": n_sentences,
                       "n_labels": n_labels, "value": value})

    dialog = record.get("dialog") or {}
    dialogue_labels = {}
    for key, (col, allowed) in _DIALOGUE_LABELS.items():
        value, problem = _as_label(dialog.get(key), allowed)
        if problem:
            issue(None, key, problem, value=dialog.get(key))
        dialogue_labels[col] = value

    rows = []
    for i, turn in enumerate(record["turns"]):
        where = f"record {record_no} ({dlg_id}), turn {i}"
        if not isinstance(turn, Mapping) or turn.get("floor") not in _ROLES:
            floor = turn.get("floor") if isinstance(turn, Mapping) else turn
            raise _format_error(source, where, "floor", "must be 'inbound' or 'outbound'", floor)
        role = _ROLES[turn["floor"]]
        src = _sentences(turn, "text_src", source, where)
        mt = _sentences(turn, "text_mt", source, where)
        # text_src is what the speaker wrote: English for the agent, de/pt for the customer.
        lang_src, lang_mt = ("en", customer_lang) if role == "agent" else (customer_lang, "en")
        use_original = text == "original" or (text == "english" and lang_src == "en")
        chosen, other = (src, mt) if use_original else (mt, src)
        row = {
            "corpus": CORPUS, "dialogue_id": dlg_id, "turn": i, "role": role, "speaker": turn["floor"],
            "text": " ".join(s.strip() for s in chosen if s.strip()),
            "lang": lang_src if use_original else lang_mt,
            "text_alt": " ".join(s.strip() for s in other if s.strip()),
            "lang_alt": lang_mt if use_original else lang_src,
            "text_version": "original" if use_original else "translated",
            "sentences": tuple(chosen),
            "n_sentences": len(src),
            "subset": subset, "locale": locale,
        }
        if not row["text"]:
            raise _format_error(source, where, "text_src" if use_original else "text_mt",
                                "turn has no non-empty sentence", chosen)
        misaligned = []
        for key, (col, allowed) in _SENTENCE_LABELS.items():
            raw = turn.get(key)
            labels = _align_sentence_labels(len(src), raw)
            if labels is None:
                misaligned.append(col)
                issue(i, key, COUNT_MISMATCH, len(src),
                      len(raw) if isinstance(raw, (list, tuple)) else None)
            else:
                checked = []
                for v in labels:
                    label, problem = _as_label(v, allowed)
                    if problem:
                        issue(i, key, problem, len(src), len(labels), v)
                    checked.append(label)
                labels = tuple(checked)
            row[col] = labels
        row["misaligned_labels"] = tuple(misaligned)
        for key, (col, allowed) in _TURN_LABELS.items():
            value, problem = _as_label(turn.get(key), allowed)
            if problem:
                issue(i, key, problem, value=turn.get(key))
            row[col] = value
        row.update(dialogue_labels)
        rows.append(row)
    return rows, issues


def _count(labels: Any, value: int) -> Any:
    return sum(v == value for v in labels) if isinstance(labels, tuple) else pd.NA


def load_maia(
    *,
    data_dir: str | os.PathLike | None = None,
    text: Literal["original", "translated", "english"] = "original",
    subsets: Sequence[str] = SUBSETS,
    return_issues: bool = False,
    verify: bool = True,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Load the MAIA-DQE dialogues (``data/*.json``) as an utterance table, one row per turn.

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``maia_dqe/`` (default: ``$OMOTENASHI_DATA``, then the download cache).
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv``; a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads it anyway.
    text : {"original", "translated", "english"}
        Which text goes into ``text``/``lang``: ``"original"`` what the speaker wrote (agent English,
        customer German/Portuguese), ``"translated"`` its machine translation (what the other side
        read), ``"english"`` the English side of every turn (agent original, customer translation).
        The other version is kept in ``text_alt``/``lang_alt``; ``text_version`` says which one ``text`` is.
    subsets : sequence of str
        JSON files (stems) to read, in priority order for de-duplication.
    return_issues : bool
        Also return the table of label problems (see Returns).

    Returns
    -------
    df : pandas.DataFrame
        Utterance table (``omotenashi_research.schema``): ``role`` ``agent`` (``outbound``) or
        ``customer`` (``inbound``), ``speaker`` the floor name, sentences joined by a space in ``text``.
        Extra columns: ``sentences`` (tuple, the chosen version), ``n_sentences``, ``subset`` (file kept),
        ``also_in`` (tuple of other files with the same dialogue id), ``locale`` (``de``, ``pt-BR``,
        ``pt-PT``); per-sentence labels as tuples aligned with ``sentences`` — ``correctness`` (MT quality
        0-2), ``templated`` (1 = canned sentence), ``engagement`` (0/1), ``emotion`` (index into
        :data:`EMOTIONS`, 0 = empathy) — with their counts ``n_templated`` and ``n_empathy``;
        ``misaligned_labels`` (tuple of the sentence labels left NA for the turn); turn labels
        ``understanding``, ``sensibleness``, ``politeness`` (0/1), ``iq`` (interaction quality 1-5);
        dialogue labels ``dropped`` (0/1) and ``task_success`` (1-5), repeated on each row. Labels are
        nullable ``Int64``/object; NA where unrated, invalid, or not alignable.
    issues : pandas.DataFrame
        Only with ``return_issues=True``. One row per problem found in *all* records read (including
        duplicates that were not kept, ``kept`` False): ``subset``, ``record`` (0-based index in the
        file), ``dialogue_id``, ``turn``, ``label`` (JSON key), ``problem`` (``"sentence/label count
        mismatch"``: the list length differs from the number of sentences, so the labels cannot be matched
        to sentences and are NA for that turn; ``"value out of range"``; ``"missing-value code -1"``;
        ``"duplicate record differs"``), ``n_sentences``, ``n_labels``, ``value``, ``kept``.

    Raises
    ------
    CorpusNotFoundError
        When the files are not found (the message says how to fetch them).
    TranscriptValidationError
        Malformed records, naming the file, record, turn and problem.

    Examples
    --------
    >>> from omotenashi_research.datasets.maia import load_maia
    >>> df, issues = load_maia(return_issues=True)  # doctest: +SKIP
    >>> df["dialogue_id"].nunique(), len(df)  # doctest: +SKIP
    (133, 2305)
    >>> df.groupby("role")["n_empathy"].sum().to_dict()  # empathy sentences, aligned turns  # doctest: +SKIP
    {'agent': 207, 'customer': 122}
    """
    if text not in ("original", "translated", "english"):
        raise ValueError(f"text must be 'original', 'translated' or 'english', not {text!r}")
    rows: list[dict] = []
    issues: list[dict] = []
    kept: dict[str, tuple[str, Any]] = {}  # dialogue id -> (subset, record)
    also_in: dict[str, list[str]] = {}
    for subset in subsets:
        path = checked_file(FOLDER, f"data/{subset}.json", data_dir, verify=verify)
        try:
            records = json.loads(read_text(path))
        except json.JSONDecodeError as err:
            raise _format_error(str(path), f"line {err.lineno}", None, f"invalid JSON: {err.msg}",
                                None) from None
        except RecursionError:
            raise _format_error(str(path), None, None, "invalid JSON: nested too deeply", None) from None
        if not isinstance(records, list):
            raise _format_error(str(path), None, None, "expected a JSON list of dialogues",
                                type(records).__name__)
        for no, record in enumerate(records):
            rec_rows, rec_issues = _record_rows(record, subset=subset, record_no=no, text=text,
                                                source=str(path))
            dlg_id = record["id"]
            first = dlg_id not in kept
            for it in rec_issues:
                it["kept"] = first
            issues.extend(rec_issues)
            if first:
                kept[dlg_id] = (subset, record)
                also_in[dlg_id] = []
                rows.extend(rec_rows)
                continue
            also_in[dlg_id].append(subset)
            kept_subset, kept_record = kept[dlg_id]
            if record != kept_record:
                issues.append({"subset": subset, "record": no, "dialogue_id": dlg_id, "turn": None,
                               "label": None, "problem": DUPLICATE_DIFFERS, "n_sentences": None,
                               "n_labels": None, "value": f"kept the copy in {kept_subset}",
                               "kept": False})
    df = pd.DataFrame(rows)
    df["also_in"] = df["dialogue_id"].map(lambda d: tuple(also_in[d]))
    for col in ("understanding", "sensibleness", "politeness", "iq", "dropped", "task_success"):
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    for col, _ in _SENTENCE_LABELS.values():
        df[col] = df[col].map(lambda v: v if isinstance(v, tuple) else pd.NA)
    df["n_templated"] = pd.array([_count(v, 1) for v in df["templated"]], dtype="Int64")
    df["n_empathy"] = pd.array([_count(v, 0) for v in df["emotion"]], dtype="Int64")
    validate_utterances(df, source=f"{FOLDER}/data/*.json")
    if not return_issues:
        return df
    return df, pd.DataFrame(issues, columns=ISSUE_COLUMNS)


def load_maia_turns(
    *, data_dir: str | os.PathLike | None = None, files: Sequence[str] = TURN_FILES,
    return_issues: bool = False, verify: bool = True,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Load the authors' context/response pairs (``DialogueEvaluation/data/*_turn.csv``).

    Not an utterance table: the files carry no dialogue ids. ``pt_br_client_02_turn.csv`` does not match
    ``data/pt_br_client_02.json`` (SOURCE.md), and ``de_client_01`` exists only here.

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``maia_dqe/``.
    verify : bool
        As for :func:`load_maia`.
    files : sequence of str
        File stems without ``_turn.csv``.
    return_issues : bool
        Also return the invalid label cells (see Returns).

    Returns
    -------
    df : pandas.DataFrame
        One row per CSV row: ``file``, ``row`` (1-based data row), ``ctx_src``, ``ctx_tgt``, ``res_src``,
        ``res_tgt`` as stored (``<speaker1>``/``<speaker2>`` tokens, turns joined by ``</s><s>``), and
        nullable ``Int64`` labels ``correctness`` (0-2), ``templated``, ``engagement``, ``understanding``,
        ``sensibleness``, ``politeness`` (0/1), ``iq`` (1-5). Blank and out-of-range cells (e.g. ``22``
        in a 0-2 column) are NA.
    issues : pandas.DataFrame
        Only with ``return_issues=True``: ``file``, ``row``, ``column``, ``value``, ``problem`` for every
        out-of-range cell set to NA (blanks are plain missing values and not listed).

    Examples
    --------
    >>> from omotenashi_research.datasets.maia import load_maia_turns
    >>> len(load_maia_turns())  # doctest: +SKIP
    9685
    """
    allowed = {"correctness": {0, 1, 2}, "iq": {1, 2, 3, 4, 5}}
    text_cols = ["ctx_src", "ctx_tgt", "res_src", "res_tgt"]
    label_cols = ["correctness", "templated", "engagement", "understanding", "sensibleness",
                  "politeness", "iq"]
    frames, issues = [], []
    for stem in files:
        path = checked_file(FOLDER, f"DialogueEvaluation/data/{stem}_turn.csv", data_dir, verify=verify)
        raw = read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in text_cols + label_cols if c not in raw.columns]
        if missing:
            raise _format_error(str(path), None, ", ".join(missing), "required column is missing", None)
        out = pd.DataFrame({"file": stem, "row": range(1, len(raw) + 1)})
        for col in text_cols:
            out[col] = raw[col]
        for col in label_cols:
            ok = allowed.get(col, {0, 1})
            values: list[Any] = []
            for r, cell in enumerate(raw[col], start=1):
                cell = cell.strip()
                if cell == "":
                    values.append(pd.NA)
                elif cell.lstrip("-").isdigit() and int(cell) in ok:
                    values.append(int(cell))
                else:
                    values.append(pd.NA)
                    issues.append({"file": stem, "row": r, "column": col, "value": cell,
                                   "problem": OUT_OF_RANGE})
            out[col] = pd.array(values, dtype="Int64")
        frames.append(out)
    df = pd.concat(frames, ignore_index=True)
    if not return_issues:
        return df
    return df, pd.DataFrame(issues, columns=["file", "row", "column", "value", "problem"])
