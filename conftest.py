"""Root conftest: loaded for every pytest run, including `pytest notebooks/...` alone (nbval)."""

from __future__ import annotations

from pathlib import Path

import pytest

# Which notebook needs which corpora lives in one place, shared with `make notebooks`.
from omotenashi_research.notebooks_runner import NOTEBOOK_CORPORA, missing_corpora, skip_message

# Notebooks that analyse the staged corpora; the others run on the bundled sample corpus only.
CORPUS_NOTEBOOKS = set(NOTEBOOK_CORPORA)


def _schedule_rank(item, heavy_files: set[str]) -> int:
    """Corpus notebooks first, then the other notebooks, then test files with a ``slow`` or ``corpus`` test,
    then the rest (the order is stable within each).

    With ``-n 2 --dist loadfile --no-loadscope-reorder`` each file runs whole on one worker, and files are
    handed out in this order: longest first, so that a long file does not start when the other worker has
    nothing left (without ``--no-loadscope-reorder`` xdist orders files by their number of tests, which puts
    notebooks, with few but long cells, last)."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        return 0 if path.name in CORPUS_NOTEBOOKS else 1
    return 2 if str(path) in heavy_files else 3


def pytest_collection_modifyitems(config, items):
    heavy = {str(item.fspath) for item in items
             if item.get_closest_marker("slow") or item.get_closest_marker("corpus")}
    items.sort(key=lambda item: _schedule_rank(item, heavy))
    reasons: dict[str, str | None] = {}
    for item in items:
        name = Path(str(item.fspath)).name
        if name not in NOTEBOOK_CORPORA:
            continue
        if name not in reasons:
            missing = missing_corpora(NOTEBOOK_CORPORA[name])
            reasons[name] = skip_message(name, missing) if missing else None
        if reasons[name]:
            item.add_marker(pytest.mark.skip(reason=reasons[name]))
