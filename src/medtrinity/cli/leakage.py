"""``medtrinity leakage``: which rows of a run show images of evaluation sets (benchmark leakage audit)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command()
def leakage(
    run: Path = typer.Argument(..., help="A run's output folder."),
    against: list[str] = typer.Option(..., "--against", help="Evaluation set: VQA-RAD testset.json, SLAKE "
                                                             "test.json, PathVQA parquet, an image folder or file "
                                                             "(repeat the option, or list more after it)."),
    more: list[str] | None = typer.Argument(None, metavar="[PATH]...", help="More evaluation sets."),
    phash_bits: int = typer.Option(4, "--phash-bits", min=0, max=32, help="Perceptual-hash match: at most this "
                                                                          "many differing bits of 64."),
    min_similarity: float = typer.Option(0.90, "--min-similarity", min=0.0, max=1.0,
                                         help="Embedding match: cosine similarity at least this."),
    no_embedding: bool = typer.Option(False, "--no-embedding", help="Skip the embedding check."),
    as_json: bool = typer.Option(False, "--json", help="Print the report (also written to RUN/leakage.json)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any row matches an evaluation image."),
) -> None:
    """Exact, perceptual-hash and embedding overlap between a run and evaluation sets; writes RUN/leakage.json."""
    from medtrinity.evaluation.benchmarks import BenchmarkError
    from medtrinity.evaluation.leakage import REPORT_NAME, audit_run

    try:
        report = audit_run(run, [*against, *(more or [])], phash_bits, min_similarity, not no_embedding)
    except (FileNotFoundError, ValueError, BenchmarkError) as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from error
    if as_json:
        print(json.dumps(report, sort_keys=True))
    else:
        console.print(f"{report['rows']} rows of {run} checked; embedding check: {report['settings']['embedding']}",
                      highlight=False)
        console.print(f"{'evaluation set':<34}{'images':>8}{'exact':>8}{'phash':>8}{'embed':>8}{'rows':>8}"
                      f"{'images found':>14}", highlight=False)
        for entry in report["sets"]:
            matched = entry["rows_matched"]
            console.print(f"{entry['set'][:33]:<34}{entry['images']:>8}{matched['exact']:>8}{matched['phash']:>8}"
                          f"{matched['embedding']:>8}{matched['any']:>8}{entry['evaluation_images_found']:>14}",
                          highlight=False, markup=False)
        console.print(f"report written to {Path(run) / REPORT_NAME}", highlight=False)
    if strict and any(entry["rows_matched"]["any"] for entry in report["sets"]):
        raise typer.Exit(1)
