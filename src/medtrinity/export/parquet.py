"""Parquet shard files for triplets and rejects, written atomically with a fixed schema."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.io.atomic import write_atomic
from medtrinity.schema import REJECT_SCHEMA, TRIPLET_SCHEMA


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def write_rows(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    """Write rows as one Parquet file. PNG bytes are incompressible: no dictionary, no codec on them."""
    table = pa.Table.from_pylist(rows, schema=schema)
    no_dictionary = {"image_png"} & set(schema.names)
    use_dictionary = [name for name in schema.names if name not in no_dictionary]

    def write(target: Path) -> None:
        pq.write_table(
            table,
            target,
            compression={name: ("none" if name in no_dictionary else "zstd") for name in schema.names},
            use_dictionary=use_dictionary,
            row_group_size=256,
        )

    write_atomic(path, write)


def write_triplets(out_dir: Path, index: int, rows: list[dict]) -> Path:
    path = out_dir / "triplets" / part_name(index)
    write_rows(path, rows, TRIPLET_SCHEMA)
    return path


def write_rejects(out_dir: Path, index: int, rows: list[dict]) -> Path:
    path = out_dir / "rejects" / part_name(index)
    write_rows(path, rows, REJECT_SCHEMA)
    return path


def read_table(folder: Path) -> pa.Table:
    """All part files of a folder (``triplets`` or ``rejects``) as one table, in part order."""
    files = sorted(folder.glob("*.parquet"))
    if not files:
        return pa.table({})
    return pa.concat_tables([pq.read_table(file) for file in files])
