"""The hostile corpus's building blocks: one case as data, good files beside the hostile one, and writers of
files that declare huge sizes in a few bytes (PNG, TIFF, npz)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class HostileCase:
    """One source with one hostile input beside good ones."""

    name: str
    family: str
    source: dict
    hostile: str  # text the reject reason must contain (the hostile file's name), or "" for ``once`` cases
    expect: str = "reject"  # "reject" | "once"
    good: int = 1  # how many good files must come out as samples
    settings: dict = field(default_factory=dict)  # run settings beside the source (e.g. lower ``limits``)


def good_image(seed: int = 0, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.normal(100, 20, (size, size)).clip(0, 255).astype(np.uint8)
    cv2.circle(image, (size // 2, size // 2), size // 5, 220, -1)
    return image


def good_mask(size: int = 64) -> np.ndarray:
    mask = np.zeros((size, size), dtype=np.uint8)
    cv2.circle(mask, (size // 2, size // 2), size // 5, 1, -1)
    return mask


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def zero_png(width: int, height: int, *, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    """A valid PNG of zeros of any declared size, compressed row by row (a few MB for gigapixels)."""
    channels = {0: 1, 2: 3}[colour_type]
    row = bytes(1 + width * channels * bit_depth // 8)
    compressor = zlib.compressobj(9)
    block = row * max(1, (1 << 22) // len(row))
    rows_per_block = len(block) // len(row)
    parts = []
    for start in range(0, height, rows_per_block):
        count = min(rows_per_block, height - start)
        parts.append(compressor.compress(block if count == rows_per_block else row * count))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"".join(parts))
            + png_chunk(b"IEND", b""))


def declared_tiff(width: int, height: int) -> bytes:
    """A little-endian TIFF whose header declares ``width`` x ``height`` 8-bit grey in one strip of 16 bytes."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 16)]
    ifd_offset = 8
    data_offset = ifd_offset + 2 + 12 * len(entries) + 4
    entries = [(tag, kind, count, data_offset if tag == 273 else value) for tag, kind, count, value in entries]
    body = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHII", tag, kind, count, value) if kind == 4 else struct.pack("<HHIHH", tag, kind,
                                                                                               count, value, 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + body + struct.pack("<I", 0) + bytes(16)


def zeros_npz(path: Path, shape: tuple[int, ...], dtype: str = "uint8") -> None:
    """An .npz whose ``train_images`` is a huge array of zeros, streamed so building it needs no memory."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                  "shape": shape})
    total = int(np.prod(shape)) * np.dtype(dtype).itemsize
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("train_images.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            block = bytes(1 << 22)
            for start in range(0, total, len(block)):
                member.write(block[: min(len(block), total - start)])
        buffer = io.BytesIO()
        np.save(buffer, np.zeros((shape[0], 1), dtype=np.int64))
        archive.writestr("train_labels.npy", buffer.getvalue())


def with_label_names(case: HostileCase, names: dict[int, str]) -> HostileCase:
    case.source["label_names"] = names
    return case
