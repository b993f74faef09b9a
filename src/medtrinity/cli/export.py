"""``medtrinity export`` (a run as training data) and ``medtrinity check`` (a run or export against its manifest)."""

from __future__ import annotations

from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command(name="export")
def export_command(
    run: Path = typer.Argument(..., help="A finished run's output folder."),
    export_format: str = typer.Option(..., "--format", help="hf, webdataset, llava or coco."),
    out: Path = typer.Option(..., "--out", help="Export folder (built aside and moved in when complete)."),
    qc: list[str] = typer.Option([], "--qc", help="Keep rows with this QC status (pass, flag); repeatable."),
    source: list[str] = typer.Option([], "--source", help="Keep rows of this source; repeatable."),
    modality: list[str] = typer.Option([], "--modality", help="Keep rows of this modality; repeatable."),
    licence: list[str] = typer.Option([], "--licence",
                                      help="Licence allow-list: keep rows whose licence contains this text "
                                           "(e.g. 'CC BY 4.0'); repeatable."),
    ignore_reviews: bool = typer.Option(False, "--ignore-reviews",
                                        help="Export rows rejected in the viewer too, with generated text."),
    shard_size: int | None = typer.Option(None, "--shard-size", min=1,
                                          help="Rows per Parquet shard (hf, default 2000) or per tar (webdataset, "
                                               "default 1000)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing export folder."),
) -> None:
    """Write a run's rows as Hugging Face Parquet, WebDataset tars, LLaVA JSON or COCO, with card and manifest."""
    from medtrinity.export.formats import export_run
    from medtrinity.export.reviews import ReviewError
    from medtrinity.export.run_rows import RowFilter, RunFolderError
    from medtrinity.export.staging import ExportTargetError

    row_filter = RowFilter(qc=tuple(qc), sources=tuple(source), modalities=tuple(modality),
                           licences=tuple(licence), honour_reviews=not ignore_reviews)
    try:
        summary = export_run(run, export_format, out, row_filter, shard_size=shard_size, overwrite=overwrite)
    except (RunFolderError, ExportTargetError, ReviewError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
        raise typer.Exit(2) from error
    written = ", ".join(f"{key} {value}" for key, value in summary["written"].items())
    console.print(f"{export_format} export written to {out}: {written} ({summary['seconds']} s)", highlight=False)
    if summary["left_out_text"]:
        console.print(f"{summary['rows']} rows kept; {summary['left_out_text']}", highlight=False)
    if not summary["rows"]:
        errors.print(f"[yellow]warning:[/yellow] no row of {run} passed the filters: the export holds no rows",
                     markup=True, highlight=False)


@app.command(name="check")
def check_command(
    folder: Path = typer.Argument(..., help="A run's output folder or an export folder."),
) -> None:
    """Verify every file against the folder's manifest (sha256 and size); exit 1 on any mismatch."""
    from medtrinity.export.checks import check_folder

    result = check_folder(folder)
    for problem in result.problems:
        errors.print(problem, markup=False, highlight=False)
    if not result.ok:
        console.print(f"{folder}: {result.kind}, {len(result.problems)} problem(s)", highlight=False)
        raise typer.Exit(1)
    console.print(f"{folder}: {result.kind}, {result.files_listed} files match the manifest", highlight=False)
