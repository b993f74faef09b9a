"""Exact and near-duplicate images, found by a content digest and a 64-bit DCT perceptual hash.

The ``dedup`` stage (first after reading) keeps one filter per shard: the first image is kept,
later copies are rejected with the reason ``duplicate_image`` or ``near_duplicate``. Near-duplicates
are looked for only among 2D inputs (``slice_index < 0``): neighbouring slices of a volume look
alike by nature. Duplicates across shards (and against evaluation sets) need a run-wide index,
which this is not.
"""

from __future__ import annotations

from medtrinity.io.hashes import content_digest, hamming, perceptual_hash
from medtrinity.records import Sample, SampleError

__all__ = ["DuplicateFilter", "content_digest", "duplicate_filter", "hamming", "perceptual_hash"]


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
