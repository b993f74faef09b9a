"""The numbers behind the report, gathered in one streaming pass over the light columns of a run.

Distributions are counted into fixed bins as rows go by (never a list of every value), so the pass
stays flat in memory on large runs; rejects, stage times and text statistics come from the run's own
``rejects/`` and ``stats.json``.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from medtrinity.export.run_rows import triplet_parts
from medtrinity.records import DESCRIPTION_SECTIONS

AREA_EDGES_MM2 = [0, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, float("inf")]
AREA_EDGES_PX = [0, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, float("inf")]
ROI_COUNT_EDGES = [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, float("inf")]
WORD_EDGES = [0, 1, 10, 20, 40, 60, 80, 100, 150, 200, 300, float("inf")]
_COLUMNS = ["id", "source", "modality", "body_part", "image_labels", "rois", "description_text",
            "description_sections", "qc_status", "qc_issues"]


@dataclass
class Binned:
    """Counts over fixed bin edges (last edge may be infinity)."""

    edges: list[float]
    counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.edges) - 1)

    def add(self, value: float) -> None:
        index = min(max(bisect.bisect_right(self.edges, value) - 1, 0), len(self.counts) - 1)
        self.counts[index] += 1


@dataclass
class RunReport:
    """Everything the report shows, as plain counts."""

    rows: int = 0
    sources: Counter = field(default_factory=Counter)
    modalities: Counter = field(default_factory=Counter)
    body_parts: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    roi_kinds: Counter = field(default_factory=Counter)
    roi_area_mm2: Binned = field(default_factory=lambda: Binned(AREA_EDGES_MM2))
    roi_area_px: Binned = field(default_factory=lambda: Binned(AREA_EDGES_PX))
    rois_per_image: Binned = field(default_factory=lambda: Binned(ROI_COUNT_EDGES))
    words_per_section: dict[str, Binned] = field(default_factory=dict)
    mean_words_per_section: dict[str, float] = field(default_factory=dict)
    qc_status: Counter = field(default_factory=Counter)
    qc_issues: Counter = field(default_factory=Counter)
    rejects_by_reason: Counter = field(default_factory=Counter)
    rejects_by_stage: Counter = field(default_factory=Counter)
    stage_seconds: list[tuple[str, float]] = field(default_factory=list)
    text: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


def _word_count(text: str | None) -> int:
    return len((text or "").split())


def collect_report(run_dir: Path, batch_rows: int = 512) -> RunReport:
    """Stream the run's triplets (no image column) and read its rejects and stats."""
    run_dir = Path(run_dir)
    report = RunReport()
    report.words_per_section = {section: Binned(WORD_EDGES) for section in DESCRIPTION_SECTIONS}
    word_totals = Counter()
    for part in triplet_parts(run_dir):
        for batch in pq.ParquetFile(part).iter_batches(batch_size=batch_rows, columns=_COLUMNS):
            for row in batch.to_pylist():
                _add_row(report, row, word_totals)
    report.mean_words_per_section = {section: round(word_totals[section] / report.rows, 1) if report.rows else 0.0
                                     for section in DESCRIPTION_SECTIONS}
    for part in sorted((run_dir / "rejects").glob("*.parquet")):
        for batch in pq.ParquetFile(part).iter_batches(batch_size=4096, columns=["stage", "code"]):
            for row in batch.to_pylist():
                report.rejects_by_reason[row["code"]] += 1
                report.rejects_by_stage[row["stage"]] += 1
    stats_path = run_dir / "stats.json"
    if stats_path.exists():
        report.stats = json.loads(stats_path.read_text(encoding="utf-8"))
        stages = report.stats.get("stages", {})
        order = report.stats.get("stage_order") or sorted(stages)
        report.stage_seconds = [(stage, float(stages[stage].get("seconds", 0.0))) for stage in order if stage in stages]
        report.text = report.stats.get("text", {})
    return report


def _add_row(report: RunReport, row: dict, word_totals: Counter) -> None:
    report.rows += 1
    report.sources[row["source"]] += 1
    report.modalities[row["modality"] or "unknown"] += 1
    report.body_parts[row["body_part"] or "unknown"] += 1
    rois = row["rois"] or []
    report.rois_per_image.add(len(rois))
    report.labels.update(set(row["image_labels"] or []) | {roi["label"] for roi in rois})
    for roi in rois:
        report.roi_kinds[roi["kind"] or "unknown"] += 1
        report.roi_area_px.add(roi["area_px"] or 0)
        if roi["area_mm2"] is not None:
            report.roi_area_mm2.add(roi["area_mm2"])
    sections = row["description_sections"] or {}
    for section in DESCRIPTION_SECTIONS:
        words = _word_count(sections.get(section))
        report.words_per_section[section].add(words)
        word_totals[section] += words
    report.qc_status[row["qc_status"]] += 1
    report.qc_issues.update(issue["code"] for issue in row["qc_issues"] or [])
