"""Scale feature extraction out with Dask: on this machine's cores or on a cluster.

:func:`extract_features_dask` cuts the utterance table into partitions of **whole dialogues**
(a dialogue is never split, so dialogue-context features are exactly those of one call),
runs :func:`omotenashi_research.features.extract_features` on each partition as a Dask task and
puts the rows back in input order. The result is identical to ``extract_features(utterances,
...)``.

Where the tasks run is Dask's choice of scheduler:

- no ``dask.distributed`` client: Dask's default local scheduler (threads), or the one named by
  ``scheduler=`` (``"processes"``, ``"synchronous"``);
- a :class:`dask.distributed.Client` created before the call (a ``LocalCluster`` on this machine,
  or ``Client("tcp://scheduler:8786")`` for an existing cluster): its workers. Workers need
  ``omotenashi_research`` and the language data installed (the same environment).

spaCy pipelines and matchers load once per worker process and are reused by its tasks, so use
few, large partitions (the default is about 5,000 rows each). Parallelism comes from worker
*processes* (``LocalCluster(n_workers=2, threads_per_worker=1)``, ``scheduler="processes"``):
the Japanese tokenizer is not thread-safe and tokenising holds the GIL, so tasks in one process
run one at a time and Dask's default threaded scheduler gives no speed-up. Install the distributed scheduler
with ``pip install "omotenashi-research[scale]"`` (the ``distributed`` package).
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
import pandas as pd

from omotenashi_research.features import extract_features

__all__ = ["dialogue_partitions", "extract_features_dask"]

_DIALOGUE = ["corpus", "dialogue_id"]


def dialogue_partitions(
    utterances: pd.DataFrame, *, npartitions: int | None = None, partition_rows: int = 5000
) -> list[np.ndarray]:
    """Row positions of each partition; every dialogue's rows fall in exactly one partition.

    Dialogues are assigned in order of first appearance to ``npartitions`` groups of about
    equal row counts (a dialogue is never split, so a partition may hold more rows than its share
    when dialogues are long). Positions within a partition keep the input order.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Needs ``corpus`` and ``dialogue_id``.
    npartitions : int, optional
        Number of partitions; default ``ceil(len(utterances) / partition_rows)``. Never more
        than the number of dialogues.
    partition_rows : int
        Target rows per partition when ``npartitions`` is not given.

    Returns
    -------
    list of numpy.ndarray
        Integer positions (for ``.iloc``), one array per non-empty partition.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scale import dialogue_partitions
    >>> df = pd.DataFrame({"corpus": "c", "dialogue_id": ["a", "a", "b", "c", "c", "c"]})
    >>> [p.tolist() for p in dialogue_partitions(df, npartitions=2)]
    [[0, 1, 2], [3, 4, 5]]
    """
    missing = [c for c in _DIALOGUE if c not in utterances.columns]
    if missing:
        raise KeyError(f"dialogue_partitions: column(s) {missing} not in the table")
    n = len(utterances)
    if n == 0:
        return []
    if npartitions is None:
        if partition_rows < 1:
            raise ValueError(f"partition_rows must be >= 1, got {partition_rows}")
        npartitions = math.ceil(n / partition_rows)
    if npartitions < 1:
        raise ValueError(f"npartitions must be >= 1, got {npartitions}")
    codes = utterances.groupby(_DIALOGUE, sort=False, dropna=False).ngroup().to_numpy()
    sizes = np.bincount(codes)
    starts = np.cumsum(sizes) - sizes  # rows before each dialogue, in first-appearance order
    # A dialogue goes to the partition its middle row falls in: partitions stay near n / npartitions.
    part_of_dialogue = np.minimum((2 * starts + sizes) * npartitions // (2 * n), npartitions - 1)
    part_of_row = part_of_dialogue[codes]
    order = np.argsort(part_of_row, kind="stable")
    bounds = np.cumsum(np.bincount(part_of_row, minlength=npartitions))[:-1]
    return [p for p in np.split(order, bounds) if len(p)]


# SudachiPy's tokenizer (shared by every thread through the cached pipeline) is not thread-safe
# ("RuntimeError: Already borrowed"), and spaCy work holds the GIL anyway: tasks in one process take
# turns. Parallelism comes from processes (LocalCluster workers, scheduler="processes").
_PIPELINE_LOCK = threading.Lock()


def _features_part(
    part: pd.DataFrame, positions: np.ndarray, name: str, kwargs: dict[str, Any]
) -> pd.DataFrame:
    """One task: the feature table of one partition, with the input positions to reorder by."""
    with _PIPELINE_LOCK:
        out = extract_features(part, source=name, **kwargs)
    return out.assign(_pos=positions)


def extract_features_dask(
    utterances: pd.DataFrame,
    *,
    npartitions: int | None = None,
    partition_rows: int = 5000,
    scheduler: Any = None,
    compute: bool = True,
    source: str | None = None,
    **kwargs: Any,
):
    """:func:`~omotenashi_research.features.extract_features` run as Dask tasks over whole dialogues.

    Parameters
    ----------
    utterances : pandas.DataFrame or dask.dataframe.DataFrame
        Utterance table. A Dask DataFrame is first collected into pandas (the partitioning by
        dialogue needs every row's dialogue); for corpora larger than memory, stream with
        :func:`omotenashi_research.features.iter_features` instead.
    npartitions : int, optional
        Number of tasks; default about ``partition_rows`` rows each (see
        :func:`dialogue_partitions`). For speed give each worker a few partitions.
    partition_rows : int
        Target rows per partition when ``npartitions`` is not given.
    scheduler : str or dask.distributed.Client, optional
        Passed to ``dask.compute``. Default: the active distributed ``Client`` if there is one,
        else Dask's default local scheduler.
    compute : bool
        ``True`` (default): return the pandas feature table. ``False``: return a lazy Dask
        DataFrame with one partition per task (rows grouped by partition, keeping the input's
        index labels; not re-sorted).
    source : str, optional
        Name of the data for validation errors (each partition adds ``(partition i)``).
    **kwargs
        Passed to ``extract_features`` (``markers``, ``context``, ``batch_size``, ...).
        ``progress`` is off in tasks.

    Returns
    -------
    pandas.DataFrame or dask.dataframe.DataFrame
        With ``compute=True``, equal to ``extract_features(utterances, **kwargs)``: same rows,
        order, index and dtypes.

    Raises
    ------
    TranscriptValidationError
        From the first partition with invalid rows (rows named by index label).

    Examples
    --------
    >>> from omotenashi_research.datasets import load_sample
    >>> from omotenashi_research.features import extract_features
    >>> from omotenashi_research.scale import extract_features_dask
    >>> utts = load_sample()
    >>> feats = extract_features_dask(utts, npartitions=4, context=True, scheduler="synchronous")
    >>> feats.equals(extract_features(utts, context=True))
    True

    On a cluster (here two local worker processes; for an existing cluster use
    ``Client("tcp://host:8786")``):

    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):  # doctest: +SKIP
    ...     feats = extract_features_dask(utts, npartitions=8)
    """
    import dask

    is_dask = hasattr(utterances, "dask") and hasattr(utterances, "compute")
    if is_dask and not isinstance(utterances, pd.DataFrame):
        utterances = utterances.compute(scheduler=scheduler)
    if not isinstance(utterances, pd.DataFrame):
        raise TypeError(f"extract_features_dask: expected a pandas or Dask DataFrame, got "
                        f"{type(utterances).__name__}")
    kwargs["progress"] = False
    name = source or "utterances"
    parts = dialogue_partitions(utterances, npartitions=npartitions, partition_rows=partition_rows)
    if not parts:
        return extract_features(utterances, source=source, **kwargs)
    tasks = [
        dask.delayed(_features_part, pure=True)(utterances.iloc[pos], pos, f"{name} (partition {i})", kwargs)
        for i, pos in enumerate(parts)
    ]
    if not compute:
        import dask.dataframe as dd

        meta = _features_part(utterances.iloc[parts[0][:1]], parts[0][:1], name, kwargs).iloc[0:0]
        return dd.from_delayed(tasks, meta=meta, verify_meta=False).drop(columns="_pos")
    results = dask.compute(*tasks, scheduler=scheduler)
    out = pd.concat(results)
    # Positional reassembly: correct even when index labels repeat.
    out = out.iloc[np.argsort(out["_pos"].to_numpy(), kind="stable")].drop(columns="_pos")
    return out
