"""Layouts in one container file: HDF5 image/mask datasets, MedMNIST .npz, whole-slide images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medtrinity.inspect.common import (
    Finding,
    _ends,
    _guess_modality,
    _name,
)


def _hdf5(path: Path, finding: Finding) -> bool:
    try:
        import h5py
    except ImportError:
        finding.todo.append(f"{path}: HDF5 needs h5py: run `pip install h5py`, then inspect again")
        return True
    from medtrinity.sources.arrays import IMAGE_KEYS, LABEL_KEYS, pick_key

    datasets: dict[str, tuple] = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, node: datasets.__setitem__(name, node.shape) if hasattr(node, "shape") else None)
    images, labels = pick_key(list(datasets), IMAGE_KEYS), pick_key(list(datasets), LABEL_KEYS)
    finding.seen.append(f"{path}: HDF5 datasets {datasets}")
    if images is None:
        finding.todo.append(f"{path}: no dataset named like images: add a source with reader hdf5 and options.images")
        return True
    source: dict[str, Any] = {"name": _name(path), "reader": "hdf5", "path": str(path), "files_per_shard": 64,
                              "options": {"images": images, **({"labels": labels} if labels else {})}}
    if labels:
        source["label_names"] = {1: "region 1"}
        finding.todo.append(f"{path}: name the mask values of {labels!r} in `label_names` (1 = ?)")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


def _npz(path: Path, finding: Finding) -> bool:
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        keys = {key: data[key].shape for key in data.files}
    splits = sorted(key[: -len("_images")] for key in keys if key.endswith("_images"))
    finding.seen.append(f"{path}: npz arrays {keys}")
    if not splits:
        finding.todo.append(f"{path}: not in the MedMNIST layout (<split>_images, <split>_labels)")
        return True
    source: dict[str, Any] = {"name": _name(path), "reader": "npz", "path": str(path), "files_per_shard": 256}
    finding.todo.append(f"{path}: name the class indices in `label_names` (MedMNIST's INFO lists them)")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


def _slide(path: Path, finding: Finding) -> bool:
    source = {"name": _name(path), "reader": "wsi", "path": str(path), "modality": "histopathology",
              "files_per_shard": 32, "options": {"tile_size": 512, "level": 0, "min_tissue": 0.5}}
    if not _ends(path, (".tif", ".tiff", ".btf")):
        source["options"]["backend"] = "openslide"
        finding.todo.append(f"{path}: this slide format needs OpenSlide: `pip install openslide-python openslide-bin`")
    finding.seen.append(f"{path}: whole-slide image")
    finding.sources.append(source)
    return True


def _is_large_tiff(path: Path) -> bool:
    try:
        import tifffile

        with tifffile.TiffFile(path) as handle:
            series = handle.series[0]
            return len(series.levels) > 1 or max(series.shape[:2]) > 4096 or handle.pages[0].is_tiled
    except Exception:  # noqa: BLE001 - not a TIFF this reader understands
        return False

