"""Stanford Politeness Corpus: Wikipedia and Stack Exchange requests rated for politeness (ACL 2013).

Each request was rated 1-25 by five crowd workers; ``Normalized Score`` is their z-scored mean. The
paper's binary task labels the top quartile of each domain polite and the bottom quartile impolite.
See ``stanford_politeness/SOURCE.md`` of the staged corpora (research use).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from omotenashi_research.datasets._integrity import checked_file, read_csv
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.schema import validate_sentences

__all__ = ["CORPUS", "DOMAINS", "load_stanford_politeness", "quartile_labels"]

CORPUS = "stanford-politeness"
FOLDER = "stanford_politeness"
DOMAINS: tuple[str, ...] = ("wikipedia", "stack-exchange")
_SCORES = [f"Score{i}" for i in range(1, 6)]
_TURKERS = [f"TurkId{i}" for i in range(1, 6)]
_REQUIRED = ["Community", "Id", "Request", *_SCORES, *_TURKERS, "Normalized Score"]


def quartile_labels(score: pd.Series) -> pd.DataFrame:
    """Quartile (1-4) and the paper's binary label of each score, within the given scores.

    ``polite_label`` is 1 for scores at or above the 75th percentile, 0 at or below the 25th
    (percentiles by linear interpolation, pandas' default), NA in between; ``quartile`` is 1 at or
    below the 25th percentile, 2 up to the median, 3 below the 75th, 4 from it. On the two corpus
    domains this gives 1,089 polite / 1,089 impolite Wikipedia requests and 1,651 / 1,651 Stack Exchange
    requests, the counts of the paper.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.datasets.politeness import quartile_labels
    >>> quartile_labels(pd.Series([0.0, 1.0, 2.0, 3.0, 4.0]))["polite_label"].tolist()
    [0, 0, <NA>, 1, 1]
    """
    q1, q2, q3 = score.quantile([0.25, 0.5, 0.75])
    quartile = np.select([score <= q1, score <= q2, score < q3], [1, 2, 3], default=4)
    label = pd.array(np.where(score >= q3, 1, np.where(score <= q1, 0, -1)), dtype="Int64")
    label[label == -1] = pd.NA
    return pd.DataFrame({"quartile": quartile, "polite_label": label}, index=score.index)


def _bad(source: str, rows, column: str, problem: str, values) -> TranscriptValidationError:
    failures = pd.DataFrame({"source": source, "row": list(rows), "column": column, "problem": problem,
                             "value": list(values)}, dtype=object)
    return TranscriptValidationError(failures, source)


def _read_domain(domain: str, data_dir: str | os.PathLike | None, verify: bool = True) -> pd.DataFrame:
    path = checked_file(FOLDER, f"corpora/{domain}.annotated.csv", data_dir, verify=verify)
    source = str(path)
    raw = read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise _bad(source, [None] * len(missing), "", "required column is missing", missing)
    rows = pd.RangeIndex(1, len(raw) + 1)  # 1-based data rows of the file
    numbers = {}
    for col in [*_SCORES, "Id", "Normalized Score"]:
        num = pd.to_numeric(raw[col], errors="coerce")
        bad = num.isna().to_numpy().copy()
        if col in _SCORES:
            bad |= ~num.between(1, 25).to_numpy()
        if col == "Id":
            bad |= (num != num.round()).to_numpy()
        if bad.any():
            what = "must be a rating 1-25" if col in _SCORES else "must be a number"
            raise _bad(source, rows[bad], col, what, raw.loc[bad, col])
        numbers[col] = num.to_numpy()
    empty = (raw["Request"].str.strip() == "").to_numpy()
    if empty.any():
        raise _bad(source, rows[empty], "Request", "must be non-empty text", raw.loc[empty, "Request"])
    community = raw["Community"].str.replace(r"^\d{6} ", "", regex=True)  # drop the "092011 " dump date
    request_id = numbers["Id"].astype(np.int64)
    if domain == "wikipedia":
        item_id = [f"wikipedia:{i}" for i in request_id]
    else:  # Stack Exchange post ids are per site: 193 ids recur across sites
        item_id = [f"{domain}:{c}:{i}" for c, i in zip(community, request_id, strict=True)]
    out = pd.DataFrame({
        "corpus": CORPUS, "item_id": item_id, "text": raw["Request"], "lang": "en", "domain": domain,
        "community": community, "request_id": request_id, "score": numbers["Normalized Score"],
        "scores": list(zip(*(numbers[c].astype(int).tolist() for c in _SCORES), strict=True)),
        "annotators": list(zip(*(raw[c] for c in _TURKERS), strict=True)),
    })
    out["mean_score"] = np.mean(np.column_stack([numbers[c] for c in _SCORES]), axis=1)
    dup = out["item_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise _bad(source, rows[dup], "Community/Id", "duplicate request id", out.loc[dup, "item_id"])
    return out.join(quartile_labels(out["score"]))


def load_stanford_politeness(
    domains: Sequence[str] = DOMAINS, *, data_dir: str | os.PathLike | None = None, verify: bool = True
) -> pd.DataFrame:
    """Load the annotated requests as a sentence table (4,353 Wikipedia + 6,603 Stack Exchange).

    Parameters
    ----------
    domains : sequence of {"wikipedia", "stack-exchange"}
        Which files to read.
    data_dir : path, optional
        Folder holding ``stanford_politeness/`` (default: ``$OMOTENASHI_DATA``, then the cache).
    verify : bool
        Check each file's size and SHA-256 against ``registry.csv``; a truncated or altered copy raises
        :class:`~omotenashi_research.errors.CorpusIncompleteError`. ``False`` reads it anyway.

    Returns
    -------
    pandas.DataFrame
        Sentence table (``omotenashi_research.schema``): ``item_id`` (``wikipedia:<Id>`` or
        ``stack-exchange:<site>:<Id>``), ``text`` (the request, usually two sentences), ``lang`` ``"en"``;
        ``domain``, ``community`` (site without the ``092011`` dump prefix), ``request_id``, ``score``
        (the corpus's normalized score), ``scores`` (tuple of the five 1-25 ratings), ``annotators``
        (tuple of the five worker ids), ``mean_score`` (raw mean), and per domain ``quartile`` (1-4) and
        ``polite_label`` (1 top quartile, 0 bottom quartile, NA otherwise; see :func:`quartile_labels`).
        Quartiles are always computed over the whole domain.

    Raises
    ------
    CorpusNotFoundError
        When a file is not found (the message says how to fetch it).
    TranscriptValidationError
        Missing columns, ratings outside 1-25, non-numeric cells, empty requests or duplicate ids,
        naming the file and its 1-based data rows.

    Examples
    --------
    >>> from omotenashi_research.datasets.politeness import load_stanford_politeness
    >>> df = load_stanford_politeness()  # doctest: +SKIP
    >>> df.groupby("domain")["polite_label"].value_counts().to_dict()  # doctest: +SKIP
    {('stack-exchange', 0): 1651, ('stack-exchange', 1): 1651, ('wikipedia', 0): 1089, ('wikipedia', 1): 1089}
    """
    if isinstance(domains, str):
        domains = (domains,)
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:
        raise ValueError(f"unknown domain(s) {unknown}; expected a subset of {DOMAINS}")
    df = pd.concat([_read_domain(d, data_dir, verify) for d in domains], ignore_index=True)
    return validate_sentences(df, source=f"{FOLDER}/corpora")
