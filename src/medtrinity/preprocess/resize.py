"""Resizing that keeps the aspect ratio and carries pixel spacing and label maps along."""

from __future__ import annotations

import cv2
import numpy as np


def fit_scale(height_px: int, width_px: int, max_size_px: int | None) -> float:
    """Scale factor that brings the longer side down to ``max_size_px`` (never enlarges)."""
    if max_size_px is None:
        return 1.0
    longer = max(height_px, width_px)
    return min(1.0, max_size_px / longer)


def resize_image(image: np.ndarray, scale: float) -> np.ndarray:
    """Area-average downscale of a display image."""
    if scale == 1.0:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def resize_labels(label_map: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an integer label map to ``shape_hw``."""
    if label_map.shape[:2] == shape_hw:
        return label_map
    height, width = shape_hw
    resized = cv2.resize(label_map.astype(np.int32), (width, height), interpolation=cv2.INTER_NEAREST)
    return resized.astype(label_map.dtype)


def resize_physical(pixels: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Area-average resize of the physical-unit array (HU etc.) so measurements match the image grid."""
    if pixels.shape[:2] == shape_hw:
        return pixels
    height, width = shape_hw
    return cv2.resize(pixels.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)
