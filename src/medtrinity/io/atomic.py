"""Atomic file writes: a temporary name in the same folder, then a rename, so a killed run never leaves half a file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

TMP_MARK = ".tmp-"


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)`` and move the result onto ``path`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}{TMP_MARK}{os.getpid()}")
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_json_atomic(path: Path, value: object) -> None:
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    write_atomic(path, lambda target: target.write_text(text, encoding="utf-8"))


def remove_temporaries(folder: Path) -> int:
    """Delete leftovers of writes that were killed midway; returns how many were removed."""
    removed = 0
    if folder.exists():
        for leftover in folder.rglob(f"*{TMP_MARK}*"):
            leftover.unlink()
            removed += 1
    return removed
