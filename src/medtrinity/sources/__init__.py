"""Readers, one per input format, registered by name (the built-in ones are listed in :mod:`medtrinity.registry`)."""

from __future__ import annotations

from medtrinity.config import RunConfig, SourceConfig
from medtrinity.io.remote import staged_source
from medtrinity.sources.base import READERS, Reader


def make_reader(source: SourceConfig, config: RunConfig) -> Reader:
    """The reader named by the source config, ready to list and read its items (object-store URLs in
    the source are mirrored to local files first, on this node)."""
    return READERS.get(source.reader)(staged_source(source), config)


def reader_names() -> list[str]:
    """Every registered reader, built-in and from entry points."""
    return READERS.names()
