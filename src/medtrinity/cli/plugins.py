"""``medtrinity plugins`` (every plugin with its options and whether its dependencies are installed) and
``medtrinity readers`` (the readers and the formats they accept)."""

from __future__ import annotations

import re
import sys

import typer
from rich.markup import escape

from medtrinity.cli.common import console

app = typer.Typer()


def _type_name(annotation) -> str:
    """A readable type: ``int``, ``tuple[float>0, float>0] | None``, ``Literal['stem', 'parent']``."""
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation).replace("typing.", "")
    return re.sub(r"Annotated\[(\w+), Gt\(gt=0\)\]", r"\1>0", text)


def _option_lines(model) -> list[str]:
    """One line per option: name, type and default (``required`` where there is none)."""
    lines = []
    for name, field in model.model_fields.items():
        annotation = _type_name(field.annotation)
        default = "required" if field.is_required() else f"default {field.get_default(call_default_factory=True)!r}"
        lines.append(f"{name}: {annotation} ({default})")
    return lines


def _summary(plugin) -> str:
    """The first line of the plugin's docstring, or of its module's where the class has none of its own."""
    doc = (plugin.__doc__ or "").strip()
    if not doc or doc.startswith("Options"):
        doc = (sys.modules[plugin.__module__].__doc__ or "").strip()
    return next(iter(doc.splitlines()), "")


def plugin_report(kind: str) -> list[dict]:
    """Every plugin of one kind: name, summary, options and which dependencies are missing (with install commands)."""
    from medtrinity.registry import missing_dependencies, registry

    plugins = registry(kind)
    report = []
    for name in plugins.names():
        plugin = plugins.get(name)
        summary = getattr(plugin, "formats", "") or _summary(plugin)
        report.append({
            "name": name,
            "summary": summary,
            "options": _option_lines(plugins.options_model(name)),
            "dependencies": [module for module, _ in getattr(plugin, "dependencies", ())],
            "missing": missing_dependencies(plugin),
        })
    return report


@app.command()
def plugins() -> None:
    """List readers, experts, backends and executors with their options and whether their extras are installed."""
    from medtrinity.registry import KINDS

    for kind in KINDS:
        console.print(f"[bold underline]{kind}[/bold underline]")
        for entry in plugin_report(kind):
            if entry["missing"]:
                state = "[yellow]not installed:[/yellow] " + "; ".join(
                    f"{escape(module)} (`{escape(command)}`)" for module, command in entry["missing"])
            else:
                state = "[green]installed[/green]"
            console.print(f"  [bold]{entry['name']}[/bold]: {escape(entry['summary'])} - {state}", highlight=False)
            for line in entry["options"] or ["(no options)"]:
                console.print(f"      {escape(line)}", highlight=False)


@app.command()
def readers() -> None:
    """List the readers with the formats they accept and what they need."""
    for entry in plugin_report("readers"):
        needs = f" (needs {', '.join(entry['dependencies'])})" if entry["dependencies"] else ""
        console.print(f"[bold]{entry['name']}[/bold]: {escape(entry['summary'])}{needs}", highlight=False)
        for module, command in entry["missing"]:
            console.print(f"    [yellow]not installed:[/yellow] {module}; install with `{escape(command)}`",
                          highlight=False)
