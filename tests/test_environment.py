"""The pip lock, environment.yml and pyproject.toml must describe the same environment."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests._write_environment import pinned_lines

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins = {}
    for line in pinned_lines(ROOT / "requirements.txt"):
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"requirements.txt: {line!r} is not pinned with =="
        pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_environment_yml_mirrors_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    (pip_section,) = [d["pip"] for d in deps if isinstance(d, dict)]
    assert pip_section == pinned_lines(ROOT / "requirements.txt"), (
        "environment.yml drifted from requirements.txt: run `make lock` (or tests/_write_environment.py)"
    )


def test_every_pyproject_dependency_is_pinned_and_satisfied():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    for raw in declared:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        assert name in pins, f"{raw!r} from pyproject.toml is missing in requirements.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.txt pins {name}=={pins[name]}, outside pyproject's {raw!r}"
        )


def test_required_language_pipelines_are_pinned():
    pins = _pins()
    assert pins["sudachidict-core"] == "20260723"
    assert pins["ja-ginza"] == "5.3.0" and pins["ginza"] == "5.3.0"
    assert "spacy-lookups-data" in pins


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make notebooks" in readme
    assert "make test" in ci and "OMOTENASHI_DATA" in ci
