"""The shard runner: read a shard, run the stages (see :mod:`medtrinity.stages`), write rows, then the marker.

A stage (:class:`~medtrinity.stages.Stage`) raises SampleError for a per-sample
problem, which makes the sample a reject (failures are data). The shard runner reads a
shard's items, chains the stages, writes the shard's Parquet files atomically and then its
completion marker, so that a re-run skips completed shards and redoes the rest exactly.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import cv2

import medtrinity
from medtrinity.allocator import keep_freed_memory
from medtrinity.config import RunConfig
from medtrinity.io.png import encode_png
from medtrinity.quality.checks.shortcuts import clear_caches
from medtrinity.quality.textstats import ShardTextStats
from medtrinity.records import Reject, Sample, SampleError, stable_id
from medtrinity.run_folder import MARKER_FOLDER, RunFolder
from medtrinity.schema import reject_row, triplet_row
from medtrinity.sources import make_reader
from medtrinity.sources.name_conventions import body_part_conflict
from medtrinity.sources.safety import is_reject_item, raise_reject_item, reject_item_path
from medtrinity.stages import Stage, StageContext, build_stages
from medtrinity.stats import StageStats

__all__ = ["MARKER_FOLDER", "ShardSpec", "Stage", "build_stages", "grounded_samples", "process_shard", "run_shard"]


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
    """Where shard ``index``'s completion marker goes (see :class:`~medtrinity.run_folder.RunFolder`)."""
    return RunFolder(out_dir).marker_path(index)


def _samples_of(reader, spec: ShardSpec, stats: StageStats, rejects: list[Reject],
                context: StageContext) -> Iterator[Sample]:
    for item in spec.items:
        started = time.perf_counter()
        try:
            if is_reject_item(item):  # a file planning could not use
                raise_reject_item(item)
            for sample in reader.read(item):
                conflict = body_part_conflict(sample.source_file, sample.body_part)
                if conflict is not None:  # every sample of the file shares its name: the whole item is rejected
                    raise SampleError("body_part_conflict", conflict)
                stats.seconds += time.perf_counter() - started
                stats.samples_out += 1
                yield sample
                started = time.perf_counter()
        except SampleError as error:
            stats.reject(error.code)
            rejects.append(Reject(stable_id(spec.source, item), spec.source, reject_item_path(item), "read",
                                  error.code, error.message))
        except MemoryError as error:  # a file bigger than its header said, or than the caps foresaw
            stats.reject("too_large")
            rejects.append(Reject(stable_id(spec.source, item), spec.source, item, "read", "too_large",
                                  f"{item}: ran out of memory reading it ({error}); lower limits.* to refuse such "
                                  "inputs from their headers"))
        except Exception as error:  # a reader bug or library failure on one file is still one reject
            stats.reject("read_error")
            context.keep_traceback("read", error)
            rejects.append(
                Reject(stable_id(spec.source, item), spec.source, item, "read", "read_error",
                       f"{item}: {type(error).__name__}: {error}")
            )
        stats.seconds += time.perf_counter() - started
    stats.samples_in = stats.samples_out + stats.rejected


def _stage_reject(stage: str, sample: Sample, error: Exception, counter: StageStats,
                  context: StageContext) -> Reject:
    if isinstance(error, SampleError):
        counter.reject(error.code)
        return Reject(sample.id, sample.source, sample.source_file, stage, error.code, error.message)
    counter.reject("stage_error")  # a stage bug on one sample must not sink the shard
    context.keep_traceback(stage, error)
    return Reject(sample.id, sample.source, sample.source_file, stage, "stage_error",
                  f"{sample.source_file}: {type(error).__name__}: {error}")


