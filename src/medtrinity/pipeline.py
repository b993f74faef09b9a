"""Stages and the shard runner.

A stage is a name plus a function over one Sample; it raises SampleError for a per-sample
problem, which makes the sample a reject (failures are data). The shard runner reads a
shard's items, chains the stages, writes the shard's Parquet files atomically and then its
completion marker, so that a re-run skips completed shards and redoes the rest exactly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import medtrinity
from medtrinity.config import RunConfig
from medtrinity.export.atomic import write_json_atomic
from medtrinity.export.parquet import write_rejects, write_triplets
from medtrinity.export.png import encode_png
from medtrinity.generation.coarse import coarse_caption
from medtrinity.generation.stage import make_generate
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.grounding.rois import ground_sample
from medtrinity.preprocess.dedup import duplicate_filter
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.quality.stage import make_verify
from medtrinity.quality.textstats import shard_text_stats
from medtrinity.records import Reject, Sample, SampleError, stable_id
from medtrinity.schema import reject_row, triplet_row
from medtrinity.sources import make_reader
from medtrinity.stats import StageStats

MARKER_FOLDER = "_shards"


@dataclass(frozen=True)
class Stage:
    """One named step over a sample.

    A stage with ``run_batch`` (generate, for model backends) is handed up to ``batch_size``
    samples at once and returns, in order, each sample or the exception that rejects it.
    """

    name: str
    run: Callable[[Sample], Sample]
    run_batch: Callable[[list[Sample]], list[Sample | Exception]] | None = None
    batch_size: int = 1


@dataclass(frozen=True)
class ShardSpec:
    """A unit of work: some items of one source, numbered in the run's plan."""

    index: int
    source: str
    items: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"index": self.index, "source": self.source, "items": list(self.items)}

    @classmethod
    def from_dict(cls, value: dict) -> ShardSpec:
        return cls(int(value["index"]), str(value["source"]), tuple(value["items"]))


def marker_path(out_dir: Path, index: int) -> Path:
    return out_dir / MARKER_FOLDER / f"part-{index:05d}.done.json"


def _caption(sample: Sample) -> Sample:
    sample.coarse_caption = coarse_caption(sample)
    return sample


def build_stages(config: RunConfig, out_dir: Path | None = None) -> list[Stage]:
    """The paper's stages in order, configured for this run (``out_dir`` holds a model backend's request cache).

    Called once per shard: stateful stages (the duplicate filter) see exactly one shard's samples.
    """
    from medtrinity.knowledge_stage import make_retrieve

    generate = make_generate(config.generation, out_dir)
    check = make_verify(config.quality, generate.backend, out_dir)

    experts: dict = {}

    def ground(sample: Sample) -> Sample:
        if config.grounding.experts:
            apply_experts(sample, config.grounding.experts, experts, config.grounding.min_expert_confidence)
        return ground_sample(sample, config.grounding)

    duplicates = duplicate_filter(config.preprocess.duplicates, config.preprocess.near_duplicate_bits)
    return [
        Stage("dedup", duplicates if duplicates is not None else (lambda sample: sample)),
        Stage("preprocess", lambda sample: preprocess_sample(sample, config.preprocess)),
        Stage("ground", ground),
        Stage("caption", _caption),
        Stage("retrieve", make_retrieve(config.knowledge)),
        Stage("generate", generate.run, generate.run_batch, generate.batch_size),
        Stage("verify", check.run, check.run_batch, check.batch_size),
    ]


def _samples_of(reader, spec: ShardSpec, stats: StageStats, rejects: list[Reject]) -> Iterator[Sample]:
    for item in spec.items:
        started = time.perf_counter()
        try:
            for sample in reader.read(item):
                stats.seconds += time.perf_counter() - started
                stats.samples_out += 1
                yield sample
                started = time.perf_counter()
        except SampleError as error:
            stats.reject(error.code)
            rejects.append(Reject(stable_id(spec.source, item), spec.source, item, "read", error.code, error.message))
        except Exception as error:  # a reader bug or library failure on one file is still one reject
            stats.reject("read_error")
            rejects.append(
                Reject(stable_id(spec.source, item), spec.source, item, "read", "read_error",
                       f"{item}: {type(error).__name__}: {error}")
            )
        stats.seconds += time.perf_counter() - started
    stats.samples_in = stats.samples_out + stats.rejected


def _stage_reject(stage: str, sample: Sample, error: Exception, counter: StageStats) -> Reject:
    if isinstance(error, SampleError):
        counter.reject(error.code)
        return Reject(sample.id, sample.source, sample.source_file, stage, error.code, error.message)
    counter.reject("stage_error")  # a stage bug on one sample must not sink the shard
    return Reject(sample.id, sample.source, sample.source_file, stage, "stage_error",
                  f"{sample.source_file}: {type(error).__name__}: {error}")


