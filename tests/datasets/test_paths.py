"""$OMOTENASHI_DATA is resolved to absolute paths once; errors and hints show absolute paths."""

from __future__ import annotations

import os

import pytest

from omotenashi_research.datasets._paths import corpus_file, data_dirs
from omotenashi_research.errors import CorpusNotFoundError


def test_relative_env_value_is_absolute_in_dirs_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMOTENASHI_DATA", os.pathsep.join(["../corpora", "here"]))
    dirs = data_dirs()
    assert dirs[:2] == [tmp_path.parent / "corpora", tmp_path / "here"]
    assert all(d.is_absolute() for d in dirs)
    with pytest.raises(CorpusNotFoundError) as err:
        corpus_file("keico", "x.csv")
    msg = str(err.value)
    assert f"{tmp_path / 'here' / 'keico' / 'x.csv'}" in msg and "../corpora" not in msg
    assert "python -m omotenashi_research.datasets.fetch keico" in msg


def test_relative_data_dir_is_found_and_returned_absolute(tmp_path, monkeypatch):
    (tmp_path / "c" / "keico").mkdir(parents=True)
    (tmp_path / "c" / "keico" / "x.csv").write_text("x")
    monkeypatch.chdir(tmp_path)
    got = corpus_file("keico", "x.csv", data_dir="c")
    assert got.is_absolute() and got == tmp_path / "c" / "keico" / "x.csv"
