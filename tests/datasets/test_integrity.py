"""Partial or altered corpora are errors naming what is missing; loaders' read errors name the file.

Invented files with a patched registry test the checks everywhere; copies of the staged corpora
(made in tmp_path at run time, never stored in the repository) test the issue's cases end to end.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research.datasets import _integrity
from omotenashi_research.datasets.asdc import load_asdc
from omotenashi_research.datasets.jmultiwoz import load_jmultiwoz
from omotenashi_research.datasets.keico import FILE as KEICO_FILE
from omotenashi_research.datasets.keico import load_keico
from omotenashi_research.datasets.uss import load_uss
from omotenashi_research.errors import CorpusIncompleteError, TranscriptValidationError

KEICO_HEADER = "本文,Level,尊敬語,謙譲語,丁寧語,フィールド\n"
KEICO_ROWS = "いらっしゃいませ。,2,1,0,0,客\n明日行く。,4,0,0,0,\n"  # invented


def _register(monkeypatch, corpus: str, files: dict[str, bytes]) -> None:
    """Make the registry list exactly ``files`` (relative path -> content) for ``corpus``."""
    rows = {rel: (len(data), hashlib.sha256(data).hexdigest()) for rel, data in files.items()}
    real = _integrity._registry_rows
    monkeypatch.setattr(_integrity, "_registry_rows", lambda c: rows if c == corpus else real(c))


def _write(root: Path, corpus: str, rel: str, data: bytes) -> Path:
    path = root / corpus / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------- invented, no corpora


def test_registered_file_passes_and_truncated_or_altered_copy_fails(tmp_path, monkeypatch):
    good = (KEICO_HEADER + KEICO_ROWS).encode()
    _register(monkeypatch, "keico", {KEICO_FILE: good})
    monkeypatch.setitem(_integrity.EXPECTED_COUNTS, ("keico", "data rows"), 2)
    path = _write(tmp_path, "keico", KEICO_FILE, good)
    assert len(load_keico(data_dir=tmp_path)) == 2
    path.write_bytes(good[: good.rindex(b"\n", 0, len(good) - 1) + 1])  # cut at a line boundary
    with pytest.raises(CorpusIncompleteError, match="wrong size") as err:
        load_keico(data_dir=tmp_path)
    assert str(path.absolute()) in str(err.value)
    assert "verify=False" in str(err.value) and "fetch keico" in str(err.value)
    assert len(load_keico(data_dir=tmp_path, verify=False)) == 1  # the documented opt-out
    path.write_bytes(good.replace("明日".encode(), "今日".encode()))  # same size, other content
    with pytest.raises(CorpusIncompleteError, match="wrong SHA-256"):
        load_keico(data_dir=tmp_path)


def test_checked_dir_names_missing_and_stray_files(tmp_path, monkeypatch):
    files = {f"d/{i:03d}.json": b"{}" for i in range(1, 4)}
    _register(monkeypatch, "toy", files)
    for rel, data in files.items():
        _write(tmp_path, "toy", rel, data)
    folder, found = _integrity.checked_dir("toy", "d", "*.json", tmp_path)
    assert [f.name for f in found] == ["001.json", "002.json", "003.json"]
    (folder / "002.json").unlink()
    shutil.copy(folder / "001.json", folder / "001 (copy).json")
    with pytest.raises(CorpusIncompleteError) as err:
        _integrity.checked_dir("toy", "d", "*.json", tmp_path)
    msg = str(err.value)
    assert f"missing: {(folder / '002.json').absolute()}" in msg
    stray = (folder / "001 (copy).json").absolute()
    assert f"not in the registry (stray or duplicated file?): {stray}" in msg
    _, found = _integrity.checked_dir("toy", "d", "*.json", tmp_path, verify=False)
    assert len(found) == 3


def test_check_count():
    _integrity.check_count("keico", "data rows", 10_007, "x.csv")
    with pytest.raises(CorpusIncompleteError, match="has 10,006 data rows, the complete corpus has 10,007"):
        _integrity.check_count("keico", "data rows", 10_006, "x.csv")
    _integrity.check_count("keico", "data rows", 3, "x.csv", verify=False)


def test_undecodable_keico_names_file_line_and_byte(tmp_path):
    body = (KEICO_HEADER + KEICO_ROWS).encode("shift_jis")
    path = _write(tmp_path, "keico", KEICO_FILE, body)
    with pytest.raises(TranscriptValidationError, match="undecodable bytes at byte offset 0") as err:
        load_keico(data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value) and "row 1" in str(err.value)


def test_malformed_csv_names_the_file(tmp_path):
    path = _write(tmp_path, "keico", KEICO_FILE, (KEICO_HEADER + KEICO_ROWS + "a,1,0,0,0,x,extra\n").encode())
    with pytest.raises(TranscriptValidationError, match="malformed CSV") as err:
        load_keico(data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value)


def _zip(root: Path, members: list[tuple[str, bytes]]) -> Path:
    path = root / "jmultiwoz_tc" / "JMultiWOZ-TC_data.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


INPUT_LINE = json.dumps({"data_id": "x_0", "dialogue_id": "dlg", "question": [
    {"role": "user", "content": "こんにちは、ホテルを探しています。"}]}, ensure_ascii=False) + "\n"


def test_zip_member_stored_twice_is_an_error_even_without_verify(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _zip(tmp_path, [("jmultiwoz_tc_input.json", INPUT_LINE.encode())] * 2)
    with pytest.raises(TranscriptValidationError, match="stored more than once") as err:
        load_jmultiwoz(data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value)


def test_corrupt_zip_member_names_zip_and_member(tmp_path):
    path = _zip(tmp_path, [("jmultiwoz_tc_input.json", INPUT_LINE.encode())])
    data = bytearray(path.read_bytes())
    at = data.index("ホテル".encode())
    data[at] ^= 0xFF  # stored (not compressed): the CRC check catches the flipped byte
    path.write_bytes(bytes(data))
    with pytest.raises(TranscriptValidationError, match="cannot read zip member") as err:
        load_jmultiwoz(data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value) and "jmultiwoz_tc_input.json" in str(err.value)


def test_not_a_zip_names_the_file(tmp_path):
    path = tmp_path / "jmultiwoz_tc" / "JMultiWOZ-TC_data.zip"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(TranscriptValidationError, match="not a readable zip file") as err:
        load_jmultiwoz(data_dir=tmp_path, verify=False)
    assert str(path) in str(err.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_json_reader_never_leaks_a_raw_exception(tmp_path, data):
    path = tmp_path / "x.json"
    path.write_bytes(data)
    try:
        _integrity.read_json(path)
    except TranscriptValidationError as err:
        assert str(path) in str(err)


def test_deep_json_is_a_named_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(TranscriptValidationError, match="nested too deeply") as err:
        _integrity.read_json(path)
    assert str(path) in str(err.value)


# ------------------------------------------------------------------- copies of the staged corpora


def _copy(corpora_dir: Path, tmp_path: Path, corpus: str) -> Path:
    shutil.copytree(corpora_dir / corpus, tmp_path / corpus)
    return tmp_path / corpus


@pytest.mark.corpus
def test_asdc_missing_json_file(corpora_dir, tmp_path):
    folder = _copy(corpora_dir, tmp_path, "asdc")
    gone = folder / "data/main/dialog/json/017.json"
    gone.unlink()
    with pytest.raises(CorpusIncompleteError, match="1 problem") as err:
        load_asdc(data_dir=tmp_path)
    assert f"missing: {gone.absolute()}" in str(err.value)
    assert load_asdc(data_dir=tmp_path, verify=False)["dialogue_id"].nunique() == 209


@pytest.mark.corpus
def test_asdc_duplicated_json_file(corpora_dir, tmp_path):
    folder = _copy(corpora_dir, tmp_path, "asdc") / "data/main/dialog/json"
    shutil.copy(folder / "001.json", folder / "211.json")
    with pytest.raises(CorpusIncompleteError, match="211.json"):
        load_asdc(data_dir=tmp_path)


@pytest.mark.corpus
def test_uss_emptied_mwoz(corpora_dir, tmp_path):
    folder = _copy(corpora_dir, tmp_path, "uss")
    (folder / "dataset/MWOZ.txt").write_bytes(b"")
    with pytest.raises(CorpusIncompleteError, match="MWOZ.txt has 0 bytes"):
        load_uss(["MWOZ"], data_dir=tmp_path)
    with pytest.raises(TranscriptValidationError, match="no dialogues"):
        load_uss(["MWOZ"], data_dir=tmp_path, verify=False)


@pytest.mark.corpus
def test_keico_truncated_at_a_line_boundary(corpora_dir, tmp_path):
    folder = _copy(corpora_dir, tmp_path, "keico")
    path = folder / KEICO_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-100]))
    with pytest.raises(CorpusIncompleteError, match=rf"wrong size: .*{re.escape(KEICO_FILE)} has 8"):
        load_keico(data_dir=tmp_path)


@pytest.mark.corpus
def test_jmultiwoz_member_cut_at_a_line_boundary(corpora_dir, tmp_path):
    src = corpora_dir / "jmultiwoz_tc" / "JMultiWOZ-TC_data.zip"
    with zipfile.ZipFile(src) as zf:
        members = [(n, zf.read(n)) for n in zf.namelist()]
    members = [(n, b"".join(d.splitlines(keepends=True)[:-50]) if "input" in n else d) for n, d in members]
    dst = tmp_path / "jmultiwoz_tc" / "JMultiWOZ-TC_data.zip"
    dst.parent.mkdir()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    with pytest.raises(CorpusIncompleteError, match="JMultiWOZ-TC_data.zip"):
        load_jmultiwoz(data_dir=tmp_path)
    # Even past the registry (e.g. a re-zipped copy registered by someone else), the count is checked.
    with pytest.raises(CorpusIncompleteError, match="31,253 input lines, the complete corpus has 31,303"):
        _integrity.check_count("jmultiwoz_tc", "input lines", 31_253, dst)


@pytest.mark.corpus
def test_complete_corpora_pass_the_checks(corpora_dir):
    for corpus, rows in (("keico", 1), ("uss", 5), ("bsd", 2)):
        for rel in _integrity._registry_rows(corpus):
            got = _integrity.checked_file(corpus, rel, corpora_dir)
            assert got == (corpora_dir / corpus / rel).absolute()
        assert len(_integrity._registry_rows(corpus)) == rows
    _, files = _integrity.checked_dir("asdc", "data/main/dialog/json", "*.json", corpora_dir)
    assert len(files) == 210
