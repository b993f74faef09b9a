"""The manifest: every output file with its size and sha256, so a missing or changed file is caught.

The folder's layout and the writing belong to :class:`~medtrinity.run_folder.RunFolder`; these are
the functions exporters and tests call on a folder path.
"""

from __future__ import annotations

from pathlib import Path

from medtrinity.io.hashes import file_sha256 as sha256_of
from medtrinity.run_folder import CHANGED, LISTED_FILES, LISTED_FOLDERS, MANIFEST_NAME, RunFolder

__all__ = ["CHANGED", "LISTED_FILES", "LISTED_FOLDERS", "MANIFEST_NAME", "check_manifest", "output_files",
           "sha256_of", "update_manifest", "write_manifest"]


def output_files(out_dir: Path) -> list[Path]:
    return RunFolder(out_dir).output_files()


def write_manifest(out_dir: Path, pipeline_version: str, config_hash: str) -> Path:
    """List every output file with size and checksum; written last, after all shards completed."""
    return RunFolder(out_dir).write_manifest(pipeline_version, config_hash)


def check_manifest(out_dir: Path) -> list[str]:
    """Problems found comparing the manifest with the folder: missing, changed or unlisted files."""
    return RunFolder(out_dir).check_manifest()


def update_manifest(out_dir: Path, rewritten: list[str]) -> None:
    """Refresh the entries of the files just rewritten; a part changed by someone else stays flagged."""
    RunFolder(out_dir).update_manifest(rewritten)
