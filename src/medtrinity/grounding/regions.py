"""Label map -> regions in one pass: each label's box, area and centroid, then its pieces inside that box.

A slice with forty labels is read once for all of them (never one full-slice pass per label);
everything after that works on each label's bounding box, so a region's cost follows its size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Region:
    """One region of one label: its box (x0, y0, x1, y1; end exclusive), area, centroid and mask in the box."""

    value: int
    box: tuple[int, int, int, int]
    area_px: int
    centroid_xy: tuple[float, float]
    mask: np.ndarray  # bool, the box's size: the region's pixels inside its box


@dataclass(frozen=True)
class LabelExtent:
    """Where one label value lies in a label map, from the single pass of :func:`label_extents`."""

    value: int
    box: tuple[int, int, int, int]
    area_px: int
    sum_x: float
    sum_y: float


def label_extents(label_map: np.ndarray) -> dict[int, LabelExtent]:
    """Every non-zero label value's box, pixel count and coordinate sums, from one pass over the map."""
    if label_map.ndim != 2:
        raise ValueError(f"label map must be 2D, got shape {label_map.shape}")
    flat = label_map.ravel()
    where = np.flatnonzero(flat)
    if where.size == 0:
        return {}
    values = flat[where].astype(np.int64)
    if values.min() < 0:
        raise ValueError(f"label values must be non-negative, found {int(values.min())}")
    width = label_map.shape[1]
    rows, columns = np.divmod(where, width)
    size = int(values.max()) + 1
    areas = np.bincount(values, minlength=size)
    sums_x = np.bincount(values, weights=columns, minlength=size)
    sums_y = np.bincount(values, weights=rows, minlength=size)
    if size * max(label_map.shape) <= 1 << 22:  # few label values: presence tables from two more counts
        present_x = np.bincount(values * width + columns, minlength=size * width).reshape(size, width) > 0
        present_y = np.bincount(values * label_map.shape[0] + rows,
                                minlength=size * label_map.shape[0]).reshape(size, label_map.shape[0]) > 0
        low_x, high_x = present_x.argmax(axis=1), width - 1 - present_x[:, ::-1].argmax(axis=1)
        low_y, high_y = present_y.argmax(axis=1), label_map.shape[0] - 1 - present_y[:, ::-1].argmax(axis=1)
    else:  # large label values (instance ids): per-value extremes directly
        low_x, low_y = np.full(size, width, dtype=np.int64), np.full(size, label_map.shape[0], dtype=np.int64)
        high_x, high_y = np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)
        np.minimum.at(low_x, values, columns)
        np.maximum.at(high_x, values, columns)
        np.minimum.at(low_y, values, rows)
        np.maximum.at(high_y, values, rows)
    return {
        value: LabelExtent(value, (int(low_x[value]), int(low_y[value]), int(high_x[value]) + 1,
                                   int(high_y[value]) + 1), int(areas[value]), float(sums_x[value]),
                           float(sums_y[value]))
        for value in np.flatnonzero(areas).tolist()
    }


def box_slices(box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(y0, y1), slice(x0, x1)


def whole_region(label_map: np.ndarray, extent: LabelExtent) -> Region:
    """A label as one region (organs are context: their pieces are not counted separately)."""
    centroid = (round(extent.sum_x / extent.area_px, 2), round(extent.sum_y / extent.area_px, 2))
    return Region(extent.value, extent.box, extent.area_px, centroid, label_map[box_slices(extent.box)] == extent.value)


def component_regions(label_map: np.ndarray, extent: LabelExtent, min_area_px: int) -> list[Region]:
    """The 8-connected pieces of a label of at least ``min_area_px`` pixels, found inside the label's box."""
    x0, y0, _, _ = extent.box
    binary = label_map[box_slices(extent.box)] == extent.value
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    found = []
    for index in range(1, count):
        area = int(stats[index, cv2.CC_STAT_AREA])
        if area < min_area_px:
            continue
        left, top = int(stats[index, cv2.CC_STAT_LEFT]), int(stats[index, cv2.CC_STAT_TOP])
        width, height = int(stats[index, cv2.CC_STAT_WIDTH]), int(stats[index, cv2.CC_STAT_HEIGHT])
        piece = labels[top:top + height, left:left + width] == index
        ys, xs = np.nonzero(piece)
        centroid = (round(float(xs.mean()) + left + x0, 2), round(float(ys.mean()) + top + y0, 2))
        box = (x0 + left, y0 + top, x0 + left + width, y0 + top + height)
        found.append(Region(extent.value, box, area, centroid, piece))
    return found
