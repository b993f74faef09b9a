"""A shard runs with the process's older objects frozen out of the garbage collector's scans
(:func:`medtrinity.pipeline.older_objects_frozen`): what the shard writes is unchanged, nothing stays
frozen after it, a caller's own frozen objects are left alone and garbage cycles are still freed."""

from __future__ import annotations

import gc
import weakref

import pyarrow.parquet as pq

from medtrinity import pipeline
from medtrinity.config import parse_config
from medtrinity.datapaths import shared_data_dir
from medtrinity.demo import demo_sources
from medtrinity.pipeline import older_objects_frozen, run_shard
from medtrinity.runner import plan_shards


class _Node:
    """A self-referencing object: only the cycle collector frees it."""

    def __init__(self):
        self.me = self


def _cycle() -> weakref.ref:
    return weakref.ref(_Node())


def test_frozen_only_inside_the_block_and_young_cycles_freed_before():
    assert gc.get_freeze_count() == 0
    young = _cycle()
    with older_objects_frozen(lambda: 0):
        assert young() is None  # collected before the freeze, not frozen with the rest
        assert gc.get_freeze_count() > 0
        made_inside = _cycle()
        gc.collect()  # a collection inside the block still frees the block's own cycles
        assert made_inside() is None
    assert gc.get_freeze_count() == 0


def test_old_cycles_are_freed_once_enough_samples_went_through(monkeypatch):
    monkeypatch.setattr(pipeline, "SAMPLES_PER_FULL_COLLECTION", 100)
    monkeypatch.setattr(pipeline, "_samples_since_full_collection", [0])
    gc.disable()  # no automatic collection: only the block's own collections run
    try:
        node = _Node()
        old = weakref.ref(node)
        gc.collect(1)  # 'node' survives the young collections into the oldest generation ...
        del node  # ... and only then becomes garbage: the freeze below keeps it
        with older_objects_frozen(lambda: 60):
            gc.collect()
            assert old() is not None  # frozen: not scanned inside the block
        assert old() is not None  # 60 samples: no full collection yet
        with older_objects_frozen(lambda: 60):
            pass
        assert old() is None  # 120 >= 100 samples: a full collection after the block freed it
        assert pipeline._samples_since_full_collection == [0]
    finally:
        gc.enable()


def test_a_callers_frozen_objects_stay_frozen():
    """With objects frozen by the caller, the block neither collects, freezes nor unfreezes anything (the
    frozen count itself may fall: frozen objects are still freed by reference counting)."""
    gc.disable()  # no automatic collection: only the block could free the cycle below
    gc.freeze()
    try:
        young = _cycle()
        with older_objects_frozen(lambda: 0):
            assert gc.get_freeze_count() > 0
        assert young() is not None  # not collected: the block left the caller's setting alone
        assert gc.get_freeze_count() > 0  # and did not unfreeze the caller's objects
    finally:
        gc.unfreeze()
        gc.enable()
        gc.collect()


def test_shard_files_are_byte_identical_with_and_without_the_freeze(tmp_path, monkeypatch):
    sources = demo_sources(tmp_path / "inputs", shared_data_dir())
    config = parse_config({"sources": sources, "preprocess": {"duplicates": "exact"}})
    spec = plan_shards(config)[1]  # a shard with rows and rejects
    monkeypatch.setattr(pipeline, "_samples_since_full_collection", [0])
    result = run_shard(spec, config, tmp_path / "frozen")
    assert result["triplets"] > 0 and result["rejects"] > 0
    # rows and rejects both count towards the next full collection
    assert pipeline._samples_since_full_collection == [result["triplets"] + result["rejects"]]

    class _Plain:
        def __init__(self, samples):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(pipeline, "older_objects_frozen", _Plain)
    run_shard(spec, config, tmp_path / "plain")
    frozen_files = sorted(p.relative_to(tmp_path / "frozen") for p in (tmp_path / "frozen").rglob("*.parquet"))
    plain_files = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*.parquet"))
    assert frozen_files == plain_files and frozen_files
    for name in frozen_files:
        assert (tmp_path / "frozen" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name
    assert pq.read_metadata(tmp_path / "frozen" / frozen_files[0]).num_rows > 0
