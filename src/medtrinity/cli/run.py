"""``medtrinity run``, ``demo`` and ``status``: run a YAML pipeline, the demo, and tell a run's state."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from medtrinity.cli.common import console, errors
from medtrinity.config import ConfigError, RunConfig, load_config
from medtrinity.config_check import check_config
from medtrinity.io.remote import is_remote
from medtrinity.run_lock import RunLockedError
from medtrinity.runner import OutputFolderError, RunSummary, run_pipeline, run_status

app = typer.Typer()  # commands are mounted on the root app by medtrinity.cli


class ExecutorName(StrEnum):
    local = "local"
    ray = "ray"


def _execute(config: RunConfig, out: Path | str, executor: ExecutorName, workers: int, ray_address: str | None,
             overwrite: bool, quiet: bool, work_dir: Path | None = None) -> RunSummary:
    from medtrinity.progress import RunProgress, summary_table

    options = {"executor": executor.value, "workers": workers, "ray_address": ray_address, "overwrite": overwrite}
    if is_remote(str(out)):  # an object-store prefix: run in a local working folder, push as shards finish
        from medtrinity.remote_run import run_to_url

        def start(**progress):
            return run_to_url(config, str(out), work_dir=work_dir, **options, **progress)
    else:
        def start(**progress):
            return run_pipeline(config, Path(out), **options, **progress)
    try:
        if quiet:
            summary = start()
        else:
            with RunProgress(console) as progress:
                summary = start(on_plan=progress.on_plan, on_shard_done=progress.on_shard_done)
    except (ConfigError, OutputFolderError, RunLockedError) as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    stats = json.loads((summary.out_dir / "stats.json").read_text(encoding="utf-8"))
    if not quiet:
        console.print(summary_table(summary, stats))
    where = f"{out} (working copy {summary.out_dir})" if is_remote(str(out)) else summary.out_dir
    console.print(
        f"{summary.triplets} triplets and {summary.rejects} rejects in {where} "
        f"({summary.shards_run} shards run, {summary.shards_skipped} already done, "
        f"{len(summary.failed)} failed, {summary.seconds:.1f} s)"
    )
    if summary.reasons:
        console.print("reject reasons: " + ", ".join(f"{code} {count}" for code, count in summary.reasons.items()))
    for problem in summary.redone_changed:
        errors.print(f"redone: {problem}", markup=False, highlight=False)
    return summary


WORKERS = typer.Option(1, "--workers", "-w", min=1, help="Parallel shard workers (processes or Ray tasks).")
EXECUTOR = typer.Option(ExecutorName.local, "--executor", "-e", help="Where shards run.")
RAY_ADDRESS = typer.Option(None, "--ray-address", help="Join this Ray cluster instead of starting a local one.")


@app.command()
def run(
    config_path: Path = typer.Argument(..., metavar="CONFIG.yaml", help="Pipeline config."),
    out: str = typer.Option(..., "--out", "-o", help="Output folder or s3:// / gs:// prefix (a re-run resumes it)."),
    executor: ExecutorName = EXECUTOR,
    workers: int = WORKERS,
    ray_address: str | None = RAY_ADDRESS,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a run made with another config."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    allow_placeholders: bool = typer.Option(
        False, "--allow-placeholders", help="Run even where a modality or label name is a placeholder."),
    work_dir: Path | None = typer.Option(
        None, "--work-dir", help="With an s3:// or gs:// --out: the local working folder (shared by all nodes "
        "with Ray on several nodes); default under MEDTRINITY_REMOTE_CACHE."),
) -> None:
    """Run the pipeline described by CONFIG.yaml into --out; resumes where a killed run stopped."""
    from medtrinity.quality.placeholders import placeholder_problems

    try:
        config = load_config(config_path)
        check_config(config)  # names and paths against the installed plugins and the disk, before any write
    except ConfigError as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    problems = placeholder_problems(config)
    if problems and not allow_placeholders:
        for problem in problems:
            errors.print(f"[red]error:[/red] {config_path}: {problem}")
        errors.print("fix the config, or pass --allow-placeholders to run anyway")
        raise typer.Exit(2)
    summary = _execute(config, out, executor, workers, ray_address, overwrite, quiet, work_dir)
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
    from medtrinity.run_folder import read_parquet_folder

    out = out.resolve()
    config = demo_config(out)
    console.print(f"demo sources: {', '.join(source.name for source in config.sources)}")
    summary = _execute(config, out, executor, workers, ray_address, True, quiet)
    table = read_parquet_folder(out / "triplets")
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
def status(out: str = typer.Argument(..., help="A run's output folder, or its s3:// / gs:// prefix.")) -> None:
    """Tell what a run has done, what is left and what failed (a folder, or a prefix in an object store)."""
    remote = is_remote(out)
    try:
        if remote:  # read from the store: plan, markers and journals; parts only listed, never downloaded
            from medtrinity.remote_status import remote_run_status

            info = remote_run_status(out)
        else:
            info = run_status(Path(out))
    except (FileNotFoundError, ConnectionError, ImportError, ValueError) as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from error
    state = "complete" if info["shards_left"] == 0 else "incomplete"
    console.print(f"{info['out_dir']}: {state}, {info['shards_done']}/{info['shards_total']} shards done, "
                  f"{info['shards_left']} left, {len(info['failed'])} failed", markup=False, highlight=False)
    manifest = "written" if info["manifest"] else "not written"
    console.print(f"{info['triplets']} triplets, {info['rejects']} rejects; manifest {manifest}")
    for code, count in info["reject_reasons"].items():
        console.print(f"  reject reason {code}: {count}")
    for index, error in info["failed"].items():
        console.print(f"  [red]failed shard {index}:[/red] {escape(str(error))}")
    for shard in info["left"][:20]:
        console.print(f"  left: shard {shard['index']} of source {shard['source']} ({shard['items']} items)")
    if len(info["left"]) > 20:
        console.print(f"  ... and {len(info['left']) - 20} more shards left")
    if info["running"]:
        owner = info["running"]
        console.print(f"  running now: pid {owner.get('pid')} on {owner.get('host')}", highlight=False)
    if remote:
        console.print(f"  checked in the store: presence and size of the run's files ({info['objects']} objects); "
                      f"checksums: medtrinity verify {info['out_dir']}", markup=False, highlight=False)
    for problem in info["integrity"]:
        errors.print(f"changed: {problem}", markup=False, highlight=False)
    if info["integrity"]:
        against = "the manifest" if info["manifest"] else "what their shards recorded (no manifest yet)"
        where = "the prefix" if remote else "the folder"
        errors.print(f"error: {len(info['integrity'])} output file(s) differ from {against}; {where} was "
                     "modified after the run wrote it", markup=False)
        raise typer.Exit(1)
