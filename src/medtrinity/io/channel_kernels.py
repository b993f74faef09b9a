"""Compiled test for colour files that hold a grey image (numba): one pass, stopping at the first colour row.

Many 2D datasets store greyscale images as three equal channels (JPEG or PNG). The reader keeps
such an image as one channel; comparing the planes with numpy took two full comparisons even for
a true colour image (~0.4 ms for 1024x1024) and a copy of the first plane after them (~1 ms for a
grey one). This loop compares each row's channels, returns at the first row where they differ,
and fills the grey plane on the way (~0.5 ms for a grey 1024x1024 image, ~0 for a colour one).
``tests/unit/io/test_channel_kernels.py`` compares it with the numpy test. :func:`channel_sums` gives the
perceptual hash of a colour image its input through the channel sums (see :mod:`medtrinity.io.hashes`).
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled()
def grey_plane(image):  # pragma: no cover - compiled
    """(True, the shared plane) when every pixel of an H x W x 3 image has equal channels, else (False, empty).

    Row by row: each row's differences are gathered without a branch (a loop the compiler vectorises),
    and the first row that holds one ends the test."""
    height, width, _ = image.shape
    plane = np.empty((height, width), image.dtype)
    for y in range(height):
        row, out = image[y], plane[y]
        differs = 0
        for x in range(width):
            first = row[x, 0]
            differs |= (first ^ row[x, 1]) | (first ^ row[x, 2])
            out[x] = first
        if differs:
            return False, plane[:0, :0]
    return True, plane


@compiled()
def channel_sums(image):  # pragma: no cover - compiled
    """(H x W uint16 sums of the three channels of a uint8 image, counts of each sum 0..765): exact integers."""
    height, width, _ = image.shape
    sums = np.empty((height, width), np.uint16)
    counts = np.zeros(766, np.int64)
    for y in range(height):
        row, out = image[y], sums[y]
        for x in range(width):
            total = np.uint16(row[x, 0]) + np.uint16(row[x, 1]) + np.uint16(row[x, 2])
            out[x] = total
            counts[total] += 1
    return sums, counts
