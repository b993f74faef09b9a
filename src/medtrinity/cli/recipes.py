"""``medtrinity recipes``: the ready configs shipped for public datasets, and one recipe in full."""

from __future__ import annotations

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command()
def recipes(
    name: str | None = typer.Argument(None, help="Show this recipe in full (layout, labels, licence, download)."),
) -> None:
    """List the dataset recipes (`medtrinity inspect` recognises their layouts; `--recipe NAME` forces one)."""
    from medtrinity.recipes import all_recipes, get_recipe

    if name is not None:
        try:
            recipe = get_recipe(name)
        except KeyError as error:
            errors.print(str(error.args[0]), highlight=False)
            raise typer.Exit(2) from error
        _show(recipe)
        return
    for recipe in all_recipes():
        labels = len(recipe.labels) or len(recipe.image_labels)
        console.print(f"[bold]{recipe.name}[/bold]: {recipe.title} - {recipe.modality}"
                      f"{', ' + recipe.body_part if recipe.body_part else ''}; reader {recipe.source['reader']}; "
                      f"{labels or 'named-by-files'} labels; licence {recipe.licence}", highlight=False)
    console.print(f"{len(all_recipes())} recipes. `medtrinity recipes NAME` shows one in full.", highlight=False)


def _show(recipe) -> None:
    import yaml

    lines = [f"{recipe.title} ({recipe.name})", f"modality: {recipe.modality}", f"body part: {recipe.body_part or '-'}",
             f"layout: {recipe.layout}", f"recognised by: {', '.join(recipe.match)}"
             + (f" in a folder named {' or '.join(recipe.folder)}" if recipe.folder else ""),
             f"labels: {dict(recipe.labels) or list(recipe.image_labels) or 'named by the files'}",
             f"findings: {list(recipe.findings) or 'none (anatomy only)'}", f"licence: {recipe.licence}",
             f"citation: {recipe.citation}", f"download by hand: {recipe.download}"]
    if recipe.notes:
        lines.append(f"notes: {recipe.notes}")
    lines.append("source config ({root} = the dataset folder):")
    lines.append(yaml.safe_dump(recipe.source, sort_keys=False).rstrip())
    console.print("\n".join(lines), highlight=False, markup=False)
