"""A run killed before its manifest is still checked: every shard's files against the size and sha256 its
completion marker recorded (status, verify), passes that rewrite parts keep the records true at every step,
and a resumed run redoes a shard whose files changed instead of listing them in its manifest (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrinity.cli import app
from medtrinity.config import load_config
from medtrinity.run_folder import RunFolder
from medtrinity.runner import run_pipeline, run_status

from .helpers import image_mask_source, write_config, write_image_mask_folder


def _killed_run(tmp_path: Path, copies: bool = False) -> tuple[Path, Path]:
    """A run whose last shard and manifest are gone, as a kill -9 before the end leaves it: (out, config)."""
    inputs = write_image_mask_folder(tmp_path / "inputs", 9, bad=True)
    if copies:  # an exact copy in another shard: the run-wide pass rewrites a part
        for folder in ("images", "masks"):
            shutil.copyfile(inputs / folder / "img_000.png", inputs / folder / "img_007_copy.png")
    config = write_config(tmp_path / "run.yaml", [image_mask_source(inputs, 3)])
    out = tmp_path / "out"
    run_pipeline(load_config(config), out)
    folder = RunFolder(out)
    first = min(folder.completed_shards())  # with two workers the first shard may be the one still running
    folder.marker_path(first).unlink()
    folder.part_path(first).unlink()
    folder.remove_manifest()
    return out, config


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_markers_record_what_each_shard_wrote(tmp_path):
    out, _ = _killed_run(tmp_path)
    markers = RunFolder(out).completed_shards()
    assert markers and all("triplets/" + f"part-{i:05d}.parquet" in m["files"] for i, m in markers.items())
    for marker in markers.values():
        for name, record in marker["files"].items():
            assert (out / name).stat().st_size == record["bytes"] and len(record["sha256"]) == 64


def test_status_of_a_killed_run_sees_a_one_byte_change_and_a_missing_part(tmp_path):
    out, _ = _killed_run(tmp_path)
    runner = CliRunner()
    clean = runner.invoke(app, ["status", str(out)])
    assert clean.exit_code == 0 and "not written" in clean.output and run_status(out)["integrity"] == []
    parts = sorted((out / "triplets").glob("part-*.parquet"))
    _flip_one_byte(parts[0])
    status = runner.invoke(app, ["status", str(out)])
    assert status.exit_code == 1 and parts[0].name in status.output and "no manifest yet" in status.output
    parts[1].unlink()
    problems = run_status(out)["integrity"]
    assert len(problems) == 2 and any(parts[1].name in p and "missing" in p for p in problems)


def test_verify_of_a_killed_run_refuses_a_changed_part_and_rewrites_nothing(tmp_path):
    out, _ = _killed_run(tmp_path)
    rejects = sorted((out / "rejects").glob("part-*.parquet"))[-1]  # the bad inputs sort last
    rejects.write_bytes(rejects.read_bytes()[:-40])  # a truncated rejects part
    before = {p: p.read_bytes() for p in sorted(out.rglob("*.parquet"))}
    verify = CliRunner().invoke(app, ["verify", str(out)])
    assert verify.exit_code == 1 and rejects.name in verify.output
    assert {p: p.read_bytes() for p in sorted(out.rglob("*.parquet"))} == before
    assert not (out / "manifest.json").exists()


def test_a_resumed_run_redoes_a_changed_shard_and_ends_clean(tmp_path):
    out, config = _killed_run(tmp_path)
    part = sorted((out / "triplets").glob("part-*.parquet"))[0]
    original = part.read_bytes()
    _flip_one_byte(part)
    summary = run_pipeline(load_config(config), out)
    assert any(part.name in problem for problem in summary.redone_changed)
    assert summary.shards_run == 2  # the killed shard and the changed one
    assert part.read_bytes() == original  # the same rows written again
    folder = RunFolder(out)
    assert folder.check_manifest() == [] and folder.check_markers() == []


def test_the_run_wide_pass_keeps_the_records_true_so_a_clean_folder_stays_clean(tmp_path):
    out, config = _killed_run(tmp_path, copies=True)
    summary = run_pipeline(load_config(config), out)  # finishes; the duplicate pass rewrites a part
    assert summary.rejects >= 1 and json.loads((out / "stats.json").read_text())["run_dedup"]["removed"] == 1
    folder = RunFolder(out)
    folder.remove_manifest()  # as if killed right after the pass
    assert folder.check_markers() == []
    assert CliRunner().invoke(app, ["status", str(out)]).exit_code == 0


def test_a_kill_inside_a_rewrite_leaves_files_that_match_their_marker(tmp_path, monkeypatch):
    """Killed after the marker records the new part but before the rename, and after the rename but before
    the old record is dropped: either way the folder checks clean, and a rerun of the pass converges."""
    out, _ = _killed_run(tmp_path)
    folder = RunFolder(out)
    part = sorted((out / "triplets").glob("part-*.parquet"))[0]
    rows = folder.read_part(part)
    real_replace = os.replace

    def killed_at_rename(source, target):
        if str(target) == str(part):
            raise KeyboardInterrupt("killed before the rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", killed_at_rename)
    with pytest.raises(KeyboardInterrupt):
        folder.rewrite_part(part, rows[1:])
    monkeypatch.setattr(os, "replace", real_replace)
    assert folder.check_markers() == []  # the part still holds the old rows, recorded as "before"
    folder.remove_temporaries()
    folder.rewrite_part(part, rows[1:])
    assert folder.check_markers() == [] and len(folder.read_part(part)) == len(rows) - 1
    _flip_one_byte(part)
    assert [p for p in folder.check_markers() if part.name in p]


def test_markers_without_records_are_checked_by_decoding(tmp_path):
    out, _ = _killed_run(tmp_path)
    folder = RunFolder(out)
    index = min(folder.completed_shards())
    marker = json.loads(folder.marker_path(index).read_text())
    del marker["files"]  # a marker written before files were recorded
    folder.marker_path(index).write_text(json.dumps(marker))
    assert folder.check_markers() == []
    part = folder.part_path(index)
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    [problem] = folder.check_markers()
    assert part.name in problem and "does not decode" in problem


def test_continuation_files_of_a_large_shard_are_recorded_and_checked(tmp_path, monkeypatch):
    from medtrinity.io import parquet as parquet_io

    monkeypatch.setattr(parquet_io, "STREAM_LIMITS",  # every row its own file: part-N_001.parquet ...
                        parquet_io.StreamLimits(row_group_bytes=1, batch_rows=1, row_groups_per_file=1))
    out, _ = _killed_run(tmp_path)
    folder = RunFolder(out)
    continuation = out / "triplets" / "part-00001_001.parquet"
    assert continuation.exists() and "triplets/part-00001_001.parquet" in folder.completed_shards()[1]["files"]
    assert folder.check_markers() == []
    _flip_one_byte(continuation)
    assert [p for p in folder.check_markers() if continuation.name in p]
