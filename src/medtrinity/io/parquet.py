"""Parquet files written atomically with a fixed schema; PNG bytes stored without a codec.

Row groups are sized by bytes, not rows: an open ``ParquetWriter`` keeps about 100 KB of metadata
per row group (93 leaf columns in the triplet schema) until it closes, whatever the group holds, so
small groups make resident memory grow with the file. A streamed file therefore collects rows
into row groups of ~``row_group_bytes`` (Arrow bytes) and, after ``row_groups_per_file`` groups,
continues in a new file (``part-00007.parquet``, ``part-00007_001.parquet``, ...): the writer's
metadata, and so memory, stays bounded however many rows a shard has.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.io.atomic import TMP_MARK, write_atomic

T = TypeVar("T")


@dataclass(frozen=True)
class StreamLimits:
    """How streamed rows are grouped: Arrow bytes per row group, rows per conversion, groups per file."""

    row_group_bytes: int = 32 * 2**20
    batch_rows: int = 256
    row_groups_per_file: int = 32


STREAM_LIMITS = StreamLimits()


def continuation_path(path: Path, number: int) -> Path:
    """The ``number``-th file a streamed file continues in (0: ``path`` itself); names sort after ``path``."""
    return path if number == 0 else path.with_name(f"{path.stem}_{number:03d}{path.suffix}")


def continuations(path: Path) -> list[Path]:
    """The continuation files of ``path`` that exist (not ``path`` itself), in order."""
    return sorted(path.parent.glob(f"{path.stem}_[0-9][0-9][0-9]{path.suffix}"))


def _writer_options(schema: pa.Schema) -> dict:
    """PNG bytes are incompressible and never filtered on: no dictionary, no codec and no min/max statistics
    for them (the statistics compared every row's PNG bytes, ~0.13 ms a row, and stored two PNGs' worth of
    bytes per page); zstd, dictionaries and statistics for everything else."""
    png_columns = {"image_png"} & set(schema.names)
    plain = [name for name in schema.names if name not in png_columns]
    return {
        "compression": {name: ("none" if name in png_columns else "zstd") for name in schema.names},
        "use_dictionary": plain,
        "write_statistics": plain,
    }


def rows_per_group(table: pa.Table, limits: StreamLimits | None = None) -> int:
    """How many of ``table``'s rows make a row group of about ``limits.row_group_bytes``."""
    limits = limits or STREAM_LIMITS
    if table.num_rows == 0:
        return 1
    return max(1, int(limits.row_group_bytes // max(1, table.nbytes / table.num_rows)))


def write_rows(path: Path, rows: list[dict], schema: pa.Schema, limits: StreamLimits | None = None) -> None:
    """Write rows as one Parquet file (atomically), in row groups of about ``limits.row_group_bytes``."""
    write_table_rows(path, pa.Table.from_pylist(rows, schema=schema), limits)


def write_filtered(target: Path, source: Path, schema: pa.Schema, keep: Callable[[pa.Table], pa.Array]) -> None:
    """Write the rows of ``source`` that ``keep(row_group)`` selects to ``target``, one row group at a time.

    Memory holds one row group (~32 MiB for a streamed part), not the file; each group keeps its rows
    in order, less the dropped ones, encoded as :func:`write_rows` encodes them. Not atomic: the
    caller writes to a staging path.
    """
    reader = pq.ParquetFile(source)
    with pq.ParquetWriter(target, schema, **_writer_options(schema)) as writer:
        for group in range(reader.num_row_groups):
            table = reader.read_row_group(group)
            kept = pa.Table.from_arrays(table.filter(keep(table)).columns, schema=schema)
            if kept.num_rows:
                writer.write_table(kept, row_group_size=kept.num_rows)


def write_table_rows(path: Path, table: pa.Table, limits: StreamLimits | None = None) -> None:
    """Write an Arrow table as one Parquet file (atomically), grouped and encoded as :func:`write_rows` does."""
    write_atomic(path, lambda target: pq.write_table(table, target, row_group_size=rows_per_group(table, limits),
                                                     **_writer_options(table.schema)))


class _StreamedFiles:
    """Rows in, row groups out: one open writer at a time, each file under a temporary name until the end."""

    def __init__(self, path: Path, schema: pa.Schema, limits: StreamLimits):
        self.path, self.schema, self.limits = path, schema, limits
        self.options = _writer_options(schema)
        self.rows: list[dict] = []
        self.batches: list[pa.RecordBatch] = []
        self.batch_bytes = 0
        self.writer: pq.ParquetWriter | None = None
        self.groups_in_file = 0
        self.files: list[tuple[Path, Path]] = []  # (temporary, final) in order

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.limits.batch_rows:
            self._convert()

    def _convert(self) -> None:
        """Turn the buffered row dicts into one Arrow batch (compact), writing a group once enough bytes wait."""
        if self.rows:
            batch = pa.RecordBatch.from_pylist(self.rows, schema=self.schema)
            self.rows.clear()
            self.batches.append(batch)
            self.batch_bytes += batch.nbytes
        if self.batch_bytes >= self.limits.row_group_bytes:
            self._write_group()

    def _write_group(self) -> None:
        if not self.batches:
            return
        if self.writer is None or self.groups_in_file >= self.limits.row_groups_per_file:
            self._open_next()
        table = pa.Table.from_batches(self.batches, schema=self.schema)
        self.writer.write_table(table, row_group_size=table.num_rows)
        self.groups_in_file += 1
        self.batches, self.batch_bytes = [], 0

    def _open_next(self) -> None:
        self._close_writer()
        final = continuation_path(self.path, len(self.files))
        temporary = final.with_name(f"{final.name}{TMP_MARK}{os.getpid()}")
        self.files.append((temporary, final))
        self.writer = pq.ParquetWriter(temporary, self.schema, **self.options)
        self.groups_in_file = 0

    def _close_writer(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def finish(self) -> list[Path]:
        """Write what is buffered, close, and rename every file into place; stale continuations are removed."""
        self._convert()
        self._write_group()
        if self.writer is None and not self.files:
            self._open_next()  # no rows: an empty file with the schema
        self._close_writer()
        for temporary, final in self.files:
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        written = [final for _, final in self.files]
        for stale in continuations(self.path):  # from an earlier, longer attempt at the same file
            if stale not in written:
                stale.unlink()
        return written

    def abort(self) -> None:
        try:
            self._close_writer()
        finally:
            for temporary, _ in self.files:
                temporary.unlink(missing_ok=True)


def stream_rows(path: Path, schema: pa.Schema, produce: Callable[[Callable[[dict], None]], T],
                limits: StreamLimits | None = None) -> T:
    """Write the rows ``produce`` hands to its sink as they come, one row group at a time.

    Memory holds one row group (about ``limits.row_group_bytes``) and the open file's metadata, not
    the shard: a shard of any size streams through, continuing in ``part-N_001.parquet`` ... after
    ``limits.row_groups_per_file`` groups. The files appear only once ``produce`` has returned
    (atomic renames); if it raises, nothing is left behind. Returns what ``produce`` returns.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    files = _StreamedFiles(path, schema, limits or STREAM_LIMITS)
    try:
        outcome = produce(files.add)
        files.finish()
    except BaseException:
        files.abort()
        raise
    return outcome
