"""Reading a run's Parquet parts; the writing lives in :mod:`medtrinity.io.parquet` and :mod:`medtrinity.run_folder`."""

from __future__ import annotations

from pathlib import Path

from medtrinity.io.parquet import write_rows
from medtrinity.run_folder import RunFolder, part_name, read_parquet_folder

__all__ = ["part_name", "read_table", "write_rejects", "write_rows", "write_triplets"]


def read_table(folder: Path):
    """All part files of a folder (``triplets`` or ``rejects``) as one table, in part order."""
    return read_parquet_folder(Path(folder))


def write_triplets(out_dir: Path, index: int, rows: list[dict]) -> Path:
    """Write shard ``index``'s triplet rows (without its marker: use ``RunFolder.commit_shard`` in a run)."""
    folder = RunFolder(out_dir)
    folder.rewrite_part(folder.part_path(index), rows)
    return folder.part_path(index)


def write_rejects(out_dir: Path, index: int, rows: list[dict]) -> Path:
    """Write shard ``index``'s reject rows."""
    return RunFolder(out_dir).write_removed(index, "part", rows)
