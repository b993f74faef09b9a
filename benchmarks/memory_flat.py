"""Resident memory of one shard as it grows from 1k samples up: flat, because rows stream to Parquet.

A cheap synthetic reader (registered here, in this process) yields N small CT-like slices
(64x64 HU, a liver and a lesion label) as ONE shard, the worst case for memory: before rows were
streamed, the whole shard's rows (PNG bytes, descriptions, ROI structs) were held until the end.
Each size runs in a fresh process (peak RSS is per process) through the real run: all stages,
composer descriptions, verification, Parquet rows, markers, stats, manifest. Within-shard
duplicate finding is off (``duplicates: keep``): its seen-hash set grows by ~100 bytes a sample.
Prints figures; asserts nothing.

Run: PYTHONPATH=src python benchmarks/memory_flat.py [--sizes 1000 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def _register_reader() -> None:
    from pydantic import Field

    from medtrinity.records import Sample, stable_id
    from medtrinity.registry import PluginOptions
    from medtrinity.sources.base import READERS, Reader

    if "synthetic_slices" in READERS.names():
        return

    class SyntheticSlicesOptions(PluginOptions):
        samples: int = Field(ge=1)

    @READERS.register("synthetic_slices")
    class SyntheticSlices(Reader):
        """``options.samples`` small axial CT slices in one item (one shard); each slightly different."""

        formats = "synthetic 64x64 CT slices (benchmark only)"
        Options = SyntheticSlicesOptions
        reads_files = False

        def list_items(self) -> list[str]:
            return ["synthetic"]

        def items_per_shard(self) -> int:
            return 1

        def read(self, item: str) -> Iterator[Sample]:
            yy, xx = np.mgrid[:64, :64]
            body = np.where((yy - 32) ** 2 + (xx - 32) ** 2 < 29**2, 40.0, -1000.0).astype(np.float32)
            labels = np.zeros((64, 64), dtype=np.int32)
            labels[(yy - 30) ** 2 + (xx - 26) ** 2 < 14**2] = 1
            for number in range(self.options.samples):
                lesion = (yy - 28 - number % 5) ** 2 + (xx - 24 - number % 7) ** 2 < (3 + number % 4) ** 2
                slice_labels = labels.copy()
                slice_labels[lesion] = 2
                pixels = body + np.where(slice_labels == 1, 20.0, 0.0) + np.where(lesion, -35.0, 0.0)
                pixels[0, 0] = float(number % 997)  # each image differs
                yield Sample(id=stable_id("synthetic", number), source=self.source.name, case_id="case",
                             modality="ct", body_part="abdomen", pixels=pixels.astype(np.float32),
                             spacing_mm=(0.8, 0.8), plane="axial", slice_index=number,
                             patient_orientation=("L", "P"), intensity_unit="HU", label_map=slice_labels,
                             label_names={1: "liver", 2: "lesion"}, finding_labels=frozenset({"lesion"}),
                             source_file="synthetic")


def run_one(samples: int) -> dict:
    """Run one shard of ``samples`` synthetic slices in this process; peak resident memory and time."""
    _register_reader()
    from medtrinity.config import parse_config
    from medtrinity.runner import run_pipeline

    config = parse_config({
        "sources": [{"name": "synthetic", "reader": "synthetic_slices", "path": "synthetic",
                     "options": {"samples": samples}}],
        "knowledge": {"kb": "none"},
        "preprocess": {"duplicates": "keep"},
    })
    with tempfile.TemporaryDirectory(prefix="mt-memory-") as folder:
        started = time.perf_counter()
        summary = run_pipeline(config, Path(folder))
        seconds = time.perf_counter() - started
        size = sum(path.stat().st_size for path in (Path(folder) / "triplets").glob("*.parquet"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"samples": samples, "triplets": summary.triplets, "peak_rss_mb": round(peak_mb, 1),
            "seconds": round(seconds, 1), "parquet_bytes_per_row": round(size / max(summary.triplets, 1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    print(f"{'samples':>9}{'triplets':>10}{'peak RSS MB':>13}{'seconds':>10}{'samples/s':>11}{'bytes/row':>11}")
    for size in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                              env=os.environ)
        if done.returncode != 0:
            print(f"{size:>9}  failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{figures['samples']:>9}{figures['triplets']:>10}{figures['peak_rss_mb']:>13.1f}"
              f"{figures['seconds']:>10.1f}{figures['samples'] / figures['seconds']:>11.0f}"
              f"{figures['parquet_bytes_per_row']:>11}", flush=True)


if __name__ == "__main__":
    main()
