"""Findings as data: each research notebook's headline results as a tidy file, and the page built from them.

A research notebook ends by calling :func:`write_findings` with one row per hypothesis (or descriptive
result); the rows land in ``docs/findings/<notebook>.csv``. ``make findings`` (``python -m
omotenashi_research.findings``) renders every file into ``docs/findings.md``; a test checks that the page
is current. Beside each effect a notebook shows how well its measure is measured: :func:`measure_quality`
and :func:`quality_text` read the validated precision and recall of each construct on the gold set's
held-out test split (``docs/validation_gold_test.csv``, written with ``docs/validation.md`` by
``make validation``).

The files hold numbers and short prose only, never corpus text (several corpus licences forbid sharing
derived text).

Examples
--------
>>> import pandas as pd
>>> row = {"id": "H1-apology", "hypothesis": "Japanese agents apologise more often",
...        "data": "ASDC vs USS agent turns", "measure": "c_apology per turn",
...        "estimate_name": "g", "estimate": 0.1493, "ci_low": 0.094, "ci_high": 0.205, "p_adj": 0.004,
...        "adjustment": "Holm over 7 markers", "verdict": "supported",
...        "measure_quality": "apology P 1.00 [0.92, 1.00] R 1.00 [0.92, 1.00] (ja, gold test)",
...        "caveats": "different domains", "n": 1200}
>>> df = validate_findings([row], notebook="02_japanese_vs_english")
>>> print(df.loc[0, "notebook"], df.loc[0, "id"], df.loc[0, "estimate"])
02_japanese_vs_english H1-apology 0.1493
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError, shorten

__all__ = [
    "FINDINGS_DIR",
    "FINDINGS_DOC",
    "FINDING_COLUMNS",
    "GOLD_TEST_CSV",
    "MARKER_LABELS",
    "VERDICTS",
    "FindingsError",
    "measure_quality",
    "quality_text",
    "read_findings",
    "render_findings",
    "validate_findings",
    "write_findings",
    "write_findings_doc",
]

REPO = Path(__file__).resolve().parents[1]
FINDINGS_DIR = REPO / "docs" / "findings"
FINDINGS_DOC = REPO / "docs" / "findings.md"
#: Written by ``make validation`` next to ``docs/validation.md`` (see ``validation.write_gold_test_csv``).
GOLD_TEST_CSV = REPO / "docs" / "validation_gold_test.csv"

FINDING_COLUMNS = ["notebook", "id", "hypothesis", "data", "measure", "estimate_name", "estimate", "ci_low",
                   "ci_high", "p_adj", "adjustment", "verdict", "measure_quality", "caveats", "n"]
VERDICTS = ("supported", "not supported", "inconclusive", "descriptive")
_NUMERIC = ("estimate", "ci_low", "ci_high", "p_adj")
_TEXT = tuple(c for c in FINDING_COLUMNS if c not in (*_NUMERIC, "n"))
#: Text columns that must not be empty (the others may be, e.g. no caveats).
_REQUIRED_TEXT = ("notebook", "id", "hypothesis", "data", "verdict")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
#: "nan"/"None"/"<NA>" as a whole item of a text (``"; ".join`` over a column with a missing value)
_MISSING_TEXT = re.compile(r"(?:^|[;,]\s*)(?:nan|NaN|None|<NA>)\s*(?=$|[;,])")
SIGNIFICANT = 4

#: Feature-table or construct column -> gold-set label. ``m_<marker>`` and the context columns are the
#: rules (scored as ``measure == "rule"``); ``c_<label>``/``p_<label>`` (``constructs.construct_flags``)
#: are the shipped measure (``measure == "shipped"``).
MARKER_LABELS: dict[str, str] = {
    "m_gratitude": "gratitude", "m_apology": "apology", "m_empathy": "empathy",
    "anticipation": "anticipation", "m_ownership": "ownership", "m_deflection": "deflection",
    "personalization": "personalization", "m_deference": "deference",
    "m_sonkeigo": "sonkeigo", "m_kenjougo": "kenjougo", "m_teineigo": "teineigo",
    **{f"{prefix}_{lab}": lab for lab in ("gratitude", "apology", "empathy", "anticipation", "ownership",
                                           "deflection", "personalization", "deference", "sonkeigo",
                                           "kenjougo", "teineigo") for prefix in ("c", "p")},
}
#: Columns that look like a construct but have no gold validation of their own (a clearer error).
_NOT_VALIDATED = {
    "m_anticipation_cue": "anticipation (the context column `anticipation` is the validated rule)",
    "m_personalization_cue": "personalization (the context column `personalization` is the validated rule)",
}
_GOLD_COLUMNS = ["lang", "corpus", "label", "measure", "n", "positives", "flagged", "precision",
                 "precision_ci_low", "precision_ci_high", "recall", "recall_ci_low", "recall_ci_high", "f1",
                 "f1_ci_low", "f1_ci_high"]


class FindingsError(OmotenashiError, ValueError):
    """A findings table or file is malformed, or a measure has no validation; the message says where."""


# --------------------------------------------------------------------------------------------------
# validation and rounding


def _stem(notebook: str | os.PathLike) -> str:
    name = Path(str(notebook)).name
    return Path(name).stem if name.endswith((".ipynb", ".csv")) else name


def _round_sig(x: float, digits: int = SIGNIFICANT) -> float:
    """``x`` rounded to ``digits`` significant digits (NaN and 0 unchanged)."""
    if not math.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{digits}g}")


def _is_blank(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip())


def validate_findings(
    rows: pd.DataFrame | Sequence[Mapping[str, object]],
    notebook: str | os.PathLike,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """Check a findings table and return it normalised (typed, rounded, sorted by ``id``).

    Parameters
    ----------
    rows : pandas.DataFrame or list of dict
        One row per finding with the columns :data:`FINDING_COLUMNS`; ``notebook`` may be left out (it is
        filled from ``notebook``).
    notebook : str or path
        The notebook the rows come from (``"02_japanese_vs_english"``, its ``.ipynb`` file name or path).
    source : str, optional
        Where the rows came from, for error messages (a file name).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FINDING_COLUMNS` in that order; text as ``str`` (blank = ``""``), ``estimate``,
        ``ci_low``, ``ci_high`` and ``p_adj`` as floats rounded to 4 significant digits (NaN allowed),
        ``n`` as nullable ``Int64``; sorted by ``id``.

    Raises
    ------
    FindingsError
        Missing or unknown columns, an empty required text (``id``, ``hypothesis``, ``data``,
        ``verdict``), a verdict not in :data:`VERDICTS`, an ``id`` that is not a short slug or repeats,
        a non-numeric number, ``p_adj`` outside [0, 1], a negative or fractional ``n``, or
        ``ci_low <= estimate <= ci_high`` broken where all three are given. Every problem is listed
        with its row (1-based, in the order given) and ``id``.

    Examples
    --------
    >>> validate_findings([{"id": "x", "verdict": "maybe"}], "nb")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omotenashi_research.findings.FindingsError: findings of nb: missing column(s) ['hypothesis', ...
    """
    stem = _stem(notebook)
    where = f"findings of {stem}" + (f" ({source})" if source else "")
    if isinstance(rows, pd.DataFrame):
        df = rows.reset_index(drop=True).copy()
    else:
        rows = list(rows)
        if rows and not all(isinstance(r, Mapping) for r in rows):
            raise FindingsError(f"{where}: rows must be a DataFrame or a list of dicts")
        df = pd.DataFrame(rows)
    df.columns = [str(c) for c in df.columns]
    if "notebook" not in df.columns:
        df.insert(0, "notebook", stem)
    missing = [c for c in FINDING_COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in FINDING_COLUMNS]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unknown column(s) {extra}")
        raise FindingsError(f"{where}: " + "; ".join(parts) + f" (expected {FINDING_COLUMNS})")
    if df.empty:
        raise FindingsError(f"{where}: no rows")

    problems: list[str] = []

    def bad(i: int, col: str, what: str, value: object) -> None:
        ident = df.at[i, "id"]
        label = f"row {i + 1}" + ("" if _is_blank(ident) else f" (id {shorten(str(ident))!r})")
        problems.append(f"{label}: column {col!r}: {what} (value: {shorten(value)!r})")

    out = pd.DataFrame(index=df.index)
    for col in _TEXT:
        vals = []
        for i, v in df[col].items():
            if _is_blank(v):
                if col in _REQUIRED_TEXT:
                    bad(i, col, "empty", v)
                vals.append("")
            else:
                vals.append(" ".join(str(v).split()))  # one line: the page renders a table
        out[col] = pd.Series(vals, index=df.index, dtype=object)
    for col in _TEXT:
        for i, v in out[col].items():
            hit = _MISSING_TEXT.search(v)
            if hit:  # show where: the value is cut for the message and the item is often at the end
                snippet = ("…" if hit.start() > 30 else "") + v[max(0, hit.start() - 30):hit.end()]
                bad(i, col, "holds a missing value written as text ('nan', 'None', '<NA>'): a NaN joined "
                    "into the text?", snippet)
    for i, v in out["notebook"].items():
        if v and v != stem:
            bad(i, "notebook", f"names another notebook than {stem!r}", v)
    for i, v in out["verdict"].items():
        if v and v not in VERDICTS:
            bad(i, "verdict", f"not one of {list(VERDICTS)}", v)
    for i, v in out["id"].items():
        if v and not _ID.match(v):
            bad(i, "id", "not a short slug (letters, digits, '-', '_', '.'; e.g. 'H1-apology')", v)
    dup = out["id"][out["id"].duplicated(keep=False) & (out["id"] != "")]
    for i, v in dup.items():
        bad(i, "id", "repeats (ids must be unique within a notebook)", v)
    for col in _NUMERIC:
        vals = []
        for i, v in df[col].items():
            if _is_blank(v):
                vals.append(np.nan)
                continue
            try:
                x = float(v)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                bad(i, col, "not a number", v)
                x = np.nan
            if math.isinf(x):
                bad(i, col, "infinite", v)
                x = np.nan
            vals.append(x)
        out[col] = np.asarray(vals, dtype=float)
    for i, p in out["p_adj"].items():
        if math.isfinite(p) and not 0 <= p <= 1:
            bad(i, "p_adj", "outside [0, 1]", p)
    ns = []
    for i, v in df["n"].items():
        if _is_blank(v):
            ns.append(pd.NA)
            continue
        try:
            x = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            x = float("nan")
        if not math.isfinite(x) or x < 0 or x != int(x):
            bad(i, "n", "not a non-negative whole number", v)
            ns.append(pd.NA)
        else:
            ns.append(int(x))
    out["n"] = pd.array(ns, dtype="Int64")
    trio = out[["ci_low", "estimate", "ci_high"]].to_numpy()
    for i, (lo, est, hi) in zip(out.index, trio, strict=True):
        if np.isfinite([lo, est, hi]).all() and not lo <= est <= hi:
            bad(i, "estimate", f"outside its CI [{lo}, {hi}] (need ci_low <= estimate <= ci_high)", est)
    if problems:
        raise FindingsError(f"{where}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    for col in _NUMERIC:
        out[col] = [_round_sig(float(x)) for x in out[col]]
    out = out[FINDING_COLUMNS].sort_values("id", kind="stable").reset_index(drop=True)
    return out


# --------------------------------------------------------------------------------------------------
# files


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds it; atomic, so a concurrent reader (the
    currency test running beside nbval) never sees half a file."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private (0600); give it normal permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_findings(
    rows: pd.DataFrame | list[dict],
    notebook: str,
    directory: str | Path | None = None,
) -> Path:
    """Validate a notebook's findings and write them to ``<directory>/<notebook stem>.csv``.

    Parameters
    ----------
    rows : pandas.DataFrame or list of dict
        One row per finding, columns :data:`FINDING_COLUMNS` (``notebook`` optional); see
        :func:`validate_findings` for the checks.
    notebook : str
        The notebook's name (``"03_satisfaction"`` or ``"03_satisfaction.ipynb"``).
    directory : str or path, optional
        Default ``docs/findings`` of the repository (found from the package, so a notebook running in
        ``notebooks/`` writes to the right place).

    Returns
    -------
    pathlib.Path
        The file written (rows sorted by ``id``, floats rounded to 4 significant digits, so that an
        unchanged result gives a byte-identical file; an identical file is not rewritten).

    Examples
    --------
    >>> import tempfile
    >>> row = dict(id="H1", hypothesis="h", data="d", measure="m", estimate_name="g", estimate=0.123456,
    ...            ci_low=0.1, ci_high=0.2, p_adj=None, adjustment="none", verdict="supported",
    ...            measure_quality="", caveats="", n=10)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_findings([row], "02_demo.ipynb", d)
    ...     print(path.name, read_findings(d).loc[0, "estimate"])
    02_demo.csv 0.1235
    """
    df = validate_findings(rows, notebook)
    directory = Path(directory) if directory is not None else FINDINGS_DIR
    path = directory / f"{_stem(notebook)}.csv"
    _atomic_write(path, df.to_csv(index=False, lineterminator="\n"))
    return path


def read_findings(directory: str | Path | None = None) -> pd.DataFrame:
    """Every notebook's findings (``<directory>/*.csv``), validated, sorted by notebook and id.

    Returns an empty table with :data:`FINDING_COLUMNS` when there are no files. A malformed file is a
    :class:`FindingsError` naming it.
    """
    directory = Path(directory) if directory is not None else FINDINGS_DIR
    frames = []
    for path in sorted(directory.glob("*.csv")):
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (pd.errors.ParserError, UnicodeDecodeError) as err:
            raise FindingsError(f"{path}: not a readable CSV ({err})") from None
        frames.append(validate_findings(raw, path.stem, source=str(path)))
    if not frames:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
        for col in _NUMERIC:
            out[col] = out[col].astype(float)
        out["n"] = out["n"].astype("Int64")
        return out
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------------
# rendering


def _cell(text: object) -> str:
    s = "" if _is_blank(text) else " ".join(str(text).split())
    return s.replace("|", "\\|") or "–"


def _decimals(values: Iterable[float]) -> int:
    """Decimals that give the largest |value| three significant digits (0 to 4)."""
    big = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if big == 0:
        return 3
    return int(min(4, max(0, 2 - math.floor(math.log10(big)))))


def _estimate_cell(rec: Mapping[str, object]) -> str:
    est, lo, hi = (float(rec[c]) for c in ("estimate", "ci_low", "ci_high"))  # type: ignore[arg-type]
    if not math.isfinite(est):
        return "–"
    d = _decimals([est, lo, hi])
    fmt = f"{{:,.{d}f}}"
    text = fmt.format(est)
    if math.isfinite(lo) and math.isfinite(hi):
        text += f" [{fmt.format(lo)}, {fmt.format(hi)}]"
    name = str(rec.get("estimate_name") or "").strip()
    return _cell(f"{name} = {text}" if name else text)


def _p_cell(rec: Mapping[str, object]) -> str:
    p = float(rec["p_adj"])  # type: ignore[arg-type]
    if not math.isfinite(p):
        return "–"
    text = "< 0.001" if p < 0.001 else f"{p:.3f}"
    adj = str(rec.get("adjustment") or "").strip()
    return _cell(f"{text} ({adj})" if adj else text)


def _data_cell(rec: Mapping[str, object]) -> str:
    data = str(rec["data"])
    n = rec["n"]
    return _cell(data if _is_blank(n) else f"{data} (n = {int(n):,})")  # type: ignore[arg-type]


_HEADER = """\
# Findings

_This file is generated by `make findings` from docs/findings/*.csv; do not edit. Regenerate with
`python -m omotenashi_research.findings`._

Each research notebook ends by writing its headline results to `docs/findings/<notebook>.csv`
(`omotenashi_research.findings.write_findings`). Per finding: the hypothesis, the data (with the number
of units analysed), the estimate with its interval (a 95 % confidence interval unless the estimate's
name says otherwise, e.g. a range over subsamples), the p-value after the stated
multiple-testing adjustment, the verdict, how well the measure is measured (precision P and recall R on
the held-out test split of the gold set, `docs/validation.md`) and the caveats. Verdicts: *supported*,
*not supported*, *inconclusive* or *descriptive* (no test). The notebooks hold the analyses, the
figures and the reasoning; cite a finding by notebook and id.
"""


def render_findings(df: pd.DataFrame) -> str:
    """The Markdown page of all findings (what ``docs/findings.md`` holds).

    Parameters
    ----------
    df : pandas.DataFrame
        As returned by :func:`read_findings`.

    Examples
    --------
    >>> text = render_findings(read_findings("/nonexistent"))
    >>> "do not edit" in text and "No findings yet" in text
    True
    """
    parts = [_HEADER]
    if df.empty:
        parts += ["_No findings yet: no notebook has written `docs/findings/*.csv`._", ""]
        return "\n".join(parts).rstrip() + "\n"
    cols = ["id", "hypothesis", "data", "estimate [CI]", "p (adj.)", "verdict", "measure quality",
            "caveats"]
    for nb, g in df.groupby("notebook", sort=True):
        parts += [f"## {nb}", "", f"Notebook: [`notebooks/{nb}.ipynb`](../notebooks/{nb}.ipynb)", "",
                  "| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
        for rec in g.sort_values("id", kind="stable").to_dict("records"):
            cells = [_cell(rec["id"]), _cell(rec["hypothesis"]), _data_cell(rec), _estimate_cell(rec),
                     _p_cell(rec), _cell(rec["verdict"]), _cell(rec["measure_quality"]),
                     _cell(rec["caveats"])]
            parts.append("| " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def write_findings_doc(path: str | Path | None = None, directory: str | Path | None = None) -> Path:
    """Render every findings file into ``path`` (default ``docs/findings.md``); returns the path."""
    path = Path(path) if path is not None else FINDINGS_DOC
    _atomic_write(path, render_findings(read_findings(directory)))
    return path


# --------------------------------------------------------------------------------------------------
# measurement quality (gold test split)


def _resolve(name: str, measure: str | None, known: Sequence[str]) -> tuple[str, str, str]:
    """(label, measure, column) for a label or a column name."""
    if name in MARKER_LABELS:
        label = MARKER_LABELS[name]
        implied = "shipped" if name.startswith(("c_", "p_")) else "rule"
        if measure is not None and measure != implied:
            raise FindingsError(f"column {name!r} is the {implied} measure, not {measure!r}")
        return label, implied, name
    if name in known:
        m = measure or "shipped"
        return name, m, f"c_{name}" if m == "shipped" else _RULE_OF[name]
    hint = (f" It has no gold validation of its own; the nearest validated construct is "
            f"{_NOT_VALIDATED[name]}." if name in _NOT_VALIDATED else "")
    raise FindingsError(f"unknown label or column {name!r}.{hint} Known labels: {sorted(known)}; columns: "
                        f"{sorted(MARKER_LABELS)}")


_RULE_OF = {lab: col for col, lab in MARKER_LABELS.items() if not col.startswith(("c_", "p_"))}


def _read_gold(path: str | Path | None) -> pd.DataFrame:
    path = Path(path) if path is not None else GOLD_TEST_CSV
    if not path.exists():
        raise FindingsError(f"{path} does not exist: write it with `make validation` "
                            "(python -m omotenashi_research.validation --out docs/validation.md)")
    df = pd.read_csv(path, keep_default_na=True)
    missing = [c for c in _GOLD_COLUMNS if c not in df.columns]
    if missing:
        raise FindingsError(f"{path}: missing column(s) {missing}")
    return df


def measure_quality(
    labels: str | Sequence[str] | None = None,
    lang: str | None = None,
    corpus: str = "pooled",
    *,
    measure: str | None = None,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Validated precision and recall of constructs on the gold test split, with 95 % CIs.

    Parameters
    ----------
    labels : str or list of str, optional
        Gold labels (``"apology"``) or feature/construct columns (``"m_apology"``, ``"c_empathy"``,
        ``"anticipation"``; :data:`MARKER_LABELS`). A column fixes the measure: ``m_<marker>`` and the
        context columns are the rule alone, ``c_``/``p_`` columns the shipped construct measure. Default:
        every label.
    lang : {"ja", "en"}, optional
        Default: both.
    corpus : str
        ``"pooled"`` (the language pool, default) or one corpus (``"asdc"``, ``"uss-mwoz"`` ...).
    measure : {"shipped", "rule"}, optional
        For bare labels: ``"shipped"`` (default; what :func:`constructs.construct_flags` gives) or
        ``"rule"``. Default with no labels: both.
    path : str or path, optional
        Default ``docs/validation_gold_test.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per requested (label, language): ``column`` (as requested, or the measure's column),
        then ``lang``, ``corpus``, ``label``, ``measure``, ``n``, ``positives``, ``flagged``, precision,
        recall and F1 with their CI bounds.

    Raises
    ------
    FindingsError
        Unknown label or column, unknown language, corpus or measure, or no gold row for a requested
        label in the language (keigo is Japanese only, deference English only).

    Examples
    --------
    >>> q = measure_quality(["m_apology", "c_empathy"], lang="ja")  # doctest: +SKIP
    >>> q[["column", "label", "measure", "precision", "recall"]]  # doctest: +SKIP
    """
    gold = _read_gold(path)
    for name, value, allowed in (("lang", lang, sorted(set(gold["lang"]))),
                                 ("corpus", corpus, sorted(set(gold["corpus"]))),
                                 ("measure", measure, sorted(set(gold["measure"])))):
        if value is not None and value not in allowed:
            raise FindingsError(f"unknown {name} {value!r}; the gold test table has {allowed}")
    sel = gold[(gold["corpus"] == corpus) & ((gold["lang"] == lang) if lang is not None else True)]
    known = sorted(set(gold["label"]))
    if labels is None:
        out = sel if measure is None else sel[sel["measure"] == measure]
        out = out.assign(column=[f"c_{lab}" if m == "shipped" else _RULE_OF.get(lab, lab)
                                 for lab, m in zip(out["label"], out["measure"], strict=True)])
    else:
        names = [labels] if isinstance(labels, str) else list(labels)
        parts = []
        for name in names:
            label, m, column = _resolve(str(name), measure, known)
            rows = sel[(sel["label"] == label) & (sel["measure"] == m)]
            if rows.empty:
                where = f"{lang or 'any language'}, corpus {corpus!r}"
                have = sorted(set(gold.loc[gold["label"] == label, "lang"]))
                raise FindingsError(f"no gold test row for {label!r} ({m}) in {where}; it is measured in "
                                    f"{have}")
            parts.append(rows.assign(column=name if name in MARKER_LABELS else column))
        out = pd.concat(parts)
    return out[["column", *_GOLD_COLUMNS]].reset_index(drop=True)


def _f2(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.2f}"


def quality_text(
    label: str,
    lang: str | None,
    *,
    corpus: str = "pooled",
    measure: str | None = None,
    path: str | Path | None = None,
) -> str:
    """One line of measurement quality to print beside an effect.

    ``label`` is a gold label or a column (see :func:`measure_quality`); with ``lang=None`` every
    language the label is measured in, joined by ``"; "``.

    Examples
    --------
    >>> quality_text("m_apology", "ja")  # doctest: +SKIP
    'apology P 1.00 [0.92, 1.00] R 1.00 [0.92, 1.00] (ja, gold test, rule, 45 positives)'
    """
    q = measure_quality([label], lang=lang, corpus=corpus, measure=measure, path=path)
    out = []
    for r in q.to_dict("records"):
        where = r["lang"] if r["corpus"] == "pooled" else f"{r['lang']} {r['corpus']}"
        out.append(f"{r['label']} P {_f2(r['precision'])} [{_f2(r['precision_ci_low'])}, "
                   f"{_f2(r['precision_ci_high'])}] R {_f2(r['recall'])} [{_f2(r['recall_ci_low'])}, "
                   f"{_f2(r['recall_ci_high'])}] ({where}, gold test, {r['measure']}, "
                   f"{int(r['positives'])} positives)")
    return "; ".join(out)


# --------------------------------------------------------------------------------------------------
# command line


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m omotenashi_research.findings [--check]``: regenerate (or check) docs/findings.md."""
    parser = argparse.ArgumentParser(prog="python -m omotenashi_research.findings",
                                     description="Render docs/findings/*.csv into docs/findings.md.")
    parser.add_argument("--out", default=None, help="markdown file (default docs/findings.md)")
    parser.add_argument("--dir", default=None, help="folder of findings CSVs (default docs/findings)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    args = parser.parse_args(argv)
    path = Path(args.out) if args.out else FINDINGS_DOC
    try:
        findings = read_findings(args.dir)
    except FindingsError as err:  # a bad file: say which and what, without a traceback
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.check:
        text = render_findings(findings)
        current = path.exists() and path.read_text(encoding="utf-8") == text
        print(f"{path} is {'current' if current else 'out of date: run make findings'}")
        return 0 if current else 1
    _atomic_write(path, render_findings(findings))
    print(f"wrote {path} ({len(findings)} findings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
