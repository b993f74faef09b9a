"""A whole run: plan shards, skip the completed ones, execute the rest, then write stats and manifest.

The output folder holds the plan (``_plan.json``) and one completion marker per shard
(``_shards/part-NNNNN.done.json``). A re-run with the same config reads the plan back and runs
only the shards without a marker; a different config in the same folder is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import medtrinity
from medtrinity.config import ConfigError, RunConfig
from medtrinity.executors import ShardOutcome, make_executor
from medtrinity.export.manifest import MANIFEST_NAME, write_manifest
from medtrinity.export.run_dedup import JOURNAL_NAME, deduplicate_run, journal_counts
from medtrinity.io.atomic import remove_temporaries, write_atomic, write_json_atomic
from medtrinity.pipeline import MARKER_FOLDER, ShardSpec, build_stages
from medtrinity.preprocess.evaluation_sets import evaluation_hashes
from medtrinity.quality.report import qc_summary, text_summary
from medtrinity.sources import make_reader
from medtrinity.stats import merge_stage_dicts

PLAN_NAME = "_plan.json"
ERRORS_NAME = "_errors.json"


class OutputFolderError(RuntimeError):
    """The output folder belongs to a run with another config."""


def plan_shards(config: RunConfig) -> list[ShardSpec]:
    """Every source's items grouped into numbered shards, in config order."""
    specs: list[ShardSpec] = []
    for source in config.sources:
        reader = make_reader(source, config)
        try:
            items = reader.list_items()
        except FileNotFoundError as error:
            raise ConfigError(f"source {source.name!r}: {error}") from error
        size = reader.items_per_shard()
        for start in range(0, len(items), size):
            specs.append(ShardSpec(len(specs), source.name, tuple(items[start : start + size])))
    return specs


