"""Tampering is seen, and one folder has one writer: manifest checks in status and verify, the run lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrinity.cli import app
from medtrinity.config import load_config
from medtrinity.run_lock import LOCK_NAME, RunLock, RunLockedError
from medtrinity.runner import run_pipeline

from .helpers import write_config, write_image_mask_folder


@pytest.fixture
def finished_run(tmp_path) -> Path:
    inputs = write_image_mask_folder(tmp_path / "inputs", 6, bad=False)
    config = write_config(tmp_path / "run.yaml", [
        {"name": "discs", "reader": "image_masks", "path": str(inputs / "images"), "labels": str(inputs / "masks"),
         "label_names": {1: "nodule"}, "files_per_shard": 3, "modality": "xray", "body_part": "chest"}])
    out = tmp_path / "out"
    run_pipeline(load_config(config), out)
    return out


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_status_and_verify_see_a_one_byte_change_and_never_rebless_it(finished_run):
    runner = CliRunner()
    assert runner.invoke(app, ["status", str(finished_run)]).exit_code == 0
    part = sorted((finished_run / "triplets").glob("part-*.parquet"))[0]
    manifest_before = (finished_run / "manifest.json").read_bytes()
    _flip_one_byte(part)
    status = runner.invoke(app, ["status", str(finished_run)])
    assert status.exit_code == 1 and part.name in status.output
    verify = runner.invoke(app, ["verify", str(finished_run)])
    assert verify.exit_code == 1 and part.name in verify.output
    assert (finished_run / "manifest.json").read_bytes() == manifest_before  # not rewritten over the corrupt part


def test_hand_edited_parts_are_refused_unless_accepted_then_recorded(finished_run):
    import pyarrow.parquet as pq

    from medtrinity.io.parquet import write_rows
    from medtrinity.run_folder import RunFolder
    from medtrinity.schema import TRIPLET_SCHEMA
    from medtrinity.verify_run import IntegrityError, verify_folder

    parts = sorted((finished_run / "triplets").glob("part-*.parquet"))
    untouched = {p.name: p.read_bytes() for p in parts[1:]}
    rows = pq.read_table(parts[0]).to_pylist()
    rows[0]["description_text"] = "A chest radiograph showing a 90 mm mass in the left femur."
    write_rows(parts[0], rows, TRIPLET_SCHEMA)  # an edit by hand: now the manifest disagrees
    with pytest.raises(IntegrityError) as error:
        verify_folder(finished_run)
    assert parts[0].name in str(error.value)
    report = verify_folder(finished_run, accept_changes=True)
    assert report.changed >= 1 and RunFolder(finished_run).check_manifest() == []
    assert {p.name: p.read_bytes() for p in parts[1:]} == untouched


def test_a_second_run_into_a_locked_folder_is_refused_and_overwrite_too(finished_run, tmp_path):
    config = load_config(tmp_path / "run.yaml")
    with RunLock(finished_run, "run"):
        owner = json.loads((finished_run / LOCK_NAME).read_text())
        assert owner["pid"] == os.getpid() and owner["host"]
        with pytest.raises(RunLockedError, match=f"pid {os.getpid()}"):
            run_pipeline(config, finished_run)
        with pytest.raises(RunLockedError):
            run_pipeline(config, finished_run, overwrite=True)
        result = CliRunner().invoke(app, ["run", str(tmp_path / "run.yaml"), "--out", str(finished_run), "-q",
                                          "--overwrite"])
        assert result.exit_code == 2 and "in use" in result.output
    assert not (finished_run / LOCK_NAME).exists()
    assert (finished_run / "manifest.json").exists()  # the refused overwrite deleted nothing


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from medtrinity.run_lock import RunLock; RunLock(sys.argv[1]).acquire(); "
        "print('held', flush=True); time.sleep(60)"), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"pid {holder.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert (tmp_path / LOCK_NAME).exists()  # kill -9 leaves the file
    lock = RunLock(tmp_path).acquire()
    assert lock.stale_owner is not None and lock.stale_owner["pid"] == holder.pid and not lock.stale_owner["alive"]
    lock.release()
