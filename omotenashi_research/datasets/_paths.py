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


def _absolute(path: str | os.PathLike) -> Path:
    # abspath, not resolve(): symlinks are kept as the user wrote them.
    return Path(os.path.abspath(Path(path).expanduser()))


def env_dirs() -> list[Path]:
    """The folders of ``$OMOTENASHI_DATA`` as absolute paths (``~`` expanded, relative ones resolved).

    Resolved here once, against the current directory, so that a relative value such as
    ``../shared/corpora`` names the same folder in errors, hints and in a notebook kernel that runs
    from another directory (``make`` exports the variable already made absolute).

    Examples
    --------
    >>> from omotenashi_research.datasets._paths import env_dirs
    >>> all(d.is_absolute() for d in env_dirs())
    True
    """
    env = os.environ.get(ENV_VAR, "")
    return [_absolute(p) for p in env.split(os.pathsep) if p.strip()]


def data_dirs() -> list[Path]:
    """Folders searched for corpora, in order: each entry of ``$OMOTENASHI_DATA``, then the cache.

    All absolute (see :func:`env_dirs`).
    """
    return [*env_dirs(), _absolute(cache_dir())]


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
    dirs = [_absolute(data_dir)] if data_dir is not None else data_dirs()
    for d in dirs:
        path = d / corpus / relative
        if path.exists():
            return path
    searched = "\n".join(f"  {d / corpus / relative}" for d in dirs)
    raise CorpusNotFoundError(
        f"Corpus {corpus!r} not found (looked for {relative!r} in:\n{searched}\n).\n"
        f"Either point {ENV_VAR} at a folder holding '{corpus}/' (an absolute path, e.g. "
        f"export {ENV_VAR}=/path/to/shared/corpora), or download the original files once with:\n"
        f"  python -m omotenashi_research.datasets.fetch {corpus}\n"
        f"  (in Python: from omotenashi_research.datasets import fetch; fetch('{corpus}'))"
    )
