"""Label map -> regions in one pass: each label's box, area and centroid, then its pieces inside that box.

A slice with forty labels is read once for all of them (never one full-slice pass per label);
everything after that works on each label's bounding box, so a region's cost follows its size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from medtrinity.grounding import kernels
from medtrinity.grounding.measure import as_uint8


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
    """Every non-zero label value's box, pixel count and coordinate sums, from one pass over the map.

    One compiled loop over the pixels (:func:`kernels.label_extents_loop`) for maps whose values
    index a small table; maps with large values (instance ids) go through the labelled pixels only.
    """
    if label_map.ndim != 2:
        raise ValueError(f"label map must be 2D, got shape {label_map.shape}")
    if label_map.size == 0:
        return {}
    if label_map.dtype.kind not in "iu":  # float maps (some experts): truncated to their integer values
        label_map = label_map.astype(np.uint8 if label_map.dtype.kind == "b" else np.int64)
    top = int(label_map.max())
    if top == 0:
        return {}
    if int(label_map.min()) < 0:
        raise ValueError(f"label values must be non-negative, found {int(label_map.min())}")
    if top >= 1 << 20:  # a table per value would be larger than the map's labelled pixels
        return _sparse_label_extents(label_map)
    label_map = np.ascontiguousarray(label_map)
    by_words = label_map.dtype == np.uint8 and label_map.shape[1] % 8 == 0  # zero runs skipped 8 pixels at a time
    extents_loop = kernels.uint8_label_extents_loop if by_words else kernels.label_extents_loop
    counts, sums_x, sums_y, low_x, low_y, high_x, high_y = extents_loop(label_map, top + 1)
    return {
        value: LabelExtent(value, (int(low_x[value]), int(low_y[value]), int(high_x[value]) + 1,
                                   int(high_y[value]) + 1), int(counts[value]), float(sums_x[value]),
                           float(sums_y[value]))
        for value in (np.flatnonzero(counts[1:]) + 1).tolist()
    }


def _sparse_label_extents(label_map: np.ndarray) -> dict[int, LabelExtent]:
    """:func:`label_extents` for maps with large label values: per-value extremes of the labelled pixels.

    Written with numpy alone: the tests also use it as the reference for the compiled loop.
    """
    flat = label_map.ravel()
    where = np.flatnonzero(flat)
    # the values present, numbered 0..n-1: tables of n entries, never one entry per possible value
    present, values = np.unique(flat[where], return_inverse=True)
    width = label_map.shape[1]
    rows, columns = np.divmod(where, width)
    size = present.size
    areas = np.bincount(values, minlength=size)
    sums_x = np.bincount(values, weights=columns, minlength=size)
    sums_y = np.bincount(values, weights=rows, minlength=size)
    low_x, low_y = np.full(size, width, dtype=np.int64), np.full(size, label_map.shape[0], dtype=np.int64)
    high_x, high_y = np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)
    np.minimum.at(low_x, values, columns)
    np.maximum.at(high_x, values, columns)
    np.minimum.at(low_y, values, rows)
    np.maximum.at(high_y, values, rows)
    return {
        int(value): LabelExtent(int(value), (int(low_x[index]), int(low_y[index]), int(high_x[index]) + 1,
                                             int(high_y[index]) + 1), int(areas[index]), float(sums_x[index]),
                                float(sums_y[index]))
        for index, value in enumerate(present.tolist())
    }


def box_slices(box: tuple[int, int, int, int]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(y0, y1), slice(x0, x1)


def whole_region(label_map: np.ndarray, extent: LabelExtent, with_mask: bool = True) -> Region:
    """A label as one region (organs are context: their pieces are not counted separately).

    ``with_mask=False`` leaves the mask out (an empty array): a context organ needs its box, area and
    centroid only, not one pass over its box.
    """
    centroid = (round(extent.sum_x / extent.area_px, 2), round(extent.sum_y / extent.area_px, 2))
    mask = label_map[box_slices(extent.box)] == extent.value if with_mask else np.zeros((0, 0), dtype=bool)
    return Region(extent.value, extent.box, extent.area_px, centroid, mask)


def label_components(binary: np.ndarray, min_area_px: int) -> tuple[np.ndarray, tuple[np.ndarray, ...], list[int]]:
    """8-connected pieces of a mask: (component image, per-piece table, the numbers of pieces of at least
    ``min_area_px`` pixels). The table is :func:`kernels.label_extents_loop` over OpenCV's component image
    (areas, coordinate sums, inclusive boxes): one compiled pass instead of OpenCV's statistics, which
    cost several times the labelling itself."""
    count, labels = cv2.connectedComponents(as_uint8(binary), connectivity=8)
    table = kernels.label_extents_loop(labels, count)
    kept = (np.flatnonzero(table[0][1:] >= min_area_px) + 1).tolist()
    return labels, table, kept


def component_regions(label_map: np.ndarray, extent: LabelExtent, min_area_px: int,
                      components: tuple[np.ndarray, tuple[np.ndarray, ...], list[int]] | None = None) -> list[Region]:
    """The 8-connected pieces of a label of at least ``min_area_px`` pixels, found inside the label's box.

    ``components``: :func:`label_components` of the label's mask in its box, when the caller has it.
    """
    x0, y0, x1, y1 = extent.box
    width, height = x1 - x0, y1 - y0
    if components is None and extent.area_px == width * height:  # the label fills its box (a box annotation)
        if extent.area_px < min_area_px:
            return []
        # one piece, the box: the same centroid arithmetic as below, from the exact coordinate sums of a rectangle
        area = int(extent.area_px)
        mean_x = float(height * width * (width - 1) // 2) / area
        mean_y = float(width * height * (height - 1) // 2) / area
        return [Region(extent.value, extent.box, area, (round(mean_x + x0, 2), round(mean_y + y0, 2)),
                       np.ones((height, width), dtype=bool))]
    if components is None:
        components = label_components(label_map[box_slices(extent.box)] == extent.value, min_area_px)
    labels, (areas, sums_x, sums_y, low_x, low_y, high_x, high_y), kept = components
    found = []
    for index in kept:
        area = int(areas[index])
        left, top = int(low_x[index]), int(low_y[index])
        width, height = int(high_x[index]) - left + 1, int(high_y[index]) - top + 1
        piece = labels[top:top + height, left:left + width] == index
        # the mean of the piece's own coordinates (exact integer sums), then shifted: as np.mean of its pixels
        mean_x, mean_y = float(int(sums_x[index]) - area * left) / area, float(int(sums_y[index]) - area * top) / area
        centroid = (round(mean_x + left + x0, 2), round(mean_y + top + y0, 2))
        box = (x0 + left, y0 + top, x0 + left + width, y0 + top + height)
        found.append(Region(extent.value, box, area, centroid, piece))
    return found
