"""The ``omotenashi`` command line, end to end in subprocesses on the sample corpus and invented files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from omotenashi_research.datasets import load_sample
from omotenashi_research.datasets.sample import sample_dir
from omotenashi_research.features import extract_features

SAMPLE = sample_dir() / "dialogues.jsonl"


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "omotenashi_research.cli", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def sample_parquet(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "feats.parquet"
    proc = run("features", SAMPLE, "-o", out, "--chunksize", "60", "--no-progress", cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    return out


def test_help_for_every_command(tmp_path):
    top = run("--help", cwd=tmp_path)
    assert top.returncode == 0
    for cmd in ("validate", "features", "compare", "redact", "data"):
        assert cmd in top.stdout
        proc = run(cmd, "--help", cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout.startswith(f"usage: omotenashi {cmd}")


def test_features_streamed_equal_one_call(sample_parquet):
    got = pd.read_parquet(sample_parquet)
    # chunks of 60 rows, written one by one, give exactly the one-call table (dtypes included)
    pd.testing.assert_frame_equal(got, extract_features(load_sample()).reset_index(drop=True))


def test_features_context_and_dialogue(tmp_path):
    proc = run("features", SAMPLE, "-o", tmp_path / "ctx.parquet", "--context", "--chunksize", "50",
               "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    want = extract_features(load_sample(), context=True).reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "ctx.parquet"), want)
    proc = run("features", SAMPLE, "-o", tmp_path / "dlg.csv", "--dialogue", "--no-sentiment",
               "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    dlg = pd.read_csv(tmp_path / "dlg.csv")
    assert len(dlg) == 48 and dlg["dialogue_id"].is_unique      # 48 sample dialogues (data card)
    assert "wrote 48 dialogues" in proc.stderr


def test_compare_csv_and_markdown(sample_parquet, tmp_path):
    proc = run("compare", sample_parquet, "--by", "lang", "--features", "m_apology", "m_grat*",
               "--role", "agent", "--n-resamples", "200", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    from io import StringIO

    table = pd.read_csv(StringIO(proc.stdout))
    assert table["feature"].tolist() == ["m_apology", "m_gratitude"]
    assert set(table[["group1", "group2"]].iloc[0]) == {"en", "ja"}
    assert (table["n_dialogues1"] == 24).all() and (table["n_dialogues2"] == 24).all()
    md = run("compare", sample_parquet, "--by", "lang", "--features", "m_apology", "--format", "md",
             "--n-resamples", "100", "-o", tmp_path / "cmp.md", cwd=tmp_path)
    assert md.returncode == 0, md.stderr
    text = (tmp_path / "cmp.md").read_text()
    assert text.startswith("| feature | group1 | group2 |") and "| m_apology | en | ja |" in text
    bad = run("compare", sample_parquet, "--by", "lang", "--features", "m_no_such_*", cwd=tmp_path)
    assert bad.returncode == 2 and "matches no column" in one_line_error(bad)


_INVENTED = (
    "conv,turn,who,message\n"
    'c1,0,guest,"Hi, I\'m Kim, call me on 090-1234-5678 or kim@example.com"\n'
    'c1,1,staff,"=HYPERLINK(""http://x.test"",""open"")"\n'
    "c1,2,manager,Thank you\n"
    "c2,x,guest,\n"
)
_OPTS = ["--column", "conv=dialogue_id", "--column", "who=role", "--column", "message=text",
         "--role", "guest=customer", "--role", "staff=agent", "--lang", "en"]


def test_validate_reports_and_writes_both_files(tmp_path):
    (tmp_path / "calls.csv").write_text(_INVENTED, encoding="utf-8")
    proc = run("validate", "calls.csv", *_OPTS, "--out-dir", "out", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr     # rows were quarantined: a data problem
    assert "calls.csv: 4 rows, 2 valid, 2 quarantined" in proc.stdout
    assert "row 4: role: unknown role" in proc.stdout and "row 5: turn: turn is not an integer" in proc.stdout
    assert "090-1234" not in proc.stdout         # no cell values on screen
    valid = pd.read_csv(tmp_path / "out" / "calls.valid.csv")
    quarantine = pd.read_csv(tmp_path / "out" / "calls.quarantine.csv")
    assert len(valid) == 2 and quarantine["_row"].tolist() == [4, 5]
    ok = run("validate", "out/calls.valid.csv", "--no-write", cwd=tmp_path)
    assert ok.returncode == 0 and "2 rows, 2 valid, 0 quarantined" in ok.stdout


def test_redact_writes_placeholders_and_a_report_without_values(tmp_path):
    text = _INVENTED.replace("c1,2,manager", "c1,2,staff").replace("c2,x,guest,\n", "")
    (tmp_path / "calls.csv").write_text(text, encoding="utf-8")
    proc = run("redact", "calls.csv", "-o", "clean.csv", "--name", "Kim", *_OPTS, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    clean = (tmp_path / "clean.csv").read_text(encoding="utf-8")
    assert "[PHONE]" in clean and "[EMAIL]" in clean and "[NAME]" in clean
    assert "090-1234-5678" not in clean and "kim@example.com" not in clean and "Kim" not in clean
    assert "'=HYPERLINK" in clean                # formulas neutralised in CSV output
    report = (tmp_path / "clean.redactions.csv").read_text(encoding="utf-8")
    assert "example.com" not in report and "5678" not in report
    assert "3 replacements" in proc.stderr or "4 replacements" in proc.stderr


def test_data_list_shows_status_and_licences(tmp_path):
    (tmp_path / "keico").mkdir()                 # an empty corpus folder: found, but no files
    proc = run("data", "list", "--format", "csv", cwd=tmp_path, env={"OMOTENASHI_DATA": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    from io import StringIO

    table = pd.read_csv(StringIO(proc.stdout)).set_index("corpus")
    assert {"uss", "asdc", "keico", "bsd"} <= set(table.index)
    assert table.loc["keico", "status"].startswith("partial (0 of")
    assert table.loc["asdc", "license"].startswith("CC BY 4.0")
    text = run("data", "list", cwd=tmp_path, env={"OMOTENASHI_DATA": str(tmp_path)})
    assert text.returncode == 0 and "license:" in text.stdout


def test_errors_are_one_line_with_exit_codes(tmp_path):
    missing = run("features", "nope.csv", "-o", "x.parquet", "--no-progress", cwd=tmp_path)
    assert missing.returncode == 1 and "nope.csv" in one_line_error(missing)
    (tmp_path / "calls.csv").write_text(_INVENTED, encoding="utf-8")
    invalid = run("features", "calls.csv", "-o", "x.parquet", *_OPTS, "--no-progress", cwd=tmp_path)
    assert invalid.returncode == 1
    line = one_line_error(invalid)
    assert "calls.csv" in line and "row" in line
    unknown = run("data", "fetch", "no_such_corpus", cwd=tmp_path)
    assert unknown.returncode == 1 and "unknown corpus" in one_line_error(unknown)
    usage = run("features", SAMPLE, cwd=tmp_path)             # -o missing
    assert usage.returncode == 2 and "-o/--output" in usage.stderr
    assert run("frobnicate", cwd=tmp_path).returncode == 2
    debug = run("--debug", "features", "nope.csv", "-o", "x.parquet", cwd=tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_main_returns_codes_in_process(capsys):
    from omotenashi_research.cli import main

    assert main(["--help"]) == 0
    assert main(["compare"]) == 2
    assert main(["validate", "/nonexistent/file.csv"]) == 1
    err = capsys.readouterr().err
    assert "omotenashi validate: error:" in err and "/nonexistent/file.csv" in err
