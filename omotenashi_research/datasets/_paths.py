"""Where corpora live: ``$OMOTENASHI_DATA`` first, then the user cache that ``fetch`` fills."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from omotenashi_research.errors import CorpusNotFoundError

ENV_VAR = "OMOTENASHI_DATA"


def cache_dir() -> Path:
    """The per-user folder that :func:`omotenashi_research.datasets.fetch` downloads into."""
    return Path(platformdirs.user_cache_dir("omotenashi-research")) / "corpora"


def data_dirs() -> list[Path]:
    """Folders searched for corpora, in order: each entry of ``$OMOTENASHI_DATA``, then the cache."""
    env = os.environ.get(ENV_VAR, "")
    dirs = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [*dirs, cache_dir()]


def corpus_file(corpus: str, relative: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Path of one file of a staged corpus (``<data dir>/<corpus>/<relative>``).

    Parameters
    ----------
    corpus : str
        Folder name of the corpus, e.g. ``"uss"``.
    relative : str
        Path inside the corpus folder, as in the upstream repository.
    data_dir : path, optional
        Look only here instead of ``$OMOTENASHI_DATA`` and the cache.

    Raises
    ------
    CorpusNotFoundError
        With the folders searched and the command that downloads the corpus.
    """
    dirs = [Path(data_dir)] if data_dir is not None else data_dirs()
    for d in dirs:
        path = d / corpus / relative
        if path.exists():
            return path
    searched = "\n".join(f"  {d / corpus / relative}" for d in dirs)
    raise CorpusNotFoundError(
        f"Corpus {corpus!r} not found (looked for {relative!r} in:\n{searched}\n).\n"
        f"Either point {ENV_VAR} at a folder holding '{corpus}/' (for example the project's "
        f"shared corpora: export {ENV_VAR}=../shared/corpora), or download the original files "
        f"once with:\n  python -c \"from omotenashi_research.datasets import fetch; fetch('{corpus}')\""
    )
