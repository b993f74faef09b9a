"""Hugging Face export: Parquet shards whose schema carries the ``huggingface`` features metadata.

``datasets`` reads the features from the Parquet schema metadata key ``huggingface``
(``{"info": {"features": ...}}``, the form ``Dataset.to_parquet`` writes), so the ``image`` column,
a ``struct<bytes, path>``, loads as an ``Image`` feature (PIL images) with
``datasets.load_dataset("parquet", data_files=...)`` or with the card's ``configs`` from the folder.
Shards are written batch by batch with one ``ParquetWriter`` each, so memory stays flat in rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.export.run_rows import RowFilter, iter_rows
from medtrinity.schema import TRIPLET_SCHEMA

DATA_FOLDER = "data"
SPLIT = "train"
IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
_DROPPED = {"image_png"}


def hf_type(arrow_type: pa.DataType) -> pa.DataType:
    """``arrow_type`` with every map replaced by a list of ``{key, value}`` structs (``datasets`` has no map)."""
    if pa.types.is_map(arrow_type):
        return pa.list_(pa.struct([("key", hf_type(arrow_type.key_type)), ("value", hf_type(arrow_type.item_type))]))
    if pa.types.is_fixed_size_list(arrow_type):
        return pa.list_(hf_type(arrow_type.value_type), arrow_type.list_size)
    if pa.types.is_list(arrow_type):
        return pa.list_(hf_type(arrow_type.value_type))
    if pa.types.is_struct(arrow_type):
        return pa.struct([(arrow_type.field(i).name, hf_type(arrow_type.field(i).type))
                          for i in range(arrow_type.num_fields)])
    return arrow_type


def _has_map(arrow_type: pa.DataType) -> bool:
    return hf_type(arrow_type) != arrow_type


def hf_value(value, arrow_type: pa.DataType):
    """A value of the triplet type ``arrow_type`` in the shape of ``hf_type(arrow_type)``."""
    if value is None:
        return None
    if pa.types.is_map(arrow_type):
        pairs = value.items() if isinstance(value, dict) else value
        return [{"key": key, "value": hf_value(item, arrow_type.item_type)} for key, item in pairs]
    if pa.types.is_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return [hf_value(item, arrow_type.value_type) for item in value]
    if pa.types.is_struct(arrow_type):
        return {arrow_type.field(i).name: hf_value(value.get(arrow_type.field(i).name), arrow_type.field(i).type)
                for i in range(arrow_type.num_fields)}
    return value


_MAP_COLUMNS = {field.name: field.type for field in TRIPLET_SCHEMA if _has_map(field.type)}


def hf_schema() -> pa.Schema:
    """The triplet schema with ``image_png`` replaced by an ``image`` struct, maps as key/value lists,
    plus ``review_status``."""
    fields = [pa.field("id", pa.string()), pa.field("image", IMAGE_TYPE)]
    fields += [pa.field(field.name, hf_type(field.type)) for field in TRIPLET_SCHEMA
               if field.name not in _DROPPED | {"id"}]
    fields.append(pa.field("review_status", pa.string()))
    features = {field.name: feature_of(field.type) for field in fields}
    features["image"] = {"_type": "Image"}
    metadata = {b"huggingface": json.dumps({"info": {"features": features}}).encode("utf-8")}
    return pa.schema(fields, metadata=metadata)


_VALUE_TYPES = {
    pa.string(): "string", pa.binary(): "binary", pa.int32(): "int32", pa.int64(): "int64",
    pa.float64(): "float64", pa.float32(): "float32", pa.bool_(): "bool",
}


def feature_of(arrow_type: pa.DataType) -> dict:
    """The ``datasets`` feature dict (``Value``, ``List``, nested dicts) for an Arrow type."""
    if arrow_type in _VALUE_TYPES:
        return {"dtype": _VALUE_TYPES[arrow_type], "_type": "Value"}
    if pa.types.is_fixed_size_list(arrow_type):
        return {"feature": feature_of(arrow_type.value_type), "length": arrow_type.list_size, "_type": "List"}
    if pa.types.is_list(arrow_type):
        return {"feature": feature_of(arrow_type.value_type), "_type": "List"}
    if pa.types.is_struct(arrow_type):
        return {arrow_type.field(index).name: feature_of(arrow_type.field(index).type)
                for index in range(arrow_type.num_fields)}
    raise TypeError(f"no datasets feature for Arrow type {arrow_type}")


def shard_name(index: int) -> str:
    return f"{SPLIT}-{index:05d}.parquet"


def _hf_row(row: dict) -> dict:
    row["image"] = {"bytes": row.pop("image_png"), "path": f"{row['id']}.png"}
    for name, arrow_type in _MAP_COLUMNS.items():
        row[name] = hf_value(row.get(name), arrow_type)
    return row


def write_hf(run_dir: Path, root: Path, row_filter: RowFilter, rows_per_shard: int = 2000,
             batch_rows: int = 64) -> dict:
    """Write ``root/data/train-NNNNN.parquet`` shards; returns row and shard counts."""
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
    schema = hf_schema()
    (root / DATA_FOLDER).mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    shards = rows = in_shard = 0
    pending: list[dict] = []

    def flush() -> None:
        if pending:
            writer.write_table(pa.Table.from_pylist(pending, schema=schema), row_group_size=batch_rows)
            pending.clear()

    try:
        for row in iter_rows(run_dir, row_filter, batch_rows=batch_rows):
            if writer is None or in_shard >= rows_per_shard:
                if writer is not None:
                    flush()
                    writer.close()
                writer = pq.ParquetWriter(root / DATA_FOLDER / shard_name(shards), schema,
                                          compression="zstd", use_dictionary=[n for n in schema.names
                                                                              if n != "image"])
                shards += 1
                in_shard = 0
            pending.append(_hf_row(row))
            in_shard += 1
            rows += 1
            if len(pending) >= batch_rows:
                flush()
        if writer is not None:
            flush()
    finally:
        if writer is not None:
            writer.close()
    return {"rows": rows, "shards": shards}