def _run_stage(stage: Stage, chunk: list[tuple[int, Sample]], counter: StageStats,
               rejects: list[tuple[tuple[int, int], Reject]], context: StageContext,
               batch_group: int = 1) -> list[tuple[int, Sample]]:
    """One stage over numbered samples; the rejected ones leave the list.

    A stage with ``run_batch`` takes the samples of each run of ``batch_group`` sample numbers as one
    batch (the batches a shard made when it went ``batch_group`` samples at a time); any other stage,
    a batch of one, and every stage when ``batch_group`` is 1 take them one by one.
    """
    if stage.run_batch is None or batch_group <= 1:
        return _run_each(stage, chunk, counter, rejects, context)
    survivors: list[tuple[int, Sample]] = []
    for _, grouped in groupby(chunk, key=lambda numbered: numbered[0] // batch_group):
        group = list(grouped)
        if len(group) > 1:
            survivors.extend(_run_as_batch(stage, group, counter, rejects, context))
        else:
            survivors.extend(_run_each(stage, group, counter, rejects, context))
    return survivors


def _run_as_batch(stage: Stage, batch: list[tuple[int, Sample]], counter: StageStats,
                  rejects: list[tuple[tuple[int, int], Reject]], context: StageContext) -> list[tuple[int, Sample]]:
    survivors: list[tuple[int, Sample]] = []
    counter.samples_in += len(batch)
    started = time.perf_counter()
    try:
        results = stage.run_batch([sample for _, sample in batch])
    except ImportError:  # a missing dependency is the installation's fault, not the samples'
        raise
    except Exception as error:
        results = [error] * len(batch)
    finally:
        counter.seconds += time.perf_counter() - started
    for (seq, sample), result in zip(batch, results, strict=True):
        if isinstance(result, Exception):
            rejects.append(((seq, 0), _stage_reject(stage.name, sample, result, counter, context)))
            continue
        counter.samples_out += 1
        survivors.append((seq, result))
    return survivors


def _run_each(stage: Stage, chunk: list[tuple[int, Sample]], counter: StageStats,
              rejects: list[tuple[tuple[int, int], Reject]], context: StageContext) -> list[tuple[int, Sample]]:
    survivors: list[tuple[int, Sample]] = []
    for seq, sample in chunk:
        counter.samples_in += 1
        started = time.perf_counter()
        try:
            sample = stage.run(sample)
            counter.samples_out += 1
            survivors.append((seq, sample))
        except ImportError:  # a missing dependency is the installation's fault, not the sample's
            raise
        except Exception as error:
            rejects.append(((seq, 0), _stage_reject(stage.name, sample, error, counter, context)))
        finally:
            counter.seconds += time.perf_counter() - started
    return survivors


def _pixel_bytes(sample: Sample) -> int:
    """Bytes of a read sample's arrays (its pixels and label map)."""
    return sum(getattr(array, "nbytes", 0) for array in (sample.pixels, sample.label_map))


@dataclass
class ShardOutput:
    """One shard processed in memory: triplet rows, reject rows, per-stage stats and the first tracebacks."""

    rows: list[dict]
    reject_rows: list[dict]
    stages: dict[str, dict]
    tracebacks: dict[str, str]


# Samples a shard takes through each stage before the next stage runs. One at a time, every stage's
# Python code and tables went cold behind the next slice's numpy work (the verifier cost ~1.7x what
# it costs in a loop of its own); 16 at a time, a 512x512 CT slice costs ~10% less CPU in all (whole
# run 9.6 -> 8.6 ms: verify 0.77 -> 0.53, generate 0.15 -> 0.09, read 2.2 -> 2.0) for 16 samples held
# at once (~1 MB of arrays each).
SAMPLES_PER_CHUNK = 16
# ... unless their pixel arrays pass this many bytes first (large images: a chunk stays ~this size)
CHUNK_PIXEL_BYTES = 64 * 2**20


def process_shard(spec: ShardSpec, config: RunConfig, out_dir: Path | None = None,
                  on_row: Callable[[dict], None] | None = None) -> ShardOutput:
    """Run every stage over one shard: triplet rows, reject rows and per-stage stats.

    With ``on_row`` each triplet row is handed over as soon as it is made and not kept (the
    shard runner streams them to Parquet); without it the rows come back in ``rows``.

    Samples go through the stages in chunks of at least :data:`SAMPLES_PER_CHUNK`, so each stage's
    code stays hot across the chunk. A model backend that generates in batches (``batch_size`` > 1)
    gets the samples of each run of the largest ``batch_size`` read numbers as one batch; rows and
    rejects keep the order of a one-by-one run.
    """
    clear_caches()  # the verifier's text caches: each shard's cost independent of what ran before in the process
    context = StageContext(cache_dir=RunFolder(out_dir).cache_dir if out_dir is not None else None)
    stages = build_stages(config, context)
    reader = make_reader(config.source(spec.source), config)
    stage_stats = {"read": StageStats(), **{stage.name: StageStats() for stage in stages}, "write": StageStats()}
    read_rejects: list[Reject] = []
    rejects: list[tuple[tuple[int, int], Reject]] = []  # (sample number, -1 read / 0 stage): one-by-one order
    rows: list[dict] = []
    version, config_hash = medtrinity.__version__, config.config_hash()
    batch_group = max(stage.batch_size for stage in stages)
    chunk_size = batch_group * -(-SAMPLES_PER_CHUNK // batch_group)  # whole batches, at least the chunk
    chunk: list[tuple[int, Sample]] = []
    chunk_bytes = 0

    def flush() -> None:
        alive = list(chunk)
        chunk.clear()
        for stage in stages:
            if not alive:
                return
            alive = _run_stage(stage, alive, stage_stats[stage.name], rejects, context, batch_group)
        for _, sample in alive:
            started = time.perf_counter()
            stage_stats["write"].samples_in += 1
            (on_row or rows.append)(triplet_row(sample, encode_png(sample.image), version, config_hash))
            stage_stats["write"].samples_out += 1
            stage_stats["write"].seconds += time.perf_counter() - started

    seq = 0
    for seq, sample in enumerate(_samples_of(reader, spec, stage_stats["read"], read_rejects, context)):
        rejects.extend(((seq, -1), reject) for reject in read_rejects)
        read_rejects.clear()
        chunk.append((seq, sample))
        chunk_bytes += _pixel_bytes(sample)
        # a chunk ends with whole batches (a batch stage's batches do not depend on the chunk)
        if len(chunk) >= chunk_size or (chunk_bytes >= CHUNK_PIXEL_BYTES and (seq + 1) % batch_group == 0):
            flush()
            chunk_bytes = 0
    flush()
    rejects.extend(((seq + 1, -1), reject) for reject in read_rejects)
    rejects.sort(key=lambda keyed: keyed[0])
    ordered = [reject for _, reject in rejects]
    for stage in stages:
        for code, count in context.notes.of(stage.name).items():
            stage_stats[stage.name].note(code, count)
    return ShardOutput(rows, [reject_row(reject) for reject in ordered],
                       {name: stats.to_dict() for name, stats in stage_stats.items()}, dict(context.tracebacks))


@contextmanager
def one_opencv_thread() -> Iterator[None]:
    """Run OpenCV single-threaded for the block, then restore its setting.

    A shard is one core's work (the executors run one shard per worker and per core); OpenCV's own
    thread pool would make each PNG encode, dilation and component labelling wait on threads that
    compete with the other workers (on this 2-core machine about twice the time per call).
    """
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


# Samples (rows and rejects) that may go through frozen blocks between two full collections of the whole
# process (see below)
SAMPLES_PER_FULL_COLLECTION = 4096
_samples_since_full_collection = [0]


@contextmanager
def older_objects_frozen(samples: Callable[[], int]) -> Iterator[None]:
    """Keep the objects that exist when the block starts out of the garbage collector's scans until it ends.

    A shard allocates many short-lived containers (rows, ROI dicts, parsed sentences), so Python's
    full collection runs every few hundred rows, and each one walks every object of the process
    (modules, vocabularies, Arrow and numpy internals: ~200k objects, ~90 ms). Frozen
    (:func:`gc.freeze`), those are skipped and a full collection walks the shard's own objects only.
    Young garbage is collected before the freeze (a young collection, ~1 ms); garbage cycles among
    older objects wait for a full collection, made after the block once ``samples()`` samples in all
    went through frozen blocks since the last one (~90 ms per :data:`SAMPLES_PER_FULL_COLLECTION`), so
    they never pile up. A caller that froze objects itself keeps its own setting.
    """
    if gc.get_freeze_count():  # someone else manages frozen objects: leave them alone
        yield
        return
    gc.collect(1)
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        _samples_since_full_collection[0] += samples()
        if _samples_since_full_collection[0] >= SAMPLES_PER_FULL_COLLECTION:
            _samples_since_full_collection[0] = 0
            gc.collect()


def run_shard(spec: ShardSpec, config: RunConfig, out_dir: Path) -> dict:
    """Process one shard, streaming its rows to Parquet as they come, then write its completion marker.

    Rows go to the shard's Parquet file in row groups while the shard runs (memory holds one row
    group, not the shard); the file is renamed into place when the shard ends and the marker, the
    last atomic step, follows.
    """
    started = time.perf_counter()
    keep_freed_memory()  # each chunk's arrays reuse the last chunk's pages instead of faulting in new ones
    folder = RunFolder(out_dir)
    texts = ShardTextStats()
    written = [0]
    handled = [0]  # rows and rejects

    def produce(sink: Callable[[dict], None]) -> ShardOutput:
        def on_row(row: dict) -> None:
            sink(row)
            texts.add(row["description_text"])
            written[0] += 1

        shard_output = process_shard(spec, config, out_dir, on_row)
        handled[0] = written[0] + len(shard_output.reject_rows)
        return shard_output

    with one_opencv_thread(), older_objects_frozen(lambda: handled[0]):
        output = folder.stream_part(spec.index, produce)
    reject_rows, stage_stats = output.reject_rows, output.stages
    result = {
        "index": spec.index,
        "source": spec.source,
        "triplets": written[0],
        "rejects": len(reject_rows),
        "stages": stage_stats,
        "stage_order": list(stage_stats),  # read, each stage, write (the marker's JSON keys are sorted)
        "text": texts.to_dict(),
        "tracebacks": output.tracebacks,  # first traceback per stage:ErrorType of unexpected failures
        "seconds": round(time.perf_counter() - started, 4),
    }
    folder.commit_shard(spec.index, None, reject_rows, result)  # the rows are already in the part file
    return result


def grounded_samples(config: RunConfig, limit_per_source: int | None = None) -> Iterator[Sample]:
    """Every sample of every source after preprocess, ground, caption and retrieve (rejects skipped).

    Used by the mutation set, the verifier's self-checks and ``benchmarks/generation.py`` to obtain
    real inputs for the description backends without writing a run folder.
    """
    stages = [stage for stage in build_stages(config) if stage.name not in {"generate", "verify"}]
    for source in config.sources:
        reader = make_reader(source, config)
        produced = 0
        for item in reader.list_items():
            try:
                samples = list(reader.read(item))
            except SampleError:
                continue
            for sample in samples:
                try:
                    for stage in stages:
                        sample = stage.run(sample)
                except SampleError:
                    continue
                yield sample
                produced += 1
                if limit_per_source is not None and produced >= limit_per_source:
                    break
            if limit_per_source is not None and produced >= limit_per_source:
                break
