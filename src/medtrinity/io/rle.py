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


def _counts_to_string(counts: list[int]) -> str:
    chars: list[str] = []
    for index, count in enumerate(counts):
        value = count - counts[index - 2] if index > 2 else count
        more = True
        while more:
            chunk = value & 0x1F
            value >>= 5
            more = value != -1 if chunk & 0x10 else value != 0
            if more:
                chunk |= 0x20
            chars.append(chr(chunk + 48))
    return "".join(chars)


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
