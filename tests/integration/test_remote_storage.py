"""s3:// and gs:// inputs and outputs against real object-store API servers, subprocesses on 127.0.0.1.

S3: moto's server speaks the S3 REST protocol; s3fs / botocore talk to it over HTTP exactly as to
AWS (endpoint from ``AWS_ENDPOINT_URL_S3``). GCS: ``gcp-storage-emulator`` speaks the GCS JSON API;
gcsfs talks to it over HTTP as to Google (endpoint from ``STORAGE_EMULATOR_HOST``, no credentials).
Each test that takes ``store`` runs once per scheme; the Ray cluster test runs on S3 only (slow).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from medtrinity.config import ConfigError, load_config
from medtrinity.config_check import check_config
from medtrinity.io import remote
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline

from .helpers import LostAfter, write_config
from .remote_store import collection, objects


def test_mirroring_fetches_only_what_changed(store, tmp_path):
    store.fs.mkdir("mirror")
    store.fs.pipe_file("mirror/set/a.txt", b"one")
    store.fs.pipe_file("mirror/set/sub/b.txt", b"two")
    target = tmp_path / "local"
    assert remote.mirror_down(store.url("mirror/set"), target) == 2
    assert (target / "sub" / "b.txt").read_bytes() == b"two"
    assert remote.mirror_down(store.url("mirror/set"), target) == 0  # same sizes and ETags: nothing fetched
    store.fs.pipe_file("mirror/set/a.txt", b"ONE!")
    store.fs.invalidate_cache()
    assert remote.mirror_down(store.url("mirror/set"), target) == 1 and (target / "a.txt").read_bytes() == b"ONE!"
    with pytest.raises(FileNotFoundError, match=store.url("mirror/none")):
        remote.mirror_down(store.url("mirror/none"), tmp_path / "none")


@pytest.mark.parametrize("store", ["gs"], indirect=True)
def test_gcs_urls_of_either_spelling_reach_the_emulator(store, tmp_path):
    """``gs://`` and ``gcs://`` name the same bucket; with ``STORAGE_EMULATOR_HOST`` no credentials are looked up."""
    fs, key = remote.filesystem("gcs://spelling/set/a.txt")
    assert key == "spelling/set/a.txt" and fs.credentials.method == "anon"
    fs.mkdir("spelling")
    fs.pipe_file("spelling/set/a.txt", b"one")
    assert remote.mirror_down("gcs://spelling/set", tmp_path / "alias") == 1
    assert (tmp_path / "alias" / "a.txt").read_bytes() == b"one"
    assert remote.remote_exists("gs://spelling/set/*.txt") and not remote.remote_exists("gs://spelling/none")


def test_url_helpers():
    assert remote.is_remote("s3://b/k") and remote.is_remote("gs://b/k") and not remote.is_remote("/data/s3://x")
    assert remote.glob_root("s3://b/ds/img_*.png") == "s3://b/ds"
    assert remote.glob_root("s3://b/ds/images/") == "s3://b/ds/images"
    assert remote.local_path_for("s3://b/ds/x.nii.gz", Path("/c")) == Path("/c/s3/b/ds/x.nii.gz")
    with pytest.raises(ValueError, match="not a bucket/key URL"):
        remote.local_path_for("s3://b/../etc", Path("/c"))


