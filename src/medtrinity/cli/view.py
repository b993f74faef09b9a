"""``medtrinity view``: browse, filter and review a run in the browser (a local server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import typer

from medtrinity.cli.common import console, errors

app = typer.Typer()


@app.command(name="view")
def view_command(
    run: Path = typer.Argument(..., help="A run's output folder."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Address to bind. The default keeps the viewer on this machine; the viewer has "
                                  "no login, so bind elsewhere only on a trusted network."),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Name recorded with review decisions "
                                                                   "(default: the login name)."),
) -> None:
    """Serve the viewer: images with ROI overlays, sentence-to-ROI links, accept / reject / edit."""
    try:
        import uvicorn

        from medtrinity.viewer.app import create_app
    except ImportError as error:
        errors.print(f"[red]error:[/red] the viewer needs the 'viewer' extra ({error}): "
                     "pip install 'medtrinity[viewer]'", highlight=False)
        raise typer.Exit(2) from error
    from medtrinity.export.run_rows import RunFolderError

    try:
        application = create_app(run, reviewer)
    except RunFolderError as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from error
    console.print(f"viewing {run} at http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning")
