"""The reader interface: list the items of a source, then read each item into Samples.

An item is the unit a reader opens at once (a volume, a 2D file). The planner groups items
into shards. A reader raises :class:`~medtrinity.records.SampleError` for a bad item; the
shard runner turns it into a reject and goes on.
"""

from __future__ import annotations

import glob
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import PositiveFloat

from medtrinity.config import RunConfig, SourceConfig
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, Registry, missing_dependencies, registry, validate_options
from medtrinity.vocab.labels import readable_label

READERS: Registry[type[Reader]] = registry("readers")

__all__ = ["READERS", "Image2DOptions", "Reader", "missing_dependencies"]


class Image2DOptions(PluginOptions):
    """Options every 2D reader takes: pixel size when the files do not say it, and the plane they show."""

    spacing_mm: tuple[PositiveFloat, PositiveFloat] | None = None
    plane: Literal["axial", "coronal", "sagittal", "projection", "unknown"] = "unknown"
    modality_from_name: bool = False  # take each file's modality from its name (SAM-Med2D ct_/mr_ prefixes)


class Reader(ABC):
    """Opens one kind of input and yields 2D Samples.

    A reader class declares ``Options`` (its options model; the config is checked against it when it
    is loaded) and ``dependencies`` ((import name, install command) of what it imports beyond the core).
    """

    Options: ClassVar[type[PluginOptions]]
    formats: ClassVar[str] = ""
    volumetric: ClassVar[bool] = False
    dependencies: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, source: SourceConfig, config: RunConfig):
        self.source = source
        self.config = config
        self.options = validate_options(type(self).Options, source.options, f"source {source.name!r} options")

    @classmethod
    def source_problems(cls, source: SourceConfig) -> list[str]:
        """What the source config lacks for this reader, as ``<field>: <problem>`` lines (none by default)."""
        return []

    @abstractmethod
    def list_items(self) -> list[str]:
        """Every item of the source, sorted, so that planning is deterministic."""

    @abstractmethod
    def read(self, item: str) -> Iterator[Sample]:
        """Yield the samples of one item; raise SampleError when the item is unusable."""

    def items_per_shard(self) -> int:
        return 1 if self.volumetric else self.source.files_per_shard

    def label_names(self) -> dict[int, str]:
        """Label value -> readable name, from the config and the optional label-map JSON."""
        names: dict[int, str] = {}
        if self.source.label_map:
            names.update(load_label_map(self.source.label_map))
        names.update(self.source.label_names)
        return {int(value): readable_label(name) for value, name in names.items()}


def load_label_map(path: str) -> dict[int, str]:
    """Read a JSON label map ``{"1": "spleen", ...}`` (value -> name; name -> value is accepted too)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"label map {path!r} is unreadable: {error}") from error
    if isinstance(raw, dict) and "labels" in raw and isinstance(raw["labels"], dict):
        raw = raw["labels"]
    if not isinstance(raw, dict):
        raise ValueError(f"label map {path!r} must be a JSON object, got {type(raw).__name__}")
    names: dict[int, str] = {}
    for key, value in raw.items():
        if str(key).lstrip("-").isdigit():
            names[int(key)] = str(value)
        elif isinstance(value, int) or str(value).lstrip("-").isdigit():
            names[int(value)] = str(key)
        else:
            raise ValueError(f"label map {path!r}: entry {key!r}: {value!r} has no integer value")
    return names


def expand_paths(pattern: str, suffixes: tuple[str, ...]) -> list[str]:
    """A file, a folder (its files with the given suffixes) or a glob -> sorted file paths."""
    path = Path(pattern)
    if path.is_file():
        return [str(path)]
    if path.is_dir():
        found = [p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(suffixes)]
        return sorted(str(p) for p in found)
    matches = sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not matches:
        raise FileNotFoundError(f"no input matches {pattern!r}")
    return matches


def strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    lowered = name.lower()
    for suffix in sorted(suffixes, key=len, reverse=True):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_failure(path: str, error: Exception) -> SampleError:
    """Wrap a library's exception into a reject that names the file and the problem."""
    return SampleError("unreadable_file", f"{path}: {type(error).__name__}: {error}")
