"""A whole run: plan shards, skip the completed ones, execute the rest, then write stats and manifest.

The output folder (:class:`~medtrinity.run_folder.RunFolder`) holds the plan and one completion
marker per shard. A re-run with the same config reads the plan back and runs only the shards
without a marker; a different config in the same folder is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import medtrinity
from medtrinity.config import ConfigError, RunConfig
from medtrinity.config_check import check_config
from medtrinity.executors import ShardOutcome, make_executor
from medtrinity.export.run_dedup import deduplicate_run
from medtrinity.io.hashes import text_digest
from medtrinity.pipeline import ShardSpec, build_stages
from medtrinity.preprocess.evaluation_sets import evaluation_hashes
from medtrinity.run_folder import PLAN_NAME, RunFolder, collect_stats
from medtrinity.run_integrity import redo_changed_shards
from medtrinity.sources import make_reader
from medtrinity.sources.safety import planning_failure


class OutputFolderError(RuntimeError):
    """The output folder belongs to a run with another config."""


def plan_shards(config: RunConfig) -> list[ShardSpec]:
    """Every source's items grouped into numbered shards, in config order."""
    specs: list[ShardSpec] = []
    for source in config.sources:
        reader = make_reader(source, config)
        items = _list_items(reader, source)
        size = reader.items_per_shard()
        for start in range(0, len(items), size):
            specs.append(ShardSpec(len(specs), source.name, tuple(items[start : start + size])))
    return specs


def _list_items(reader, source) -> list[str]:
    """A source's items; a missing input is a config error, a source that cannot be listed one reject item."""
    try:
        items = reader.list_items()
    except FileNotFoundError as error:
        if not source.may_be_empty:
            raise ConfigError(f"source {source.name!r}: {error}; set may_be_empty: true if that is expected") from error
        items = []
    except (ConfigError, ImportError):
        raise
    except Exception as error:  # a corrupt index file (COCO JSON, label table): one reject, other sources go on
        items = [planning_failure(source.path, error, "fix or replace it, or check the source's options")]
    if not items and not source.may_be_empty:
        raise ConfigError(f"source {source.name!r}: no input found at {source.path}; "
                          "set may_be_empty: true if an empty source is expected")
    return items


def load_or_create_plan(config: RunConfig, out_dir: Path, overwrite: bool) -> list[ShardSpec]:
    """Plan the shards and check them against the folder's plan, if any.

    The plan file keeps counts and digests of each shard's items, never the file names
    themselves (names may carry patient identifiers); a resumed run lists the inputs again and
    must find the same items in every shard.
    """
    folder = RunFolder(out_dir)
    previous = folder.read_plan()
    if previous is not None and previous["config_hash"] != config.config_hash() and not overwrite:
        raise OutputFolderError(
            f"{out_dir} holds a run with config {previous['config_hash']}, not {config.config_hash()}; "
            "use another --out or pass --overwrite to replace it"
        )
    specs = plan_shards(config)
    planned = [
        {"index": spec.index, "source": spec.source, "items": len(spec.items), "digest": text_digest(spec.items)}
        for spec in specs
    ]
    if previous is not None and previous["config_hash"] == config.config_hash() and not overwrite:
        if previous["shards"] != planned:
            raise OutputFolderError(
                f"the inputs changed since the run in {out_dir} started (different files per shard); "
                "use another --out or pass --overwrite to start again"
            )
        return specs
    folder.start_over({"config_hash": config.config_hash(), "pipeline_version": medtrinity.__version__,
                       "shards": planned})
    return specs


def completed_results(out_dir: Path) -> dict[int, dict]:
    """Shard number -> marker result of every completed shard."""
    return RunFolder(out_dir).completed_shards()


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
    redone_changed: list[str] = field(default_factory=list)  # files changed since their shard committed: redone

    @property
    def complete(self) -> bool:
        return not self.failed


