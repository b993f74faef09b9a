"""RunFolder: the one owner of a run's output folder (paths, commits, journals, stats, manifest)."""

from __future__ import annotations

import json

from medtrinity.quality.textstats import shard_text_stats
from medtrinity.run_folder import RunFolder, part_index
from medtrinity.stats import StageStats


def _triplet(row_id: str, source: str = "s") -> dict:
    return {"id": row_id, "source": source, "image_png": b"\x89PNG", "qc_status": "pass", "description_text": "x"}


def _reject(row_id: str, code: str) -> dict:
    return {"sample_id": row_id, "source": "s", "source_file": "", "stage": "read", "code": code, "reason": code}


def _result(index: int, triplets: int, rejects: int, reason: str | None = None) -> dict:
    read = StageStats(samples_in=triplets + rejects, samples_out=triplets)
    if reason:
        read.rejected, read.reasons = rejects, {reason: rejects}
    dedup = StageStats(samples_in=triplets, samples_out=triplets)
    return {"index": index, "source": "s", "triplets": triplets, "rejects": rejects,
            "stages": {"read": read.to_dict(), "dedup": dedup.to_dict()}, "stage_order": ["read", "dedup"],
            "text": shard_text_stats(["a short text"] * triplets)}


def test_commit_writes_parts_then_the_marker_and_completed_shards_reads_it(tmp_path):
    folder = RunFolder(tmp_path)
    folder.commit_shard(3, [_triplet("a"), _triplet("b")], [_reject("c", "blank_image")],
                        _result(3, 2, 1, "blank_image"))
    assert folder.part_path(3).name == "part-00003.parquet" and part_index(folder.part_path(3)) == 3
    assert [row["id"] for row in folder.read_part(folder.part_path(3))] == ["a", "b"]
    assert folder.read_table("rejects").column("code").to_pylist() == ["blank_image"]
    assert folder.marker_path(3).exists()
    assert list(folder.completed_shards()) == [3]
    folder.commit_shard(4, [_triplet("d")], [], _result(4, 1, 0))
    assert not folder.rejects_path(4).exists()  # no empty reject files
    assert [path.name for path in folder.triplet_parts()] == ["part-00003.parquet", "part-00004.parquet"]


def test_stats_are_recounted_from_markers_and_removal_journals(tmp_path):
    folder = RunFolder(tmp_path)
    folder.start_over({"config_hash": "h", "shards": [{"index": 0}, {"index": 1}, {"index": 2}]})
    folder.commit_shard(0, [_triplet("a"), _triplet("b")], [_reject("c", "blank_image")],
                        _result(0, 2, 1, "blank_image"))
    folder.commit_shard(1, [_triplet("d")], [], _result(1, 1, 0))
    folder.write_journal("dedup", {"d": {"code": "duplicate_image", "part": 1, "position": 0, "source": "s",
                                         "first": "a"}})
    folder.write_journal("verify", {"b": {"code": "modality_mismatch", "part": 0, "source": "s"}})
    stats = folder.refresh_stats(config_hash="h")
    assert stats["shards"] == {"total": 3, "completed": 2}
    assert (stats["triplets"], stats["rejects"]) == (1, 3)
    assert stats["reject_reasons"] == {"blank_image": 1, "duplicate_image": 1, "modality_mismatch": 1}
    assert stats["stages"]["dedup"]["out"] == 2 and stats["stages"]["dedup"]["rejected"] == 1
    assert stats["stages"]["verify"]["reasons"] == {"modality_mismatch": 1}
    assert stats["sources"] == {"s": {"triplets": 1, "rejects": 3}}
    assert stats["config_hash"] == "h"
    assert json.loads(folder.stats_path.read_text()) == stats


def test_manifest_catches_a_changed_a_missing_and_an_unlisted_file(tmp_path):
    folder = RunFolder(tmp_path)
    folder.commit_shard(0, [_triplet("a")], [], _result(0, 1, 0))
    folder.commit_shard(1, [_triplet("b")], [], _result(1, 1, 0))
    folder.refresh_stats(1)
    folder.write_manifest("0.1", "h")
    assert folder.check_manifest() == []
    folder.rewrite_part(folder.part_path(0), [_triplet("a"), _triplet("z")])
    folder.part_path(1).unlink()
    folder.write_removed(0, "verify", [_reject("q", "modality_mismatch")])
    problems = folder.check_manifest()
    assert any("part-00000.parquet: size or checksum differs" in p for p in problems)
    assert any("part-00001.parquet: listed in the manifest but missing" in p for p in problems)
    assert any("verify-00000.parquet: present but not in the manifest" in p for p in problems)
    folder.refresh_manifest()
    assert folder.check_manifest() == []


def test_start_over_clears_every_output_of_an_earlier_run(tmp_path):
    folder = RunFolder(tmp_path)
    folder.commit_shard(0, [_triplet("a")], [_reject("c", "x")], _result(0, 1, 1, "x"))
    folder.write_journal("dedup", {})
    folder.write_errors({2: "boom"})
    folder.refresh_stats(1)
    folder.write_manifest("0.1", "h")
    folder.start_over({"config_hash": "new", "shards": []})
    assert sorted(path.name for path in tmp_path.iterdir()) == ["_plan.json"]
    assert folder.read_plan() == {"config_hash": "new", "shards": []}


def test_manifest_takes_the_checksums_shards_recorded_and_does_not_bless_a_later_change(tmp_path, monkeypatch):
    """Parts are hashed once, when their shard commits; the manifest reuses those records (same size), so a part
    changed between the commit and the manifest shows as changed instead of being listed with its new checksum."""
    from medtrinity import run_folder

    folder = RunFolder(tmp_path)
    folder.commit_shard(0, [_triplet("a")], [_reject("c", "x")], _result(0, 1, 1, "x"))
    folder.commit_shard(1, [_triplet("b")], [], _result(1, 1, 0))
    folder.refresh_stats(2)
    part = folder.part_path(1)
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    part.write_bytes(bytes(data))
    hashed = []
    real_sha256 = run_folder.file_sha256
    monkeypatch.setattr(run_folder, "file_sha256", lambda path: hashed.append(path.name) or real_sha256(path))
    folder.write_manifest("0.1", "h")
    assert hashed == ["stats.json"]  # the three parquet files came from their markers
    monkeypatch.undo()
    assert folder.check_manifest() == ["triplets/part-00001.parquet: size or checksum differs from the manifest"]
