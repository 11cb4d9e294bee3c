"""KokoroChat: Japanese online counselling chats, each rated afterwards by the client (ACL 2025).

6,589 dialogues between a counselor and a client, **both role-played by trained counselors**; after each
session the person in the client role filled in a review: 20 items on 0-5 (e.g. 受容・共感, acceptance and
empathy; felt heard; felt respected), three flags and a total ``score``. Licence **CC BY-NC-ND 4.0**:
non-commercial use only, and no derived copy of the dialogues (cleaned text, splits, tables of utterances)
may be committed or shared; see ``kokorochat/SOURCE.md`` of the staged corpora.

Two layouts are read, both in place:

- ``kokorochat/kokorochat_dialogues.zip`` (the shared corpora: the 6,589 upstream files, unchanged, in one
  zip; nothing is extracted to disk);
- ``kokorochat/kokorochat_dialogues/<n>.json`` (the loose upstream files, as ``fetch("kokorochat")``
  downloads them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

from omotenashi_research.datasets._integrity import checked_dir
from omotenashi_research.datasets._paths import corpus_file
from omotenashi_research.datasets.fetch import registry
from omotenashi_research.errors import CorpusIncompleteError, CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_utterances

__all__ = [
    "CORPUS",
    "FLAGS",
    "ITEMS",
    "ITEMS_EXPERIENCE",
    "ITEMS_SKILLS",
    "derived_score",
    "load_kokorochat",
    "load_kokorochat_reviews",
]

CORPUS = "kokorochat"
FOLDER = "kokorochat"
ZIP = "kokorochat_dialogues.zip"
DIALOGUE_DIR = "kokorochat_dialogues"
_MEMBER = re.compile(r"kokorochat_dialogues/(\d+)\.json")
_ROLES = {"counselor": "agent", "client": "customer"}
_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]

# (Japanese key, English key as upstream spells it, column). The column is the English key with the
# upstream typo "cleraly" fixed. The order is the upstream key order (SOURCE.md items 1-20).
_ITEM_KEYS: tuple[tuple[str, str, str], ...] = (
    ("聴いてもらえた、わかってもらえたと感じた", "felt_heard_and_understood", "felt_heard_and_understood"),
    ("尊重されたと感じた", "felt_respected", "felt_respected"),
    ("新しい気づきや体験があった", "gained_new_insights", "gained_new_insights"),
    ("希望や期待を感じられた", "felt_hopeful_or_expectant", "felt_hopeful_or_expectant"),
    ("取り組みたかったことを扱えた", "concerns_were_addressed", "concerns_were_addressed"),
    ("一緒に考えながら取り組めた", "thought_through_concerns_together", "thought_through_concerns_together"),
    ("やりとりのリズムがあっていた", "conversation_had_good_rhythm", "conversation_had_good_rhythm"),
    ("居心地のよいやりとりだった", "conversation_felt_comfortable", "conversation_felt_comfortable"),
    ("全体として適切でよかった", "felt_appropriate_and_satisfying", "felt_appropriate_and_satisfying"),
    ("今回の相談は価値があった", "conversation_was_valuable", "conversation_was_valuable"),
    ("相談開始の円滑さ", "conversation_started_smoothly", "conversation_started_smoothly"),
    ("相談終了のタイミング（不必要に聴きすぎていないか）、円滑さ", "conversation_ended_well",
     "conversation_ended_well"),
    ("受容・共感", "showed_acceptance_and_empathy", "showed_acceptance_and_empathy"),
    ("肯定・承認", "provided_acknowledgment_and_affirmation", "provided_acknowledgment_and_affirmation"),
    ("的確な質問による会話の促進", "asked_effective_questions", "asked_effective_questions"),
    ("要約", "summarized_key_points_effectively", "summarized_key_points_effectively"),
    ("問題の明確化", "clarified_issues_cleraly", "clarified_issues_clearly"),
    ("この相談での目標の明確化", "helped_identify_goals", "helped_identify_goals"),
    ("次の行動につながる提案", "offered_actionable_suggestions", "offered_actionable_suggestions"),
    ("勇気づけ・希望の喚起", "encouraged_and_instilled_hope", "encouraged_and_instilled_hope"),
)
_FLAG_KEYS: tuple[tuple[str, str], ...] = (
    ("無理解と軽率さによる傷つけ発言", "harmful_due_to_ignorance"),
    ("その他の倫理違反が疑われる発言", "other_potentially_unethical"),
    ("離脱", "unwilling_to_continue"),
)
_ID_KEYS: tuple[tuple[str, str], ...] = (
    ("評価ID", "evaluation_id"), ("評価作成日時", "evaluation_created_at"),
    ("クライアント役ID", "client_id"), ("カウンセラー役ID", "counselor_id"), ("点数", "score"),
)
_CHECKED = "チェックあり"

#: The 20 review items (0-5), in upstream order, as column names.
ITEMS: tuple[str, ...] = tuple(col for _, _, col in _ITEM_KEYS)
#: Items 1-10: the client's experience (felt heard, respected, comfortable, worthwhile, ...).
ITEMS_EXPERIENCE: tuple[str, ...] = ITEMS[:10]
#: Items 11-20: counselling skills (acceptance/empathy, affirmation, summarising, ...), also client-rated.
ITEMS_SKILLS: tuple[str, ...] = ITEMS[10:]
#: The three review flags, as boolean columns.
FLAGS: tuple[str, ...] = tuple(en for _, en in _FLAG_KEYS)
#: Dialogue-level columns, in table order.
REVIEW_COLUMNS: tuple[str, ...] = (
    "counselor_id", "client_id", "score", *ITEMS, *FLAGS, "evaluation_created_at", "topic_main",
    "topic_main_ja", "topic_sub",
)


def _error(source: str, row, column: str, problem: str, value=None) -> TranscriptValidationError:
    return TranscriptValidationError(
        pd.DataFrame([(source, row, column, problem, value)], columns=_FAILURE_COLUMNS, dtype=object), source
    )


def derived_score(reviews: pd.DataFrame) -> pd.Series:
    """The total ``score`` implied by the 20 items and the flags (the rule measured in SOURCE.md).

    Not documented upstream but exact in all 6,589 dialogues: the sum of the 20 items when no flag is
    set; half of it rounded down when only ``unwilling_to_continue`` (離脱) is set; 0 when
    ``harmful_due_to_ignorance`` or ``other_potentially_unethical`` is set. So ``score`` is not a
    judgement independent of the items.

    Parameters
    ----------
    reviews : pandas.DataFrame
        With the :data:`ITEMS` and :data:`FLAGS` columns (a review table or an utterance table).

    Returns
    -------
    pandas.Series
        int64, aligned with ``reviews``.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.datasets.kokorochat import FLAGS, ITEMS, derived_score
    >>> r = pd.DataFrame({**{c: [3, 3, 3] for c in ITEMS}, **{f: [False] * 3 for f in FLAGS}})
    >>> r.loc[1, "unwilling_to_continue"] = True
    >>> r.loc[2, "harmful_due_to_ignorance"] = True
    >>> derived_score(r).tolist()
    [60, 30, 0]
    """
    total = reviews[list(ITEMS)].sum(axis=1).astype("int64")
    unethical = reviews["harmful_due_to_ignorance"] | reviews["other_potentially_unethical"]
    out = np.where(unethical, 0, np.where(reviews["unwilling_to_continue"], total // 2, total))
    return pd.Series(out, index=reviews.index, dtype="int64", name="derived_score")


# ---------------------------------------------------------------- reading the files


def _locate(data_dir: str | os.PathLike | None) -> tuple[Path, bool]:
    """(path, is_zip): the zip when present, else the folder of loose files."""
    try:
        return corpus_file(FOLDER, ZIP, data_dir), True
    except CorpusNotFoundError as zip_missing:
        try:
            return corpus_file(FOLDER, DIALOGUE_DIR, data_dir), False
        except CorpusNotFoundError:
            raise zip_missing from None


def _number(name: str, source: str) -> int:
    m = _MEMBER.fullmatch(name)
    if not m:
        raise _error(source, None, "file name", "expected kokorochat_dialogues/<number>.json", name)
    return int(m.group(1))


def _incomplete(problems: list[str]) -> CorpusIncompleteError:
    shown = "\n".join(f"  {p}" for p in problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    return CorpusIncompleteError(
        f"Corpus {FOLDER!r} is incomplete or altered ({len(problems)} problem(s)):\n{shown}{more}\n"
        f"Re-download it with `python -m omotenashi_research.datasets.fetch {FOLDER}` (or fix the copy in "
        "$OMOTENASHI_DATA), or pass verify=False to load a deliberate subset anyway."
    )


def _raw_files(
    path: Path, is_zip: bool, progress: bool | None, verify: bool
) -> Iterator[tuple[int, str, bytes]]:
    """(file number, source name, bytes) of every dialogue file, in file-number order.

    With ``verify`` the files must be exactly the registered upstream files: the zip's members are
    compared with ``registry.csv`` (names, sizes, SHA-256 of the bytes read; ~0.4 s for 126 MB), the
    loose folder by :func:`~omotenashi_research.datasets._integrity.checked_dir`.
    """
    if is_zip:
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as err:
            raise _error(str(path), None, "zip", f"not a readable zip file: {err}") from err
        with zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            expected: dict[str, tuple[int, str]] = {}
            if verify:
                reg = registry(FOLDER)
                reg = reg[reg["path"].str.startswith(DIALOGUE_DIR + "/")]
                expected = {r.path: (int(r.size), r.sha256) for r in reg.itertuples(index=False)}
                problems = [f"missing: {path}!{n}" for n in sorted(expected.keys() - set(names))]
                problems += [f"not in the registry: {path}!{n}" for n in sorted(set(names) - expected.keys())]
                if problems:
                    raise _incomplete(problems)
            numbered = sorted((_number(n, f"{path}!{n}"), n) for n in names)
            for num, name in tqdm(numbered, desc="KokoroChat", unit="file", disable=_disable(progress)):
                data = zf.read(name)
                if verify and (len(data), hashlib.sha256(data).hexdigest()) != expected[name]:
                    raise _incomplete([f"wrong size or SHA-256: {path}!{name}"])
                yield num, f"{path}!{name}", data
    else:
        _, files = checked_dir(FOLDER, DIALOGUE_DIR, "*.json", path.parent.parent, verify=verify)
        numbered = sorted((_number(f"{DIALOGUE_DIR}/{f.name}", str(f)), f) for f in files)
        for num, f in tqdm(numbered, desc="KokoroChat", unit="file", disable=_disable(progress)):
            yield num, str(f), f.read_bytes()


def _disable(progress: bool | None) -> bool | None:
    # tqdm's disable=None turns the bar off when stderr is not a terminal (CI, logs).
    return None if progress is None else not progress


def _parse(num: int, source: str, raw: bytes, with_messages: bool) -> tuple[dict, list | None]:
    """The review row and (optionally) the messages of one file, checked; errors name file and row."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = getattr(err, "lineno", None)
        raise _error(source, where, "json", f"not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise _error(source, None, "json", "expected a JSON object")
    for key in ("dialogue", "topic", "review_by_client_jp", "review_by_client_en"):
        if key not in data:
            raise _error(source, None, key, "missing key")
    en, jp, topic = data["review_by_client_en"], data["review_by_client_jp"], data["topic"]
    for name, obj in (("review_by_client_en", en), ("review_by_client_jp", jp), ("topic", topic)):
        if not isinstance(obj, dict):
            raise _error(source, None, name, "expected a JSON object", str(obj)[:40])
    rec: dict = {}
    keys = [*_ID_KEYS, *((j, e) for j, e, _ in _ITEM_KEYS), *_FLAG_KEYS]
    for jp_key, en_key in keys:
        if en_key not in en:
            raise _error(source, None, f"review_by_client_en.{en_key}", "missing key")
        if jp_key not in jp:
            raise _error(source, None, f"review_by_client_jp.{jp_key}", "missing key")
        if jp[jp_key] != en[en_key]:
            raise _error(source, None, f"review_by_client_en.{en_key}",
                         f"differs from review_by_client_jp.{jp_key}", en[en_key])
    for _, en_key in _ID_KEYS[2:]:  # client_id, counselor_id, score
        v = en[en_key]
        if not isinstance(v, int) or isinstance(v, bool) or v < 0 or (en_key == "score" and v > 100):
            what = "must be an integer 0-100" if en_key == "score" else "must be a non-negative integer"
            raise _error(source, None, f"review_by_client_en.{en_key}", what, v)
        rec[en_key] = v
    if en["evaluation_id"] != num:
        raise _error(source, None, "review_by_client_en.evaluation_id", f"must equal the file number {num}",
                     en["evaluation_id"])
    for _, en_key, col in _ITEM_KEYS:
        v = en[en_key]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 5:
            raise _error(source, None, f"review_by_client_en.{en_key}", "must be an integer 0-5", v)
        rec[col] = v
    for _, en_key in _FLAG_KEYS:
        v = en[en_key]
        if v is not None and v != _CHECKED:
            raise _error(source, None, f"review_by_client_en.{en_key}", f"must be {_CHECKED!r} or null", v)
        rec[en_key] = v == _CHECKED
    rec["evaluation_created_at"] = en["evaluation_created_at"]
    for key in ("main_en", "main_jp", "sub"):
        if not isinstance(topic.get(key), str) or not topic[key].strip():
            raise _error(source, None, f"topic.{key}", "must be non-empty text", topic.get(key))
    rec["topic_main"], rec["topic_main_ja"] = topic["main_en"], topic["main_jp"]
    rec["topic_sub"] = topic["sub"]
    dialogue = data["dialogue"]
    if not isinstance(dialogue, list) or not dialogue:
        raise _error(source, None, "dialogue", "must be a non-empty list of messages")
    rec["n_messages"] = len(dialogue)
    if not with_messages:
        return rec, None
    # Fast path: pull the three fields at once; only when something is wrong walk the messages one by
    # one to name the first bad one (the per-message loop costs seconds over 600k messages).
    try:
        roles = [m["role"] for m in dialogue]
        times = [m["time"] for m in dialogue]
        texts = [m["utterance"] for m in dialogue]
        ok = set(roles) <= _ROLES.keys() and all(type(u) is str and u.strip() for u in texts)
    except (KeyError, TypeError):
        ok = False
    if not ok:
        _first_bad_message(dialogue, source)
    return rec, (roles, times, texts)


def _first_bad_message(dialogue: list, source: str) -> None:
    """Raise for the first malformed message of ``dialogue`` (row = 0-based message index)."""
    for i, m in enumerate(dialogue):
        if not isinstance(m, dict):
            raise _error(source, i, "dialogue", "message is not a JSON object", str(m)[:40])
        for key in ("role", "time", "utterance"):
            if key not in m:
                raise _error(source, i, key, "missing key in message")
        if m["role"] not in _ROLES:
            raise _error(source, i, "role", "must be 'counselor' or 'client'", m["role"])
        if not isinstance(m["utterance"], str) or not m["utterance"].strip():
            raise _error(source, i, "utterance", "must be non-empty text")
    raise AssertionError("unreachable: the fast check found a problem")  # pragma: no cover


def _read(data_dir, progress, with_messages, verify):
    path, is_zip = _locate(data_dir)
    reviews, dialogues, sources = [], [], []
    for num, source, raw in _raw_files(path, is_zip, progress, verify):
        rec, msgs = _parse(num, source, raw, with_messages)
        rec["dialogue_id"] = str(num)
        reviews.append(rec)
        dialogues.append(msgs)
        sources.append(source)
    if not reviews:
        raise _error(str(path), None, "files", "no dialogue files found")
    return path, reviews, dialogues, sources


def _review_frame(reviews: list[dict], source: str) -> pd.DataFrame:
    df = pd.DataFrame.from_records(reviews)
    df.insert(0, "corpus", CORPUS)
    for col in ("counselor_id", "client_id", "score", "n_messages"):
        df[col] = df[col].astype("int64")
    for col in ITEMS:
        df[col] = df[col].astype("int8")  # 0-5: small ints keep 600k repeated rows light
    for col in FLAGS:
        df[col] = df[col].astype(bool)
    times = pd.to_datetime(df["evaluation_created_at"], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
    if times.isna().any():
        bad = times.isna().to_numpy()
        raise _error(source, f"dialogue {df.loc[bad, 'dialogue_id'].iloc[0]}",
                     "review_by_client_en.evaluation_created_at", "must be YYYY-MM-DDTHH:MM:SS",
                     df.loc[bad, "evaluation_created_at"].iloc[0])
    df["evaluation_created_at"] = times
    df["topic_main"] = df["topic_main"].astype("category")
    df["topic_main_ja"] = df["topic_main_ja"].astype("category")
    return df[["corpus", "dialogue_id", *REVIEW_COLUMNS, "n_messages"]]


def load_kokorochat_reviews(
    *, data_dir: str | os.PathLike | None = None, progress: bool | None = None, verify: bool = True
) -> pd.DataFrame:
    """Load the 6,589 client reviews of KokoroChat, one row per dialogue (no text).

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``kokorochat/`` (default ``$OMOTENASHI_DATA``, then the download cache).
    progress : bool, optional
        Show a tqdm progress bar; default (``None``) only when stderr is a terminal.
    verify : bool
        Check that the files are exactly the 6,589 registered upstream files (names, sizes, SHA-256;
        see ``registry.csv``); otherwise raise
        :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads any subset.

    Returns
    -------
    pandas.DataFrame
        ``corpus`` ``"kokorochat"``, ``dialogue_id`` (the file number as a string, e.g. ``"10"``;
        rows in file-number order), then the columns of :data:`REVIEW_COLUMNS`: ``counselor_id`` and
        ``client_id`` (int person IDs; 424 counselors, 463 clients, 407 IDs occur in both roles),
        ``score`` (int 0-100, **derived from the items**, see :func:`derived_score`), the 20 items of
        :data:`ITEMS` (int8 0-5, English upstream key names, typo ``cleraly`` fixed to
        ``clarified_issues_clearly``; ``showed_acceptance_and_empathy`` is 受容・共感), the flags of
        :data:`FLAGS` (bool), ``evaluation_created_at`` (datetime, no time zone), ``topic_main``
        (English, 11 categories, LLM-assigned), ``topic_main_ja``, ``topic_sub`` (free Japanese text),
        and ``n_messages``.

    Raises
    ------
    CorpusNotFoundError
        Neither the zip nor the loose files are found (the message says how to fetch them).
    CorpusIncompleteError
        With ``verify``: files missing, extra, or not the registered bytes.
    TranscriptValidationError
        Bad JSON, missing keys, values out of range, or Japanese and English reviews that differ,
        naming the file (``zip!member`` or path).

    Examples
    --------
    >>> from omotenashi_research.datasets.kokorochat import load_kokorochat_reviews
    >>> rev = load_kokorochat_reviews(progress=False)  # doctest: +SKIP
    >>> rev["showed_acceptance_and_empathy"].value_counts().sort_index().tolist()  # doctest: +SKIP
    [40, 331, 1017, 1754, 2022, 1425]
    """
    path, reviews, _, _ = _read(data_dir, progress, False, verify)
    return _review_frame(reviews, str(path))


def load_kokorochat(
    *, data_dir: str | os.PathLike | None = None, progress: bool | None = None, verify: bool = True
) -> pd.DataFrame:
    """Load the 6,589 KokoroChat dialogues (600,939 messages) as an utterance table with the review.

    Licence CC BY-NC-ND 4.0: use locally; never commit or share the table, its text or other derived
    text (aggregate statistics and results may be reported).

    Measured 2026-11-28 on the project machine (2 cores, zip layout, ``verify=True``,
    ``progress=False``; ``benchmarks/bench_kokorochat.py``): 9-10 s of CPU time; wall 12.6 s at a load
    average of ~4 and 28-36 s at ~8 (the two cores shared by eight jobs); peak RSS 0.80 GB for the
    whole process including the imports (``resource.getrusage``; ``/usr/bin/time -v``: 817 MB). The
    returned frame is ~165 MB (``memory_usage(deep=True)``). About 40 % of the CPU time is the schema
    validation of the 600,939 rows, ~25 % JSON parsing.

    Parameters
    ----------
    data_dir : path, optional
        Folder holding ``kokorochat/`` with ``kokorochat_dialogues.zip`` (read in place, nothing is
        extracted) or the loose files ``kokorochat_dialogues/<n>.json``; default ``$OMOTENASHI_DATA``,
        then the download cache.
    progress : bool, optional
        Show a tqdm progress bar over the files; default (``None``) only when stderr is a terminal.
    verify : bool
        Check that the files are exactly the 6,589 registered upstream files (names, sizes, SHA-256;
        see ``registry.csv``); otherwise raise
        :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads any subset
        (e.g. a few files, or invented ones).

    Returns
    -------
    pandas.DataFrame
        Utterance table (:mod:`omotenashi_research.schema`), one row per chat message: ``corpus``
        ``"kokorochat"``, ``dialogue_id`` the file number as a string (``"10"`` for
        ``kokorochat_dialogues/10.json``; dialogues in file-number order), ``turn`` the 0-based message
        index in the file (a *message*, not a turn of talk: the same role often sends several in a
        row), ``role`` counselor -> ``"agent"``, client -> ``"customer"``, ``speaker``
        ``"counselor"``/``"client"``, ``text``, ``lang`` ``"ja"``, ``time`` (datetime, second resolution,
        no time zone), then the dialogue-level review columns of :func:`load_kokorochat_reviews`
        repeated on every row of the dialogue (without ``n_messages``).

    Raises
    ------
    CorpusNotFoundError
        Neither layout is found (the message says how to fetch the corpus).
    CorpusIncompleteError
        With ``verify``: files missing, extra, or not the registered bytes.
    TranscriptValidationError
        Bad JSON, missing keys, unknown roles, empty messages, bad times or review values, naming the
        file (``zip!member`` or path) and the message index as ``row``.

    See Also
    --------
    load_kokorochat_reviews : the same reviews, one row per dialogue, without reading the text.
    derived_score : the rule that gives ``score`` from the items and flags.

    Examples
    --------
    >>> from omotenashi_research.datasets.kokorochat import load_kokorochat
    >>> df = load_kokorochat(progress=False)  # doctest: +SKIP
    >>> df["role"].value_counts().to_dict()  # doctest: +SKIP
    {'agent': 306495, 'customer': 294444}
    >>> df.groupby("dialogue_id")["showed_acceptance_and_empathy"].first().mean().round(2)  # doctest: +SKIP
    3.47
    """
    path, reviews, dialogues, sources = _read(data_dir, progress, True, verify)
    rev = _review_frame(reviews, str(path)).drop(columns="n_messages")
    sizes = np.fromiter((len(d[0]) for d in dialogues), dtype=np.int64, count=len(dialogues))
    speakers = [r for d in dialogues for r in d[0]]
    times_raw = [t for d in dialogues for t in d[1]]
    texts = [u for d in dialogues for u in d[2]]
    del dialogues
    times = pd.to_datetime(pd.Series(times_raw, dtype=object), format="%Y-%m-%dT%H:%M:%S", errors="coerce")
    if times.isna().any():
        i = int(np.flatnonzero(times.isna().to_numpy())[0])
        k = int(np.searchsorted(np.cumsum(sizes), i, side="right"))
        row = i - int(sizes[:k].sum())
        raise _error(sources[k], row, "time", "must be YYYY-MM-DDTHH:MM:SS", times_raw[i])
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    df = pd.DataFrame({
        "corpus": CORPUS,
        "dialogue_id": np.repeat(rev["dialogue_id"].to_numpy(), sizes),
        "turn": np.arange(len(texts), dtype=np.int64) - starts,
        "role": pd.Series(speakers, dtype=object).map(_ROLES),
        "speaker": speakers,
        "text": texts,
        "lang": "ja",
        "time": times,
    })
    idx = np.repeat(np.arange(len(rev)), sizes)
    review_rows = rev.drop(columns=["corpus", "dialogue_id"]).iloc[idx].reset_index(drop=True)
    df = pd.concat([df, review_rows], axis=1)
    return validate_utterances(df, source=str(path))
