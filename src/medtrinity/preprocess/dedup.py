"""Exact and near-duplicate images, found by a content digest and a 64-bit DCT perceptual hash.

The ``dedup`` stage (first after reading) keeps one filter per shard: the first image is kept,
later copies are rejected with the reason ``duplicate_image`` or ``near_duplicate``. Near-duplicates
are looked for only among 2D inputs (``slice_index < 0``): neighbouring slices of a volume look
alike by nature. Duplicates across shards (and against evaluation sets) need a run-wide index,
which this is not.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from medtrinity.records import Sample, SampleError


def content_digest(pixels: np.ndarray) -> str:
    """Digest of the raw pixel values, shape and type: equal digests are exact copies."""
    digest = hashlib.sha256(f"{pixels.shape}{pixels.dtype}".encode())
    digest.update(np.ascontiguousarray(pixels).tobytes())
    return digest.hexdigest()


def perceptual_hash(pixels: np.ndarray) -> int:
    """64-bit pHash: 32x32 grey thumbnail, 2D DCT, the 8x8 lowest frequencies against their median."""
    values = pixels.astype(np.float32)
    if values.ndim == 3:
        values = values.mean(axis=2)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0
    low, high = np.percentile(finite, [1, 99])
    scaled = np.clip((np.nan_to_num(values, nan=float(low)) - low) / max(float(high - low), 1e-6), 0, 1)
    thumbnail = cv2.resize(scaled.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    block = cv2.dct(thumbnail)[:8, :8].ravel()
    bits = block[1:] > np.median(block[1:])  # the DC term only says how bright the image is
    return int("".join("1" if bit else "0" for bit in bits), 2)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class DuplicateFilter:
    """Rejects samples that repeat an earlier sample of the same shard (exactly, or by perceptual hash)."""

    def __init__(self, near_bits: int | None):
        self.near_bits = near_bits
        self._digests: dict[str, str] = {}
        self._hashes: list[tuple[int, str]] = []

    def __call__(self, sample: Sample) -> Sample:
        digest = content_digest(sample.pixels)
        first = self._digests.setdefault(digest, sample.id)
        if first != sample.id:
            raise SampleError("duplicate_image",
                              f"{sample.source_file}: an exact copy of sample {first} earlier in the same shard")
        if self.near_bits is None or sample.slice_index >= 0:
            return sample
        code = perceptual_hash(sample.pixels)
        for other, other_id in self._hashes:
            if hamming(code, other) <= self.near_bits:
                raise SampleError("near_duplicate", f"{sample.source_file}: a near-duplicate (perceptual hash) "
                                                    f"of sample {other_id} earlier in the same shard")
        self._hashes.append((code, sample.id))
        return sample


def duplicate_filter(mode: str, near_bits: int) -> DuplicateFilter | None:
    """The filter for a ``preprocess.duplicates`` setting: ``near``, ``exact`` or ``keep`` (None)."""
    if mode == "keep":
        return None
    return DuplicateFilter(near_bits if mode == "near" else None)
