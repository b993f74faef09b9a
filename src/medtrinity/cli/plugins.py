"""``medtrinity readers``: the registered readers, their formats and what they need."""

from __future__ import annotations

import typer

from medtrinity.cli.common import console

app = typer.Typer()


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
