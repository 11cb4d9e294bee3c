"""Loader for ASDC, the Accommodation Search Dialog Corpus (megagonlabs, Japanese, CC BY 4.0).

210 Slack chats between an accommodation-consultation operator and a role-playing customer
(``asdc/SOURCE.md``). Posts come from ``data/main/dialog/json/NNN.json``; the customer-side
dialogue acts of ``data/main/dialog_act/NNN.tsv`` are sentence-level and are aligned to the posts
and sentences by their (NFKC-normalised) text, because the act files re-segment some sentences and
their ``nth`` column does not follow the JSON sentence order.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research.datasets._integrity import check_count, checked_dir, read_text
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = ["ACT_COLUMNS", "load_asdc", "load_asdc_dialog_acts"]

_JSON_DIR = "data/main/dialog/json"
_ACT_DIR = "data/main/dialog_act"
_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]
#: Header of ``dialog_act/NNN.tsv``.
ACT_COLUMNS: tuple[str, ...] = (
    "utterance_id", "src_file_id", "nth", "speaker", "utterance", "speech_act",
    "has_typos", "difficult", "duplicate", "memo",
)
# How many posts ahead an act row may be found; act rows follow post order, so a few suffice.
_LOOKAHEAD = 6
# Prefix length used when an act row's text was edited after segmentation (typo fixes, merges).
_PREFIX = 10
_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    """NFKC without whitespace: the act files are not NFKC-normalised and drop the line breaks."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _split_sentences(text: str, sbs: list, source: str, post: int) -> list[str]:
    """Cut a post at its ``text_sbs`` sentence-end offsets (stripped of surrounding line breaks)."""
    if not isinstance(sbs, list) or not sbs or not all(isinstance(e, int) for e in sbs):
        raise _error(source, post, "text_sbs", "must be a non-empty list of integers", sbs)
    ends = list(sbs)
    if ends != sorted(set(ends)) or ends[0] <= 0 or ends[-1] > len(text):
        raise _error(source, post, "text_sbs", f"offsets must increase within 1..{len(text)}", sbs)
    if ends[-1] < len(text) and text[ends[-1]:].strip():
        ends.append(len(text))  # trailing text without an end mark is still a sentence
    starts = [0, *ends[:-1]]
    return [text[a:b].strip() for a, b in zip(starts, ends, strict=True)]


def _error(source: str, row, column: str, problem: str, value) -> TranscriptValidationError:
    return TranscriptValidationError(
        pd.DataFrame([(source, row, column, problem, value)], columns=_FAILURE_COLUMNS), source
    )


