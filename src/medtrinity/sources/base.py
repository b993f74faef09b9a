"""The reader interface: list the items of a source, then read each item into Samples.

An item is the unit a reader opens at once (a volume, a 2D file). The planner groups items
into shards. A reader raises :class:`~medtrinity.records.SampleError` for a bad item; the
shard runner turns it into a reject and goes on.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import PositiveFloat

from medtrinity.config import RunConfig, SourceConfig
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, Registry, missing_dependencies, registry, validate_options
from medtrinity.sources.layout import LayoutMatch
from medtrinity.sources.safety import (
    is_reject_item,
    pattern_root,
    raise_reject_item,
    relative_key,
    safe_glob,
    unique_files,
)
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
    reads_files: ClassVar[bool] = True  # False: ``path`` is only a name (generated data); config checks skip it
    # (import name, install command) of the packages this reader imports when it runs
    dependencies: ClassVar[tuple[tuple[str, str], ...]] = ()
    # `medtrinity inspect`: readers whose looks_like says yes are tried highest score first (sources.layout);
    # a whole-file layout (an HDF5, a slide) makes each such file in a folder a source of its own
    inspect_priority: ClassVar[int] = 0
    whole_file: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs) -> None:
        """Every reader's ``read`` turns a reject item from planning into its SampleError (see sources.safety)."""
        super().__init_subclass__(**kwargs)
        if "read" in cls.__dict__ and not getattr(cls.__dict__["read"], "_reads_reject_items", False):
            cls.read = _reading_reject_items(cls.__dict__["read"])

    def __init__(self, source: SourceConfig, config: RunConfig):
        self.source = source
        self.config = config
        self.options = validate_options(type(self).Options, source.options, f"source {source.name!r} options")

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """Whether a file or folder looks like this reader's layout, judged from names and a few header bytes
        (never pixels, never a whole table): a :class:`LayoutMatch` with its score, or None. Default: never (a
        reader that only runs when a config names it, such as a generator)."""
        return None

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

    def item_key(self, path: str | Path) -> str:
        """The file's path relative to the source's root folder: ids built from it never collide for
        same-named files in different folders."""
        return relative_key(pattern_root(self.source.path), path)

    def label_names(self) -> dict[int, str]:
        """Label value -> readable name, from the config and the optional label-map JSON."""
        names: dict[int, str] = {}
        if self.source.label_map:
            names.update(load_label_map(self.source.label_map))
        names.update(self.source.label_names)
        return {int(value): readable_label(name) for value, name in names.items()}


def _reading_reject_items(read):
    @functools.wraps(read)
    def wrapper(self, item: str) -> Iterator[Sample]:
        if is_reject_item(item):
            raise_reject_item(item)
        return read(self, item)

    wrapper._reads_reject_items = True
    return wrapper


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
    """A file, a folder (its files with the given suffixes) or a glob -> sorted file paths.

    Globs never enter linked folders (a link loop cannot hang planning) and a file reached twice
    through links is listed once.
    """
    path = Path(pattern)
    if path.is_file():
        return [str(path)]
    if path.is_dir():
        found = [p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(suffixes)]
        return unique_files(sorted(str(p) for p in found))
    matches = safe_glob(pattern)
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
