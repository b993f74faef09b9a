"""A folder of 2D images with a folder of mask images of the same names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from medtrinity.io.images import IMAGE_SUFFIXES, read_image, read_mask
from medtrinity.preprocess.deid import case_id
from medtrinity.records import Sample, SampleError, stable_id
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths
from medtrinity.vocab.labels import is_finding


class ImageMasksOptions(Image2DOptions):
    """Options of the ``image_masks`` reader: mask name template and what identifies a case."""

    mask_name: str | None = None
    case_from: Literal["stem", "parent"] = "stem"


@READERS.register("image_masks")
class ImageMasksReader(Reader):
    """``path``: image folder or glob; ``labels``: mask folder, mask ``<stem>.<ext>`` or per ``options.mask_name``.

    Options: ``mask_name`` (a template such as ``"{stem}_mask.png"``), ``spacing_mm`` ([x, y]
    pixel size when known), ``case_from`` (``stem`` or ``parent``: what identifies a case).
    """

    formats = "2D images (PNG/JPEG/TIFF/BMP) with mask images (label values or 0/255)"
    Options = ImageMasksOptions

    def list_items(self) -> list[str]:
        return expand_paths(self.source.path, IMAGE_SUFFIXES)

    def _mask_path(self, image_path: Path) -> Path | None:
        if not self.source.labels:
            return None
        folder = Path(self.source.labels)
        template = self.source.options.get("mask_name")
        if template:
            return folder / str(template).format(stem=image_path.stem, name=image_path.name)
        for suffix in (".png", ".tif", ".tiff", ".bmp"):
            candidate = folder / f"{image_path.stem}{suffix}"
            if candidate.exists():
                return candidate
        return folder / f"{image_path.stem}.png"

    def read(self, item: str) -> Iterator[Sample]:
        image_path = Path(item)
        pixels = read_image(item)
        label_map = None
        mask_path = self._mask_path(image_path)
        if mask_path is not None:
            if not mask_path.exists():
                raise SampleError("missing_mask", f"{item}: mask file {mask_path} does not exist")
            label_map = read_mask(str(mask_path))
            if label_map.shape != pixels.shape[:2]:
                raise SampleError(
                    "mask_shape_mismatch",
                    f"{mask_path}: mask shape {label_map.shape} differs from image shape {pixels.shape[:2]}",
                )
        names = self.label_names()
        if label_map is not None:
            for value in sorted(set(label_map[label_map > 0].ravel().tolist()) - set(names)):
                names[value] = f"region {value}"
        spacing = self.source.options.get("spacing_mm")
        case_key = image_path.parent.name if self.source.options.get("case_from") == "parent" else image_path.stem
        yield Sample(
            id=stable_id(self.source.name, image_path.name, "projection", 0),
            source=self.source.name,
            case_id=case_id(self.source.name, case_key, self.config.case_id_salt),
            modality=self.source.modality or "other",
            body_part=self.source.body_part,
            pixels=pixels,
            spacing_mm=(float(spacing[0]), float(spacing[1])) if spacing else None,
            plane=str(self.source.options.get("plane", "unknown")),
            slice_index=-1,
            label_map=label_map,
            label_names=names,
            finding_labels=frozenset(n for n in names.values() if is_finding(n, self.source.findings)),
            metadata={"format": image_path.suffix.lstrip(".").lower()},
            license=self.source.license,
            source_file=item,
        )
