"""``medtrinity check``: a run folder or an export folder compared with its manifest, file by file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from medtrinity.export.staging import EXPORT_KIND, export_files
from medtrinity.io.hashes import file_sha256
from medtrinity.run_folder import MANIFEST_NAME, RunFolder


@dataclass
class CheckResult:
    """What kind of folder it is, how many files the manifest lists, and what is wrong."""

    kind: str
    files_listed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_export(folder: Path, manifest: dict) -> list[str]:
    problems = []
    listed = set()
    for entry in manifest.get("files", []):
        path = folder / entry["path"]
        listed.add(path)
        if not path.is_file():
            problems.append(f"{entry['path']}: listed in the manifest but missing")
        elif path.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']}: {path.stat().st_size} bytes, the manifest says {entry['bytes']}")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: sha256 differs from the manifest")
    for path in export_files(folder):
        if path not in listed:
            problems.append(f"{path.relative_to(folder)}: present but not in the manifest")
    return problems


def check_folder(folder: Path) -> CheckResult:
    """Verify every file against ``manifest.json``: missing, changed (size or sha256) or unlisted files."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        return CheckResult("unknown", problems=[f"{folder}: not a folder"])
    if not path.exists():
        return CheckResult("unknown", problems=[f"{path}: no manifest (an unfinished run or export?)"])
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        return CheckResult("unknown", problems=[f"{path}: not valid JSON ({error})"])
    listed = len(manifest.get("files", []))
    if manifest.get("kind") == EXPORT_KIND:
        return CheckResult(f"{manifest.get('format', '?')} export", listed, _check_export(folder, manifest))
    return CheckResult("run", listed, RunFolder(folder).check_manifest())
