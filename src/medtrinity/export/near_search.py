"""How the run-wide near-duplicate search indexes perceptual hashes: bands, probes, and the cheapest layout.

Two 64-bit hashes at most ``bits`` apart, cut into ``m`` parts, differ in at most ``bits // m`` bits
on at least one part (pigeonhole). So the search may file every kept row under each of its ``m``
part values and look a row up under every value within ``radius = bits // m`` of its own parts
("multi-index hashing", Norouzi, Punjani and Fleet, CVPR 2012). ``m = bits + 1`` with radius 0 is the
classic banding: one lookup a part, but ~13-bit parts whose buckets fill fast. Fewer, wider parts
with radius 1 or 2 cost tens or hundreds of lookups a row and leave far fewer rows to compare, which
pays off where images cluster: on VQA-RAD chest radiographs 1.2% of pairs share one of five 13-bit
bands, 0.27% have one of three ~21-bit parts within one bit.

Every layout finds every pair within ``bits`` and the match reported does not depend on it, so the
layout is chosen on cost alone (:func:`plan_search`): lookups a row, buckets scanned, directory size,
and the comparisons the layout would leave, counted on an evenly spaced sample of the rows themselves.
Parts always interleave the bits (part k holds bits k, k + m, ...): neighbouring DCT bits of similar
images agree far more often than interleaved ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

# a part this wide or narrower is looked up by its value directly (2**22 buckets: 32 MiB of int32 bounds,
# first slot and slots filled); wider parts are numbered by np.unique and searched with radius 0 only
DIRECT_BITS = 22
MAX_PROBES_A_ROW = 2_000
SAMPLE_ROWS = 4_096
# fitted to this machine's search loop on one thread, 0.3-3M random and clustered hashes: within ~40% for
# every layout chosen (benchmarks/run_dedup_scale.py prints predicted and measured seconds side by side;
# threads divide every term alike, so they do not change the choice): a bucket
# looked up, a non-empty one scanned, a directory slot, and a hash compared. Comparisons cost ~0.6 ns
# where the buckets scanned average 1,000 rows or more (long runs, streamed and vectorised: clustered
# hashes in bands) or every kept hash fits in cache; otherwise ~2.4 ns in bands (random hashes past
# ~300k rows) and ~1.6 ns within a radius (clustered hashes past ~600k rows)
PROBE_NS, VISIT_NS, SLOT_NS = 20.0, 8.0, 2.0
LONG_SCAN_COMPARE_NS, SHORT_SCAN_COMPARE_NS, RADIUS_SHORT_SCAN_COMPARE_NS = 0.6, 2.4, 1.6
LONG_SCAN_ROWS = 1_000
CACHE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class SearchPlan:
    """An index layout for the near search and what it is expected to cost."""

    parts: int
    radius: int
    buckets: np.ndarray  # (parts, rows) int32: each row's bucket in each part
    sizes: np.ndarray  # (parts,) int64: buckets in each part
    probes: np.ndarray  # (parts, most probes) int64: XOR masks of bucket numbers to look up (0 first)
    probe_counts: np.ndarray  # (parts,) int64: masks used in each part
    expected_comparisons: float
    expected_seconds: float


def interleaved_band(codes: np.ndarray, count: int, band: int) -> np.ndarray:
    """Band ``band`` of each code cut into ``count`` interleaved bands (bits band, band + count, ... packed
    low to high), as uint64."""
    packed = np.zeros(len(codes), dtype=np.uint64)
    for position, bit in enumerate(range(band, 64, count)):
        packed |= ((codes >> np.uint64(bit)) & np.uint64(1)) << np.uint64(position)
    return packed


def interleaved_band_values(codes: np.ndarray, count: int) -> list[np.ndarray]:
    """Each code's ``count`` interleaved bands (band k: bits k, k + count, ... packed low to high)."""
    return [interleaved_band(codes, count, band) for band in range(count)]


def _part_widths(parts: int) -> list[int]:
    return [len(range(part, 64, parts)) for part in range(parts)]


def _probe_masks(width: int, radius: int) -> list[int]:
    """Every XOR mask of at most ``radius`` bits within ``width`` bits, 0 first."""
    return [sum(1 << bit for bit in chosen) for flipped in range(radius + 1)
            for chosen in combinations(range(width), flipped)]


def probes_a_row(parts: int, radius: int) -> int:
    """Buckets a row looks up under a layout: in each part, its own value and every value within ``radius``."""
    return sum(comb(width, flipped) for width in _part_widths(parts) for flipped in range(radius + 1))


def candidate_layouts(bits: int) -> list[tuple[int, int]]:
    """(parts, radius) layouts that keep the guarantee for ``bits`` and stay affordable."""
    layouts = []
    for parts in range(1, bits + 2):
        radius = bits // parts
        if radius and max(_part_widths(parts)) > DIRECT_BITS:
            continue
        if probes_a_row(parts, radius) > MAX_PROBES_A_ROW:
            continue
        layouts.append((parts, radius))
    return layouts


