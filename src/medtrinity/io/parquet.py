"""Parquet files written atomically with a fixed schema; PNG bytes stored without a codec."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.io.atomic import write_atomic

ROW_GROUP_ROWS = 256
T = TypeVar("T")


def _writer_options(schema: pa.Schema) -> dict:
    """PNG bytes are incompressible: no dictionary, no codec on them; zstd on everything else."""
    no_dictionary = {"image_png"} & set(schema.names)
    return {
        "compression": {name: ("none" if name in no_dictionary else "zstd") for name in schema.names},
        "use_dictionary": [name for name in schema.names if name not in no_dictionary],
    }


def write_rows(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    """Write rows as one Parquet file (atomically), in row groups of ``ROW_GROUP_ROWS``."""
    table = pa.Table.from_pylist(rows, schema=schema)
    write_atomic(path, lambda target: pq.write_table(table, target, row_group_size=ROW_GROUP_ROWS,
                                                     **_writer_options(schema)))


def stream_rows(path: Path, schema: pa.Schema, produce: Callable[[Callable[[dict], None]], T]) -> T:
    """Write the rows ``produce`` hands to its sink as they come, one row group at a time.

    Memory holds one row group (``ROW_GROUP_ROWS`` rows), not the file: a shard of any size
    streams through. The file appears under ``path`` only once ``produce`` has returned (atomic
    rename); if it raises, nothing is left behind. Returns what ``produce`` returns.
    """
    buffer: list[dict] = []
    outcome: list[T] = []

    def write(target: Path) -> None:
        with pq.ParquetWriter(target, schema, **_writer_options(schema)) as writer:
            def sink(row: dict) -> None:
                buffer.append(row)
                if len(buffer) >= ROW_GROUP_ROWS:
                    writer.write_table(pa.Table.from_pylist(buffer, schema=schema), row_group_size=ROW_GROUP_ROWS)
                    buffer.clear()

            outcome.append(produce(sink))
            if buffer:
                writer.write_table(pa.Table.from_pylist(buffer, schema=schema), row_group_size=ROW_GROUP_ROWS)
                buffer.clear()

    write_atomic(path, write)
    return outcome[0]
