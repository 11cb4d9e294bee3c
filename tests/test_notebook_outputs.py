"""Committed notebook outputs never print corpus utterances (licences, project rules)."""

from __future__ import annotations

import json
import warnings

import pytest

from tests.conftest import REPO
from tests.leaks import hits, output_text


def test_hits_known_answer():
    texts = {"a" * 30, "the guest asked for a late check-out", "x" * 25, "not there at all, not at all"}
    out = "pre " + "a" * 31 + " mid the guest asked for a late check-out! " + "x" * 25
    assert hits(texts, out) == 3
    assert hits(texts, "") == 0


def test_output_text_reads_decoded_outputs():
    cells = [{"outputs": [{"name": "stdout", "text": ["line \"one\"\n", "two"]},
                          {"data": {"text/plain": ["a\nb"], "image/png": "AAAA"}},
                          {"ename": "E", "evalue": "bad", "traceback": ["tb"]}]},
             {"cell_type": "markdown"}]
    out = output_text(cells)
    assert 'line "one"\ntwo' in out and "a\nb" in out and "bad" in out and "tb" in out
    assert "AAAA" not in out


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
        n = hits(texts, output_text(json.loads(nb.read_text(encoding="utf-8"))["cells"]))
        if n:
            found[nb.name] = n
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