def _run_stage(stage: Stage, chunk: list[tuple[int, Sample]], counter: StageStats,
               rejects: list[tuple[tuple[int, int], Reject]]) -> list[tuple[int, Sample]]:
    """One stage over numbered samples (one by one, or as one batch); the rejected ones leave the list."""
    survivors: list[tuple[int, Sample]] = []
    if stage.run_batch is not None and len(chunk) > 1:
        counter.samples_in += len(chunk)
        notes_before = [len(sample.notes) for _, sample in chunk]
        started = time.perf_counter()
        try:
            results = stage.run_batch([sample for _, sample in chunk])
        except ImportError:  # a missing dependency is the installation's fault, not the samples'
            raise
        except Exception as error:
            results = [error] * len(chunk)
        finally:
            counter.seconds += time.perf_counter() - started
        for (seq, sample), before, result in zip(chunk, notes_before, results, strict=True):
            if isinstance(result, Exception):
                rejects.append(((seq, 0), _stage_reject(stage.name, sample, result, counter)))
                continue
            counter.samples_out += 1
            for note in result.notes[before:]:
                counter.note(note)
            survivors.append((seq, result))
        return survivors
    for seq, sample in chunk:
        counter.samples_in += 1
        started = time.perf_counter()
        try:
            notes_before = len(sample.notes)
            sample = stage.run(sample)
            counter.samples_out += 1
            for note in sample.notes[notes_before:]:
                counter.note(note)
            survivors.append((seq, sample))
        except ImportError:  # a missing dependency is the installation's fault, not the sample's
            raise
        except Exception as error:
            rejects.append(((seq, 0), _stage_reject(stage.name, sample, error, counter)))
        finally:
            counter.seconds += time.perf_counter() - started
    return survivors


def process_shard(spec: ShardSpec, config: RunConfig, out_dir: Path | None = None
                  ) -> tuple[list[dict], list[dict], dict[str, dict]]:
    """Run every stage over one shard in memory: triplet rows, reject rows and per-stage stats.

    Samples go through the stages in chunks of the largest stage ``batch_size`` (1 unless a
    model backend generates in batches), so a batch stage sees many samples at once; rows and
    rejects keep the order of a one-by-one run.
    """
    stages = build_stages(config, out_dir)
    reader = make_reader(config.source(spec.source), config)
    stage_stats = {"read": StageStats(), **{stage.name: StageStats() for stage in stages}, "write": StageStats()}
    read_rejects: list[Reject] = []
    rejects: list[tuple[tuple[int, int], Reject]] = []  # (sample number, -1 read / 0 stage): one-by-one order
    rows: list[dict] = []
    version, config_hash = medtrinity.__version__, config.config_hash()
    chunk_size = max(stage.batch_size for stage in stages)
    chunk: list[tuple[int, Sample]] = []

    def flush() -> None:
        alive = list(chunk)
        chunk.clear()
        for stage in stages:
            if not alive:
                return
            alive = _run_stage(stage, alive, stage_stats[stage.name], rejects)
        for _, sample in alive:
            started = time.perf_counter()
            stage_stats["write"].samples_in += 1
            rows.append(triplet_row(sample, encode_png(sample.image), version, config_hash))
            stage_stats["write"].samples_out += 1
            stage_stats["write"].seconds += time.perf_counter() - started

    seq = 0
    for seq, sample in enumerate(_samples_of(reader, spec, stage_stats["read"], read_rejects)):
        rejects.extend(((seq, -1), reject) for reject in read_rejects)
        read_rejects.clear()
        chunk.append((seq, sample))
        if len(chunk) >= chunk_size:
            flush()
    flush()
    rejects.extend(((seq + 1, -1), reject) for reject in read_rejects)
    rejects.sort(key=lambda keyed: keyed[0])
    ordered = [reject for _, reject in rejects]
    return rows, [reject_row(reject) for reject in ordered], {name: s.to_dict() for name, s in stage_stats.items()}


def run_shard(spec: ShardSpec, config: RunConfig, out_dir: Path) -> dict:
    """Process one shard and write its outputs, then its completion marker (the last, atomic step)."""
    started = time.perf_counter()
    rows, reject_rows, stage_stats = process_shard(spec, config, out_dir)
    write_triplets(out_dir, spec.index, rows)
    if reject_rows:
        write_rejects(out_dir, spec.index, reject_rows)
    result = {
        "index": spec.index,
        "source": spec.source,
        "triplets": len(rows),
        "rejects": len(reject_rows),
        "stages": stage_stats,
        "stage_order": list(stage_stats),  # read, each stage, write (the marker's JSON keys are sorted)
        "text": shard_text_stats(row["description_text"] for row in rows),
        "seconds": round(time.perf_counter() - started, 4),
    }
    write_json_atomic(marker_path(out_dir, spec.index), result)
    return result
