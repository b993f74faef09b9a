"""A shard too large for one file continues in part-N_001.parquet ...: the run, its run-wide duplicate
pass, the manifest, verify and the exports see the same rows as with one file per shard."""

from __future__ import annotations

import json

from medtrinity.config import load_config
from medtrinity.io import parquet as parquet_io
from medtrinity.run_folder import RunFolder, read_parquet_folder
from medtrinity.runner import run_pipeline
from medtrinity.verify_run import verify_folder

from .helpers import image_mask_source, write_config, write_folder_with_copies


def _collection(tmp_path):
    folder = write_folder_with_copies(tmp_path / "xray")
    return load_config(write_config(tmp_path / "run.yaml", [image_mask_source(folder, 6)]))


def test_one_row_per_file_gives_the_same_run_as_one_file_per_shard(tmp_path, monkeypatch):
    config = _collection(tmp_path)
    whole, split = tmp_path / "whole", tmp_path / "split"
    run_pipeline(config, whole)
    # every row its own group, every group its own file: shards of 6 rows become 6 files each
    monkeypatch.setattr(parquet_io, "STREAM_LIMITS",
                        parquet_io.StreamLimits(row_group_bytes=1, batch_rows=1, row_groups_per_file=1))
    summary = run_pipeline(config, split)
    names = sorted(path.name for path in (split / "triplets").glob("*.parquet"))
    assert "part-00000_001.parquet" in names and len(names) > len(list((whole / "triplets").glob("*.parquet")))
    assert read_parquet_folder(split / "triplets").equals(read_parquet_folder(whole / "triplets"))
    assert summary.rejects == 2  # the run-wide pass found both copies across shards, in continuation files too
    codes = read_parquet_folder(split / "rejects").column("code").to_pylist()
    assert sorted(codes) == ["duplicate_image", "near_duplicate"]
    assert RunFolder(split).check_manifest() == []
    listed = [entry["path"] for entry in json.loads((split / "manifest.json").read_text())["files"]]
    assert "triplets/part-00000_001.parquet" in listed
    report = verify_folder(split)
    assert report.rows == 9 and RunFolder(split).check_manifest() == []
    before = {path.name: path.read_bytes() for path in sorted(split.rglob("*.parquet"))}
    run_pipeline(config, split)  # a re-run changes nothing
    assert {path.name: path.read_bytes() for path in sorted(split.rglob("*.parquet"))} == before
