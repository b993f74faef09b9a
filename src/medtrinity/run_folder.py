"""The one owner of a run's output folder: every path in it, and every operation that changes it.

Layout (all names relative to the folder)::

    triplets/part-NNNNN.parquet        rows of shard N (rewritten only by the run-wide passes); a shard
                                       too big for one file continues in part-NNNNN_001.parquet, ...
    rejects/part-NNNNN.parquet         rejects of shard N
    rejects/dedup-NNNNN.parquet        rows of part N removed by the run-wide duplicate pass
    rejects/verify-NNNNN.parquet       rows of part N moved by ``medtrinity verify --mode reject``
    _shards/part-NNNNN.done.json       shard N's completion marker (written last)
    _plan.json                         the shard plan: config hash, item counts and digests (no file names)
    _errors.json                       shards that failed in the last run
    _dedup.json, _verify.json          journals of rows removed after the shards were written
    _cache/                            request caches of model backends
    config.resolved.yaml, stats.json, manifest.json

Writers go through a temporary name and a rename (:mod:`medtrinity.io.atomic`), so a killed run
never leaves half a file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from medtrinity.io.atomic import remove_temporaries, write_atomic, write_json_atomic
from medtrinity.io.hashes import file_sha256
from medtrinity.io.parquet import continuations, stream_rows, write_filtered, write_rows
from medtrinity.quality.report import qc_summary, text_summary
from medtrinity.run_integrity import (
    FILES_KEY,
    check_against_markers,
    refresh_records,
    replace_recorded,
    shard_file_records,
)
from medtrinity.run_lock import RunLock, lock_owner
from medtrinity.schema import REJECT_SCHEMA, TRIPLET_SCHEMA
from medtrinity.stats import StageStats, merge_stages

TRIPLETS = "triplets"
REJECTS = "rejects"
MARKER_FOLDER = "_shards"
PLAN_NAME = "_plan.json"
ERRORS_NAME = "_errors.json"
DEDUP_JOURNAL_NAME = "_dedup.json"
VERIFY_JOURNAL_NAME = "_verify.json"
CACHE_FOLDER = "_cache"
CONFIG_NAME = "config.resolved.yaml"
STATS_NAME = "stats.json"
MANIFEST_NAME = "manifest.json"
REMOVAL_PASSES = ("dedup", "verify")  # passes that remove written rows after the shards, each with a journal
LISTED_FOLDERS = (TRIPLETS, REJECTS)
CHANGED = "size or checksum differs from the manifest"
LISTED_FILES = (STATS_NAME, CONFIG_NAME)


T = TypeVar("T")


def part_name(index: int) -> str:
    """``part-00007.parquet`` for shard 7."""
    return f"part-{index:05d}.parquet"


def part_index(path: Path) -> int:
    """The shard number in a part file's name (``part-00007.parquet``, ``part-00007_001.parquet``,
    ``dedup-00007.parquet`` -> 7)."""
    digits = path.stem.split("-")[1].split("_")[0]
    if not digits.isdigit():
        raise ValueError(f"{path.name}: not a part file name (expected part-NNNNN.parquet)")
    return int(digits)


class RunFolder:
    """A run's output folder: paths, shard commits, part rewrites, journals, stats and the manifest."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    # paths ---------------------------------------------------------------------------------------
    @property
    def triplets_dir(self) -> Path:
        return self.root / TRIPLETS

    @property
    def rejects_dir(self) -> Path:
        return self.root / REJECTS

    @property
    def plan_path(self) -> Path:
        return self.root / PLAN_NAME

    @property
    def errors_path(self) -> Path:
        return self.root / ERRORS_NAME

    @property
    def stats_path(self) -> Path:
        return self.root / STATS_NAME

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def cache_dir(self) -> Path:
        """Where model backends keep request caches (``_cache/llm`` ...)."""
        return self.root / CACHE_FOLDER

    def part_path(self, index: int) -> Path:
        return self.triplets_dir / part_name(index)

    def rejects_path(self, index: int, kind: str = "part") -> Path:
        """``rejects/part-N`` (the shard's own), ``dedup-N`` or ``verify-N`` (removed later from part N)."""
        return self.rejects_dir / f"{kind}-{index:05d}.parquet"

    def shard_parts(self, index: int) -> list[Path]:
        """Shard ``index``'s triplet files that exist: its part file, then its continuations (large shards)."""
        first = self.part_path(index)
        return ([first] if first.exists() else []) + continuations(first)

    def marker_path(self, index: int) -> Path:
        return self.root / MARKER_FOLDER / f"part-{index:05d}.done.json"

    def triplet_parts(self) -> list[Path]:
        """Every triplet part file, in shard order."""
        return sorted(self.triplets_dir.glob("part-*.parquet"))

    def output_files(self) -> list[Path]:
        """The files the manifest lists: stats, resolved config, every Parquet file."""
        files = [self.root / name for name in LISTED_FILES if (self.root / name).exists()]
        for folder in LISTED_FOLDERS:
            files.extend(sorted((self.root / folder).glob("*.parquet")))
        return files

    # plan, markers, errors ---------------------------------------------------------------------
    def read_plan(self) -> dict | None:
        return _read_json(self.plan_path)

    def start_over(self, plan: dict) -> None:
        """Remove every output of an earlier run and write a new plan."""
        for name in (TRIPLETS, REJECTS, MARKER_FOLDER):
            shutil.rmtree(self.root / name, ignore_errors=True)
        for name in (PLAN_NAME, ERRORS_NAME, MANIFEST_NAME, DEDUP_JOURNAL_NAME, VERIFY_JOURNAL_NAME, STATS_NAME):
            (self.root / name).unlink(missing_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.plan_path, plan)

    def remove_temporaries(self) -> int:
        """Delete leftovers of killed writes; returns how many."""
        return remove_temporaries(self.root)

    def write_config(self, text: str) -> None:
        write_atomic(self.config_path, lambda path: path.write_text(text, encoding="utf-8"))

    def stream_part(self, index: int, produce: Callable[[Callable[[dict], None]], T]) -> T:
        """Stream shard ``index``'s triplet rows to its part file(s) while ``produce`` makes them (row groups,
        renamed into place when ``produce`` returns); returns what ``produce`` returns."""
        return stream_rows(self.part_path(index), TRIPLET_SCHEMA, produce)

    def commit_shard(self, index: int, rows: list[dict] | None, reject_rows: list[dict], result: dict) -> None:
        """Write shard ``index``'s triplets (``None``: already streamed by :meth:`stream_part`), its rejects
        (if any), then its completion marker (the last step)."""
        if rows is not None:
            write_rows(self.part_path(index), rows, TRIPLET_SCHEMA)
        if reject_rows:
            write_rows(self.rejects_path(index), reject_rows, REJECT_SCHEMA)
        # size and sha256 of what the shard wrote: status and verify check them before a manifest exists
        result[FILES_KEY] = shard_file_records(self.root, [*self.shard_parts(index), self.rejects_path(index)])
        write_json_atomic(self.marker_path(index), result)

    def completed_shards(self) -> dict[int, dict]:
        """Shard number -> its marker's result, for every shard with a marker."""
        results = {}
        for path in sorted((self.root / MARKER_FOLDER).glob("part-*.done.json")):
            result = json.loads(path.read_text(encoding="utf-8"))
            results[int(result["index"])] = result
        return results

    def write_errors(self, failed: dict[int, str]) -> None:
        write_json_atomic(self.errors_path, {str(index): error for index, error in sorted(failed.items())})

    def read_errors(self) -> dict[str, str]:
        return _read_json(self.errors_path) or {}

    # parts ---------------------------------------------------------------------------------------
    def read_part(self, path: Path, columns: list[str] | None = None) -> list[dict]:
        return pq.read_table(path, columns=columns).to_pylist()

    def rewrite_part(self, path: Path, rows: list[dict]) -> None:
        """Replace a triplet part with ``rows`` (atomically; the schema stays the run's; its marker's record
        of the file follows)."""
        replace_recorded(self.root, self.marker_path(part_index(path)), path,
                         lambda target: write_rows(target, rows, TRIPLET_SCHEMA))

    def drop_rows(self, path: Path, ids: set[str]) -> bool:
        """Rewrite a triplet part without the rows whose id is in ``ids``, a row group at a time (memory holds
        one group, not the part); False, and nothing written, when the part holds none of them."""
        wanted = pa.array(sorted(ids), pa.string())
        if not pc.any(pc.is_in(pq.read_table(path, columns=["id"])["id"], value_set=wanted)).as_py():
            return False

        def keep(group: pa.Table) -> pa.Array:
            return pc.invert(pc.is_in(group["id"], value_set=wanted))

        # written and synced to disk under a temporary name, then recorded and moved into place
        replace_recorded(self.root, self.marker_path(part_index(path)), path, lambda target: write_atomic(
            target, lambda temporary: write_filtered(temporary, path, TRIPLET_SCHEMA, keep)))
        return True

    def write_removed(self, index: int, kind: str, reject_rows: list[dict]) -> Path:
        """Write the reject rows of part ``index`` removed by a later pass (``dedup`` or ``verify``)."""
        path = self.rejects_path(index, kind)
        replace_recorded(self.root, self.marker_path(index), path,
                         lambda target: write_rows(target, reject_rows, REJECT_SCHEMA))
        return path

    def read_removed(self, index: int, kind: str) -> list[dict]:
        """The reject rows a later pass already removed from part ``index`` (none when it has not)."""
        path = self.rejects_path(index, kind)
        return pq.read_table(path).to_pylist() if path.exists() else []

    def read_table(self, folder: str) -> pa.Table:
        """All Parquet files of ``triplets`` or ``rejects`` as one table, in file order."""
        return read_parquet_folder(self.root / folder)

    # journals ------------------------------------------------------------------------------------
    def read_journal(self, kind: str) -> dict[str, dict]:
        """Rows removed after the shards were written: id -> record (``kind`` is ``dedup`` or ``verify``)."""
        value = _read_json(self._journal_path(kind))
        return value["removed"] if value else {}

    def write_journal(self, kind: str, removed: dict[str, dict]) -> None:
        write_json_atomic(self._journal_path(kind), {"removed": dict(sorted(removed.items()))})

    def removed_counts(self, kind: str) -> dict:
        """What a journal removed: total, per reason code and per source (zeros when the pass has not run)."""
        reasons: dict[str, int] = {}
        sources: dict[str, int] = {}
        journal = self.read_journal(kind)
        for record in journal.values():
            reasons[record["code"]] = reasons.get(record["code"], 0) + 1
            sources[record["source"]] = sources.get(record["source"], 0) + 1
        return {"removed": len(journal), "reasons": dict(sorted(reasons.items())),
                "sources": dict(sorted(sources.items()))}

    def _journal_path(self, kind: str) -> Path:
        names = {"dedup": DEDUP_JOURNAL_NAME, "verify": VERIFY_JOURNAL_NAME}
        if kind not in names:
            raise ValueError(f"unknown journal {kind!r}; expected one of {sorted(names)}")
        return self.root / names[kind]

    # stats and manifest --------------------------------------------------------------------------
    def read_stats(self) -> dict:
        return _read_json(self.stats_path) or {}

    def write_stats(self, stats: dict) -> None:
        write_json_atomic(self.stats_path, stats)

    def refresh_stats(self, shards_total: int | None = None, **fields) -> dict:
        """Recount ``stats.json`` from the shard markers and the removal journals; other fields are kept or set.

        ``shards_total`` defaults to the plan's shard count. This is the one place the counts are built.
        """
        if shards_total is None:
            plan = self.read_plan()
            shards_total = len(plan["shards"]) if plan else len(self.completed_shards())
        stats = {**self.read_stats(), **fields, **collect_stats(self, shards_total)}
        self.write_stats(stats)
        return stats

    def has_manifest(self) -> bool:
        return self.manifest_path.exists()

    def write_manifest(self, pipeline_version: str, config_hash: str) -> Path:
        """List every output file with size and sha256; written last, after all shards completed.

        A file its shard marker recorded (settled, same size) takes the recorded checksum instead of being
        hashed again, so a run hashes each part once; a file changed since its shard recorded it therefore
        shows as changed in the manifest's own check rather than being blessed.
        """
        recorded = {name: record for marker in self.completed_shards().values()
                    for name, record in (marker.get(FILES_KEY) or {}).items() if record and "before" not in record}
        entries = []
        for path in self.output_files():
            name, size = path.relative_to(self.root).as_posix(), path.stat().st_size
            record = recorded.get(name)
            digest = record["sha256"] if record and record["bytes"] == size else file_sha256(path)
            entries.append({"path": name, "bytes": size, "sha256": digest})
        write_json_atomic(self.manifest_path,
                          {"pipeline_version": pipeline_version, "config_hash": config_hash, "files": entries})
        return self.manifest_path

    def refresh_manifest(self) -> None:
        """Write the manifest again (after a part changed) if the run has one; keeps its version and hash."""
        previous = _read_json(self.manifest_path)
        if previous is not None:
            self.write_manifest(previous.get("pipeline_version", ""), previous.get("config_hash", ""))

    def update_manifest(self, rewritten: list[str]) -> None:
        """Refresh size and checksum of the files just rewritten (relative paths); other entries stay as they were,
        so a part changed by someone else is never re-blessed."""
        manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        wanted = set(rewritten)
        for entry in manifest["files"]:
            if entry["path"] in wanted:
                target = self.root / entry["path"]
                entry["bytes"], entry["sha256"] = target.stat().st_size, file_sha256(target)
        listed = {entry["path"] for entry in manifest["files"]}
        for name in sorted(wanted - listed):  # a file a removal pass created (rejects/verify-N)
            target = self.root / name
            if target.exists():
                manifest["files"].append({"path": name, "bytes": target.stat().st_size, "sha256": file_sha256(target)})
        write_json_atomic(self.manifest_path, manifest)

    # one writer --------------------------------------------------------------------------------
    def lock(self, purpose: str = "run") -> RunLock:
        """The folder's lock (``with folder.lock("run"):``); raises RunLockedError while another process holds it."""
        return RunLock(self.root, purpose)

    def lock_owner(self) -> dict | None:
        """Pid, host and purpose of the live process holding the folder, or None."""
        return lock_owner(self.root)

    def remove_manifest(self) -> None:
        self.manifest_path.unlink(missing_ok=True)

    def check_markers(self) -> list[str]:
        """Problems found comparing each completed shard's files with the sizes and checksums its marker recorded
        (what can be checked before the manifest is written: a killed or running run)."""
        return check_against_markers(self.root, self.completed_shards(), self.part_path)

    def record_files(self, relative_paths: list[str]) -> None:
        """Record the current size and checksum of files (accepted as edited on purpose) in their shards' markers."""
        for name in relative_paths:
            path = self.root / name
            if path.suffix == ".parquet" and path.parent.name in LISTED_FOLDERS:
                refresh_records(self.root, self.marker_path(part_index(path)), [path])

    def check_manifest(self) -> list[str]:
        """Problems found comparing the manifest with the folder: missing, changed or unlisted files."""
        manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        problems = []
        listed = set()
        for entry in manifest["files"]:
            path = self.root / entry["path"]
            listed.add(path)
            if not path.exists():
                problems.append(f"{entry['path']}: listed in the manifest but missing")
            elif path.stat().st_size != entry["bytes"] or file_sha256(path) != entry["sha256"]:
                problems.append(f"{entry['path']}: {CHANGED}")
        for path in self.output_files():
            if path not in listed:
                problems.append(f"{path.relative_to(self.root)}: present but not in the manifest")
        return problems


