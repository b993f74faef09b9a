"""Compiled per-pixel loops of grounding (numba): one pass over a slice where numpy needs several.

Each kernel is the plain loop a reader would write to check the numpy version; numba compiles it
on first use and caches the machine code beside this module, so later processes load it (~ms).
Everything here is exact integer work: the results are the ones the numpy versions give, and the
tests in ``tests/unit/grounding/test_fast_paths_grounding.py`` compare them on random and real maps.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled(inline="always")
def _empty_table(size, height, width):  # pragma: no cover - compiled
    """One row per label value: count, sum of x, sum of y, lowest x, lowest y, highest x, highest y (a value's
    seven numbers side by side in memory); absent values keep count 0."""
    table = np.empty((size, 7), np.int64)
    for value in range(size):
        table[value, 0] = 0
        table[value, 1] = 0
        table[value, 2] = 0
        table[value, 3] = width
        table[value, 4] = height
        table[value, 5] = -1
        table[value, 6] = -1
    return table


@compiled(inline="always")
def _count_pixel(table, value, x, y):  # pragma: no cover - compiled
    """Add pixel (x, y) of label ``value``; rows come in order, so the last row seen is the lowest."""
    entry = table[value]
    entry[0] += 1
    entry[1] += x
    entry[2] += y
    if x < entry[3]:
        entry[3] = x
    if x > entry[5]:
        entry[5] = x
    if y < entry[4]:
        entry[4] = y
    entry[6] = y


@compiled()
def label_extents_loop(label_map, size):  # pragma: no cover - compiled; tested through its callers
    """Per label value below ``size``: pixel count, sums of x and of y, and the inclusive box (x0, y0, x1, y1).

    One pass over the map. Values absent from the map keep count 0 (their box is meaningless).
    """
    height, width = label_map.shape
    table = _empty_table(size, height, width)
    for y in range(height):
        row = label_map[y]
        for x in range(width):
            value = row[x]
            if value != 0:
                _count_pixel(table, value, x, y)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4], table[:, 5], table[:, 6]


@compiled()
def uint8_label_extents_loop(label_map, size):  # pragma: no cover - compiled; tested through its callers
    """:func:`label_extents_loop` of a C-contiguous uint8 map whose width is a multiple of 8, reading each row
    8 pixels at a time as one 64-bit word and skipping the all-zero words (the background of a box or
    lesion map: most of it)."""
    height, width = label_map.shape
    table = _empty_table(size, height, width)
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
                    _count_pixel(table, value, x, y)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4], table[:, 5], table[:, 6]


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
