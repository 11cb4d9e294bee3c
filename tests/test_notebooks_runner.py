"""`make notebooks` without corpora: which notebooks run, and the one line printed for each skipped one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from omotenashi_research.datasets.fetch import registry
from omotenashi_research.notebooks_runner import NOTEBOOK_CORPORA, main, missing_corpora, plan

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# Loader function -> corpus folder it reads.
LOADERS = {"load_asdc": "asdc", "load_jmultiwoz": "jmultiwoz_tc", "load_taskmaster": "taskmaster4",
           "load_uss": "uss", "load_bsd": "bsd", "load_maia": "maia_dqe", "load_keico": "keico",
           "load_stanford_politeness": "stanford_politeness", "load_kokorochat": "kokorochat",
           "load_kokorochat_reviews": "kokorochat", "load_multilingual_politeness": "multilingual_politeness",
           "load_politelex": "multilingual_politeness", "load_cocoa_mt": "cocoa_mt",
           "load_pastel_jp": "pastel_jp"}


def _stage(root: Path, corpus: str) -> None:
    """Empty placeholder files at every registered path: enough for the runner's presence check."""
    for rel in registry(corpus)["path"]:
        (root / corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / corpus / rel).touch()


def test_the_list_matches_what_the_notebooks_load():
    for nb in NOTEBOOKS:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        loaded = {LOADERS[f] for f in re.findall(r"\b(load_[a-z_]+)\s*\(", code) if f in LOADERS}
        assert loaded == set(NOTEBOOK_CORPORA.get(nb.name, ())), nb.name


def test_plan_with_a_fake_data_dir(tmp_path):
    names = [nb.name for nb in NOTEBOOKS]
    assert [p.run for p in plan(names, [tmp_path])] == [n not in NOTEBOOK_CORPORA for n in names]
    _stage(tmp_path, "uss")
    got = {p.notebook.name: p.missing for p in plan(names, [tmp_path])}
    assert got["03_satisfaction.ipynb"] == ()
    assert got["02_japanese_vs_english.ipynb"] == ("asdc", "jmultiwoz_tc", "taskmaster4")
    assert got["00_quickstart.ipynb"] == got["04_power_simulation.ipynb"] == ()
    # A corpus split over two folders is not complete in either.
    other = tmp_path / "other"
    _stage(other, "asdc")
    (other / "asdc" / registry("asdc")["path"].iloc[0]).unlink()
    assert missing_corpora(["asdc"], [tmp_path, other]) == ["asdc"]


def test_offline_dry_run_prints_one_line_per_skipped_notebook(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMOTENASHI_DATA", "empty-corpora")  # relative on purpose
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty-corpora").mkdir()
    monkeypatch.setattr("omotenashi_research.datasets._paths.cache_dir", lambda: tmp_path / "cache")
    assert main(["--dry-run", *map(str, NOTEBOOKS)]) == 0
    out = capsys.readouterr().out.splitlines()
    skipped = [line for line in out if line.startswith("skipped ")]
    assert len(skipped) == len(NOTEBOOK_CORPORA)
    for line in skipped:
        assert "python -m omotenashi_research.datasets.fetch" in line
        assert str(tmp_path / "empty-corpora") in line  # absolute, not the relative value
    assert sum(line.startswith("would run ") for line in out) == len(NOTEBOOKS) - len(NOTEBOOK_CORPORA)


@pytest.mark.parametrize("name", sorted(NOTEBOOK_CORPORA))
def test_root_conftest_uses_the_same_list(name):
    import conftest

    assert name in conftest.CORPUS_NOTEBOOKS
