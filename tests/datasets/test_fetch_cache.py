"""A tampered cached copy is never kept when the mirror is down; an offline fetch says so in one line."""

from __future__ import annotations

import socket

import pytest

from omotenashi_research.datasets import _integrity
from omotenashi_research.datasets.fetch import DownloadError, fetch, main, registry
from omotenashi_research.datasets.keico import load_keico
from omotenashi_research.errors import CorpusIncompleteError, CorpusNotFoundError


@pytest.fixture
def dead_mirror() -> str:
    """A URL on which nothing listens (connection refused at once, no network needed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _no_env_mirror(monkeypatch):
    monkeypatch.delenv("OMOTENASHI_MIRROR", raising=False)


def _tamper(root, corpus="keico"):
    row = registry(corpus).iloc[0]
    target = root / corpus / row["path"]
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x" * int(row["size"]))  # same size, wrong content
    return target


def test_tampered_cache_is_removed_when_the_mirror_is_down(tmp_path, dead_mirror):
    target = _tamper(tmp_path)
    with pytest.raises(DownloadError, match="wrong SHA-256 and was removed"):
        fetch("keico", mirror=dead_mirror, data_dir=tmp_path, progress=False)
    assert not target.exists()
    with pytest.raises(CorpusNotFoundError):
        load_keico(data_dir=tmp_path)


def test_loader_refuses_a_tampered_copy_of_the_same_size(tmp_path):
    target = _tamper(tmp_path)
    with pytest.raises(CorpusIncompleteError, match="wrong SHA-256") as err:
        load_keico(data_dir=tmp_path)
    assert str(target.resolve()) in str(err.value) and "verify=False" in str(err.value)


def test_offline_cli_is_one_clear_sentence(tmp_path, dead_mirror, capsys):
    assert main(["keico", "--mirror", dead_mirror, "--data-dir", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("fetch:")]
    assert len(lines) == 1 and "could not download keico/" in lines[0]
    assert "Traceback" not in err and "OMOTENASHI_DATA" in lines[0]


def test_unknown_corpus_on_the_command_line(capsys):
    assert main(["nope", "--no-progress"]) == 2
    assert "unknown corpus 'nope'" in capsys.readouterr().err


def test_hash_memo_sees_a_changed_file(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc")
    first = _integrity.sha256(f)
    f.write_bytes(b"abcd")
    assert _integrity.sha256(f) != first
