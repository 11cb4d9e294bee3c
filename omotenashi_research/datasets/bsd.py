"""Loader for BSD, the Business Scene Dialogue corpus (Rikters et al. 2019; Japanese-English parallel,
CC BY-NC-SA 4.0), dev and test splits.

Each scenario of ``bsd/<split>.json`` lists sentence pairs (``no``, ``en_speaker``, ``ja_speaker``,
``en_sentence``, ``ja_sentence``); half were written in Japanese and translated into English, half
the other way (``original_language``). Consecutive sentences of the same speaker form a turn
(``bsd/SOURCE.md``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import pandas as pd

from omotenashi_research.datasets._integrity import checked_file, read_text
from omotenashi_research.datasets._paths import corpus_file
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = ["SPLITS", "load_bsd"]

SPLITS: tuple[str, ...] = ("dev", "test")
_LANGS = ("ja", "en")
# Sentences of one turn are joined without a space in Japanese, with one in English.
_JOINER = {"ja": "", "en": " "}
_SCENARIO_KEYS = ("id", "tag", "title", "original_language", "conversation")
_PAIR_KEYS = ("no", "en_speaker", "ja_speaker", "en_sentence", "ja_sentence")
_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]


def _turn_groups(speakers: Sequence[str]) -> list[int]:
    """0-based speaker-turn index of each sentence: a new turn starts when the speaker changes.

    >>> _turn_groups(["A", "A", "B", "A"])
    [0, 0, 1, 2]
    """
    out, group, prev = [], -1, object()
    for s in speakers:
        if s != prev:
            group += 1
            prev = s
        out.append(group)
    return out


def _check_scenarios(data, source: str) -> list[tuple]:
    """All structural problems of a parsed split file as failure tuples (row = scenario index)."""
    if not isinstance(data, list):
        return [(source, None, "json", "expected a list of scenarios", type(data).__name__)]
    failures = []
    for i, sc in enumerate(data):
        missing = [k for k in _SCENARIO_KEYS if not isinstance(sc, dict) or k not in sc]
        if missing:
            failures.append((source, i, ",".join(missing), "scenario key(s) missing", None))
            continue
        if not isinstance(sc["conversation"], list) or not sc["conversation"]:
            failures.append((source, i, "conversation", "must be a non-empty list of sentence pairs", None))
            continue
        if sc["original_language"] not in _LANGS:
            failures.append((source, i, "original_language", "must be 'ja' or 'en'", sc["original_language"]))
        for j, pair in enumerate(sc["conversation"]):
            where = f"scenario {i} ({sc['id']}) pair {j}"
            miss = [k for k in _PAIR_KEYS if not isinstance(pair, dict) or k not in pair]
            if miss:
                failures.append((source, where, ",".join(miss), "pair key(s) missing", None))
                continue
            if pair["no"] != j + 1:
                failures.append((source, where, "no", f"expected {j + 1} (1-based, in order)", pair["no"]))
            for k in ("en_sentence", "ja_sentence", "en_speaker", "ja_speaker"):
                if not isinstance(pair[k], str) or not pair[k].strip():
                    failures.append((source, where, k, "must be non-empty text", pair[k]))
    return failures


def _read_split(split: str, data_dir, verify: bool = True) -> list[dict]:
    path = checked_file("bsd", f"{split}.json", data_dir, verify=verify)
    source = str(path)
    try:
        data = json.loads(read_text(path))
    except (json.JSONDecodeError, RecursionError) as err:
        deep = isinstance(err, RecursionError)
        where, msg = (None, "nested too deeply") if deep else (err.lineno, err.msg)
        raise TranscriptValidationError(
            pd.DataFrame([(source, where, "json", f"not valid JSON: {msg}", None)],
                         columns=_FAILURE_COLUMNS), source) from None
    failures = _check_scenarios(data, source)
    if failures:
        raise TranscriptValidationError(pd.DataFrame(failures, columns=_FAILURE_COLUMNS), source)
    records = []
    for sc in data:
        conv = sc["conversation"]
        groups = _turn_groups([p["en_speaker"] for p in conv])
        for lang in _LANGS:
            for pair, group in zip(conv, groups, strict=True):
                records.append(
                    {
                        "corpus": "bsd",
                        "dialogue_id": f"{sc['id']}/{lang}",
                        "turn": pair["no"] - 1,
                        "role": "other",
                        "speaker": pair[f"{lang}_speaker"],
                        "text": pair[f"{lang}_sentence"],
                        "lang": lang,
                        "split": split,
                        "scenario_id": sc["id"],
                        "original_language": sc["original_language"],
                        "is_original": lang == sc["original_language"],
                        "scene": sc["tag"],
                        "title": sc["title"],
                        "no": pair["no"],
                        "pair_id": f"{sc['id']}#{pair['no']}",
                        "speaker_key": pair["en_speaker"],
                        "turn_group": group,
                    }
                )
    return records


def load_bsd(
    splits: Sequence[str] = SPLITS,
    *,
    merge_turns: bool = False,
    data_dir: str | os.PathLike | None = None,
    verify: bool = True,
) -> pd.DataFrame:
    """Load BSD as an utterance table with both language sides.

    Parameters
    ----------
    splits : sequence of str
        ``"dev"`` and/or ``"test"`` (``train.json`` is not staged).
    merge_turns : bool
        False (default): one row per sentence per language. True: one row per speaker turn per
        language -- consecutive sentences of the same speaker merged (Japanese joined without a
        space, English with one), which gives SOURCE.md's "speaker turns" (dev 1,244, test 1,276).
    data_dir : path, optional
        Folder holding ``bsd/``; default ``$OMOTENASHI_DATA`` then the download cache.
    verify : bool
        Check each split file's size and SHA-256 against ``registry.csv``; a truncated or altered copy
        raises :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads it anyway.

    Returns
    -------
    pandas.DataFrame
        Utterance table (:mod:`omotenashi_research.schema`), ``corpus`` ``"bsd"``, ``role``
        ``"other"`` (BSD names speakers but gives no agent/customer roles), ``dialogue_id``
        ``"<scenario id>/<lang>"`` (one dialogue per language side), ``lang`` ``"ja"``/``"en"``,
        ``speaker`` the name on that side, and:

        - ``turn``: 0-based sentence index (``no - 1``), or with ``merge_turns`` the turn index;
        - ``split``, ``scenario_id``, ``original_language`` (``ja``/``en``: the side the writer
          wrote; the other is a translation), ``is_original`` (``lang == original_language``),
          ``scene`` (the ``tag``, e.g. ``"phone call"``), ``title``;
        - sentences: ``no`` (1-based), ``pair_id`` (``"<scenario>#<no>"``, the same on both sides),
          ``turn_group`` (0-based speaker-turn index);
        - merged turns: ``no_first``, ``no_last``, ``n_sentences``;
        - ``speaker_key``: the English speaker name, to match speakers across the two sides.

    Raises
    ------
    CorpusNotFoundError
        When a split file is not staged (the message says how to fetch it).
    TranscriptValidationError
        Malformed files, naming file, scenario, pair and problem.

    Examples
    --------
    >>> from omotenashi_research.datasets.bsd import load_bsd
    >>> df = load_bsd(["dev"])  # doctest: +SKIP
    >>> df.groupby("lang").size().to_dict()  # doctest: +SKIP
    {'en': 2051, 'ja': 2051}
    """
    if isinstance(splits, str):
        splits = [splits]
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise ValueError(f"unknown BSD split(s) {unknown}; choose from {', '.join(SPLITS)}")
    records = [rec for split in dict.fromkeys(splits) for rec in _read_split(split, data_dir, verify)]
    df = pd.DataFrame(records)
    for col in ("turn", "no", "turn_group"):
        df[col] = df[col].astype("int64")
    df["is_original"] = df["is_original"].astype(bool)
    if merge_turns:
        keys = ["corpus", "dialogue_id", "turn_group"]
        first = ["role", "speaker", "lang", "split", "scenario_id", "original_language", "is_original",
                 "scene", "title", "speaker_key"]
        agg = df.groupby(keys, sort=False).agg(
            **{c: (c, "first") for c in first},
            no_first=("no", "min"), no_last=("no", "max"), n_sentences=("no", "size"),
        ).reset_index()
        text = df.groupby(keys, sort=False)["text"].agg(list).reset_index(drop=True)
        agg["text"] = [_JOINER[lang].join(t) for lang, t in zip(agg["lang"], text, strict=True)]
        agg = agg.rename(columns={"turn_group": "turn"})
        df = agg[["corpus", "dialogue_id", "turn", "role", "speaker", "text", *first[2:],
                  "no_first", "no_last", "n_sentences"]]
        for col in ("turn", "no_first", "no_last", "n_sentences"):
            df[col] = df[col].astype("int64")
    sources = ", ".join(str(corpus_file("bsd", f"{s}.json", data_dir)) for s in dict.fromkeys(splits))
    return validate_utterances(df, source=sources)
