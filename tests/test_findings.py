"""Findings files: validation, rounding, round trip, the rendered page and its currency; measure quality."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research import findings as F
from omotenashi_research.constructs import RULE_COLUMNS


def _row(**kw):
    row = {"id": "H1-apology", "hypothesis": "Japanese agents apologise more", "data": "ASDC vs USS agents",
           "measure": "c_apology per turn", "estimate_name": "g", "estimate": 0.149, "ci_low": 0.094,
           "ci_high": 0.205, "p_adj": 0.0123, "adjustment": "Holm over 7 markers", "verdict": "supported",
           "measure_quality": "apology P 1.00 [0.92, 1.00] R 1.00 [0.92, 1.00] (ja, gold test)",
           "caveats": "different domains", "n": 1200}
    row.update(kw)
    return row


# ------------------------------------------------------------------------------------------------
# validation


def test_valid_rows_fill_notebook_and_sort_by_id():
    df = F.validate_findings([_row(id="H2-b"), _row(id="H1-a")], "02_japanese_vs_english.ipynb")
    assert list(df.columns) == F.FINDING_COLUMNS
    assert df["id"].tolist() == ["H1-a", "H2-b"]
    assert set(df["notebook"]) == {"02_japanese_vs_english"}
    assert df["n"].dtype == "Int64"


def test_missing_and_extra_columns_are_named():
    row = _row()
    del row["caveats"]
    row["effect"] = 1.0
    with pytest.raises(F.FindingsError, match=r"missing column\(s\) \['caveats'\].*unknown column\(s\) "
                                              r"\['effect'\]"):
        F.validate_findings([row], "nb")


@pytest.mark.parametrize(("kw", "pattern"), [
    ({"verdict": "yes"}, r"row 1 \(id 'H1-apology'\): column 'verdict': not one of"),
    ({"estimate": 0.3}, r"row 1 \(id 'H1-apology'\): column 'estimate': outside its CI"),
    ({"ci_low": 0.2}, r"column 'estimate': outside its CI"),
    ({"estimate": "large"}, r"column 'estimate': not a number \(value: 'large'\)"),
    ({"p_adj": 1.5}, r"column 'p_adj': outside \[0, 1\]"),
    ({"n": -3}, r"column 'n': not a non-negative whole number"),
    ({"n": 2.5}, r"column 'n': not a non-negative whole number"),
    ({"hypothesis": "  "}, r"column 'hypothesis': empty"),
    ({"id": "H1 apology"}, r"column 'id': not a short slug"),
    ({"notebook": "03_satisfaction"}, r"column 'notebook': names another notebook than 'nb'"),
    ({"estimate": float("inf")}, r"column 'estimate': infinite"),
    ({"caveats": "observational; nan"}, r"column 'caveats': holds a missing value written as text"),
    ({"measure_quality": "None"}, r"column 'measure_quality': holds a missing value"),
])
def test_bad_values_are_reported_with_row_and_id(kw, pattern):
    with pytest.raises(F.FindingsError, match=pattern):
        F.validate_findings([_row(**kw)], "nb")


def test_words_containing_nan_are_fine():
    df = F.validate_findings([_row(caveats="nanny state; None of the agents; finance, NaNs dropped",
                                   adjustment="none")], "nb")
    assert df.loc[0, "caveats"].startswith("nanny")


def test_written_file_has_normal_permissions(tmp_path):
    import os
    import stat

    umask = os.umask(0)
    os.umask(umask)
    path = F.write_findings([_row()], "nb", tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_duplicate_ids_and_all_problems_listed():
    with pytest.raises(F.FindingsError) as err:
        F.validate_findings([_row(), _row(verdict="maybe")], "nb")
    msg = str(err.value)
    assert "3 problem(s)" in msg  # both rows repeat the id, and row 2 has a bad verdict
    assert "row 1 (id 'H1-apology'): column 'id': repeats" in msg
    assert "row 2 (id 'H1-apology'): column 'verdict'" in msg


def test_missing_ci_or_p_is_allowed_and_ci_order_only_checked_when_complete():
    df = F.validate_findings([_row(ci_low=None, ci_high=np.nan, p_adj=None, estimate=5.0, n=None,
                                   verdict="descriptive", adjustment="none", caveats=None)], "nb")
    assert np.isnan(df.loc[0, "ci_low"]) and np.isnan(df.loc[0, "p_adj"])
    assert df.loc[0, "n"] is pd.NA and df.loc[0, "caveats"] == ""


def test_empty_table_is_an_error():
    with pytest.raises(F.FindingsError, match="no rows"):
        F.validate_findings(pd.DataFrame(columns=F.FINDING_COLUMNS), "nb")


# ------------------------------------------------------------------------------------------------
# rounding and files


@pytest.mark.parametrize(("value", "expected"), [
    (0.123456, 0.1235), (123456.7, 123500.0), (1.23456e-5, 1.235e-05), (-0.0487649, -0.04876), (0.0, 0.0),
    (2.0, 2.0),
])
def test_rounds_to_four_significant_digits(value, expected):
    df = F.validate_findings([_row(estimate=value, ci_low=None, ci_high=None)], "nb")
    assert df.loc[0, "estimate"] == expected


def test_written_file_is_known_bytes_and_sorted(tmp_path):
    rows = [_row(id="H2", estimate=0.333333, ci_low=0.1, ci_high=0.5, p_adj=None, n=7),
            _row(id="H1", measure_quality="", caveats="two\nlines")]
    path = F.write_findings(rows, "99_demo.ipynb", tmp_path)
    assert path == tmp_path / "99_demo.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(F.FINDING_COLUMNS)
    assert lines[1] == ("99_demo,H1,Japanese agents apologise more,ASDC vs USS agents,c_apology per turn,g,"
                        "0.149,0.094,0.205,0.0123,Holm over 7 markers,supported,,two lines,1200")
    assert lines[2].startswith("99_demo,H2,") and ",0.3333,0.1,0.5,," in lines[2]
    assert len(lines) == 3


def test_round_trip_and_identical_file_not_rewritten(tmp_path):
    rows = [_row(id="H1"), _row(id="H2", p_adj=None, verdict="inconclusive")]
    path = F.write_findings(pd.DataFrame(rows), "05_demo", tmp_path)
    F.write_findings(rows[:1], "06_other", tmp_path)
    back = F.read_findings(tmp_path)
    expected = pd.concat([F.validate_findings(rows, "05_demo"), F.validate_findings(rows[:1], "06_other")],
                         ignore_index=True)
    pd.testing.assert_frame_equal(back, expected)
    before = path.stat().st_mtime_ns
    F.write_findings(list(reversed(rows)), "05_demo", tmp_path)
    assert path.stat().st_mtime_ns == before
    assert not list(tmp_path.glob(".*tmp"))


def test_malformed_file_is_named(tmp_path):
    (tmp_path / "07_bad.csv").write_text("notebook,id\n07_bad,H1\n", encoding="utf-8")
    with pytest.raises(F.FindingsError, match=r"07_bad\.csv.*missing column"):
        F.read_findings(tmp_path)


def test_default_folder_is_the_repository_not_the_cwd():
    # notebooks run with cwd notebooks/: the default must be anchored on the package, not the cwd
    assert F.FINDINGS_DIR.is_absolute()
    assert (F.FINDINGS_DIR.parents[1] / "pyproject.toml").exists()
    assert F.FINDINGS_DIR.is_dir()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=3, max_size=3))
def test_rounding_keeps_the_ci_order(values):
    lo, est, hi = sorted(values)
    df = F.validate_findings([_row(estimate=est, ci_low=lo, ci_high=hi)], "nb")
    r = df.iloc[0]
    assert r.ci_low <= r.estimate <= r.ci_high
    for raw, rounded in ((lo, r.ci_low), (est, r.estimate), (hi, r.ci_high)):
        assert rounded == float(f"{raw:.4g}")
        assert F.validate_findings([_row(estimate=rounded, ci_low=None, ci_high=None)],
                                   "nb").loc[0, "estimate"] == rounded  # idempotent


# ------------------------------------------------------------------------------------------------
# rendering


EXPECTED_TABLE = """\
## 02_demo

