"""Parquet files written atomically with a fixed schema; PNG bytes stored without a codec."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.io.atomic import write_atomic


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
