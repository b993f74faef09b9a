"""The dataset card: ``README.md`` with the Hugging Face YAML header and an honest account of the export.

Counts come from a second streaming pass over the light columns of the exported rows (same filters and
review decisions), so the card describes exactly what was exported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from medtrinity.export.citations import citation_for, is_non_commercial, licence_id
from medtrinity.export.run_rows import RowFilter, RunInfo, iter_rows

CARD_NAME = "README.md"


@dataclass
class ExportCounts:
    """Rows of the export by source, modality, body part, QC status, review status and ROI label."""

    rows: int = 0
    sources: Counter = field(default_factory=Counter)
    modalities: Counter = field(default_factory=Counter)
    body_parts: Counter = field(default_factory=Counter)
    qc: Counter = field(default_factory=Counter)
    reviews: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    licences: dict[str, str] = field(default_factory=dict)  # source -> licence text
    dropped: Counter = field(default_factory=Counter)  # rows left out, by the filter that left them out
    dropped_licences: Counter = field(default_factory=Counter)  # licence texts of the rows --licence left out

    def left_out(self) -> str:
        """The rows the filters left out, by filter (and the licences --licence did not allow), or ''."""
        if not self.dropped:
            return ""
        parts = [f"{name} {count}" for name, count in sorted(self.dropped.items())]
        text = f"left out by the filters: {', '.join(parts)}"
        if self.dropped_licences:
            seen = "; ".join(f"{licence!r} ({count})" for licence, count in sorted(self.dropped_licences.items()))
            text += f" (licences not allowed: {seen})"
        return text


def count_export(run_dir: Path, row_filter: RowFilter) -> ExportCounts:
    counts = ExportCounts()
    columns = ["source", "modality", "body_part", "qc_status", "license", "rois"]

    def count_dropped(name: str, row: dict) -> None:
        counts.dropped[name] += 1
        if name == "licence":
            counts.dropped_licences[row.get("license") or "not stated"] += 1

    for row in iter_rows(run_dir, row_filter, columns=columns, batch_rows=1024, on_drop=count_dropped):
        counts.rows += 1
        counts.sources[row["source"]] += 1
        counts.modalities[row["modality"] or "unknown"] += 1
        counts.body_parts[row["body_part"] or "unknown"] += 1
        counts.qc[row["qc_status"]] += 1
        counts.reviews[row["review_status"] or "not reviewed"] += 1
        counts.labels.update({roi["label"] for roi in row["rois"] or []})
        counts.licences.setdefault(row["source"], row["license"] or "")
    return counts


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if rows < limit:
            return name
    return "10M<n<100M"


def yaml_header(counts: ExportCounts, data_files: str | None) -> dict:
    """The card's YAML metadata: licence, task categories, tags, size and (for Parquet) the configs."""
    identifiers = sorted({licence_id(text) for text in counts.licences.values()})
    header: dict = {"license": identifiers[0] if len(identifiers) == 1 else "other"}
    if header["license"] == "other":
        header["license_name"] = "mixed-per-source"
        header["license_details"] = "; ".join(f"{source}: {text or 'not stated'}"
                                              for source, text in sorted(counts.licences.items()))
    header.update({
        "task_categories": ["image-to-text", "image-segmentation"],
        "language": ["en"],
        "tags": ["medical", "radiology", "image-roi-description", "medtrinity"],
        "pretty_name": "medtrinity image - ROI - description triplets",
        "size_categories": [_size_category(counts.rows)],
    })
    if data_files:
        header["configs"] = [{"config_name": "default", "data_files": [{"split": "train", "path": data_files}]}]
    return header


