"""Exact and near-duplicate images, found by a content digest and a 64-bit DCT perceptual hash.

Scope: one shard (the samples one reader yields for one shard, in order); the first image is kept,
later copies are rejected with the reason ``duplicate_image`` or ``near_duplicate``. Near-duplicates
are looked for only in 2D sources: neighbouring slices of a volume look alike by nature.
Duplicates across shards (and against evaluation sets) need a run-wide index, which this is not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import cv2
import numpy as np

from medtrinity.records import Sample, SampleError

DUPLICATE_KEY = "_duplicate_of"  # set on a sample by the filter, turned into a reject by preprocessing


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
    """Marks samples that repeat an earlier sample of the same shard."""

    def __init__(self, near_bits: int | None):
        self.near_bits = near_bits
        self._digests: dict[str, str] = {}
        self._hashes: list[tuple[int, str]] = []

    def check(self, sample: Sample) -> None:
        digest = content_digest(sample.pixels)
        first = self._digests.setdefault(digest, sample.id)
        if first != sample.id:
            sample.metadata[DUPLICATE_KEY] = ("duplicate_image", first)
            return
        if self.near_bits is None:
            return
        code = perceptual_hash(sample.pixels)
        for other, other_id in self._hashes:
            if hamming(code, other) <= self.near_bits:
                sample.metadata[DUPLICATE_KEY] = ("near_duplicate", other_id)
                return
        self._hashes.append((code, sample.id))


def filter_duplicates(read: Callable[[str], Iterator[Sample]], duplicates: DuplicateFilter
                      ) -> Callable[[str], Iterator[Sample]]:
    """Wrap a reader's ``read`` so that every sample it yields passes through ``duplicates``."""

    def wrapped(item: str) -> Iterator[Sample]:
        for sample in read(item):
            duplicates.check(sample)
            yield sample

    return wrapped


def raise_if_duplicate(sample: Sample) -> None:
    """Turn the filter's mark into a reject (called first thing by the preprocess stage)."""
    mark = sample.metadata.pop(DUPLICATE_KEY, None)
    if mark is not None:
        code, first = mark
        what = "an exact copy" if code == "duplicate_image" else "a near-duplicate (perceptual hash)"
        raise SampleError(code, f"{sample.source_file}: {what} of sample {first} earlier in the same shard")
