"""Resident memory of one shard as it grows from 1k to 1M samples: flat, because rows stream to Parquet.

A cheap synthetic reader (registered here, in this process) yields N small CT-like slices
(64x64 HU, a liver and a lesion label) as ONE shard, the worst case for memory: before rows were
streamed, the whole shard's rows (PNG bytes, descriptions, ROI structs) were held until the end.
Each size runs in a fresh process (peak RSS is per process) through the real run: all stages,
composer descriptions, verification, Parquet rows, markers, stats, manifest. Within-shard
duplicate finding is off (``duplicates: keep``): its seen-hash set grows by ~100 bytes a sample.

``--mode writer`` measures the writer path alone, fast enough for 1M rows: 256 real rows made by
the pipeline once, then streamed N times over (fresh ids) through ``RunFolder.stream_part``.
``--mode metadata`` shows why streaming used to grow: resident MB an open ``ParquetWriter`` gains
per row group written, whatever the group holds (``--sizes`` are group counts there).
Every ``--progress`` seconds the child prints elapsed time, samples so far and resident memory to
stderr, so a run stopped early still says how far it got. Prints figures; asserts nothing.

Run: PYTHONPATH=src python benchmarks/memory_flat.py [--sizes 1000 10000 100000 1000000] [--mode writer]
     PYTHONPATH=src python benchmarks/memory_flat.py --mode metadata --sizes 400 1600 --rows-per-group 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

SAMPLES_SO_FAR = [0]


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _report_progress(every_s: float) -> None:
    """Print elapsed seconds, samples so far and resident MB to stderr every ``every_s`` seconds."""
    started = time.perf_counter()

    def loop() -> None:
        while True:
            time.sleep(every_s)
            print(f"progress: {time.perf_counter() - started:8.0f} s {SAMPLES_SO_FAR[0]:>9} samples "
                  f"{_rss_mb():7.1f} MB resident", file=sys.stderr, flush=True)

    threading.Thread(target=loop, daemon=True).start()


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
                SAMPLES_SO_FAR[0] = number + 1
                yield Sample(id=stable_id("synthetic", number), source=self.source.name, case_id="case",
                             modality="ct", body_part="abdomen", pixels=pixels.astype(np.float32),
                             spacing_mm=(0.8, 0.8), plane="axial", slice_index=number,
                             patient_orientation=("L", "P"), intensity_unit="HU", label_map=slice_labels,
                             label_names={1: "liver", 2: "lesion"}, finding_labels=frozenset({"lesion"}),
                             source_file="synthetic")


def _config(samples: int):
    from medtrinity.config import parse_config

    return parse_config({
        "sources": [{"name": "synthetic", "reader": "synthetic_slices", "path": "synthetic",
                     "options": {"samples": samples}}],
        "knowledge": {"kb": "none"},
        "preprocess": {"duplicates": "keep"},
    })


def _figures(samples: int, triplets: int, seconds: float, folder: Path) -> dict:
    parts = sorted((folder / "triplets").glob("*.parquet"))
    size = sum(path.stat().st_size for path in parts)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"samples": samples, "triplets": triplets, "peak_rss_mb": round(peak_mb, 1),
            "seconds": round(seconds, 2), "parquet_bytes_per_row": round(size / max(triplets, 1)),
            "files": len(parts)}


def run_one(samples: int) -> dict:
    """Run one shard of ``samples`` synthetic slices in this process; peak resident memory and time."""
    _register_reader()
    from medtrinity.runner import run_pipeline

    with tempfile.TemporaryDirectory(prefix="mt-memory-") as folder:
        started = time.perf_counter()
        summary = run_pipeline(_config(samples), Path(folder))
        return _figures(samples, summary.triplets, time.perf_counter() - started, Path(folder))


def write_one(samples: int) -> dict:
    """Stream ``samples`` rows (256 real pipeline rows, repeated with fresh ids) through one shard's writer."""
    _register_reader()
    import pyarrow.parquet as pq

    from medtrinity.run_folder import RunFolder
    from medtrinity.runner import run_pipeline

    with tempfile.TemporaryDirectory(prefix="mt-memory-") as folder:
        run_pipeline(_config(256), Path(folder) / "seed")
        seed = pq.read_table(Path(folder) / "seed" / "triplets" / "part-00000.parquet").to_pylist()
        started = time.perf_counter()

        def produce(sink) -> None:
            for number in range(samples):
                sink({**seed[number % len(seed)], "id": f"{number:016x}"})
                SAMPLES_SO_FAR[0] = number + 1

        RunFolder(Path(folder) / "run").stream_part(0, produce)
        return _figures(samples, samples, time.perf_counter() - started, Path(folder) / "run")


