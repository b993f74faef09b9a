"""Compiled whole-factor downscaling (numba): OpenCV's ``INTER_AREA`` block means in one pass, and the
nearest-neighbour shrink of label maps (:func:`every_kth`).

When an image shrinks by whole factors (a 1024x1024 radiograph to 512x512: 2x2 blocks), OpenCV
averages each block (its "area fast" path). Two arrays come from the same stored pixels in
preprocessing: the display image (the pixels through the percentile table, then averaged as uint8)
and the physical array (the pixels as float32, then averaged). :func:`area_display_and_mean` makes
both in one pass over the stored pixels, without the full-size float32 copy and the full-size
display image in between. It repeats OpenCV's arithmetic: uint8 2x2 blocks ``(sum + 2) >> 2``,
other uint8 blocks ``round-half-even(float32(sum) * (1.f / area))``, float32 means
``float32(sum) * (1.f / area)`` with the sum exact (integers below 2**24). The caller
(:mod:`medtrinity.preprocess.resize`) checks those conditions; ``tests/unit/preprocess/
test_area_resize.py`` compares the results with ``cv2.resize`` bit for bit.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled(boundscheck=False)
def halved_display_and_mean(pixels, table):  # pragma: no cover - compiled
    """:func:`area_display_and_mean` for 2x2 blocks, the common case (1024 -> 512), in one tight loop."""
    out_height, out_width = pixels.shape[0] // 2, pixels.shape[1] // 2
    display = np.empty((out_height, out_width), np.uint8)
    mean = np.empty((out_height, out_width), np.float32)
    quarter = np.float32(0.25)
    for y in range(out_height):
        upper, lower = pixels[2 * y], pixels[2 * y + 1]
        display_row, mean_row = display[y], mean[y]
        for x in range(out_width):
            a, b, c, d = upper[2 * x], upper[2 * x + 1], lower[2 * x], lower[2 * x + 1]
            mean_row[x] = np.float32(np.int32(a) + np.int32(b) + np.int32(c) + np.int32(d)) * quarter
            mapped = np.int32(table[a]) + np.int32(table[b]) + np.int32(table[c]) + np.int32(table[d])
            display_row[x] = np.uint8((mapped + 2) >> 2)
    return display, mean


@compiled(boundscheck=False)
def area_display_and_mean(pixels, table, factor_y, factor_x):  # pragma: no cover - compiled
    """(display uint8, mean float32) of a 2D integer image shrunk by whole factors: the display image is
    ``table[pixels]`` averaged over each block as OpenCV averages uint8, the mean the float32 block mean
    (block sums in int32: the caller keeps ``area * largest value`` below 2**24)."""
    height, width = pixels.shape
    out_height, out_width = height // factor_y, width // factor_x
    display = np.empty((out_height, out_width), np.uint8)
    mean = np.empty((out_height, out_width), np.float32)
    raw_sums = np.zeros(out_width, np.int32)
    table_sums = np.zeros(out_width, np.int32)
    scale = np.float32(1.0) / np.float32(factor_y * factor_x)
    halves = factor_y == 2 and factor_x == 2
    for y in range(out_height):
        raw_sums[:] = 0
        table_sums[:] = 0
        for dy in range(factor_y):
            row = pixels[y * factor_y + dy]
            for x in range(out_width):
                start = x * factor_x
                for dx in range(factor_x):
                    value = row[start + dx]
                    raw_sums[x] += np.int32(value)
                    table_sums[x] += np.int32(table[value])
        for x in range(out_width):
            mean[y, x] = np.float32(raw_sums[x]) * scale
            if halves:
                display[y, x] = np.uint8((table_sums[x] + 2) >> 2)
            else:
                display[y, x] = np.uint8(np.rint(np.float32(table_sums[x]) * scale))
    return display, mean


@compiled()
def every_kth(values, step_y, step_x):  # pragma: no cover - compiled
    """``values[::step_y, ::step_x]`` as a new C-contiguous array (the nearest-neighbour shrink of a label map
    by whole factors): numpy copies a doubly strided view element by element, ~5x slower."""
    height = (values.shape[0] + step_y - 1) // step_y
    width = (values.shape[1] + step_x - 1) // step_x
    out = np.empty((height, width), values.dtype)
    for y in range(height):
        source, target = values[y * step_y], out[y]
        for x in range(width):
            target[x] = source[x * step_x]
    return out
