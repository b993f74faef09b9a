"""Judge what the readers make of the hostile corpus: clean reject, vague reject, crash or silent accept.

Planning and the read stage run exactly as in a run (``plan_shards`` then each shard's reader), so
a planning failure that would sink a whole run shows as ``crash``. Used by the tests (in a
memory-limited subprocess) and by ``benchmarks/hostile_inputs.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from medtrinity.hostile.corpus import build_corpus
from medtrinity.hostile.writers import HostileCase

GENERIC_CODES = {"read_error", "stage_error"}  # a library's exception passed through: nobody can act on it


def read_stage(case: HostileCase) -> tuple[list, list]:
    """Plan the case's source and read every item: (samples, rejects), or an exception if planning fails."""
    from medtrinity.config import parse_config
    from medtrinity.pipeline import ShardSpec, _samples_of
    from medtrinity.runner import plan_shards
    from medtrinity.sources import make_reader
    from medtrinity.stages import StageContext
    from medtrinity.stats import StageStats

    config = parse_config({"sources": [case.source], "knowledge": {"kb": "none"}, **case.settings})
    samples, rejects = [], []
    for spec in plan_shards(config):
        reader = make_reader(config.source(spec.source), config)
        shard = ShardSpec(spec.index, spec.source, spec.items)
        for sample in _samples_of(reader, shard, StageStats(), rejects, StageContext()):
            samples.append(sample)
    return samples, rejects


def judge(case: HostileCase, samples: list, rejects: list) -> tuple[str, str]:
    """(outcome, detail) for one case's read results."""
    files = [str(sample.source_file) for sample in samples]
    good_files = {f for f in files if "good" in Path(f.split(" ")[0]).name}
    if case.expect == "once":
        repeated = [f for f, n in Counter((f, s.slice_index) for f, s in zip(files, samples, strict=True)).items()
                    if n > 1]
        if repeated or len(files) != case.good:
            return "duplicate", f"{len(files)} samples for {case.good} files"
        return "ok", ""
    if len(good_files) < min(case.good, 1) or (case.good and not good_files):
        return "crash", "good files lost"
    naming = [r for r in rejects if case.hostile in r.reason or case.hostile in str(r.source_file)]
    if not naming:
        bad = [f for f in files if "good" not in Path(f.split(" ")[0]).name]
        return "silent_accept", f"{len(bad)} samples from the hostile input, no reject naming {case.hostile!r}"
    if any(r.code in GENERIC_CODES or case.hostile not in r.reason for r in naming):
        return "vague_reject", naming[0].reason[:200]
    if any(f for f in files if "good" not in Path(f.split(" ")[0]).name):
        return "partial_accept", "hostile input rejected but some of it accepted"
    return "clean_reject", f"{naming[0].code}: {naming[0].reason[:160]}"


def run_case(case: HostileCase) -> dict:
    """One case judged, with the exception that escaped (a crash) and the seconds it took."""
    started = time.perf_counter()
    try:
        samples, rejects = read_stage(case)
        outcome, detail = judge(case, samples, rejects)
    except MemoryError as error:
        outcome, detail = "memory_bomb", f"MemoryError {error}"
    except BaseException as error:  # noqa: BLE001 - anything escaping a reader sinks a run: that is the finding
        outcome, detail = "crash", f"{type(error).__name__}: {str(error)[:200]}"
    return {"case": case.name, "family": case.family, "outcome": outcome, "detail": detail,
            "seconds": round(time.perf_counter() - started, 3)}


def main(argv: list[str]) -> None:
    """``python -m medtrinity.hostile.check ROOT [CASE ...]``: build the corpus, print one JSON line per case."""
    root = Path(argv[0])
    wanted = set(argv[1:])
    for case in build_corpus(root):
        if wanted and case.name not in wanted:
            continue
        print(json.dumps(run_case(case)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
