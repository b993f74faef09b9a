"""``medtrinity verify``: re-check written descriptions against their ROIs."""

from __future__ import annotations

from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command(name="verify")
def verify_command(
    out: str = typer.Argument(..., help="A run's output folder, or its s3:// / gs:// prefix (checked read-only)."),
    on_contradiction: str | None = typer.Option(None, "--on-contradiction",
                                                help="flag or reject (default: the run's setting)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; rewrite nothing."),
    show: int = typer.Option(50, "--show", min=0, help="How many flagged rows to list."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any row is flagged or rejected."),
    accept_changes: bool = typer.Option(False, "--accept-changes",
                                        help="Parts that differ from the manifest (or their shard markers) were "
                                             "edited on purpose: verify "
                                             "them and record their new checksums."),
) -> None:
    """Re-run the faithfulness verifier over written shards (for edited, imported or external descriptions).

    On an s3:// or gs:// prefix nothing is rewritten: objects are checked against the manifest (or the shard
    markers) by size and sha256, streamed one at a time, and the rows verified; changes are only reported.
    """
    from medtrinity.io.remote import is_remote
    from medtrinity.run_lock import RunLockedError
    from medtrinity.verify_run import IntegrityError, verify_folder

    remote = is_remote(out)
    if remote and not dry_run and (accept_changes or on_contradiction == "reject"):
        asked = "--accept-changes (records new checksums)" if accept_changes else \
            "--on-contradiction reject (moves rows to rejects)"
        errors.print(f"error: {out}: {asked} would rewrite the run, and a run in an object store is checked "
                     "read-only; add --dry-run to see what it would do, or copy the run to a folder "
                     f"(aws s3 sync / gcloud storage rsync) and verify it there", markup=False, highlight=False)
        raise typer.Exit(2)
    try:
        if remote:
            from medtrinity.remote_verify import verify_url

            report = verify_url(out, on_contradiction, accept_changes=accept_changes)
            dry_run = True
        else:
            report = verify_folder(Path(out), on_contradiction, dry_run=dry_run, accept_changes=accept_changes)
    except IntegrityError as error:
        for problem in error.problems:
            errors.print(f"changed: {problem}", markup=False, highlight=False)
        errors.print(f"error: {out}: {len(error.problems)} file(s) differ from the manifest or their shard markers; "
                     "nothing was rewritten "
                     f"(pass --accept-changes{' --dry-run' if remote else ''} if you edited them on purpose)",
                     markup=False, highlight=False)
        raise typer.Exit(1) from error
    except (FileNotFoundError, ValueError, RunLockedError, ConnectionError, ImportError) as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from error
    counts = ", ".join(f"{status} {report.statuses.get(status, 0)}" for status in ("pass", "flag", "reject"))
    console.print(f"{report.rows} rows verified ({report.mode} mode): {counts}", highlight=False)
    for code, count in sorted(report.issues.items()):
        console.print(f"  issue {code}: {count}", highlight=False)
    for problem in report.problems[:show]:
        reasons = "; ".join(f"{issue['code']}: {issue['message']}" for issue in problem["issues"])
        console.print(f"  {problem['status']} {problem['id']} ({problem['source']}, {problem['part']}): {reasons}",
                      highlight=False, markup=False)
    if len(report.problems) > show:
        console.print(f"  ... and {len(report.problems) - show} more", highlight=False)
    action = "would change" if dry_run else "changed"
    console.print(f"{report.changed} rows {action}; files rewritten: {len(report.files_rewritten)}", highlight=False)
    if remote:
        accepted = ", changed parts accepted" if accept_changes else ""
        console.print(f"{out}: checked read-only (size and sha256 of every recorded object{accepted}); "
                      "nothing in the store was rewritten", markup=False, highlight=False)
    if strict and report.problems:
        raise typer.Exit(1)
