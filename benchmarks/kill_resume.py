"""Kill -9 at random moments, resume, and compare with a clean run byte for byte.

A clean run of a mixed input (phantom CT volumes and 2D images with masks, some bad) is timed;
then one output folder is started and SIGKILLed ``--kills`` times at random moments within that
duration (mid-shard, mid-duplicate-pass, mid-manifest), and finally run to completion. Every
triplet and reject part must equal the clean run's byte for byte, the manifest must check, and
no temporary file may remain; after every kill, ``status`` must report no changed file (the shard
markers' records stay true through a kill). Prints kills landed, runs that finished first, seconds,
and any difference.

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


def _done(out: Path) -> int:
    return len(list((out / "_shards").glob("*.done.json"))) if (out / "_shards").exists() else 0


def run_and_kill(config: Path, out: Path, workers: int, after_s: float, at_shards: int | None = None) -> bool:
    """Start a run, SIGKILL its process group once ``at_shards`` shards are done (mid-run kills) or, with
    every shard done, after ``after_s`` (kills in start-up, the duplicate pass, stats or the manifest)."""
    process = subprocess.Popen(command(config, out, workers), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + (after_s if at_shards is None else 600)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if at_shards is not None and _done(out) >= at_shards:
            break
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return True


def _status_problems(out: Path) -> list[str]:
    """What ``medtrinity status`` reports as changed in a killed folder (manifest, or shard markers before it)."""
    from medtrinity.runner import run_status

    if not (out / "_plan.json").exists():
        return []
    return run_status(out)["integrity"]


def compare(clean: Path, resumed: Path) -> list[str]:
    """Differences between the two folders' parts (byte for byte), plus manifest and leftover problems."""
    from medtrinity.run_folder import RunFolder

    problems = []
    for folder in ("triplets", "rejects"):
        names = sorted(p.name for p in (clean / folder).glob("*.parquet"))
        other = sorted(p.name for p in (resumed / folder).glob("*.parquet"))
        if names != other:
            problems.append(f"{folder}: parts {names} vs {other}")
        for name in set(names) & set(other):
            if (clean / folder / name).read_bytes() != (resumed / folder / name).read_bytes():
                problems.append(f"{folder}/{name} differs")
    problems += [f"manifest: {p}" for p in RunFolder(resumed).check_manifest()]
    problems += [f"leftover {p}" for p in resumed.rglob("*.tmp-*")]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=300, help="2D images with masks (one shard per image)")
    parser.add_argument("--cases", type=int, default=6, help="phantom CT volumes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        folder = write_image_mask_folder(base / "xray", args.images)
        config = write_config(base / "run.yaml", [phantom_source(cases=args.cases), image_mask_source(folder, 1)])
        started = time.perf_counter()
        subprocess.run(command(config, base / "clean", 1), check=True, capture_output=True, timeout=1800)
        clean_s = time.perf_counter() - started
        print(f"clean run: {clean_s:.1f} s", flush=True)
        resumed = base / "resumed"
        landed = finished = flagged = 0
        started = time.perf_counter()
        import json

        total = len(json.loads((base / "clean" / "_plan.json").read_text())["shards"])
        for number in range(args.kills):
            done = _done(resumed)
            kills_left = args.kills - number
            mid_run = done < total and rng.random() < 0.8  # most kills while shards are being written
            target = done + rng.randint(1, max(1, (total - done) // max(1, kills_left // 2))) if mid_run else None
            after = rng.uniform(0.0, 1.5)
            if run_and_kill(config, resumed, rng.choice([1, args.workers]), after, target):
                landed += 1
            else:
                finished += 1
            where = f"at {target} shards" if target is not None else f"after {after:.2f} s"
            integrity = _status_problems(resumed)
            flagged += bool(integrity)
            print(f"kill {number + 1:2d} {where}: shards done {_done(resumed)}/{total}"
                  f"{'; status: ' + integrity[0] if integrity else ''}", flush=True)
        subprocess.run(command(config, resumed, args.workers), check=True, capture_output=True, timeout=1800)
        problems = compare(base / "clean", resumed)
        print()
        print(f"kills tried        {args.kills}")
        print(f"kills landed       {landed} (runs that finished before their kill: {finished})")
        print(f"seconds            clean {clean_s:.1f}, kill series {time.perf_counter() - started:.1f}")
        print(f"status after kills {flagged} of {args.kills} reported changed files (a kill must never look like "
              "tampering)")
        print(f"byte-identical     {'yes' if not problems else 'NO'}")
        for problem in problems:
            print(f"  {problem}")
        if problems or flagged:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
