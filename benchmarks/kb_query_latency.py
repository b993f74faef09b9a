"""Latency of a one-off `medtrinity kb query` (a fresh process each time), BM25 default and hybrid.

Prints the median wall time and CPU time (user + system of the child) over a few runs; asserts
nothing. Run: PYTHONPATH=src python benchmarks/kb_query_latency.py [--runs 5] [--hybrid]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def one_query(arguments: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "medtrinity", "kb", "query", "builtin", "CT liver hypodense lesion",
                    "-k", "3", "--json", *arguments], check=True, capture_output=True, env=os.environ)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hybrid", action="store_true", help="also time --method hybrid (loads the model)")
    args = parser.parse_args()
    one_query([])  # builds the builtin KB into the cache on a first use, not timed
    cases = [("bm25 (default)", [])] + ([("hybrid", ["--method", "hybrid"])] if args.hybrid else [])
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, arguments in cases:
        runs = [one_query(arguments) for _ in range(args.runs)]
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        print(f"kb query, {name}: median {wall:.2f} s wall, {cpu:.2f} s CPU over {args.runs} fresh processes")


if __name__ == "__main__":
    main()
