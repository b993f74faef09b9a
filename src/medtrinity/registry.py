"""Plugins registered by name: readers, executors, description backends.

One mechanism for every kind of plugin: a decorator registers a class under a name, and
third-party packages add more through the entry-point group ``medtrinity.<kind>``. Asking for
an unknown name fails with the names that exist; a plugin whose optional dependency is missing
fails with the command that installs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class MissingDependencyError(ImportError):
    """An optional dependency of a plugin is not installed; the message carries the install command."""


def require(module: str, install: str, *, purpose: str):
    """Import ``module`` or fail with the pip command that installs it (no silent fallback)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"{purpose} needs the Python package '{module}', which is not installed: run `{install}`"
        ) from error


class Registry(Generic[T]):
    """Name -> plugin class, filled by the ``register`` decorator and by entry points."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            return item

        return decorate

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry in entry_points(group=f"medtrinity.{self.kind}"):
            if entry.name not in self._items:
                self._items[entry.name] = entry.load()

    def get(self, name: str) -> T:
        if name not in self._items:
            self._load_entry_points()
        if name not in self._items:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"unknown {self.kind} {name!r}; known: {known}")
        return self._items[name]

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)
