"""What every command module shares: the consoles for results and for errors."""

from __future__ import annotations

from rich.console import Console

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
