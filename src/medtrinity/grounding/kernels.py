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


@compiled(inline="always")
def _block_sum(values, start, count):  # pragma: no cover - compiled
    """numpy's pairwise summation of at most 128 values: a plain loop under 8, else eight running sums."""
    if count < 8:
        total = 0.0
        for index in range(start, start + count):
            total += values[index]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    index = 8
    whole = count - count % 8
    while index < whole:
        at = start + index
        r0 += values[at]
        r1 += values[at + 1]
        r2 += values[at + 2]
        r3 += values[at + 3]
        r4 += values[at + 4]
        r5 += values[at + 5]
        r6 += values[at + 6]
        r7 += values[at + 7]
        index += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while index < count:
        total += values[start + index]
        index += 1
    return total


@compiled()
def pairwise_sum(values, start, count):  # pragma: no cover - compiled; tested through its callers
    """``np.add.reduce(values[start:start + count])`` of float64 values to the bit: numpy's pairwise summation
    (blocks of at most 128 values, :func:`_block_sum`; a longer run is split in halves at a multiple of 8 and
    their sums added). numpy recurses; numba cannot cache a recursive function, so the halves wait on a stack
    (each entry: start, count, whether its halves are done) and the finished sums on another."""
    if count <= 128:
        return _block_sum(values, start, count)
    runs = np.empty((192, 3), np.int64)  # a split halves the count: 64 levels cover any array
    sums = np.empty(192, np.float64)
    runs[0, 0], runs[0, 1], runs[0, 2] = start, count, 0
    waiting, done = 1, 0
    while waiting:
        waiting -= 1
        first, length, split = runs[waiting, 0], runs[waiting, 1], runs[waiting, 2]
        if length <= 128:
            sums[done] = _block_sum(values, first, length)
            done += 1
        elif split:
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]  # left half's sum + right half's sum
        else:
            half = length // 2
            half -= half % 8
            runs[waiting, 2] = 1
            runs[waiting + 1, 0], runs[waiting + 1, 1], runs[waiting + 1, 2] = first + half, length - half, 0
            runs[waiting + 2, 0], runs[waiting + 2, 1], runs[waiting + 2, 2] = first, half, 0
            waiting += 3
    return sums[0]


@compiled()
def region_intensity_loop(pixels, mask, grown, findings):  # pragma: no cover - compiled; tested through callers
    """One pass over a window of integer pixels: the region's pixel count and exact sum, the sum of its squared
    deviations from the mean (float64, numpy's pairwise order, as ``np.var`` sums them), and the count and exact
    sum of the surround (``grown`` and outside the region; ``findings``, when it has the window's shape, left out).
    """
    height, width = mask.shape
    skip_findings = findings.shape[0] == height and findings.shape[1] == width
    inside = np.empty(height * width, np.float64)
    count = 0
    total = 0
    around_count = 0
    around_total = 0
    for y in range(height):
        for x in range(width):
            value = np.int64(pixels[y, x])
            if mask[y, x]:
                inside[count] = value
                count += 1
                total += value
            elif grown[y, x] and not (skip_findings and findings[y, x]):
                around_count += 1
                around_total += value
    squares = 0.0
    if count:
        mean = total / count
        for index in range(count):
            deviation = inside[index] - mean
            inside[index] = deviation * deviation
        squares = pairwise_sum(inside, 0, count)
    return count, total, squares, around_count, around_total


@compiled()
def ring_label_counts_loop(label_map, mask, grown):  # pragma: no cover - compiled; tested through its callers
    """Pixels per value of a uint8 label window in the ring: ``grown`` and not ``mask`` (256 int64 counts; both
    0/1 bytes, so a ring pixel is one where ``grown`` exceeds ``mask``: no branch on each byte)."""
    counts = np.zeros(256, np.int64)
    height, width = mask.shape
    for y in range(height):
        grown_row, mask_row, label_row = grown[y], mask[y], label_map[y]
        for x in range(width):
            if grown_row[x] > mask_row[x]:
                counts[label_row[x]] += 1
    return counts


@compiled()
def grow_bit_rows_loop(words, half_widths):  # pragma: no cover - compiled; tested through its callers
    """A bit-packed 0/1 mask (row-major, 64 pixels a word, pixel x at bit x % 64 of word x // 64) grown by several
    discs at once; ``half_widths[i, k]``: how far row ``k`` above and below the centre of disc ``i`` reaches
    sideways (-1: not at all). Returns each disc's grown mask, packed the same way.

    A disc is the union of its rows, so a pixel is in the grown mask when, for some row offset ``k``, the mask
    grown sideways by that row's reach holds a pixel ``k`` rows above or below it. The sideways growths are
    made once for every reach (each one pixel wider than the last: three shifted words OR-ed, 64 pixels at a
    time) and shared by all discs. Bits past the last column may be set; the caller never reads them, and they
    grow nothing back into the mask's columns (a pixel reaches a column sooner directly than through them).
    """
    height, count = words.shape
    discs, offsets = half_widths.shape
    widest = 0
    for disc in range(discs):
        for offset in range(offsets):
            widest = max(widest, half_widths[disc, offset])
    one, top_bit = np.uint64(1), np.uint64(63)
    sideways = np.empty((widest + 1, height, count), np.uint64)
    sideways[0] = words
    for reach in range(1, widest + 1):
        narrower, wider = sideways[reach - 1], sideways[reach]
        for y in range(height):
            carry = np.uint64(0)  # the top bit of the word to the left
            for column in range(count):
                word = narrower[y, column]
                right = narrower[y, column + 1] if column + 1 < count else np.uint64(0)
                wider[y, column] = word | (word << one) | carry | (word >> one) | (right << top_bit)
                carry = word >> top_bit
    grown = np.zeros((discs, height, count), np.uint64)
    for disc in range(discs):
        target = grown[disc]
        for offset in range(offsets):
            reach = half_widths[disc, offset]
            if reach < 0:
                continue
            source = sideways[reach]
            for y in range(height):
                for above in range(2 if offset else 1):
                    row = y - offset if above else y + offset
                    if 0 <= row < height:
                        for column in range(count):
                            target[y, column] |= source[row, column]
    return grown
