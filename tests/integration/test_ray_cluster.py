"""Ray at cluster scale on this machine: a head and three worker nodes (``ray.cluster_utils.Cluster``,
all on 127.0.0.1). Shards spread over the nodes, one node is killed while shards run, the run
completes on resume (Ray's own retry is switched off here so that the lost shard fails and the
second run redoes exactly the shards without a marker) and the rows equal a local run's, byte for
byte."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from medtrinity.config import load_config
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline

from .helpers import write_config

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'medtrinity[ray]')")
pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.timeout(600)]

CASES = 6


def _ct_cases(shared_data, folder):
    """Six copies of the TotalSegmentator example CT with its labels: six shards (one volume each)."""
    images, labels = folder / "images", folder / "labels"
    images.mkdir(parents=True)
    labels.mkdir()
    source = shared_data / "totalsegmentator"
    for case in range(CASES):
        shutil.copy(source / "example_ct_sm.nii.gz", images / f"case{case}.nii.gz")
        shutil.copy(source / "example_seg.nii.gz", labels / f"case{case}.nii.gz")
    return {"name": "ct", "reader": "nifti", "path": str(images), "labels": str(labels), "modality": "ct",
            "body_part": "abdomen", "label_map": str(source / "label_map_total.json")}


def test_shards_spread_over_nodes_survive_a_killed_node_and_equal_a_local_run(shared_data, tmp_path, monkeypatch):
    from ray.cluster_utils import Cluster

    from medtrinity.executors.ray import RayExecutor

    monkeypatch.setattr(RayExecutor, "max_retries", 0)  # a shard lost with its node fails: the resume redoes it

    config = load_config(write_config(tmp_path / "run.yaml", [_ct_cases(shared_data, tmp_path / "in")]))
    local = tmp_path / "local"
    assert run_pipeline(config, local, executor="local", workers=1).complete

    temp_dir = tempfile.mkdtemp(prefix="mtc-")  # short: Ray's socket paths must stay under 107 bytes
    os.makedirs(os.path.join(temp_dir, "ray"))
    monkeypatch.setenv("RAY_TMPDIR", temp_dir)  # the cluster's address file goes there, not to /tmp/ray
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "temp_dir": temp_dir, "include_dashboard": False})  # the head schedules, workers work
    try:
        workers = [cluster.add_node(num_cpus=1, temp_dir=temp_dir) for _ in range(3)]
        cluster.wait_for_nodes()
        assert cluster.address.startswith("127.0.0.1:")
        outcomes, killed = [], []

        def kill_a_busy_node(outcome) -> None:
            outcomes.append(outcome)
            if not killed and outcome.node is not None:
                victim = next(node for node in workers if node.node_id != outcome.node)
                killed.append(victim.node_id)
                cluster.remove_node(victim, allow_graceful=False)  # its raylet and workers die mid-shard

        out = tmp_path / "cluster"
        first = run_pipeline(config, out, executor="ray", ray_address=cluster.address,
                             on_shard_done=kill_a_busy_node)
        assert killed and len(outcomes) == CASES
        assert all("node" in error.lower() or "died" in error.lower() or "worker" in error.lower()
                   for error in first.failed.values())  # only the killed node's shard may fail
        done_first = [o for o in outcomes if o.error is None]
        assert len({o.node for o in done_first}) >= 2  # shards ran on more than one node
        second = run_pipeline(config, out, executor="ray", ray_address=cluster.address)  # resume
        assert second.complete
        assert second.shards_skipped == len(done_first) and second.shards_run == CASES - len(done_first)
        print(f"first run: {len(done_first)} of {CASES} shards done after the kill "
              f"({len(first.failed)} failed); resume ran {second.shards_run}")
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert read_parquet_folder(out / "triplets").equals(read_parquet_folder(local / "triplets"))
    for part in sorted((local / "triplets").glob("*.parquet")):
        assert (out / "triplets" / part.name).read_bytes() == part.read_bytes()
