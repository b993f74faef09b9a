"""Compiled per-pixel loops of grounding (numba): one pass over a slice where numpy needs several.

Each kernel is the plain loop a reader would write to check the numpy version; numba compiles it
on first use and caches the machine code beside this module, so later processes load it (~ms).
Everything here is exact integer work: the results are the ones the numpy versions give, and the
tests in ``tests/unit/grounding/test_fast_paths_grounding.py`` compare them on random and real maps.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled()
def label_extents_loop(label_map, size):  # pragma: no cover - compiled; tested through its callers
    """Per label value below ``size``: pixel count, sums of x and of y, and the inclusive box (x0, y0, x1, y1).

    One pass over the map. Values absent from the map keep count 0 (their box is meaningless).
    """
    height, width = label_map.shape
    counts = np.zeros(size, np.int64)
    sums_x = np.zeros(size, np.int64)
    sums_y = np.zeros(size, np.int64)
    low_x = np.full(size, width, np.int64)
    low_y = np.full(size, height, np.int64)
    high_x = np.full(size, -1, np.int64)
    high_y = np.full(size, -1, np.int64)
    for y in range(height):
        row = label_map[y]
        for x in range(width):
            value = row[x]
            if value != 0:
                counts[value] += 1
                sums_x[value] += x
                sums_y[value] += y
                if x < low_x[value]:
                    low_x[value] = x
                if x > high_x[value]:
                    high_x[value] = x
                if y < low_y[value]:
                    low_y[value] = y
                high_y[value] = y  # rows come in order: the last row seen is the lowest
    return counts, sums_x, sums_y, low_x, low_y, high_x, high_y


@compiled()
def uint8_label_extents_loop(label_map, size):  # pragma: no cover - compiled; tested through its callers
    """:func:`label_extents_loop` of a C-contiguous uint8 map whose width is a multiple of 8, reading each row
    8 pixels at a time as one 64-bit word and skipping the all-zero words (the background of a box or
    lesion map: most of it).

    The per-pixel update repeats the loop above on purpose: as a shared ``inline`` helper, numba counts
    references of the seven arrays on every pixel (~10x slower), and one kernel for both (words of any
    width, one pixel a word otherwise) made odd-width and int32 maps 1.4-2x slower.
    """
    height, width = label_map.shape
    counts = np.zeros(size, np.int64)
    sums_x = np.zeros(size, np.int64)
    sums_y = np.zeros(size, np.int64)
    low_x = np.full(size, width, np.int64)
    low_y = np.full(size, height, np.int64)
    high_x = np.full(size, -1, np.int64)
    high_y = np.full(size, -1, np.int64)
    words = label_map.reshape(-1).view(np.uint64)
    per_row = width // 8
    for y in range(height):
        row = label_map[y]
        for word in range(per_row):
            if words[y * per_row + word] == 0:
                continue
            for x in range(word * 8, word * 8 + 8):
                value = row[x]
                if value != 0:
                    counts[value] += 1
                    sums_x[value] += x
                    sums_y[value] += y
                    if x < low_x[value]:
                        low_x[value] = x
                    if x > high_x[value]:
                        high_x[value] = x
                    if y < low_y[value]:
                        low_y[value] = y
                    high_y[value] = y
    return counts, sums_x, sums_y, low_x, low_y, high_x, high_y


@compiled()
def binary_moments_loop(mask):  # pragma: no cover - compiled; tested through its caller
    """Raw moments m00, m10, m01, m20, m11, m02 of a 0/1 mask (x: column, y: row), as exact integers.

    Each row's count, sum of x and sum of x squared first, then weighted by the row: one pass.
    """
    height, width = mask.shape
    m00 = m10 = m01 = m20 = m11 = m02 = 0
    for y in range(height):
        row = mask[y]
        count = 0
        sum_x = 0
        sum_xx = 0
        for x in range(width):
            if row[x]:
                count += 1
                sum_x += x
                sum_xx += x * x
        m00 += count
        m10 += sum_x
        m01 += y * count
        m20 += sum_xx
        m11 += y * sum_x
        m02 += y * y * count
    return m00, m10, m01, m20, m11, m02
