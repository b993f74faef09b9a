"""Array containers: HDF5 datasets of images and masks (MSD lung patches), NumPy .npz in the MedMNIST layout,
NumPy .npy image and mask arrays (PanNuke).

Items are ``<file>::<index>`` (HDF5) or ``<file>::<split>::<index>`` (npz), grouped ``files_per_shard``
per shard. Arrays may be ``(N, H, W)``, ``(N, 1, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)`` (RGB).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import Field

from medtrinity.io.images import present_values
from medtrinity.records import Sample, SampleError
from medtrinity.registry import require_dependency
from medtrinity.sources.array_safety import (
    check_entry,
    check_finite,
    npy_header,
    npz_header,
    npz_keys,
    npz_read_entry,
    squeezed_entry,
)
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths, read_failure
from medtrinity.sources.common2d import sample_2d
from medtrinity.sources.layout import LayoutMatch, has_suffix
from medtrinity.sources.safety import (
    check_dtype,
    check_label_values,
    check_pixels,
    items_per_file,
    present_label_values,
)

IMAGE_KEYS = ("images", "image", "imgs", "img", "x", "data", "volumes")
LABEL_KEYS = ("labels", "label", "masks", "mask", "seg", "segmentation", "y", "gt")


def as_2d(array: np.ndarray, where: str) -> np.ndarray:
    """One entry -> (H, W) or (H, W, 3): channel axes of size 1 dropped, channel-first RGB moved last."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    elif array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    elif array.ndim == 3 and array.shape[0] == 3 and array.shape[2] != 3:
        array = np.moveaxis(array, 0, -1)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise SampleError("wrong_dimensions", f"{where}: entry of shape {array.shape} is not a 2D grey or RGB image")
    return array


