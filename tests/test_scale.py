"""extract_features_dask: partitions of whole dialogues, results identical to extract_features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omotenashi_research.datasets import load_sample
from omotenashi_research.errors import TranscriptValidationError
from omotenashi_research.features import extract_features
from omotenashi_research.scale import dialogue_partitions, extract_features_dask


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def sample_feats_context(sample):
    return extract_features(sample, context=True)


def test_partitions_hold_whole_dialogues_in_input_order():
    df = pd.DataFrame({"corpus": "c", "dialogue_id": ["a", "a", "b", "c", "c", "c", "d"]})
    assert [p.tolist() for p in dialogue_partitions(df, npartitions=2)] == [[0, 1, 2], [3, 4, 5, 6]]
    assert [p.tolist() for p in dialogue_partitions(df, npartitions=3)] == [[0, 1], [2, 3, 4, 5], [6]]
    # more partitions than dialogues: one per dialogue, none empty
    assert [p.tolist() for p in dialogue_partitions(df, npartitions=50)] == [[0, 1], [2], [3, 4, 5], [6]]
    assert [p.tolist() for p in dialogue_partitions(df, partition_rows=100)] == [list(range(7))]
    # a dialogue whose rows are not contiguous is still kept together
    mixed = pd.DataFrame({"corpus": "c", "dialogue_id": ["a", "b", "a", "b", "c", "c"]})
    parts = dialogue_partitions(mixed, npartitions=2)
    assert [p.tolist() for p in parts] == [[0, 2], [1, 3, 4, 5]]
    # the same dialogue_id in two corpora is two dialogues
    two = pd.DataFrame({"corpus": ["x", "x", "y", "y"], "dialogue_id": "d"})
    assert [p.tolist() for p in dialogue_partitions(two, npartitions=2)] == [[0, 1], [2, 3]]
    assert dialogue_partitions(df.iloc[0:0], npartitions=3) == []
    with pytest.raises(ValueError, match="npartitions"):
        dialogue_partitions(df, npartitions=0)


def test_partitions_cover_every_row_once(sample):
    parts = dialogue_partitions(sample, npartitions=7)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(sample)))
    keys = [set(map(tuple, sample.iloc[p][["corpus", "dialogue_id"]].to_numpy())) for p in parts]
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            assert not keys[i] & keys[j]


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_identical_to_one_call_with_context(sample, sample_feats_context, scheduler):
    # "threads" runs Japanese partitions concurrently: SudachiPy must not be entered twice at once
    out = extract_features_dask(sample, npartitions=5, context=True, scheduler=scheduler)
    pd.testing.assert_frame_equal(out, sample_feats_context)


def test_repeated_index_labels_and_shuffled_rows(sample):
    both = pd.concat([sample, sample.assign(corpus="copy")])       # every index label twice
    both = both.iloc[np.random.default_rng(0).permutation(len(both))]  # dialogues interleaved
    out = extract_features_dask(both, npartitions=4, scheduler="synchronous")
    pd.testing.assert_frame_equal(out, extract_features(both))


def test_dask_dataframe_input_and_lazy_output(sample):
    dd = pytest.importorskip("dask.dataframe")
    ref = extract_features(sample)
    out = extract_features_dask(dd.from_pandas(sample, npartitions=3), npartitions=3, scheduler="synchronous")
    pd.testing.assert_frame_equal(out, ref)
    lazy = extract_features_dask(sample, npartitions=3, compute=False)
    assert lazy.npartitions == 3
    got = lazy.compute(scheduler="synchronous").sort_index()
    # Dask may store strings as pyarrow strings: compare values, not string dtypes.
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_invalid_rows_are_named(sample):
    bad = sample.copy()
    bad.loc[5, "text"] = ""
    with pytest.raises(TranscriptValidationError, match=r"my data \(partition \d\)"):
        extract_features_dask(bad, npartitions=3, scheduler="synchronous", source="my data")
    with pytest.raises(TypeError, match="pandas or Dask DataFrame"):
        extract_features_dask([1, 2, 3])


@pytest.mark.slow
def test_local_cluster_two_worker_processes(sample, sample_feats_context):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        as cluster,
        distributed.Client(cluster) as client,
    ):
        out = extract_features_dask(sample, npartitions=6, context=True)   # the active client runs it
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(out, sample_feats_context)
