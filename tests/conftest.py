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
