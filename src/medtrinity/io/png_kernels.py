"""Compiled PNG scanline reconstruction (numba): the five filter types undone in one pass over the rows.

Imported by :mod:`medtrinity.io.png_read` only when a PNG is decoded. numba compiles the loop on first
use and caches the machine code beside this module. ``tests/unit/io/test_png_reading.py`` compares the
result with OpenCV's (libpng's) decoding of images written with every filter.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled(inline="always")
def _paeth(left, above, corner):  # pragma: no cover - compiled
    """PNG's Paeth predictor: of left, above and upper-left, the one nearest to left + above - upper-left
    (ties in that order)."""
    estimate = left + above - corner
    to_left, to_up, to_corner = abs(estimate - left), abs(estimate - above), abs(estimate - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    if to_up <= to_corner:
        return above
    return corner


@compiled(inline="always")
def _grey_row(kind, raw, row, up, stride):  # pragma: no cover - compiled
    """One grey (one byte a pixel) row; the left and corner bytes ride in registers, not re-read from the
    row just written (a store-to-load wait per byte: Sub ran at half the speed). False for a bad type."""
    if kind == 1:
        left = np.uint8(0)
        for x in range(stride):
            left = np.uint8(raw[x] + left)
            row[x] = left
    elif kind == 3:
        left = np.int32(0)
        for x in range(stride):
            left = (np.int32(raw[x]) + ((left + np.int32(up[x])) >> 1)) & 0xFF
            row[x] = left
    elif kind == 4:
        left = np.int32(0)
        corner = np.int32(0)
        for x in range(stride):
            above = np.int32(up[x])
            left = (np.int32(raw[x]) + _paeth(left, above, corner)) & 0xFF
            row[x] = left
            corner = above
    else:
        return False
    return True


@compiled()
def unfilter_rows(lines, height, stride, bpp):  # pragma: no cover - compiled; tested through its caller
    """The image bytes (height x stride) of inflated PNG scanlines (each a filter byte, then stride bytes),
    or an empty array when a filter byte is not 0-4 or the data are short. One loop per filter type, so
    each row's inner loop has no branch on the type (Sub and Up run at about a byte a cycle)."""
    out = np.empty((height, stride), np.uint8)
    zeros = np.zeros(stride, np.uint8)
    if lines.size < height * (stride + 1):
        return np.empty((0, 0), np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        kind = lines[start]
        raw = lines[start + 1:start + 1 + stride]
        row = out[y]
        up = out[y - 1] if y > 0 else zeros
        if kind == 0:
            row[:] = raw
        elif kind == 2:
            for x in range(stride):
                row[x] = (raw[x] + up[x]) & 0xFF
        elif bpp == 1:
            if not _grey_row(kind, raw, row, up, stride):
                return np.empty((0, 0), np.uint8)
        elif kind == 1:
            for x in range(stride):
                row[x] = (raw[x] + row[x - bpp]) & 0xFF if x >= bpp else raw[x]
        elif kind == 3:
            for x in range(stride):
                left = np.int32(row[x - bpp]) if x >= bpp else np.int32(0)
                row[x] = (np.int32(raw[x]) + ((left + np.int32(up[x])) >> 1)) & 0xFF
        elif kind == 4:
            for x in range(stride):
                left = np.int32(row[x - bpp]) if x >= bpp else np.int32(0)
                corner = np.int32(up[x - bpp]) if x >= bpp else np.int32(0)
                row[x] = (np.int32(raw[x]) + _paeth(left, np.int32(up[x]), corner)) & 0xFF
        else:
            return np.empty((0, 0), np.uint8)
    return out
