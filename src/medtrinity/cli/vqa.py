"""``medtrinity vqa``: generate question-answer pairs from a run's measured facts, score predictions, export."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

vqa_app = typer.Typer(no_args_is_help=True, help="VQA pairs from measured facts; the field's VQA scorer.")


def _fail(error: Exception) -> None:
    errors.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
    raise typer.Exit(2) from error


@vqa_app.command()
def score(
    pred: Path = typer.Option(..., "--pred", help="Predictions: JSON lines with question_id and text (LLaVA-Med)."),
    gt: Path = typer.Option(..., "--gt", help="Ground truth: VQA-RAD testset.json, SLAKE test.json, PathVQA "
                                                "parquet (file or folder), a LLaVA-Med test.json, or vqa generate "
                                                "JSONL."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (percentages)."),
    kind: str | None = typer.Option(None, "--kind", help="Force the format: vqa_rad, slake, pathvqa, llava, "
                                                           "medtrinity."),
    ids: str = typer.Option("auto", "--ids", help="Prediction ids: native (VQA-RAD qid-1, SLAKE qid), position "
                                                   "(0-based), or auto."),
    language: str = typer.Option("en", "--lang", help="SLAKE: keep questions in this q_lang ('all' keeps all)."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Score questions without a prediction "
                                                                      "as wrong instead of failing."),
) -> None:
    """Open recall and closed accuracy as LLaVA-Med reports them, with exact match and token F1 per answer type."""
    from medtrinity.evaluation.benchmarks import BenchmarkError, load_benchmark, load_predictions, match_id_scheme
    from medtrinity.evaluation.scoring import score_predictions

    try:
        benchmark = load_benchmark(gt, kind, None if language == "all" else language)
        predictions = load_predictions(pred)
        scheme = match_id_scheme(benchmark, predictions, ids)
        report = score_predictions(benchmark.truths(scheme), predictions, allow_missing,
                                   meta={"benchmark": benchmark.kind, "id_scheme": scheme})
    except (BenchmarkError, ValueError) as error:
        _fail(error)
    summary = report.summary()
    if as_json:
        print(json.dumps(summary, sort_keys=True))
        return
    console.print(f"{summary['benchmark']}: {summary['questions']} questions ({summary['open_questions']} open, "
                  f"{summary['closed_questions']} closed), ids {scheme}, "
                  f"{summary['missing_predictions']} without prediction", highlight=False)
    lines = [("open recall (LLaVA-Med)", summary["open_recall"]),
             ("closed accuracy (LLaVA-Med)", summary["closed_accuracy"]),
             ("closed accuracy, yes/no only", summary["closed_yes_no_accuracy"]),
             ("open substring hit", summary["open_substring_accuracy"])]
    for answer_type in ("OPEN", "CLOSED", "all"):
        lines.append((f"exact match {answer_type}", summary["exact_match"][answer_type]))
        lines.append((f"token F1 {answer_type}", summary["token_f1"][answer_type]))
    for name, value in lines:
        console.print(f"  {name:<30} {'-' if value is None else f'{value:6.2f}'}", highlight=False)
