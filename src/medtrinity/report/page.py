"""The report page: the collected numbers as inline SVG plots plus the gallery, in one HTML file with
inline CSS and no script, font, image or link that leaves the file."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from medtrinity.io.atomic import write_atomic
from medtrinity.report.collect import RunReport, collect_report
from medtrinity.report.gallery import GalleryItem, gallery_items
from medtrinity.report.svg import bar_chart, histogram

STYLE = """
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1400px; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }
.plots { display: flex; flex-wrap: wrap; gap: 24px; }
svg.plot text { font-size: 12px; fill: #222; } svg.plot .plot-title { font-weight: bold; font-size: 13px; }
svg.plot .small { font-size: 10px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 16px; }
.gallery figure { margin: 0; border: 1px solid #ddd; padding: 8px; }
.gallery figcaption { font-size: 12px; } .gallery p { font-size: 12px; max-height: 9em; overflow: auto; }
"""


def _top(counter, count: int = 25) -> list[tuple[str, float]]:
    return [(str(name), value) for name, value in counter.most_common(count)]


def _plots(report: RunReport) -> dict[str, str]:
    """Plot id -> SVG for every plot of the report (ids are what tests and readers look for)."""
    plots = {
        "samples-by-modality": bar_chart("samples-by-modality", "Samples per modality", _top(report.modalities)),
        "samples-by-body-part": bar_chart("samples-by-body-part", "Samples per body part", _top(report.body_parts)),
        "samples-by-source": bar_chart("samples-by-source", "Samples per source", _top(report.sources)),
        "label-frequency": bar_chart("label-frequency", "Images showing each label (top 25)", _top(report.labels)),
        "roi-kinds": bar_chart("roi-kinds", "ROIs per kind", _top(report.roi_kinds)),
        "roi-area-mm2": histogram("roi-area-mm2", "ROI area (mm2, where spacing is known)",
                                  report.roi_area_mm2.edges, report.roi_area_mm2.counts, "area in mm2"),
        "roi-area-px": histogram("roi-area-px", "ROI area (pixels)", report.roi_area_px.edges,
                                 report.roi_area_px.counts, "area in pixels"),
        "rois-per-image": histogram("rois-per-image", "ROIs per image", report.rois_per_image.edges,
                                    report.rois_per_image.counts, "ROIs in the image"),
        "words-per-section": bar_chart("words-per-section", "Mean words per description section",
                                       list(report.mean_words_per_section.items()), " words"),
    }
    for section, binned in report.words_per_section.items():
        plots[f"words-{section}"] = histogram(f"words-{section}", f"Words in the {section} section",
                                              binned.edges, binned.counts, "words")
    repeated = report.text.get("repeated_sentence_share")
    skeleton = report.text.get("repeated_skeleton_share")
    named = (("repeated sentences", repeated), ("repeated skeletons (numbers masked)", skeleton))
    shares = [(name, round(100 * value, 1)) for name, value in named if value is not None]
    plots["repeated-sentence-share"] = bar_chart("repeated-sentence-share", "Repeated-sentence share", shares, " %")
    plots["qc-status"] = bar_chart("qc-status", "QC status of written rows", _top(report.qc_status))
    plots["qc-issues"] = bar_chart("qc-issues", "QC issue codes", _top(report.qc_issues))
    plots["rejects-by-reason"] = bar_chart("rejects-by-reason", "Rejects by reason", _top(report.rejects_by_reason))
    plots["rejects-by-stage"] = bar_chart("rejects-by-stage", "Rejects by stage", _top(report.rejects_by_stage))
    plots["seconds-per-stage"] = bar_chart("seconds-per-stage", "Time per stage (summed over shards)",
                                           [(stage, round(seconds, 3)) for stage, seconds in report.stage_seconds],
                                           " s")
    return plots


SECTIONS = (
    ("What is inside", ("samples-by-modality", "samples-by-body-part", "samples-by-source", "label-frequency")),
    ("Regions of interest", ("roi-kinds", "rois-per-image", "roi-area-mm2", "roi-area-px")),
    ("Descriptions", ("words-per-section", "words-modality", "words-organs", "words-roi_analysis", "words-texture",
                      "words-relations", "repeated-sentence-share")),
    ("Quality control and rejects", ("qc-status", "qc-issues", "rejects-by-reason", "rejects-by-stage")),
    ("Run time", ("seconds-per-stage",)),
)


def _gallery(items: list[GalleryItem]) -> str:
    if not items:
        return "<p>No rows with regions of interest to show.</p>"
    figures = []
    for item in items:
        figures.append(
            f'<figure class="sample" data-id="{escape(item.row_id)}"><img alt="{escape(item.row_id)} with ROI '
            f'outlines" src="{item.data_url}"><figcaption><b>{escape(item.source)}</b> · {escape(item.modality)} · '
            f'{escape(item.body_part or "body part unknown")} · QC {escape(item.qc_status)}<br>ROIs: '
            f'{escape(", ".join(item.labels))}</figcaption><p>{escape(item.description)}</p></figure>')
    return '<div class="gallery">' + "".join(figures) + "</div>"


def render_report(run_dir: Path) -> str:
    """The whole HTML document for a run folder."""
    report = collect_report(run_dir)
    plots = _plots(report)
    stats = report.stats
    summary = [("rows written", report.rows), ("rejects", sum(report.rejects_by_reason.values())),
               ("sources", len(report.sources)), ("pipeline version", stats.get("pipeline_version", "")),
               ("config hash", stats.get("config_hash", "")),
               ("run-wide duplicates removed", (stats.get("run_dedup") or {}).get("removed", 0))]
    for key in ("words_per_description", "sentences", "distinct_1", "distinct_2"):
        if key in report.text:
            summary.append((key.replace("_", " "), report.text[key]))
    body = ["<h1>medtrinity run report</h1>",
            f"<p>Generated {datetime.now(UTC).isoformat(timespec='seconds')} from the run's Parquet parts, "
            "rejects and stats.json.</p>",
            "<table>" + "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in summary)
            + "</table>"]
    for title, plot_ids in SECTIONS:
        body.append(f"<h2>{escape(title)}</h2><div class=\"plots\">"
                    + "".join(plots[plot_id] for plot_id in plot_ids) + "</div>")
    body.append("<h2>Sample gallery</h2><p>Outlines are drawn on copies for this report; the exported images are "
                "clean.</p>" + _gallery(gallery_items(run_dir)))
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>medtrinity run report</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(body) + "</body></html>\n")


def write_report(run_dir: Path, out_path: Path | None = None) -> Path:
    """Write the report to ``out_path`` (default ``RUN/report.html``) atomically; returns its path."""
    out_path = Path(out_path) if out_path is not None else Path(run_dir) / "report.html"
    text = render_report(run_dir)
    write_atomic(out_path, lambda target: target.write_text(text, encoding="utf-8"))
    return out_path
