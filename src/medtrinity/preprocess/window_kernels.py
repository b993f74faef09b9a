"""Compiled CT windowing (numba): HU to display bytes in one pass over the slice.

:func:`medtrinity.preprocess.windowing.apply_window` as numpy writes it makes five full-size
temporaries (the float32 copy, the shift, the scale, the rounding, the clip). This loop does the
same float32 arithmetic per pixel: ``float32(value) - float32(low)``, times ``float32(255 / width)``,
rounded half to even, clipped to 0..255. Used for integer slices only (no NaN to convert);
``tests/unit/preprocess/test_area_resize.py`` compares it with the numpy computation on every
int16, uint16 and uint8 value and on random int32 slices.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled()
def window_integers(pixels, low, scale):  # pragma: no cover - compiled
    """uint8 display image of a 2D integer slice: clip(rint((float32(p) - low) * scale), 0, 255)."""
    height, width = pixels.shape
    out = np.empty((height, width), np.uint8)
    low32, scale32 = np.float32(low), np.float32(scale)
    for y in range(height):
        row, out_row = pixels[y], out[y]
        for x in range(width):
            value = np.rint((np.float32(row[x]) - low32) * scale32)
            out_row[x] = np.uint8(0 if value < 0 else (255 if value > 255 else value))
    return out
