"""Where a finding sits inside its organ: lobe, pole or third, from its position within the organ's extent."""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.records import Sample

_SIDE_FROM_LETTER = {"L": "left", "R": "right"}
_OPPOSITE_SIDE = {"left": "right", "right": "left"}


def _axial_thirds(sample: Sample, organ: str) -> str:
    """'upper', 'middle' or 'lower' third of the organ's craniocaudal extent, from the slice index."""
    stats = sample.volume_stats.get(organ)
    if sample.plane != "axial" or stats is None or sample.slice_index < 0:
        return ""
    first, last = stats.get("first_slice"), stats.get("last_slice")
    if first is None or last is None or last <= first:
        return ""
    # axial slice indices grow towards superior in the canonical LPS volume
    fraction = (sample.slice_index - first) / (last - first)
    return "upper" if fraction > 2 / 3 else "lower" if fraction < 1 / 3 else "middle"


def _side_fraction(organ_mask: np.ndarray, centroid_x: float, column_letter: str) -> float | None:
    """Position of a point across the organ from its patient-right edge (0) to its patient-left edge (1)."""
    if column_letter not in _SIDE_FROM_LETTER:
        return None
    left, _top, width, _height = cv2.boundingRect(organ_mask.astype(np.uint8))
    if width < 2:
        return None
    fraction = (centroid_x - left) / (width - 1)
    return float(fraction if column_letter == "L" else 1.0 - fraction)


def _projection_third(organ_mask: np.ndarray, centroid_y: float) -> str:
    """On a frontal radiograph: 'upper', 'middle' or 'lower' third of the organ's height (the lung zones)."""
    _left, top, _width, height = cv2.boundingRect(organ_mask.astype(np.uint8))
    if height < 3:
        return ""
    fraction = (centroid_y - top) / height
    return "upper" if fraction < 1 / 3 else "lower" if fraction > 2 / 3 else "middle"


def organ_part(sample: Sample, organ: str, organ_mask: np.ndarray, centroid_xy: tuple[float, float]) -> str:
    """The part of ``organ`` a finding lies in: liver lobes, kidney poles, lung zones, or the organ's third.

    ``organ_mask`` is the organ's pixels in this image including the finding's own pixels
    (a label map gives a lesion's pixels to the lesion, not to the organ around it).
    """
    third = _axial_thirds(sample, organ)
    if "liver" in organ:
        fraction = _side_fraction(organ_mask, centroid_xy[0], sample.patient_orientation[0])
        if fraction is None:
            return ""
        return "left lobe" if fraction > 0.65 else "right lobe"
    if "kidney" in organ:
        return {"upper": "upper pole", "lower": "lower pole", "middle": "interpolar region"}.get(third, "")
    if "lung" in organ:
        if not third and sample.plane == "projection":
            third = _projection_third(organ_mask, centroid_xy[1])
        return f"{third} zone" if third else ""
    return f"{third} part" if third else ""
