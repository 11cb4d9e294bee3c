"""Verified downloads of the original corpus files (pooch), for machines without the shared corpora.

Every file is listed in ``registry.csv`` (corpus, path, repo, commit, sha256, size). :func:`fetch`
downloads the files of a corpus from GitHub at the pinned commit (or from a mirror laid out like the
shared corpora folder), checks each SHA-256 and stores them as ``<dir>/<corpus>/<path>``, where
:func:`omotenashi_research.datasets._paths.corpus_file` looks for them.

Command line::

    python -m omotenashi_research.datasets.fetch [corpus ...] [--mirror URL] [--data-dir DIR]

Regenerate ``registry.csv`` from a staged corpora folder (maintainers only)::

    python -m omotenashi_research.datasets.fetch --write-registry /path/to/corpora
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from omotenashi_research.datasets._paths import cache_dir
from omotenashi_research.errors import OmotenashiError

__all__ = ["LICENSES", "MIRROR_ENV", "DownloadError", "HashMismatchError", "fetch", "registry"]

MIRROR_ENV = "OMOTENASHI_MIRROR"
REGISTRY_FILE = Path(__file__).with_name("registry.csv")
REGISTRY_COLUMNS = ["corpus", "path", "repo", "commit", "sha256", "size"]

# One-line reminders; the full license text and caveats are in each corpus's SOURCE.md.
LICENSES: dict[str, str] = {
    "uss": "annotations have no license - research use inside the project only, do not re-publish "
    "(texts: MultiWOZ MIT, SGD/CCPE CC BY-SA 4.0, ReDial CC BY 4.0)",
    "asdc": "CC BY 4.0 - attribution required",
    "jmultiwoz_tc": "CC BY-SA 4.0 (JMultiWOZ texts) - attribution + share-alike",
    "bsd": "CC BY-NC-SA 4.0 - non-commercial, attribution, share-alike",
    "maia_dqe": "CC BY-ND 4.0 - attribution, no modified copies of the files",
    "taskmaster4": "CC BY 4.0 - attribution required",
    "stanford_politeness": "released with the ACL 2013 paper for research use (repository Apache-2.0)",
    "keico": "CC BY 4.0 - attribution required",
    "kokorochat": "CC BY-NC-ND 4.0 - non-commercial, attribution, share only unchanged copies "
    "(never commit or share derived text)",
    "multilingual_politeness": "CC BY-NC (2.0 by the README link) - non-commercial, attribution",
    "cocoa_mt": "CDLA-Sharing-1.0 - republish only under the same agreement, keep the credit",
    "pastel_jp": "CC BY 4.0 - attribution required",
}


class DownloadError(OmotenashiError, OSError):
    """A corpus file could not be downloaded (HTTP error, unreachable host)."""


class HashMismatchError(OmotenashiError, ValueError):
    """A downloaded file does not have the SHA-256 listed in ``registry.csv``; nothing was kept."""


def registry(corpus: str | None = None) -> pd.DataFrame:
    """The table of downloadable files, one row per file.

    Parameters
    ----------
    corpus : str, optional
        Only this corpus (folder name, e.g. ``"keico"``); default all.

    Returns
    -------
    pandas.DataFrame
        Columns ``corpus, path, repo, commit, sha256, size``.

    Raises
    ------
    ValueError
        Unknown corpus; the message lists the known ones.

    Examples
    --------
    >>> from omotenashi_research.datasets.fetch import registry
    >>> reg = registry("keico")
    >>> len(reg), reg["repo"].iloc[0]
    (1, 'Liumx2020/KeiCO-corpus')
    """
    reg = pd.read_csv(REGISTRY_FILE, dtype={c: str for c in REGISTRY_COLUMNS[:-1]} | {"size": "int64"})
    if corpus is None:
        return reg
    if corpus not in set(reg["corpus"]):
        known = ", ".join(sorted(reg["corpus"].unique()))
        raise ValueError(f"unknown corpus {corpus!r}; known corpora: {known}")
    return reg[reg["corpus"] == corpus].reset_index(drop=True)


def _url(row, mirror: str | None) -> str:
    quoted = quote(row.path)  # keeps '/', escapes spaces and parentheses
    if mirror:
        return f"{mirror.rstrip('/')}/{row.corpus}/{quoted}"
    return f"https://raw.githubusercontent.com/{row.repo}/{row.commit}/{quoted}"


def fetch(
    corpus: str | None = None,
    *,
    mirror: str | None = None,
    data_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> Path:
    """Download and verify the files of one corpus (or all), skipping files already present.

    A file already present is kept only when its SHA-256 is the registered one; otherwise it is removed
    first and downloaded again, so a tampered copy is never left for the loaders when the download fails.

    Parameters
    ----------
    corpus : str, optional
        Corpus folder name (see :func:`registry`); ``None`` fetches every corpus.
    mirror : str, optional
        Base URL of a mirror laid out like the shared corpora folder
        (``{mirror}/{corpus}/{path}``). Default: ``$OMOTENASHI_MIRROR``, else GitHub at the pinned commit.
    data_dir : path, optional
        Where to store the files; default the user cache (``_paths.cache_dir()``), which
        ``corpus_file`` searches.
    progress : bool
        Show a tqdm progress bar per file.

    Returns
    -------
    pathlib.Path
        The data directory (holding ``<corpus>/<path>``); pass it as ``data_dir`` to the loaders.

    Raises
    ------
    ValueError
        Unknown corpus.
    HashMismatchError
        A downloaded file has the wrong SHA-256 (the file is not kept).
    DownloadError
        HTTP error or unreachable server.

    Examples
    --------
    >>> from omotenashi_research.datasets.fetch import fetch
    >>> root = fetch("keico", progress=False)  # doctest: +SKIP
    >>> (root / "keico").is_dir()  # doctest: +SKIP
    True
    """
    # Imported here: pooch pulls in tqdm.auto, which warns in notebooks without ipywidgets.
    import pooch
    import requests

    reg = registry(corpus)
    mirror = mirror or os.environ.get(MIRROR_ENV) or None
    root = Path(data_dir) if data_dir is not None else cache_dir()
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=60)
    for name in reg["corpus"].unique():
        print(f"[{name}] license: {LICENSES.get(name, 'see SOURCE.md')}", file=sys.stderr)
    for row in reg.itertuples(index=False):
        target = root / row.corpus / row.path
        url = _url(row, mirror)
        discarded = _discard_if_corrupt(target, row.sha256)
        try:
            # pooch downloads to a temporary file next to the target and moves it only after the
            # hash matches, so a corrupt download never lands at `target`.
            pooch.retrieve(
                url,
                known_hash=f"sha256:{row.sha256}",
                fname=target.name,
                path=target.parent,
                downloader=downloader,
                progressbar=progress,
            )
        except ValueError as exc:
            if "hash" not in str(exc).lower():
                raise
            raise HashMismatchError(
                f"{row.corpus}/{row.path} downloaded from {url} is corrupt and was not kept: "
                f"expected sha256 {row.sha256}. pooch says: {exc}"
            ) from exc
        except requests.RequestException as exc:
            note = (f" The cached copy had the wrong SHA-256 and was removed ({discarded}), so no "
                    "loader will read it.") if discarded else ""
            raise DownloadError(f"could not download {row.corpus}/{row.path} from {url} "
                                f"({_short_reason(exc)}).{note}") from exc
    return root


def _discard_if_corrupt(target: Path, expected_sha256: str) -> Path | None:
    """Remove a cached file whose hash is not the registered one; return its path if removed.

    pooch re-downloads such a file, but when the download fails it leaves the tampered copy in place,
    where the loaders would read it. Removing it first means a failed download leaves nothing.
    """
    if not target.is_file():
        return None
    from omotenashi_research.datasets._integrity import sha256

    if sha256(target) == expected_sha256:
        return None
    target.unlink()
    return Path(os.path.abspath(target))


def _short_reason(exc: BaseException) -> str:
    """One line about a network failure: the exception type and the start of its message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}{'…' if len(text) > 160 else ''}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _source_origin(source_md: Path) -> tuple[str, str]:
    """(repo, commit) of a SOURCE.md: first ``Repository: `owner/name``` and first 40-hex commit id."""
    text = source_md.read_text(encoding="utf-8")
    repo = re.search(r"Repository:\s*`([\w.-]+/[\w.-]+)`", text)
    commit = re.search(r"\b[0-9a-f]{40}\b", text)
    if not repo or not commit:
        raise ValueError(f"{source_md}: no 'Repository: `owner/name`' or no 40-hex commit found")
    return repo.group(1), commit.group(0)


