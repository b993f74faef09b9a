"""Hostile-input benchmark: every case of the hostile corpus read in its own memory-capped process.

Prints, per case, the outcome (clean_reject, vague_reject, crash, silent_accept, partial_accept,
duplicate, hang, memory_bomb, ok) and the child's peak resident memory, then the totals the issue
asks for: cases tried / clean rejects / crashes / hangs / peak memory.

    python benchmarks/hostile_inputs.py [--timeout 60] [--memory-gb 3] [--keep DIR]
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
from collections import Counter
from pathlib import Path

BOMB_MIB = 1024


def run_child(root: Path, case: str, timeout_s: float, memory_bytes: int) -> tuple[dict, float]:
    """Run one case in a child limited to ``memory_bytes`` of address space: (result, peak RSS in MiB)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    process = subprocess.Popen([sys.executable, "-m", "medtrinity.hostile.check", str(root), case],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            result = {"case": case, "outcome": "hang", "detail": f"killed after {timeout_s:.0f} s"}
            return result, usage.ru_maxrss / 1024
        time.sleep(0.05)
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    peak_mib = usage.ru_maxrss / 1024
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if lines:
        return json.loads(lines[-1]), peak_mib
    code = os.waitstatus_to_exitcode(status)
    outcome = "memory_bomb" if "MemoryError" in err or "bad_alloc" in err or code < 0 else "crash"
    return {"case": case, "outcome": outcome, "detail": f"exit {code}: {err.strip().splitlines()[-1:]}"}, peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case before it counts as a hang")
    parser.add_argument("--memory-gb", type=float, default=3.0, help="address-space cap per case (GiB)")
    parser.add_argument("--keep", type=Path, default=None, help="build the corpus here and keep it")
    parser.add_argument("cases", nargs="*", help="only these cases")
    args = parser.parse_args()
    from medtrinity.hostile.corpus import build_corpus

    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch) / "corpus"
        cases = [case for case in build_corpus(root) if not args.cases or case.name in args.cases]
        outcomes: Counter[str] = Counter()
        peaks = []
        for case in cases:
            result, peak = run_child(root, case.name, args.timeout, int(args.memory_gb * (1 << 30)))
            if "MemoryError" in result.get("detail", "") or peak > BOMB_MIB:
                result["outcome"] = "memory_bomb"  # failed for want of memory, or took over 1 GiB: a worker outage
            outcomes[result["outcome"]] += 1
            peaks.append((peak, case.name))
            print(f"{case.name:34s} {result['outcome']:15s} {peak:8.0f} MiB  {result.get('detail', '')[:110]}",
                  flush=True)
    worst = max(peaks)
    print()
    print(f"cases tried        {len(cases)}")
    for outcome in ("clean_reject", "ok", "vague_reject", "partial_accept", "silent_accept", "duplicate", "crash",
                    "hang", "memory_bomb"):
        print(f"{outcome:18s} {outcomes.get(outcome, 0)}")
    print(f"peak memory        {worst[0]:.0f} MiB ({worst[1]}); address-space cap {args.memory_gb:g} GiB per case")


if __name__ == "__main__":
    main()