def test_remote_inputs_give_the_rows_of_the_same_files_read_locally(store, tmp_path):
    local, url = collection(tmp_path, store, "inputs")
    local_config = load_config(write_config(tmp_path / "local.yaml", [local]))
    remote_config = load_config(write_config(tmp_path / "remote.yaml", [url]))
    check_config(remote_config)  # the URLs exist in the store
    local_run = run_pipeline(local_config, tmp_path / "from-local")
    remote_run = run_pipeline(remote_config, tmp_path / "from-store", workers=2)  # each worker mirrors for itself
    assert remote_run.triplets == local_run.triplets == 7 and remote_run.rejects == local_run.rejects == 3
    ours, theirs = read_parquet_folder(tmp_path / "from-store" / "triplets"), read_parquet_folder(
        tmp_path / "from-local" / "triplets")
    assert ours.column("id").to_pylist() == theirs.column("id").to_pylist()  # ids from keys relative to the root
    assert ours.drop_columns(["config_hash"]).equals(theirs.drop_columns(["config_hash"]))
    rejects = read_parquet_folder(tmp_path / "from-store" / "rejects").to_pylist()
    assert sorted(row["source_file"] for row in rejects) == [  # named by their URLs, not the local mirror
        store.url(f"inputs/datasets/xray/images/zz_{name}.png") for name in ("blank", "corrupt", "mismatch")]
    assert all("cache" not in row["reason"] and store.url("inputs/datasets/xray/") in row["reason"] for row in rejects)
    mirrored = Path(os.environ["MEDTRINITY_REMOTE_CACHE"]) / store.scheme / "inputs" / "datasets" / "xray" / "images"
    assert len(list(mirrored.glob("*.png"))) == 10


def test_a_missing_bucket_or_prefix_is_a_config_error_naming_the_url(store, tmp_path):
    _, url = collection(tmp_path, store, "present")
    missing = {**url, "path": store.url("present/datasets/nothing-here")}
    with pytest.raises(ConfigError, match=f"{store.url('present/datasets/nothing-here')} does not exist"):
        check_config(load_config(write_config(tmp_path / "bad.yaml", [missing])))


def test_a_remote_output_holds_the_run_and_resumes_from_another_machine(store, tmp_path):
    from medtrinity.remote_run import run_to_url

    local, url = collection(tmp_path, store, "sources")
    store.fs.mkdir("runs")
    config = load_config(write_config(tmp_path / "remote.yaml", [url]))
    pushed: list[int] = []
    run_url = store.url("runs/first")
    summary = run_to_url(config, run_url, work_dir=tmp_path / "machine-a",
                         on_shard_done=lambda outcome: pushed.append(len(objects(store.fs, run_url))))
    assert summary.triplets == 7 and summary.shards_total == 4
    assert pushed == sorted(pushed) and pushed[0] >= 2  # each shard's part and marker went up as it finished
    stored = objects(store.fs, store.url("runs/first"))
    manifest = json.loads(stored["manifest.json"])
    for entry in manifest["files"]:  # every listed file is in the store, byte for byte
        assert hashlib.sha256(stored[entry["path"]]).hexdigest() == entry["sha256"], entry["path"]
    assert sorted(name for name in stored if name.startswith("_shards/")) == [
        f"_shards/part-0000{index}.done.json" for index in range(4)]
    assert "_remote_pushed.json" not in stored and "_run.lock" not in stored
    local_run = run_pipeline(load_config(write_config(tmp_path / "local.yaml", [local])), tmp_path / "plain")
    assert read_parquet_folder(tmp_path / "machine-a" / "triplets").drop_columns(["config_hash"]).equals(
        read_parquet_folder(tmp_path / "plain" / "triplets").drop_columns(["config_hash"]))
    assert local_run.triplets == 7

    again = run_to_url(config, store.url("runs/first"), work_dir=tmp_path / "machine-b")  # nothing local: pulls
    assert (again.shards_run, again.shards_skipped) == (0, 4)
    after = objects(store.fs, store.url("runs/first"))
    rewritten = {"stats.json", "manifest.json"}  # the resumed run's timing: stats and its checksum change
    assert {name: data for name, data in after.items() if name not in rewritten} == {
        name: data for name, data in stored.items() if name not in rewritten}
    assert json.loads(after["stats.json"])["triplets"] == 7


