"""Root conftest: loaded for every pytest run, including `pytest notebooks/...` alone (nbval)."""

from __future__ import annotations

from pathlib import Path

import pytest

# Which notebook needs which corpora lives in one place, shared with `make notebooks`.
from omotenashi_research.notebooks_runner import NOTEBOOK_CORPORA, missing_corpora, skip_message

# Notebooks that analyse the staged corpora; the others run on the bundled sample corpus only.
CORPUS_NOTEBOOKS = set(NOTEBOOK_CORPORA)


def pytest_collection_modifyitems(config, items):
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
