"""Execute the notebooks headless, skipping -- with one line each -- those whose corpora are not here.

``make notebooks`` runs ``python -m omotenashi_research.notebooks_runner --fetch notebooks/*.ipynb``.
The notebooks on the bundled sample corpus (or simulated data) always run, offline included; a notebook
listed in :data:`NOTEBOOK_CORPORA` runs only when every corpus it loads is found in ``$OMOTENASHI_DATA``
or the user cache, and otherwise prints one line saying what was skipped and how to get the data.
With ``--fetch`` and no ``$OMOTENASHI_DATA``, missing corpora are downloaded first; when that fails
(offline, mirror down) it says so in one sentence and goes on with what it has.

:data:`NOTEBOOK_CORPORA` is the one list of which notebook needs which corpora: the root ``conftest.py``
uses it to skip the same notebooks under nbval.

Command line::

    python -m omotenashi_research.notebooks_runner [--fetch] [--dry-run] [notebook.ipynb ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from omotenashi_research.datasets._paths import ENV_VAR, data_dirs

__all__ = ["NOTEBOOK_CORPORA", "Plan", "main", "missing_corpora", "plan", "skip_message"]

#: Notebook file name -> corpus folders (as in ``registry.csv``) it loads. Notebooks not listed run on
#: the bundled sample corpus or on simulated data and need nothing.
NOTEBOOK_CORPORA: dict[str, tuple[str, ...]] = {
    "02_japanese_vs_english.ipynb": ("asdc", "jmultiwoz_tc", "taskmaster4", "uss"),
    "03_satisfaction.ipynb": ("uss",),
    "05_kokorochat_empathy.ipynb": ("kokorochat",),
    "06_politeness_across_languages.ipynb": ("multilingual_politeness",),
}

_NBCONVERT_ARGS = (
    "--to", "notebook", "--execute", "--inplace",
    "--ExecutePreprocessor.timeout=1800", "--ExecutePreprocessor.kernel_name=python3",
    "--ExecutePreprocessor.record_timing=False",
)


#: corpus -> (zip, prefix of the registry paths it holds): a layout the loader reads in place of the loose
#: files (the shared corpora hold KokoroChat's 6,589 upstream files as one unchanged zip, see SOURCE.md).
_ZIPPED = {"kokorochat": ("kokorochat_dialogues.zip", "kokorochat_dialogues/")}


def _present(corpus: str, folder: Path) -> bool:
    from omotenashi_research.datasets.fetch import registry

    paths = registry(corpus)["path"]
    if corpus in _ZIPPED and (folder / corpus / _ZIPPED[corpus][0]).is_file():
        paths = paths[~paths.str.startswith(_ZIPPED[corpus][1])]
    return all((folder / corpus / rel).is_file() for rel in paths)


def missing_corpora(corpora: Iterable[str], dirs: Sequence[Path] | None = None) -> list[str]:
    """The corpora of ``corpora`` not complete in any of ``dirs`` (default: ``$OMOTENASHI_DATA``, cache).

    A corpus counts as present when one folder holds every file ``registry.csv`` lists for it (sizes and
    hashes are checked later, by the loaders).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omotenashi_research.notebooks_runner import missing_corpora
    >>> with tempfile.TemporaryDirectory() as d:
    ...     missing_corpora(["uss", "keico"], [pathlib.Path(d)])
    ['uss', 'keico']
    """
    dirs = list(data_dirs() if dirs is None else dirs)
    return [c for c in dict.fromkeys(corpora) if not any(_present(c, d) for d in dirs)]


@dataclass(frozen=True)
class Plan:
    """What to do with one notebook: run it, or skip it because ``missing`` corpora are not here."""

    notebook: Path
    missing: tuple[str, ...]

    @property
    def run(self) -> bool:
        return not self.missing


def plan(notebooks: Iterable[str | os.PathLike], dirs: Sequence[Path] | None = None) -> list[Plan]:
    """One :class:`Plan` per notebook, in the order given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omotenashi_research.notebooks_runner import plan
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [(p.notebook.name, p.run) for p in plan(["00_quickstart.ipynb", "03_satisfaction.ipynb"],
    ...                                             [pathlib.Path(d)])]
    [('00_quickstart.ipynb', True), ('03_satisfaction.ipynb', False)]
    """
    dirs = list(data_dirs() if dirs is None else dirs)
    return [Plan(Path(nb), tuple(missing_corpora(NOTEBOOK_CORPORA.get(Path(nb).name, ()), dirs)))
            for nb in notebooks]


def skip_message(name: str, missing: Sequence[str], dirs: Sequence[Path] | None = None) -> str:
    """The one line printed (and used as the pytest skip reason) for a notebook that cannot run."""
    dirs = list(data_dirs() if dirs is None else dirs)
    looked = ", ".join(str(d) for d in dirs)
    return (f"skipped {name}: needs corpora {', '.join(missing)}, not found in {looked}; get them with "
            f"`python -m omotenashi_research.datasets.fetch {' '.join(missing)}` or set {ENV_VAR} to an "
            f"absolute path holding them")


def _fetch(corpora: Sequence[str]) -> None:
    """Download ``corpora`` into the cache; offline, say so in one sentence and carry on."""
    from omotenashi_research.datasets.fetch import DownloadError, HashMismatchError, fetch

    for corpus in corpora:
        print(f"notebooks: downloading corpus {corpus!r} (once; pinned and SHA-256-checked) ...", flush=True)
        try:
            fetch(corpus, progress=False)
        except (DownloadError, HashMismatchError) as exc:
            print(f"notebooks: could not download the corpora, so the notebooks that need them are skipped "
                  f"({exc})", flush=True)
            return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m omotenashi_research.notebooks_runner", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebooks", nargs="*", help="notebooks to execute (default: notebooks/*.ipynb)")
    parser.add_argument("--fetch", action="store_true",
                        help=f"without ${ENV_VAR}, first download the corpora the notebooks need")
    parser.add_argument("--dry-run", action="store_true", help="only print what would run and what not")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(str(p) for p in Path("notebooks").glob("*.ipynb"))
    plans = plan(notebooks)
    needed = list(dict.fromkeys(c for p in plans for c in p.missing))
    if args.fetch and needed and not os.environ.get(ENV_VAR) and not args.dry_run:
        _fetch(needed)
        plans = plan(notebooks)
    failed: list[str] = []
    for p in plans:
        if not p.run:
            print(skip_message(p.notebook.name, p.missing), flush=True)
            continue
        if args.dry_run:
            print(f"would run {p.notebook}", flush=True)
            continue
        print(f"notebooks: executing {p.notebook} ...", flush=True)
        done = subprocess.run([sys.executable, "-m", "nbconvert", *_NBCONVERT_ARGS, str(p.notebook)],
                              check=False)
        if done.returncode:
            failed.append(str(p.notebook))
    ran = sum(p.run for p in plans)
    skipped = len(plans) - ran
    if args.dry_run:
        print(f"notebooks: {ran} would run, {skipped} skipped for lack of corpora", flush=True)
        return 0
    print(f"notebooks: {ran - len(failed)} executed, {len(failed)} failed, {skipped} skipped for lack of "
          f"corpora", flush=True)
    if failed:
        print(f"notebooks: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
