"""``medtrinity verify``: re-check written descriptions against their ROIs."""

from __future__ import annotations

from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command(name="verify")
def verify_command(
    out: Path = typer.Argument(..., help="A run's output folder (its triplets/ are re-checked)."),
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
    """Re-run the faithfulness verifier over written shards (for edited, imported or external descriptions)."""
    from medtrinity.run_lock import RunLockedError
    from medtrinity.verify_run import IntegrityError, verify_folder

    try:
        report = verify_folder(out, on_contradiction, dry_run=dry_run, accept_changes=accept_changes)
    except IntegrityError as error:
        for problem in error.problems:
            errors.print(f"changed: {problem}", markup=False, highlight=False)
        errors.print(f"error: {out}: {len(error.problems)} file(s) differ from the manifest or their shard markers; "
                     "nothing was rewritten "
                     "(pass --accept-changes if you edited them on purpose)", markup=False)
        raise typer.Exit(1) from error
    except (FileNotFoundError, ValueError, RunLockedError) as error:
        errors.print(f"[red]error:[/red] {error}")
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
    if strict and report.problems:
        raise typer.Exit(1)
