"""Readers, one per input format, registered by name."""

from __future__ import annotations

from medtrinity.config import RunConfig, SourceConfig
from medtrinity.preprocess.dedup import DuplicateFilter, filter_duplicates
from medtrinity.sources.base import READERS, Reader

_BUILT_IN = (
    "nifti",
    "sitk_volume",
    "image_masks",
    "dicom_files",
    "dicom_series",
    "class_masks",
    "classification",
    "detection",
    "nnunet",
    "arrays",
    "wsi",
    "phantom",
)


def _register_built_ins() -> None:
    import importlib

    for module in _BUILT_IN:
        importlib.import_module(f"medtrinity.sources.{module}")


def make_reader(source: SourceConfig, config: RunConfig) -> Reader:
    """The reader named by the source config, ready to list and read its items."""
    _register_built_ins()
    reader = READERS.get(source.reader)(source, config)
    mode = config.preprocess.duplicates
    if mode != "keep":  # one filter per reader instance: the runner makes one reader per shard
        near = config.preprocess.near_duplicate_bits if mode == "near" and not reader.volumetric else None
        reader.read = filter_duplicates(reader.read, DuplicateFilter(near))  # type: ignore[method-assign]
    return reader


def reader_names() -> list[str]:
    _register_built_ins()
    return READERS.names()
