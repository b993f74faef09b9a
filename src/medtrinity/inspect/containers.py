"""Layouts in one container file: HDF5 image/mask datasets, MedMNIST .npz, .npy arrays, whole-slide images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medtrinity.inspect.common import LABEL_NAME, Finding, _guess_modality, _name
from medtrinity.sources.layout import has_suffix


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
    if not has_suffix(path, (".tif", ".tiff", ".btf")):
        source["options"]["backend"] = "openslide"
        finding.todo.append(f"{path}: this slide format needs OpenSlide: `pip install openslide-python openslide-bin`")
    finding.seen.append(f"{path}: whole-slide image")
    finding.sources.append(source)
    return True


def _npy(path: Path, finding: Finding) -> bool:
    """An images ``.npy``; a ``.npy`` beside it named like masks (``masks.npy``, ``labels.npy``) is its labels."""
    partner = next((p for p in sorted(path.parent.glob("*.npy")) if p != path and LABEL_NAME.search(p.stem)), None)
    source: dict[str, Any] = {"name": _name(path), "reader": "npy", "path": str(path)}
    if partner is not None:
        source["labels"] = str(partner)
        source["label_names"] = {1: "region 1"}
        finding.todo.append(f"{partner}: name the mask values in `label_names` (1 = ?); PanNuke-style class "
                            "channels: set options.class_channels")
    found = f" with masks {partner.name}" if partner else ", no masks found"
    finding.seen.append(f"{path}: NumPy image array{found}")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True
