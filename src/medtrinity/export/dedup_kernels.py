"""Compiled loop of the run-wide near-duplicate search (numba): first match among earlier kept rows.

The search is greedy and in output order: a row is a near copy when an earlier *kept* row of another
shard has a perceptual hash at most ``bits`` bits away (two hashes that close agree on at least one
of ``bits + 1`` bands, so only rows sharing a band bucket are compared). The copy it names is the
one the per-row search named: the first band, in the hash cut into runs of neighbouring bits, in
which they agree, then the oldest. A row that matches is not kept, so it matches nothing later. Each band's buckets are
laid out one after another in flat arrays (hash, shard and row of each kept row, ~24 bytes a row
and band), where a dict of lists per band held hundreds of bytes; a bucket is scanned as one
contiguous run. Buckets still grow with the run (a 13-bit band has 8,192 values), so the search
costs about rows x bands x rows / 8,192 hash comparisons, a few ns each.

The buckets come from bands that interleave the bits (band k holds bits k, k + bands, ...): any
partition into ``bits + 1`` bands keeps the guarantee, and neighbouring DCT bits of similar images
agree far more often than interleaved ones (VQA-RAD chest radiographs: 2.2% of pairs share a run of
neighbouring bits, 1.2% an interleaved band). Which match is reported still follows the runs of
neighbouring bits, so the choice does not depend on the search bands.
``tests/unit/test_run_dedup_columnar.py`` compares the loop with the plain
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
def first_near_matches_loop(codes, parts, buckets, bits, order_masks):  # pragma: no cover - compiled
    """For each row (in order): the index of its first near match among earlier kept rows, or -1.

    ``codes`` uint64 hashes, ``parts`` int32 shard per row, ``buckets`` (bands, rows) int32: the
    row's bucket number in each search band (0 .. rows - 1). Each bucket's kept rows sit side by side
    (a slot per row of the bucket, reserved up front from the bucket sizes), so a bucket is scanned as
    one contiguous run of hashes. Every bucket of the row is scanned; of the matches, the one returned
    is the first in the order the reports use: the lowest ``order_masks`` band (uint64 masks of the
    hash cut into runs of neighbouring bits) in which it agrees with the row, then the oldest.
    """
    bands, rows = buckets.shape
    start = np.zeros((bands, rows + 1), np.int64)
    for band in range(bands):
        for row in range(rows):
            start[band, buckets[band, row] + 1] += 1
        for bucket in range(rows):
            start[band, bucket + 1] += start[band, bucket]
    filled = np.zeros((bands, rows), np.int32)
    kept_codes = np.empty((bands, rows), np.uint64)
    kept_parts = np.empty((bands, rows), np.int32)
    kept_rows = np.empty((bands, rows), np.int32)
    matches = np.full(rows, -1, np.int64)
    limit = np.uint64(bits)
    zero = np.uint64(0)
    for row in range(rows):
        code, part = codes[row], parts[row]
        match, match_rank = -1, bands
        for band in range(bands):
            bucket = buckets[band, row]
            first = start[band, bucket]
            band_codes = kept_codes[band]
            for slot in range(first, first + filled[band, bucket]):
                # the distance first: it is rarely small, so the shard is read only for real matches
                difference = band_codes[slot] ^ code
                if _popcount(difference) <= limit and kept_parts[band, slot] != part:
                    rank = 0
                    while difference & order_masks[rank] != zero:
                        rank += 1
                    other = kept_rows[band, slot]
                    if rank < match_rank or (rank == match_rank and other < match):
                        match, match_rank = other, rank
        matches[row] = match
        if match < 0:
            for band in range(bands):
                bucket = buckets[band, row]
                slot = start[band, bucket] + filled[band, bucket]
                kept_codes[band, slot] = code
                kept_parts[band, slot] = part
                kept_rows[band, slot] = row
                filled[band, bucket] += 1
    return matches
