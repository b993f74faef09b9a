"""Run-wide duplicate removal: after every shard is written, copies across shards and sources go too.

The dedup stage finds copies within one shard as samples stream by; copies in different shards
(the same image in two datasets, a slice exported twice) are only visible once all shards exist.
This pass reads the small hash columns of every triplet part in part order, keeps the first of
each group of exact copies (same PNG digest) or near-duplicates (2D inputs whose perceptual
hashes differ in at most ``near_bits`` bits), and moves the later ones to
``rejects/dedup-NNNNN.parquet`` (paths and writes through :class:`~medtrinity.run_folder.RunFolder`).

Rows whose clean image is a near-copy of an evaluation image (``preprocess.evaluation_images``)
go the same way with the reason ``evaluation_overlap``.

It is resumable and idempotent: decisions go first to ``_dedup.json`` (atomically), then each
affected part is rewritten without the removed rows; a killed pass, run again, merges the journal
with what it finds and converges to the same files a clean run writes.

The driver runs this pass alone after all shards, so its memory must not grow by much per row:
the hash columns are held as flat arrays (:class:`~medtrinity.export.run_keys.RunKeys`; ~160-230
bytes a row at the pass's peak, where a dict per row took ~1.1 KB: ~5 GB instead of ~26 GiB for 25M
rows), ids are read back only for the rows removed, and parts are rewritten a row group at a time.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np

from medtrinity.export.near_search import build_plan, plan_search
from medtrinity.export.run_keys import RunKeys
from medtrinity.io.hashes import hamming
from medtrinity.run_folder import RunFolder, part_index

# shards rewritten at once after the decisions; each holds about one row group (~32 MiB) a few times over
REWRITE_THREADS = min(4, os.cpu_count() or 1)


def _band_edges(count: int) -> list[int]:
    return [round(64 * index / count) for index in range(count + 1)]


def _bands(code: int, count: int) -> list[tuple[int, int]]:
    """Split 64 bits into ``count`` bands: two hashes within count - 1 bits agree on at least one band."""
    edges = _band_edges(count)
    return [(band, (code >> edges[band]) & ((1 << (edges[band + 1] - edges[band])) - 1)) for band in range(count)]


def _band_values(codes: np.ndarray, count: int) -> list[np.ndarray]:
    """Each band of every code (uint64), as :func:`_bands` splits one code."""
    edges = _band_edges(count)
    values = []
    for low, high in pairwise(edges):
        shifted = codes >> np.uint64(low)
        values.append(shifted if high - low == 64 else shifted & np.uint64((1 << (high - low)) - 1))
    return values


def _band_masks(count: int) -> np.ndarray:
    """uint64 masks of the bands :func:`_bands` cuts (runs of neighbouring bits), in order."""
    edges = _band_edges(count)
    return np.array([((1 << (high - low)) - 1) << low for low, high in pairwise(edges)], dtype=np.uint64)


def exact_copy_firsts(keys: RunKeys) -> np.ndarray:
    """Per row: the row of the first copy of its PNG (same digest) when that copy is in another shard, else -1.

    Only rows whose digest's first 8 bytes recur are sorted on all 32 bytes, so the pass costs one
    sort of a uint64 column however large the run.
    """
    firsts = np.full(len(keys), -1, dtype=np.int64)
    if len(keys) < 2:
        return firsts
    order = np.argsort(keys.digest[:, 0], kind="stable")
    lead = keys.digest[order, 0]
    tie = lead[1:] == lead[:-1]
    recurring = np.zeros(len(keys), dtype=bool)
    recurring[1:] |= tie
    recurring[:-1] |= tie
    rows = np.sort(order[recurring])
    if rows.size == 0:
        return firsts
    digests = keys.digest[rows]
    grouped = np.lexsort((rows, digests[:, 3], digests[:, 2], digests[:, 1], digests[:, 0]))
    rows, digests = rows[grouped], digests[grouped]
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = (digests[1:] != digests[:-1]).any(axis=1)
    first = rows[np.maximum.accumulate(np.where(starts, np.arange(len(rows)), 0))]
    copy = (rows != first) & (keys.part[rows] != keys.part[first])
    firsts[rows[copy]] = first[copy]
    return firsts


def near_copy_firsts(keys: RunKeys, near_bits: int, excluded: np.ndarray,
                     layout: tuple[int, int] | None = None, block_rows: int = 1024) -> np.ndarray:
    """Per row: the first earlier kept 2D row of another shard within ``near_bits`` bits, else -1.

    Rows of volumes (``slice_index`` >= 0) and ``excluded`` rows (exact copies) take no part. See
    :mod:`medtrinity.export.dedup_kernels` for the order of the search and
    :mod:`medtrinity.export.near_search` for its index (``layout``: (parts, radius) to force one);
    ``block_rows`` rows are searched in parallel at a time (the result does not depend on it).
    """
    from medtrinity.export.dedup_kernels import first_near_matches

    firsts = np.full(len(keys), -1, dtype=np.int64)
    rows = np.flatnonzero((keys.slice_index < 0) & ~excluded)
    if rows.size == 0:
        return firsts
    codes = keys.phash[rows]
    plan = build_plan(codes, *layout) if layout else plan_search(codes, near_bits)
    matches = first_near_matches(codes, keys.part[rows], plan, near_bits, _band_masks(near_bits + 1), block_rows)
    matched = matches >= 0
    firsts[rows[matched]] = rows[matches[matched]]
    return firsts


def copy_decisions(keys: RunKeys, near_bits: int | None) -> dict[int, tuple[str, int]]:
    """row -> (code, row of the kept first copy) for every row that repeats one in an earlier shard.

    Only copies in *different* shards count: within a shard the dedup stage already compared the
    raw pixels (so two slices of one volume that window to the same picture stay). Near-duplicates
    are looked for among 2D inputs only (``slice_index < 0``).
    """
    exact = exact_copy_firsts(keys)
    decisions = {int(row): ("duplicate_image", int(exact[row])) for row in np.flatnonzero(exact >= 0)}
    if near_bits is not None:
        near = near_copy_firsts(keys, near_bits, exact >= 0)
        decisions.update({int(row): ("near_duplicate", int(near[row])) for row in np.flatnonzero(near >= 0)})
    return decisions


def evaluation_decisions(keys: RunKeys, evaluation: list[tuple[int, str]], near_bits: int) -> dict[int, str]:
    """row -> evaluation file name for rows within ``near_bits`` of an evaluation image (the first that is)."""
    count = near_bits + 1
    buckets: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for code, name in evaluation:
        for key in _bands(code, count):
            buckets.setdefault(key, []).append((code, name))
    evaluation_codes = np.array([code for code, _ in evaluation], dtype=np.uint64)
    candidate = np.zeros(len(keys), dtype=bool)
    for ours, theirs in zip(_band_values(keys.phash, count), _band_values(evaluation_codes, count), strict=True):
        candidate |= np.isin(ours, theirs)
    found = {}
    for row in np.flatnonzero(candidate).tolist():
        code = int(keys.phash[row])
        match = next((name for key in _bands(code, count) for other, name in buckets.get(key, [])
                      if hamming(code, other) <= near_bits), None)
        if match is not None:
            found[row] = match
    return found


def find_duplicates(entries: list[dict], near_bits: int | None) -> dict[str, tuple[str, str]]:
    """id -> (code, id of the kept first copy) for entries given as dicts, in output order.

    Each entry has ``id``, ``part``, ``image_sha256`` (64 hex characters), ``image_phash`` (16) and
    ``slice_index``: the :func:`copy_decisions` of small inputs written out by hand.
    """
    keys = RunKeys.from_columns([entry["part"] for entry in entries], [entry["image_sha256"] for entry in entries],
                                [entry["image_phash"] for entry in entries],
                                [entry["slice_index"] for entry in entries])
    return {entries[row]["id"]: (code, entries[first]["id"])
            for row, (code, first) in copy_decisions(keys, near_bits).items()}


def deduplicate_run(
    out_dir: Path, near_bits: int | None, evaluation: list[tuple[int, str]] | None = None,
    evaluation_bits: int = 4, duplicates: bool = True,
) -> dict:
    """Remove copies across the whole output folder, and rows that show an evaluation image.

    ``near_bits`` None compares exact copies only; ``duplicates`` False skips the copy search
    (only the evaluation check runs). Returns counts (removed, by reason, by source).
    """
    folder = RunFolder(out_dir)
    journal = folder.read_journal("dedup")
    keys = RunKeys.read(folder.triplet_parts(), part_index)
    decisions: dict[int, tuple[str, int | str]] = dict(copy_decisions(keys, near_bits)) if duplicates else {}
    if evaluation:
        decisions.update({row: ("evaluation_overlap", name)
                          for row, name in evaluation_decisions(keys, evaluation, evaluation_bits).items()})
    named = keys.lookup([*decisions, *(first for _, first in decisions.values() if isinstance(first, int))],
                        ["id", "source"])
    for row, (code, first) in decisions.items():
        entry_id = named[row]["id"]
        if entry_id not in journal:
            journal[entry_id] = {"code": code, "first": named[first]["id"] if isinstance(first, int) else first,
                                 "part": int(keys.part[row]), "position": int(keys.position[row]),
                                 "source": named[row]["source"]}
    folder.write_journal("dedup", journal)
    by_part: dict[int, list[tuple[str, dict]]] = {}
    for entry_id, record in journal.items():
        by_part.setdefault(record["part"], []).append((entry_id, record))
    # shards are independent (own files, own marker): rewritten concurrently, Arrow's reads, filters and
    # writes run outside the GIL; each shard's files are what one thread would write
    with ThreadPoolExecutor(max_workers=REWRITE_THREADS) as pool:
        futures = [pool.submit(_remove_from_shard, folder, index, removed)
                   for index, removed in sorted(by_part.items())]
        try:
            for future in futures:
                future.result()
        except BaseException:  # a failed shard or an interrupt: start no other shard (a rerun finishes them)
            for future in futures:
                future.cancel()
            raise
    return folder.removed_counts("dedup")


def _remove_from_shard(folder: RunFolder, index: int, removed: list[tuple[str, dict]]) -> None:
    """Rewrite shard ``index``'s parts without the ``removed`` rows and write them to its dedup rejects."""
    ids = {entry_id for entry_id, _ in removed}
    for part in folder.shard_parts(index):  # a large shard's rows continue in part-N_001 ...
        folder.drop_rows(part, ids)
    removed = sorted(removed, key=lambda item: item[1]["position"])
    rows = [
        {"sample_id": entry_id, "source": record["source"], "source_file": "", "stage": "dedup",
         "code": record["code"], "reason": _reason(record)}
        for entry_id, record in removed
    ]
    folder.write_removed(index, "dedup", rows)


def _reason(record: dict) -> str:
    if record["code"] == "evaluation_overlap":
        return f"shows evaluation image {record['first']} (benchmark leakage check)"
    what = "an exact copy" if record["code"] == "duplicate_image" else "a near-duplicate"
    return f"{what} of sample {record['first']} (run-wide check)"


def journal_counts(out_dir: Path) -> dict:
    """What the run-wide pass removed: total, per reason and per source (zeros when it has not run)."""
    return RunFolder(out_dir).removed_counts("dedup")
