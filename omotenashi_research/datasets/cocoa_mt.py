"""CoCoA-MT (EN->JA part): English segments with a formal (teineigo) and an informal (kudaketa) Japanese
reference, the formality markers of each reference wrapped in ``[F]…[/F]``.

Nădejde et al., Findings of NAACL 2022 (Amazon; CDLA-Sharing-1.0: if you publish the data or changed
copies, do so under the same agreement with its text and the credit). See ``cocoa_mt/SOURCE.md``.

The files have no IDs: line *i* of the five files of a (split, domain) group is one segment. Five
annotated lines upstream have unbalanced or nested tags; :func:`parse_formality_spans` reads them
tolerantly and reports what it repaired instead of failing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Literal, NamedTuple

import pandas as pd

from omotenashi_research.datasets._integrity import checked_file
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_sentences

__all__ = ["CORPUS", "GROUPS", "FormalitySpans", "load_cocoa_mt", "parse_formality_spans"]

CORPUS = "cocoa-mt"
FOLDER = "cocoa_mt"
#: (split, domain) groups of the EN-JA part; train has no call_center data.
GROUPS: tuple[tuple[str, str], ...] = (
    ("test", "call_center"), ("test", "telephony"), ("test", "topical_chat"),
    ("train", "telephony"), ("train", "topical_chat"),
)
FORMS: tuple[str, ...] = ("formal", "informal")
# Only these exact tokens are tags: the text also holds literal brackets ("[完了]", a stray "[").
_TAG = re.compile(r"\[/?F\]")


class FormalitySpans(NamedTuple):
    """Result of :func:`parse_formality_spans`."""

    plain: str
    """The line with every ``[F]`` and ``[/F]`` removed."""
    spans: tuple[tuple[int, int], ...]
    """(start, end) character offsets into ``plain``, in order; ``plain[start:end]`` is the marked text."""
    problems: tuple[str, ...]
    """What was repaired (empty for a well-formed line), e.g. ``"unmatched [/F] at offset 12"``."""


def parse_formality_spans(annotated: str) -> FormalitySpans:
    """Parse ``[F]…[/F]`` formality spans tolerantly.

    Well-formed lines give their spans and no problem. Malformed lines never raise; the repairs are:

    - an ``[F]`` inside an open span (nested) is ignored: the span runs from the outer ``[F]`` to the
      next ``[/F]``;
    - an ``[/F]`` with no open span is ignored;
    - an ``[F]`` still open at the end of the line is closed there.

    Each repair is listed in ``problems`` with its offset in ``plain``. Offsets count characters of
    ``plain``, so they index the plain reference file line directly.

    Parameters
    ----------
    annotated : str
        One line of a ``.annotated`` file.

    Returns
    -------
    FormalitySpans
        ``plain`` (tags removed, equal to ``re.sub(r"\\[/?F\\]", "", annotated)``), ``spans`` and
        ``problems``.

    Examples
    --------
    >>> from omotenashi_research.datasets.cocoa_mt import parse_formality_spans
    >>> p = parse_formality_spans("予約を[F]確認してください[/F]。")
    >>> p.plain, p.spans, p.problems
    ('予約を確認してください。', ((3, 11),), ())
    >>> parse_formality_spans("[F]見た[/F]聞いた[/F]").problems
    ('unmatched [/F] at offset 5',)
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    problems: list[str] = []
    pos = 0  # length of plain so far
    last = 0  # end of the previous tag in `annotated`
    open_at: int | None = None
    for m in _TAG.finditer(annotated):
        chunk = annotated[last:m.start()]
        parts.append(chunk)
        pos += len(chunk)
        last = m.end()
        if m.group() == "[F]":
            if open_at is None:
                open_at = pos
            else:
                problems.append(f"nested [F] at offset {pos} ignored (span open since {open_at})")
        elif open_at is None:
            problems.append(f"unmatched [/F] at offset {pos}")
        else:
            spans.append((open_at, pos))
            open_at = None
    parts.append(annotated[last:])
    plain = "".join(parts)
    if open_at is not None:
        problems.append(f"unclosed [F] at offset {open_at}, closed at the end of the line")
        spans.append((open_at, len(plain)))
    return FormalitySpans(plain, tuple(spans), tuple(problems))