def write_stats(out_dir: Path, config: RunConfig, specs: list[ShardSpec], seconds: float) -> dict:
    """Merge every completed shard's counts into ``stats.json`` (counts per stage and per reason)."""
    return RunFolder(out_dir).refresh_stats(
        len(specs), pipeline_version=medtrinity.__version__, config_hash=config.config_hash(),
        last_run_seconds=round(seconds, 3),
    )


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
    """Run (or resume) the pipeline into ``out_dir``; returns what happened.

    Names and paths are checked before anything is written; the folder is locked for the whole run, so a
    second run, an ``--overwrite`` or a ``verify`` into it is refused meanwhile.
    """
    check_config(config)
    out_dir = Path(out_dir).resolve()
    with RunFolder(out_dir).lock("run"):
        return _run_locked(config, out_dir, executor, workers, ray_address, overwrite, on_shard_done, on_plan)


def _run_locked(config: RunConfig, out_dir: Path, executor: str, workers: int, ray_address: str | None,
                overwrite: bool, on_shard_done, on_plan) -> RunSummary:
    started = time.perf_counter()
    try:
        build_stages(config)  # unknown backends, missing optional packages: fail now, not once per sample
        evaluation = evaluation_hashes(config.preprocess.evaluation_images)
    except (KeyError, ImportError, ValueError) as error:
        raise ConfigError(str(error).strip("'\"")) from error
    specs = load_or_create_plan(config, out_dir, overwrite)
    folder = RunFolder(out_dir)
    folder.remove_temporaries()
    folder.write_config(config.to_yaml())
    changed = redo_changed_shards(folder)  # a part changed since its shard committed is redone, never re-blessed
    done = folder.completed_shards()
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
    folder.write_errors(failed)
    complete = not failed and len(folder.completed_shards()) == len(specs)
    settings = config.preprocess
    run_wide = settings.duplicates != "keep" and settings.duplicates_scope == "run"
    if complete and (run_wide or evaluation):
        deduplicate_run(out_dir, settings.near_duplicate_bits if settings.duplicates == "near" else None,
                        evaluation, settings.near_duplicate_bits, duplicates=run_wide)
    stats = write_stats(out_dir, config, specs, elapsed)
    if complete:
        folder.write_manifest(medtrinity.__version__, config.config_hash())
    else:
        folder.remove_manifest()
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
        redone_changed=changed,
    )


def run_status(out_dir: Path) -> dict:
    """What a folder's run has done and left: shards done, left, failed; counts; reject reasons."""
    folder = RunFolder(out_dir)
    if folder.read_plan() is None:
        raise FileNotFoundError(f"{out_dir} holds no medtrinity run (no {PLAN_NAME})")
    # every listed file against its size and sha256 in the manifest: changed, missing or unlisted parts;
    # before the manifest exists (a killed or running run), every shard's files against its marker
    integrity = folder.check_manifest() if folder.has_manifest() else folder.check_markers()
    return status_report(folder, str(out_dir), integrity, folder.lock_owner())


def status_report(folder: RunFolder, where: str, integrity: list[str], running: dict | None) -> dict:
    """The status of the run whose plan, markers and journals ``folder`` holds, reported as ``where``
    (a folder, or the object-store URL those files came from); ``integrity`` lists files found changed."""
    plan = folder.read_plan()
    results = folder.completed_shards()
    shards = plan["shards"]
    left = [s for s in shards if s["index"] not in results]
    counts = collect_stats(folder, len(shards))
    return {
        "out_dir": where,
        "config_hash": plan["config_hash"],
        "shards_total": len(shards),
        "shards_done": len(results),
        "shards_left": len(left),
        "left": [{"index": s["index"], "source": s["source"], "items": s["items"]} for s in left],
        "failed": {index: error for index, error in folder.read_errors().items() if int(index) not in results},
        "triplets": counts["triplets"],
        "rejects": counts["rejects"],
        "reject_reasons": counts["reject_reasons"],
        "manifest": folder.has_manifest(),
        "integrity": integrity,
        "running": running,
    }
