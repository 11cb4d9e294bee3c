"""Session-wide fixtures: spaCy pipelines are loaded once, corpora are found through $OMOTENASHI_DATA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def corpora_dir() -> Path:
    """The staged corpora folder; tests that need it are skipped when it is not set up."""
    env = os.environ.get("OMOTENASHI_DATA")
    if not env or not Path(env.split(os.pathsep)[0]).is_dir():
        pytest.skip("OMOTENASHI_DATA is not set to the staged corpora folder")
    return Path(env.split(os.pathsep)[0])


@pytest.fixture(scope="session")
def nlp_ja():
    from omotenashi_research.nlp import get_pipeline

    return get_pipeline("ja")


@pytest.fixture(scope="session")
def nlp_en():
    from omotenashi_research.nlp import get_pipeline

    return get_pipeline("en")


# Notebooks that analyse the staged corpora; the others run on the bundled sample corpus only.
CORPUS_NOTEBOOKS = {"02_japanese_vs_english.ipynb", "03_satisfaction.ipynb"}


def pytest_collection_modifyitems(config, items):
    env = os.environ.get("OMOTENASHI_DATA")
    if env and Path(env.split(os.pathsep)[0]).is_dir():
        return
    skip = pytest.mark.skip(reason="notebook needs the staged corpora: set OMOTENASHI_DATA")
    for item in items:
        if Path(str(item.fspath)).name in CORPUS_NOTEBOOKS:
            item.add_marker(skip)
