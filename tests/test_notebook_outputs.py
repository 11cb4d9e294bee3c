"""Committed notebook outputs never print corpus utterances (licences, project rules)."""

from __future__ import annotations

import json
import warnings

import pytest

from tests.conftest import REPO


@pytest.mark.corpus
def test_no_corpus_utterance_in_committed_outputs(corpora_dir):
    from omotenashi_research import datasets as d

    texts: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for load in (d.load_uss, d.load_asdc, d.load_jmultiwoz, d.load_bsd, d.load_taskmaster, d.load_maia,
                     d.load_keico, d.load_stanford_politeness):
            texts |= {t for t in load()["text"] if len(t) >= 25}  # shorter ones are generic phrases
    found = {}
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        out = "".join(json.dumps(o, ensure_ascii=False) for c in cells for o in c.get("outputs", []))
        hits = sum(t in out for t in texts)
        if hits:
            found[nb.name] = hits
    assert found == {}


def test_no_machine_paths_in_committed_outputs():
    # an absolute path in an output (a warning's file name, a data folder) differs on every machine, so
    # nbval fails on a fresh clone, and it leaks where the author keeps data
    found = {}
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        out = "".join(json.dumps(o, ensure_ascii=False) for c in cells for o in c.get("outputs", []))
        hits = [m for m in ("site-packages", str(REPO), "/home/", "/tmp/") if m in out]
        if hits:
            found[nb.name] = hits
    assert found == {}
