"""The README's Python quickstart is tutorial code: run it exactly as written."""

from __future__ import annotations

import contextlib
import io
import re

import pandas as pd

from tests.conftest import REPO


def _block(heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_quickstart_runs_and_prints_marker_means():
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_block("Quickstart"), "README.md", "exec"), ns)
    # 48 invented dialogues: 24 per language; the summary has one row per (corpus, lang, role).
    assert ns["utts"]["dialogue_id"].nunique() == 48
    means = ns["agent"].groupby("lang")[["m_apology", "m_gratitude"]].mean()
    assert list(means.index) == ["en", "ja"]
    assert (means.to_numpy() > 0).all()  # the sample has apologies and thanks in both languages
    assert "m_apology" in out.getvalue()


def test_own_transcripts_example_maps_columns(tmp_path, monkeypatch):
    pd.DataFrame(
        {"call_id": ["c1", "c1"], "turn": [0, 1], "speaker_type": ["guest", "staff"],
         "message": ["部屋が寒いです。", "申し訳ございません。すぐにお調べいたします。"]}
    ).to_csv(tmp_path / "my_calls.csv", index=False)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(_block("Your own transcripts"), "README.md", "exec"), ns)
    utts = ns["utts"]
    assert utts["role"].tolist() == ["customer", "agent"]
    assert utts["corpus"].unique().tolist() == ["my-hotel"]


def test_every_loader_named_in_the_readme_exists():
    import omotenashi_research.datasets as ds

    names = set(re.findall(r"`(load_[a-z0-9_]+)`", (REPO / "README.md").read_text(encoding="utf-8")))
    assert len(names) >= 8
    assert sorted(n for n in names if not hasattr(ds, n)) == []
