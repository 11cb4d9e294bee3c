"""The bundled sample corpus: 48 short, invented Japanese and English service dialogues.

Written for teaching and tests (see ``data/sample/DATA_CARD.md``); not real customer data, and the
satisfaction ratings are illustrative. The files live in the repository's top-level ``data/sample/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from omotenashi_research.errors import OmotenashiError
from omotenashi_research.io import read_transcripts

__all__ = ["DOMAINS", "LABELS", "LANGS", "load_sample", "load_sample_labels", "sample_dir"]

LANGS: tuple[str, ...] = ("ja", "en")
DOMAINS: tuple[str, ...] = ("hotel", "restaurant", "retail", "support")
# Hand labels of agent utterances (0/1), keyed by (dialogue_id, turn); definitions in the data card.
LABELS: tuple[str, ...] = (
    "anticipation", "ownership", "deflection", "personalization", "empathy", "apology", "gratitude",
)


class SampleDataNotFoundError(OmotenashiError, FileNotFoundError):
    """The sample files are not next to the package (e.g. installed from a wheel, not a clone)."""


def sample_dir() -> Path:
    """Folder holding ``dialogues.jsonl``, ``labels.csv`` and the data card.

    Raises
    ------
    SampleDataNotFoundError
        When the folder is missing: the sample ships with the repository, not inside the package.
    """
    # The sample sits in the repository's data/ (not package data): a clone or editable install has it.
    folder = Path(__file__).resolve().parents[2] / "data" / "sample"
    if not (folder / "dialogues.jsonl").is_file():
        raise SampleDataNotFoundError(
            f"The sample corpus was not found at {folder}. It ships with the omotenashi-research "
            "repository (data/sample/), not inside the installed package: work from a clone with "
            "`pip install -e .` (what `make setup` does)."
        )
    return folder


def _choose(df: pd.DataFrame, column: str, wanted: str | Sequence[str] | None, known: Sequence[str]):
    if wanted is None:
        return df
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(f"{column} must be among {list(known)}; got {unknown}")
    return df[df[column].isin(wanted)]


def load_sample(
    lang: str | Sequence[str] | None = None, domain: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Load the invented bilingual sample corpus as a validated utterance table.

    Parameters
    ----------
    lang : str or sequence of str, optional
        ``"ja"``, ``"en"`` or both (default: both).
    domain : str or sequence of str, optional
        Among ``"hotel"``, ``"restaurant"``, ``"retail"``, ``"support"`` (default: all).

    Returns
    -------
    pandas.DataFrame
        Schema columns (``corpus`` is ``"sample"``) plus ``domain``, ``sat_dialogue`` (illustrative 1-5,
        every row) and ``sat_turn`` (on customer turns of some dialogues, else NA); index 0..n-1.

    Raises
    ------
    SampleDataNotFoundError
        When the repository's ``data/sample/`` is not there.
    TranscriptValidationError
        If the file was edited into an invalid state.

    Examples
    --------
    >>> from omotenashi_research.datasets.sample import load_sample
    >>> utts = load_sample(lang="ja", domain="hotel")
    >>> utts["dialogue_id"].nunique(), sorted(utts["role"].unique())
    (6, ['agent', 'customer'])
    """
    df = read_transcripts(sample_dir() / "dialogues.jsonl", corpus="sample")
    df = _choose(df, "lang", lang, LANGS)
    df = _choose(df, "domain", domain, DOMAINS)
    return df.reset_index(drop=True)


def load_sample_labels() -> pd.DataFrame:
    """Hand labels of the sample's agent utterances: one row per (dialogue_id, turn), 0/1 per label.

    Returns
    -------
    pandas.DataFrame
        ``dialogue_id``, ``turn`` and the :data:`LABELS` columns (int). Join to :func:`load_sample`
        on ``("dialogue_id", "turn")``.

    Examples
    --------
    >>> from omotenashi_research.datasets.sample import load_sample_labels
    >>> labels = load_sample_labels()
    >>> int(labels.set_index(["dialogue_id", "turn"]).loc[("en-hotel-02", 1), "deflection"])
    1
    """
    path = sample_dir() / "labels.csv"
    labels = pd.read_csv(path, dtype={"dialogue_id": str})
    expected = ["dialogue_id", "turn", *LABELS]
    if list(labels.columns) != expected:
        raise ValueError(f"{path}: columns must be {expected}, got {list(labels.columns)}")
    bad = ~labels[list(LABELS)].isin([0, 1]).all(axis=1)
    if bad.any():
        lines = (labels.index[bad] + 2).tolist()  # header is line 1
        raise ValueError(f"{path}: labels must be 0 or 1; see line(s) {lines}")
    return labels
