"""The description backend interface and its registry (composer offline; model servers later)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from medtrinity.records import Description, Sample
from medtrinity.registry import Registry

BACKENDS: Registry[type[DescriptionBackend]] = Registry("backends")


class DescriptionBackend(ABC):
    """Writes the five-section description of one grounded sample."""

    name: str = ""

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = dict(options or {})

    @abstractmethod
    def describe(self, sample: Sample) -> Description:
        """Return the description; raise SampleError when the sample cannot be described."""


def make_backend(name: str, options: dict[str, Any] | None = None) -> DescriptionBackend:
    """Instantiate a registered backend by name (``composer`` is built in)."""
    import medtrinity.generation.composer  # noqa: F401  registers the built-in backend

    return BACKENDS.get(name)(options)
