"""An export folder built under a hidden staging name and moved into place in one rename (atomic exports).

A killed export leaves only ``.NAME.partial-PID`` beside the target, removed by the next export to the
same target; the target itself is either absent, the previous complete export, or the new complete one.
The manifest (every file with size and sha256) is written last, inside the staging folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from medtrinity.io.atomic import write_json_atomic
from medtrinity.io.hashes import file_sha256
from medtrinity.run_folder import MANIFEST_NAME

EXPORT_KIND = "export"


class ExportTargetError(FileExistsError):
    """The target folder holds something and ``overwrite`` was not given."""


def export_files(root: Path) -> list[Path]:
    """Every file of an export folder except the manifest, in sorted order."""
    return sorted(path for path in root.rglob("*") if path.is_file() and path.name != MANIFEST_NAME)


class StagedExport:
    """Context manager: write into ``self.root``; ``finish`` writes the manifest and moves it onto the target."""

    def __init__(self, target: Path, overwrite: bool = False) -> None:
        self.target = Path(target)
        if self.target.exists() and not self.target.is_dir():
            raise ExportTargetError(f"{self.target}: exists and is not a folder")
        if self.target.exists() and any(self.target.iterdir()) and not overwrite:
            raise ExportTargetError(f"{self.target}: folder exists and is not empty (pass --overwrite to replace it)")
        self.root = self.target.parent / f".{self.target.name}.partial-{os.getpid()}"
        self.finished = False

    def __enter__(self) -> StagedExport:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in self.target.parent.glob(f".{self.target.name}.partial-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        self.root.mkdir()
        return self

    def finish(self, header: dict) -> Path:
        """Write the manifest (``header`` plus every file's size and sha256), then swap the folder in."""
        entries = [{"path": str(path.relative_to(self.root)), "bytes": path.stat().st_size,
                    "sha256": file_sha256(path)} for path in export_files(self.root)]
        write_json_atomic(self.root / MANIFEST_NAME, {"kind": EXPORT_KIND, **header, "files": entries})
        previous = None
        if self.target.exists():
            previous = self.target.parent / f".{self.target.name}.old-{os.getpid()}"
            os.replace(self.target, previous)
        os.replace(self.root, self.target)
        if previous is not None:
            shutil.rmtree(previous)
        self.finished = True
        return self.target

    def __exit__(self, *exc_info) -> None:
        if not self.finished:
            shutil.rmtree(self.root, ignore_errors=True)
