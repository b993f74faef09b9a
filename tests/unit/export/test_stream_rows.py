"""Streaming a shard's rows to Parquet: byte-sized row groups as they come, continuation files after a
fixed number of groups, the files only when the shard ends."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medtrinity.io.parquet import StreamLimits, continuation_path, continuations, stream_rows, write_rows
from medtrinity.run_folder import RunFolder, part_index

SCHEMA = pa.schema([("sample_id", pa.string()), ("image_png", pa.binary()), ("n", pa.int64())])
ROW_BYTES = 1000
# 10 rows per Arrow batch; a group once 30 rows (3 batches, ~30 KB) wait; 2 groups per file
SMALL = StreamLimits(row_group_bytes=30 * ROW_BYTES, batch_rows=10, row_groups_per_file=2)


def _rows(count: int) -> list[dict]:
    return [{"sample_id": f"s{number:05d}", "image_png": bytes([number % 256]) * ROW_BYTES, "n": number}
            for number in range(count)]


def _groups(path) -> list[int]:
    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def test_streamed_rows_equal_the_rows_written_at_once(tmp_path):
    rows = _rows(47)
    on_disk_midway: list[list[str]] = []

    def produce(sink):
        for number, row in enumerate(rows):
            sink(row)
            if number == 35:  # one group already went to a temporary file
                on_disk_midway.append(sorted(path.name for path in tmp_path.iterdir()))
        return "done"

    assert stream_rows(tmp_path / "part.parquet", SCHEMA, produce, SMALL) == "done"
    write_rows(tmp_path / "whole.parquet", rows, SCHEMA)
    assert _groups(tmp_path / "part.parquet") == [30, 17]  # groups close at ~30 KB, not at a row count
    assert pq.read_table(tmp_path / "part.parquet").equals(pq.read_table(tmp_path / "whole.parquet"))
    assert len(on_disk_midway[0]) == 1 and ".tmp-" in on_disk_midway[0][0]  # a temporary name while it ran
    assert not list(tmp_path.glob("*.tmp-*"))


def test_a_large_shard_continues_in_numbered_files_that_read_back_in_order(tmp_path):
    rows = _rows(200)
    stream_rows(tmp_path / "part-00004.parquet", SCHEMA, lambda sink: [sink(row) for row in rows] and None, SMALL)
    files = [tmp_path / "part-00004.parquet", *continuations(tmp_path / "part-00004.parquet")]
    assert [path.name for path in files] == ["part-00004.parquet", "part-00004_001.parquet",
                                             "part-00004_002.parquet", "part-00004_003.parquet"]
    assert [_groups(path) for path in files] == [[30, 30], [30, 30], [30, 30], [20]]  # 2 groups a file
    assert sorted(tmp_path.glob("part-*.parquet")) == files  # plain name order is row order
    assert [part_index(path) for path in files] == [4, 4, 4, 4]
    back = pa.concat_tables([pq.read_table(path) for path in files])
    assert back.column("n").to_pylist() == list(range(200))
    assert RunFolder(tmp_path.parent).shard_parts(4) == []  # RunFolder looks under triplets/, not here


def test_a_shorter_rerun_removes_the_continuations_of_the_longer_attempt(tmp_path):
    path = tmp_path / "part-00000.parquet"
    stream_rows(path, SCHEMA, lambda sink: [sink(row) for row in _rows(130)] and None, SMALL)
    assert len(continuations(path)) == 2
    stream_rows(path, SCHEMA, lambda sink: [sink(row) for row in _rows(50)] and None, SMALL)
    assert continuations(path) == [] and pq.read_table(path).num_rows == 50


def test_a_failing_shard_leaves_no_file(tmp_path):
    def produce(sink):
        for row in _rows(150):  # three files' worth were open or written when it fails
            sink(row)
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        stream_rows(tmp_path / "part.parquet", SCHEMA, produce, SMALL)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_shard_writes_an_empty_file_with_the_schema(tmp_path):
    stream_rows(tmp_path / "part.parquet", SCHEMA, lambda sink: None)
    table = pq.read_table(tmp_path / "part.parquet")
    assert table.num_rows == 0 and table.schema.names == SCHEMA.names


def test_run_folder_lists_a_shards_continuations_and_names_them_apart_from_other_shards(tmp_path):
    folder = RunFolder(tmp_path)
    stream_rows(folder.part_path(2), SCHEMA, lambda sink: [sink(row) for row in _rows(70)] and None, SMALL)
    stream_rows(folder.part_path(12), SCHEMA, lambda sink: [sink(row) for row in _rows(5)] and None, SMALL)
    assert [path.name for path in folder.shard_parts(2)] == ["part-00002.parquet", "part-00002_001.parquet"]
    assert [path.name for path in folder.triplet_parts()] == [
        "part-00002.parquet", "part-00002_001.parquet", "part-00012.parquet"]
    assert continuation_path(folder.part_path(2), 1) == folder.shard_parts(2)[1]
    with pytest.raises(ValueError, match="not a part file name"):
        part_index(tmp_path / "part-abc.parquet")


@pytest.mark.parametrize("streamed", [True, False])
def test_png_bytes_get_no_statistics_dictionary_or_codec_and_the_other_columns_do(tmp_path, streamed):
    """Min/max statistics of PNG bytes cost a comparison of every row's bytes and store whole PNGs in the
    footer; nothing filters on them. The other columns keep statistics (what DuckDB prunes row groups by)."""
    path = tmp_path / "part.parquet"
    if streamed:
        stream_rows(path, SCHEMA, lambda sink: [sink(row) for row in _rows(25)], SMALL)
    else:
        write_rows(path, _rows(25), SCHEMA)
    metadata = pq.ParquetFile(path).metadata
    for group in range(metadata.num_row_groups):
        columns = {metadata.row_group(group).column(i).path_in_schema: metadata.row_group(group).column(i)
                   for i in range(metadata.num_columns)}
        assert columns["image_png"].statistics is None
        assert columns["image_png"].compression == "UNCOMPRESSED"
        assert not columns["image_png"].has_dictionary_page
        assert columns["n"].statistics is not None and columns["n"].statistics.has_min_max
        assert columns["sample_id"].statistics is not None and columns["sample_id"].compression == "ZSTD"
    assert pq.read_table(path).to_pylist() == _rows(25)
