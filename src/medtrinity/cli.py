"""The ``medtrinity`` command: run a YAML pipeline, run the demo, inspect a run's status."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from medtrinity.config import ConfigError, RunConfig, load_config
from medtrinity.runner import OutputFolderError, RunSummary, run_pipeline, run_status

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build image - ROI - description triplets from medical images.")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


class ExecutorName(StrEnum):
    local = "local"
    ray = "ray"


def _mount_knowledge_commands() -> None:
    try:
        from medtrinity.knowledge.cli import kb_app
    except ImportError:
        return
    app.add_typer(kb_app, name="kb", help="Build, query and inspect knowledge bases.")


def _execute(config: RunConfig, out: Path, executor: ExecutorName, workers: int, ray_address: str | None,
             overwrite: bool, quiet: bool) -> RunSummary:
    from medtrinity.progress import RunProgress, summary_table

    try:
        if quiet:
            summary = run_pipeline(config, out, executor=executor.value, workers=workers,
                                   ray_address=ray_address, overwrite=overwrite)
        else:
            with RunProgress(console) as progress:
                summary = run_pipeline(config, out, executor=executor.value, workers=workers,
                                       ray_address=ray_address, overwrite=overwrite,
                                       on_plan=progress.on_plan, on_shard_done=progress.on_shard_done)
    except (ConfigError, OutputFolderError) as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    stats = json.loads((summary.out_dir / "stats.json").read_text(encoding="utf-8"))
    if not quiet:
        console.print(summary_table(summary, stats))
    console.print(
        f"{summary.triplets} triplets and {summary.rejects} rejects in {summary.out_dir} "
        f"({summary.shards_run} shards run, {summary.shards_skipped} already done, "
        f"{len(summary.failed)} failed, {summary.seconds:.1f} s)"
    )
    if summary.reasons:
        console.print("reject reasons: " + ", ".join(f"{code} {count}" for code, count in summary.reasons.items()))
    return summary


WORKERS = typer.Option(1, "--workers", "-w", min=1, help="Parallel shard workers (processes or Ray tasks).")
EXECUTOR = typer.Option(ExecutorName.local, "--executor", "-e", help="Where shards run.")
RAY_ADDRESS = typer.Option(None, "--ray-address", help="Join this Ray cluster instead of starting a local one.")


@app.command()
def run(
    config_path: Path = typer.Argument(..., metavar="CONFIG.yaml", help="Pipeline config."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (a re-run resumes it)."),
    executor: ExecutorName = EXECUTOR,
    workers: int = WORKERS,
    ray_address: str | None = RAY_ADDRESS,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a run made with another config."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Run the pipeline described by CONFIG.yaml into --out; resumes where a killed run stopped."""
    try:
        config = load_config(config_path)
    except ConfigError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    summary = _execute(config, out, executor, workers, ray_address, overwrite, quiet)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="Output folder."),
    executor: ExecutorName = EXECUTOR,
    workers: int = WORKERS,
    ray_address: str | None = RAY_ADDRESS,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Run the whole pipeline on the embedded demo collection and print one description."""
    from medtrinity.demo import demo_config
    from medtrinity.export.parquet import read_table

    out = out.resolve()
    config = demo_config(out)
    console.print(f"demo sources: {', '.join(source.name for source in config.sources)}")
    summary = _execute(config, out, executor, workers, ray_address, True, quiet)
    table = read_table(out / "triplets")
    rows = table.select(["id", "source", "coarse_caption", "description_text", "rois"]).to_pylist()
    def largest_lesion_px(row: dict) -> int:
        return max((roi["area_px"] for roi in row["rois"] if roi["kind"] == "lesion"), default=0)

    example = max(rows, key=largest_lesion_px, default=None)
    console.print(f"outputs: {out / 'triplets'}, {out / 'rejects'}, {out / 'stats.json'}, {out / 'manifest.json'}")
    if example is not None:
        console.print(f"\n[bold]example triplet[/bold] {example['id']} from {example['source']}")
        console.print(f"coarse caption: {example['coarse_caption']}")
        console.print(f"description: {example['description_text']}")
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def status(out: Path = typer.Argument(..., help="A run's output folder.")) -> None:
    """Tell what a run has done, what is left and what failed."""
    try:
        info = run_status(out)
    except FileNotFoundError as error:
        errors.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    state = "complete" if info["shards_left"] == 0 else "incomplete"
    console.print(f"{info['out_dir']}: {state}, {info['shards_done']}/{info['shards_total']} shards done, "
                  f"{info['shards_left']} left, {len(info['failed'])} failed")
    manifest = "written" if info["manifest"] else "not written"
    console.print(f"{info['triplets']} triplets, {info['rejects']} rejects; manifest {manifest}")
    for code, count in info["reject_reasons"].items():
        console.print(f"  reject reason {code}: {count}")
    for index, error in info["failed"].items():
        console.print(f"  [red]failed shard {index}:[/red] {error}")
    for shard in info["left"][:20]:
        console.print(f"  left: shard {shard['index']} of source {shard['source']} ({shard['items']} items)")


@app.command()
def readers() -> None:
    """List the readers with the formats they accept and what they need."""
    from medtrinity.sources import READERS, reader_names
    from medtrinity.sources.base import missing_dependencies

    for name in reader_names():
        reader = READERS.get(name)
        needs = f" (needs {reader.requires})" if reader.requires else ""
        console.print(f"[bold]{name}[/bold]: {reader.formats}{needs}", highlight=False)
        for module, command in missing_dependencies(reader):
            console.print(f"    [yellow]not installed:[/yellow] {module}; install with `{command}`", highlight=False)


@app.command(name="inspect")
def inspect_command(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Dataset folders or files."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the config here instead of printing it."),
) -> None:
    """Recognise the layout of each PATH and print a ready-to-run YAML config for `medtrinity run`."""
    from medtrinity.inspect import render

    text, found = render(paths)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"config written to {out}" + ("" if found else " (no source recognised)"))
    else:
        print(text, end="")
    if not found:
        raise typer.Exit(1)


@app.command(name="verify")
def verify_command(
    out: Path = typer.Argument(..., help="A run's output folder (its triplets/ are re-checked)."),
    on_contradiction: str | None = typer.Option(None, "--on-contradiction",
                                                help="flag or reject (default: the run's setting)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; rewrite nothing."),
    show: int = typer.Option(50, "--show", min=0, help="How many flagged rows to list."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any row is flagged or rejected."),
) -> None:
    """Re-run the faithfulness verifier over written shards (for edited, imported or external descriptions)."""
    from medtrinity.quality.verify_dir import verify_folder

    try:
        report = verify_folder(out, on_contradiction, dry_run=dry_run)
    except (FileNotFoundError, ValueError) as error:
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


@app.command()
def version() -> None:
    """Print the package version."""
    import medtrinity

    console.print(medtrinity.__version__)


_mount_knowledge_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
