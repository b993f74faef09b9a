"""Readers, one per input format, registered by name."""

from __future__ import annotations

from medtrinity.config import RunConfig, SourceConfig
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
    "bids",
)


def _register_built_ins() -> None:
    import importlib

    for module in _BUILT_IN:
        importlib.import_module(f"medtrinity.sources.{module}")


def make_reader(source: SourceConfig, config: RunConfig) -> Reader:
    """The reader named by the source config, ready to list and read its items."""
    _register_built_ins()
    return READERS.get(source.reader)(source, config)


def reader_names() -> list[str]:
    _register_built_ins()
    return READERS.names()