def _bad(source: str, rows, column: str, problem: str, values) -> TranscriptValidationError:
    failures = pd.DataFrame({"source": source, "row": list(rows), "column": column, "problem": problem,
                             "value": list(values)}, dtype=object)
    return TranscriptValidationError(failures, source)


def _lines(path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline after the last line
    return lines


def _read_group(split: str, domain: str, data_dir, verify: bool) -> pd.DataFrame:
    stem = f"CoCoA-MT/{split}/en-ja/formality-control.{split}.{domain}.en-ja"
    suffixes = ("", ".formal", ".informal", ".formal.annotated", ".informal.annotated")
    paths = {s: checked_file(FOLDER, stem + s, data_dir, verify=verify) for s in suffixes}
    lines = {s: _lines(p) for s, p in paths.items()}
    n = len(lines[""])
    for s in suffixes[1:]:
        if len(lines[s]) != n:
            raise _bad(str(paths[s]), [None], "lines", f"has {len(lines[s])} lines, the English source {n}",
                       [str(paths[""])])
    for s, ls in lines.items():
        empty = [i for i, line in enumerate(ls, start=1) if not line.strip()]
        if empty:
            raise _bad(str(paths[s]), empty, "line", "must be non-empty text", [ls[i - 1] for i in empty])
    out = {"text": lines[""]}
    for form in FORMS:
        parsed = [parse_formality_spans(a) for a in lines[f".{form}.annotated"]]
        differ = [i for i, (p, ref) in enumerate(zip(parsed, lines[f".{form}"], strict=True), start=1)
                  if p.plain != ref]
        if differ:
            raise _bad(str(paths[f".{form}.annotated"]), differ, "line",
                       f"without its [F] tags, differs from the same line of {paths['.' + form].name}",
                       [lines[f".{form}.annotated"][i - 1] for i in differ])
        out[f"ja_{form}"] = lines[f".{form}"]
        out[f"ja_{form}_annotated"] = lines[f".{form}.annotated"]
        out[f"ja_{form}_spans"] = [p.spans for p in parsed]
        out[f"ja_{form}_tag_problems"] = [p.problems for p in parsed]
    df = pd.DataFrame(out)
    lines_no = range(1, n + 1)
    df.insert(0, "corpus", CORPUS)
    df.insert(1, "item_id", [f"{split}:{domain}:{i}" for i in lines_no])
    df.insert(3, "lang", "en")
    df.insert(4, "split", split)
    df.insert(5, "domain", domain)
    df.insert(6, "line", list(lines_no))
    return df


def load_cocoa_mt(
    splits: Sequence[str] = ("test", "train"),
    domains: Sequence[str] = ("call_center", "telephony", "topical_chat"),
    *,
    layout: Literal["segments", "references"] = "segments",
    data_dir: str | os.PathLike | None = None,
    verify: bool = True,
) -> pd.DataFrame:
    """Load the 1,594 EN-JA segments (test 594, train 1,000), each with its two Japanese references.

    Parameters
    ----------
    splits : sequence of {"test", "train"}
    domains : sequence of {"call_center", "telephony", "topical_chat"}
        call_center exists in test only (199 simulated customer-support segments).
    layout : {"segments", "references"}
        ``"segments"``: one row per segment (a sentence table whose ``text`` is the English source).
        ``"references"``: one row per Japanese reference (two per segment), a sentence table whose
        ``text`` is the Japanese reference, for running Japanese detectors against the spans.
    data_dir : path, optional
        Folder holding ``cocoa_mt/`` (default ``$OMOTENASHI_DATA``, then the cache).
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv`` (a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`); ``False`` reads it anyway (e.g. a
        subset or invented files).

    Returns
    -------
    pandas.DataFrame
        ``layout="segments"``: ``corpus`` ``"cocoa-mt"``, ``item_id`` ``<split>:<domain>:<line>``,
        ``text`` (English source), ``lang`` ``"en"``, ``split``, ``domain``, ``line`` (1-based line of
        the files), and for ``form`` in formal/informal: ``ja_<form>`` (the reference),
        ``ja_<form>_annotated`` (as stored, with tags), ``ja_<form>_spans`` (tuple of (start, end)
        offsets into ``ja_<form>``) and ``ja_<form>_tag_problems`` (tuple of repairs, empty for
        well-formed lines; see :func:`parse_formality_spans`). Spans mark the words that carry the
        formality level, in **both** references (です/ます in the formal one, だ and plain forms in the
        informal one). Train has 20 segments whose two references are identical.

        ``layout="references"``: ``corpus``, ``item_id`` ``<split>:<domain>:<line>:<form>``, ``text``
        (Japanese reference), ``lang`` ``"ja"``, ``split``, ``domain``, ``line``, ``formality``
        (``"formal"`` = teineigo, ``"informal"`` = kudaketa), ``segment_id``, ``en`` (the source),
        ``annotated``, ``spans``, ``tag_problems``.

        Either way ``df.attrs["cocoa_mt_tag_problems"]`` lists the repaired lines (``item_id``,
        ``formality``, ``problem``): five lines in the full corpus (see SOURCE.md).

    Raises
    ------
    CorpusNotFoundError
        When a file is not found (the message says how to fetch it).
    CorpusIncompleteError
        With ``verify``, when a file is not the complete registered one.
    TranscriptValidationError
        Files of a group with different line counts, empty lines, or an annotated line whose plain
        text differs from its reference, naming the file and the 1-based line.

    Examples
    --------
    >>> from omotenashi_research.datasets.cocoa_mt import load_cocoa_mt
    >>> seg = load_cocoa_mt()  # doctest: +SKIP
    >>> seg.groupby(["split", "domain"]).size().tolist()  # doctest: +SKIP
    [199, 195, 200, 500, 500]
    >>> ref = load_cocoa_mt(layout="references")  # doctest: +SKIP
    >>> len(ref), ref["formality"].value_counts().to_dict()  # doctest: +SKIP
    (3188, {'formal': 1594, 'informal': 1594})
    """
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    domains = (domains,) if isinstance(domains, str) else tuple(domains)
    known_splits, known_domains = {s for s, _ in GROUPS}, {d for _, d in GROUPS}
    unknown = [x for x in splits if x not in known_splits] + [x for x in domains if x not in known_domains]
    if unknown:
        raise ValueError(f"unknown split(s)/domain(s) {unknown}; the groups are {GROUPS}")
    if layout not in ("segments", "references"):
        raise ValueError(f"layout must be 'segments' or 'references', not {layout!r}")
    groups = [(s, d) for s, d in GROUPS if s in splits and d in domains]
    if not groups:
        raise ValueError(f"no data for splits {splits} x domains {domains}; the groups are {GROUPS}")
    seg = pd.concat([_read_group(s, d, data_dir, verify) for s, d in groups], ignore_index=True)
    problems = pd.DataFrame(
        [(seg.at[k, "item_id"], form, p) for k in range(len(seg)) for form in FORMS
         for p in seg.at[k, f"ja_{form}_tag_problems"]],
        columns=["item_id", "formality", "problem"],
    )
    if layout == "segments":
        out = seg
    else:
        per_form = []
        for form in FORMS:
            per_form.append(pd.DataFrame({
                "corpus": CORPUS, "item_id": seg["item_id"] + f":{form}", "text": seg[f"ja_{form}"],
                "lang": "ja",
                "split": seg["split"], "domain": seg["domain"], "line": seg["line"], "formality": form,
                "segment_id": seg["item_id"], "en": seg["text"], "annotated": seg[f"ja_{form}_annotated"],
                "spans": seg[f"ja_{form}_spans"], "tag_problems": seg[f"ja_{form}_tag_problems"],
            }))
        # formal and informal reference of a segment next to each other
        out = (pd.concat(per_form, ignore_index=True).rename_axis("_order").reset_index()
               .sort_values(["split", "domain", "line", "formality"], kind="stable")
               .drop(columns="_order").reset_index(drop=True))
    out.attrs["cocoa_mt_tag_problems"] = problems
    return validate_sentences(out, source=f"{FOLDER}/CoCoA-MT")
