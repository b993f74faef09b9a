"""The whole hostile corpus: the early cases (:mod:`medtrinity.hostile.early`) and those of the readers added late
(:mod:`medtrinity.hostile.late`), written once under a folder and read back from its ``cases.json``."""

from __future__ import annotations

import json
from pathlib import Path

from medtrinity.hostile.early import EARLY_BUILDERS
from medtrinity.hostile.late import LATE_BUILDERS
from medtrinity.hostile.writers import HostileCase, with_label_names

CASES_FILE = "cases.json"


def build_corpus(root: Path) -> list[HostileCase]:
    """Write every hostile case under ``root`` and return them; a folder built before is only read back."""
    root = Path(root)
    if (root / CASES_FILE).exists():
        return [HostileCase(**entry) for entry in json.loads((root / CASES_FILE).read_text(encoding="utf-8"))]
    root.mkdir(parents=True, exist_ok=True)
    cases: list[HostileCase] = []
    for build in (*EARLY_BUILDERS, *LATE_BUILDERS):
        cases += build(root)
    for case in cases:
        if case.name == "mask_unknown_label":
            with_label_names(case, {1: "nodule"})
    (root / CASES_FILE).write_text(json.dumps([vars(case) for case in cases], indent=1), encoding="utf-8")
    return cases
