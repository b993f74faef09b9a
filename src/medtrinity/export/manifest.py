"""The manifest: every output file with its size and sha256, so a missing or changed file is caught."""

from __future__ import annotations

import hashlib
from pathlib import Path

from medtrinity.io.atomic import write_json_atomic

MANIFEST_NAME = "manifest.json"
LISTED_FOLDERS = ("triplets", "rejects")
LISTED_FILES = ("stats.json", "config.resolved.yaml")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def output_files(out_dir: Path) -> list[Path]:
    files = [out_dir / name for name in LISTED_FILES if (out_dir / name).exists()]
    for folder in LISTED_FOLDERS:
        files.extend(sorted((out_dir / folder).glob("*.parquet")))
    return files


def write_manifest(out_dir: Path, pipeline_version: str, config_hash: str) -> Path:
    """List every output file with size and checksum; written last, after all shards completed."""
    entries = [
        {"path": str(path.relative_to(out_dir)), "bytes": path.stat().st_size, "sha256": sha256_of(path)}
        for path in output_files(out_dir)
    ]
    path = out_dir / MANIFEST_NAME
    write_json_atomic(
        path, {"pipeline_version": pipeline_version, "config_hash": config_hash, "files": entries}
    )
    return path


def check_manifest(out_dir: Path) -> list[str]:
    """Problems found comparing the manifest with the folder: missing, changed or unlisted files."""
    import json

    manifest = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    problems = []
    listed = set()
    for entry in manifest["files"]:
        path = out_dir / entry["path"]
        listed.add(path)
        if not path.exists():
            problems.append(f"{entry['path']}: listed in the manifest but missing")
        elif path.stat().st_size != entry["bytes"] or sha256_of(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: size or checksum differs from the manifest")
    for path in output_files(out_dir):
        if path not in listed:
            problems.append(f"{path.relative_to(out_dir)}: present but not in the manifest")
    return problems
