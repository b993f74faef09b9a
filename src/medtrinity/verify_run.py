"""``medtrinity verify DIR``: re-run the verifier over written shards.

For descriptions edited by hand, imported, or generated elsewhere: each row's
``description_text`` is checked against the measurements stored in the same row (its ROIs,
modality, body part, and the evidence that marks quoted knowledge). Rows whose QC result
changes get their ``qc_status`` and ``qc_issues`` rewritten; a part file is replaced atomically
only when one of its rows changed. In ``reject`` mode a row that now fails leaves
``triplets/`` for ``rejects/verify-NNNNN.parquet``, as it would in a run (recorded in the
``_verify.json`` journal, so the run's counts stay true). ``stats.json`` is recounted, gets a
``qc_verified`` block with the new counts, and the manifest entries of the files verify wrote are
refreshed. A folder whose files already differ from the manifest is refused (``IntegrityError``),
never re-blessed, unless ``accept_changes`` says the changed parts were edited on purpose. A folder without a
manifest yet (a killed run) is checked against the sizes and checksums its shard markers recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from medtrinity.quality.verify import VerifyOptions, verify_row
from medtrinity.run_folder import CHANGED, STATS_NAME, RunFolder, part_index
from medtrinity.run_integrity import CHANGED_SINCE_MARKER


@dataclass
class VerifyReport:
    """What a re-verification found and changed."""

    rows: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    moved_to_rejects: int = 0
    files_rewritten: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # id, source, part, status, issues (flag and reject rows)
    mode: str = "flag"


def verify_settings(folder: RunFolder) -> tuple[str, VerifyOptions]:
    """The run's ``on_contradiction`` mode and verifier tolerances, from its resolved config."""
    path = folder.config_path
    if not path.exists():
        return "flag", VerifyOptions()
    import yaml

    quality = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("quality") or {}
    defaults = VerifyOptions()
    return str(quality.get("on_contradiction", "flag")), VerifyOptions(
        size_tolerance=float(quality.get("size_tolerance", defaults.size_tolerance)),
        size_tolerance_mm=float(quality.get("size_tolerance_mm", defaults.size_tolerance_mm)),
    )


def _reject_row(row: dict, issues: list[dict]) -> dict:
    code = issues[0]["code"] if issues else "qc_reject"
    reason = "; ".join(f"{issue['code']}: {issue['message']}" for issue in issues) or "rejected by verify"
    return {"sample_id": row["id"], "source": row["source"], "source_file": "", "stage": "verify", "code": code,
            "reason": reason}


class IntegrityError(ValueError):
    """Output files differ from the manifest: verify will not rewrite a folder someone else modified."""

    def __init__(self, out_dir: Path | str, problems: list[str]):
        super().__init__(f"{out_dir}: {len(problems)} file(s) differ from the manifest or from what their shards "
                         f"recorded: {'; '.join(problems[:10])}")
        self.problems = problems


def verify_folder(out_dir: Path | str, on_contradiction: str | None = None, *, dry_run: bool = False,
                  accept_changes: bool = False) -> VerifyReport:
    """Re-verify every row of ``out_dir/triplets``; rewrite changed QC fields unless ``dry_run``.

    In ``reject`` mode rows that fail move to ``rejects/verify-NNNNN.parquet``, as in a run. Every file
    is first checked against the manifest: changed, missing or unlisted files are an
    :class:`IntegrityError`; ``accept_changes`` takes changed parts as edited on purpose (verified, and
    their new checksums recorded). The folder is locked while verify rewrites it.
    """
    folder = RunFolder(out_dir)
    parts = folder.triplet_parts()
    if not parts:
        raise FileNotFoundError(f"{out_dir} holds no triplets/part-*.parquet files")
    if dry_run:
        return _verify_checked(folder, parts, on_contradiction, dry_run, accept_changes)
    with folder.lock("verify"):
        return _verify_checked(folder, parts, on_contradiction, dry_run, accept_changes)


