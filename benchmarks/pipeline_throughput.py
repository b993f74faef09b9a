"""Pipeline throughput and memory on the phantom: samples per second per stage, one worker against two.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/pipeline_throughput.py [--cases N]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from medtrinity.config import parse_config
from medtrinity.runner import run_pipeline


def measure(cases: int, workers: int, executor: str) -> tuple[float, dict]:
    config = parse_config({
        "sources": [{"name": "phantom", "reader": "phantom", "path": "phantom", "options": {"cases": cases}}],
        "knowledge": {"kb": "none"},
    })
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        summary = run_pipeline(config, Path(folder), executor=executor, workers=workers)
        seconds = time.perf_counter() - started
        stats = json.loads((Path(folder) / "stats.json").read_text())
    return summary.triplets / seconds, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=6, help="phantom volumes (40 slices of 256x256 each)")
    args = parser.parse_args()
    one, stats = measure(args.cases, 1, "local")
    two, _ = measure(args.cases, 2, "local")
    print(f"phantom: {args.cases} volumes, {stats['triplets']} slices")
    print(f"{'stage':<12}{'samples/s (1 worker)':>24}")
    for stage, values in stats["stages"].items():
        rate = values["in"] / values["seconds"] if values["seconds"] else float("inf")
        print(f"{stage:<12}{rate:>24.0f}")
    print(f"end to end: 1 worker {one:.0f} samples/s, 2 workers {two:.0f} samples/s, ratio {two / one:.2f}x")
    own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: this process (1-worker run) {own_mb:.0f} MB, "
          f"largest worker process {workers_mb:.0f} MB")


if __name__ == "__main__":
    main()
