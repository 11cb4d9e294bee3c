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

This module is the import path for all of the above and holds the files: the paths, writing and reading
``docs/findings/*.csv``, writing the page and the command line. Three parts live in their own modules
and are re-exported here:

- :mod:`omotenashi_research.findings_table`: :data:`FINDING_COLUMNS`, :data:`VERDICTS`,
  :class:`FindingsError` and :func:`validate_findings` (the check every file passes);
- :mod:`omotenashi_research.findings_page`: :func:`render_findings` (the Markdown of the page);
- :mod:`omotenashi_research.findings_quality`: :data:`GOLD_TEST_CSV`, :data:`MARKER_LABELS`,
  :func:`measure_quality` and :func:`quality_text`.

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
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

# The table check, the page and the measurement-quality look-ups live in their own modules (see the
# docstring); their public names are imported here so that ``findings`` stays the one import path.
from omotenashi_research.findings_page import render_findings
from omotenashi_research.findings_quality import (
    GOLD_TEST_CSV,
    MARKER_LABELS,
    measure_quality,
    quality_text,
)
from omotenashi_research.findings_table import (
    _NUMERIC,
    FINDING_COLUMNS,
    VERDICTS,
    FindingsError,
    _stem,
    validate_findings,
)

# Not in __all__, but importable from here before the split (the alias marks it as re-exported).
from omotenashi_research.findings_table import SIGNIFICANT as SIGNIFICANT

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


def write_findings_doc(path: str | Path | None = None, directory: str | Path | None = None) -> Path:
    """Render every findings file into ``path`` (default ``docs/findings.md``); returns the path."""
    path = Path(path) if path is not None else FINDINGS_DOC
    _atomic_write(path, render_findings(read_findings(directory)))
    return path


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
