"""nnU-Net v2 datasets and Medical Segmentation Decathlon (MSD) task folders.

Both keep ``dataset.json`` beside ``imagesTr/`` and ``labelsTr/``. nnU-Net v2 names channels by a
suffix (``case_0000.nii.gz`` is channel 0 of ``case``) and writes labels as ``{"liver": 1}``; MSD stores
all channels of a case in one 4D file and writes labels as ``{"1": "liver"}``. Label names and the
modality come from ``dataset.json``; label names are made readable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from medtrinity.io.images import IMAGE_SUFFIXES
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions
from medtrinity.sources.base import READERS, Reader, read_failure
from medtrinity.sources.common2d import sample_2d
from medtrinity.sources.image_files import read_image, read_mask
from medtrinity.sources.layout import LayoutMatch
from medtrinity.sources.safety import check_label_values
from medtrinity.sources.volume import Volume, slice_type, volume_samples
from medtrinity.vocab.labels import readable_label
from medtrinity.vocab.modalities import modality_from_channel_name

CHANNEL_SUFFIX = re.compile(r"^(?P<case>.+)_(?P<channel>\d{4})$")


def load_dataset_json(folder: Path) -> dict:
    path = folder / "dataset.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is unreadable: {error}") from error


def dataset_labels(meta: dict) -> dict[int, str]:
    """Label value -> name for both layouts, background left out (region-based labels use their first value)."""
    names: dict[int, str] = {}
    for key, value in (meta.get("labels") or {}).items():
        if str(key).lstrip("-").isdigit():
            number, name = int(key), str(value)
        else:
            number, name = int(value[0] if isinstance(value, list) else value), str(key)
        if number != 0 and name.lower() != "background":
            names[number] = name
    return names


def dataset_modality(meta: dict, channel: int) -> str | None:
    channels = meta.get("channel_names") or meta.get("modality") or {}
    name = str(channels.get(str(channel), "")).strip().lower()
    return modality_from_channel_name(name) if name else None


def _suffix(name: str, ending: str | None) -> str:
    if ending and name.endswith(ending):
        return ending
    return ".nii.gz" if name.endswith(".nii.gz") else Path(name).suffix


class NnunetOptions(PluginOptions):
    """Options of the ``nnunet`` reader: which channel and which split."""

    channel: int = Field(default=0, ge=0)
    split: Literal["train", "test"] = "train"


@READERS.register("nnunet")
class NnunetReader(Reader):
    """``path``: an nnU-Net v2 ``DatasetXXX_Name`` or MSD ``TaskXX_Name`` folder with ``dataset.json``.

    Options: ``channel`` (0), ``split`` (``train`` = imagesTr with labelsTr, ``test`` = imagesTs).
    Volumes (NIfTI, NRRD, MHA) are cut into slices; 2D datasets (PNG/TIFF) give one sample per case.
    """

    formats = "nnU-Net v2 and Medical Segmentation Decathlon folders (dataset.json, imagesTr/labelsTr)"
    Options = NnunetOptions
    dependencies = (("nibabel", "pip install nibabel"), ("SimpleITK", "pip install SimpleITK"))
    volumetric = True

    @property
    def _meta(self) -> dict:
        if not hasattr(self, "_meta_cache"):
            self._meta_cache = load_dataset_json(Path(self.source.path))
        return self._meta_cache

    def _folders(self) -> tuple[Path, Path | None]:
        root = Path(self.source.path)
        if self.options.split == "test":
            return root / "imagesTs", None
        return root / "imagesTr", root / "labelsTr"

    def _per_channel_files(self) -> bool:
        """nnU-Net v2 (``channel_names``) keeps one file per channel (``case_0000``); an MSD-style dataset.json
        (``modality``) keeps all channels in one file, and its case names may end in digits (AMOS ``amos_0001``)."""
        return "channel_names" in self._meta or "modality" not in self._meta

    def _channel(self) -> int:
        return self.options.channel

    inspect_priority = 95

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """An nnU-Net / Decathlon root: ``dataset.json`` beside ``imagesTr/``."""
        if (path / "dataset.json").is_file() and (path / "imagesTr").is_dir():
            return LayoutMatch(cls.inspect_priority, "dataset.json beside imagesTr/")
        return None

    def list_items(self) -> list[str]:
        images, _ = self._folders()
        if not images.is_dir():
            raise FileNotFoundError(f"{images} does not exist")
        ending = self._meta.get("file_ending")
        items = []
        for path in sorted(images.iterdir()):
            if not path.is_file() or path.name.startswith((".", "._")):
                continue
            stem = path.name[: -len(_suffix(path.name, ending))]
            match = CHANNEL_SUFFIX.match(stem) if self._per_channel_files() else None
            if match:  # nnU-Net v2: one file per channel
                if int(match.group("channel")) == self._channel():
                    items.append(str(path))
            else:  # MSD: all channels in one file
                items.append(str(path))
        return items

    def read(self, item: str) -> Iterator[Sample]:
        path = Path(item)
        ending = _suffix(path.name, self._meta.get("file_ending"))
        stem = path.name[: -len(ending)]
        match = CHANNEL_SUFFIX.match(stem) if self._per_channel_files() else None
        case = match.group("case") if match else stem
        _, label_folder = self._folders()
        label_path = label_folder / f"{case}{ending}" if label_folder is not None else None
        if label_path is not None and not label_path.exists():
            raise SampleError("missing_labels", f"{item}: label file {label_path} does not exist")
        names = {int(k): v for k, v in {**dataset_labels(self._meta), **self.source.label_names}.items()}
        modality = self.source.modality or dataset_modality(self._meta, self._channel()) or "other"
        if ending.lower() in IMAGE_SUFFIXES:
            pixels = read_image(item, self.config.limits)
            labels = read_mask(str(label_path), self.config.limits) if label_path is not None else None
            if labels is not None and labels.shape != pixels.shape[:2]:
                raise SampleError("mask_shape_mismatch", f"{label_path}: shape {labels.shape} differs from the "
                                  f"image {pixels.shape[:2]}")
            if labels is not None:
                check_label_values(labels, names, str(label_path), origin="dataset.json labels")
            sample = sample_2d(self, key=case, pixels=pixels, source_file=item, case_key=case, label_map=labels,
                               names=names, metadata={"format": "nnunet"})
            sample.modality = modality
            yield sample
            return
        data, spacing = self._volume(item, is_label=False)
        labels = None
        if label_path is not None:
            labels, _ = self._volume(str(label_path), is_label=True)
            if labels.shape != data.shape:
                raise SampleError("mask_shape_mismatch", f"{label_path}: label shape {labels.shape} differs from "
                                  f"image shape {data.shape}")
            check_label_values(labels, names, str(label_path), origin="dataset.json labels")
        volume = Volume(data=data, spacing_xyz_mm=spacing, labels=labels,
                        slice_dtype=slice_type(data.dtype, np.float32),
                        intensity_unit="HU" if modality == "ct" else "",
                        metadata={"format": "nnunet" if match else "msd"})
        yield from volume_samples(volume, source=self.source, config=self.config, case_key=case, source_file=item,
                                  label_names={v: readable_label(n) for v, n in names.items()}, modality=modality,
                                  body_part=self.source.body_part)

    def _volume(self, path: str, *, is_label: bool) -> tuple[np.ndarray, tuple[float, float, float]]:
        if path.lower().endswith((".nii", ".nii.gz")):
            from medtrinity.sources.nifti import load_nifti, to_lps_zyx

            data, affine = load_nifti(path, self.config.limits)
            if data.ndim == 4 and not is_label:  # MSD: channels along the 4th axis
                channel = self._channel()
                if channel >= data.shape[3]:
                    raise SampleError("missing_channel", f"{path}: has {data.shape[3]} channels, asked for {channel}")
                data = data[..., channel]
            try:
                volume, spacing = to_lps_zyx(data, affine)
            except ValueError as error:
                raise read_failure(path, error) from error
        else:
            from medtrinity.sources.sitk_volume import load_itk_lps

            volume, spacing = load_itk_lps(path, self.config.limits)
        return (np.rint(volume).astype(np.int32) if is_label else volume), spacing
