"""fetch() end to end against a local HTTP server serving the staged corpora (never the internet)."""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from omotenashi_research.datasets._paths import corpus_file
from omotenashi_research.datasets.fetch import (
    DownloadError,
    HashMismatchError,
    _source_origin,
    _url,
    fetch,
    main,
    registry,
)
from omotenashi_research.datasets.kokorochat import load_kokorochat
from omotenashi_research.datasets.pastel_jp import load_pastel_jp


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Server:
    def __init__(self, directory: Path):
        self.requests: list[str] = []
        server_self = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):  # http.server API name
                server_self.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def serve():
    servers = []

    def start(directory: Path) -> _Server:
        servers.append(_Server(directory))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(autouse=True)
def _no_env_mirror(monkeypatch):
    monkeypatch.delenv("OMOTENASHI_MIRROR", raising=False)


def test_download_keico_and_bsd_then_cached(serve, corpora_dir, tmp_path):
    server = serve(corpora_dir)
    root = fetch("keico", mirror=server.url, data_dir=tmp_path, progress=False)
    fetch("bsd", mirror=server.url, data_dir=tmp_path, progress=False)
    assert root == tmp_path
    # the parenthesised keico file name goes over the wire URL-quoted
    assert server.requests == [
        "/keico/keico_corpus%28forLREC%29-OldVersion.csv",
        "/bsd/dev.json",
        "/bsd/test.json",
    ]
    for name in ("keico", "bsd"):
        for row in registry(name).itertuples():
            got = corpus_file(name, row.path, data_dir=tmp_path)
            assert got == tmp_path / name / row.path
            assert _sha256(got) == row.sha256
            assert got.stat().st_size == row.size
            assert got.read_bytes() == (corpora_dir / name / row.path).read_bytes()
    # second call: everything present with the right hash -> no request at all
    fetch("keico", mirror=server.url, data_dir=tmp_path, progress=False)
    fetch("bsd", mirror=server.url, data_dir=tmp_path, progress=False)
    assert len(server.requests) == 3


def test_download_pastel_jp_then_load(serve, corpora_dir, tmp_path):
    server = serve(corpora_dir)
    out = tmp_path / "out"
    fetch("pastel_jp", mirror=server.url, data_dir=out, progress=False)
    assert sorted(server.requests) == sorted(f"/pastel_jp/{p}" for p in registry("pastel_jp")["path"])
    df = load_pastel_jp(data_dir=out)
    assert len(df) == 480 and df["pair_id"].nunique() == 240


def test_kokorochat_loose_files_download_and_load(serve, corpora_dir, tmp_path, monkeypatch):
    # Upstream (and so fetch) has loose files where the shared folder has one zip: serve three of the
    # zip's members as loose files and fetch just those three registry rows.
    wanted = [f"kokorochat_dialogues/{n}.json" for n in (4, 10, 100)]
    subset = registry("kokorochat").set_index("path").loc[wanted].reset_index()[registry().columns]
    mirror = tmp_path / "mirror"
    with zipfile.ZipFile(corpora_dir / "kokorochat" / "kokorochat_dialogues.zip") as zf:
        raw = {p: zf.read(p) for p in wanted}
    for p, data in raw.items():
        (mirror / "kokorochat" / p).parent.mkdir(parents=True, exist_ok=True)
        (mirror / "kokorochat" / p).write_bytes(data)
    # the module, not the package attribute `fetch` (the function of the same name)
    fetch_module = importlib.import_module("omotenashi_research.datasets.fetch")
    monkeypatch.setattr(fetch_module, "registry", lambda corpus=None: subset)
    server = serve(mirror)
    out = tmp_path / "out"
    fetch("kokorochat", mirror=server.url, data_dir=out, progress=False)
    assert len(server.requests) == 3
    df = load_kokorochat(data_dir=out, progress=False, verify=False)  # three files of 6,589
    assert df["dialogue_id"].unique().tolist() == ["4", "10", "100"]  # numeric file order
    upstream = [json.loads(raw[p]) for p in wanted]
    assert df.groupby("dialogue_id", sort=False).size().tolist() == [len(u["dialogue"]) for u in upstream]
    assert df.groupby("dialogue_id", sort=False)["score"].first().tolist() == [
        u["review_by_client_en"]["score"] for u in upstream]


def test_mirror_from_env_var(serve, corpora_dir, tmp_path, monkeypatch):
    server = serve(corpora_dir)
    monkeypatch.setenv("OMOTENASHI_MIRROR", server.url + "/")
    fetch("keico", data_dir=tmp_path, progress=False)
    assert len(server.requests) == 1


def test_corrupted_file_raises_and_leaves_nothing(serve, corpora_dir, tmp_path):
    bad = tmp_path / "mirror"
    shutil.copytree(corpora_dir / "bsd", bad / "bsd")
    data = bytearray((bad / "bsd" / "test.json").read_bytes())
    data[1000] ^= 0x01  # flip one bit
    (bad / "bsd" / "test.json").write_bytes(bytes(data))
    server = serve(bad)
    out = tmp_path / "out"
    with pytest.raises(HashMismatchError) as err:
        fetch("bsd", mirror=server.url, data_dir=out, progress=False)
    msg = str(err.value)
    expected = registry("bsd").set_index("path").loc["test.json", "sha256"]
    assert "bsd/test.json" in msg
    assert expected in msg and hashlib.sha256(bytes(data)).hexdigest() in msg
    assert isinstance(err.value, ValueError)
    assert not (out / "bsd" / "test.json").exists()
    assert sorted(p.name for p in (out / "bsd").iterdir()) == ["dev.json"]  # no temp file left either


