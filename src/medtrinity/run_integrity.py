"""What each shard marker records of its files, so a run without a manifest yet (killed, or still running)
can still be checked: every part against the size and sha256 its shard recorded when it committed.

A marker's ``files`` maps each output file of the shard (``triplets/part-N``, ``rejects/part-N`` and the
``rejects/dedup-N`` / ``verify-N`` a later pass writes) to ``{"bytes", "sha256"}``. A pass that rewrites a
file records the new state *before* it renames the file into place, keeping the old one as ``before``
until the rename is done, so a kill at any point leaves a file that matches its marker.
Markers written before files were recorded are checked by decoding: the part must read whole and hold
no more rows than its shard wrote.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from medtrinity.io.atomic import TMP_MARK, write_json_atomic
from medtrinity.io.hashes import file_sha256

FILES_KEY = "files"
CHANGED_SINCE_MARKER = "size or checksum differs from what its shard recorded"


def file_record(path: Path) -> dict:
    """Size and sha256 of one file, as a marker records it."""
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def shard_file_records(root: Path, paths: list[Path]) -> dict[str, dict]:
    """``{relative path: record}`` of the files a shard just wrote (those that exist)."""
    return {path.relative_to(root).as_posix(): file_record(path) for path in paths if path.exists()}


def _matches(path: Path, record: dict | None) -> bool:
    if record is None:  # the state before a pass created the file: absent
        return not path.exists()
    return path.exists() and path.stat().st_size == record["bytes"] and file_sha256(path) == record["sha256"]


def replace_recorded(root: Path, marker_path: Path, target: Path, write: Callable[[Path], None]) -> None:
    """Write ``target`` through ``write(staging_path)`` and keep the shard marker's record of it true at every
    step: new record (with the old one as ``before``) first, then the rename, then the old record dropped.

    Without a marker (a part written outside a run) the file is simply written and renamed.
    """
    marker = json.loads(marker_path.read_text(encoding="utf-8")) if marker_path.exists() else None
    staging = target.with_name(f"{target.name}{TMP_MARK}stage")
    write(staging)
    if marker is None:
        os.replace(staging, target)
        return
    key = target.relative_to(root).as_posix()
    files = marker.setdefault(FILES_KEY, {})
    # "before" is what the file holds now (not the old record: an earlier pass may have died mid-rewrite)
    files[key] = {**file_record(staging), "before": file_record(target) if target.exists() else None}
    write_json_atomic(marker_path, marker)
    os.replace(staging, target)
    files[key].pop("before")
    write_json_atomic(marker_path, marker)


def refresh_records(root: Path, marker_path: Path, paths: list[Path]) -> None:
    """Record the current size and checksum of ``paths`` in their shard's marker (files accepted as edited)."""
    if not marker_path.exists():
        return
    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    marker.setdefault(FILES_KEY, {}).update(shard_file_records(root, paths))
    write_json_atomic(marker_path, marker)


def _decodes(path: Path, most_rows: int) -> str | None:
    """Why a part written before markers recorded files is unusable, or None when it reads whole."""
    try:
        rows = pq.read_table(path).num_rows
    except Exception as error:  # noqa: BLE001 - any decoding failure is the finding
        return f"does not decode ({type(error).__name__}: {error})"
    if rows > most_rows:
        return f"holds {rows} rows, more than the {most_rows} its shard wrote"
    return None


def _marker_problems(root: Path, markers: dict[int, dict], part_path: Callable[[int], Path]
                     ) -> list[tuple[int, str]]:
    problems = []
    for index, marker in sorted(markers.items()):
        records = marker.get(FILES_KEY)
        if records is None:
            part = part_path(index)
            reason = _decodes(part, int(marker.get("triplets", 0))) if part.exists() else "missing"
            if reason:
                problems.append((index, f"{part.relative_to(root).as_posix()}: {reason} (shard {index})"))
            continue
        for name, record in sorted(records.items()):
            path = root / name
            if _matches(path, record) or ("before" in record and _matches(path, record["before"])):
                continue
            if not path.exists():
                problems.append((index, f"{name}: recorded by shard {index} but missing"))
            else:
                problems.append((index, f"{name}: {CHANGED_SINCE_MARKER} (shard {index})"))
    return problems


def check_against_markers(root: Path, markers: dict[int, dict], part_path: Callable[[int], Path]) -> list[str]:
    """Problems found comparing each completed shard's files with what its marker recorded.

    ``markers``: shard number -> marker result. A recorded file that is missing or whose size or sha256
    differs is a problem; so is an unrecorded part that does not decode. Parts without a marker belong to
    shards that have not committed (a resumed run redoes them) and are not checked.
    """
    return [problem for _, problem in _marker_problems(root, markers, part_path)]


def redo_changed_shards(folder) -> list[str]:
    """Drop the completion marker of every shard whose files changed since it committed, so that the run
    redoes it instead of listing a changed file in its manifest; returns the problems found."""
    problems = _marker_problems(folder.root, folder.completed_shards(), folder.part_path)
    for index in sorted({index for index, _ in problems}):
        folder.marker_path(index).unlink(missing_ok=True)
    return [problem for _, problem in problems]
