"""Reading 2D image files (PNG, JPEG, TIFF, BMP) into arrays, with errors that name the file."""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.records import SampleError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def read_image(path: str) -> np.ndarray:
    """Greyscale images as 2D arrays (any bit depth), colour images as H x W x 3 RGB uint8."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SampleError("unreadable_file", f"{path}: not a readable image file")
    if image.ndim == 3:
        if image.shape[2] == 4:
            image = image[:, :, :3]
        if np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 1], image[:, :, 2]):
            return np.ascontiguousarray(image[:, :, 0])
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def read_mask(path: str) -> np.ndarray:
    """An integer label image; 0/255 binary masks become 0/1."""
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise SampleError("unreadable_file", f"{path}: not a readable mask image")
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    values = np.unique(mask)
    if values.size <= 2 and values.max(initial=0) == 255:
        mask = (mask > 0).astype(np.uint8)
    return mask.astype(np.int32)
