"""Latency of the viewer's DuckDB queries on a large synthetic run (default 100k rows), in milliseconds.

The run cycles the demo's rows under new ids (ROIs, descriptions and evidence are real; each image is
replaced by a small PNG to keep the folder small, which does not change the queries: the image column
is read only for one row at a time). Each query is timed as the viewer issues it, best of three.

    python benchmarks/viewer_queries.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from medtrinity.demo import demo_config
from medtrinity.export.reviews import append_decision
from medtrinity.io.parquet import write_rows
from medtrinity.io.png import encode_png
from medtrinity.runner import run_pipeline
from medtrinity.schema import TRIPLET_SCHEMA
from medtrinity.viewer.queries import RowQuery, RunQueries

ROWS_PER_PART = 5000


def make_large_run(demo_run: Path, rows: int, target: Path) -> Path:
    template = [row for part in sorted((demo_run / "triplets").glob("*.parquet"))
                for row in pq.read_table(part).to_pylist()]
    small_png = encode_png(np.full((8, 8), 128, dtype=np.uint8))
    (target / "triplets").mkdir(parents=True)
    shutil.copy(demo_run / "stats.json", target / "stats.json")
    for start in range(0, rows, ROWS_PER_PART):
        batch = []
        for index in range(start, min(rows, start + ROWS_PER_PART)):
            row = dict(template[index % len(template)])
            row["id"] = f"{row['id']}-{index:07d}"
            row["image_png"] = small_png
            batch.append(row)
        write_rows(target / "triplets" / f"part-{start // ROWS_PER_PART:05d}.parquet", batch, TRIPLET_SCHEMA)
    return target


def best_ms(call, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="viewer-queries-") as scratch:
        scratch_dir = Path(scratch)
        run_pipeline(demo_config(scratch_dir / "demo"), scratch_dir / "demo")
        started = time.perf_counter()
        run = make_large_run(scratch_dir / "demo", args.rows, scratch_dir / "large")
        size_mib = sum(path.stat().st_size for path in (run / "triplets").glob("*")) / 2**20
        print(f"synthetic run: {args.rows} rows, {size_mib:.0f} MiB, built in {time.perf_counter() - started:.1f} s")
        some_id = f"{pq.read_table(next((run / 'triplets').glob('*.parquet')), columns=['id'])['id'][7]}"
        for index in range(200):
            append_decision(run, f"{some_id[:-7]}{index:07d}", "reject" if index % 2 else "accept", "bench")
        started = time.perf_counter()
        queries = RunQueries(run)
        print(f"{'index build (viewer start)':28s} {(time.perf_counter() - started) * 1000:8.1f} ms")
        started = time.perf_counter()
        queries.facets()
        print(f"{'facets, first call':28s} {(time.perf_counter() - started) * 1000:8.1f} ms (then cached)")
        cases = {
            "first page (50 rows)": lambda: queries.page(RowQuery(), 0, 50),
            "page at offset rows-100": lambda: queries.page(RowQuery(), args.rows - 100, 50),
            "filter modality + label": lambda: queries.page(RowQuery(modality="ct", label="liver lesion"), 0, 50),
            "free-text search": lambda: queries.page(RowQuery(text="hyperintense"), 0, 50),
            "review filter (rejected)": lambda: queries.page(RowQuery(review="rejected"), 0, 50),
            "one row's detail": lambda: queries.detail(some_id),
            "one row's image": lambda: queries.image_png(some_id),
        }
        for name, call in cases.items():
            print(f"{name:28s} {best_ms(call):8.1f} ms")


if __name__ == "__main__":
    main()