def _removed_after_shards(folder: RunFolder, stages: dict[str, StageStats], reasons: dict[str, int],
                          per_source: dict[str, dict[str, int]]) -> dict[str, dict]:
    """Fold the rows removed after the shards (run-wide duplicates, verify in reject mode) into the counts."""
    passes = {}
    for kind in REMOVAL_PASSES:
        removed = folder.removed_counts(kind)
        passes[kind] = removed
        for code, count in removed["reasons"].items():
            stages.setdefault(kind, StageStats()).remove_later(code, count)
            reasons[code] = reasons.get(code, 0) + count
        for source, count in removed["sources"].items():
            totals = per_source.setdefault(source, {"triplets": 0, "rejects": 0})
            totals["triplets"] -= count
            totals["rejects"] += count
    return passes


def _stage_order(results: dict[int, dict], stages: dict) -> list[str]:
    """Stage names in pipeline order, as the shards recorded it (JSON files keep keys sorted)."""
    recorded = next((r["stage_order"] for r in results.values() if "stage_order" in r), [])
    return [name for name in recorded if name in stages] + sorted(set(stages) - set(recorded))


def collect_stats(folder: RunFolder, shards_total: int) -> dict:
    """Counts per stage, reason and source from every completed shard and every later removal pass."""
    results = folder.completed_shards()
    ordered = [results[index] for index in sorted(results)]
    stages = merge_stages(result["stages"] for result in ordered)
    per_source: dict[str, dict[str, int]] = {}
    for result in ordered:
        totals = per_source.setdefault(result["source"], {"triplets": 0, "rejects": 0})
        totals["triplets"] += result["triplets"]
        totals["rejects"] += result["rejects"]
    reasons: dict[str, int] = {}
    for values in stages.values():
        for code, count in values.reasons.items():
            reasons[code] = reasons.get(code, 0) + count
    passes = _removed_after_shards(folder, stages, reasons, per_source)
    removed = sum(values["removed"] for values in passes.values())
    stage_dicts = {name: values.to_dict() for name, values in stages.items()}
    return {
        "shards": {"total": shards_total, "completed": len(results)},
        "triplets": sum(r["triplets"] for r in ordered) - removed,
        "rejects": sum(r["rejects"] for r in ordered) + removed,
        "run_dedup": passes["dedup"],
        "verify_removed": passes["verify"],
        "reject_reasons": dict(sorted(reasons.items())),
        "sources": per_source,
        "stages": stage_dicts,
        "stage_order": _stage_order(results, stage_dicts),
        "qc": qc_summary(stage_dicts),
        "text": text_summary(ordered),
    }


def read_parquet_folder(folder: Path) -> pa.Table:
    """All part files of a folder (``triplets`` or ``rejects``) as one table, in file order."""
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return pa.table({})
    return pa.concat_tables([pq.read_table(file) for file in files])


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
