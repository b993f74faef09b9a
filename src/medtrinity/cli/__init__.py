"""The ``medtrinity`` command. One module per command group; each defines a ``typer.Typer`` named ``app``
whose commands are mounted on the root here, so adding a group is one line in ``COMMAND_MODULES``."""

from __future__ import annotations

import importlib

import typer

import medtrinity
from medtrinity.cli.common import console

# modules whose ``app`` commands become top-level commands
COMMAND_MODULES = (
    "medtrinity.cli.run",
    "medtrinity.cli.inspect",
    "medtrinity.cli.verify",
    "medtrinity.cli.plugins",
    "medtrinity.cli.recipes",
    "medtrinity.cli.export",
    "medtrinity.cli.report",
    "medtrinity.cli.view",
    "medtrinity.cli.leakage",
)
# (module, attribute, name, help): sub-command groups such as ``medtrinity kb query``
GROUP_MODULES = (
    ("medtrinity.knowledge.cli", "kb_app", "kb", "Build, query and inspect knowledge bases."),
    ("medtrinity.cli.vqa", "vqa_app", "vqa", "VQA pairs from measured facts, the VQA scorer, LLaVA export."),
)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build image - ROI - description triplets from medical images.")


def _mount() -> None:
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.app.registered_commands:
            app.registered_commands.append(command)
    for module_name, attribute, name, help_text in GROUP_MODULES:
        group = getattr(importlib.import_module(module_name), attribute)
        app.add_typer(group, name=name, help=help_text)


@app.command()
def version() -> None:
    """Print the package version."""
    console.print(medtrinity.__version__)


_mount()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
