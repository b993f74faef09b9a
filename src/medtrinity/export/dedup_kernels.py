"""Compiled kernels of the run-wide near-duplicate search (numba): first match among earlier kept rows.

The search is greedy and in output order: a row is a near copy when an earlier *kept* row of another
shard has a perceptual hash at most ``bits`` bits away. Only rows filed under a bucket the row looks
up are compared; which buckets those are (bands, radius) is :mod:`medtrinity.export.near_search`'s
choice, and every choice finds every pair within ``bits``. The copy it names is the one the per-row
search named: the first band, in the hash cut into ``bits + 1`` runs of neighbouring bits, in which
they agree, then the oldest. So the report does not depend on the index. A row that matches is not
kept, so it matches nothing later. Each part's buckets are laid out one after another in flat arrays
(hash, shard and row of each kept row, ~16 bytes a row and part), where a dict of lists per band held
hundreds of bytes; a bucket is scanned as one contiguous run.

Whether a row is kept depends on the rows before it, yet almost all of a row's work is against rows
decided long before. So rows go in blocks: every row of a block is searched at once, on all threads,
against the rows kept before the block (which no longer change), and compared with every earlier row of
its own block; then the block is settled in order, each row taking the better of its earlier-blocks
match and the best of its block's rows that turned out kept. The driver of a 25M-row run has many
cores and this pass is its serial tail. ``tests/unit/test_run_dedup_columnar.py`` compares the result,
under every layout and block size, with the plain Python search.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import prange

from medtrinity.compiled import compiled


@compiled()
def _popcount(value):  # pragma: no cover - compiled
    """Set bits of a uint64 (SWAR; LLVM's ctpop measured no faster here)."""
    value = value - ((value >> np.uint64(1)) & np.uint64(0x5555555555555555))
    value = (value & np.uint64(0x3333333333333333)) + ((value >> np.uint64(2)) & np.uint64(0x3333333333333333))
    value = (value + (value >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (value * np.uint64(0x0101010101010101)) >> np.uint64(56)


# in-block candidates kept per row, best first; a row with more falls back to a scan of its block
BLOCK_CANDIDATES = 8
# numba's threading layers differ in safety: workqueue (the one always present) aborts the process when
# two threads launch parallel kernels at once, so one search runs at a time per process; GNU OpenMP
# (chosen where libgomp is found, as on this machine) must not be used by a child forked after a search,
# which the pipeline never does (its workers are spawned; Ray and subprocesses exec a new program)
_PARALLEL_SEARCH = threading.Lock()


@compiled()
def directory_bounds(buckets, sizes):  # pragma: no cover - compiled
    """Per index part and bucket: [first slot, slots filled (0)]: each bucket's rows get side-by-side slots,
    reserved up front from the bucket sizes, so a bucket is scanned as one contiguous run of hashes."""
    index_parts, rows = buckets.shape
    bounds = np.zeros((index_parts, sizes.max() + 1, 2), np.int32)
    for part in range(index_parts):
        for row in range(rows):
            bounds[part, buckets[part, row] + 1, 0] += 1
        for bucket in range(sizes[part]):
            bounds[part, bucket + 1, 0] += bounds[part, bucket, 0]
    return bounds


@compiled()
def _rank(difference, order_masks):  # pragma: no cover - compiled
    """The first band (run of neighbouring bits) in which two hashes agree: the order the reports use."""
    rank = 0
    while difference & order_masks[rank] != np.uint64(0):
        rank += 1
    return rank


@compiled(parallel=True)
def search_block(codes, parts, buckets, probes, probe_counts, bits, order_masks, bounds, kept_codes, kept_parts,
                 kept_rows, low, high, best, near_rows, near_ranks, near_counts):  # pragma: no cover - compiled
    """Rows ``low``..``high`` in parallel, against what is already decided: each row's best match among the
    kept rows filed so far (all earlier blocks) into ``best`` (row, rank; -1 for none), and its matches
    among the earlier rows of its own block (kept or not: not yet known) into ``near_*``, the best
    ``BLOCK_CANDIDATES`` by (rank, row) and how many there are. Reads the directory only."""
    limit = np.uint64(bits)
    bands = len(order_masks)
    count = high - low
    index_parts = buckets.shape[0]
    for step in prange(count):
        # both ends of the block alternately: a row compares with every earlier row of the block, so rows
        # late in the block cost more, and numba hands each thread one contiguous range of steps
        offset = step // 2 if step % 2 == 0 else count - 1 - step // 2
        row = low + offset
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
                        rank = _rank(difference, order_masks)
                        other = kept_rows[index_part, slot]
                        if rank < match_rank or (rank == match_rank and other < match):
                            match, match_rank = other, rank
        best[offset, 0], best[offset, 1] = match, match_rank
        found = 0
        for other in range(low, row):
            difference = codes[other] ^ code
            if _popcount(difference) <= limit and parts[other] != part:
                rank = _rank(difference, order_masks)
                # insert (rank, other) into the sorted short list; other only grows, so ties go after
                position = min(found, BLOCK_CANDIDATES)
                while position > 0 and near_ranks[offset, position - 1] > rank:
                    position -= 1
                if position < BLOCK_CANDIDATES:
                    last = min(found, BLOCK_CANDIDATES - 1)
                    for shift in range(last, position, -1):
                        near_rows[offset, shift] = near_rows[offset, shift - 1]
                        near_ranks[offset, shift] = near_ranks[offset, shift - 1]
                    near_rows[offset, position], near_ranks[offset, position] = other, rank
                found += 1
        near_counts[offset] = found


@compiled()
def settle_block(codes, parts, buckets, bits, order_masks, bounds, kept_codes, kept_parts, kept_rows, low, high,
                 best, near_rows, near_ranks, near_counts, matches):  # pragma: no cover - compiled
    """Rows ``low``..``high`` in order: the better of the earlier blocks' match and the best *kept* earlier
    row of the block (the first kept one of the short list, or a scan of the block when the list
    overflowed and holds none), into ``matches``; a row with neither is kept and filed."""
    limit = np.uint64(bits)
    index_parts = buckets.shape[0]
    kept = np.zeros(high - low, np.bool_)
    for row in range(low, high):
        offset = row - low
        match, match_rank = best[offset, 0], best[offset, 1]
        listed = min(near_counts[offset], BLOCK_CANDIDATES)
        settled = False
        for position in range(listed):
            other = near_rows[offset, position]
            if kept[other - low]:
                rank = near_ranks[offset, position]
                if rank < match_rank:  # an equal rank keeps the earlier block's row: it is older
                    match, match_rank = other, rank
                settled = True
                break
        # (a match agreeing in the first band cannot be beaten: a block's rows are newer)
        if not settled and near_counts[offset] > BLOCK_CANDIDATES and match_rank > 0:
            code, part = codes[row], parts[row]
            for other in range(low, row):
                difference = codes[other] ^ code
                if kept[other - low] and _popcount(difference) <= limit and parts[other] != part:
                    rank = _rank(difference, order_masks)
                    if rank < match_rank:
                        match, match_rank = other, rank
        matches[row] = match
        if match < 0:
            kept[offset] = True
            for index_part in range(index_parts):
                bucket = buckets[index_part, row]
                slot = bounds[index_part, bucket, 0] + bounds[index_part, bucket, 1]
                kept_codes[index_part, slot] = codes[row]
                kept_parts[index_part, slot] = parts[row]
                kept_rows[index_part, slot] = row
                bounds[index_part, bucket, 1] += 1


def first_near_matches(codes: np.ndarray, parts: np.ndarray, plan, bits: int, order_masks: np.ndarray,
                       block_rows: int = 1024) -> np.ndarray:
    """For each row (in order): the index of its first near match among earlier kept rows, or -1.

    ``plan`` is a :class:`~medtrinity.export.near_search.SearchPlan` for ``codes``; ``parts`` the shard of each
    row. Blocks of ``block_rows`` rows are searched in parallel against the rows kept before the block
    (numba's threads: ``NUMBA_NUM_THREADS``, all cores by default), then settled in order within the block,
    so the result is the one-row-at-a-time search's whatever the block size or thread count.
    """
    rows = len(codes)
    index_parts = plan.buckets.shape[0]
    bounds = directory_bounds(plan.buckets, plan.sizes)
    kept_codes = np.empty((index_parts, rows), np.uint64)
    kept_parts = np.empty((index_parts, rows), np.int32)
    kept_rows = np.empty((index_parts, rows), np.int32)
    matches = np.full(rows, -1, np.int64)
    block_rows = max(1, min(block_rows, rows))
    best = np.empty((block_rows, 2), np.int64)
    near_rows = np.empty((block_rows, BLOCK_CANDIDATES), np.int64)
    near_ranks = np.empty((block_rows, BLOCK_CANDIDATES), np.int64)
    near_counts = np.empty(block_rows, np.int64)
    with _PARALLEL_SEARCH:
        for low in range(0, rows, block_rows):
            high = min(rows, low + block_rows)
            search_block(codes, parts, plan.buckets, plan.probes, plan.probe_counts, bits, order_masks, bounds,
                         kept_codes, kept_parts, kept_rows, low, high, best, near_rows, near_ranks, near_counts)
            settle_block(codes, parts, plan.buckets, bits, order_masks, bounds, kept_codes, kept_parts, kept_rows,
                         low, high, best, near_rows, near_ranks, near_counts, matches)
    return matches