def _build_registry(corpora_dir: str | os.PathLike) -> pd.DataFrame:
    """Registry rows for every non-Markdown file of a staged corpora folder."""
    rows = []
    for folder in sorted(p for p in Path(corpora_dir).iterdir() if p.is_dir()):
        repo, commit = _source_origin(folder / "SOURCE.md")
        for f in sorted(folder.rglob("*")):
            if f.is_file() and f.suffix != ".md":
                rel = f.relative_to(folder).as_posix()
                rows.append((folder.name, rel, repo, commit, _sha256(f), f.stat().st_size))
    return pd.DataFrame(rows, columns=REGISTRY_COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m omotenashi_research.datasets.fetch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="*", help="corpora to fetch (default: all)")
    parser.add_argument("--mirror", help=f"mirror base URL (default ${MIRROR_ENV} or GitHub)")
    parser.add_argument("--data-dir", help="target folder (default: user cache)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--write-registry", metavar="CORPORA_DIR", help="regenerate registry.csv and exit")
    args = parser.parse_args(argv)
    if args.write_registry:
        _build_registry(args.write_registry).to_csv(REGISTRY_FILE, index=False, lineterminator="\n")
        print(f"wrote {REGISTRY_FILE}")
        return 0
    root = Path(args.data_dir) if args.data_dir else cache_dir()
    for name in args.corpus or [None]:
        try:
            root = fetch(name, mirror=args.mirror, data_dir=args.data_dir, progress=not args.no_progress)
        except HashMismatchError as exc:
            print(f"fetch: {exc}", file=sys.stderr)
            return 1
        except ValueError as exc:  # unknown corpus name
            print(f"fetch: {exc}", file=sys.stderr)
            return 2
        except DownloadError as exc:
            # One sentence, not a chain of tracebacks: the usual cause is simply being offline.
            print(f"fetch: {exc} Without the corpora, loaders and corpus notebooks cannot run; retry "
                  f"when online, or set OMOTENASHI_DATA to a folder that holds them.", file=sys.stderr)
            return 1
    print(f"corpora are in {os.path.abspath(root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