def _part_buckets(values: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """Each row's bucket in one part (int32) and the part's bucket count: the value itself when the part is
    narrow enough to index directly, else the value's rank among the part's distinct values."""
    if width <= DIRECT_BITS:
        return values.astype(np.int32), 1 << width
    unique, inverse = np.unique(values, return_inverse=True)
    return inverse.reshape(-1).astype(np.int32), max(len(unique), 1)


def _probes(widths: list[int], radius: int) -> tuple[np.ndarray, np.ndarray]:
    """(parts, most masks) int64 XOR masks to look up in each part, and how many each part uses."""
    masks = [_probe_masks(width, radius) for width in widths]
    probes = np.zeros((len(widths), max(len(row) for row in masks)), dtype=np.int64)
    for part, row in enumerate(masks):
        probes[part, :len(row)] = row
    return probes, np.array([len(row) for row in masks], dtype=np.int64)


def layout_counts(codes: np.ndarray, parts: int, radius: int) -> dict[str, float]:
    """What searching ``codes`` with a layout would do: bucket lookups, lookups of non-empty buckets, hash
    comparisons, and bucket directory slots.

    Comparisons are the rows sharing a probed bucket, counted for an evenly spaced sample of rows and
    scaled to all pairs (each pair once; removed rows are few, so every row counts as kept). One part
    at a time, so only one part's values and buckets are held.
    """
    rows = len(codes)
    widths = _part_widths(parts)
    probes, probe_counts = _probes(widths, radius)
    sample = np.unique(np.linspace(0, max(rows - 1, 0), min(rows, SAMPLE_ROWS)).astype(np.int64))
    found = np.zeros(len(sample), dtype=np.float64)
    visited = np.zeros(len(sample), dtype=np.float64)
    slots = 0
    for part, width in enumerate(widths):
        buckets, size = _part_buckets(interleaved_band(codes, parts, part), width)
        slots += size
        counts = np.bincount(buckets, minlength=size)
        looked_up = counts[buckets[sample].astype(np.int64)[:, None] ^ probes[part, :probe_counts[part]][None, :]]
        found += looked_up.sum(axis=1) - 1  # the row itself sits in its own bucket
        visited += (looked_up > 0).sum(axis=1)
    half = 0.5 if rows > 1 else 0.0  # a row meets only the rows before it: half of its bucket, on average
    return {"probes": float(rows * probe_counts.sum()), "visits": float(visited.mean()) * rows * half,
            "comparisons": float(found.mean()) * rows * half, "slots": float(slots)}


def layout_cost(codes: np.ndarray, parts: int, radius: int) -> tuple[float, float]:
    """(expected hash comparisons, expected seconds) of searching ``codes`` with a layout."""
    counts = layout_counts(codes, parts, radius)
    return counts["comparisons"], layout_seconds(counts, parts, radius, len(codes))


def layout_seconds(counts: dict[str, float], parts: int, radius: int, rows: int) -> float:
    """The cost model: one thread's seconds for a layout doing ``counts`` (as :func:`layout_counts` gives them)
    over ``rows`` rows."""
    long_scans = counts["comparisons"] >= LONG_SCAN_ROWS * max(counts["visits"], 1.0)
    cached = parts * rows * 8 <= CACHE_BYTES  # every part's kept hashes
    short_ns = RADIUS_SHORT_SCAN_COMPARE_NS if radius else SHORT_SCAN_COMPARE_NS
    compare_ns = LONG_SCAN_COMPARE_NS if long_scans or cached else short_ns
    return (counts["probes"] * PROBE_NS + counts["visits"] * VISIT_NS + counts["slots"] * SLOT_NS
            + counts["comparisons"] * compare_ns) / 1e9


def build_plan(codes: np.ndarray, parts: int, radius: int, cost: tuple[float, float] | None = None) -> SearchPlan:
    """The layout's buckets and probes for ``codes``, with its expected cost (``cost``, when already known)."""
    widths = _part_widths(parts)
    buckets = np.empty((parts, len(codes)), dtype=np.int32)  # filled a part at a time: one part's values held
    sizes = np.empty(parts, dtype=np.int64)
    for part, width in enumerate(widths):
        buckets[part], sizes[part] = _part_buckets(interleaved_band(codes, parts, part), width)
    probes, probe_counts = _probes(widths, radius)
    comparisons, seconds = cost or layout_cost(codes, parts, radius)
    return SearchPlan(parts, radius, buckets, sizes, probes, probe_counts, comparisons, seconds)


def plan_search(codes: np.ndarray, bits: int) -> SearchPlan:
    """The cheapest layout for searching ``codes`` within ``bits`` bits (every layout finds the same pairs)."""
    costs = {layout: layout_cost(codes, *layout) for layout in candidate_layouts(bits)}
    cheapest = min(costs, key=lambda layout: costs[layout][1])
    return build_plan(codes, *cheapest, cost=costs[cheapest])
