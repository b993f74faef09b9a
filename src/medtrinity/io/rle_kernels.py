"""Compiled loops of COCO run-length encoding (numba): a region's runs and their packed string in one pass each.

Imported by :mod:`medtrinity.io.rle` only when a mask is encoded (decoding needs no compiler).
numba compiles each loop on first use and caches the machine code beside this module. The
results equal the plain numpy versions; ``tests/unit/grounding/test_rle.py`` compares them with
pycocotools and with whole-frame encoding.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled()
def window_run_lengths_loop(window, top, left, height, width):  # pragma: no cover - compiled
    """COCO run lengths (column-major, starting with zeros) of a ``height`` x ``width`` frame that is
    ``window`` (bool) at (``top``, ``left``) and empty elsewhere, visiting the window's pixels only."""
    rows, columns = window.shape
    bounds = np.empty(columns * (rows + 1) + 1, np.int64)  # run starts and ends (a column: at most rows + 1)
    count = 0
    for column in range(columns):
        inside = False
        base = (left + column) * height + top
        for row in range(rows):
            if window[row, column] != inside:
                position = base + row
                if count > 0 and bounds[count - 1] == position and not inside:
                    count -= 1  # a run that ended at the previous column's bottom goes on here
                else:
                    bounds[count] = position
                    count += 1
                inside = not inside
        if inside:
            bounds[count] = base + rows
            count += 1
    total = height * width
    if count > 0 and bounds[count - 1] == total:
        count -= 1
    runs = np.empty(count + 1, np.int64)
    previous = 0
    for index in range(count):
        runs[index] = bounds[index] - previous
        previous = bounds[index]
    runs[count] = total - previous
    return runs


@compiled()
def coco_string_bytes(counts):  # pragma: no cover - compiled
    """COCO's compressed-RLE packing of run lengths as ASCII bytes: each count (from the fourth on, its
    difference to the count two back) in 5-bit chunks, 0x20 marking that more chunks follow, plus 48."""
    out = np.empty(counts.size * 13 + 1, np.uint8)
    used = 0
    for index in range(counts.size):
        value = counts[index]
        if index > 2:
            value -= counts[index - 2]
        more = True
        while more:
            chunk = value & 0x1F
            value >>= 5
            if chunk & 0x10:
                more = value != -1
            else:
                more = value != 0
            if more:
                chunk |= 0x20
            out[used] = chunk + 48
            used += 1
    return out[:used]
