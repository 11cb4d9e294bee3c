"""Root conftest: loaded for every pytest run, including `pytest notebooks/...` alone (nbval)."""

from __future__ import annotations

from pathlib import Path

import pytest

# Which notebook needs which corpora lives in one place, shared with `make notebooks`.
from omotenashi_research.notebooks_runner import NOTEBOOK_CORPORA, missing_corpora, skip_message

# Notebooks that analyse the staged corpora; the others run on the bundled sample corpus only.
CORPUS_NOTEBOOKS = set(NOTEBOOK_CORPORA)


def _schedule_rank(item) -> int:
    """Corpus notebooks first, then the other notebooks, then the tests (the order is stable within each).

    With ``-n 2 --dist loadfile`` each file runs whole on one worker, and files are handed out in this
    order: the corpus notebooks take minutes each, so starting them first keeps them from being the
    last work left on one worker while the other is idle."""
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb":
        return 2
    return 0 if path.name in CORPUS_NOTEBOOKS else 1


def pytest_collection_modifyitems(config, items):
    items.sort(key=_schedule_rank)
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
