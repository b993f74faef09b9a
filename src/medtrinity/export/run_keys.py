"""The hash columns of every triplet row of a run as a few flat arrays: what run-wide passes compare.

A 25M-row run cannot hold a Python dict per row on the driver (about 1 KB each: 26 GiB measured
by ``benchmarks/run_dedup_scale.py``). :class:`RunKeys` keeps, per row and in output order, its
shard index and position in the shard, its PNG digest (32 bytes), perceptual hash (one uint64)
and slice index: 52 bytes a row. Hex columns are decoded without a per-row Python step (the
string column's character buffer viewed as a byte matrix). Row ids and sources are read back
only for the rows a pass names (:meth:`RunKeys.lookup`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

KEY_COLUMNS = ["image_sha256", "image_phash", "slice_index"]
READ_THREADS = min(8, os.cpu_count() or 1)  # part files read at once (Arrow reads outside the GIL)
_HEX_DIGITS = np.full(256, 255, dtype=np.uint8)
for _digit, _char in enumerate("0123456789abcdef"):
    _HEX_DIGITS[ord(_char)] = _HEX_DIGITS[ord(_char.upper())] = _digit


def hex_bytes(column: pa.ChunkedArray | pa.Array, characters: int, where: str) -> np.ndarray:
    """(rows, characters / 2) uint8: each value of a column of fixed-width hex strings, decoded.

    A null, a value of another length or a non-hex character raises a ValueError naming ``where``,
    the row and the value.
    """
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    if not pa.types.is_string(array.type):
        raise ValueError(f"{where}: expected a column of hex strings, found type {array.type}")
    if array.null_count:
        row = int(np.flatnonzero(np.asarray(array.is_null()))[0])
        raise ValueError(f"{where}: row {row} has no value (a {characters}-character hex string is needed)")
    rows = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset:array.offset + rows + 1]
    lengths = np.diff(offsets)
    if lengths.size and (lengths != characters).any():
        row = int(np.flatnonzero(lengths != characters)[0])
        raise ValueError(f"{where}: row {row} holds {array[row].as_py()!r}, not a {characters}-character hex string")
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8) if rows else np.zeros(0, np.uint8)
    digits = _HEX_DIGITS[data[offsets[0]:offsets[-1]]].reshape(rows, characters)
    if (digits == 255).any():
        row = int(np.flatnonzero((digits == 255).any(axis=1))[0])
        raise ValueError(f"{where}: row {row} holds {array[row].as_py()!r}, not a hex string")
    return (digits[:, 0::2] << 4) | digits[:, 1::2]


def phash_codes(column: pa.ChunkedArray | pa.Array, where: str) -> np.ndarray:
    """uint64 per row: each 16-character hex perceptual hash as the integer ``int(value, 16)`` is."""
    return hex_bytes(column, 16, where).view(">u8").ravel().astype(np.uint64)


def _read_in_order(paths: list[Path], columns: list[str]) -> Iterator[tuple[Path, pa.Table]]:
    """(path, its ``columns``) for each file in order, read ``READ_THREADS`` at a time (many small parts: their
    footers dominate); only a few files' tables wait at once, as hex text is ~2.5x its decoded size."""
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        for first in range(0, len(paths), 4 * READ_THREADS):
            chunk = paths[first:first + 4 * READ_THREADS]
            yield from zip(chunk, pool.map(lambda path: pq.read_table(path, columns=columns, use_threads=False),
                                           chunk), strict=True)


@dataclass
class RunKeys:
    """Per triplet row, in output order: shard index, position in the shard, digest, perceptual hash, slice.

    ``files`` lists each part file with the global index of its first row, for :meth:`lookup`.
    """

    part: np.ndarray  # int32
    position: np.ndarray  # int64, counting on through a shard's continuation files
    digest: np.ndarray  # (rows, 4) uint64: the 32 bytes of the PNG's sha256
    phash: np.ndarray  # uint64
    slice_index: np.ndarray  # int32; < 0 for 2D inputs
    files: list[tuple[Path, int]]

    def __len__(self) -> int:
        return len(self.part)

    @classmethod
    def from_columns(cls, part: list[int], sha256: list[str], phash: list[str], slice_index: list[int]) -> RunKeys:
        """Keys of rows given as plain lists (one shard index per row); positions count per shard."""
        shard = np.asarray(part, dtype=np.int32)
        position = np.zeros(len(shard), dtype=np.int64)
        seen: dict[int, int] = {}
        for row, index in enumerate(shard.tolist()):
            position[row] = seen.get(index, 0)
            seen[index] = position[row] + 1
        return cls(shard, position, hex_bytes(pa.array(sha256, pa.string()), 64, "image_sha256").view(np.uint64),
                   phash_codes(pa.array(phash, pa.string()), "image_phash"),
                   np.asarray(slice_index, dtype=np.int32), [])

    @classmethod
    def read(cls, parts: list[Path], part_index) -> RunKeys:
        """Read the key columns of ``parts`` (in this order); ``part_index(path)`` gives a file's shard."""
        shards, positions, digests, phashes, slices, files = [], [], [], [], [], []
        rows_seen: dict[int, int] = {}
        total = 0
        for path, table in _read_in_order(parts, KEY_COLUMNS):
            index, rows = part_index(path), table.num_rows
            start = rows_seen.get(index, 0)
            shards.append(np.full(rows, index, dtype=np.int32))
            positions.append(np.arange(start, start + rows, dtype=np.int64))
            digests.append(hex_bytes(table["image_sha256"], 64, f"{path} column image_sha256").view(np.uint64))
            phashes.append(phash_codes(table["image_phash"], f"{path} column image_phash"))
            slices.append(table["slice_index"].to_numpy(zero_copy_only=False).astype(np.int32))
            rows_seen[index] = start + rows
            files.append((path, total))
            total += rows
        if not files:
            return cls.from_columns([], [], [], [])
        return cls(np.concatenate(shards), np.concatenate(positions), np.concatenate(digests),
                   np.concatenate(phashes), np.concatenate(slices), files)

    def lookup(self, rows: np.ndarray | list[int], columns: list[str]) -> dict[int, dict]:
        """row -> {column: value} for ``rows``, reading only the part files that hold them."""
        wanted = np.unique(np.asarray(rows, dtype=np.int64))
        starts = np.array([start for _, start in self.files] + [len(self)], dtype=np.int64)

        def read(file_number: int) -> dict[int, dict]:
            path, start = self.files[file_number]
            inside = wanted[(wanted >= start) & (wanted < starts[file_number + 1])]
            table = pq.read_table(path, columns=columns, use_threads=False).take(pa.array(inside - start))
            return dict(zip(inside.tolist(), table.to_pylist(), strict=True))

        found: dict[int, dict] = {}
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            for values in pool.map(read, np.unique(np.searchsorted(starts, wanted, side="right") - 1).tolist()):
                found.update(values)
        return found
