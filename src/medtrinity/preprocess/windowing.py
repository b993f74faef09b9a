"""Intensity -> uint8 display image: CT windows by body region, percentile scaling for the rest."""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.io.hashes import percentiles_from_counts, pixel_counts

# integer types whose every value float32 holds exactly (int32 up to 2**24 is exact, beyond rounds as numpy's cast)
_WINDOW_KERNEL_TYPES = (np.int16, np.uint16, np.uint8, np.int8, np.int32)

# (center_hu, width_hu) of the usual radiology display windows.
CT_WINDOWS_HU: dict[str, tuple[float, float]] = {
    "abdomen": (40.0, 400.0),
    "soft_tissue": (40.0, 400.0),
    "mediastinum": (50.0, 350.0),
    "liver": (60.0, 160.0),
    "brain": (40.0, 80.0),
    "lung": (-600.0, 1500.0),
    "bone": (400.0, 1800.0),
}

_BODY_PART_WINDOW = {
    "brain": "brain",
    "head": "brain",
    "chest": "mediastinum",
    "thorax": "mediastinum",
    "lung": "lung",
    "liver": "liver",
    "spine": "bone",
}


def ct_window_for(setting: str | tuple[float, float], body_part: str) -> tuple[float, float]:
    """Resolve a window setting (preset name, ``auto`` or (center, width) in HU) to (center, width)."""
    if isinstance(setting, (tuple, list)):
        center, width = (float(value) for value in setting)
        if width <= 0:
            raise ValueError(f"CT window width must be positive, got {width} HU")
        return center, width
    name = _BODY_PART_WINDOW.get(body_part.lower(), "abdomen") if setting == "auto" else setting
    if name not in CT_WINDOWS_HU:
        raise ValueError(f"unknown CT window {name!r}; presets: {', '.join(sorted(CT_WINDOWS_HU))}")
    return CT_WINDOWS_HU[name]


def apply_window(pixels_hu: np.ndarray, center_hu: float, width_hu: float) -> np.ndarray:
    """Map HU to 0..255 linearly inside [center - width/2, center + width/2], clipped outside.

    Integer slices (NIfTI CT as int16) go through one compiled pass with the same float32 arithmetic
    (:mod:`medtrinity.preprocess.window_kernels`); floats through numpy as written here.
    """
    low = center_hu - width_hu / 2.0
    if pixels_hu.ndim == 2 and pixels_hu.dtype in _WINDOW_KERNEL_TYPES:
        from medtrinity.preprocess.window_kernels import window_integers  # compiled on first use

        return window_integers(pixels_hu, low, 255.0 / width_hu)
    scaled = (pixels_hu.astype(np.float32) - low) * (255.0 / width_hu)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def percentile_scale(pixels: np.ndarray, low_pct: float = 1.0, high_pct: float = 99.0) -> np.ndarray:
    """Map the [low, high] percentile range of the intensities to 0..255 (MR, PET, raw X-ray).

    Colour images (H x W x 3 uint8) are returned unchanged.
    """
    if pixels.ndim == 3 and pixels.dtype == np.uint8:
        return pixels
    counts = pixel_counts(pixels)
    if counts is not None:
        return apply_table(pixels, percentile_table(counts, pixels.size, low_pct, high_pct))
    values = pixels.astype(np.float32)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise ValueError("image has no finite pixel values")
    low, high = np.percentile(finite, [low_pct, high_pct])
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        return np.zeros(pixels.shape, dtype=np.uint8)
    scaled = (values - low) * (255.0 / (high - low))
    return np.clip(np.rint(np.nan_to_num(scaled, nan=0.0)), 0, 255).astype(np.uint8)


def percentile_table(counts: np.ndarray, size: int, low_pct: float, high_pct: float) -> np.ndarray:
    """:func:`percentile_scale` of an 8- or 16-bit image as a uint8 table over every value the type holds,
    from the image's :func:`pixel_counts` (``size`` pixels), to the last bit of the float32 computation: the
    percentiles from the histogram, the scaling of each possible value once (a radiograph: ~1 ms, not ~12)."""
    low, high = percentiles_from_counts(counts, size, [low_pct, high_pct])
    if high <= low:
        present = np.flatnonzero(counts)
        low, high = float(np.float32(present[0])), float(np.float32(present[-1]))
    if high <= low:
        return np.zeros(counts.size, dtype=np.uint8)  # a constant image scales to black
    values = np.arange(counts.size, dtype=np.float32)  # every value the type can hold
    return np.clip(np.rint(np.nan_to_num((values - low) * (255.0 / (high - low)), nan=0.0)), 0, 255).astype(np.uint8)


def apply_table(pixels: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[pixels]`` of an 8- or 16-bit image (OpenCV's LUT for 8-bit, a compiled loop for 16-bit: the same
    bytes, faster)."""
    if pixels.dtype == np.uint8:
        return cv2.LUT(np.ascontiguousarray(pixels), table)
    if pixels.dtype == np.uint16 and table.size == 1 << 16 and pixels.size >= 4096:
        from medtrinity.io.histogram_kernels import uint16_lookup

        return uint16_lookup(np.ascontiguousarray(pixels).reshape(-1), table).reshape(pixels.shape)
    return table[pixels]
