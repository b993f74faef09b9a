"""Compiled loop of the run-wide near-duplicate search (numba): first match among earlier kept rows.

The search is greedy and in output order: a row is a near copy when an earlier *kept* row of another
shard has a perceptual hash at most ``bits`` bits away. Only rows filed under a bucket the row looks
up are compared; which buckets those are (bands, radius) is :mod:`medtrinity.export.near_search`'s
choice, and every choice finds every pair within ``bits``. The copy it names is the one the per-row
search named: the first band, in the hash cut into ``bits + 1`` runs of neighbouring bits, in which
they agree, then the oldest. So the report does not depend on the index. A row that matches is not
kept, so it matches nothing later. Each part's buckets are laid out one after another in flat arrays
(hash, shard and row of each kept row, ~16 bytes a row and part), where a dict of lists per band held
hundreds of bytes; a bucket is scanned as one contiguous run.
``tests/unit/test_run_dedup_columnar.py`` compares the loop, under every layout, with the plain
Python search on random hashes with planted near copies.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled()
def _popcount(value):  # pragma: no cover - compiled
    """Set bits of a uint64 (SWAR; LLVM's ctpop measured no faster here)."""
    value = value - ((value >> np.uint64(1)) & np.uint64(0x5555555555555555))
    value = (value & np.uint64(0x3333333333333333)) + ((value >> np.uint64(2)) & np.uint64(0x3333333333333333))
    value = (value + (value >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (value * np.uint64(0x0101010101010101)) >> np.uint64(56)


@compiled()
def first_near_matches_loop(codes, parts, buckets, sizes, probes, probe_counts, bits,  # pragma: no cover - compiled
                            order_masks):
    """For each row (in order): the index of its first near match among earlier kept rows, or -1.

    ``codes`` uint64 hashes, ``parts`` int32 shard per row, ``buckets`` (index parts, rows) int32: the
    row's bucket in each index part, of ``sizes`` buckets; ``probes`` (index parts, masks) int64: the
    buckets looked up for a row are its own XOR each of the part's first ``probe_counts`` masks (see
    :mod:`medtrinity.export.near_search`). Each bucket's kept rows sit side by side (a slot per row of
    the bucket, reserved up front from the bucket sizes), so a bucket is scanned as one contiguous run
    of hashes. Every probed bucket is scanned; of the matches, the one returned is the first in the
    order the reports use: the lowest ``order_masks`` band (uint64 masks of the hash cut into runs of
    neighbouring bits) in which it agrees with the row, then the oldest.
    """
    index_parts, rows = buckets.shape
    # per part and bucket: [first slot, slots filled], side by side so a lookup touches one cache line
    bounds = np.zeros((index_parts, sizes.max() + 1, 2), np.int32)
    for part in range(index_parts):
        for row in range(rows):
            bounds[part, buckets[part, row] + 1, 0] += 1
        for bucket in range(sizes[part]):
            bounds[part, bucket + 1, 0] += bounds[part, bucket, 0]
    kept_codes = np.empty((index_parts, rows), np.uint64)
    kept_parts = np.empty((index_parts, rows), np.int32)
    kept_rows = np.empty((index_parts, rows), np.int32)
    matches = np.full(rows, -1, np.int64)
    limit = np.uint64(bits)
    zero = np.uint64(0)
    bands = len(order_masks)
    for row in range(rows):
        code, part = codes[row], parts[row]
        match, match_rank = -1, bands
        for index_part in range(index_parts):
            own = buckets[index_part, row]
            part_codes = kept_codes[index_part]
            for probe in range(probe_counts[index_part]):
                bucket = own ^ probes[index_part, probe]
                first = bounds[index_part, bucket, 0]
                for slot in range(first, first + bounds[index_part, bucket, 1]):
                    # the distance first: it is rarely small, so the shard is read only for real matches
                    difference = part_codes[slot] ^ code
                    if _popcount(difference) <= limit and kept_parts[index_part, slot] != part:
                        rank = 0
                        while difference & order_masks[rank] != zero:
                            rank += 1
                        other = kept_rows[index_part, slot]
                        if rank < match_rank or (rank == match_rank and other < match):
                            match, match_rank = other, rank
        matches[row] = match
        if match < 0:
            for index_part in range(index_parts):
                bucket = buckets[index_part, row]
                slot = bounds[index_part, bucket, 0] + bounds[index_part, bucket, 1]
                kept_codes[index_part, slot] = code
                kept_parts[index_part, slot] = part
                kept_rows[index_part, slot] = row
                bounds[index_part, bucket, 1] += 1
    return matches
