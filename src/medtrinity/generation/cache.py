"""A request cache on disk: one JSON file per request, named by the sha256 of the whole request.

A resumed or repeated run finds every answered request here and never pays for it twice. Files
are written atomically (temporary name, then rename), so a killed run leaves no half entry;
concurrent writers of the same key write the same content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from medtrinity.io.atomic import write_json_atomic


def request_key(request: dict[str, Any]) -> str:
    """sha256 of the request's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class RequestCache:
    """``<folder>/<key[:2]>/<key>.json`` holding the reply of one request."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError):
            return None  # an unreadable entry is a miss; it will be rewritten

    def put(self, key: str, value: dict[str, Any]) -> None:
        write_json_atomic(self.path(key), value)

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*/*.json")) if self.folder.exists() else 0