def writer_metadata(groups: int, rows_per_group: int) -> dict:
    """The cause of the old growth: resident MB an open ParquetWriter gains over ``groups`` row groups of
    ``rows_per_group`` rows (one repeated real table), while open and after close."""
    _register_reader()
    import pyarrow.parquet as pq

    from medtrinity.io.parquet import _writer_options
    from medtrinity.runner import run_pipeline
    from medtrinity.schema import TRIPLET_SCHEMA

    with tempfile.TemporaryDirectory(prefix="mt-memory-") as folder:
        run_pipeline(_config(256), Path(folder) / "seed")
        table = pq.read_table(Path(folder) / "seed" / "triplets" / "part-00000.parquet").slice(0, rows_per_group)
        table = table.cast(TRIPLET_SCHEMA)
        before = _rss_mb()
        writer = pq.ParquetWriter(Path(folder) / "out.parquet", TRIPLET_SCHEMA, **_writer_options(TRIPLET_SCHEMA))
        for _ in range(groups):
            writer.write_table(table, row_group_size=rows_per_group)
        open_mb = _rss_mb() - before
        writer.close()
        return {"groups": groups, "rows_per_group": rows_per_group, "grown_open_mb": round(open_mb, 1),
                "grown_after_close_mb": round(_rss_mb() - before, 1),
                "kb_per_group_open": round(open_mb * 1024 / groups, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--mode", choices=["pipeline", "writer", "metadata"], default="pipeline",
                        help="metadata: --sizes are row-group counts, --rows-per-group rows each, one open writer")
    parser.add_argument("--rows-per-group", type=int, default=1)
    parser.add_argument("--progress", type=float, default=0, help="print progress to stderr every N seconds")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size in this process
    args = parser.parse_args()
    if args.one:
        if args.progress:
            _report_progress(args.progress)
        if args.mode == "metadata":
            print(json.dumps(writer_metadata(args.one, args.rows_per_group)))
        else:
            print(json.dumps((write_one if args.mode == "writer" else run_one)(args.one)))
        return
    if args.mode == "metadata":
        for groups in args.sizes:
            done = subprocess.run([sys.executable, __file__, "--one", str(groups), "--mode", "metadata",
                                   "--rows-per-group", str(args.rows_per_group)], stdout=subprocess.PIPE, text=True)
            print(done.stdout.strip().splitlines()[-1] if done.returncode == 0 else f"{groups}: failed", flush=True)
        return
    print(f"mode: {args.mode}")
    print(f"{'samples':>9}{'triplets':>10}{'peak RSS MB':>13}{'seconds':>10}{'samples/s':>11}{'bytes/row':>11}"
          f"{'files':>7}")
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size), "--mode", args.mode, "--progress", str(args.progress)]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=os.environ)
        if done.returncode != 0:
            print(f"{size:>9}  failed (exit {done.returncode})")
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{figures['samples']:>9}{figures['triplets']:>10}{figures['peak_rss_mb']:>13.1f}"
              f"{figures['seconds']:>10.1f}{figures['samples'] / max(figures['seconds'], 1e-9):>11.0f}"
              f"{figures['parquet_bytes_per_row']:>11}{figures['files']:>7}", flush=True)


if __name__ == "__main__":
    main()
