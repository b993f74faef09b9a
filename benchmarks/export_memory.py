"""Peak memory and time of each export format over a small and a large synthetic run, side by side.

The synthetic runs repeat the demo's rows (real PNGs, ROIs and descriptions) under new ids, written
as ordinary triplet parts. Each export runs in a fresh process; its peak resident memory is read from
the kernel (``VmHWM`` in ``/proc/self/status``), and the same process's peak with only the imports done
is printed as the baseline. Flat memory means the large column stays close to the small one.

``vqa-generate`` is ``medtrinity vqa generate`` (rows and questions streamed to the file), ``vqa-in-memory``
the same with every row and question held first (as it was before it streamed), ``vqa-llava`` is
``medtrinity vqa export`` generating afresh.

    python benchmarks/export_memory.py [--rows 1000 20000] [--formats hf webdataset llava coco vqa-generate ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from medtrinity.demo import demo_config
from medtrinity.io.parquet import write_rows
from medtrinity.runner import run_pipeline
from medtrinity.schema import TRIPLET_SCHEMA

ROWS_PER_PART = 500
CHILD = """
import sys
from pathlib import Path
kind, run, out = sys.argv[1], Path(sys.argv[2] or "."), Path(sys.argv[3] or ".")
if kind in ("vqa-generate", "vqa-in-memory"):
    from medtrinity.cli.vqa import _write_jsonl
    from medtrinity.evaluation.questions import generate_questions, iter_questions
    from medtrinity.evaluation.row_facts import iter_rows, read_rows
    out.mkdir(parents=True)
    # vqa-generate: what the CLI does, rows and questions streamed to the file; vqa-in-memory: every row and
    # every question held first (what the CLI did before it streamed), for comparison
    streamed = kind == "vqa-generate"
    _write_jsonl(out / "q.jsonl", iter_questions(iter_rows(run)) if streamed else generate_questions(read_rows(run)))
elif kind == "vqa-llava":
    from medtrinity.evaluation.llava_export import export_llava
    from medtrinity.evaluation.questions import iter_questions
    from medtrinity.evaluation.row_facts import iter_rows
    export_llava(run, iter_questions(iter_rows(run)), out)
elif kind != "baseline":
    from medtrinity.export.formats import export_run
    export_run(run, kind, out)
# VmHWM: this process's own peak resident set (ru_maxrss would include the forking parent's pages)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def make_synthetic_run(demo_run: Path, rows: int, target: Path) -> Path:
    """``rows`` rows cycling through the demo run's rows, ids made unique, in parts of 500."""
    template = [row for part in sorted((demo_run / "triplets").glob("*.parquet"))
                for row in pq.read_table(part).to_pylist()]
    (target / "triplets").mkdir(parents=True)
    for name in ("stats.json", "config.resolved.yaml"):
        shutil.copy(demo_run / name, target / name)
    for start in range(0, rows, ROWS_PER_PART):
        batch = []
        for index in range(start, min(rows, start + ROWS_PER_PART)):
            row = dict(template[index % len(template)])
            row["id"] = f"{row['id']}-{index:07d}"
            batch.append(row)
        write_rows(target / "triplets" / f"part-{start // ROWS_PER_PART:05d}.parquet", batch, TRIPLET_SCHEMA)
    return target


def peak_rss_mib(arguments: list[str]) -> tuple[float, float]:
    """(peak resident MiB, seconds) of one child process running ``CHILD`` with ``arguments``."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"export child {arguments} failed: {result.stderr[-2000:]}")
    return int(result.stdout.split()[-1]) / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--formats", nargs="+", default=["hf", "webdataset", "llava", "coco", "vqa-generate",
                                                         "vqa-in-memory", "vqa-llava"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="export-memory-") as scratch:
        scratch_dir = Path(scratch)
        demo = scratch_dir / "demo"
        run_pipeline(demo_config(demo), demo)
        runs = {rows: make_synthetic_run(demo, rows, scratch_dir / f"run-{rows}") for rows in args.rows}
        sizes = {rows: sum(p.stat().st_size for p in (run / "triplets").glob("*")) / 2**20
                 for rows, run in runs.items()}
        baseline, _ = peak_rss_mib(["baseline", "", ""])
        print(f"baseline (interpreter + export imports): {baseline:.0f} MiB peak RSS")
        header = "format".ljust(12) + "".join(f"{rows:>8} rows ({sizes[rows]:.0f} MiB run)".rjust(34)
                                              for rows in args.rows)
        print(header)
        for export_format in args.formats:
            cells = []
            for rows, run in runs.items():
                out = scratch_dir / f"out-{export_format}-{rows}"
                peak, seconds = peak_rss_mib([export_format, str(run), str(out)])
                cells.append(f"{peak:6.0f} MiB peak, {seconds:6.1f} s, {rows / seconds:6.0f} rows/s".rjust(34))
                shutil.rmtree(out)
            print(export_format.ljust(12) + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
