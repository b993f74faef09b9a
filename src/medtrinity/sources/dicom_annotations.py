"""Annotations painted onto a DICOM series grid: DICOM SEG (highdicom, or by geometry for dcmqi/Slicer
SEGs), RTSTRUCT contours and label volumes. Regions are collected on a :class:`LabelCanvas` and rendered
largest first, so a small segment inside a larger one keeps all its pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.records import SampleError
from medtrinity.registry import require_dependency
from medtrinity.sources.base import read_failure
from medtrinity.sources.dicom_files import check_dicom_size
from medtrinity.sources.dicom_geometry import DicomSeries
from medtrinity.sources.dicom_privacy import vocabulary_name
from medtrinity.sources.label_names import is_placeholder_name
from medtrinity.sources.safety import check_pixels
from medtrinity.vocab.labels import readable_label

RT_SKIPPED_TYPES = frozenset({"EXTERNAL", "SUPPORT", "FIXATION", "BOLUS", "MARKER", "REGISTRATION",
                              "ISOCENTER", "CONTRAST_AGENT", "BRACHY_ACCESSORY", "BRACHY_SRC_APP"})
# SNOMED CT "Morphologically abnormal structure": a SEG category that marks findings.
ABNORMAL_CATEGORY_CODES = frozenset({"49755003", "M-01000"})
# coded segment types that name nothing (3D Slicer's default terminology entry and the like)
GENERIC_SEGMENT_TYPES = frozenset({"tissue", "anatomical structure", "structure", "region", "object", "segment"})


@dataclass
class LabelCanvas:
    """Label values painted onto the series grid, with names; regions are painted largest first."""

    shape: tuple[int, int, int]
    regions: list[tuple[np.ndarray, str, bool]] = field(default_factory=list)  # mask, name, is_finding
    notes: dict[str, object] = field(default_factory=dict)  # how annotations were placed: metadata tokens

    def add(self, mask: np.ndarray, name: str, finding: bool) -> None:
        if mask.any():
            self.regions.append((mask, name, finding))

    def render(self) -> tuple[np.ndarray, dict[int, str], set[str]]:
        labels = np.zeros(self.shape, dtype=np.int32)
        names: dict[int, str] = {}
        findings: set[str] = set()
        value_of: dict[str, int] = {}
        for mask, name, finding in sorted(self.regions, key=lambda region: -int(region[0].sum())):
            value = value_of.setdefault(name, len(value_of) + 1)
            labels[mask] = value
            names[value] = name
            if finding:
                findings.add(name)
        return labels, names, findings


def _code_meaning(item, attribute: str) -> str:
    sequence = item.get(attribute)
    return str(sequence[0].CodeMeaning) if sequence else ""


def segment_name(description, configured: dict[int, str]) -> str:
    """A SEG segment's readable name: the config's, else its coded meaning (with side), else its label."""
    number = int(description.SegmentNumber)
    if number in configured:
        return configured[number]
    meaning = _code_meaning(description, "SegmentedPropertyTypeCodeSequence")
    modifier = ""
    type_item = (description.get("SegmentedPropertyTypeCodeSequence") or [None])[0]
    if type_item is not None and type_item.get("SegmentedPropertyTypeModifierCodeSequence"):
        modifier = str(type_item.SegmentedPropertyTypeModifierCodeSequence[0].CodeMeaning)
    anatomic = description.get("AnatomicRegionSequence")
    if meaning and anatomic and meaning.lower() in ("mass", "lesion", "neoplasm", "tumor", "nodule"):
        meaning = f"{anatomic[0].CodeMeaning} {meaning}"
    label = str(description.get("SegmentLabel", "") or "")
    if is_placeholder_name(label) and str(description.get("SegmentDescription", "") or "").strip():
        label = str(description.SegmentDescription).strip()  # "Segment_1" labelled, described in words
    if meaning.lower() in GENERIC_SEGMENT_TYPES and label and not is_placeholder_name(label):
        meaning, modifier = "", ""  # Slicer's default "Tissue" type: the label the user typed says more
    name = f"{modifier} {meaning}".strip()
    if name:
        return readable_label(name)
    # typed by a person (SegmentLabel, SegmentDescription): it passes only as known vocabulary, never as text
    return vocabulary_name(label, f"segment {number}") if label else f"segment {number}"


def _segment_is_finding(description) -> bool:
    category = (description.get("SegmentedPropertyCategoryCodeSequence") or [None])[0]
    return category is not None and str(category.get("CodeValue", "")) in ABNORMAL_CATEGORY_CODES


def check_seg_size(dataset, path: str, series_shape: tuple[int, ...], limits: LimitsConfig) -> None:
    """Refuse a SEG whose header declares frames, or per-segment masks on the series grid, over the caps."""
    check_dicom_size(dataset, path, limits)
    segments = max(1, len(dataset.get("SegmentSequence", []) or []))
    check_pixels(path, (*series_shape, segments), 4, limits, volume=True)


def paint_seg(path: str, series: DicomSeries, canvas: LabelCanvas, configured: dict[int, str],
              threshold: float, limits: LimitsConfig | None = None) -> None:
    """Add the segments of one DICOM SEG to the canvas of its source series.

    A SEG declaring that spatial locations are preserved, on a classic series, is read with highdicom by
    source instance; any other (dcmqi / 3D Slicer writers, a multi-frame source) is placed by geometry.
    Its declared frames and segments are checked against ``limits`` before any frame is decoded.
    """
    import pydicom

    from medtrinity.sources.dicom_seg_geometry import locations_declared_preserved, seg_masks_by_geometry

    try:
        dataset = pydicom.dcmread(path, force=True, defer_size="256 KB")
    except Exception as error:
        raise read_failure(path, error) from error
    check_seg_size(dataset, path, series.data.shape, limits or LimitsConfig())
    if not locations_declared_preserved(dataset) or not _references_instances_of(dataset, series):
        masks, note = seg_masks_by_geometry(path, dataset, series, threshold)
        canvas.notes.update(note)
        for description in dataset.get("SegmentSequence", []):
            mask = masks.get(int(description.SegmentNumber))
            if mask is not None:
                canvas.add(mask, segment_name(description, configured), _segment_is_finding(description))
        return
    _paint_seg_by_instance(path, series, canvas, configured, threshold)


def _references_instances_of(dataset, series: DicomSeries) -> bool:
    referenced = {str(instance.ReferencedSOPInstanceUID)
                  for item in dataset.get("ReferencedSeriesSequence", []) or []
                  for instance in item.get("ReferencedInstanceSequence", []) or []}
    return bool(referenced & set(series.sop_uids))


def _paint_seg_by_instance(path: str, series: DicomSeries, canvas: LabelCanvas, configured: dict[int, str],
                           threshold: float) -> None:
    from medtrinity.sources.dicom_series import DicomSeriesReader  # the reader that declares highdicom

    highdicom = require_dependency(DicomSeriesReader, "highdicom", purpose="reading DICOM SEG")
    try:
        segmentation = highdicom.seg.segread(path)
    except Exception as error:
        raise read_failure(path, error) from error
    referenced = {uid for _, _, uid in segmentation.get_source_image_uids()}
    if not referenced & set(series.sop_uids):
        raise SampleError("missing_source_series", f"{path}: the SEG references none of the series' instances")
    try:
        pixels = segmentation.get_pixels_by_source_instance(
            source_sop_instance_uids=series.sop_uids, combine_segments=False, rescale_fractional=True,
            assert_missing_frames_are_empty=True, skip_overlap_checks=True,
        )
    except Exception as error:
        raise SampleError("bad_segmentation", f"{path}: {type(error).__name__}: {error}") from error
    if pixels.shape[:3] != series.data.shape:
        raise SampleError("mask_shape_mismatch",
                          f"{path}: SEG frames {pixels.shape[:3]} differ from the series shape {series.data.shape}")
    fractional = "FRACTIONAL" in str(segmentation.segmentation_type)
    for index, description in enumerate(segmentation.SegmentSequence):
        plane = pixels[..., index]
        mask = plane >= threshold if fractional else plane > 0
        canvas.add(mask, segment_name(description, configured), _segment_is_finding(description))


def paint_rtstruct(path: str, series: DicomSeries, canvas: LabelCanvas, configured_names: dict[str, str]) -> None:
    """Rasterise the closed planar contours of one RTSTRUCT onto the slices of its series."""
    import pydicom

    try:
        dataset = pydicom.dcmread(path, force=True)
    except Exception as error:
        raise read_failure(path, error) from error
    names = {int(item.ROINumber): str(item.get("ROIName", "") or f"roi {item.ROINumber}")
             for item in dataset.get("StructureSetROISequence", [])}
    types = {int(item.ReferencedROINumber): str(item.get("RTROIInterpretedType", "") or "")
             for item in dataset.get("RTROIObservationsSequence", [])}
    geometry = series.geometry
    tolerance = max(geometry.spacing_crk_mm[2] / 2.0, 1e-3)
    for roi in dataset.get("ROIContourSequence", []):
        number = int(roi.ReferencedROINumber)
        if types.get(number, "") in RT_SKIPPED_TYPES:
            continue
        raw_name = names.get(number, f"roi {number}")
        mask = np.zeros(series.data.shape, dtype=np.uint8)
        for contour in roi.get("ContourSequence", []):
            if str(contour.get("ContourGeometricType", "CLOSED_PLANAR")) != "CLOSED_PLANAR":
                continue
            points = np.asarray([float(v) for v in contour.ContourData]).reshape(-1, 3)
            if len(points) < 3:
                continue
            k, distance = geometry.slice_of(points)
            if distance > tolerance:
                raise SampleError("contour_off_grid", f"{path}: a contour of ROI {raw_name!r} lies between or "
                                  "outside the slices of its series")
            shift = 4
            polygon = np.rint(geometry.to_pixels(points, k) * (1 << shift)).astype(np.int32)
            layer = np.zeros(series.data.shape[1:], dtype=np.uint8)
            cv2.fillPoly(layer, [polygon], 1, lineType=cv2.LINE_8, shift=shift)
            mask[k] ^= layer  # even-odd: an inner contour of the same ROI is a hole
        # a configured name is the user's word; a typed ROI name passes only as known vocabulary
        name = readable_label(configured_names[raw_name]) if raw_name in configured_names else vocabulary_name(raw_name)
        canvas.add(mask.astype(bool), name, types.get(number, "") == "GTV")


def load_label_volume_lps(path: str, limits: LimitsConfig | None = None) -> np.ndarray:
    """A label volume in any storage orientation, as LPS ``[z, y, x]`` integers (header checked against
    ``limits`` before the voxels are read)."""
    if path.lower().endswith((".nii", ".nii.gz")):
        from medtrinity.sources.nifti import load_nifti, to_lps_zyx

        data, affine = load_nifti(path, limits)
        labels, _ = to_lps_zyx(data, affine)
    else:
        from medtrinity.sources.sitk_volume import load_itk_lps

        labels, _ = load_itk_lps(path, limits)
    return np.rint(labels).astype(np.int32)
