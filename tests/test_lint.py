"""The code stays ruff clean (configuration in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_clean():
    paths = ["omotenashi_research", "tests", "benchmarks", "conftest.py"]
    res = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], cwd=REPO, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
