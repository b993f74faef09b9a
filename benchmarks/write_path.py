"""The work after grounding, piece by piece: generate, verify and each part of writing a row and a shard.

Builds the CT set (512x512 slices of the TotalSegmentator example resampled, 41 labels) and the chest
X-ray set of ``pipeline_vs_floor.py``, takes samples through every stage up to verify, then times, in
CPU ms per sample (best of ``--repeats``): the description backend, the verifier, the PNG encoder,
the row's checksum, perceptual hash and other fields, the text statistics, the Arrow conversion, the
Parquet file and the file checksums; and per shard, the fixed costs of an (almost) empty shard: its
Parquet file, a rejects file, the checksums and the marker. Last, the garbage collector's time over
whole runs of the CT set, with the shard runner's freeze of older objects and without it.
Prints figures; asserts nothing.

Run: PYTHONPATH=src python benchmarks/write_path.py [--slices 60] [--repeats 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import cv2
import pyarrow as pa

from medtrinity import pipeline
from medtrinity.config import parse_config
from medtrinity.io.atomic import write_json_atomic
from medtrinity.io.hashes import perceptual_hash
from medtrinity.io.parquet import stream_rows, write_rows
from medtrinity.io.png import encode_png
from medtrinity.quality import textstats
from medtrinity.quality.checks.shortcuts import clear_caches
from medtrinity.quality.textstats import ShardTextStats
from medtrinity.run_integrity import shard_file_records
from medtrinity.runner import run_pipeline
from medtrinity.schema import REJECT_SCHEMA, TRIPLET_SCHEMA, triplet_row
from medtrinity.sources import make_reader
from medtrinity.stages import StageContext, build_stages

sys.path.insert(0, str(Path(__file__).parent))
from pipeline_vs_floor import build_ct_set, build_xray_set  # noqa: E402


def finished_samples(config, limit: int) -> tuple[list, dict]:
    """Up to ``limit`` samples taken through every stage but verify and generate, and those two stages."""
    stages = build_stages(config, StageContext())
    late = {stage.name: stage for stage in stages if stage.name in ("generate", "verify")}
    early = [stage for stage in stages if stage.name not in late]
    reader = make_reader(config.sources[0], config)
    samples = []
    for item in reader.list_items():
        for sample in reader.read(item):
            try:
                for stage in early:
                    sample = stage.run(sample)
            except Exception:  # a rejected sample is not part of this measurement
                continue
            sample.pixels = sample.label_map = sample.lesion_components = None  # keep memory small
            samples.append(sample)
            if len(samples) >= limit:
                return samples, late
    return samples, late


def best_ms(work, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return 1000 * best


def per_sample(name: str, config, folder: Path, limit: int, repeats: int) -> None:
    samples, late = finished_samples(config, limit)
    count = len(samples)

    def generate() -> None:
        for sample in samples:
            late["generate"].run(sample)

    def verify() -> None:
        clear_caches()
        for sample in samples:
            late["verify"].run(sample)

    generate()
    verify()
    pngs = [encode_png(sample.image) for sample in samples]
    rows = [triplet_row(sample, png, "v", "h") for sample, png in zip(samples, pngs, strict=True)]

    def text_statistics() -> None:  # a fresh shard's statistics, its sentence cache emptied (as a new process)
        sentence_cache = getattr(textstats, "_sentence_parts", None)  # absent before the sentence cache
        if sentence_cache is not None:
            sentence_cache.cache_clear()
        stats = ShardTextStats()
        for row in rows:
            stats.add(row["description_text"])

    def parquet() -> None:
        _stream_part(folder / "part.parquet", rows)

    figures = {
        "generate": best_ms(generate, repeats),
        "verify": best_ms(verify, repeats),
        "png encode": best_ms(lambda: [encode_png(sample.image) for sample in samples], repeats),
        "row (all fields)": best_ms(lambda: [triplet_row(s, p, "v", "h") for s, p in zip(samples, pngs, strict=True)],
                                    repeats),
        "  of which image_sha256": best_ms(lambda: [hashlib.sha256(png).hexdigest() for png in pngs], repeats),
        "  of which image_phash": best_ms(lambda: [perceptual_hash(sample.image) for sample in samples], repeats),
        "text statistics": best_ms(text_statistics, repeats),
        "Arrow conversion": best_ms(lambda: pa.RecordBatch.from_pylist(rows, schema=TRIPLET_SCHEMA), repeats),
        "Parquet file (conversion included)": best_ms(parquet, repeats),
        "file checksums": best_ms(lambda: shard_file_records(folder, [folder / "part.parquet"]), repeats),
    }
    megabytes = (folder / "part.parquet").stat().st_size / 1e6
    print(f"\n{name}: {count} samples, {megabytes / count * 1000:.0f} KB a row in Parquet; CPU ms a sample")
    for label, milliseconds in figures.items():
        print(f"  {label:<38} {milliseconds / count:7.3f}")
    print("  the verifier's checks, warm (text caches kept, each sample's facts fresh), CPU us a sample:")
    for check, microseconds in sorted(check_costs(samples, repeats).items(), key=lambda item: -item[1]):
        print(f"    {check:<36} {microseconds:7.1f}")


def check_costs(samples: list, repeats: int) -> dict[str, float]:
    """Each verifier check's CPU time a sample (us, best of ``repeats``), on facts made afresh for every pass as
    each sample gets them, after one pass that fills the text caches."""
    from medtrinity.quality.checks import CHECKS, VerifyOptions, analyse
    from medtrinity.quality.facts import SampleFacts

    options = VerifyOptions()
    texts = [(sample.description.text, SampleFacts.from_sample(sample)) for sample in samples if sample.description]
    best = {name: float("inf") for name in CHECKS}
    for _ in range(repeats + 1):
        spent = dict.fromkeys(CHECKS, 0.0)
        for text, facts in texts:
            fresh = SampleFacts(**{field: getattr(facts, field) for field in facts.__dataclass_fields__})
            sentences = analyse(text, fresh)
            for name, check in CHECKS.items():
                started = time.process_time()
                check(fresh, sentences, options)
                spent[name] += time.process_time() - started
        best = {name: min(best[name], spent[name]) for name in CHECKS}
    return {name: 1e6 * total / max(1, len(texts)) for name, total in best.items()}


def _stream_part(path: Path, rows: list[dict]) -> None:
    """Write ``rows`` as a triplets part the way a shard streams them."""
    def produce(sink):
        for row in rows:
            sink(row)
    stream_rows(path, TRIPLET_SCHEMA, produce)


def per_shard(folder: Path, rows: list[dict], repeats: int) -> None:
    reject = [{"sample_id": "a", "source": "s", "source_file": "f", "stage": "read", "code": "c", "reason": "r"}]

    def one_row_part() -> None:
        _stream_part(folder / "small.parquet", rows)

    figures = {
        "triplets file, one row": best_ms(one_row_part, repeats),
        "rejects file, one row": best_ms(lambda: write_rows(folder / "rejects.parquet", reject, REJECT_SCHEMA),
                                         repeats),
        "checksums of both": best_ms(lambda: shard_file_records(folder, [folder / "small.parquet",
                                                                        folder / "rejects.parquet"]), repeats),
        "marker": best_ms(lambda: write_json_atomic(folder / "marker.json", {"index": 0, "rows": list(range(50))}),
                          repeats),
    }
    print("\nfixed costs of one shard, CPU ms (a file's fixed cost is mostly pyarrow's, ~20 us per column)")
    for label, milliseconds in figures.items():
        print(f"  {label:<38} {milliseconds:7.3f}")


def garbage_collection(config, out: Path, runs: int) -> None:
    """GC time over ``runs`` whole runs, with the shard runner's freeze and with a do-nothing stand-in."""
    spent = {"seconds": 0.0, "full": 0, "started": 0.0}

    def track(phase: str, info: dict) -> None:
        if phase == "start":
            spent["started"] = time.process_time()
        else:
            spent["seconds"] += time.process_time() - spent["started"]
            spent["full"] += info["generation"] == 2

    frozen = getattr(pipeline, "older_objects_frozen", None)  # absent before the freeze was added
    scopes = [("freeze (as run)", frozen)] if frozen else []
    for label, scope in (*scopes, ("no freeze", lambda rows: nullcontext())):
        pipeline.older_objects_frozen = scope
        try:
            run_pipeline(config, out, workers=1, overwrite=True)
            spent.update(seconds=0.0, full=0)
            gc.callbacks.append(track)
            started = time.process_time()
            for _ in range(runs):
                run_pipeline(config, out, workers=1, overwrite=True)
            total = time.process_time() - started
            gc.callbacks.remove(track)
        finally:
            if frozen:
                pipeline.older_objects_frozen = frozen
        samples = json.loads((out / "stats.json").read_text())["stages"]["read"]["out"] * runs
        print(f"  {label:<16} whole run {1000 * total / samples:6.2f} ms a sample, of which garbage collection "
              f"{1000 * spent['seconds'] / samples:5.3f} ({spent['full']} full collections in {runs} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slices", type=int, default=120, help="slices of the one 512x512 CT volume")
    parser.add_argument("--xrays", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="whole CT runs for the garbage-collection figures")
    arguments = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        ct = build_ct_set(folder, "ct", (512, 512, arguments.slices), 2, False)
        xray = build_xray_set(folder, arguments.xrays)
        ct_config = parse_config({"sources": [ct], "preprocess": {"duplicates": "exact"}})
        xray_config = parse_config({"sources": [xray], "preprocess": {"duplicates": "exact"}})
        per_sample("CT 512x512, 41 labels", ct_config, folder, arguments.slices, arguments.repeats)
        per_sample("chest X-ray 1024x1024", xray_config, folder, arguments.xrays, arguments.repeats)
        samples, _ = finished_samples(ct_config, 1)
        per_shard(folder, [triplet_row(samples[0], encode_png(samples[0].image), "v", "h")], arguments.repeats)
        print(f"\ngarbage collection, CT set (2 volumes of {arguments.slices} slices)")
        garbage_collection(ct_config, folder / "run", arguments.runs)


if __name__ == "__main__":
    main()
