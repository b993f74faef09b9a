"""Rows of a written run, streamed batch by batch with the export filters and review decisions applied.

Exports never hold a run in memory: each Parquet part is read a batch of rows at a time
(``iter_batches``), so memory stays flat in the number of rows whatever the run's size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from medtrinity.export.reviews import ReviewState, review_states

BATCH_ROWS = 64


class RunFolderError(ValueError):
    """The folder is not a finished medtrinity run (no triplets, unreadable stats)."""


@dataclass(frozen=True)
class RowFilter:
    """Which rows an export keeps. Empty tuples keep everything."""

    qc: tuple[str, ...] = ()  # QC statuses kept, e.g. ("pass",); empty: pass and flag (never reject)
    sources: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()  # allow-list: a row's licence must contain one of these (case-insensitive)
    honour_reviews: bool = True

    def keeps(self, row: dict, review: ReviewState | None) -> bool:
        """True when the row passes every filter and no reviewer rejected it."""
        return self.failed_filter(row, review) is None

    def failed_filter(self, row: dict, review: ReviewState | None) -> str | None:
        """The first filter the row fails (``review``, ``qc``, ``source``, ``modality`` or ``licence``), None when
        it is kept: what an export reports when its filters leave rows out."""
        if self.honour_reviews and review is not None and review.status == "rejected":
            return "review"
        if self.qc and row.get("qc_status") not in self.qc:
            return "qc"
        if not self.qc and row.get("qc_status") == "reject":  # marked by `medtrinity verify`; opt in with --qc
            return "qc"
        if self.sources and row.get("source") not in self.sources:
            return "source"
        if self.modalities and row.get("modality") not in self.modalities:
            return "modality"
        if self.licences:
            licence = (row.get("license") or "").lower()
            if not any(allowed.lower() in licence for allowed in self.licences):
                return "licence"
        return None

    def describe(self) -> dict:
        return {"qc": list(self.qc), "sources": list(self.sources), "modalities": list(self.modalities),
                "licences": list(self.licences), "honour_reviews": self.honour_reviews}


@dataclass
class RunInfo:
    """What an export needs to know about the run besides its rows."""

    run_dir: Path
    stats: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    dedup_journal: dict = field(default_factory=dict)

    @property
    def pipeline_version(self) -> str:
        return str(self.stats.get("pipeline_version", ""))

    @property
    def config_hash(self) -> str:
        return str(self.stats.get("config_hash", ""))

    def source_configs(self) -> dict[str, dict]:
        return {source["name"]: source for source in self.config.get("sources", []) if "name" in source}


def triplet_parts(run_dir: Path) -> list[Path]:
    """The run's triplet part files in order; an error naming the folder when there are none."""
    parts = sorted((Path(run_dir) / "triplets").glob("part-*.parquet"))
    if not parts:
        raise RunFolderError(f"{run_dir}: no triplets/part-*.parquet files (is this a medtrinity run folder?)")
    return parts


def load_run_info(run_dir: Path) -> RunInfo:
    """Stats, resolved config and the run-wide dedup journal, each optional."""
    run_dir = Path(run_dir)
    triplet_parts(run_dir)
    info = RunInfo(run_dir)
    for name, attribute, parse in (("stats.json", "stats", json.loads), ("config.resolved.yaml", "config",
                                                                          yaml.safe_load),
                                   ("_dedup.json", "dedup_journal", json.loads)):
        path = run_dir / name
        if path.exists():
            try:
                setattr(info, attribute, parse(path.read_text(encoding="utf-8")) or {})
            except (ValueError, yaml.YAMLError) as error:
                raise RunFolderError(f"{path}: unreadable ({error})") from error
    return info


def apply_review(row: dict, review: ReviewState | None) -> dict:
    """The row as exported: an edited description replaces the generated one.

    Sections and sentence evidence described the generated text, so they are emptied for an edited row
    rather than left pointing at sentences that are gone.
    """
    row["review_status"] = "" if review is None else (review.status or ("edited" if review.edited_text else ""))
    if review is not None and review.edited_text is not None:
        row["description_text"] = review.edited_text
        row["description_sections"] = None
        row["description_evidence"] = []
        row["review_status"] = f"{review.status}+edited" if review.status else "edited"
    return row


def maps_as_dicts(row: dict) -> dict:
    """An Arrow map comes out as a list of (key, value) tuples; JSON exports want an object. (Runs written
    with ``measurements`` as a map; the current schema stores a list of ``{name, value}``, left as it is.)"""
    for roi in row.get("rois") or []:
        entries = roi.get("measurements")
        if isinstance(entries, list) and entries and isinstance(entries[0], tuple):
            roi["measurements"] = dict(entries)
    return row


def iter_rows(run_dir: Path, row_filter: RowFilter, columns: list[str] | None = None,
              batch_rows: int = BATCH_ROWS, on_drop: Callable[[str, dict], None] | None = None) -> Iterator[dict]:
    """Every kept row of the run as a dict, in part order, reading ``batch_rows`` rows at a time.

    ``on_drop(filter_name, row)`` is called for each row a filter leaves out (see :meth:`RowFilter.failed_filter`).
    """
    reviews = review_states(run_dir) if row_filter.honour_reviews else {}
    needed = None
    if columns is not None:
        needed = sorted(set(columns) | {"id", "qc_status", "source", "modality", "license", "description_text",
                                         "description_sections", "description_evidence"})
    for part in triplet_parts(run_dir):
        handle = pq.ParquetFile(part)
        for batch in handle.iter_batches(batch_size=batch_rows, columns=needed):
            for row in batch.to_pylist():
                review = reviews.get(row["id"])
                failed = row_filter.failed_filter(row, review)
                if failed is None:
                    yield apply_review(maps_as_dicts(row), review)
                elif on_drop is not None:
                    on_drop(failed, row)


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def file_key(row_id: str) -> str:
    """A row id as a file-name stem: letters, digits, ``_`` and ``-`` only (no dots: WebDataset splits on them)."""
    key = _UNSAFE.sub("_", row_id)
    if not key:
        raise RunFolderError(f"row id {row_id!r} gives an empty file name")
    return key
