"""Which labelled structures lie wholly inside another's outline in one image: the optic cup inside the
optic disc, the spinal cord inside a vertebra, the left ventricle inside the myocardium.

Such a pair touches, so the ring test lists it as neighbours, and "the optic disc borders the optic cup"
is what a label map painted cup-over-disc would make the text say. A structure is surrounded when every
one of its pixels lies in a hole of the other's mask (background not reachable from outside the mask's
box, 8-connected, so a diagonal gap counts as open). Only described regions with a mask are tested, and
only against labels whose box fits inside theirs (or whose box holds theirs): most slices test nothing.
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.grounding.regions import LabelExtent, box_slices


def holes_of(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask``'s box that the mask encloses: background that no 8-connected path joins to the
    box's border."""
    flooded = cv2.copyMakeBorder(mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8),
                                 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.floodFill(flooded, None, (0, 0), 1, flags=8)
    return flooded[1:-1, 1:-1] == 0


class LabelBoxes:
    """The boxes of the labels that may enclose or be enclosed, as one array: the labels inside a box, or
    around it, in one vector test (most slices then search no hole at all)."""

    def __init__(self, extents: dict[int, LabelExtent]):
        self.extents = extents
        self.values = np.fromiter(extents, dtype=np.int64, count=len(extents))
        self.boxes = np.array([extent.box for extent in extents.values()], dtype=np.int64).reshape(-1, 4)

    def inside(self, box: tuple[int, int, int, int]) -> list[int]:
        """Values whose box lies strictly inside ``box`` (a hole never touches its mask's box edge)."""
        b = self.boxes
        keep = (b[:, 0] > box[0]) & (b[:, 1] > box[1]) & (b[:, 2] < box[2]) & (b[:, 3] < box[3])
        return self.values[keep].tolist()

    def around(self, box: tuple[int, int, int, int]) -> list[int]:
        """Values whose box holds ``box`` strictly inside it, smallest area first."""
        b = self.boxes
        keep = (b[:, 0] < box[0]) & (b[:, 1] < box[1]) & (b[:, 2] > box[2]) & (b[:, 3] > box[3])
        return sorted(self.values[keep].tolist(), key=lambda value: (self.extents[value].area_px, value))


def surrounded_values(label_map: np.ndarray, value: int, box: tuple[int, int, int, int], mask: np.ndarray,
                      labels: LabelBoxes) -> list[int]:
    """Label values (of ``labels``) whose every pixel lies in a hole of ``mask`` (label ``value``'s pixels in
    ``box``)."""
    candidates = [other for other in labels.inside(box) if other != value]
    if not candidates:
        return []
    holes = holes_of(mask)
    if not holes.any():
        return []
    inside = label_map[box_slices(box)][holes]  # a few candidates: counted one by one (instance ids can be huge)
    return [other for other in candidates if np.count_nonzero(inside == other) == labels.extents[other].area_px]


def surrounding_value(label_map: np.ndarray, value: int, box: tuple[int, int, int, int],
                      labels: LabelBoxes) -> int | None:
    """The label value (of ``labels``) whose mask wholly encloses label ``value`` (its box ``box``) in this
    image, the smallest such, or None."""
    for other in labels.around(box):
        outer = labels.extents[other].box
        holes = holes_of(label_map[box_slices(outer)] == other)
        x0, y0, x1, y1 = box
        inner = label_map[y0:y1, x0:x1] == value
        if holes[y0 - outer[1]:y1 - outer[1], x0 - outer[0]:x1 - outer[0]][inner].all():
            return other
    return None
