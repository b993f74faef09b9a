"""The report's sample gallery: a few rows per source with their ROI outlines drawn on a copy of the image,
embedded as data-URL PNGs (the stored images stay clean; only the report's copies carry overlays)."""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq

from medtrinity.export.run_rows import triplet_parts
from medtrinity.io.png import encode_png
from medtrinity.io.rle import decode_mask

# BGR colours for outlines, cycling over a row's ROIs
OUTLINE_COLOURS = ((0, 200, 255), (80, 220, 80), (255, 140, 60), (220, 80, 220), (60, 60, 255), (255, 255, 0))
_COLUMNS = ["id", "source", "modality", "body_part", "image_png", "rois", "description_text", "qc_status"]


@dataclass
class GalleryItem:
    row_id: str
    source: str
    modality: str
    body_part: str
    qc_status: str
    labels: list[str]
    description: str
    data_url: str


def overlay_image(png: bytes, rois: list[dict], max_side_px: int = 320) -> bytes:
    """The image with every ROI's outline (from its RLE mask) drawn in colour, scaled to ``max_side_px``."""
    pixels = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError(f"gallery image of {len(png)} bytes is not a decodable PNG")
    for index, roi in enumerate(rois):
        mask = decode_mask(roi["mask_rle"]).astype(np.uint8)
        if mask.shape != pixels.shape[:2]:
            raise ValueError(f"ROI {roi['label']!r} mask {mask.shape} does not match image {pixels.shape[:2]}")
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        thickness = 2 if roi["kind"] == "lesion" else 1
        cv2.drawContours(pixels, contours, -1, OUTLINE_COLOURS[index % len(OUTLINE_COLOURS)], thickness)
    height, width = pixels.shape[:2]
    scale = min(1.0, max_side_px / max(height, width))
    if scale < 1.0:
        pixels = cv2.resize(pixels, (max(1, round(width * scale)), max(1, round(height * scale))),
                            interpolation=cv2.INTER_AREA)
    return encode_png(cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))


def gallery_items(run_dir: Path, per_source: int = 3, limit: int = 12) -> list[GalleryItem]:
    """Up to ``per_source`` rows of each source (rows with ROIs first met), at most ``limit`` in all."""
    taken: Counter = Counter()
    items: list[GalleryItem] = []
    for part in triplet_parts(run_dir):
        for batch in pq.ParquetFile(part).iter_batches(batch_size=64, columns=_COLUMNS):
            for row in batch.to_pylist():
                if len(items) >= limit:
                    return items
                if taken[row["source"]] >= per_source or not row["rois"]:
                    continue
                taken[row["source"]] += 1
                encoded = base64.b64encode(overlay_image(row["image_png"], row["rois"])).decode("ascii")
                items.append(GalleryItem(row["id"], row["source"], row["modality"], row["body_part"],
                                         row["qc_status"], [roi["label"] for roi in row["rois"]],
                                         row["description_text"] or "", f"data:image/png;base64,{encoded}"))
    return items