def test_a_run_killed_after_two_shards_resumes_on_another_machine_from_the_bucket(store, tmp_path):
    from medtrinity.remote_run import run_to_url

    _, url = collection(tmp_path, store, "killed-in")
    store.fs.mkdir("killed-out")
    config = load_config(write_config(tmp_path / "remote.yaml", [url]))
    lost = LostAfter(2)
    with pytest.raises(KeyboardInterrupt):
        run_to_url(config, store.url("killed-out/run"), work_dir=tmp_path / "a", on_shard_done=lost)
    stored = objects(store.fs, store.url("killed-out/run"))
    assert sorted(name for name in stored if name.startswith("_shards/")) == [
        f"_shards/part-{index:05d}.done.json" for index in sorted(lost.done)]  # the two finished shards, pushed
    assert "manifest.json" not in stored
    resumed = run_to_url(config, store.url("killed-out/run"), work_dir=tmp_path / "b")
    assert (resumed.shards_skipped, resumed.shards_run) == (2, 2) and resumed.complete
    assert resumed.triplets == 7 and resumed.rejects == 3
    final = objects(store.fs, store.url("killed-out/run"))
    manifest = json.loads(final["manifest.json"])
    assert all(hashlib.sha256(final[entry["path"]]).hexdigest() == entry["sha256"] for entry in manifest["files"])
    assert len(read_parquet_folder(tmp_path / "b" / "triplets")) == 7


def test_the_cli_runs_into_a_bucket_prefix(store, tmp_path):
    _, url = collection(tmp_path, store, "cli-in")
    store.fs.mkdir("cli-out")
    config = write_config(tmp_path / "remote.yaml", [url])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "medtrinity", "run", str(config), "--out", store.url("cli-out/run"),
                           "--work-dir", str(tmp_path / "work"), "-q"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"7 triplets and 3 rejects in {store.url('cli-out/run')}" in done.stdout
    stored = objects(store.fs, store.url("cli-out/run"))
    assert {"manifest.json", "stats.json", "triplets/part-00000.parquet"} <= set(stored)
    assert json.loads(stored["stats.json"])["triplets"] == 7


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("store", ["s3"], indirect=True)  # one scheme: the cluster is the slow part
def test_a_ray_cluster_reads_s3_inputs_and_writes_an_s3_output(store, tmp_path, monkeypatch):
    """A head and two worker nodes on 127.0.0.1 (``ray.cluster_utils.Cluster``): workers make their readers,
    which mirror the s3:// inputs (on one machine all nodes share the cache folder, so the driver's
    planning already filled it); the run folder goes to s3:// shard by shard; rows equal a local run."""
    for name, value in {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled",
                        "RAY_USAGE_STATS_ENABLED": "0"}.items():
        monkeypatch.setenv(name, value)
    pytest.importorskip("ray", reason="the ray extra is not installed")
    from ray.cluster_utils import Cluster

    from medtrinity.remote_run import run_to_url

    local, url = collection(tmp_path, store, "ray-in")
    store.fs.mkdir("ray-out")
    plain = run_pipeline(load_config(write_config(tmp_path / "local.yaml", [local])), tmp_path / "plain")
    config = load_config(write_config(tmp_path / "remote.yaml", [url]))
    temp_dir = tempfile.mkdtemp(prefix="mts-")  # short: Ray's socket paths must stay under 107 bytes
    os.makedirs(os.path.join(temp_dir, "ray"))
    monkeypatch.setenv("RAY_TMPDIR", temp_dir)
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "temp_dir": temp_dir, "include_dashboard": False})
    try:
        for _ in range(2):
            cluster.add_node(num_cpus=1, temp_dir=temp_dir)
        cluster.wait_for_nodes()
        nodes: list[str] = []
        summary = run_to_url(config, store.url("ray-out/run"), executor="ray", ray_address=cluster.address,
                             work_dir=tmp_path / "work", on_shard_done=lambda outcome: nodes.append(outcome.node))
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert summary.complete and summary.triplets == plain.triplets == 7
    assert len(set(nodes)) == 2  # shards ran on both worker nodes
    stored = objects(store.fs, store.url("ray-out/run"))
    manifest = json.loads(stored["manifest.json"])
    assert all(hashlib.sha256(stored[entry["path"]]).hexdigest() == entry["sha256"] for entry in manifest["files"])
    assert read_parquet_folder(tmp_path / "work" / "triplets").drop_columns(["config_hash"]).equals(
        read_parquet_folder(tmp_path / "plain" / "triplets").drop_columns(["config_hash"]))
