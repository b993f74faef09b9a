"""Labels that join two named structures, named on each slice by where each of their pieces lies.

TotalSegmentator and BTCV outline the portal vein and the splenic vein as one label ("portal and splenic veins").
On one slice it is seldom both: inside or against the liver, and right of the midline, it is the portal vein; left
of the midline, away from the liver, it is the splenic vein running to the spleen. "The liver encloses the portal
and splenic veins" reads as false to a radiologist, since no splenic vein lies in the liver. Each piece is named
here before measurement; a piece that place cannot name (in the midline band, or on a slice with no left-right
axis) keeps the label's joint name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medtrinity.grounding import measure
from medtrinity.grounding.regions import LabelExtent, box_slices, label_components
from medtrinity.records import Sample


@dataclass(frozen=True)
class PlaceRule:
    """How to name a joint label's pieces: a piece against ``organ`` is ``against``; otherwise by patient side."""

    organ: str
    against: str
    right: str
    left: str


PLACE_RULES: dict[str, PlaceRule] = {
    "portal and splenic veins": PlaceRule(organ="liver", against="portal vein", right="portal vein",
                                          left="splenic vein"),
}

_TOUCH_PX = 1  # a piece is against the organ when the organ lies within this many pixels of it


@dataclass(frozen=True)
class Renamed:
    """What :func:`name_pieces_by_place` did: the label map, names and extents to ground on, and the source label
    value of each new value (so that ROIs report the value their pixels carry in the input mask)."""

    label_map: np.ndarray
    label_names: dict[int, str]
    extents: dict[int, LabelExtent]
    source_value: dict[int, int]


def _piece_name(rule: PlaceRule, piece: np.ndarray, box: tuple[int, int, int, int], label_map: np.ndarray,
                organ_values: np.ndarray, centroid_x: float, center_x: float, column_letter: str) -> str | None:
    """The structure one piece (``piece``: its mask in ``box``) is, or None when its place does not tell."""
    if organ_values.size:
        height, width = label_map.shape
        x0, y0, x1, y1 = box
        px0, py0 = max(0, x0 - _TOUCH_PX), max(0, y0 - _TOUCH_PX)
        px1, py1 = min(width, x1 + _TOUCH_PX), min(height, y1 + _TOUCH_PX)
        padded = np.zeros((py1 - py0, px1 - px0), dtype=np.uint8)
        padded[y0 - py0:y1 - py0, x0 - px0:x1 - px0] = piece
        around = measure.grow(padded, _TOUCH_PX).astype(bool)
        if np.isin(label_map[py0:py1, px0:px1][around], organ_values).any():
            return rule.against
    side = measure.patient_side(centroid_x, center_x, label_map.shape[1], column_letter)
    return {"right": rule.right, "left": rule.left}.get(side)


def name_pieces_by_place(sample: Sample, extents: dict[int, LabelExtent], center_xy: tuple[float, float],
                         column_letter: str) -> Renamed | None:
    """Split each joint label present on this slice into the structures its pieces are (:data:`PLACE_RULES`).

    Returns None when nothing changes (no joint label here, or no piece its place names). Otherwise the label map
    is a copy (the input's slice is left as it was) in which the pieces of each named structure carry a value of
    their own; ``label_names`` is a new dict for this sample only. ``column_letter``: the patient direction image
    columns grow towards ("" when unknown or the image is a crop: no side is judged).
    """
    names_of = sample.label_names  # the values on this slice, not every name of the map (117 in TotalSegmentator)
    joint = [(value, PLACE_RULES[name]) for value in extents if (name := names_of.get(value)) in PLACE_RULES]
    if not joint:
        return None
    label_map, names, new_extents, source_value = sample.label_map, dict(sample.label_names), dict(extents), {}
    copied = False
    for value, rule in joint:
        extent = extents[value]
        x0, y0, x1, y1 = extent.box
        organ_values = np.array([v for v, name in names.items() if name == rule.organ], dtype=np.int64)
        mask = label_map[box_slices(extent.box)] == value
        components, table, _kept = label_components(mask, 1)
        areas, sums_x, sums_y, low_x, low_y, high_x, high_y = table
        groups: dict[str | None, list[int]] = {}
        for piece in range(1, len(areas)):
            if areas[piece] == 0:
                continue
            box = (x0 + int(low_x[piece]), y0 + int(low_y[piece]), x0 + int(high_x[piece]) + 1,
                   y0 + int(high_y[piece]) + 1)
            piece_mask = components[int(low_y[piece]):int(high_y[piece]) + 1,
                                    int(low_x[piece]):int(high_x[piece]) + 1] == piece
            centroid_x = x0 + float(sums_x[piece]) / float(areas[piece])
            name = _piece_name(rule, piece_mask, box, label_map, organ_values, centroid_x, center_xy[0],
                               column_letter)
            groups.setdefault(name, []).append(piece)
        if set(groups) == {None}:
            continue
        # the largest group keeps the label's value; the others get values of their own
        ordered = sorted(groups.items(), key=lambda item: -sum(int(areas[piece]) for piece in item[1]))
        for rank, (name, pieces) in enumerate(ordered):
            if rank == 0:
                target = value
            else:
                if not copied:  # the input's slice (often a view of the volume) is left as it was
                    integer = label_map.dtype if label_map.dtype.kind in "iu" else np.dtype(np.int32)
                    label_map, copied = np.array(label_map, dtype=integer, copy=True), True
                target = max(max(names), int(label_map.max())) + 1
                if target > np.iinfo(label_map.dtype).max:
                    label_map = label_map.astype(np.int32)
                window = label_map[box_slices(extent.box)]
                window[np.isin(components, pieces)] = target
                source_value[target] = value
            names[target] = sample.label_names[value] if name is None else name
            new_extents[target] = _extent_of(target, pieces, table, x0, y0)
    if not source_value and names == sample.label_names:
        return None
    return Renamed(label_map, names, new_extents, source_value)


def _extent_of(value: int, pieces: list[int], table: tuple[np.ndarray, ...], x0: int, y0: int) -> LabelExtent:
    """One label value's extent from the component table of the pieces it now holds (box-relative -> map)."""
    areas, sums_x, sums_y, low_x, low_y, high_x, high_y = table
    index = np.array(pieces)
    area = int(areas[index].sum())
    box = (x0 + int(low_x[index].min()), y0 + int(low_y[index].min()), x0 + int(high_x[index].max()) + 1,
           y0 + int(high_y[index].max()) + 1)
    return LabelExtent(value, box, area, float(sums_x[index].sum()) + x0 * area, float(sums_y[index].sum()) + y0 * area)
