"""Fast decoding of the plainest PNGs: 8- or 16-bit grey or RGB, not interlaced, no colour management.

Most of a PNG's decoding time is inflating its image data: ISA-L (``isal``) inflates ~2.5x faster
than the zlib inside OpenCV, and the compiled scanline loop (:mod:`medtrinity.io.png_kernels`)
undoes the row filters. A 1024x1024 radiograph: ~3 ms instead of ~5.6 ms (16-bit: ~3.8 ms instead
of ~9.4 ms; the big-endian samples become native uint16, as OpenCV returns them). Anything else
(palette, alpha, interlacing, transparency, colour profiles, a bad CRC, truncated or
unexpected data) answers None, and the caller reads the file with OpenCV as before, which also
words every error. The result is what ``cv2.imread(path, cv2.IMREAD_UNCHANGED)`` returns.

A gamma (``gAMA``) or background (``bKGD``) chunk, as ImageMagick writes them, does not change the
pixels OpenCV returns (it applies neither): such files take the fast path when libpng would read the
chunk without a warning (once each, before the image data, the right length, an 8-bit image's
background within 8 bits); otherwise OpenCV reads them, and its warning makes the file a reject as before.
"""

from __future__ import annotations

import struct

import numpy as np
from isal import isal_zlib

from medtrinity.io.png import PNG_SIGNATURE, chunk_crc

_CHANNELS = {0: 1, 2: 3}  # colour type -> channels (grey, RGB)
# ancillary chunks that do not change the pixels OpenCV returns; any other chunk means OpenCV reads the file
_HARMLESS = {b"pHYs", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
# chunks OpenCV reads but does not apply (gamma, background colour): harmless when libpng takes them quietly
_COLOUR_HINTS = {b"gAMA", b"bKGD"}


def _quiet_colour_chunk(tag: bytes, body: bytes, header: tuple[int, int, int, int], seen: set[bytes],
                        parts: list[bytes]) -> bool:
    """Whether libpng reads this gAMA or bKGD chunk without a warning (which OpenCV's path turns into a reject)."""
    if tag in seen or parts:  # "duplicate", "out of place"
        return False
    seen.add(tag)
    if tag == b"gAMA":
        return len(body) == 4
    # bKGD of a grey or RGB image: one 16-bit sample per channel; an 8-bit image's each below 256 ("invalid gray
    # level/color")
    _, _, channels, sample_bytes = header
    within_8_bits = all(body[index] == 0 for index in range(0, len(body), 2))
    return len(body) == 2 * channels and (sample_bytes == 2 or within_8_bits)


def _image_data(data: bytes) -> tuple[tuple[int, int, int, int], bytes] | None:
    """((height, width, channels, bytes a sample), concatenated IDAT bytes) of a plain PNG, or None otherwise."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    position, header, parts = len(PNG_SIGNATURE), None, []
    seen: set[bytes] = set()
    view = memoryview(data)  # chunk bodies as views: the image data is copied once, when joined
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        tag = data[position + 4:position + 8]
        end = position + 8 + length
        if end + 4 > len(data):
            return None
        body = view[position + 8:end]
        (crc,) = struct.unpack_from(">I", data, end)
        if chunk_crc(tag, body) != crc:
            return None
        if tag == b"IHDR":
            if header is not None or length != 13:
                return None
            width, height, depth, colour, compression, method, interlace = struct.unpack(">IIBBBBB", body)
            if depth not in (8, 16) or colour not in _CHANNELS or compression or method or interlace or not width \
                    or not height:
                return None
            header = (height, width, _CHANNELS[colour], depth // 8)
        elif tag == b"IDAT" and header is not None:
            parts.append(body)
        elif tag == b"IEND":
            return (header, b"".join(parts)) if header is not None and parts else None
        elif tag in _COLOUR_HINTS and header is not None:
            if not _quiet_colour_chunk(tag, body, header, seen, parts):
                return None
        elif tag not in _HARMLESS:
            return None
        position = end + 4
    return None


def decode_plain_png(data: bytes, max_pixels: int) -> np.ndarray | None:
    """The pixels of a plain PNG (grey: H x W; RGB: H x W x 3 in OpenCV's BGR order; uint8 or uint16), or None.

    ``max_pixels`` bounds what the header may declare before anything is inflated (the caller's
    size limit has usually been checked already; this keeps a lying header from inflating far).
    """
    found = _image_data(data)
    if found is None:
        return None
    (height, width, channels, sample_bytes), compressed = found
    if height * width > max_pixels:
        return None
    stride = width * channels * sample_bytes
    expected = height * (stride + 1)
    try:  # never more than the header's image plus one byte: a stream that inflates further is not plain
        inflater = isal_zlib.decompressobj()
        lines = inflater.decompress(compressed, expected + 1)
    except Exception:  # noqa: BLE001 - a corrupt stream: OpenCV reads (and words) it
        return None
    if len(lines) != expected or not inflater.eof:
        return None
    from medtrinity.io.png_kernels import unfilter_rows  # compiled on first use

    rows = unfilter_rows(np.frombuffer(lines, dtype=np.uint8), height, stride, channels * sample_bytes)
    if rows.size == 0:
        return None
    if sample_bytes == 2:  # big-endian samples in the file, native uint16 as OpenCV returns them
        rows = rows.view(">u2").astype(np.uint16)
    if channels == 1:
        return rows
    return np.ascontiguousarray(rows.reshape(height, width, 3)[:, :, ::-1])  # RGB in the file, BGR as OpenCV
