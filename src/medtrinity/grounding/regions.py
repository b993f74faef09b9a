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
    """Every non-zero label value's box, pixel count and coordinate sums, from one pass over the map.

    Two counts over the map (inside the box of its labelled pixels), per (row, value) and per
    (column, value), give each value's area, coordinate sums and the rows and columns it occupies,
    hence its box; no per-label pass, no list of labelled pixels.
    """
    if label_map.ndim != 2:
        raise ValueError(f"label map must be 2D, got shape {label_map.shape}")
    if label_map.size == 0:
        return {}
    if label_map.dtype.kind not in "iub":  # float maps (some experts): truncated to their integer values
        label_map = label_map.astype(np.int64)
    height, width = label_map.shape
    top = int(label_map.max())
    if top == 0:
        return {}
    if int(label_map.min()) < 0:
        raise ValueError(f"label values must be non-negative, found {int(label_map.min())}")
    size = top + 1
    if size * max(height, width) > 1 << 22:  # large label values (instance ids): only the labelled pixels
        return _sparse_label_extents(label_map)
    # counted inside the box of all labelled pixels (a CT slice's labels fill a fraction of it),
    # every position then shifted back by the box's corner
    rows = np.flatnonzero(label_map.any(axis=1))
    first_y = int(rows[0])
    columns = np.flatnonzero(label_map[first_y:int(rows[-1]) + 1].any(axis=0))
    first_x = int(columns[0])
    label_map = label_map[first_y:int(rows[-1]) + 1, first_x:int(columns[-1]) + 1]
    height, width = label_map.shape
    by_row, by_column = _row_and_column_counts(label_map, size)
    areas = by_row.sum(axis=0)
    # integer products (exact, and no BLAS threads): the sums as the float64 values the centroids divide
    sums_y = (np.arange(first_y, first_y + height, dtype=np.int64) @ by_row).astype(np.float64)
    sums_x = (np.arange(first_x, first_x + width, dtype=np.int64) @ by_column).astype(np.float64)
    in_row, in_column = by_row > 0, by_column > 0
    low_y, high_y = in_row.argmax(axis=0) + first_y, first_y + height - 1 - in_row[::-1].argmax(axis=0)
    low_x, high_x = in_column.argmax(axis=0) + first_x, first_x + width - 1 - in_column[::-1].argmax(axis=0)
    return {
        value: LabelExtent(value, (int(low_x[value]), int(low_y[value]), int(high_x[value]) + 1,
                                   int(high_y[value]) + 1), int(areas[value]), float(sums_x[value]),
                           float(sums_y[value]))
        for value in (np.flatnonzero(areas[1:]) + 1).tolist()
    }


def _row_and_column_counts(label_map: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel counts per (row, value) and per (column, value) of a map whose values are below ``size``.

    The (position, value) keys are 16-bit when they fit (a few hundred rows and columns and label
    values, as every CT slice): a quarter of the memory traffic of 64-bit keys, the same counts.
    ``label_map`` holds integers in 0..size-1 (the caller checked), so the 16-bit cast is exact.
    """
    height, width = label_map.shape
    key_type = np.uint16 if max(height, width) * size <= 1 << 16 else np.int64
    label_map = label_map.astype(key_type, copy=False)
    by_row = np.bincount((label_map + (np.arange(height, dtype=key_type) * key_type(size))[:, None]).ravel(),
                         minlength=height * size).reshape(height, size)
    by_column = np.bincount((label_map + (np.arange(width, dtype=key_type) * key_type(size))[None, :]).ravel(),
                            minlength=width * size).reshape(width, size)
    return by_row, by_column


def _sparse_label_extents(label_map: np.ndarray) -> dict[int, LabelExtent]:
    """:func:`label_extents` for maps with large label values: per-value extremes of the labelled pixels."""
    flat = label_map.ravel()
    where = np.flatnonzero(flat)
    values = flat[where].astype(np.int64)
    width = label_map.shape[1]
    rows, columns = np.divmod(where, width)
    size = int(values.max()) + 1
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
        value: LabelExtent(value, (int(low_x[value]), int(low_y[value]), int(high_x[value]) + 1,
                                   int(high_y[value]) + 1), int(areas[value]), float(sums_x[value]),
                           float(sums_y[value]))
        for value in np.flatnonzero(areas).tolist()
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


def label_components(binary: np.ndarray, min_area_px: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """8-connected pieces of a mask: (component image, OpenCV's stats, the numbers of pieces of at least
    ``min_area_px`` pixels). A caller that only needs the count stops here."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    kept = (np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= min_area_px) + 1).tolist()
    return labels, stats, kept


def count_components(binary: np.ndarray, min_area_px: int) -> int:
    """How many 8-connected pieces of at least ``min_area_px`` pixels a mask has: the count
    :func:`label_components` gives, without OpenCV's per-piece statistics (several times slower
    than the labelling itself); the areas come from one count over the labels."""
    count, labels = cv2.connectedComponents(binary.astype(np.uint8), connectivity=8)
    if count <= 2:  # no piece, or one: its area is the mask's
        return 0 if count < 2 else int(np.count_nonzero(binary) >= min_area_px)
    areas = np.bincount(labels.ravel(), minlength=count)[1:]
    return int(np.count_nonzero(areas >= min_area_px))


def component_regions(label_map: np.ndarray, extent: LabelExtent, min_area_px: int,
                      components: tuple[np.ndarray, np.ndarray, list[int]] | None = None) -> list[Region]:
    """The 8-connected pieces of a label of at least ``min_area_px`` pixels, found inside the label's box.

    ``components``: :func:`label_components` of the label's mask in its box, when the caller has it.
    """
    x0, y0, _, _ = extent.box
    if components is None:
        components = label_components(label_map[box_slices(extent.box)] == extent.value, min_area_px)
    labels, stats, kept = components
    found = []
    for index in kept:
        area = int(stats[index, cv2.CC_STAT_AREA])
        left, top = int(stats[index, cv2.CC_STAT_LEFT]), int(stats[index, cv2.CC_STAT_TOP])
        width, height = int(stats[index, cv2.CC_STAT_WIDTH]), int(stats[index, cv2.CC_STAT_HEIGHT])
        piece = labels[top:top + height, left:left + width] == index
        ys, xs = np.nonzero(piece)
        centroid = (round(float(xs.mean()) + left + x0, 2), round(float(ys.mean()) + top + y0, 2))
        box = (x0 + left, y0 + top, x0 + left + width, y0 + top + height)
        found.append(Region(extent.value, box, area, centroid, piece))
    return found
