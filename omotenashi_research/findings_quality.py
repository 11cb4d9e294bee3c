"""Measurement quality beside each effect: validated precision and recall on the gold set's test split.

Split out of :mod:`omotenashi_research.findings`, which re-exports the public names here
(:data:`GOLD_TEST_CSV`, :data:`MARKER_LABELS`, :func:`measure_quality`, :func:`quality_text`) and is
the path to import them from. They read ``docs/validation_gold_test.csv`` (written with
``docs/validation.md`` by ``make validation``) and map feature or construct columns to gold labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from omotenashi_research.findings_table import FindingsError

__all__ = ["GOLD_TEST_CSV", "MARKER_LABELS", "measure_quality", "quality_text"]

#: Written by ``make validation`` next to ``docs/validation.md`` (see ``validation.write_gold_test_csv``).
GOLD_TEST_CSV = Path(__file__).resolve().parents[1] / "docs" / "validation_gold_test.csv"

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
