"""Where the shared real-data folder is: ``MEDTRINITY_DATA``, else ``../shared/data`` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "MEDTRINITY_DATA"


def shared_data_dir() -> Path | None:
    """The shared data folder, or None when this machine has none (a user's plain clone)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_dir() else None
    repo_root = Path(__file__).resolve().parents[2]
    for candidate in (Path.cwd() / ".." / "shared" / "data", repo_root / ".." / "shared" / "data"):
        if candidate.is_dir():
            return candidate.resolve()
    return None
