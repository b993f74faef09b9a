"""``medtrinity report``: a run's statistics, plots and sample gallery as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command(name="report")
def report_command(
    run: Path = typer.Argument(..., help="A run's output folder."),
    out: Path | None = typer.Option(None, "--out", help="HTML file to write (default RUN/report.html)."),
) -> None:
    """Write the dataset-paper plots (samples, labels, ROI sizes, text, QC, rejects, time) and a gallery."""
    from medtrinity.export.run_rows import RunFolderError
    from medtrinity.report.page import write_report

    try:
        path = write_report(run, out)
    except (RunFolderError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from error
    console.print(f"report written to {path} ({path.stat().st_size // 1024} KiB)", highlight=False)
