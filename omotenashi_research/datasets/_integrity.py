"""Load-time checks that a staged corpus is complete and unaltered, and file readers that name the file.

Every corpus file is listed in ``registry.csv`` with its size and SHA-256 (the same table :func:`fetch`
downloads against). A loader asks :func:`checked_file` / :func:`checked_dir` for its files instead of
:func:`~omotenashi_research.datasets._paths.corpus_file`; with ``verify=True`` (every loader's default)
a file that is missing, has the wrong size or the wrong hash, or an unregistered extra file in a folder
the loader globs, raises :class:`~omotenashi_research.errors.CorpusIncompleteError` naming the absolute
path. :func:`check_count` does the same for record counts the loader sees (dialogues, lines, rows).

Cost (measured on the 87 MB of staged corpora, warm page cache, this project's 2-core box): sizes of all
~830 files take ~10 ms; SHA-256 of all of them ~0.25 s, i.e. a few ms to ~40 ms per loader, next to
seconds of parsing. Hashes are memoised per process on (path, size, mtime), so loading a corpus again
costs only the ``stat`` calls. ``verify=False`` skips all of it, for deliberate subsets or edited copies.

The readers (:func:`read_json`, :func:`read_text`, :func:`read_csv`, :func:`open_zip`) turn the raw
``UnicodeDecodeError``, ``json.JSONDecodeError``, ``RecursionError``, ``pandas.errors.ParserError`` and
``zipfile.BadZipFile`` into a :class:`~omotenashi_research.errors.TranscriptValidationError` naming the
file, the line and (for undecodable bytes) the byte offset.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from omotenashi_research.datasets._paths import corpus_file
from omotenashi_research.errors import CorpusIncompleteError, TranscriptValidationError, shorten

__all__ = [
    "EXPECTED_COUNTS",
    "check_count",
    "checked_dir",
    "checked_file",
    "decode",
    "loads_json",
    "open_zip",
    "read_csv",
    "read_json",
    "read_member",
    "read_text",
    "sha256",
]

_FAILURE_COLUMNS = ["source", "row", "column", "problem", "value"]

#: Record counts of the complete corpora (from each corpus's SOURCE.md, checked by the loader tests):
#: ``(corpus, what) -> count``. ``what`` names the unit and the file or subset counted.
EXPECTED_COUNTS: dict[tuple[str, str], int] = {
    ("asdc", "dialogue files"): 210,
    ("keico", "data rows"): 10_007,
    ("jmultiwoz_tc", "input lines"): 31_303,
    ("uss", "dialogues in MWOZ"): 1_000,
    ("uss", "dialogues in SGD"): 1_000,
    ("uss", "dialogues in ReDial"): 1_000,
    ("uss", "dialogues in CCPE"): 500,
    ("uss", "dialogues in ReDial-action"): 336,
}


def _fix_hint(corpus: str) -> str:
    return (f"Re-download it with `python -m omotenashi_research.datasets.fetch {corpus}` (or fix the "
            f"copy in $OMOTENASHI_DATA), or pass verify=False to load a deliberate subset anyway.")


@functools.cache
def _registry_rows(corpus: str) -> dict[str, tuple[int, str]]:
    """``relative path -> (size, sha256)`` of the registered files of one corpus folder ({} if none)."""
    from omotenashi_research.datasets.fetch import registry  # late: fetch imports this module

    reg = registry()
    reg = reg[reg["corpus"] == corpus]
    return {r.path: (int(r.size), r.sha256) for r in reg.itertuples(index=False)}


_HASHES: dict[tuple[str, int, int], str] = {}


def sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, memoised per process on (absolute path, size, mtime).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omotenashi_research.datasets._integrity import sha256
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "x.txt")
    ...     _ = p.write_bytes(b"abc")
    ...     sha256(p)[:12]
    'ba7816bf8f01'
    """
    path = Path(path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def _problem(path: Path, size: int, digest: str) -> str | None:
    """What is wrong with one registered file, or None."""
    if not path.is_file():
        return f"missing: {path}"
    actual = path.stat().st_size
    if actual != size:
        return f"wrong size: {path} has {actual:,} bytes, the registry lists {size:,} (truncated or altered?)"
    if sha256(path) != digest:
        return f"wrong SHA-256: {path} (same size, different content: altered?)"
    return None


def _raise(corpus: str, problems: list[str]) -> None:
    shown = "\n".join(f"  {p}" for p in problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    raise CorpusIncompleteError(
        f"Corpus {corpus!r} is incomplete or altered ({len(problems)} problem(s)):\n{shown}{more}\n"
        + _fix_hint(corpus)
    )


def checked_file(corpus: str, relative: str, data_dir: str | os.PathLike | None = None, *,
                 verify: bool = True) -> Path:
    """Path of one corpus file (as :func:`corpus_file`), checked against the registry's size and hash.

    Parameters
    ----------
    corpus, relative, data_dir
        As for :func:`omotenashi_research.datasets._paths.corpus_file`.
    verify : bool
        Check size and SHA-256 when the file is registered (files not in the registry are not checked).

    Raises
    ------
    CorpusNotFoundError
        The file is not in any data folder.
    CorpusIncompleteError
        The file's size or hash differs from the registry (the message gives its absolute path).
    """
    path = corpus_file(corpus, relative, data_dir)
    if verify and relative in _registry_rows(corpus):
        problem = _problem(path, *_registry_rows(corpus)[relative])
        if problem:
            _raise(corpus, [problem])
    return path


def checked_dir(corpus: str, relative: str, pattern: str, data_dir: str | os.PathLike | None = None, *,
                verify: bool = True) -> tuple[Path, list[Path]]:
    """A corpus folder and its files matching ``pattern``, checked to be exactly the registered ones.

    Returns
    -------
    (pathlib.Path, list of pathlib.Path)
        The folder and its matching files, sorted.

    Raises
    ------
    CorpusIncompleteError
        With ``verify``: a registered file under ``relative`` is missing, has the wrong size or hash, or
        a matching file is not registered (a stray copy would be loaded as one more dialogue).
    """
    folder = corpus_file(corpus, relative, data_dir)
    files = sorted(folder.glob(pattern))
    if not verify:
        return folder, files
    prefix = relative.rstrip("/") + "/"
    expected = {rel: v for rel, v in _registry_rows(corpus).items()
                if rel.startswith(prefix) and Path(rel[len(prefix):]).match(pattern)}
    if not expected:
        return folder, files
    root = folder.parents[len(Path(relative).parts) - 1]  # the corpus folder
    problems = [p for rel, (size, digest) in sorted(expected.items())
                if (p := _problem(root / rel, size, digest))]
    known = {(root / rel).resolve() for rel in expected}
    problems += [f"not in the registry (stray or duplicated file?): {f.resolve()}"
                 for f in files if f.resolve() not in known]
    if problems:
        _raise(corpus, problems)
    return folder, files


def check_count(corpus: str, what: str, count: int, source: str | os.PathLike, *,
                verify: bool = True) -> None:
    """Raise :class:`CorpusIncompleteError` when ``count`` differs from ``EXPECTED_COUNTS[corpus, what]``."""
    expected = EXPECTED_COUNTS.get((corpus, what))
    if verify and expected is not None and count != expected:
        raise CorpusIncompleteError(
            f"Corpus {corpus!r}: {Path(source).resolve()} has {count:,} {what}, the complete corpus has "
            f"{expected:,}.\n" + _fix_hint(corpus)
        )


# ---------------------------------------------------------------------------------------------- readers


def _failure(source: Any, row: Any, column: str | None, problem: str, value: Any = None
             ) -> TranscriptValidationError:
    frame = pd.DataFrame([(str(source), row, column, problem, shorten(value))], columns=_FAILURE_COLUMNS,
                         dtype=object)
    return TranscriptValidationError(frame, str(source))


def _decode_error(source: Any, data: bytes, err: UnicodeDecodeError, encoding: str,
                  offset: int = 0) -> TranscriptValidationError:
    start = offset + err.start
    line = data.count(b"\n", 0, err.start) + 1
    return _failure(source, line, None, f"undecodable bytes at byte offset {start} for encoding "
                    f"{encoding!r} (is the file in another encoding, or damaged?)")


def decode(data: bytes, source: Any, encoding: str = "utf-8") -> str:
    """``data.decode(encoding)``; undecodable bytes raise an error naming source, line and byte offset."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise _decode_error(source, data, err, encoding) from None


def read_text(path: str | os.PathLike, encoding: str = "utf-8") -> str:
    """The text of a file, with decoding errors naming file, line and byte offset."""
    return decode(Path(path).read_bytes(), path, encoding)


def loads_json(text: str | bytes, source: Any) -> Any:
    """``json.loads`` with malformed or too deeply nested input named by source and line."""
    if isinstance(text, bytes):
        text = decode(text, source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _failure(source, err.lineno, None, f"invalid JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise _failure(source, None, None, "invalid JSON: nested too deeply to read") from None


def read_json(path: str | os.PathLike) -> Any:
    """A UTF-8 JSON file, with every failure naming the file and line."""
    return loads_json(read_text(path), path)


def read_csv(path: str | os.PathLike, **kwargs: Any) -> pd.DataFrame:
    """:func:`pandas.read_csv` (UTF-8) whose decoding and parsing errors name the file and line."""
    data = Path(path).read_bytes()
    encoding = kwargs.pop("encoding", "utf-8")
    text = decode(data, path, encoding)
    if encoding == "utf-8-sig" or text.startswith("\ufeff"):
        text = text.removeprefix("\ufeff")
    try:
        return pd.read_csv(io.StringIO(text), **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise _failure(path, None, None, f"malformed CSV: {err}") from None


def open_zip(path: str | os.PathLike) -> zipfile.ZipFile:
    """A zip file; a damaged one raises an error naming it. Duplicate member names are an error too."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise _failure(path, None, "zip", f"not a readable zip file: {err}") from None
    names = zf.namelist()
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        zf.close()
        raise _failure(path, None, "zip", f"member(s) stored more than once: {dupes} (which copy is real?)")
    return zf


def read_member(zf: zipfile.ZipFile, member: str, source: Any) -> bytes:
    """The bytes of one zip member; CRC and decompression errors name the zip and the member."""
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError) as err:
        raise _failure(source, None, member, f"cannot read zip member: {err}") from None
