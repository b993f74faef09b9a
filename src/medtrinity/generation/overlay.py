"""The visual prompt: numbered ROI outlines drawn on a copy of the display image.

The paper gives the multimodal model the image with its ROIs marked; the numbers match the
numbered ROI list of the text prompt. Drawing happens on a copy: the stored image stays clean.
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.io.rle import decode_mask
from medtrinity.records import ROI, SampleError

# Distinct colours (RGB) for consecutive ROIs, readable on grey images.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 64, 64), (64, 220, 64), (64, 128, 255), (255, 200, 0), (255, 64, 255), (0, 230, 230),
    (255, 140, 0), (160, 100, 255),
)


def render_overlay(
    image: np.ndarray, rois: list[ROI], *, contours: bool = True, boxes: bool = True, thickness: int | None = None
) -> np.ndarray:
    """RGB copy of ``image`` with each ROI's contour and/or box drawn and numbered from 1."""
    if image is None:
        raise SampleError("no_display_image", "the overlay needs the display image; run preprocessing first")
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image[..., :3].copy()
    canvas = np.ascontiguousarray(canvas.astype(np.uint8, copy=False))
    height, width = canvas.shape[:2]
    line = thickness or max(1, round(min(height, width) / 256))
    scale = max(0.35, min(height, width) / 640)
    for number, roi in enumerate(rois, start=1):
        colour = PALETTE[(number - 1) % len(PALETTE)]
        x0, y0, x1, y1 = (int(v) for v in roi.bbox_xyxy)
        if contours and roi.mask_rle:
            mask = decode_mask(roi.mask_rle).astype(np.uint8)
            found, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(canvas, found, -1, colour, line, lineType=cv2.LINE_AA)
        if boxes:
            cv2.rectangle(canvas, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), colour, line)
        label = str(number)
        (text_w, text_h), baseline = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, line)
        tx = min(max(0, x0), max(0, width - text_w - 2))
        ty = y0 - 3 if y0 - text_h - 3 >= 0 else min(height - 2, y1 + text_h + 3)
        cv2.rectangle(canvas, (tx, ty - text_h - 2), (tx + text_w + 2, ty + baseline), (0, 0, 0), -1)
        cv2.putText(canvas, label, (tx + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, line, cv2.LINE_AA)
    return canvas


def png_data_url(png: bytes) -> str:
    """``data:image/png;base64,...`` as the chat API takes images."""
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
