"""Decoding transcript files in one linear pass, remembering where undecodable bytes were.

Used by :mod:`omotenashi_research.io` so that every undecodable byte run is reported with its line and
byte offset, and a wrongly encoded file (every line undecodable) still costs linear time.
"""

from __future__ import annotations

import bisect
import codecs
import contextvars
import io
import re

__all__: list[str] = []


# The current `_decode` call's list of undecodable byte offsets and the character that marks them (a
# context variable, so that threads decoding at the same time do not mix their lists).
_BAD_BYTES: contextvars.ContextVar[tuple[list[int], str]] = contextvars.ContextVar("omotenashi_bad_bytes")
_MARK = "\ufffd"


def _record_bad_bytes(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    offsets, mark = _BAD_BYTES.get()
    offsets.append(err.start)
    return mark, max(err.end, err.start + 1)


codecs.register_error("omotenashi-record", _record_bad_bytes)


def _decode_marked(data: bytes, encoding: str, mark: str) -> tuple[str, list[int]]:
    token = _BAD_BYTES.set(([], mark))
    try:
        text = data.decode(encoding, errors="omotenashi-record")
        return text, _BAD_BYTES.get()[0]
    finally:
        _BAD_BYTES.reset(token)


def _decode(data: bytes, encoding: str) -> tuple[str, list[tuple[int, int]]]:
    """Decode, replacing each undecodable byte run by U+FFFD; return the text and (char pos, byte offset).

    One pass through the codec with an error handler that records each bad run, so a wrongly encoded
    file (every line undecodable) costs linear time; restarting the decoder after each error, as this
    function once did, copied the rest of the file each time and took quadratic time.
    """
    text, offsets = _decode_marked(data, encoding, _MARK)
    marks = [m.start() for m in re.finditer(_MARK, text)] if offsets else []
    if len(marks) != len(offsets):
        # The input itself contains U+FFFD: decode once more, marking the bad runs with a private-use
        # character the text does not contain, then put U+FFFD in its place.
        sentinel = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
        text, offsets = _decode_marked(data, encoding, sentinel)
        marks = [m.start() for m in re.finditer(sentinel, text)]
        text = text.replace(sentinel, _MARK)
    bad = list(zip(marks, offsets, strict=True))
    # A UTF-8 byte-order mark would otherwise end up in the first column name.
    if text.startswith("\ufeff"):
        text = text[1:]
        bad = [(c - 1, b) for c, b in bad]
    return text, bad


def _line_starts(text: str) -> list[int]:
    """Character offsets where each line starts, split exactly as ``csv`` splits lines (\\n, \\r\\n, \\r)."""
    starts = [0]
    for line in io.StringIO(text, newline=""):
        starts.append(starts[-1] + len(line))
    return starts


def _bad_lines(text: str, bad: list[tuple[int, int]]) -> dict[int, int]:
    """1-based line number -> byte offset of the first undecodable byte on it."""
    if not bad:
        return {}
    starts = _line_starts(text)
    out: dict[int, int] = {}
    for char_pos, byte_off in bad:
        out.setdefault(bisect.bisect_right(starts, char_pos), byte_off)
    return out
