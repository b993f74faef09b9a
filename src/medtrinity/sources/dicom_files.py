"""Single 2D DICOM images (pydicom), with overlay planes (group 0x6000) read as masks.

Pixel data are rescaled to physical units (HU for CT). Only allow-listed header fields are
kept; the case id is a salted hash of the study, so no identifier from the header survives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from medtrinity.config import LimitsConfig
from medtrinity.preprocess.deid import allowed_metadata, case_id
from medtrinity.records import BOX_ORIGIN, Sample, SampleError, stable_id
from medtrinity.registry import PluginOptions, require_dependency
from medtrinity.sources.acquisition import dicom_acquisition_facts
from medtrinity.sources.base import READERS, Reader, expand_paths, read_failure
from medtrinity.sources.common2d import boxes_label_map, check_box
from medtrinity.sources.dicom_index import holds_dicom
from medtrinity.sources.dicom_privacy import body_part_term, check_burned_in
from medtrinity.sources.layout import LayoutMatch
from medtrinity.sources.safety import check_pixels, reject_shared_keys
from medtrinity.vocab.labels import is_finding, readable_label
from medtrinity.vocab.modalities import DICOM_MODALITY

_AXIS_LETTERS = (("L", "R"), ("P", "A"), ("S", "I"))


def direction_letter(cosines: np.ndarray) -> str:
    """Patient direction (L/R, P/A, S/I) a DICOM direction cosine vector points to most."""
    axis = int(np.argmax(np.abs(cosines)))
    positive, negative = _AXIS_LETTERS[axis]
    return positive if cosines[axis] > 0 else negative


def patient_orientation(dataset) -> tuple[str, str]:
    """(direction of +column, direction of +row) from ImageOrientationPatient, or ('', '') when absent."""
    values = dataset.get("ImageOrientationPatient")
    if values is None or len(values) != 6:
        return ("", "")
    cosines = np.asarray([float(value) for value in values])
    return direction_letter(cosines[:3]), direction_letter(cosines[3:])


def filled_overlay(overlay: np.ndarray, min_area_px: int) -> np.ndarray:
    """Overlay graphics -> filled regions: closed contours are filled; text and ticks under ``min_area_px`` drop out."""
    contours, _ = cv2.findContours(overlay.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(overlay.shape, dtype=np.uint8)
    for contour in contours:
        if cv2.contourArea(contour) >= min_area_px:
            cv2.drawContours(filled, [contour], -1, 1, thickness=cv2.FILLED)
    return filled


def pixel_failure(dataset, path: str, error: Exception) -> SampleError:
    """The reject for pixel data that cannot be decoded: an unsupported compression, or a broken file."""
    syntax = dataset.file_meta.get("TransferSyntaxUID") if hasattr(dataset, "file_meta") else None
    message = str(error).lower()
    unsupported = isinstance(error, NotImplementedError) or "decoder" in message or "not supported" in message
    if syntax is not None and syntax.is_compressed and unsupported:
        return SampleError("unsupported_transfer_syntax",
                           f"{path}: transfer syntax {syntax.name} ({syntax}) cannot be decoded: {error}")
    return read_failure(path, error)


def overlay_masks(dataset, shape_hw: tuple[int, int], min_area_px: int, path: str) -> dict[int, np.ndarray]:
    """Overlay planes (groups 0x6000-0x601E) of one image, closed contours filled: overlay number -> mask."""
    masks: dict[int, np.ndarray] = {}
    for number, group in enumerate(range(0x6000, 0x6020, 2), start=1):
        if (group, 0x3000) not in dataset:
            continue
        try:
            overlay = dataset.overlay_array(group)
        except Exception as error:
            raise SampleError("bad_overlay", f"{path}: overlay group {group:#06x}: {error}") from error
        if overlay.shape != shape_hw:
            raise SampleError("mask_shape_mismatch",
                              f"{path}: overlay {group:#06x} shape {overlay.shape} differs from image shape {shape_hw}")
        filled = filled_overlay(overlay, min_area_px) > 0
        if filled.any():
            masks[number] = filled
    return masks


def check_dicom_size(dataset, path: str, limits: LimitsConfig) -> None:
    """Rows x Columns x frames x samples from the header against the caps, before the pixel data is decoded."""
    try:
        rows, columns = int(dataset.get("Rows", 0) or 0), int(dataset.get("Columns", 0) or 0)
        frames = int(dataset.get("NumberOfFrames", 1) or 1)
        samples = int(dataset.get("SamplesPerPixel", 1) or 1)
        itemsize = max(1, int(dataset.get("BitsAllocated", 8) or 8) // 8)
    except (TypeError, ValueError) as error:
        raise SampleError("bad_header", f"{path}: image size fields are not numbers ({error})") from error
    check_pixels(path, (rows, columns, samples), max(itemsize, 4), limits)
    if frames > 1:
        check_pixels(path, (frames, rows, columns, samples), max(itemsize, 4), limits, volume=True)


def physical_pixels(dataset, path: str) -> tuple[np.ndarray, str]:
    """Pixel data with rescale slope/intercept applied; the unit is HU for CT."""
    try:
        pixels = dataset.pixel_array
    except Exception as error:  # missing decoder, truncated data, unsupported syntax
        raise pixel_failure(dataset, path, error) from error
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise SampleError("wrong_dimensions", f"{path}: a multi-frame image ({frames} frames, modality "
                          f"{dataset.get('Modality', '?')}) is not a 2D sample; multi-frame files are not supported")
    slope = float(dataset.get("RescaleSlope", 1) or 1)
    intercept = float(dataset.get("RescaleIntercept", 0) or 0)
    if pixels.ndim == 2:
        pixels = pixels.astype(np.float32) * slope + intercept
        if dataset.get("PhotometricInterpretation") == "MONOCHROME1":
            pixels = pixels.max() - pixels
    unit = "HU" if dataset.get("Modality") == "CT" else ""
    return pixels, unit


class DicomFilesOptions(PluginOptions):
    """Options of the ``dicom_files`` reader: the smallest overlay region kept (drops text and tick marks)."""

    overlay_min_area_px: int = Field(default=50, ge=0)
    boxes: str | None = None  # a box table (VinDr-CXR train.csv), see classification.parse_box_rows
    box_columns: list[str | int] | None = Field(default=None, min_length=6, max_length=6)
    box_format: Literal["xywh", "xyxy"] = "xyxy"
    rename: dict[str, str] = Field(default_factory=dict)


def pixel_spacing_mm(dataset) -> tuple[float, float] | None:
    """(x, y) pixel size in mm: PixelSpacing, else a radiograph's ImagerPixelSpacing (detector plane) divided by
    the EstimatedRadiographicMagnificationFactor when the header gives one."""
    spacing = dataset.get("PixelSpacing")
    magnification = 1.0
    if not spacing:
        spacing = dataset.get("ImagerPixelSpacing")
        magnification = float(dataset.get("EstimatedRadiographicMagnificationFactor", 1.0) or 1.0)
    if not spacing or len(spacing) != 2:
        return None
    return (float(spacing[1]) / magnification, float(spacing[0]) / magnification)


@READERS.register("dicom_files")
class DicomFilesReader(Reader):
    """``path``: DICOM files, a folder or a glob; each file one 2D sample, overlays become masks.

    Options: ``overlay_min_area_px`` (default 50) drops overlay text and tick marks.
    ``label_names`` maps overlay numbers (1 for group 0x6000, 2 for 0x6002, ...) to names.
    ``boxes``: a CSV of boxes in the image's pixels (VinDr-CXR ``train.csv``: image_id, class_name, ...,
    x_min, y_min, x_max, y_max), with ``box_columns`` ([image, label, x0, y0, x1, y1]), ``box_format``
    (``xyxy`` default here) and ``rename`` (stored class -> report term); rows without coordinates
    (an image-level "No finding") add no box; the image column may hold the file name or its stem.
    """

    formats = "2D DICOM images (any transfer syntax with a decoder installed), overlays as masks"
    Options = DicomFilesOptions
    dependencies = (("pydicom", "pip install pydicom"),
                    ("pylibjpeg", "pip install pylibjpeg pylibjpeg-openjpeg pylibjpeg-libjpeg"))

    inspect_priority = 20  # below dicom_series: inspect reads DICOM as series (one file is a series of one)

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A DICOM file, or a folder tree holding one (DICM marker at byte 128 or a .dcm suffix)."""
        return LayoutMatch(cls.inspect_priority, "DICOM files") if holds_dicom(path) else None

    def list_items(self) -> list[str]:
        paths = expand_paths(self.source.path, (".dcm", ".dicom", ""))
        if not self.options.boxes:
            return paths
        try:
            index = self._box_table()
        except SampleError:  # a table that cannot be used: each image's read says so (bad_box_table)
            return paths
        return reject_shared_keys(paths, lambda path: Path(path).stem, str(self.options.boxes),
                                  "give the files unique names (the table names images by file name only)",
                                  has_row=lambda path: bool(index.get(Path(path).name) or index.get(Path(path).stem)))

    def read(self, item: str) -> Iterator[Sample]:
        pydicom = require_dependency(self, "pydicom")
        try:
            dataset = pydicom.dcmread(item, defer_size="256 KB")  # big values are read when used, never guessed
        except Exception as error:
            raise read_failure(item, error) from error
        check_burned_in(dataset, item, self.config.privacy)
        check_dicom_size(dataset, item, self.config.limits)
        pixels, unit = physical_pixels(dataset, item)
        label_map, names = self._overlays(dataset, pixels.shape[:2], item)
        outlined = {readable_label(name) for name in names.values()}  # overlays outline what they mark
        boxes = [(label, check_box(box, pixels.shape, item)) for label, box in self._boxes_for(item)]
        if boxes:
            label_map, names = boxes_label_map(pixels.shape, boxes, label_map, names)
        names = {value: readable_label(name) for value, name in names.items()}
        box_names = {readable_label(label) for label, _ in boxes}
        findings = {n for n in names.values() if is_finding(n, self.source.findings)}
        if self.source.findings is None:
            findings |= box_names
        modality = self.source.modality or DICOM_MODALITY.get(str(dataset.get("Modality", "")), "other")
        body_part = self.source.body_part or body_part_term(str(dataset.get("BodyPartExamined", "") or ""))
        spacing = pixel_spacing_mm(dataset)
        study_key = str(dataset.get("StudyInstanceUID", "") or dataset.get("PatientID", "") or self.item_key(item))
        instance = str(dataset.get("SOPInstanceUID", "") or self.item_key(item))  # else the full relative path
        metadata = {key: dataset.get(key) for key in ("Modality", "BodyPartExamined", "SliceThickness", "KVP")}
        metadata = {key: _plain(value) for key, value in metadata.items() if value not in (None, "")}
        metadata["BodyPartExamined"] = body_part_term(str(metadata.get("BodyPartExamined", "")))  # free text never
        metadata.update(dicom_acquisition_facts(dataset))
        yield Sample(
            id=stable_id(self.source.name, instance, "dicom", 0),
            source=self.source.name,
            case_id=case_id(self.source.name, study_key, self.config.case_id_salt),
            modality=modality,
            body_part=body_part,
            pixels=pixels,
            spacing_mm=spacing,
            plane="axial" if patient_orientation(dataset) in {("L", "P"), ("R", "A")} else "unknown",
            slice_index=-1,
            patient_orientation=patient_orientation(dataset),
            intensity_unit=unit,
            label_map=label_map,
            label_names=names,
            finding_labels=frozenset(findings),
            input_boxes=[(readable_label(label), box) for label, box in boxes],
            label_origins={label: BOX_ORIGIN for label in box_names - outlined},
            metadata=allowed_metadata({**metadata, "format": "dicom"}),
            license=self.source.license,
            source_file=item,
        )

    def _box_table(self) -> dict:
        """The box table (``options.boxes``) by image name, read once per reader."""
        if not hasattr(self, "_box_index"):
            from medtrinity.sources.classification import parse_box_rows
            from medtrinity.sources.common2d import read_table

            table = str(self.options.boxes)
            self._box_index = parse_box_rows(read_table(table), self.options, table)
        return self._box_index

    def _boxes_for(self, item: str) -> list[tuple[str, tuple[float, float, float, float]]]:
        if not self.options.boxes:
            return []
        from medtrinity.sources.classification import usable_boxes

        index = self._box_table()
        rename = self.options.rename
        found = usable_boxes(index.get(Path(item).name) or index.get(Path(item).stem) or [], item)
        return [(rename.get(label, label), box) for label, box in found]

    def _overlays(self, dataset, shape: tuple[int, ...], item: str) -> tuple[np.ndarray | None, dict[int, str]]:
        configured = self.label_names()
        masks = overlay_masks(dataset, tuple(shape[:2]), self.options.overlay_min_area_px, item)
        if not masks:
            return None, {}
        label_map = np.zeros(shape[:2], dtype=np.int32)
        for number, mask in masks.items():
            label_map[mask] = number
        return label_map, {number: configured.get(number, f"overlay region {number}") for number in masks}


def _plain(value):
    if hasattr(value, "original_string") or type(value).__name__ in {"DSfloat", "IS", "DSdecimal"}:
        return float(value)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [_plain(item) for item in value]
    return value if isinstance(value, (int, float)) else str(value)