def pick_key(keys: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {key.lower().rsplit("/", 1)[-1]: key for key in keys}
    return next((lowered[name] for name in wanted if name in lowered), None)


class Hdf5Options(Image2DOptions):
    """Options of the ``hdf5`` reader: dataset names (default: found by common names)."""

    images: str | None = None
    labels: str | None = None


@READERS.register("hdf5")
class Hdf5Reader(Reader):
    """``path``: .h5/.hdf5 file(s); ``options.images`` / ``options.labels``: dataset names (default: found by
    name, e.g. ``images`` and ``labels``). Label values are named by ``label_names``."""

    formats = "HDF5 files with an image dataset and an optional mask dataset (N x [1] x H x W)"
    Options = Hdf5Options
    dependencies = (("h5py", "pip install h5py"),)

    def _open(self, path: str):
        h5py = require_dependency(self, "h5py")
        try:
            return h5py.File(path, "r")
        except Exception as error:
            raise read_failure(path, error) from error

    def _keys(self, handle, path: str) -> tuple[str, str | None]:
        datasets: list[str] = []
        handle.visititems(lambda name, node: datasets.append(name) if hasattr(node, "shape") else None)
        images = self.options.images or pick_key(datasets, IMAGE_KEYS)
        labels = self.options.labels or pick_key(datasets, LABEL_KEYS)
        if images is None or images not in handle:
            raise SampleError("missing_dataset", f"{path}: no image dataset found among {datasets}; set options.images")
        for name in (images, labels):
            if name is not None and len(handle[name].shape) < 3:
                raise SampleError("wrong_dimensions", f"{path}: dataset {name!r} has shape {handle[name].shape}; "
                                  "expected N images (N x H x W, N x 1 x H x W or N x H x W x 3)")
        if labels is not None and labels not in handle:
            raise SampleError("missing_dataset", f"{path}: no dataset {labels!r}")
        if labels is not None and handle[labels].shape[0] != handle[images].shape[0]:
            raise SampleError("mask_shape_mismatch", f"{path}: {handle[labels].shape[0]} label entries for "
                              f"{handle[images].shape[0]} images")
        return images, labels

    def _list_file(self, path: str) -> list[str]:
        with self._open(path) as handle:
            images, _ = self._keys(handle, path)
            count = int(handle[images].shape[0])
        return [f"{path}::{index}" for index in range(count)]

    inspect_priority = 85
    whole_file = True

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """An HDF5 file (``.h5``, ``.hdf5``)."""
        return LayoutMatch(cls.inspect_priority, "an HDF5 file") if has_suffix(path, (".h5", ".hdf5")) else None

    def list_items(self) -> list[str]:
        return items_per_file(expand_paths(self.source.path, (".h5", ".hdf5", ".hdf")), self._list_file,
                              "check that it is an HDF5 file with an image dataset")

    def read(self, item: str) -> Iterator[Sample]:
        path, index_text = item.rsplit("::", 1)
        index = int(index_text)
        with self._open(path) as handle:
            images, labels = self._keys(handle, path)
            where = f"{path} entry {index}"
            for name in (images, labels):
                if name is not None:
                    check_entry(handle[name], where, self.config.limits)
            pixels = as_2d(handle[images][index], where)
            label_map = as_2d(handle[labels][index], where) if labels else None
        if label_map is not None:
            if label_map.shape != pixels.shape[:2]:
                raise SampleError("mask_shape_mismatch", f"{where}: mask {label_map.shape}, image {pixels.shape}")
            if not np.all(np.isfinite(label_map)):
                raise SampleError("non_finite_pixels", f"{where}: the mask contains NaN")
            label_map = np.rint(label_map).astype(np.int32)
        check_finite(pixels, where)
        names = self.label_names()
        if label_map is not None:
            check_label_values(label_map, names, where, origin="label_names")
            for value in [value for value in present_values(label_map).tolist() if value > 0]:
                names.setdefault(int(value), f"region {value}")
        yield sample_2d(self, key=f"{self.item_key(path)}::{index}", pixels=pixels, source_file=where,
                        case_key=f"{self.item_key(path)}-{index}",
                        label_map=label_map if label_map is not None and label_map.any() else None,
                        names=names, metadata={"format": "hdf5"})


class NpzOptions(Image2DOptions):
    """Options of the ``npz`` reader: which splits to read (default: every split found)."""

    splits: list[str] | None = None


@READERS.register("npz")
class NpzReader(Reader):
    """``path``: .npz file(s) with ``<split>_images`` and ``<split>_labels`` (MedMNIST).

    Labels are class indices (``(N, 1)``) named by ``label_names``, or multi-label 0/1 rows
    (``(N, C)``, ChestMNIST). Options: ``splits`` (default: every split found).
    """

    formats = "NumPy .npz in the MedMNIST layout (train/val/test images and class labels)"
    Options = NpzOptions

    def _splits(self, path: str) -> list[str]:
        found = sorted(key[: -len("_images")] for key in npz_keys(path) if key.endswith("_images"))
        wanted = self.options.splits
        return [split for split in found if not wanted or split in wanted]

    def _list_file(self, path: str) -> list[str]:
        items = []
        for split in self._splits(path):
            shape, dtype = npz_header(path, f"{split}_images")
            check_dtype(np.empty(0, dtype=dtype), f"{path} {split}_images")
            if len(shape) < 3:
                raise SampleError("wrong_dimensions", f"{path}: {split}_images has shape {shape}; expected N images")
            if f"{split}_labels" in npz_keys(path):
                label_shape, _ = npz_header(path, f"{split}_labels")
                if not label_shape or label_shape[0] != shape[0]:
                    raise SampleError("label_count_mismatch", f"{path}: {split}_labels has shape {label_shape} for "
                                      f"{shape[0]} images; every image needs one label row")
            items += [f"{path}::{split}::{index}" for index in range(int(shape[0]))]
        return items

    inspect_priority = 85
    whole_file = True

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A NumPy ``.npz`` archive (MedMNIST ships one per dataset)."""
        return LayoutMatch(cls.inspect_priority, "a NumPy .npz archive") if has_suffix(path, (".npz",)) else None

    def list_items(self) -> list[str]:
        return items_per_file(expand_paths(self.source.path, (".npz",)), self._list_file,
                              "check that it is a complete .npz archive (numpy.savez)")

    def _entry(self, path: str, key: str, index: int, where: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_arrays", {})
        if (path, key) in cache:
            return cache[(path, key)][index]
        shape, dtype = npz_header(path, key)
        check_dtype(np.empty(0, dtype=dtype), where)
        check_pixels(where, squeezed_entry(shape[1:]), dtype.itemsize, self.config.limits)
        total = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if total > self.config.limits.max_array_bytes:  # too big to hold: stream this one entry
            return npz_read_entry(path, key, index)
        cache.clear()
        try:
            with np.load(path, allow_pickle=False) as data:
                cache[(path, key)] = data[key]
        except Exception as error:
            raise read_failure(path, error) from error
        return cache[(path, key)][index]

    def _labels(self, path: str, key: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_label_arrays", {})
        if (path, key) not in cache:
            shape, dtype = npz_header(path, key)
            check_dtype(np.empty(0, dtype=dtype), f"{path} {key}")
            check_pixels(f"{path} {key}", (int(np.prod(shape, dtype=np.float64)), 1), dtype.itemsize,
                         self.config.limits)
            with np.load(path, allow_pickle=False) as data:
                cache[(path, key)] = data[key]
        return cache[(path, key)]

    def read(self, item: str) -> Iterator[Sample]:
        path, split, index_text = item.rsplit("::", 2)
        index = int(index_text)
        where = f"{path} {split} entry {index}"
        pixels = as_2d(self._entry(path, f"{split}_images", index, where), where)
        check_finite(pixels, where)
        labels: list[str] = []
        key = f"{split}_labels"
        if key in npz_keys(path):
            row = np.atleast_1d(np.asarray(self._labels(path, key)[index]))
            names = self.label_names()
            values = np.flatnonzero(row).tolist() if row.size > 1 else [int(row[0])]  # multi-label 0/1 or a class
            check_label_values(values, names, where, origin="label_names", background=None)
            labels = [names.get(value, f"class {value}") for value in values]
        yield sample_2d(self, key=f"{self.item_key(path)}::{split}::{index}", pixels=pixels, source_file=where,
                        case_key=f"{self.item_key(path)}-{split}-{index}", image_labels=labels,
                        metadata={"format": "npz"})


class NpyOptions(Image2DOptions):
    """Options of the ``npy`` reader: how many mask channels are classes, and a per-image tissue-name array."""

    class_channels: int | None = Field(default=None, ge=1)
    tissue_types: str | None = None


@READERS.register("npy")
class NpyReader(Reader):
    """``path``: an images ``.npy`` (N, H, W[, 3]); ``labels``: a masks ``.npy`` of label values (N, H, W) or of
    per-class instance channels (N, H, W, C): PanNuke keeps five nucleus classes and a background channel,
    so the first ``options.class_channels`` (default C - 1) channels become label values 1..C-1.
    ``options.tissue_types``: a ``.npy`` of one tissue name per image (PanNuke ``types.npy``) that becomes the
    sample's body part. Arrays are memory-mapped; items are ``<file>::<index>``.

    Headers are checked before anything is read: dtype, declared entry size against ``limits``, truncation,
    and that masks and tissue names have one entry per image. Mask values the label map does not name are
    a reject (``unknown_label``).
    """

    formats = "NumPy .npy image and mask arrays (PanNuke: per-class instance channels, tissue types)"
    Options = NpyOptions

    def _array(self, path: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_arrays", {})
        if path not in cache:
            npy_header(path)  # objects and truncated files refused before mapping
            try:
                cache[path] = np.load(path, mmap_mode="r", allow_pickle=False)
            except Exception as error:  # noqa: BLE001 - a bad file is a reject naming it
                raise read_failure(path, error) from error
        return cache[path]

    inspect_priority = 40

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A ``.npy`` file whose header holds a stack of 2D images (N, H, W[, C]); only the header is read."""
        if not (path.is_file() and has_suffix(path, (".npy",))):
            return None
        try:
            with path.open("rb") as handle:
                version = np.lib.format.read_magic(handle)
                header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape = header(handle)[0]
        except (OSError, ValueError):
            return None
        return LayoutMatch(cls.inspect_priority, f"a .npy array of shape {shape}") if len(shape) in (3, 4) else None

    def _check_arrays(self, path: str) -> int:
        """The number of images in ``path``, after checking it and its masks and tissue names from the headers."""
        checked = self.__dict__.setdefault("_checked", {})
        if path not in checked:
            checked[path] = self._check_headers(path)
        return checked[path]

    def _check_headers(self, path: str) -> int:
        shape, dtype = npy_header(path)
        check_dtype(np.empty(0, dtype=dtype), path)
        if len(shape) < 3:
            raise SampleError("wrong_dimensions", f"{path}: shape {shape}; expected N images (N x H x W[ x 3])")
        check_pixels(f"{path} entry 0", squeezed_entry(shape[1:]), dtype.itemsize, self.config.limits)
        if self.source.labels:
            mask_shape, mask_dtype = npy_header(self.source.labels)
            check_dtype(np.empty(0, dtype=mask_dtype), self.source.labels)
            if len(mask_shape) < 3 or mask_shape[0] != shape[0] or tuple(mask_shape[1:3]) != tuple(shape[1:3]):
                raise SampleError("mask_shape_mismatch", f"{path}: {shape[0]} images of {shape[1:]}, but the masks "
                                  f"{self.source.labels} have shape {mask_shape}; one mask per image is needed")
            channels = self.options.class_channels
            if channels and (len(mask_shape) < 4 or int(channels) > mask_shape[3]):
                raise SampleError("mask_shape_mismatch", f"{self.source.labels}: options.class_channels = {channels}"
                                  f", but the masks have shape {mask_shape}")
        tissues = self.options.tissue_types
        if tissues:
            tissue_shape, _ = npy_header(str(tissues))
            if not tissue_shape or tissue_shape[0] != shape[0]:
                raise SampleError("label_count_mismatch", f"{tissues}: {tissue_shape[:1] or 0} tissue names for "
                                  f"{shape[0]} images in {path}; every image needs one")
        return int(shape[0])

    def list_items(self) -> list[str]:
        return items_per_file(expand_paths(self.source.path, (".npy",)),
                              lambda path: [f"{path}::{index}" for index in range(self._check_arrays(path))],
                              "check that it is a complete .npy written by numpy.save")

    def _label_map(self, index: int, shape_hw: tuple[int, ...], where: str) -> np.ndarray:
        masks = np.asarray(self._array(self.source.labels)[index])
        if masks.dtype.kind == "f" and not np.all(np.isfinite(masks)):
            raise SampleError("non_finite_pixels", f"{self.source.labels} entry {index}: the mask contains NaN")
        if masks.ndim == 3 and masks.shape[2] > 1:
            channels = self.options.class_channels or masks.shape[2] - 1  # none set: all but the last (background)
            label_map = np.zeros(masks.shape[:2], dtype=np.int32)
            for channel in range(channels):
                label_map[masks[..., channel] > 0] = channel + 1
        else:
            label_map = np.rint(as_2d(masks, where)).astype(np.int32)
        if label_map.shape != tuple(shape_hw[:2]):
            raise SampleError("mask_shape_mismatch", f"{where}: mask {label_map.shape}, image {tuple(shape_hw)}")
        return label_map

    def read(self, item: str) -> Iterator[Sample]:
        path, index_text = item.rsplit("::", 1)
        index = int(index_text)
        where = f"{path} entry {index}"
        self._check_arrays(path)
        pixels = as_2d(np.asarray(self._array(path)[index]), where)
        check_finite(pixels, where)
        if pixels.ndim == 3 and pixels.dtype.kind == "f":  # PanNuke stores RGB as float64 in 0..255
            pixels = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
        label_map = self._label_map(index, pixels.shape[:2], where) if self.source.labels else None
        names = self.label_names()
        if label_map is not None:
            check_label_values(label_map, names, f"{self.source.labels} entry {index}", origin="label_names")
            for value in present_label_values(label_map):
                if value > 0:
                    names.setdefault(int(value), f"region {value}")
        key = self.item_key(path)  # the path under the source root: same-named arrays in two folders differ
        sample = sample_2d(self, key=f"{key}::{index}", pixels=pixels, source_file=where,
                           case_key=f"{key}-{index}",
                           label_map=label_map if label_map is not None and label_map.any() else None,
                           names=names, metadata={"format": "npy"})
        tissues = self.options.tissue_types
        if tissues and not self.source.body_part:
            from medtrinity.vocab.labels import readable_label

            sample.body_part = readable_label(str(self._array(str(tissues))[index]))
        yield sample
