"""Streaming a shard's rows to Parquet: row groups as they come, the file only when the shard ends."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medtrinity.io.parquet import ROW_GROUP_ROWS, stream_rows, write_rows

SCHEMA = pa.schema([("sample_id", pa.string()), ("image_png", pa.binary()), ("n", pa.int64())])


def _rows(count: int) -> list[dict]:
    return [{"sample_id": f"s{number}", "image_png": bytes([number % 256]) * 10, "n": number}
            for number in range(count)]


def test_streamed_file_equals_the_file_written_at_once(tmp_path):
    rows = _rows(2 * ROW_GROUP_ROWS + 17)
    groups_on_disk: list[int] = []

    def produce(sink):
        for number, row in enumerate(rows):
            sink(row)
            if number == ROW_GROUP_ROWS + 5:  # one full row group already went to the temporary file
                groups_on_disk.append(len(list((tmp_path).glob("part.parquet.tmp-*"))))
        return "done"

    assert stream_rows(tmp_path / "part.parquet", SCHEMA, produce) == "done"
    write_rows(tmp_path / "whole.parquet", rows, SCHEMA)
    streamed, whole = pq.ParquetFile(tmp_path / "part.parquet"), pq.ParquetFile(tmp_path / "whole.parquet")
    assert [streamed.metadata.row_group(i).num_rows for i in range(streamed.num_row_groups)] == [
        ROW_GROUP_ROWS, ROW_GROUP_ROWS, 17]
    assert streamed.read().equals(whole.read())
    assert groups_on_disk == [1]  # written under a temporary name while the shard ran
    assert not list(tmp_path.glob("*.tmp-*"))


def test_a_failing_shard_leaves_no_file(tmp_path):
    def produce(sink):
        for row in _rows(ROW_GROUP_ROWS + 3):
            sink(row)
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        stream_rows(tmp_path / "part.parquet", SCHEMA, produce)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_shard_writes_an_empty_file_with_the_schema(tmp_path):
    stream_rows(tmp_path / "part.parquet", SCHEMA, lambda sink: None)
    table = pq.read_table(tmp_path / "part.parquet")
    assert table.num_rows == 0 and table.schema.names == SCHEMA.names
