"""Plain 8-bit PNGs decoded by ISA-L and the compiled scanline loop give what OpenCV (libpng) gives.

Files written by OpenCV at every compression level, by Pillow, by this project's encoder and by
hand with each of the five row filters (random rows, so every branch of each filter is taken); every
other kind of PNG (16-bit, palette, alpha, transparency, gamma, bad CRC, truncation) is left to
OpenCV, and reading it gives exactly OpenCV's answer.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from medtrinity.io.images import _imread
from medtrinity.io.png import encode_png
from medtrinity.io.png_read import decode_plain_png


def _plain_png(path) -> np.ndarray | None:
    """What the fast path makes of a file (None: the file is left to OpenCV)."""
    try:
        data = open(path, "rb").read()
    except OSError:
        return None
    return decode_plain_png(data, 1 << 28)


def _opencv(path) -> np.ndarray | None:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def _same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.dtype == b.dtype
                                         and np.array_equal(a, b))


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def _filtered(image: np.ndarray, kinds: list[int]) -> bytes:
    """Scanlines of an 8- or 16-bit image (16-bit samples big-endian, as PNG stores them) with the given filter
    type on each row (the PNG specification's forward filters, over bytes)."""
    sample_bytes = image.dtype.itemsize
    rows = image.astype(image.dtype.newbyteorder(">")).view(np.uint8).reshape(image.shape[0], -1).astype(np.int32)
    bpp = (1 if image.ndim == 2 else image.shape[2]) * sample_bytes
    lines = []
    for y, kind in enumerate(kinds):
        row, up = rows[y], rows[y - 1] if y else np.zeros_like(rows[0])
        left = np.concatenate([np.zeros(bpp, np.int32), row[:-bpp]])
        corner = np.concatenate([np.zeros(bpp, np.int32), up[:-bpp]])
        if kind == 4:
            estimate = left + up - corner
            pa, pb, pc = np.abs(estimate - left), np.abs(estimate - up), np.abs(estimate - corner)
            predictor = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, corner))
        else:
            predictor = [np.zeros_like(row), left, up, (left + up) // 2][kind]
        lines.append(bytes([kind]) + ((row - predictor) % 256).astype(np.uint8).tobytes())
    return b"".join(lines)


def _png(image: np.ndarray, lines: bytes, extra: bytes = b"") -> bytes:
    colour = 0 if image.ndim == 2 else 2
    header = struct.pack(">IIBBBBB", image.shape[1], image.shape[0], 8 * image.dtype.itemsize, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra + _chunk(b"IDAT", zlib.compress(lines, 6))
            + _chunk(b"IEND", b""))


def test_plain_pngs_from_every_writer_decode_as_opencv_decodes_them(tmp_path):
    rng = np.random.default_rng(4)
    images = [rng.integers(0, 256, (37, 53), dtype=np.uint8), rng.integers(0, 256, (29, 31, 3), dtype=np.uint8),
              np.add.outer(np.arange(64), np.arange(48)).astype(np.uint8), np.zeros((1, 1), np.uint8),
              rng.integers(0, 65536, (23, 41), dtype=np.uint16), rng.integers(0, 65536, (19, 17, 3), dtype=np.uint16),
              (np.add.outer(np.arange(40), np.arange(36)) * 37).astype(np.uint16)]
    written = 0
    for number, image in enumerate(images):
        bgr = image if image.ndim == 2 else image[:, :, ::-1]
        for level in range(10):
            path = tmp_path / f"cv{number}_{level}.png"
            cv2.imwrite(str(path), bgr, [cv2.IMWRITE_PNG_COMPRESSION, level])
            written += 1
            assert _plain_png(str(path)) is not None and _same(_imread(str(path)), _opencv(path))
        if image.ndim == 2:  # Pillow writes 16-bit grey ("I;16") too, not 16-bit colour
            Image.fromarray(image).save(tmp_path / f"pil{number}.png", optimize=True)
        (tmp_path / f"ours{number}.png").write_bytes(encode_png(image))
        for kind in range(5):  # every row one filter type; then every type mixed over the rows
            (tmp_path / f"f{number}_{kind}.png").write_bytes(_png(image, _filtered(image, [kind] * image.shape[0])))
        mixed = [int(k) for k in rng.integers(0, 5, image.shape[0])]
        (tmp_path / f"mixed{number}.png").write_bytes(_png(image, _filtered(image, mixed)))
    for path in sorted(tmp_path.glob("*.png")):
        assert _plain_png(str(path)) is not None, path.name
        assert _same(_imread(str(path)), _opencv(path)), path.name
        written += 1
    assert written > 60


def test_other_pngs_are_left_to_opencv_with_its_exact_answer(tmp_path):
    rng = np.random.default_rng(8)
    grey = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    gamma = _chunk(b"gAMA", struct.pack(">I", 45455))
    cases = {
        "deep_alpha.png": lambda p: cv2.imwrite(str(p), rng.integers(0, 65536, (20, 30, 4), dtype=np.uint16)),
        "significant_bits.png": lambda p: p.write_bytes(_png(grey, _filtered(grey, [1] * 20),
                                                             _chunk(b"sBIT", b"\x05"))),
        "rgba.png": lambda p: cv2.imwrite(str(p), rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)),
        "palette.png": lambda p: Image.fromarray(grey).convert("P").save(p),
        "grey_alpha.png": lambda p: Image.fromarray(grey).convert("LA").save(p),
        "transparent.png": lambda p: Image.fromarray(grey).save(p, transparency=7),
        "gamma_twice.png": lambda p: p.write_bytes(_png(grey, _filtered(grey, [1] * 20), gamma + gamma)),
        "srgb.png": lambda p: p.write_bytes(_png(grey, _filtered(grey, [1] * 20), _chunk(b"sRGB", b"\x00"))),
    }
    for name, write in cases.items():
        path = tmp_path / name
        write(path)
        assert _plain_png(str(path)) is None, name
        assert _same(_imread(str(path)), _opencv(path)), name
    good = encode_png(grey)
    bad_crc = bytearray(good)
    bad_crc[-20] ^= 0x01  # inside the image data: the chunk's CRC no longer matches
    # image data that inflate to far more than the header's 20 x 30 (a bomb) or to less
    bomb = _png(grey, bytes(50_000_000))
    short = _png(grey, _filtered(grey, [0] * 19))
    broken = {"bad_crc.png": bytes(bad_crc), "truncated.png": good[:len(good) // 2], "empty.png": b"",
              "not_png.png": b"GIF89a" + bytes(40), "bomb.png": bomb, "short.png": short}
    for name, data in broken.items():
        (tmp_path / name).write_bytes(data)
        assert _plain_png(str(tmp_path / name)) is None, name
        assert _same(_imread(str(tmp_path / name)), _opencv(tmp_path / name)), name
    assert _plain_png(str(tmp_path / "missing.png")) is None and _imread(str(tmp_path / "missing.png")) is None


def test_real_radiographs_decode_as_opencv_decodes_them(shared_data):
    paths = sorted((shared_data / "nih_cxr14").glob("*.png")) + sorted((shared_data / "sam_med2d").rglob("*.png"))[:20]
    assert len(paths) >= 4
    for path in paths:
        assert _same(_imread(str(path)), _opencv(path)), path.name


def _with_chunks(image: np.ndarray, before: bytes, after: bytes = b"") -> bytes:
    """An 8- or 16-bit grey or RGB PNG with extra chunks before and after its image data."""
    colour = 0 if image.ndim == 2 else 2
    header = struct.pack(">IIBBBBB", image.shape[1], image.shape[0], 8 * image.dtype.itemsize, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + before
            + _chunk(b"IDAT", zlib.compress(_filtered(image, [4] * image.shape[0]))) + after + _chunk(b"IEND", b""))


def test_gamma_and_background_chunks_take_the_fast_path_only_where_libpng_reads_them_quietly(tmp_path):
    """ImageMagick writes gAMA and bKGD; OpenCV applies neither, so the pixels are the stored ones. Where libpng
    would warn (duplicate, after the image data, wrong length, a background beyond 8 bits) the file still goes
    to OpenCV, and the reader turns its warning into the same reject as before."""
    from medtrinity.records import SampleError
    from medtrinity.sources.image_files import decoder_messages, read_image

    rng = np.random.default_rng(12)
    grey, rgb = rng.integers(0, 256, (21, 33), dtype=np.uint8), rng.integers(0, 256, (17, 19, 3), dtype=np.uint8)
    deep = rng.integers(0, 65536, (15, 22), dtype=np.uint16)
    gamma = _chunk(b"gAMA", struct.pack(">I", 45455))
    quiet = {
        "grey_gamma": (grey, gamma, b""), "grey_gamma_0": (grey, _chunk(b"gAMA", bytes(4)), b""),
        "grey_bkgd": (grey, _chunk(b"bKGD", struct.pack(">H", 255)), b""),
        "grey_both": (grey, gamma + _chunk(b"bKGD", struct.pack(">H", 7)), b""),
        "grey_bkgd_then_gamma": (grey, _chunk(b"bKGD", struct.pack(">H", 0)) + gamma, b""),
        "rgb_both": (rgb, gamma + _chunk(b"bKGD", struct.pack(">HHH", 1, 2, 255)), b""),
        "deep_bkgd_300": (deep, gamma + _chunk(b"bKGD", struct.pack(">H", 300)), b""),  # 16-bit: any value
    }
    warned = {
        "gamma_short": (grey, _chunk(b"gAMA", b"\x00\x01"), b""),
        "gamma_twice": (grey, gamma + gamma, b""),
        "gamma_after_data": (grey, b"", gamma),
        "bkgd_grey_300": (grey, _chunk(b"bKGD", struct.pack(">H", 300)), b""),
        "bkgd_grey_long": (grey, _chunk(b"bKGD", struct.pack(">HHH", 1, 2, 3)), b""),
        "bkgd_rgb_256": (rgb, _chunk(b"bKGD", struct.pack(">HHH", 1, 256, 3)), b""),
        "bkgd_rgb_short": (rgb, _chunk(b"bKGD", struct.pack(">H", 1)), b""),
        "bkgd_twice": (grey, _chunk(b"bKGD", struct.pack(">H", 7)) * 2, b""),
        "bkgd_after_data": (grey, b"", _chunk(b"bKGD", struct.pack(">H", 7))),
        "deep_bkgd_short": (deep, _chunk(b"bKGD", b"\x01"), b""),
    }
    for name, (image, before, after) in {**quiet, **warned}.items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(_with_chunks(image, before, after))
        expected = image if image.ndim == 2 else image[:, :, ::-1]  # OpenCV's BGR
        with decoder_messages() as messages:
            assert _same(_opencv(path), expected), name  # OpenCV applies neither chunk
        assert (messages() == []) == (name in quiet), (name, messages())  # libpng warns exactly where expected
        assert (_plain_png(str(path)) is not None) == (name in quiet), name
        assert _same(_imread(str(path)), _opencv(path)), name
        if name in quiet:
            assert _same(read_image(str(path)), image), name
        else:
            with pytest.raises(SampleError, match="libpng warning"):
                read_image(str(path))


def test_shared_radiographs_with_gamma_and_background_take_the_fast_path(shared_data):
    """The shared NIH CXR14 files carry gAMA, bKGD, tEXt and tIME chunks (as ImageMagick writes them)."""
    paths = sorted((shared_data / "nih_cxr14").glob("*.png"))
    assert paths
    for path in paths:
        fast = _plain_png(str(path))
        assert fast is not None and _same(fast, _opencv(path)), path.name