Notebook: [`notebooks/02_demo.ipynb`](../notebooks/02_demo.ipynb)

| id | hypothesis | data | estimate [CI] | p (adj.) | verdict | measure quality | caveats |
|---|---|---|---|---|---|---|---|
| H1-apology | Japanese agents apologise more | ASDC vs USS agents (n = 1,200) | g = 0.149 [0.094, 0.205] | \
0.012 (Holm over 7 markers) | supported | apology P 1.00 [0.92, 1.00] R 1.00 [0.92, 1.00] (ja, gold test) | \
different domains |
| H2-share | a \\| b | ASDC | share = 1,235 | < 0.001 | descriptive | – | – |

## 03_demo

Notebook: [`notebooks/03_demo.ipynb`](../notebooks/03_demo.ipynb)

| id | hypothesis | data | estimate [CI] | p (adj.) | verdict | measure quality | caveats |
|---|---|---|---|---|---|---|---|
| H1 | h | d | OR = 1.23 [0.98, 1.54] | – | inconclusive | – | – |
"""


def test_render_known_answer():
    a = F.validate_findings([_row(), _row(id="H2-share", hypothesis="a | b", data="ASDC", estimate=1234.6,
                                          ci_low=None, ci_high=None, estimate_name="share", p_adj=0.0001,
                                          adjustment="", verdict="descriptive", measure_quality="",
                                          caveats="", n=None)], "02_demo")
    b = F.validate_findings([_row(id="H1", hypothesis="h", data="d", estimate_name="OR", estimate=1.2345,
                                  ci_low=0.98, ci_high=1.5432, p_adj=None, verdict="inconclusive",
                                  measure_quality=None, caveats=None, n=None)], "03_demo")
    text = F.render_findings(pd.concat([b, a], ignore_index=True))
    assert text.startswith("# Findings\n\n_This file is generated by `make findings` from "
                           "docs/findings/*.csv; do not edit.")
    assert text.endswith(EXPECTED_TABLE)
    assert text.count("\n## ") == 2


def test_render_empty_says_so():
    text = F.render_findings(F.read_findings(F.REPO / "no-such-folder"))
    assert "_No findings yet" in text and "| id |" not in text


def test_main_writes_and_checks(tmp_path, capsys):
    F.write_findings([_row()], "02_demo", tmp_path / "f")
    out = tmp_path / "findings.md"
    assert F.main(["--dir", str(tmp_path / "f"), "--out", str(out), "--check"]) == 1
    assert F.main(["--dir", str(tmp_path / "f"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == F.render_findings(F.read_findings(tmp_path / "f"))
    assert F.main(["--dir", str(tmp_path / "f"), "--out", str(out), "--check"]) == 0
    assert "1 findings" in capsys.readouterr().out
    (tmp_path / "f" / "03_bad.csv").write_text("notebook,id\n03_bad,H1\n", encoding="utf-8")
    assert F.main(["--dir", str(tmp_path / "f"), "--out", str(out)]) == 1
    assert "03_bad.csv" in capsys.readouterr().err


def test_findings_page_is_current():
    """docs/findings.md is what `make findings` renders from docs/findings/*.csv (run it after notebooks)."""
    files = sorted(F.FINDINGS_DIR.glob("*.csv"))
    if not files and not F.FINDINGS_DOC.exists():
        pytest.skip("no findings written yet (docs/findings/*.csv) and no docs/findings.md")
    assert F.FINDINGS_DOC.exists(), "docs/findings.md is missing: run `make findings`"
    current = F.FINDINGS_DOC.read_text(encoding="utf-8")
    assert current == F.render_findings(F.read_findings()), (
        "docs/findings.md is out of date with docs/findings/*.csv: run `make findings`")


# ------------------------------------------------------------------------------------------------
# measure quality


GOLD_CSV = """\
lang,corpus,label,measure,n,positives,flagged,precision,precision_ci_low,precision_ci_high,recall,\
recall_ci_low,recall_ci_high,f1,f1_ci_low,f1_ci_high
ja,pooled,apology,shipped,384,45,44,0.9773,0.8818,0.996,0.9556,0.8518,0.9877,0.9663,0.92,1.0
ja,pooled,sonkeigo,shipped,384,122,91,0.978,0.923,0.994,0.73,0.645,0.8,0.836,0.778,0.887
en,pooled,apology,shipped,449,22,22,1.0,0.851,1.0,1.0,0.851,1.0,1.0,1.0,1.0
ja,pooled,apology,rule,384,45,50,0.9,0.79,0.95,1.0,0.92,1.0,0.947,0.9,0.98
ja,asdc,apology,shipped,103,0,0,,,,,,,,,
ja,pooled,empathy,rule,384,58,30,0.8,0.627,0.905,0.414,0.296,0.542,0.545,0.4,0.667
"""


@pytest.fixture()
def gold_csv(tmp_path):
    path = tmp_path / "gold.csv"
    path.write_text(GOLD_CSV, encoding="utf-8")
    return path


def test_measure_quality_by_label_and_column(gold_csv):
    q = F.measure_quality(["apology", "m_apology", "c_apology"], lang="ja", path=gold_csv)
    assert q["column"].tolist() == ["c_apology", "m_apology", "c_apology"]
    assert q["measure"].tolist() == ["shipped", "rule", "shipped"]
    assert q["precision"].tolist() == [0.9773, 0.9, 0.9773]
    both = F.measure_quality("apology", path=gold_csv)
    assert both["lang"].tolist() == ["ja", "en"] and (both["corpus"] == "pooled").all()
    assert len(F.measure_quality(path=gold_csv)) == 5
    assert F.measure_quality(lang="ja", measure="rule", path=gold_csv)["column"].tolist() == [
        "m_apology", "m_empathy"]


def test_quality_text_known_answer(gold_csv):
    assert F.quality_text("c_apology", "ja", path=gold_csv) == (
        "apology P 0.98 [0.88, 1.00] R 0.96 [0.85, 0.99] (ja, gold test, shipped, 45 positives)")
    assert F.quality_text("m_empathy", "ja", path=gold_csv).startswith("empathy P 0.80 [0.63, 0.91] R 0.41")
    assert F.quality_text("apology", None, path=gold_csv).count("; ") == 1
    assert F.quality_text("apology", "ja", corpus="asdc", path=gold_csv) == (
        "apology P – [–, –] R – [–, –] (ja asdc, gold test, shipped, 0 positives)")


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"labels": "politeness"}, r"unknown label or column 'politeness'.*Known labels"),
    ({"labels": "m_anticipation_cue"}, r"no gold validation of its own.*context column `anticipation`"),
    ({"labels": "sonkeigo", "lang": "en"},
     r"no gold test row for 'sonkeigo' \(shipped\).*measured in \['ja'\]"),
    ({"labels": "apology", "lang": "de"}, r"unknown lang 'de'"),
    ({"labels": "apology", "corpus": "nowhere"}, r"unknown corpus 'nowhere'"),
    ({"labels": "m_apology", "measure": "shipped"}, r"'m_apology' is the rule measure"),
])
def test_measure_quality_errors(gold_csv, kwargs, pattern):
    with pytest.raises(F.FindingsError, match=pattern):
        F.measure_quality(path=gold_csv, **kwargs)


def test_missing_gold_csv_says_how_to_make_it(tmp_path):
    with pytest.raises(F.FindingsError, match="make validation"):
        F.measure_quality("apology", path=tmp_path / "none.csv")


def test_marker_labels_cover_every_rule_column():
    for label, column in RULE_COLUMNS.items():
        assert F.MARKER_LABELS[column] == label
        assert F.MARKER_LABELS[f"c_{label}"] == label and F.MARKER_LABELS[f"p_{label}"] == label


def _markdown_section(text: str, title: str) -> pd.DataFrame | None:
    lines = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0].splitlines()
    rows = [ln for ln in lines if ln.startswith("|")]
    if len(rows) < 3:
        return None
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    body = [[c.strip() for c in ln.strip("|").split("|")] for ln in rows[2:]]
    return pd.DataFrame(body, columns=header)


_TITLES = {"shipped": "Gold set, test split: the shipped measure per construct, pooled and per corpus",
           "rule": "Gold set, test split: the rule alone (marker or context column)"}


def _assert_report_agrees(report: str, csv_path) -> None:
    for measure, title in _TITLES.items():
        table = _markdown_section(report, title)
        assert table is not None, f"the report has no {measure} gold test table but the CSV exists"
        csv = F.measure_quality(measure=measure, path=csv_path)
        md = table[table["corpus"] == "pooled"].reset_index(drop=True)
        assert len(md) == len(csv) > 0
        assert md[["lang", "label"]].values.tolist() == csv[["lang", "label"]].values.tolist()
        for col in ("n", "positives", "flagged"):
            assert md[col].astype(int).tolist() == csv[col].astype(int).tolist(), col
        for col in ("precision", "precision_ci_low", "precision_ci_high", "recall", "recall_ci_low",
                    "recall_ci_high", "f1", "f1_ci_low", "f1_ci_high"):
            for shown, value in zip(md[col], csv[col], strict=True):
                if shown == "–":
                    assert math.isnan(value), (measure, col, shown, value)
                else:  # the report shows 3 decimals, the CSV keeps 4
                    assert abs(float(shown) - value) <= 0.00051, (measure, col, shown, value)


def test_gold_test_csv_agrees_with_validation_report():
    """docs/validation_gold_test.csv and docs/validation.md come from the same run (`make validation`)."""
    if not F.GOLD_TEST_CSV.exists():
        pytest.skip("docs/validation_gold_test.csv not written yet (make validation)")
    _assert_report_agrees((F.REPO / "docs" / "validation.md").read_text(encoding="utf-8"), F.GOLD_TEST_CSV)


def _gold_stub(shift: float) -> pd.DataFrame:
    return pd.DataFrame({
        "lang": ["ja", "ja", "en"], "corpus": ["pooled", "asdc", "pooled"],
        "label": ["apology", "apology", "deference"], "n": [384, 103, 449], "positives": [45, 0, 16],
        "flagged": [44, 0, 15], "precision": [0.97727 - shift, np.nan, 1.0],
        "precision_ci_low": [0.88184, np.nan, 0.79612], "precision_ci_high": [0.99597, np.nan, 1.0],
        "recall": [0.95556, np.nan, 0.9375], "recall_ci_low": [0.85155, np.nan, 0.71671],
        "recall_ci_high": [0.98774, np.nan, 0.98887], "f1": [0.96629, np.nan, 0.96774],
        "f1_ci_low": [0.92, np.nan, 0.88889], "f1_ci_high": [1.0, np.nan, 1.0]})


def test_write_report_writes_the_gold_csv_beside_it(tmp_path):
    from omotenashi_research import validation as V

    results = {"gold_test": _gold_stub(0.0), "gold_test_rule": _gold_stub(0.1)}
    md = V.write_report(tmp_path / "validation.md", results)
    csv = tmp_path / "validation_gold_test.csv"
    assert csv.exists()
    _assert_report_agrees(md.read_text(encoding="utf-8"), csv)
    assert F.quality_text("m_apology", "ja", path=csv) == (
        "apology P 0.88 [0.88, 1.00] R 0.96 [0.85, 0.99] (ja, gold test, rule, 45 positives)")
    assert F.measure_quality("c_apology", "ja", path=csv)["precision"].tolist() == [0.9773]
    # the drift check can fail: a report from other numbers does not agree
    other = tmp_path / "other.md"
    V.write_report(other, {"gold_test": _gold_stub(0.01), "gold_test_rule": _gold_stub(0.1)})
    with pytest.raises(AssertionError):
        _assert_report_agrees(other.read_text(encoding="utf-8"), csv)
    assert V.write_gold_test_csv({"gold_test": "gold set: corpus not available"}, tmp_path / "x.csv") is None


def test_every_findings_file_has_its_notebook():
    # a renamed or deleted notebook leaves a stale CSV behind, and a dead link in docs/findings.md
    stale = [p.name for p in F.FINDINGS_DIR.glob("*.csv")
             if not (F.REPO / "notebooks" / f"{p.stem}.ipynb").exists()]
    assert stale == [], "findings without a notebook (delete them): " + ", ".join(stale)
