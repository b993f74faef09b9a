"""Reading 2D image files (PNG, JPEG, TIFF, BMP) into arrays, with errors that name the file."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator

import cv2
import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.records import SampleError
from medtrinity.sources.safety import check_image_file

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# what libjpeg and libpng print when they decode damaged data and fill the gaps
DECODER_WARNINGS = ("Corrupt JPEG data", "Premature end of JPEG", "libpng warning", "libpng error", "Bogus",
                    "Invalid JPEG", "TIFFReadDirectory", "TIFFFillStrip", "TIFFFillTile")


@contextlib.contextmanager
def decoder_messages() -> Iterator[Callable[[], list[str]]]:
    """Capture what native decoders write to file descriptor 2 while the block runs (lines, after it)."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def read_image(path: str, limits: LimitsConfig | None = None) -> np.ndarray:
    """Greyscale images as 2D arrays (any bit depth), colour images as H x W x 3 RGB.

    The header is checked against ``limits`` before decoding; a truncated JPEG is a reject.
    """
    check_image_file(path, limits or LimitsConfig())
    with decoder_messages() as messages:
        image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SampleError("unreadable_file", f"{path}: not a readable image file")
    warnings = [line for line in messages() if any(mark in line for mark in DECODER_WARNINGS)]
    if warnings:  # libjpeg/libpng filled in what it could not read: the pixels are not the image
        raise SampleError("corrupt_image_data", f"{path}: the decoder reported {'; '.join(warnings[:3])!r}; "
                                                "re-export or re-download the file")
    if image.ndim == 3:
        if image.shape[2] == 4:
            image = image[:, :, :3]
        if np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 1], image[:, :, 2]):
            return np.ascontiguousarray(image[:, :, 0])
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def read_mask(path: str, limits: LimitsConfig | None = None) -> np.ndarray:
    """An integer label image; 0/255 binary masks become 0/1."""
    check_image_file(path, limits or LimitsConfig())
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise SampleError("unreadable_file", f"{path}: not a readable mask image")
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    values = np.unique(mask)
    if values.size <= 2 and values.max(initial=0) == 255:
        mask = (mask > 0).astype(np.uint8)
    return mask.astype(np.int32)
