"""Kill -9 at random moments, resume, and compare with a clean run byte for byte.

A clean run of a mixed input (phantom CT volumes and 2D images with masks, some bad) is timed;
then one output folder is started and SIGKILLed ``--kills`` times at random moments within that
duration (mid-shard, mid-duplicate-pass, mid-manifest), and finally run to completion. Every
triplet and reject part must equal the clean run's byte for byte, the manifest must check, and
no temporary file may remain. Prints kills landed, runs that finished first, seconds, and any
difference.

    python benchmarks/kill_resume.py [--kills 50] [--seed 0] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.helpers import (  # noqa: E402 - the test helpers build the input collection
    image_mask_source,
    phantom_source,
    write_config,
    write_image_mask_folder,
)


def command(config: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "medtrinity", "run", str(config), "--out", str(out), "--quiet",
            "--workers", str(workers)]


def run_and_kill(config: Path, out: Path, workers: int, after_s: float) -> bool:
    """Start a run, SIGKILL its process group after ``after_s``; False if it finished first."""
    process = subprocess.Popen(command(config, out, workers), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + after_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return True


def compare(clean: Path, resumed: Path) -> list[str]:
    """Differences between the two folders' parts (byte for byte), plus manifest and leftover problems."""
    from medtrinity.export.manifest import check_manifest

    problems = []
    for folder in ("triplets", "rejects"):
        names = sorted(p.name for p in (clean / folder).glob("*.parquet"))
        other = sorted(p.name for p in (resumed / folder).glob("*.parquet"))
        if names != other:
            problems.append(f"{folder}: parts {names} vs {other}")
        for name in set(names) & set(other):
            if (clean / folder / name).read_bytes() != (resumed / folder / name).read_bytes():
                problems.append(f"{folder}/{name} differs")
    problems += [f"manifest: {p}" for p in check_manifest(resumed)]
    problems += [f"leftover {p}" for p in resumed.rglob("*.tmp-*")]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        folder = write_image_mask_folder(base / "xray", 40)
        config = write_config(base / "run.yaml", [phantom_source(cases=3), image_mask_source(folder, 1)])
        started = time.perf_counter()
        subprocess.run(command(config, base / "clean", 1), check=True, capture_output=True, timeout=1800)
        clean_s = time.perf_counter() - started
        print(f"clean run: {clean_s:.1f} s", flush=True)
        resumed = base / "resumed"
        landed = finished = 0
        started = time.perf_counter()
        for number in range(args.kills):
            after = rng.uniform(0.0, clean_s)
            if run_and_kill(config, resumed, rng.choice([1, args.workers]), after):
                landed += 1
            else:
                finished += 1
            done = len(list((resumed / "_shards").glob("*.done.json"))) if (resumed / "_shards").exists() else 0
            print(f"kill {number + 1:2d} after {after:5.1f} s: shards done {done}", flush=True)
        subprocess.run(command(config, resumed, args.workers), check=True, capture_output=True, timeout=1800)
        problems = compare(base / "clean", resumed)
        print()
        print(f"kills tried        {args.kills}")
        print(f"kills landed       {landed} (runs that finished before their kill: {finished})")
        print(f"seconds            clean {clean_s:.1f}, kill series {time.perf_counter() - started:.1f}")
        print(f"byte-identical     {'yes' if not problems else 'NO'}")
        for problem in problems:
            print(f"  {problem}")
        if problems:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
