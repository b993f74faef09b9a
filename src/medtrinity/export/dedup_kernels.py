"""Compiled loop of the run-wide near-duplicate search (numba): first match among earlier kept rows.

The search is greedy and in output order: a row is a near copy of the first earlier *kept* row of
another shard whose perceptual hash differs in at most ``bits`` bits, looked for band by band
(two hashes that close agree on at least one of ``bits + 1`` bands) and, within a band's bucket,
oldest first. A row that matches is not kept, so it matches nothing later. The buckets are linked
lists in flat arrays (head, tail and next per band): about 40 bytes a row, where a dict of lists
per band held hundreds. ``tests/integration/test_run_dedup.py`` compares the loop with the plain
Python search on random hashes with planted near copies.
"""

from __future__ import annotations

import numpy as np

from medtrinity.compiled import compiled


@compiled()
def _popcount(value):  # pragma: no cover - compiled
    """Set bits of a uint64 (SWAR)."""
    value = value - ((value >> np.uint64(1)) & np.uint64(0x5555555555555555))
    value = (value & np.uint64(0x3333333333333333)) + ((value >> np.uint64(2)) & np.uint64(0x3333333333333333))
    value = (value + (value >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (value * np.uint64(0x0101010101010101)) >> np.uint64(56)


@compiled()
def first_near_matches_loop(codes, parts, buckets, bits):  # pragma: no cover - compiled
    """For each row (in order): the index of its first near match among earlier kept rows, or -1.

    ``codes`` uint64 hashes, ``parts`` int32 shard per row, ``buckets`` (bands, rows) int32: the
    row's bucket number in each band (0 .. rows - 1).
    """
    bands, rows = buckets.shape
    head = np.full((bands, rows), -1, np.int32)
    tail = np.full((bands, rows), -1, np.int32)
    following = np.full((bands, rows), -1, np.int32)
    matches = np.full(rows, -1, np.int64)
    limit = np.uint64(bits)
    for row in range(rows):
        code, part = codes[row], parts[row]
        match = -1
        for band in range(bands):
            other = head[band, buckets[band, row]]
            while other >= 0:
                if parts[other] != part and _popcount(codes[other] ^ code) <= limit:
                    match = other
                    break
                other = following[band, other]
            if match >= 0:
                break
        matches[row] = match
        if match < 0:
            for band in range(bands):
                bucket = buckets[band, row]
                if tail[band, bucket] < 0:
                    head[band, bucket] = row
                else:
                    following[band, tail[band, bucket]] = row
                tail[band, bucket] = row
    return matches