def _items_digest(items: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()[:16]


def load_or_create_plan(config: RunConfig, out_dir: Path, overwrite: bool) -> list[ShardSpec]:
    """Plan the shards and check them against the folder's plan, if any.

    The plan file keeps counts and digests of each shard's items, never the file names
    themselves (names may carry patient identifiers); a resumed run lists the inputs again and
    must find the same items in every shard.
    """
    plan_path = out_dir / PLAN_NAME
    previous = json.loads(plan_path.read_text(encoding="utf-8")) if plan_path.exists() else None
    if previous is not None and previous["config_hash"] != config.config_hash() and not overwrite:
        raise OutputFolderError(
            f"{out_dir} holds a run with config {previous['config_hash']}, not {config.config_hash()}; "
            "use another --out or pass --overwrite to replace it"
        )
    specs = plan_shards(config)
    planned = [
        {"index": spec.index, "source": spec.source, "items": len(spec.items), "digest": _items_digest(spec.items)}
        for spec in specs
    ]
    if previous is not None and previous["config_hash"] == config.config_hash() and not overwrite:
        if previous["shards"] != planned:
            raise OutputFolderError(
                f"the inputs changed since the run in {out_dir} started (different files per shard); "
                "use another --out or pass --overwrite to start again"
            )
        return specs
    for name in ("triplets", "rejects", MARKER_FOLDER):
        shutil.rmtree(out_dir / name, ignore_errors=True)
    for name in (PLAN_NAME, ERRORS_NAME, MANIFEST_NAME, JOURNAL_NAME, "stats.json"):
        (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(
        plan_path,
        {"config_hash": config.config_hash(), "pipeline_version": medtrinity.__version__, "shards": planned},
    )
    return specs


def completed_results(out_dir: Path) -> dict[int, dict]:
    results = {}
    for path in sorted((out_dir / MARKER_FOLDER).glob("part-*.done.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        results[int(result["index"])] = result
    return results


@dataclass
class RunSummary:
    """What a run did, for the CLI's summary and for tests."""

    out_dir: Path
    shards_total: int
    shards_run: int
    shards_skipped: int
    failed: dict[int, str] = field(default_factory=dict)
    triplets: int = 0
    rejects: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.failed


def _add_run_dedup(stages: dict, reasons: dict, per_source: dict, removed: dict) -> None:
    """Fold the run-wide duplicate pass into the per-stage, per-reason and per-source counts."""
    if not removed["removed"]:
        return
    dedup = stages.setdefault("dedup", {"in": 0, "out": 0, "rejected": 0, "reasons": {}, "notes": {}, "seconds": 0.0})
    dedup["rejected"] += removed["removed"]
    dedup["out"] -= removed["removed"]
    for code, count in removed["reasons"].items():
        dedup["reasons"][code] = dedup["reasons"].get(code, 0) + count
        reasons[code] = reasons.get(code, 0) + count
    for source, count in removed["sources"].items():
        totals = per_source.setdefault(source, {"triplets": 0, "rejects": 0})
        totals["triplets"] -= count
        totals["rejects"] += count


def _stage_order(results: dict[int, dict], stages: dict) -> list[str]:
    """Stage names in pipeline order, as the shards recorded it (JSON files keep keys sorted)."""
    recorded = next((r["stage_order"] for r in results.values() if "stage_order" in r), [])
    return [name for name in recorded if name in stages] + sorted(set(stages) - set(recorded))


def write_stats(out_dir: Path, config: RunConfig, specs: list[ShardSpec], seconds: float) -> dict:
    """Merge every completed shard's counts into ``stats.json`` (counts per stage and per reason)."""
    results = completed_results(out_dir)
    stages = merge_stage_dicts([results[index]["stages"] for index in sorted(results)])
    per_source: dict[str, dict[str, int]] = {}
    for index in sorted(results):
        totals = per_source.setdefault(results[index]["source"], {"triplets": 0, "rejects": 0})
        totals["triplets"] += results[index]["triplets"]
        totals["rejects"] += results[index]["rejects"]
    reasons: dict[str, int] = {}
    for values in stages.values():
        for code, count in values["reasons"].items():
            reasons[code] = reasons.get(code, 0) + count
    removed = journal_counts(out_dir)
    _add_run_dedup(stages, reasons, per_source, removed)
    stats = {
        "pipeline_version": medtrinity.__version__,
        "config_hash": config.config_hash(),
        "shards": {"total": len(specs), "completed": len(results)},
        "triplets": sum(r["triplets"] for r in results.values()) - removed["removed"],
        "rejects": sum(r["rejects"] for r in results.values()) + removed["removed"],
        "run_dedup": removed,
        "reject_reasons": dict(sorted(reasons.items())),
        "sources": per_source,
        "stages": stages,
        "stage_order": _stage_order(results, stages),
        "qc": qc_summary(stages),
        "text": text_summary([results[index] for index in sorted(results)]),
        "last_run_seconds": round(seconds, 3),
    }
    write_json_atomic(out_dir / "stats.json", stats)
    return stats


def run_pipeline(
    config: RunConfig,
    out_dir: Path,
    *,
    executor: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    overwrite: bool = False,
    on_shard_done: Callable[[ShardOutcome], None] | None = None,
    on_plan: Callable[[list[ShardSpec], int], None] | None = None,
) -> RunSummary:
    """Run (or resume) the pipeline into ``out_dir``; returns what happened."""
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        build_stages(config)  # unknown backends, missing optional packages: fail now, not once per sample
        evaluation = evaluation_hashes(config.preprocess.evaluation_images)
    except (KeyError, ImportError, ValueError) as error:
        raise ConfigError(str(error).strip("'\"")) from error
    specs = load_or_create_plan(config, out_dir, overwrite)
    remove_temporaries(out_dir)
    write_atomic(out_dir / "config.resolved.yaml", lambda path: path.write_text(config.to_yaml(), encoding="utf-8"))
    done = completed_results(out_dir)
    todo = [spec for spec in specs if spec.index not in done]
    if on_plan is not None:
        on_plan(specs, len(done))
    failed: dict[int, str] = {}
    if todo:
        runner = make_executor(executor, workers, ray_address)
        config_dict = config.model_dump(mode="json")
        for outcome in runner.map([spec.to_dict() for spec in todo], config_dict, str(out_dir)):
            if outcome.error is not None:
                failed[outcome.index] = outcome.error
            if on_shard_done is not None:
                on_shard_done(outcome)
    elapsed = time.perf_counter() - started
    write_json_atomic(out_dir / ERRORS_NAME, {str(index): error for index, error in sorted(failed.items())})
    complete = not failed and len(completed_results(out_dir)) == len(specs)
    settings = config.preprocess
    run_wide = settings.duplicates != "keep" and settings.duplicates_scope == "run"
    if complete and (run_wide or evaluation):
        deduplicate_run(out_dir, settings.near_duplicate_bits if settings.duplicates == "near" else None,
                        evaluation, settings.near_duplicate_bits, duplicates=run_wide)
    stats = write_stats(out_dir, config, specs, elapsed)
    if complete:
        write_manifest(out_dir, medtrinity.__version__, config.config_hash())
    else:
        (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
    return RunSummary(
        out_dir=out_dir,
        shards_total=len(specs),
        shards_run=len(todo) - len(failed),
        shards_skipped=len(done),
        failed=failed,
        triplets=stats["triplets"],
        rejects=stats["rejects"],
        reasons=stats["reject_reasons"],
        seconds=elapsed,
    )


def run_status(out_dir: Path) -> dict:
    """What a folder's run has done and left: shards done, left, failed; counts; reject reasons."""
    out_dir = Path(out_dir)
    plan_path = out_dir / PLAN_NAME
    if not plan_path.exists():
        raise FileNotFoundError(f"{out_dir} holds no medtrinity run (no {PLAN_NAME})")
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    results = completed_results(out_dir)
    errors_path = out_dir / ERRORS_NAME
    errors = json.loads(errors_path.read_text(encoding="utf-8")) if errors_path.exists() else {}
    shards = plan["shards"]
    left = [s for s in shards if s["index"] not in results]
    removed = journal_counts(out_dir)
    reasons: dict[str, int] = dict(removed["reasons"])
    for stages in (r["stages"] for r in results.values()):
        for values in stages.values():
            for code, count in values["reasons"].items():
                reasons[code] = reasons.get(code, 0) + count
    return {
        "out_dir": str(out_dir),
        "config_hash": plan["config_hash"],
        "shards_total": len(shards),
        "shards_done": len(results),
        "shards_left": len(left),
        "left": [{"index": s["index"], "source": s["source"], "items": s["items"]} for s in left],
        "failed": {index: error for index, error in errors.items() if int(index) not in results},
        "triplets": sum(r["triplets"] for r in results.values()) - removed["removed"],
        "rejects": sum(r["rejects"] for r in results.values()) + removed["removed"],
        "reject_reasons": dict(sorted(reasons.items())),
        "manifest": (out_dir / MANIFEST_NAME).exists(),
    }
