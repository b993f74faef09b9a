"""Killing a run with SIGKILL at any moment and running it again gives exactly the clean run's rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from medtrinity.run_folder import RunFolder, read_parquet_folder

from .helpers import image_mask_source, phantom_source, write_config, write_image_mask_folder


def _command(config: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "medtrinity", "run", str(config), "--out", str(out), "--quiet",
            "--workers", str(workers)]


def _run_until_killed(config: Path, out: Path, markers_before_kill: int, workers: int) -> bool:
    """Start a run and SIGKILL it once ``markers_before_kill`` shards are done; False if it finished first."""
    process = subprocess.Popen(_command(config, out, workers), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            done = len(list((out / "_shards").glob("*.done.json"))) if (out / "_shards").exists() else 0
            if done >= markers_before_kill:
                os.killpg(process.pid, signal.SIGKILL)  # the run and its worker processes
                process.wait(timeout=30)
                return True
            time.sleep(0.005)
        raise AssertionError("run did not reach the kill point in 120 s")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _differences(resumed: Path, clean: Path, folder: str) -> str:
    """Where two runs' tables differ (row counts, then the first differing rows per column), and the
    unexpected-failure tracebacks their shard markers kept: what a failure needs to be diagnosed."""
    left, right = read_parquet_folder(resumed / folder), read_parquet_folder(clean / folder)
    lines = [f"{folder}: resumed {left.num_rows} rows, clean {right.num_rows}"]
    if left.num_rows == right.num_rows and left.schema == right.schema:
        for name in right.column_names:
            a, b = left.column(name).to_pylist(), right.column(name).to_pylist()
            rows = [index for index, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
            if rows:
                lines.append(f"  {name}: {len(rows)} rows differ, first {rows[0]}: {str(a[rows[0]])[:200]!r} "
                             f"vs {str(b[rows[0]])[:200]!r}")
    for run in (resumed, clean):
        for index, marker in sorted(RunFolder(run).completed_shards().items()):
            if marker.get("tracebacks"):
                lines.append(f"  {run.name} shard {index} tracebacks: {str(marker['tracebacks'])[:600]}")
    return "\n".join(lines)


def test_kill_minus_9_then_resume_equals_a_clean_run(tmp_path):
    folder = write_image_mask_folder(tmp_path / "xray", 40)
    config = write_config(tmp_path / "run.yaml", [phantom_source(cases=3), image_mask_source(folder, 1)])
    clean = tmp_path / "clean"
    subprocess.run(_command(config, clean, 1), check=True, capture_output=True, timeout=300)

    resumed = tmp_path / "resumed"
    kills = 0
    for markers, workers in ((1, 1), (8, 2), (20, 1), (33, 2)):
        kills += _run_until_killed(config, resumed, markers, workers)
    assert kills >= 2, "the run finished before it could be killed; make the input larger"
    subprocess.run(_command(config, resumed, 2), check=True, capture_output=True, timeout=300)

    for folder in ("triplets", "rejects"):
        assert read_parquet_folder(resumed / folder).equals(read_parquet_folder(clean / folder)), \
            _differences(resumed, clean, folder)
    for name in sorted(p.name for p in (clean / "triplets").glob("*.parquet")):
        assert (resumed / "triplets" / name).read_bytes() == (clean / "triplets" / name).read_bytes()
    assert not list(resumed.rglob("*.tmp-*"))
    assert RunFolder(resumed).check_manifest() == []
