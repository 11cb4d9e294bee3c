"""Marker lexicons: loading and validating the packaged YAML files.

One YAML file per marker per language lives in ``markers/lexicons/<lang>/<marker>.yaml``
(see ``/work/specs/markers_common.md`` for the format). Each entry is either a spaCy
``Matcher`` token ``pattern`` or a ``phrase`` (matched with a ``PhraseMatcher`` on
``attr``: default ``LOWER`` for English and ``NORM`` for Japanese). ``phrase`` may also be
a list of strings (any of them matches), for long word lists such as the politeness ones. Every problem is
reported as a :class:`LexiconError` naming the file and the entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from omotenashi_research.errors import OmotenashiError
from omotenashi_research.nlp import SUPPORTED_LANGS, get_pipeline

__all__ = [
    "DEFAULT_PHRASE_ATTR",
    "PHRASE_ATTRS",
    "Entry",
    "Lexicon",
    "LexiconError",
    "lexicon_dir",
    "load_lexicon_file",
    "load_lexicons",
    "marker_names",
]

DEFAULT_PHRASE_ATTR = {"en": "LOWER", "ja": "NORM"}
# Attributes a phrase can be matched on; each needs a PhraseMatcher of its own.
PHRASE_ATTRS = ("ORTH", "LOWER", "NORM", "LEMMA")
_TOP_KEYS = {"marker", "lang", "description", "roles", "entries", "exclude"}
_ENTRY_KEYS = {"id", "pattern", "phrase", "attr", "rationale", "source", "examples", "counterexamples"}
_ROLES = {"agent", "customer", "other"}


class LexiconError(OmotenashiError, ValueError):
    """A lexicon file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Entry:
    """One matching rule of a marker (or of its ``exclude`` list).

    Attributes
    ----------
    id : str
        Unique across all lexicon files of all languages.
    pattern : list of dict or None
        spaCy ``Matcher`` token pattern.
    phrases : tuple of str
        Literal phrases (empty for pattern entries), tokenised by the language pipeline and
        matched on ``attr``; any of them counts as a match of the entry.
    attr : str
        Token attribute for ``phrase`` matching.
    """

    id: str
    pattern: list[dict[str, Any]] | None
    phrases: tuple[str, ...]
    attr: str
    rationale: str
    source: str
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """All entries of one marker in one language, as read from ``path``."""

    marker: str
    lang: str
    description: str
    roles: tuple[str, ...]
    entries: tuple[Entry, ...]
    exclude: tuple[Entry, ...] = ()
    path: str = field(default="", compare=False)


def lexicon_dir(lang: str) -> Path:
    """Folder holding the packaged lexicons of ``lang`` (found with importlib.resources)."""
    if lang not in SUPPORTED_LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {SUPPORTED_LANGS}")
    return Path(str(resources.files("omotenashi_research.markers") / "lexicons" / lang))


def _fail(path: str, where: str, problem: str) -> LexiconError:
    return LexiconError(f"{path}: {where}: {problem}")


