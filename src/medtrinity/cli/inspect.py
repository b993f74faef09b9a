"""``medtrinity inspect``: recognise dataset layouts and write a ready config."""

from __future__ import annotations

from pathlib import Path

import typer

from medtrinity.cli.common import console

app = typer.Typer()


@app.command(name="inspect")
def inspect_command(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Dataset folders or files."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the config here instead of printing it."),
    recipe: str | None = typer.Option(None, "--recipe", "-r",
                                      help="Use this dataset recipe for every PATH (see `medtrinity recipes`)."),
) -> None:
    """Recognise the layout of each PATH and print a ready-to-run YAML config for `medtrinity run`."""
    from medtrinity.cli.common import errors
    from medtrinity.inspect import render

    try:
        text, found = render(paths, recipe=recipe)
    except KeyError as error:
        errors.print(str(error.args[0]), highlight=False)
        raise typer.Exit(2) from error
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"config written to {out}" + ("" if found else " (no source recognised)"))
    else:
        print(text, end="")
    if not found:
        raise typer.Exit(1)
