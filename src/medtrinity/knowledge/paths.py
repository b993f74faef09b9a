"""Where the knowledge base keeps derived files (the built-in index, embeddings)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "MEDTRINITY_CACHE"


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``cache_dir`` if given, else ``$MEDTRINITY_CACHE``, else ``~/.cache/medtrinity``."""
    if cache_dir is not None:
        return Path(cache_dir)
    from_env = os.environ.get(CACHE_ENV)
    if from_env:
        return Path(from_env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "medtrinity"


def data_dir() -> Path:
    """The folder of bundled knowledge files shipped inside the package."""
    return Path(__file__).resolve().parent / "data"
