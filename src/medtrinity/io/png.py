"""PNG encoding of display images: the one place images become bytes (stored rows, prompts)."""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.records import SampleError


def encode_png(image: np.ndarray) -> bytes:
    """Lossless PNG of a uint8 grey or RGB image (RGB stored as RGB)."""
    pixels = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
    ok, buffer = cv2.imencode(".png", pixels)
    if not ok:
        raise SampleError("png_encode_failed", f"image of shape {image.shape} could not be PNG-encoded")
    return buffer.tobytes()