def _read_dialogue(path: Path) -> tuple[dict, list[dict]]:
    """Meta and posts of one JSON file; each post gets its list of sentences."""
    source = str(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise _error(source, err.lineno, "json", f"not valid JSON: {err.msg}", None) from None
    except RecursionError:
        raise _error(source, None, "json", "not valid JSON: nested too deeply to read", None) from None
    if not isinstance(data, dict) or "meta" not in data or "utterances" not in data:
        raise _error(source, None, "json", "expected an object with 'meta' and 'utterances'", None)
    meta = data["meta"]
    posts = []
    for k, post in enumerate(data["utterances"]):
        if not isinstance(post, dict):
            raise _error(source, k, "utterances", "post is not a JSON object", str(post)[:80])
        for key in ("name", "text", "text_sbs"):
            if key not in post:
                raise _error(source, k, key, "missing in post", None)
        name, text = post["name"], post["text"]
        if not isinstance(text, str) or not text.strip():
            raise _error(source, k, "text", "post text is empty", text)
        if not re.fullmatch(r"(operator|customer)_\d+", str(name)):
            raise _error(source, k, "name", "speaker is neither operator_N nor customer_N", name)
        pid, when = post.get("id"), post.get("time", np.nan)
        if not isinstance(when, (int, float)):
            raise _error(source, k, "time", "must be a number of seconds", when)
        posts.append(
            {
                "post": k,
                "post_id": pid.get("id") if isinstance(pid, dict) else pid,
                "name": name,
                "text": text,
                "time": float(when),
                "sentences": _split_sentences(text, post["text_sbs"], source, k),
            }
        )
    return meta, posts


def _read_act_rows(path: Path) -> list[dict]:
    """Rows of one ``dialog_act/NNN.tsv`` (header checked)."""
    source = str(path)
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or tuple(header) != ACT_COLUMNS:
            raise _error(source, 0, "header", f"expected columns {list(ACT_COLUMNS)}", header)
        rows = []
        for i, fields in enumerate(reader, start=1):
            if len(fields) != len(ACT_COLUMNS):
                raise _error(source, i, "line", f"expected {len(ACT_COLUMNS)} fields, found {len(fields)}",
                             "\t".join(fields)[:80])
            rec = dict(zip(ACT_COLUMNS, fields, strict=True))
            if rec["speaker"] not in ("agent", "user"):
                raise _error(source, i, "speaker", "must be 'agent' or 'user'", rec["speaker"])
            rec["row"] = i
            rows.append(rec)
    return rows


def _align_acts(posts: list[dict], acts: list[dict]) -> list[tuple[int, int, int] | None]:
    """Locate every act row in the posts: ``(post, start, end)`` offsets in the post's normalised
    text, or None when it cannot be found.

    Rows are matched in order, each at or after the previous match, in a post of the same side
    (agent = operator). A row whose text was edited (typo fix, two posts merged) is matched by its
    first ``_PREFIX`` characters and spans to the end of the row or of the post.
    """
    normed = [(p["name"].startswith("operator"), "".join(_norm(s) for s in p["sentences"])) for p in posts]
    out: list[tuple[int, int, int] | None] = []
    p, cursor = 0, 0
    for row in acts:
        agent, text = row["speaker"] == "agent", _norm(row["utterance"])
        hit = None
        for needle in (text, text[:_PREFIX]):
            if not needle:
                break
            q, c = p, cursor
            while q < len(normed) and q < p + _LOOKAHEAD:
                if normed[q][0] == agent and (j := normed[q][1].find(needle, c)) >= 0:
                    hit = (q, j, min(j + len(text), len(normed[q][1])))
                    break
                q, c = q + 1, 0
            if hit:
                break
        out.append(hit)
        if hit:
            p, cursor = hit[0], hit[2]
    return out


def _sentence_spans(post: dict) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for s in post["sentences"]:
        n = len(_norm(s))
        spans.append((pos, pos + n))
        pos += n
    return spans


def _join(labels) -> str | None:
    """Distinct non-empty labels in order, ``+``-joined; None when there are none."""
    seen = list(dict.fromkeys(x for x in labels if x))
    return "+".join(seen) if seen else None


def _files(data_dir, verify: bool) -> tuple[list[Path], Path]:
    json_dir, files = checked_dir("asdc", _JSON_DIR, "*.json", data_dir, verify=verify)
    act_dir, _ = checked_dir("asdc", _ACT_DIR, "*.tsv", data_dir, verify=verify)
    if not files:
        raise _error(str(json_dir), None, "files", "no NNN.json dialogue files in the folder", None)
    check_count("asdc", "dialogue files", len(files), json_dir, verify=verify)
    return files, act_dir


def load_asdc_dialog_acts(*, data_dir: str | os.PathLike | None = None, verify: bool = True) -> pd.DataFrame:
    """The sentence-level dialogue-act rows of ``dialog_act/NNN.tsv``, aligned to the posts.

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``asdc/``; default ``$OMOTENASHI_DATA`` then the download cache.
    verify : bool
        As for :func:`load_asdc`.

    Returns
    -------
    pandas.DataFrame
        One row per act row: ``dialogue_id`` (``"001"``...), ``row`` (1-based data row in the
        file), ``utterance_id``, ``nth`` (int), ``speaker`` (``agent``/``user``), ``speech_act``
        (NaN for agent rows: only customer sentences are labelled), ``has_typos``, ``difficult``,
        ``duplicate`` (int), ``post_turn`` (int, the aligned post's ``turn`` in
        :func:`load_asdc`; -1 if not found) and ``match_start``/``match_end`` (offsets in the
        post's whitespace-free NFKC text). The text is not returned: join on the IDs.

    Examples
    --------
    >>> from omotenashi_research.datasets.asdc import load_asdc_dialog_acts
    >>> acts = load_asdc_dialog_acts()  # doctest: +SKIP
    >>> acts["speaker"].value_counts().to_dict()  # doctest: +SKIP
    {'agent': 7784, 'user': 3001}
    """
    files, act_dir = _files(data_dir, verify)
    records = []
    for path in files:
        _, posts = _read_dialogue(path)
        act_path = act_dir / f"{path.stem}.tsv"
        if not act_path.exists():
            continue
        acts = _read_act_rows(act_path)
        for rec, hit in zip(acts, _align_acts(posts, acts), strict=True):
            records.append(
                {
                    "dialogue_id": path.stem,
                    "row": rec["row"],
                    "utterance_id": rec["utterance_id"],
                    "nth": int(rec["nth"]),
                    "speaker": rec["speaker"],
                    "speech_act": rec["speech_act"] or None,
                    "has_typos": int(rec["has_typos"] or 0),
                    "difficult": int(rec["difficult"] or 0),
                    "duplicate": int(rec["duplicate"] or 0),
                    "post_turn": hit[0] if hit else -1,
                    "match_start": hit[1] if hit else -1,
                    "match_end": hit[2] if hit else -1,
                }
            )
    out = pd.DataFrame(records)
    for col in ("row", "nth", "has_typos", "difficult", "duplicate", "post_turn", "match_start", "match_end"):
        out[col] = out[col].astype("int64")
    out["speech_act"] = out["speech_act"].astype("str")
    return out


def load_asdc(
    *, data_dir: str | os.PathLike | None = None, sentences: bool = False, verify: bool = True
) -> pd.DataFrame:
    """Load ASDC as an utterance table of posts (default) or of sentences.

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``asdc/``; default ``$OMOTENASHI_DATA`` then the download cache.
    sentences : bool
        False: one row per Slack post (4,270). True: one row per sentence (10,841), cut at the
        JSON ``text_sbs`` offsets.
    verify : bool
        Check that all 210 dialogue JSON files and their dialogue-act TSVs are there, with the size and
        SHA-256 of ``registry.csv``, and no unregistered file among them; a partial or altered copy
        raises :class:`~omotenashi_research.errors.CorpusIncompleteError` naming each missing or wrong
        file. ``False`` reads whatever files are there (e.g. a subset you made).

    Returns
    -------
    pandas.DataFrame
        Utterance table (:mod:`omotenashi_research.schema`) with ``corpus`` ``"asdc"``,
        ``dialogue_id`` ``"001"``...``"210"``, ``turn`` (0-based post or sentence index in the
        dialogue), ``role`` (``operator_N`` -> ``"agent"``, ``customer_N`` -> ``"customer"``),
        ``speaker`` (the upstream name), ``text`` (NFKC, posts may contain line breaks), ``lang``
        ``"ja"``, ``split`` (the JSON ``purpose``: train/dev/test), ``act``, and:

        - ``operator_hospitality`` (bool, same on every row of a dialogue): the dialogue's operator
          has hospitality/tourism customer-service experience (``operator_1``, dialogues
          001-126) or not (``operator_2``, 127-210), per SOURCE.md;
        - ``post_id`` (upstream id), ``time`` (seconds since the first post);
        - posts: ``n_sentences``; sentences: ``post_turn`` and ``sentence`` (index in the post).

        ``act`` holds the customer speech acts (要求, はい, その他, 照応要求, 伝達, いいえ, 感想, 質問,
        確認) of the act rows aligned to the sentence / post, distinct labels ``+``-joined in order
        (str column); NaN for operator rows (not annotated) and the few sentences no act row covers.

    Raises
    ------
    CorpusNotFoundError
        When the corpus is not staged (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when files are missing, altered or extra.
    TranscriptValidationError
        Malformed or undecodable files, naming file, post or row, and problem.

    Examples
    --------
    >>> from omotenashi_research.datasets.asdc import load_asdc
    >>> posts = load_asdc()  # doctest: +SKIP
    >>> posts.groupby("speaker").size()[["operator_1", "operator_2"]].tolist()  # doctest: +SKIP
    [1529, 796]
    """
    files, act_dir = _files(data_dir, verify)
    records = []
    for path in files:
        source = str(path)
        meta, posts = _read_dialogue(path)
        operators = {p["name"] for p in posts if p["name"].startswith("operator")}
        if len(operators) != 1:
            raise _error(source, None, "name", "expected exactly one operator per dialogue",
                         sorted(operators))
        hospitality = operators == {"operator_1"}
        # labels[post][sentence] -> list of acts of the act rows overlapping that sentence
        labels = [[[] for _ in p["sentences"]] for p in posts]
        act_path = act_dir / f"{path.stem}.tsv"
        if act_path.exists():
            acts = _read_act_rows(act_path)
            for rec, hit in zip(acts, _align_acts(posts, acts), strict=True):
                if hit is None or not rec["speech_act"]:
                    continue
                q, a, b = hit
                for s, (lo, hi) in enumerate(_sentence_spans(posts[q])):
                    if lo < max(b, a + 1) and hi > a:
                        labels[q][s].append(rec["speech_act"])
        split = meta.get("purpose")
        turn = 0
        for p, post_labels in zip(posts, labels, strict=True):
            base = {
                "corpus": "asdc",
                "dialogue_id": path.stem,
                "role": "agent" if p["name"].startswith("operator") else "customer",
                "speaker": p["name"],
                "lang": "ja",
                "split": split,
                "operator_hospitality": hospitality,
                "post_id": p["post_id"],
                "time": p["time"],
            }
            if not sentences:
                records.append({**base, "turn": p["post"], "text": p["text"],
                                "act": _join(x for s in post_labels for x in s),
                                "n_sentences": len(p["sentences"])})
                continue
            for s, (text, lab) in enumerate(zip(p["sentences"], post_labels, strict=True)):
                if not text:
                    raise _error(source, p["post"], "text_sbs", f"sentence {s} of the post is empty", text)
                records.append({**base, "turn": turn, "text": text, "act": _join(lab),
                                "post_turn": p["post"], "sentence": s})
                turn += 1
    out = pd.DataFrame(records)
    order = ["corpus", "dialogue_id", "turn", "role", "speaker", "text", "lang", "split", "act",
             "operator_hospitality", "post_id", "time"]
    extra = ["post_turn", "sentence"] if sentences else ["n_sentences"]
    out = out[order + extra]
    for col in ["turn", *extra]:
        out[col] = out[col].astype("int64")
    out["operator_hospitality"] = out["operator_hospitality"].astype(bool)
    out["act"] = out["act"].astype("str")
    return validate_utterances(out, source=str(files[0].parent))
