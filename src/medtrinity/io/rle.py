"""COCO run-length encoding of binary masks (the compressed string form pycocotools writes).

Runs are counted over the mask in column-major order, starting with a run of zeros; the
counts are packed into the printable string format COCO uses, so masks written here open with
``pycocotools.mask.decode`` and any COCO tool.
"""

from __future__ import annotations

import numpy as np


def _run_lengths(mask: np.ndarray) -> list[int]:
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return []
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


def _window_run_lengths(window: np.ndarray, origin_yx: tuple[int, int], frame_hw: tuple[int, int]) -> list[int]:
    """Column-major run lengths of a frame that is empty outside ``window`` (placed at ``origin_yx``).

    Equal to ``_run_lengths`` of the whole frame, at the cost of the window only.
    """
    height, width = frame_hw
    y0, x0 = origin_yx
    padded = np.zeros((window.shape[0] + 2, window.shape[1]), dtype=np.int8)
    padded[1:-1] = window
    steps = np.diff(padded, axis=0).T  # [column, row]: +1 where a run starts, -1 one past where it ends
    columns, rows = np.nonzero(steps)
    bounds = (columns + x0).astype(np.int64) * height + rows + y0  # frame positions, in column-major order
    if bounds.size > 1:  # a run that leaves a column's bottom and goes on at the next column's top is one run
        joined = np.flatnonzero(bounds[1:-1:2] == bounds[2::2])
        if joined.size:
            bounds = np.delete(bounds, np.concatenate([2 * joined + 1, 2 * joined + 2]))
    total = height * width
    if bounds.size and bounds[-1] == total:
        bounds = bounds[:-1]
    return np.diff(np.concatenate(([0], bounds, [total]))).tolist()


def _counts_to_string(counts: list[int]) -> str:
    """COCO's packing: each count (a difference to the count two back, from the fourth on) in 5-bit chunks."""
    if not counts:
        return ""
    values = np.asarray(counts, dtype=np.int64)
    values[3:] = values[3:] - np.asarray(counts[1:-2], dtype=np.int64)
    chunks: list[np.ndarray] = []
    alive = np.ones(values.size, dtype=bool)
    while alive.any():
        chunk = values & 0x1F
        values = values >> 5
        more = np.where(chunk & 0x10, values != -1, values != 0) & alive
        chunks.append(np.where(alive, (chunk | np.where(more, 0x20, 0)) + 48, 0))
        alive = more
    table = np.stack(chunks, axis=1).astype(np.uint8)  # one row per count, its chunks then zeros
    return table[table != 0].tobytes().decode("ascii")


def _string_to_counts(text: str) -> list[int]:
    counts: list[int] = []
    position = 0
    while position < len(text):
        value = 0
        shift = 0
        more = True
        while more:
            if position >= len(text):
                raise ValueError(f"truncated COCO RLE string ending {text[-8:]!r}")
            chunk = ord(text[position]) - 48
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            position += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def encode_mask(mask: np.ndarray) -> dict[str, object]:
    """Encode a 2D binary mask as ``{"size": [height, width], "counts": str}`` (COCO compressed RLE)."""
    if mask.ndim != 2:
        raise ValueError(f"RLE needs a 2D mask, got shape {mask.shape}")
    height, width = mask.shape
    return {"size": [int(height), int(width)], "counts": _counts_to_string(_run_lengths(mask))}


def encode_window(window: np.ndarray, origin_yx: tuple[int, int], frame_hw: tuple[int, int]) -> dict[str, object]:
    """COCO RLE of a ``frame_hw`` mask that is ``window`` at ``origin_yx`` and empty elsewhere.

    The same string :func:`encode_mask` writes for the whole frame, without building the frame:
    a region's cost follows its size, not the image's.
    """
    if window.ndim != 2:
        raise ValueError(f"RLE needs a 2D mask, got shape {window.shape}")
    y0, x0 = origin_yx
    if y0 < 0 or x0 < 0 or y0 + window.shape[0] > frame_hw[0] or x0 + window.shape[1] > frame_hw[1]:
        raise ValueError(f"window {window.shape} at {origin_yx} does not fit a {frame_hw} frame")
    counts = _window_run_lengths(np.asarray(window, dtype=bool), (y0, x0), frame_hw)
    return {"size": [int(frame_hw[0]), int(frame_hw[1])], "counts": _counts_to_string(counts)}


def decode_mask(rle: dict[str, object]) -> np.ndarray:
    """Decode a COCO RLE (compressed string or list of counts) back to a boolean mask."""
    height, width = (int(value) for value in rle["size"])  # type: ignore[union-attr]
    counts = rle["counts"]
    runs = _string_to_counts(counts) if isinstance(counts, str) else [int(value) for value in counts]
    if sum(runs) != height * width:
        raise ValueError(f"RLE counts cover {sum(runs)} pixels, mask size {height}x{width} needs {height * width}")
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, runs)
    return flat.reshape((height, width), order="F")
