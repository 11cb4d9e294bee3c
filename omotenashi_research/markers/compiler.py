"""Compiling lexicon entries into programs for the marker executor.

An entry's token ``pattern`` (or each phrase of a ``phrase`` entry) becomes a tuple of
``(op, checks)`` token specs, each check a ``(column, kind, value)`` triple on a numeric token
column (string attributes as vocab hashes). :class:`_Program` adds the indexing hints the executor
uses (the rarest required value, the anchor token). Entries using anything outside the supported
subset raise :class:`_Unsupported` and go to a spaCy ``Matcher`` instead.
"""

from __future__ import annotations

import re

from spacy.parts_of_speech import IDS as POS_IDS

from omotenashi_research.markers.lexicon import Entry

_STR_ATTRS = {"ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "TAG", "SHAPE", "PREFIX", "SUFFIX"}
_FLAG_ATTRS = {
    "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER",
    "LIKE_URL", "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT",
    "IS_RIGHT_PUNCT", "IS_CURRENCY", "IS_SENT_START",
}
_OPS = {None, "?", "*", "+"}
_EQ, _IN, _NOT_IN, _REGEX, _FLAG = range(5)
_SENT = "IS_SENT_START"
# Columns every batch reads: ORTH and IS_PUNCT derive sentence starts, IS_SPACE n_tokens.
_BASE_COLS = ("ORTH", "IS_PUNCT", "IS_SPACE")
_MAX_TYPES = 500_000  # distinct token texts kept in MarkerMatcher's type table
# Lexeme attributes: a function of the token text alone (not NORM: tokenizer exceptions set it).
_LEX_ATTRS = {"ORTH", "LOWER", "SHAPE", "PREFIX", "SUFFIX"} | (_FLAG_ATTRS - {"IS_SENT_START"})


class _Unsupported(Exception):
    pass


def _pattern_attrs(entry: Entry) -> set[str]:
    if entry.pattern is None:
        return {entry.attr}
    return {str(k).upper() for tok in entry.pattern for k in tok if str(k).upper() != "OP"}


def _compile_token(tok: dict, col: dict[str, int], strings) -> tuple[str | None, tuple]:
    """(op, checks) of one token spec; each check is (column, kind, value)."""
    op = None
    checks = []
    for raw_key, value in tok.items():
        key = str(raw_key).upper()
        if key == "OP":
            if value not in _OPS:
                raise _Unsupported(f"OP {value!r}")
            op = value
            continue
        key = {"TEXT": "ORTH", "SENT_START": _SENT}.get(key, key)
        if key in _FLAG_ATTRS:
            if not isinstance(value, bool):
                raise _Unsupported(f"{key} value {value!r}")
            checks.append((col.setdefault(key, len(col)), _FLAG, int(value)))
        elif key == "MORPH":
            # REGEX only: spaCy's Matcher searches the morph's string (``strings[token.morph.key]``),
            # which is what the column holds; equality on MORPH compares normalised features instead
            if not (isinstance(value, dict) and len(value) == 1 and isinstance(value.get("REGEX"), str)):
                raise _Unsupported(f"MORPH value {value!r}")
            checks.append((col.setdefault(key, len(col)), _REGEX, (re.compile(value["REGEX"]), {})))
        elif key in _STR_ATTRS or key == "POS":
            c = col.setdefault(key, len(col))
            to_id = (lambda s: int(POS_IDS[s])) if key == "POS" else strings.add
            if isinstance(value, str):
                checks.append((c, _EQ, to_id(value)))
            elif isinstance(value, dict) and len(value) == 1:
                ((pred, arg),) = value.items()
                if pred == "IN" and isinstance(arg, list):
                    checks.append((c, _IN, frozenset(to_id(v) for v in arg)))
                elif pred == "NOT_IN" and isinstance(arg, list):
                    checks.append((c, _NOT_IN, frozenset(to_id(v) for v in arg)))
                elif pred == "REGEX" and isinstance(arg, str) and key != "POS":
                    checks.append((c, _REGEX, (re.compile(arg), {})))
                else:
                    raise _Unsupported(f"{key} predicate {pred!r}")
            else:
                raise _Unsupported(f"{key} value {value!r}")
        else:
            raise _Unsupported(f"attribute {key}")
    return op, tuple(checks)


class _Program:
    """One compiled entry (or one phrase of a phrase entry)."""

    __slots__ = ("anchor", "fixed", "key", "marker", "single", "specs")

    def __init__(self, key: int, marker: int, specs: tuple, cost):
        self.key = key
        self.marker = marker
        self.specs = specs
        self.fixed = all(op is None for op, _ in specs)
        self.single = len(specs) == 1 and specs[0][0] is None
        # (column, values, offset): a token at start+offset must have one of `values`.
        # Among the leading fixed-width tokens, the one with the rarest values; if the
        # pattern opens with optional tokens, every one of them up to the first required
        # token is an anchor (offset 0), and `anchor` lists them all.
        self.anchor: list[tuple[int, frozenset, int]] | None = None
        best = None
        for off, (op, checks) in enumerate(specs):
            if op is not None:
                break
            for c, kind, v in checks:
                if kind in (_EQ, _IN):
                    vals = frozenset([v]) if kind == _EQ else v
                    score = cost(c, vals)
                    if best is None or score < best[0]:
                        best = (score, c, vals, off)
        if best is not None:
            self.anchor = [(best[1], best[2], best[3])]
        elif specs and specs[0][0] is not None:
            anchors = []
            for op, checks in specs:
                idx = [
                    (c, frozenset([v]) if kind == _EQ else v) for c, kind, v in checks if kind in (_EQ, _IN)
                ]
                if not idx:
                    anchors = None
                    break
                anchors.append((*min(idx, key=lambda cv: cost(*cv)), 0))
                if op in (None, "+"):
                    break
            self.anchor = anchors


def _expand_optional(specs: tuple, limit: int = 4) -> list[tuple]:
    """Fixed-length variants of a pattern whose only operators are ``?`` (spaCy reports every
    match with and without each optional token, so the variants find exactly the same spans);
    other patterns are returned unchanged."""
    ops = [op for op, _ in specs]
    n_opt = ops.count("?")
    if not n_opt or n_opt > limit or any(op in ("*", "+") for op in ops):
        return [specs]
    out = []
    for mask in range(2**n_opt):
        variant, bit = [], 0
        for op, checks in specs:
            if op == "?":
                keep = mask >> bit & 1
                bit += 1
                if not keep:
                    continue
            variant.append((None, checks))
        if variant:
            out.append(tuple(variant))
    return out
