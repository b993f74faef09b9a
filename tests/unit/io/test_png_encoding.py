"""The PNG writer: what every decoder reads back is the image, bit for bit, in valid chunks.

Decoded by OpenCV (libpng) and Pillow (its own decoder), every chunk's CRC checked with zlib,
on random, smooth and real images of awkward shapes; the size on real images stays near
OpenCV's own encoder's.
"""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from medtrinity.io.png import encode_png
from medtrinity.records import SampleError


def _decoded_by_opencv(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image


def _decoded_by_pillow(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def _chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    tags, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        tag, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(tag + body), f"bad CRC on {tag!r}"
        tags.append(tag)
        position += 12 + length
    return tags


def _images():
    rng = np.random.default_rng(11)
    for height, width in [(1, 1), (1, 17), (23, 1), (7, 5), (64, 48), (301, 257)]:
        yield rng.integers(0, 256, (height, width), dtype=np.uint8)
        yield rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        ramp = (np.add.outer(np.arange(height), np.arange(width)) * 3 % 256).astype(np.uint8)
        yield ramp  # smooth: many equal differences, long matches
        yield np.zeros((height, width), dtype=np.uint8) + 255


def test_every_decoder_reads_back_the_image_bit_for_bit():
    for image in _images():
        data = encode_png(image)
        assert _chunks(data) == [b"IHDR", b"IDAT", b"IEND"]
        assert np.array_equal(_decoded_by_opencv(data), image)
        assert np.array_equal(_decoded_by_pillow(data), image)
        with Image.open(io.BytesIO(data)) as opened:
            opened.verify()
    strided = np.arange(40 * 30, dtype=np.uint32).reshape(40, 30).astype(np.uint8)[::-1, ::2]  # a view
    assert np.array_equal(_decoded_by_pillow(encode_png(strided)), strided)


def test_real_images_compress_about_as_well_as_opencv(shared_data):
    nib = pytest.importorskip("nibabel")
    from medtrinity.preprocess.windowing import apply_window

    ct = np.asarray(nib.load(shared_data / "totalsegmentator" / "example_ct_sm.nii.gz").dataobj)
    images = [apply_window(np.ascontiguousarray(ct[:, :, index].T).astype(np.float32), 40, 400)
              for index in range(0, ct.shape[2], 5)]
    radiographs = sorted((shared_data / "nih_cxr14").glob("*.png"))
    images += [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path in radiographs]
    ours = theirs = 0
    for image in images:
        data = encode_png(image)
        assert np.array_equal(_decoded_by_pillow(data), image)
        ours, theirs = ours + len(data), theirs + len(cv2.imencode(".png", image)[1])
    assert len(images) >= 8 and ours <= 1.1 * theirs


def test_other_types_go_through_opencv_and_bad_images_are_named():
    deep = (np.arange(12 * 9, dtype=np.uint16) * 600).reshape(12, 9)
    assert np.array_equal(_decoded_by_opencv(encode_png(deep)), deep)  # 16-bit grey: OpenCV's encoder
    with pytest.raises(SampleError, match=r"\(0, 4\)"):
        encode_png(np.zeros((0, 4), dtype=np.uint8))
    with pytest.raises(SampleError, match="could not be PNG-encoded"):
        encode_png(np.zeros((4, 4, 2), dtype=np.uint8))


def _plain_png(image: np.ndarray) -> bytes:
    """The writer's file built the plain way: Up-filtered scanlines as bytes, deflated, chunks concatenated."""
    from isal import isal_zlib

    height, width = image.shape[:2]
    rows = image.reshape(height, -1).astype(np.int16)
    previous = np.vstack([np.zeros((1, rows.shape[1]), np.int16), rows[:-1]])
    lines = b"".join(b"\x02" + bytes(((row - above) % 256).astype(np.uint8))
                     for row, above in zip(rows, previous, strict=True))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    colour = 0 if image.ndim == 2 else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", isal_zlib.compress(lines, 1))
            + chunk(b"IEND", b""))


def test_the_file_is_byte_for_byte_the_plain_construction(shared_data):
    """Compressing from the array's memory and joining the file once give the bytes of the plain construction."""
    images = list(_images())
    real = cv2.imread(str(next(shared_data.rglob("*.png"))), cv2.IMREAD_GRAYSCALE)
    if real is not None:
        images.append(real)
    for image in images:
        assert encode_png(image) == _plain_png(image), image.shape
