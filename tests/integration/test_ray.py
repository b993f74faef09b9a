"""The Ray executor runs the same shard function and writes the same rows as the local one."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from medtrinity.config import load_config
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline

from .helpers import image_mask_source, phantom_source, write_config, write_image_mask_folder

pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'medtrinity[ray]')")


@pytest.mark.ray
def test_local_and_ray_write_the_same_rows(tmp_path):
    folder = write_image_mask_folder(tmp_path / "xray", 8)
    config = load_config(write_config(tmp_path / "run.yaml", [phantom_source(), image_mask_source(folder, 3)]))
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    run_pipeline(config, local, executor="local", workers=2)
    summary = run_pipeline(config, on_ray, executor="ray", workers=2)
    assert summary.complete and summary.shards_run == 5
    assert read_parquet_folder(on_ray / "triplets").equals(read_parquet_folder(local / "triplets"))
    assert read_parquet_folder(on_ray / "rejects").equals(read_parquet_folder(local / "rejects"))
    for part in sorted((local / "triplets").glob("*.parquet")):
        assert (on_ray / "triplets" / part.name).read_bytes() == part.read_bytes()
    import ray

    assert not ray.is_initialized()  # the executor shut its local cluster down
    assert os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER") == "0"


@pytest.mark.ray
def test_cli_joins_an_existing_cluster_and_leaves_it_running(tmp_path):
    import subprocess
    import sys

    import ray

    folder = write_image_mask_folder(tmp_path / "xray", 4, bad=False)
    config = write_config(tmp_path / "run.yaml", [image_mask_source(folder, 2)])
    temp_dir = tempfile.mkdtemp(prefix="mtray-")  # short: Ray's socket paths must stay under 107 bytes
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp_dir, log_to_driver=False)
    try:
        address = ray.get_runtime_context().gcs_address
        assert address.startswith("127.0.0.1:")
        result = subprocess.run(
            [sys.executable, "-m", "medtrinity", "run", str(config), "--out", str(tmp_path / "out"), "--quiet",
             "--executor", "ray", "--ray-address", address],
            capture_output=True, text=True, timeout=240,
        )
        assert result.returncode == 0, result.stderr
        assert "4 triplets and 0 rejects" in result.stdout
        assert ray.is_initialized() and ray.cluster_resources().get("CPU") == 2.0  # still up after the run
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)
