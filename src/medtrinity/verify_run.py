"""``medtrinity verify DIR``: re-run the verifier over written shards.

For descriptions edited by hand, imported, or generated elsewhere: each row's
``description_text`` is checked against the measurements stored in the same row (its ROIs,
modality, body part, and the evidence that marks quoted knowledge). Rows whose QC result
changes get their ``qc_status`` and ``qc_issues`` rewritten; a part file is replaced atomically
only when one of its rows changed. Rows are never removed: a row that now fails in ``reject``
mode keeps its place with ``qc_status = reject`` (filter on that column). ``stats.json`` gets a
``qc_verified`` block with the new counts, and the manifest is written again so it stays true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from medtrinity.export.manifest import MANIFEST_NAME, write_manifest
from medtrinity.export.parquet import write_rows
from medtrinity.io.atomic import write_json_atomic
from medtrinity.quality.verify import VerifyOptions, verify_row
from medtrinity.schema import TRIPLET_SCHEMA


@dataclass
class VerifyReport:
    """What a re-verification found and changed."""

    rows: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    files_rewritten: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # id, source, part, status, issues (flag and reject rows)
    mode: str = "flag"


def _settings(out_dir: Path) -> tuple[str, VerifyOptions]:
    path = out_dir / "config.resolved.yaml"
    if not path.exists():
        return "flag", VerifyOptions()
    import yaml

    quality = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("quality") or {}
    defaults = VerifyOptions()
    return str(quality.get("on_contradiction", "flag")), VerifyOptions(
        size_tolerance=float(quality.get("size_tolerance", defaults.size_tolerance)),
        size_tolerance_mm=float(quality.get("size_tolerance_mm", defaults.size_tolerance_mm)),
    )


def verify_folder(out_dir: Path | str, on_contradiction: str | None = None, *, dry_run: bool = False) -> VerifyReport:
    """Re-verify every row of ``out_dir/triplets``; rewrite changed QC fields unless ``dry_run``."""
    out_dir = Path(out_dir)
    parts = sorted((out_dir / "triplets").glob("part-*.parquet"))
    if not parts:
        raise FileNotFoundError(f"{out_dir} holds no triplets/part-*.parquet files")
    mode, options = _settings(out_dir)
    mode = on_contradiction or mode
    if mode not in {"flag", "reject"}:
        raise ValueError(f"on_contradiction must be flag or reject, not {mode!r}")
    report = VerifyReport(mode=mode)
    for part in parts:
        table = pq.read_table(part)
        rows = table.to_pylist()
        changed = False
        for row in rows:
            qc = verify_row(row, mode, options)
            issues = [{"code": issue.code, "message": issue.message} for issue in qc.issues]
            report.rows += 1
            report.statuses[qc.status] = report.statuses.get(qc.status, 0) + 1
            for issue in qc.issues:
                report.issues[issue.code] = report.issues.get(issue.code, 0) + 1
            if qc.status != "pass":
                report.problems.append({"id": row["id"], "source": row["source"], "part": part.name,
                                        "status": qc.status, "issues": issues})
            if row.get("qc_status") != qc.status or list(row.get("qc_issues") or []) != issues:
                row["qc_status"], row["qc_issues"] = qc.status, issues
                report.changed += 1
                changed = True
        if changed and not dry_run:
            write_rows(part, rows, TRIPLET_SCHEMA)
            report.files_rewritten.append(str(part.relative_to(out_dir)))
    if report.files_rewritten:
        _update_stats_and_manifest(out_dir, report)
    return report


def _update_stats_and_manifest(out_dir: Path, report: VerifyReport) -> None:
    import json

    stats_path = out_dir / "stats.json"
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    stats["qc_verified"] = {
        "mode": report.mode,
        "rows": report.rows,
        "statuses": dict(sorted(report.statuses.items())),
        "issues": dict(sorted(report.issues.items())),
        "changed": report.changed,
    }
    write_json_atomic(stats_path, stats)
    manifest = out_dir / MANIFEST_NAME
    if manifest.exists():
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        write_manifest(out_dir, previous.get("pipeline_version", ""), previous.get("config_hash", ""))
