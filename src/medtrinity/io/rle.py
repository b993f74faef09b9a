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


def _counts_to_string(counts) -> str:
    """COCO's packing: each count (a difference to the count two back, from the fourth on) in 5-bit chunks."""
    from medtrinity.io.rle_kernels import coco_string_bytes  # compiled on first use; decoding never needs it

    return coco_string_bytes(np.asarray(counts, dtype=np.int64)).tobytes().decode("ascii")


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
    from medtrinity.io.rle_kernels import window_run_lengths_loop

    counts = window_run_lengths_loop(np.ascontiguousarray(window, dtype=bool), y0, x0, int(frame_hw[0]),
                                     int(frame_hw[1]))
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
