"""The patient's midline on a slice: the spine where a label outlines it, else the body outline's centre.

The body outline's box is centred on the midline only when nothing but the trunk lies in it. On the
TotalSegmentator DICOM series the right arm lies against the trunk: the box takes it in, and its centre sits
29 mm right of the spine. The spinal cord then read "on the patient's left" and the inferior vena cava "in the
midline". Where vertebrae, the sacrum or the spinal cord are labelled, their centroid is the midline instead,
along whichever image axis runs left to right; the other axis keeps the body's centre (the spine lies
posterior, no centre front to back).
"""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.grounding.regions import LabelExtent
from medtrinity.records import Sample

_SPINE = re.compile(r"(?<![a-z])(?:vertebra[e]?|spinal cord|sacrum|spine)(?![a-z])", re.IGNORECASE)
_SIDES = {"L", "R"}


@lru_cache(maxsize=4096)
def _is_spine(name: str) -> bool:
    return _SPINE.search(name) is not None


def spine_midline(sample: Sample, extents: dict[int, LabelExtent], body_center_xy: tuple[float, float]
                  ) -> tuple[float, float]:
    """``body_center_xy`` with its left-right coordinate moved to the labelled spine's centroid, where there is one
    on this slice and an image axis runs left to right; unchanged otherwise."""
    columns, rows = sample.patient_orientation
    if columns not in _SIDES and rows not in _SIDES:
        return body_center_xy
    spine = [extent for value, extent in extents.items() if _is_spine(sample.label_names.get(value, ""))]
    area = sum(extent.area_px for extent in spine)
    if not area:
        return body_center_xy
    x, y = sum(extent.sum_x for extent in spine) / area, sum(extent.sum_y for extent in spine) / area
    return (x if columns in _SIDES else body_center_xy[0], y if rows in _SIDES else body_center_xy[1])
