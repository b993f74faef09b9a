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

import cv2
import numpy as np

import medtrinity
from medtrinity.config import RunConfig
from medtrinity.export.atomic import write_json_atomic
from medtrinity.export.parquet import write_rejects, write_triplets
from medtrinity.generation.backends import make_backend
from medtrinity.generation.coarse import coarse_caption
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.grounding.rois import ground_sample
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.quality.verify import verify
from medtrinity.records import Reject, Sample, SampleError, stable_id
from medtrinity.schema import reject_row, triplet_row
from medtrinity.sources import make_reader
from medtrinity.stats import StageStats

MARKER_FOLDER = "_shards"


@dataclass(frozen=True)
class Stage:
    """One named step over a sample."""

    name: str
    run: Callable[[Sample], Sample]


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


def build_stages(config: RunConfig) -> list[Stage]:
    """The paper's stages in order, configured for this run."""
    from medtrinity.knowledge_stage import make_retrieve

    backend = make_backend(config.generation.backend, config.generation.options)

    def generate(sample: Sample) -> Sample:
        sample.description = backend.describe(sample)
        return sample

    def check(sample: Sample) -> Sample:
        sample.qc = verify(sample, config.quality.on_contradiction)
        if sample.qc.status == "reject":
            problems = "; ".join(f"{issue.code}: {issue.message}" for issue in sample.qc.issues)
            raise SampleError(sample.qc.issues[0].code if sample.qc.issues else "qc_reject", problems)
        return sample

    experts: dict = {}

    def ground(sample: Sample) -> Sample:
        if config.grounding.experts:
            apply_experts(sample, config.grounding.experts, experts)
        return ground_sample(sample, config.grounding)

    return [
        Stage("preprocess", lambda sample: preprocess_sample(sample, config.preprocess)),
        Stage("ground", ground),
        Stage("caption", _caption),
        Stage("retrieve", make_retrieve(config.knowledge)),
        Stage("generate", generate),
        Stage("verify", check),
    ]


def encode_png(image: np.ndarray) -> bytes:
    """Lossless PNG of the clean display image (RGB stored as RGB)."""
    pixels = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buffer = cv2.imencode(".png", pixels)
    if not ok:
        raise SampleError("png_encode_failed", f"image of shape {image.shape} could not be PNG-encoded")
    return buffer.tobytes()


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


def process_shard(spec: ShardSpec, config: RunConfig) -> tuple[list[dict], list[dict], dict[str, dict]]:
    """Run every stage over one shard in memory: triplet rows, reject rows and per-stage stats."""
    stages = build_stages(config)
    reader = make_reader(config.source(spec.source), config)
    stage_stats = {"read": StageStats(), **{stage.name: StageStats() for stage in stages}, "write": StageStats()}
    rejects: list[Reject] = []
    rows: list[dict] = []
    version, config_hash = medtrinity.__version__, config.config_hash()
    for sample in _samples_of(reader, spec, stage_stats["read"], rejects):
        for stage in stages:
            counter = stage_stats[stage.name]
            counter.samples_in += 1
            started = time.perf_counter()
            try:
                notes_before = len(sample.notes)
                sample = stage.run(sample)
                counter.samples_out += 1
                for note in sample.notes[notes_before:]:
                    counter.note(note)
            except SampleError as error:
                counter.reject(error.code)
                rejects.append(
                    Reject(sample.id, sample.source, sample.source_file, stage.name, error.code, error.message)
                )
                sample = None
            except ImportError:  # a missing dependency is the installation's fault, not the sample's
                raise
            except Exception as error:  # a stage bug on one sample must not sink the shard
                counter.reject("stage_error")
                rejects.append(
                    Reject(sample.id, sample.source, sample.source_file, stage.name, "stage_error",
                           f"{sample.source_file}: {type(error).__name__}: {error}")
                )
                sample = None
            finally:
                counter.seconds += time.perf_counter() - started
            if sample is None:
                break
        if sample is not None:
            started = time.perf_counter()
            stage_stats["write"].samples_in += 1
            rows.append(triplet_row(sample, encode_png(sample.image), version, config_hash))
            stage_stats["write"].samples_out += 1
            stage_stats["write"].seconds += time.perf_counter() - started
    return rows, [reject_row(reject) for reject in rejects], {name: s.to_dict() for name, s in stage_stats.items()}


def run_shard(spec: ShardSpec, config: RunConfig, out_dir: Path) -> dict:
    """Process one shard and write its outputs, then its completion marker (the last, atomic step)."""
    started = time.perf_counter()
    rows, reject_rows, stage_stats = process_shard(spec, config)
    write_triplets(out_dir, spec.index, rows)
    if reject_rows:
        write_rejects(out_dir, spec.index, reject_rows)
    result = {
        "index": spec.index,
        "source": spec.source,
        "triplets": len(rows),
        "rejects": len(reject_rows),
        "stages": stage_stats,
        "seconds": round(time.perf_counter() - started, 4),
    }
    write_json_atomic(marker_path(out_dir, spec.index), result)
    return result
