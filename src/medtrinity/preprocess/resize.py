"""Resizing that keeps the aspect ratio and carries pixel spacing and label maps along."""

from __future__ import annotations

import sys

import cv2
import numpy as np

from medtrinity.preprocess.windowing import apply_table

# label types OpenCV's nearest-neighbour resize takes as they are (others go through int32)
_NEAREST_TYPES = (np.uint8, np.int8, np.uint16, np.int16, np.int32)


def fit_scale(height_px: int, width_px: int, max_size_px: int | None) -> float:
    """Scale factor that brings the longer side down to ``max_size_px`` (never enlarges)."""
    if max_size_px is None:
        return 1.0
    longer = max(height_px, width_px)
    return min(1.0, max_size_px / longer)


def scaled_shape(shape_hw: tuple[int, ...], scale: float) -> tuple[int, int]:
    """(height, width) of an image of ``shape_hw`` resized by ``scale`` (what :func:`resize_image` makes)."""
    height, width = shape_hw[:2]
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_image(image: np.ndarray, scale: float) -> np.ndarray:
    """Area-average downscale of a display image."""
    if scale == 1.0:
        return image
    height, width = scaled_shape(image.shape, scale)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _whole_steps(source_px: int, target_px: int) -> int:
    """k when OpenCV's nearest-neighbour resize from ``source_px`` to ``target_px`` picks pixels 0, k, 2k, ...
    (its index is ``floor(i * (1 / (target / source)))`` in double, which for some k is not k * i), else 0."""
    if target_px <= 0 or source_px % target_px:
        return 0
    step = source_px // target_px
    inverse = 1.0 / (target_px / source_px)
    picks = np.floor(np.arange(target_px, dtype=np.float64) * inverse).astype(np.int64)
    return step if np.array_equal(picks, np.arange(target_px, dtype=np.int64) * step) else 0


def resize_labels(label_map: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an integer label map to ``shape_hw`` (the values copied, never mixed)."""
    if label_map.shape[:2] == shape_hw:
        return label_map
    height, width = shape_hw
    steps = _whole_steps(label_map.shape[0], height), _whole_steps(label_map.shape[1], width)
    if steps[0] and steps[1]:  # every k-th row and column: OpenCV's nearest pick, without its index tables
        from medtrinity.preprocess.area_kernels import every_kth  # compiled on first use

        return every_kth(label_map, steps[0], steps[1])
    if label_map.dtype in _NEAREST_TYPES:  # no int32 copy on the way in or out: nearest copies values as they are
        return cv2.resize(label_map, (width, height), interpolation=cv2.INTER_NEAREST)
    resized = cv2.resize(label_map.astype(np.int32), (width, height), interpolation=cv2.INTER_NEAREST)
    return resized.astype(label_map.dtype)


def resize_physical(pixels: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Area-average resize of the physical-unit array (HU etc.) so measurements match the image grid."""
    if pixels.shape[:2] == shape_hw:
        return pixels
    height, width = shape_hw
    return cv2.resize(pixels.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)


def block_factors(shape_hw: tuple[int, ...], out_hw: tuple[int, int]) -> tuple[int, int] | None:
    """(rows, columns) per output pixel when OpenCV's ``INTER_AREA`` resize from ``shape_hw`` to ``out_hw``
    averages whole blocks (its "area fast" path: both scales whole numbers to within DBL_EPSILON, computed
    in double as OpenCV does), else None."""
    factors = []
    for size, out in zip(shape_hw[:2], out_hw, strict=True):
        scale = 1.0 / (out / size)
        whole = round(scale)
        if abs(scale - whole) >= sys.float_info.epsilon or whole < 1 or whole * out != size:
            return None
        factors.append(whole)
    return factors[0], factors[1]


def display_and_physical(pixels: np.ndarray, table: np.ndarray, out_hw: tuple[int, int]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(``resize_image(table[pixels])``, ``resize_physical(pixels)``) of an 8- or 16-bit grey image, to the bit.

    When the sizes divide into whole blocks, one compiled pass over the stored pixels makes both
    (:mod:`medtrinity.preprocess.area_kernels`: no full-size float32 copy, no full-size display image);
    otherwise, or when a block's sum could leave float32's exact integers, OpenCV makes each as before.
    """
    factors = block_factors(pixels.shape, out_hw)
    largest = 255 if pixels.dtype == np.uint8 else 65535
    if factors is None or factors[0] * factors[1] * largest >= 1 << 24 or pixels.dtype not in (np.uint8, np.uint16):
        display = apply_table(pixels, table)
        height, width = out_hw
        return (cv2.resize(display, (width, height), interpolation=cv2.INTER_AREA),
                resize_physical(pixels, out_hw))
    from medtrinity.preprocess import area_kernels  # compiled on first use

    pixels = np.ascontiguousarray(pixels)
    if factors == (2, 2):
        return area_kernels.halved_display_and_mean(pixels, table)
    return area_kernels.area_display_and_mean(pixels, table, factors[0], factors[1])
