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
"""

from __future__ import annotations

from pathlib import Path

from medtrinity.io.hashes import hamming
from medtrinity.run_folder import RunFolder, part_index

_KEY_COLUMNS = ["id", "source", "image_sha256", "image_phash", "slice_index"]


def _bands(code: int, count: int) -> list[tuple[int, int]]:
    """Split 64 bits into ``count`` bands: two hashes within count - 1 bits agree on at least one band."""
    edges = [round(64 * index / count) for index in range(count + 1)]
    return [(band, (code >> edges[band]) & ((1 << (edges[band + 1] - edges[band])) - 1)) for band in range(count)]


def find_evaluation_overlap(
    entries: list[dict], evaluation: list[tuple[int, str]], near_bits: int
) -> dict[str, tuple[str, str]]:
    """id -> ("evaluation_overlap", evaluation file name) for rows within ``near_bits`` of an evaluation image."""
    buckets: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for code, name in evaluation:
        for key in _bands(code, near_bits + 1):
            buckets.setdefault(key, []).append((code, name))
    found = {}
    for entry in entries:
        code = int(entry["image_phash"], 16)
        match = next((name for key in _bands(code, near_bits + 1) for other, name in buckets.get(key, [])
                      if hamming(code, other) <= near_bits), None)
        if match is not None:
            found[entry["id"]] = ("evaluation_overlap", match)
    return found


def find_duplicates(entries: list[dict], near_bits: int | None) -> dict[str, tuple[str, str]]:
    """id -> (code, id of the kept first copy) for every entry that repeats an earlier one.

    ``entries`` are dicts with ``id``, ``part``, ``image_sha256``, ``image_phash`` (hex) and
    ``slice_index``, in output order. Only copies in *different* parts count: within a shard the
    dedup stage already compared the raw pixels (so two slices of one volume that window to the
    same picture stay). Near-duplicates are looked for among 2D inputs only (``slice_index < 0``).
    """
    first_by_digest: dict[str, tuple[str, int]] = {}
    buckets: dict[tuple[int, int], list[tuple[int, str, int]]] = {}
    found: dict[str, tuple[str, str]] = {}
    for entry in entries:
        first_id, first_part = first_by_digest.setdefault(entry["image_sha256"], (entry["id"], entry["part"]))
        if first_part != entry["part"]:
            found[entry["id"]] = ("duplicate_image", first_id)
            continue
        if near_bits is None or entry["slice_index"] >= 0:
            continue
        code = int(entry["image_phash"], 16)
        keys = _bands(code, near_bits + 1)
        match = next(
            (other_id for key in keys for other, other_id, other_part in buckets.get(key, [])
             if other_part != entry["part"] and hamming(code, other) <= near_bits),
            None,
        )
        if match is not None:
            found[entry["id"]] = ("near_duplicate", match)
            continue
        for key in keys:
            buckets.setdefault(key, []).append((code, entry["id"], entry["part"]))
    return found


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
    entries: list[dict] = []
    rows_seen: dict[int, int] = {}  # position counts on through a shard's continuation files
    for part in folder.triplet_parts():
        index = part_index(part)
        start = rows_seen.get(index, 0)
        for position, row in enumerate(folder.read_part(part, columns=_KEY_COLUMNS), start):
            entries.append({**row, "part": index, "position": position})
            rows_seen[index] = position + 1
    by_id = {entry["id"]: entry for entry in entries}
    decisions = find_duplicates(entries, near_bits) if duplicates else {}
    if evaluation:
        decisions.update(find_evaluation_overlap(entries, evaluation, evaluation_bits))
    for entry_id, (code, first) in decisions.items():
        if entry_id not in journal:
            entry = by_id[entry_id]
            journal[entry_id] = {"code": code, "first": first, "part": entry["part"],
                                 "position": entry["position"], "source": entry["source"]}
    folder.write_journal("dedup", journal)
    by_part: dict[int, list[tuple[str, dict]]] = {}
    for entry_id, record in journal.items():
        by_part.setdefault(record["part"], []).append((entry_id, record))
    for index, removed in sorted(by_part.items()):
        ids = {entry_id for entry_id, _ in removed}
        for part in folder.shard_parts(index):  # a large shard's rows continue in part-N_001 ...
            if ids & {row["id"] for row in folder.read_part(part, columns=["id"])}:
                folder.rewrite_part(part, [row for row in folder.read_part(part) if row["id"] not in ids])
        removed.sort(key=lambda item: item[1]["position"])
        rows = [
            {"sample_id": entry_id, "source": record["source"], "source_file": "", "stage": "dedup",
             "code": record["code"], "reason": _reason(record)}
            for entry_id, record in removed
        ]
        folder.write_removed(index, "dedup", rows)
    return folder.removed_counts("dedup")


def _reason(record: dict) -> str:
    if record["code"] == "evaluation_overlap":
        return f"shows evaluation image {record['first']} (benchmark leakage check)"
    what = "an exact copy" if record["code"] == "duplicate_image" else "a near-duplicate"
    return f"{what} of sample {record['first']} (run-wide check)"


def journal_counts(out_dir: Path) -> dict:
    """What the run-wide pass removed: total, per reason and per source (zeros when it has not run)."""
    return RunFolder(out_dir).removed_counts("dedup")