def _table(title: str, counter: Counter) -> list[str]:
    lines = [f"| {title} | rows |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in counter.most_common()]
    return lines + [""]


def leakage_lines(info: RunInfo) -> list[str]:
    """What the run's benchmark-leakage (evaluation overlap) and duplicate checks did, from its own records."""
    evaluation = (info.config.get("preprocess") or {}).get("evaluation_images") or []
    reasons = Counter(record.get("code") for record in info.dedup_journal.get("removed", {}).values())
    run_dedup = info.stats.get("run_dedup") or {}
    lines = []
    if evaluation:
        lines.append(f"- Evaluation-set overlap check: ran against {len(evaluation)} evaluation image set(s); "
                     f"{reasons.get('evaluation_overlap', 0)} rows showing an evaluation image were removed.")
    else:
        lines.append("- Evaluation-set overlap check: **not run** (the run listed no `preprocess.evaluation_images`);"
                     " check for benchmark leakage before evaluating on public test sets.")
    if info.dedup_journal or run_dedup:
        lines.append(f"- Run-wide duplicate check: {reasons.get('duplicate_image', 0)} exact and "
                     f"{reasons.get('near_duplicate', 0)} near-duplicate rows removed.")
    else:
        lines.append("- Run-wide duplicate check: no record in the run (`_dedup.json` absent).")
    return lines + audit_lines(info.run_dir / "leakage.json")


def audit_lines(path: Path) -> list[str]:
    """The table of ``medtrinity leakage`` (RUN/leakage.json, see docs/vqa.md) when the audit was run."""
    if not path.is_file():
        return ["- Leakage audit (`medtrinity leakage`): not run on this folder."]
    import json

    report = json.loads(path.read_text(encoding="utf-8"))
    lines = [f"- Leakage audit (`medtrinity leakage`) over {report.get('rows', 0)} rows; embedding check: "
             f"{report.get('settings', {}).get('embedding', 'unknown')}.", "",
             "| evaluation set | images | rows (exact) | rows (pHash) | rows (embedding) | rows (any) "
             "| evaluation images found |", "|---|---|---|---|---|---|---|"]
    for entry in report.get("sets", []):
        matched = entry.get("rows_matched", {})
        lines.append(f"| {entry.get('set')} | {entry.get('images')} | {matched.get('exact', 0)} | "
                     f"{matched.get('phash', 0)} | {matched.get('embedding', 0)} | {matched.get('any', 0)} | "
                     f"{entry.get('evaluation_images_found', 0)} |")
    return lines


def limitation_lines(counts: ExportCounts, info: RunInfo) -> list[str]:
    lines = [
        "- Descriptions are generated from the ROI measurements and retrieved passages; they are not radiologist "
        "reports and have not been clinically validated.",
        "- ROIs come from the input masks or expert models; a structure that no mask covers is not described.",
        "- Measurements in mm depend on the pixel spacing recorded in the source files; rows without spacing "
        "carry pixel measurements only.",
    ]
    flagged = counts.qc.get("flag", 0)
    if flagged:
        lines.append(f"- {flagged} of {counts.rows} rows are QC-flagged (kept, with their issue codes in "
                     "`qc_issues`); filter with `--qc pass` for the strict set.")
    non_commercial = sorted(source for source, text in counts.licences.items() if is_non_commercial(text))
    if non_commercial:
        lines.append(f"- Non-commercial licence for: {', '.join(non_commercial)}; exclude them with "
                     "`--licence` for commercial use.")
    return lines


def filter_words(row_filter: RowFilter) -> str:
    """The export's filters in words, for the card."""
    described = row_filter.describe()
    parts = [f"{name} in {', '.join(values)}" for name, values in described.items()
             if name != "honour_reviews" and values]
    parts.append("reviewer rejections left out" if row_filter.honour_reviews else "review decisions ignored")
    return "; ".join(parts) if len(parts) > 1 else f"none ({parts[0]})"


def card_text(info: RunInfo, counts: ExportCounts, export_format: str, row_filter: RowFilter,
              data_files: str | None) -> str:
    """The whole README.md: YAML front matter, then the human-readable card."""
    sources = info.source_configs()
    lines = ["---", yaml.safe_dump(yaml_header(counts, data_files), sort_keys=False).rstrip(), "---", "",
             "# medtrinity image - ROI - description triplets", "",
             f"{counts.rows} images exported as **{export_format}** by medtrinity {info.pipeline_version} "
             f"(config hash `{info.config_hash}`). Each row pairs a clean image (nothing drawn on it) with its "
             "regions of interest (COCO RLE masks, boxes, measurements) and a multi-granular description.", "",
             "## Contents", ""]
    lines += _table("source", counts.sources) + _table("modality", counts.modalities)
    lines += _table("body part", counts.body_parts) + _table("QC status", counts.qc)
    lines += _table("review", counts.reviews)
    lines += _table("ROI label (images showing it)", Counter(dict(counts.labels.most_common(30))))
    lines += ["## Sources, licences and citations", "", "| source | licence | citation |", "|---|---|---|"]
    for source in sorted(counts.sources):
        licence = counts.licences.get(source, "")
        citation = citation_for(source, licence, str(sources.get(source, {}).get("path", "")))
        lines.append(f"| {source} | {licence or 'not stated'} (`{licence_id(licence)}`) | "
                     f"{citation or 'not recorded: add the dataset citation before publishing'} |")
    lines += ["", "## Provenance", "", f"- Pipeline version: {info.pipeline_version}",
              f"- Config hash: `{info.config_hash}`",
              f"- Export filters: {filter_words(row_filter)}", ""]
    lines += ["## Leakage and duplicates", ""] + leakage_lines(info) + [""]
    lines += ["## Known limitations", ""] + limitation_lines(counts, info) + [""]
    return "\n".join(lines)


def write_card(root: Path, info: RunInfo, counts: ExportCounts, export_format: str, row_filter: RowFilter,
               data_files: str | None) -> Path:
    path = root / CARD_NAME
    path.write_text(card_text(info, counts, export_format, row_filter, data_files), encoding="utf-8")
    return path
