"""Terminal progress for a run: a bar for shards and one per stage, then a summary table."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from medtrinity.executors import ShardOutcome
from medtrinity.pipeline import ShardSpec
from medtrinity.runner import RunSummary


class RunProgress:
    """Rich progress bars fed by the runner's callbacks. Stage bars count samples against samples read."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self.shard_task = None
        self.stage_tasks: dict[str, int] = {}
        self.samples_read = 0

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def on_plan(self, specs: list[ShardSpec], already_done: int) -> None:
        self.shard_task = self.progress.add_task("shards", total=len(specs), completed=already_done)

    def on_shard_done(self, outcome: ShardOutcome) -> None:
        self.progress.advance(self.shard_task)
        if outcome.result is None:
            self.console.print(f"[red]shard {outcome.index} failed:[/red] {outcome.error}")
            return
        stages = outcome.result["stages"]
        self.samples_read += stages.get("read", {}).get("in", 0)
        for stage in outcome.result.get("stage_order", stages):
            if stage not in self.stage_tasks:
                self.stage_tasks[stage] = self.progress.add_task(stage, total=0)
        for stage, task in self.stage_tasks.items():
            self.progress.update(task, total=self.samples_read, advance=stages.get(stage, {}).get("in", 0))


def summary_table(summary: RunSummary, stats: dict) -> Table:
    table = Table(title=f"medtrinity run: {summary.out_dir}")
    for column in ("stage", "in", "out", "rejected", "seconds"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage in stats.get("stage_order", stats["stages"]):
        values = stats["stages"][stage]
        if values:
            table.add_row(stage, str(values["in"]), str(values["out"]), str(values["rejected"]),
                          f"{values['seconds']:.2f}")
    return table