def test_404_is_a_clear_error(serve, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    server = serve(empty)
    with pytest.raises(DownloadError, match=r"keico/keico_corpus\(forLREC\)-OldVersion\.csv.*404"):
        fetch("keico", mirror=server.url, data_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "keico" / "keico_corpus(forLREC)-OldVersion.csv").exists()


def test_unknown_corpus_lists_known_ones(tmp_path):
    known = "asdc, bsd, cocoa_mt, jmultiwoz_tc, keico, kokorochat, maia_dqe, multilingual_politeness, " \
        "pastel_jp"
    with pytest.raises(ValueError, match=r"unknown corpus 'nope'.*" + known):
        fetch("nope", data_dir=tmp_path)


def test_github_url_quotes_parentheses():
    row = next(registry("keico").itertuples())
    assert _url(row, None) == (
        "https://raw.githubusercontent.com/Liumx2020/KeiCO-corpus/b633e81a1df99e6c6d9baf7212c15ce7da32ee04/"
        "keico_corpus%28forLREC%29-OldVersion.csv"
    )


def test_registry_known_counts():
    # file counts listed in each SOURCE.md
    counts = registry().groupby("corpus").size().to_dict()
    assert counts == {
        "asdc": 630, "bsd": 2, "jmultiwoz_tc": 1, "keico": 1, "maia_dqe": 9,
        "stanford_politeness": 2, "taskmaster4": 8, "uss": 5,
        # the four corpora of issue 8 (their SOURCE.md tables, Markdown files not listed):
        "kokorochat": 6_589 + 1,  # the upstream loose dialogue files + LICENSE
        "multilingual_politeness": 8, "cocoa_mt": 25 + 1, "pastel_jp": 4,
    }
    kk = registry("kokorochat")
    # the dialogue files sum to the uncompressed size stated in kokorochat/SOURCE.md
    assert kk.loc[kk["path"] != "LICENSE", "size"].sum() == 125_856_078
    assert kk["path"].str.fullmatch(r"LICENSE|kokorochat_dialogues/\d+\.json").all()
    jm = registry("jmultiwoz_tc").iloc[0]
    # size and sha256 stated in jmultiwoz_tc/SOURCE.md
    assert (jm["path"], jm["size"]) == ("JMultiWOZ-TC_data.zip", 2_270_410)
    assert jm["sha256"] == "25d8e063ff1a54ce5e75562215337b7c8c73c546f0864d345709e5573f1cee52"
    assert registry("stanford_politeness")["commit"].unique().tolist() == [
        "743ad25ad7b0cbf5f106ee4c68d87c450898dee7"
    ]


# The one staged file that is not an upstream file: kokorochat/SOURCE.md says it was made at staging
# time as a format shift and holds the upstream loose files byte for byte, so its members stand in for it.
STAGED_ZIPS = {("kokorochat", "kokorochat_dialogues.zip")}


def test_registry_matches_staged_files_exactly(corpora_dir):
    reg = registry()
    staged = {
        (d.name, f.relative_to(d).as_posix()): f
        for d in corpora_dir.iterdir() if d.is_dir()
        for f in d.rglob("*") if f.is_file() and f.suffix != ".md"
    }
    members: dict[tuple[str, str], bytes] = {}
    for corpus, name in STAGED_ZIPS:
        with zipfile.ZipFile(staged.pop((corpus, name))) as zf:
            members |= {(corpus, m): zf.read(m) for m in zf.namelist()}
    assert set(zip(reg["corpus"], reg["path"], strict=True)) == set(staged) | set(members)
    assert not reg.duplicated(["corpus", "path"]).any()
    for row in reg.itertuples():
        if (row.corpus, row.path) in members:
            data = members[(row.corpus, row.path)]
            assert (len(data), hashlib.sha256(data).hexdigest()) == (row.size, row.sha256), row.path
            continue
        f = staged[(row.corpus, row.path)]
        assert f.stat().st_size == row.size, row.path
        assert _sha256(f) == row.sha256, row.path
    for name, grp in reg.groupby("corpus"):
        assert {tuple(x) for x in grp[["repo", "commit"]].to_numpy()} == {
            _source_origin(corpora_dir / name / "SOURCE.md")
        }


def test_corrupt_local_copy_is_replaced(serve, corpora_dir, tmp_path):
    server = serve(corpora_dir)
    target = tmp_path / "keico" / "keico_corpus(forLREC)-OldVersion.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"truncated")
    fetch("keico", mirror=server.url, data_dir=tmp_path, progress=False)
    assert len(server.requests) == 1
    assert _sha256(target) == registry("keico")["sha256"].iloc[0]


def test_unreachable_server_is_a_download_error(tmp_path):
    closed = _Server(tmp_path)
    url = closed.url
    closed.close()
    with pytest.raises(DownloadError, match="could not download keico/"):
        fetch("keico", mirror=url, data_dir=tmp_path / "out", progress=False)


def test_cli(serve, corpora_dir, tmp_path, capsys):
    server = serve(corpora_dir)
    assert main(["keico", "bsd", "--mirror", server.url, "--data-dir", str(tmp_path), "--no-progress"]) == 0
    assert len(server.requests) == 3
    err = capsys.readouterr().err
    assert "[bsd] license: CC BY-NC-SA 4.0" in err and "[keico] license: CC BY 4.0" in err
    assert (tmp_path / "bsd" / "dev.json").stat().st_size == registry("bsd")["size"].iloc[0]
