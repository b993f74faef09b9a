"""A folder of 2D images with a folder of mask images of the same names."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from medtrinity.io.images import IMAGE_SUFFIXES, present_values
from medtrinity.preprocess.deid import case_id
from medtrinity.records import Sample, SampleError, stable_id
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths
from medtrinity.sources.image_files import read_image, read_mask, read_mask_raw
from medtrinity.sources.layout import LayoutMatch, data_files, image_files, images_with_mask_folder
from medtrinity.sources.name_conventions import file_modality
from medtrinity.sources.safety import check_label_values
from medtrinity.vocab.labels import is_finding


class ImageMasksOptions(Image2DOptions):
    """Options of the ``image_masks`` reader: mask name template and what identifies a case."""

    mask_name: str | None = None
    mask_from: tuple[str, str] | None = None
    mask_threshold: int | None = Field(default=None, ge=0)
    value_map: dict[int, int] = Field(default_factory=dict)
    mask_relative: bool = False
    case_from: Literal["stem", "parent"] = "stem"


@READERS.register("image_masks")
class ImageMasksReader(Reader):
    """``path``: image folder or glob; ``labels``: mask folder, mask ``<stem>.<ext>`` or per ``options.mask_name``.

    Options: ``mask_name`` (a template such as ``"{stem}_mask.png"``), ``mask_from`` ([regex, replacement] on
    the image stem: DRIVE ``["^(\\d+)_training$", "\\1_manual1.gif"]``), ``mask_threshold`` (masks saved
    as JPEG: values at or above it are the region, Kvasir-SEG), ``value_map`` (stored value -> label value,
    REFUGE ``{0: 2, 128: 1, 255: 0}``), ``mask_relative`` (masks sit in the same subfolders under ``labels``
    as the images under ``path``), ``spacing_mm`` ([x, y]
    pixel size when known), ``case_from`` (``stem`` or ``parent``: what identifies a case).
    """

    formats = "2D images (PNG/JPEG/TIFF/BMP) with mask images (label values or 0/255)"
    Options = ImageMasksOptions

    inspect_priority = 55
    plain_images_priority = 5  # images without masks: every other 2D layout is tried first

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """Images beside a masks folder (variant ``masks``), else any 2D images at all (variant ``images``)."""
        if not path.is_dir():
            return None
        pairing = images_with_mask_folder(path)
        if pairing is not None:
            return LayoutMatch(cls.inspect_priority, f"images with masks in {pairing.masks_folder.name}/", "masks")
        if image_files(data_files(path)):
            return LayoutMatch(cls.plain_images_priority, "2D images", "images")
        return None

    def list_items(self) -> list[str]:
        return expand_paths(self.source.path, IMAGE_SUFFIXES)

    def _mask_path(self, image_path: Path) -> Path | None:
        if not self.source.labels:
            return None
        folder = Path(self.source.labels)
        if self.options.mask_relative:  # masks mirror the image subfolders (BUSI, REFUGE)
            folder = folder / image_path.parent.relative_to(_glob_root(self.source.path))
        template, rewrite = self.options.mask_name, self.options.mask_from
        if rewrite:
            import re

            return folder / re.sub(rewrite[0], rewrite[1], image_path.stem)
        if template:
            return folder / template.format(stem=image_path.stem, name=image_path.name)
        for suffix in (".png", ".tif", ".tiff", ".bmp"):
            candidate = folder / f"{image_path.stem}{suffix}"
            if candidate.exists():
                return candidate
        return folder / f"{image_path.stem}.png"

    def read(self, item: str) -> Iterator[Sample]:
        image_path = Path(item)
        pixels = read_image(item, self.config.limits)
        label_map = None
        mask_path = self._mask_path(image_path)
        if mask_path is not None:
            if not mask_path.exists():
                raise SampleError("missing_mask", f"{item}: mask file {mask_path} does not exist")
            label_map = self._mask_values(read_mask(str(mask_path), self.config.limits), mask_path)
            if label_map.shape != pixels.shape[:2]:
                raise SampleError(
                    "mask_shape_mismatch",
                    f"{mask_path}: mask shape {label_map.shape} differs from image shape {pixels.shape[:2]}",
                )
        names = self.label_names()
        if label_map is not None:
            values = present_values(label_map).tolist()
            check_label_values(values, names, str(mask_path), origin="label_names/label_map")
            for value in sorted(set(values) - set(names) - {0}):  # no label map given: generic names
                names[value] = f"region {value}"
        spacing = self.options.spacing_mm
        key = self.item_key(image_path)
        case_key = str(Path(key).parent) if self.options.case_from == "parent" else key.rsplit(".", 1)[0]
        yield Sample(
            id=stable_id(self.source.name, key, "projection", 0),
            source=self.source.name,
            case_id=case_id(self.source.name, case_key, self.config.case_id_salt),
            modality=file_modality(self, item),
            body_part=self.source.body_part,
            pixels=pixels,
            spacing_mm=(float(spacing[0]), float(spacing[1])) if spacing else None,
            plane=self.options.plane,
            slice_index=-1,
            label_map=label_map,
            label_names=names,
            finding_labels=frozenset(n for n in names.values() if is_finding(n, self.source.findings)),
            metadata={"format": image_path.suffix.lstrip(".").lower()},
            license=self.source.license,
            source_file=item,
        )

    def _mask_values(self, mask: np.ndarray, mask_path: Path) -> np.ndarray:
        threshold = self.options.mask_threshold
        if threshold is not None:
            raw = read_mask_raw(str(mask_path))
            return (raw >= float(threshold)).astype(np.int32)
        value_map = self.options.value_map
        if value_map:
            raw = read_mask_raw(str(mask_path))
            mapped = np.zeros(raw.shape, dtype=np.int32)
            for stored, value in value_map.items():
                mapped[raw == stored] = value
            return mapped
        return mask


def _glob_root(pattern: str) -> Path:
    """The folder a path or glob starts from: the part before its first wildcard."""
    parts = Path(pattern).parts
    fixed = [part for part in itertools.takewhile(lambda part: not any(c in part for c in "*?["), parts)]
    return Path(*fixed) if fixed else Path(".")