def _verify_checked(folder: RunFolder, parts: list[Path], on_contradiction: str | None, dry_run: bool,
                    accept_changes: bool) -> VerifyReport:
    # against the manifest, or (a killed run has none yet) against what each shard's marker recorded
    problems = folder.check_manifest() if folder.has_manifest() else folder.check_markers()
    changed_files = [p.split(": ", 1)[0] for p in problems if CHANGED in p or CHANGED_SINCE_MARKER in p]
    if problems and not (accept_changes and len(changed_files) == len(problems)):
        raise IntegrityError(folder.root, problems)
    accepted: list[str] = changed_files
    if accepted and not dry_run:
        folder.record_files(accepted)
    written: list[str] = []
    mode, options = verify_settings(folder)
    mode = check_mode(on_contradiction or mode)
    report = VerifyReport(mode=mode)
    journal = folder.read_journal("verify")
    for part in parts:
        kept, moved, changed = check_part_rows(folder.read_part(part), part.name, mode, options, report)
        if (changed or moved) and not dry_run:
            index = part_index(part)
            if moved:
                for reject in moved:
                    journal[reject["sample_id"]] = {"code": reject["code"], "part": index, "source": reject["source"]}
                folder.write_journal("verify", journal)  # the decision first: a killed pass converges when rerun
                moved_ids = {reject["sample_id"] for reject in moved}
                earlier = [r for r in folder.read_removed(index, "verify") if r["sample_id"] not in moved_ids]
                removed_path = folder.write_removed(index, "verify", earlier + moved)
                written.append(str(removed_path.relative_to(folder.root)))
            folder.rewrite_part(part, kept)
            report.files_rewritten.append(str(part.relative_to(folder.root)))
    if (report.files_rewritten or accepted) and not dry_run:
        folder.refresh_stats(qc_verified={
            "mode": report.mode,
            "rows": report.rows,
            "statuses": dict(sorted(report.statuses.items())),
            "issues": dict(sorted(report.issues.items())),
            "changed": report.changed,
            "moved_to_rejects": report.moved_to_rejects,
        })
        if folder.has_manifest():  # only what verify itself just wrote (or was told to accept) gets new checksums
            folder.update_manifest([*report.files_rewritten, *written, *accepted, STATS_NAME])
    return report


def check_mode(mode: str) -> str:
    """``mode`` if it is a verify mode (flag or reject), else a ValueError naming it."""
    if mode not in {"flag", "reject"}:
        raise ValueError(f"on_contradiction must be flag or reject, not {mode!r}")
    return mode


def check_part_rows(rows: list[dict], part_name: str, mode: str, options: VerifyOptions,
                    report: VerifyReport) -> tuple[list[dict], list[dict], bool]:
    """Verify every row of one part, counting into ``report``; rows get their new ``qc_status``/``qc_issues``.

    Returns the rows that stay, the reject rows of those that fail in ``reject`` mode, and whether any row's
    QC fields changed.
    """
    kept: list[dict] = []
    moved: list[dict] = []
    changed = False
    for row in rows:
        qc = verify_row(row, mode, options)
        issues = [{"code": issue.code, "message": issue.message} for issue in qc.issues]
        report.rows += 1
        report.statuses[qc.status] = report.statuses.get(qc.status, 0) + 1
        for issue in qc.issues:
            report.issues[issue.code] = report.issues.get(issue.code, 0) + 1
        if qc.status != "pass":
            report.problems.append({"id": row["id"], "source": row["source"], "part": part_name,
                                    "status": qc.status, "issues": issues})
        if row.get("qc_status") != qc.status or list(row.get("qc_issues") or []) != issues:
            row["qc_status"], row["qc_issues"] = qc.status, issues
            report.changed += 1
            changed = True
        if qc.status == "reject":
            moved.append(_reject_row(row, issues))
        else:
            kept.append(row)
    report.moved_to_rejects += len(moved)
    return kept, moved, changed