def _str_list(value: Any, path: str, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, where, f"{key!r} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _has_non_str(value: Any) -> bool:
    if isinstance(value, bool | int | float):
        return True
    if isinstance(value, dict):
        return any(_has_non_str(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_str(v) for v in value)
    return False


def _check_pattern(pattern: Any, lang: str, path: str, where: str) -> list[dict[str, Any]]:
    """Validate a token pattern by compiling it into a throwaway spaCy Matcher."""
    from spacy.matcher import Matcher

    if not isinstance(pattern, list) or not pattern or not all(isinstance(t, dict) for t in pattern):
        raise _fail(path, where, f"'pattern' must be a non-empty list of token dicts, got {pattern!r}")
    matcher = Matcher(get_pipeline(lang).vocab, validate=True)
    try:
        matcher.add("check", [pattern])
    except Exception as exc:  # spaCy raises ValueError/MatchPatternError/KeyError: report them all alike
        msg = " ".join(str(exc).split())
        if _has_non_str(pattern):
            msg += " (hint: YAML reads unquoted no/yes/on/off/true/false and numbers as non-strings:"
            msg += " quote them)"
        raise _fail(path, where, f"invalid spaCy Matcher pattern {pattern!r}: {msg}") from None
    return pattern


def _entry(raw: Any, lang: str, path: str, kind: str, index: int) -> Entry:
    where = f"{kind}[{index}]"
    if not isinstance(raw, dict):
        raise _fail(path, where, f"must be a mapping, got {type(raw).__name__}")
    eid = raw.get("id")
    if not isinstance(eid, str) or not eid.strip():
        raise _fail(path, where, "missing 'id'")
    where = f"{kind} entry {eid!r}"
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise _fail(path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
    has_pattern, has_phrase = raw.get("pattern") is not None, raw.get("phrase") is not None
    if has_pattern == has_phrase:
        raise _fail(path, where, "needs exactly one of 'pattern' or 'phrase'")
    rationale = raw.get("rationale")
    if not isinstance(rationale, str) or not rationale.strip():
        raise _fail(path, where, "missing 'rationale' (say why this rule marks the concept)")
    source = raw.get("source", "own rationale" if kind == "exclude" else None)
    if not isinstance(source, str) or not source.strip():
        raise _fail(path, where, "missing 'source' (a citation or 'own rationale')")
    attr = raw.get("attr", DEFAULT_PHRASE_ATTR[lang])
    if attr not in PHRASE_ATTRS:
        raise _fail(path, where, f"'attr' must be one of {PHRASE_ATTRS}, got {attr!r}")
    if has_pattern and "attr" in raw:
        raise _fail(path, where, "'attr' only applies to 'phrase' entries; put attributes in the pattern")
    phrases: tuple[str, ...] = ()
    if has_phrase:
        raw_phrase = raw["phrase"]
        phrases = (raw_phrase,) if isinstance(raw_phrase, str) else raw_phrase
        if (
            not isinstance(phrases, list | tuple)
            or not phrases
            or not all(isinstance(ph, str) and ph.strip() for ph in phrases)
        ):
            raise _fail(
                path, where, f"'phrase' must be a non-empty string or list of strings, got {raw_phrase!r}"
            )
        phrases = tuple(phrases)
        if len(set(phrases)) != len(phrases):
            dup = sorted({ph for ph in phrases if phrases.count(ph) > 1})
            raise _fail(path, where, f"'phrase' lists {dup} more than once")
    pattern = _check_pattern(raw["pattern"], lang, path, where) if has_pattern else None
    examples = _str_list(raw.get("examples"), path, where, "examples")
    counterexamples = _str_list(raw.get("counterexamples"), path, where, "counterexamples")
    if kind == "entries" and not examples:
        raise _fail(path, where, "needs at least one invented example sentence in 'examples'")
    return Entry(eid, pattern, phrases, attr, rationale.strip(), source.strip(), examples, counterexamples)


def load_lexicon_file(path: str | os.PathLike, lang: str | None = None) -> Lexicon:
    """Read and validate one lexicon YAML file.

    Parameters
    ----------
    path : path
        The YAML file.
    lang : {"ja", "en"}, optional
        Expected language; default: the file's ``lang`` key.

    Returns
    -------
    Lexicon

    Raises
    ------
    LexiconError
        Naming the file and the entry: YAML syntax, missing keys, duplicate ids, a
        pattern spaCy rejects, missing rationale/source/examples.

    Examples
    --------
    >>> from omotenashi_research.markers.lexicon import lexicon_dir, load_lexicon_file
    >>> lex = load_lexicon_file(lexicon_dir("en") / "gratitude.yaml")
    >>> lex.marker, lex.lang
    ('gratitude', 'en')
    """
    p = str(path)
    try:
        with open(p, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise LexiconError(f"{p}: top level must be a mapping with 'marker', 'lang', 'entries'")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise LexiconError(f"{p}: unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    marker = raw.get("marker")
    if not isinstance(marker, str) or not marker.isidentifier() or marker != marker.lower():
        raise LexiconError(f"{p}: 'marker' must be a snake_case name, got {marker!r}")
    file_lang = raw.get("lang")
    if file_lang not in SUPPORTED_LANGS:
        raise LexiconError(f"{p}: 'lang' must be one of {SUPPORTED_LANGS}, got {file_lang!r}")
    if lang is not None and file_lang != lang:
        raise LexiconError(f"{p}: 'lang' is {file_lang!r} but the file is in the {lang!r} folder")
    if Path(p).stem != marker:
        raise LexiconError(f"{p}: file name must be '{marker}.yaml' (the marker name)")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise LexiconError(f"{p}: missing 'description'")
    roles = _str_list(raw.get("roles"), p, "roles", "roles")
    if set(roles) - _ROLES:
        raise LexiconError(f"{p}: 'roles' must be among {sorted(_ROLES)}, got {list(roles)}")
    raw_entries = raw.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise LexiconError(f"{p}: 'entries' must be a non-empty list")
    raw_exclude = raw.get("exclude") or []
    if not isinstance(raw_exclude, list):
        raise LexiconError(f"{p}: 'exclude' must be a list")
    entries = tuple(_entry(e, file_lang, p, "entries", i) for i, e in enumerate(raw_entries))
    exclude = tuple(_entry(e, file_lang, p, "exclude", i) for i, e in enumerate(raw_exclude))
    seen: set[str] = set()
    for e in (*entries, *exclude):
        if e.id in seen:
            raise LexiconError(f"{p}: entry {e.id!r}: duplicate id within the file")
        seen.add(e.id)
    return Lexicon(marker, file_lang, description.strip(), roles, entries, exclude, p)


def _load_dir(directory: Path, lang: str) -> dict[str, Lexicon]:
    out: dict[str, Lexicon] = {}
    owner: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        lex = load_lexicon_file(path, lang)
        if lex.marker in out:
            raise LexiconError(f"{path}: marker {lex.marker!r} is also defined in {out[lex.marker].path}")
        for e in (*lex.entries, *lex.exclude):
            if e.id in owner:
                raise LexiconError(f"{path}: entry {e.id!r}: duplicate id, also used in {owner[e.id]}")
            owner[e.id] = str(path)
        out[lex.marker] = lex
    return out


@cache
def _load_packaged(lang: str) -> dict[str, Lexicon]:
    lexicons = _load_dir(lexicon_dir(lang), lang)
    # Ids are unique across languages too (explain() output and annotations key on them).
    other = [o for o in SUPPORTED_LANGS if o != lang]
    for o in other:
        d = lexicon_dir(o)
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yaml")):
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                continue  # reported when that language is loaded
            raw_entries = [e for k in ("entries", "exclude") for e in (raw.get(k) or [])]
            raw_entries = [e for e in raw_entries if isinstance(e, dict)]
            ids = {e.get("id") for e in raw_entries}
            for lex in lexicons.values():
                for e in (*lex.entries, *lex.exclude):
                    if e.id in ids:
                        raise LexiconError(f"{lex.path}: entry {e.id!r}: duplicate id, also used in {path}")
    return lexicons


def load_lexicons(lang: str, *, directory: str | os.PathLike | None = None) -> dict[str, Lexicon]:
    """All marker lexicons of a language, validated, keyed by marker name (sorted).

    Parameters
    ----------
    lang : {"ja", "en"}
    directory : path, optional
        Read ``*.yaml`` from this folder instead of the packaged lexicons (not cached):
        for trying out a modified lexicon.

    Returns
    -------
    dict of str to Lexicon
        The packaged lexicons are read once per process and cached; do not mutate.

    Raises
    ------
    LexiconError
        For the first malformed file, naming file and entry; also for an entry id used twice.

    Examples
    --------
    >>> from omotenashi_research.markers.lexicon import load_lexicons
    >>> "apology" in load_lexicons("en")
    True
    """
    if lang not in SUPPORTED_LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {SUPPORTED_LANGS}")
    if directory is not None:
        return _load_dir(Path(directory), lang)
    return _load_packaged(lang)


def marker_names(lang: str) -> list[str]:
    """Sorted marker names of ``lang`` (the packaged lexicons).

    Examples
    --------
    >>> from omotenashi_research.markers.lexicon import marker_names
    >>> "gratitude" in marker_names("en")
    True
    """
    return list(load_lexicons(lang))
