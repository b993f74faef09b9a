"""``medtrinity vqa``: generate question-answer pairs from a run's measured facts, score predictions, export."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

vqa_app = typer.Typer(no_args_is_help=True, help="VQA pairs from measured facts; the field's VQA scorer.")


def _fail(error: Exception) -> None:
    errors.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
    raise typer.Exit(2) from error


def _load_options(text: str | None) -> dict:
    if not text:
        return {}
    path = Path(text)
    try:
        if path.is_file():
            import yaml

            return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return json.loads(text)
    except Exception as error:
        raise ValueError(f"--rephrase-options {text!r}: neither a YAML/JSON file nor a JSON object "
                         f"({error})") from error


def _write_jsonl(path: Path, records: Iterable[dict]) -> dict[str, int]:
    """Write records as JSON lines as they come (atomically: the file appears only once all are written);
    returns the tallies the summary line prints: records, closed, yes, and rows (records of a row adjoin)."""
    from medtrinity.io.atomic import write_atomic

    tally = {"records": 0, "closed": 0, "yes": 0, "rows": 0}

    def write(target: Path) -> None:
        last_row = None
        with open(target, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                tally["records"] += 1
                if record.get("answer_type") == "CLOSED":
                    tally["closed"] += 1
                    tally["yes"] += record.get("answer") == "yes"
                if record.get("row_id") != last_row:
                    tally["rows"] += 1
                    last_row = record.get("row_id")

    write_atomic(path, write)
    return tally


@vqa_app.command()
def generate(
    run: Path = typer.Argument(..., help="A run's output folder (its triplets/ are read)."),
    out: Path = typer.Option(..., "--out", "-o", help="Question file to write (JSON lines)."),
    seed: int = typer.Option(0, "--seed", help="Changes which wording each question gets."),
    rephrase_backend: str | None = typer.Option(None, "--rephrase-backend",
                                                help="Rephrase questions through this model backend (openai, "
                                                     "vllm); each rephrasing is checked, failures keep the "
                                                     "template wording."),
    rephrase_options: str | None = typer.Option(None, "--rephrase-options",
                                                help="The backend's options: a JSON object or a YAML file "
                                                     "(e.g. base_url, model)."),
) -> None:
    """Question-answer pairs from each row's measured facts (not its text), yes/no balanced."""
    from medtrinity.evaluation.questions import iter_questions
    from medtrinity.evaluation.rephrase import rephrase_stream
    from medtrinity.evaluation.row_facts import iter_rows

    counts: dict[str, int] | None = None
    try:  # rows stream from the parts to the file a batch at a time: memory does not grow with the run
        records = iter_questions(iter_rows(run), seed)
        if rephrase_backend:
            counts = {}
            records = rephrase_stream(records, rephrase_backend, _load_options(rephrase_options), run, counts)
        tally = _write_jsonl(out, records)
    except (FileNotFoundError, ValueError) as error:
        _fail(error)
    console.print(f"{tally['records']} questions ({tally['records'] - tally['closed']} open, {tally['closed']} "
                  f"closed, {100 * tally['yes'] / max(tally['closed'], 1):.1f}% yes) from {tally['rows']} rows "
                  f"written to {out}", highlight=False)
    if counts is not None:
        console.print("rephrasing: " + ", ".join(f"{k} {v}" for k, v in counts.items()), highlight=False)


@vqa_app.command(name="export")
def export_command(
    run: Path = typer.Argument(..., help="A run's output folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for vqa_llava.json and images/."),
    export_format: str = typer.Option("llava", "--format", help="Only llava for now."),
    pairs: Path | None = typer.Option(None, "--pairs", help="Use this vqa generate file (e.g. rephrased) instead "
                                                             "of generating afresh."),
    seed: int = typer.Option(0, "--seed", help="Wording seed when generating afresh."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing export folder."),
) -> None:
    """The VQA pairs as LLaVA conversations (multi-turn per image) with the images and a manifest."""
    from medtrinity.evaluation.benchmarks import BenchmarkError, read_jsonl
    from medtrinity.evaluation.llava_export import export_llava
    from medtrinity.evaluation.questions import iter_questions
    from medtrinity.evaluation.row_facts import iter_rows

    if export_format != "llava":
        _fail(ValueError(f"--format {export_format!r}: only 'llava' is supported"))
    try:
        records = read_jsonl(pairs) if pairs else iter_questions(iter_rows(run), seed)
        counts = export_llava(run, records, out, overwrite=overwrite)
    except (FileNotFoundError, FileExistsError, ValueError, BenchmarkError) as error:
        _fail(error)
    console.print(f"{counts['conversations']} conversations, {counts['turns']} question turns, "
                  f"{counts['images']} images written to {out}", highlight=False)


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
