"""DICOM series (pydicom) as volumes, with DICOM SEG (highdicom) and RTSTRUCT annotations.

``path`` is a folder tree (or glob) of DICOM files. Files are grouped by ``SeriesInstanceUID``;
each image series is one item. Slices are sorted by their position along the slice normal,
rescale slope and intercept are applied per slice, compressed transfer syntaxes are decoded
by the installed pydicom plugins (JPEG, JPEG-LS, JPEG 2000, RLE). The volume is brought to the
canonical LPS ``[z, y, x]`` order from ``ImageOrientationPatient``.

Annotations are found under ``labels`` (a folder, file or glob; default: ``path`` itself):

* **DICOM SEG** files are linked to their source series by the referenced ``SeriesInstanceUID``
  and read with highdicom; fractional segments are thresholded (``options.fractional_threshold``,
  default 0.5); overlapping segments are painted largest first, so a small segment (a lesion
  inside an organ) keeps all its pixels and the larger one loses the overlap.
* **RTSTRUCT** contours (``CLOSED_PLANAR``) are rasterised onto the slice they lie in; holes
  (contours inside contours of the same ROI) are cut out by even-odd filling.
* A **label volume** (``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha``) on the series grid is reoriented the
  same way (any storage orientation) and must match the series shape.

A SEG or RTSTRUCT whose source series is not among the inputs becomes a reject
(``missing_source_series``). The case id is a salted hash of the StudyInstanceUID; no header
identifier leaves the reader.
"""

from __future__ import annotations

import glob
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from pydantic import Field

from medtrinity.preprocess.deid import case_id
from medtrinity.preprocess.labels import is_finding, readable_label
from medtrinity.records import Sample, SampleError, stable_id
from medtrinity.registry import PluginOptions, require
from medtrinity.sources.base import READERS, Reader, read_failure
from medtrinity.sources.dicom_files import DICOM_MODALITY, _plain, overlay_masks, pixel_failure
from medtrinity.sources.volume import Volume, reorient_to_lps, volume_samples

ANNOTATION_MODALITIES = ("SEG", "RTSTRUCT")
# documents, presentation states and plans carry no image to annotate
NON_IMAGE_MODALITIES = frozenset({"SR", "ANN", "KO", "PR", "RTPLAN", "RTDOSE", "RTRECORD", "REG", "FID", "DOC",
                                  "PLAN", "AU", "ECG", "HD"})
LABEL_VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
# RT ROI types that are not anatomy or disease (body outline, couch, markers): skipped by default.
RT_SKIPPED_TYPES = frozenset({"EXTERNAL", "SUPPORT", "FIXATION", "BOLUS", "MARKER", "REGISTRATION",
                              "ISOCENTER", "CONTRAST_AGENT", "BRACHY_ACCESSORY", "BRACHY_SRC_APP"})
# SNOMED CT "Morphologically abnormal structure": a SEG category that marks findings.
ABNORMAL_CATEGORY_CODES = frozenset({"49755003", "M-01000"})
_HEADER_TAGS = ["Modality", "SeriesInstanceUID", "StudyInstanceUID", "SOPInstanceUID", "SOPClassUID",
                "ImagePositionPatient", "ImageOrientationPatient"]


@dataclass(frozen=True)
class DicomHeader:
    """What the scan keeps of one file's header (never written anywhere)."""

    path: str
    modality: str
    series_uid: str
    referenced_series: tuple[str, ...] = ()


def looks_like_dicom(path: Path) -> bool:
    """A file with the DICM marker at byte 128, or with a .dcm suffix."""
    if path.suffix.lower() in (".dcm", ".dicom"):
        return True
    try:
        with path.open("rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def dicom_files_under(pattern: str) -> list[Path]:
    """DICOM files in a file, a folder tree or a glob, sorted."""
    root = Path(pattern)
    if root.is_file():
        candidates = [root]
    elif root.is_dir():
        candidates = [p for p in root.rglob("*") if p.is_file()]
    else:
        candidates = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()]
    return sorted(p for p in candidates if not p.name.lower().endswith(LABEL_VOLUME_SUFFIXES) and looks_like_dicom(p))


def _referenced_series(dataset) -> tuple[str, ...]:
    found: list[str] = []
    for item in dataset.get("ReferencedSeriesSequence", []) or []:  # SEG
        if item.get("SeriesInstanceUID"):
            found.append(str(item.SeriesInstanceUID))
    for frame in dataset.get("ReferencedFrameOfReferenceSequence", []) or []:  # RTSTRUCT
        for study in frame.get("RTReferencedStudySequence", []) or []:
            for series in study.get("RTReferencedSeriesSequence", []) or []:
                if series.get("SeriesInstanceUID"):
                    found.append(str(series.SeriesInstanceUID))
    return tuple(dict.fromkeys(found))


UNREADABLE = "?unreadable"
_HEADER_CACHE: dict[tuple[str, int, int], DicomHeader] = {}


def _read_header(path: Path) -> DicomHeader:
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_HEADER_TAGS, force=True)
        modality = str(dataset.get("Modality", "") or "")
        if modality in ANNOTATION_MODALITIES:
            dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        if "SOPInstanceUID" not in dataset and "Modality" not in dataset:
            raise ValueError("no DICOM header found")
    except Exception:  # noqa: BLE001 - the file becomes an item of its own, read as a reject
        return DicomHeader(str(path), UNREADABLE, "")
    # anonymised files may lack the series UID: their folder then stands for the series
    series_uid = str(dataset.get("SeriesInstanceUID", "") or "") or f"folder-{stable_id(path.parent)}"
    references = _referenced_series(dataset) if modality in ANNOTATION_MODALITIES else ()
    return DicomHeader(str(path), modality, series_uid, references)


def scan_headers(pattern: str) -> tuple[DicomHeader, ...]:
    """Headers of every DICOM file under ``pattern``; cached per process by path, size and modification time."""
    headers: list[DicomHeader] = []
    for path in dicom_files_under(pattern):
        try:
            stat = path.stat()
        except OSError:
            continue
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _HEADER_CACHE:
            _HEADER_CACHE[key] = _read_header(path)
        headers.append(_HEADER_CACHE[key])
    return tuple(headers)


@dataclass
class SeriesGeometry:
    """Where the ``[k, row, column]`` voxel grid of a sorted series lies in patient space (LPS mm)."""

    row_cosine: np.ndarray  # direction of increasing column index
    column_cosine: np.ndarray  # direction of increasing row index
    normal: np.ndarray  # direction of increasing slice index
    positions: np.ndarray  # (k, 3) ImagePositionPatient of each slice, sorted
    spacing_crk_mm: tuple[float, float, float]  # column, row, slice spacing

    def axis_directions(self) -> np.ndarray:
        return np.stack([self.normal, self.column_cosine, self.row_cosine])

    def spacing_xyz_lps(self) -> tuple[float, float, float]:
        """Voxel size along the LPS x, y, z axes after :func:`reorient_to_lps`."""
        from medtrinity.sources.volume import lps_transform

        order, _ = lps_transform(self.axis_directions())
        by_axis = (self.spacing_crk_mm[2], self.spacing_crk_mm[1], self.spacing_crk_mm[0])
        z, y, x = (by_axis[axis] for axis in order)
        return (x, y, z)

    def slice_of(self, points_mm: np.ndarray) -> tuple[int, float]:
        """The slice nearest to planar points (n, 3), and their distance from it in mm."""
        distance = np.abs(self.positions @ self.normal - float(np.mean(points_mm @ self.normal)))
        k = int(np.argmin(distance))
        return k, float(distance[k])

    def to_pixels(self, points_mm: np.ndarray, k: int) -> np.ndarray:
        """Patient points (n, 3) -> (n, 2) column/row pixel coordinates in slice ``k``."""
        relative = points_mm - self.positions[k]
        columns = relative @ self.row_cosine / self.spacing_crk_mm[0]
        rows = relative @ self.column_cosine / self.spacing_crk_mm[1]
        return np.stack([columns, rows], axis=1)


@dataclass
class DicomSeries:
    """A decoded, sorted series in its stored ``[k, row, column]`` order."""

    data: np.ndarray
    geometry: SeriesGeometry
    sop_uids: list[str]
    first: object  # the first slice's dataset (headers only are used)
    metadata: dict = field(default_factory=dict)
    overlays: dict[int, np.ndarray] = field(default_factory=dict)  # overlay number -> [k, row, column] mask


def _frame_pixels(dataset, path: str) -> np.ndarray:
    pixels = getattr(dataset, "frame_pixels", None)  # a frame already decoded from a multi-frame file
    if pixels is None:
        try:
            pixels = dataset.pixel_array
        except Exception as error:  # missing decoder, truncated data, unsupported syntax
            raise pixel_failure(dataset, path, error) from error
    if pixels.ndim != 2:
        raise SampleError("wrong_dimensions", f"{path}: expected one greyscale frame per file, got {pixels.shape}")
    slope = float(dataset.get("RescaleSlope", 1) or 1)
    intercept = float(dataset.get("RescaleIntercept", 0) or 0)
    values = pixels.astype(np.float32) * slope + intercept
    if dataset.get("PhotometricInterpretation") == "MONOCHROME1":
        values = values.max() - values + values.min()
    return values


def _has_geometry(path: str) -> bool:
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - load_series reports the unreadable file
        return True
    if is_enhanced_multiframe(dataset):
        return True
    return dataset.get("ImageOrientationPatient") is not None and dataset.get("ImagePositionPatient") is not None


def is_enhanced_multiframe(dataset) -> bool:
    """An enhanced multi-frame image (Enhanced CT/MR...): frames of one volume with per-frame positions."""
    return int(dataset.get("NumberOfFrames", 1) or 1) > 1 and "PerFrameFunctionalGroupsSequence" in dataset


def _functional(dataset, frame_groups, sequence: str, attribute: str):
    """An attribute of a functional group: the frame's own group first, else the shared one."""
    for groups in (frame_groups, (dataset.get("SharedFunctionalGroupsSequence") or [None])[0]):
        if groups is not None and sequence in groups and len(groups[sequence].value):
            value = groups[sequence].value[0].get(attribute)
            if value is not None:
                return value
    return None


def enhanced_frames(path: str, dataset) -> list[tuple[str, object]]:
    """The frames of an enhanced multi-frame file as per-frame datasets, each with its own position.

    Each view carries the geometry and rescale of its functional groups and its decoded pixels, so
    the frames sort and stack exactly like the files of a classic series. (A SEG that references
    frames of such a file is not linked: its source must be a classic series.)
    """
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid

    try:
        pixels = dataset.pixel_array
    except Exception as error:
        raise pixel_failure(dataset, path, error) from error
    if pixels.ndim != 3:
        raise SampleError("wrong_dimensions", f"{path}: expected frames x rows x columns, got {pixels.shape}")
    views = []
    for index, groups in enumerate(dataset.PerFrameFunctionalGroupsSequence):
        view = Dataset()
        for keyword in ("Modality", "BodyPartExamined", "StudyInstanceUID", "SeriesInstanceUID", "KVP",
                        "MagneticFieldStrength", "Manufacturer", "PhotometricInterpretation"):
            if keyword in dataset:
                setattr(view, keyword, dataset.get(keyword))
        view.SOPInstanceUID = generate_uid(entropy_srcs=[str(dataset.SOPInstanceUID), str(index)])
        geometry = {
            "ImagePositionPatient": _functional(dataset, groups, "PlanePositionSequence", "ImagePositionPatient"),
            "ImageOrientationPatient": _functional(dataset, groups, "PlaneOrientationSequence",
                                                   "ImageOrientationPatient"),
            "PixelSpacing": _functional(dataset, groups, "PixelMeasuresSequence", "PixelSpacing"),
            "SliceThickness": _functional(dataset, groups, "PixelMeasuresSequence", "SliceThickness"),
            "RescaleSlope": _functional(dataset, groups, "PixelValueTransformationSequence", "RescaleSlope"),
            "RescaleIntercept": _functional(dataset, groups, "PixelValueTransformationSequence", "RescaleIntercept"),
        }
        for keyword, value in geometry.items():
            if value is not None:
                setattr(view, keyword, value)
        view.frame_pixels = pixels[index]
        views.append((path, view))
    return views


def _multiframe_file(path: str) -> bool:
    import pydicom

    try:
        return is_enhanced_multiframe(pydicom.dcmread(path, stop_before_pixels=True, force=True))
    except Exception:  # noqa: BLE001 - load_series reports the unreadable file
        return False


def series_overlays(datasets: list, shape: tuple[int, int, int], min_area_px: int) -> dict[int, np.ndarray]:
    """Overlay planes (groups 0x6000-0x601E) of each slice, closed contours filled, as per-number masks."""
    found: dict[int, np.ndarray] = {}
    for k, (path, dataset) in enumerate(datasets):
        for number, mask in overlay_masks(dataset, (shape[1], shape[2]), min_area_px, path).items():
            found.setdefault(number, np.zeros(shape, dtype=bool))[k] = mask
    return found


def load_series(paths: list[str], overlay_min_area_px: int = 50) -> DicomSeries:
    """Read, sort by position along the slice normal, decode and rescale the files of one series."""
    import pydicom

    datasets = []
    for path in paths:
        try:
            dataset = pydicom.dcmread(path, force=True)
        except Exception as error:
            raise read_failure(path, error) from error
        datasets.extend(enhanced_frames(path, dataset) if is_enhanced_multiframe(dataset) else [(path, dataset)])
    first_path, first = datasets[0]
    orientation = first.get("ImageOrientationPatient")
    if orientation is None or len(orientation) != 6 or first.get("ImagePositionPatient") is None:
        raise SampleError("missing_geometry", f"{first_path}: no ImageOrientationPatient/ImagePositionPatient, "
                          "so the slices cannot be ordered (use the dicom_files reader for 2D images)")
    cosines = np.asarray([float(v) for v in orientation])
    row_cosine, column_cosine = cosines[:3], cosines[3:]
    normal = np.cross(row_cosine, column_cosine)
    keyed = []
    for path, dataset in datasets:
        if dataset.get("ImagePositionPatient") is None:
            raise SampleError("missing_geometry", f"{path}: no ImagePositionPatient")
        other = np.asarray([float(v) for v in dataset.get("ImageOrientationPatient", orientation)])
        if not np.allclose(other, cosines, atol=1e-3):
            raise SampleError("inconsistent_series", f"{path}: ImageOrientationPatient differs from the series'")
        position = np.asarray([float(v) for v in dataset.ImagePositionPatient])
        keyed.append((float(position @ normal), path, dataset, position))
    keyed.sort(key=lambda entry: entry[0])
    along = np.asarray([entry[0] for entry in keyed])
    if len(keyed) > 1 and np.min(np.diff(along)) < 1e-3:
        duplicate = keyed[int(np.argmin(np.diff(along))) + 1][1]
        raise SampleError("duplicate_slice_position", f"{duplicate}: two slices of the series share one position")
    frames = [_frame_pixels(dataset, path) for _, path, dataset, _ in keyed]
    shapes = {frame.shape for frame in frames}
    if len(shapes) != 1:
        raise SampleError("inconsistent_series", f"{first_path}: slices of one series have shapes {sorted(shapes)}")
    spacing = first.get("PixelSpacing") or [1.0, 1.0]
    if len(keyed) > 1:
        slice_mm = float(np.median(np.diff(along)))
    else:
        slice_mm = float(first.get("SpacingBetweenSlices") or first.get("SliceThickness") or 1.0)
    geometry = SeriesGeometry(row_cosine, column_cosine, normal, np.stack([entry[3] for entry in keyed]),
                              (float(spacing[1]), float(spacing[0]), slice_mm))
    sop_uids = [str(dataset.SOPInstanceUID) for _, _, dataset, _ in keyed]
    metadata = {key: _plain(first.get(key)) for key in ("Modality", "BodyPartExamined", "SliceThickness", "KVP",
                                                        "MagneticFieldStrength", "Manufacturer")
                if first.get(key) not in (None, "")}
    volume = np.stack(frames)
    overlays = series_overlays([(path, dataset) for _, path, dataset, _ in keyed], volume.shape, overlay_min_area_px)
    return DicomSeries(volume, geometry, sop_uids, first, metadata, overlays)


@dataclass
class LabelCanvas:
    """Label values painted onto the series grid, with names; regions are painted largest first."""

    shape: tuple[int, int, int]
    regions: list[tuple[np.ndarray, str, bool]] = field(default_factory=list)  # mask, name, is_finding

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
    name = f"{modifier} {meaning}".strip() or str(description.get("SegmentLabel", "") or f"segment {number}")
    return readable_label(name)


def _segment_is_finding(description) -> bool:
    category = (description.get("SegmentedPropertyCategoryCodeSequence") or [None])[0]
    return category is not None and str(category.get("CodeValue", "")) in ABNORMAL_CATEGORY_CODES


def paint_seg(path: str, series: DicomSeries, canvas: LabelCanvas, configured: dict[int, str],
              threshold: float) -> None:
    """Add the segments of one DICOM SEG (highdicom) to the canvas of its source series."""
    highdicom = require("highdicom", "pip install highdicom", purpose="reading DICOM SEG")
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
        name = readable_label(configured_names.get(raw_name, raw_name))
        canvas.add(mask.astype(bool), name, types.get(number, "") == "GTV")


def load_label_volume_lps(path: str) -> np.ndarray:
    """A label volume in any storage orientation, as LPS ``[z, y, x]`` integers."""
    if path.lower().endswith((".nii", ".nii.gz")):
        from medtrinity.sources.nifti import load_nifti, to_lps_zyx

        data, affine = load_nifti(path)
        labels, _ = to_lps_zyx(data, affine)
    else:
        from medtrinity.sources.sitk_volume import load_itk_lps

        labels, _ = load_itk_lps(path)
    return np.rint(labels).astype(np.int32)


class DicomSeriesOptions(PluginOptions):
    """Options of the ``dicom_series`` reader: overlay area floor, SEG threshold, RTSTRUCT renames."""

    overlay_min_area_px: int = Field(default=50, ge=0)
    fractional_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    rtstruct_names: dict[str, str] = Field(default_factory=dict)


@READERS.register("dicom_series")
class DicomSeriesReader(Reader):
    """``path``: a folder tree of DICOM files; each image series is one volume (2D images such as radiographs,
    which have no patient position, are read like ``dicom_files``, overlays included).

    ``labels``: SEG/RTSTRUCT files or folders (default: found under ``path``), or a label volume
    (NIfTI/NRRD/MHA) on the series grid, named by ``label_map``/``label_names``.
    Options: ``fractional_threshold`` (0.5), ``rtstruct_names`` (ROI name -> readable name).
    """

    formats = ("DICOM image series (any transfer syntax with a decoder: JPEG, JPEG-LS, JPEG 2000, RLE) "
               "with DICOM SEG, RTSTRUCT or a label volume")
    Options = DicomSeriesOptions
    dependencies = (("pydicom", "pip install pydicom"), ("highdicom", "pip install highdicom"),
                    ("pylibjpeg", "pip install pylibjpeg pylibjpeg-openjpeg pylibjpeg-libjpeg"))
    volumetric = True

    def _label_volume(self) -> bool:
        return bool(self.source.labels and self.source.labels.lower().endswith(LABEL_VOLUME_SUFFIXES))

    def _annotation_root(self) -> str:
        labels = self.source.labels
        if labels and not labels.lower().endswith(LABEL_VOLUME_SUFFIXES):
            return labels
        return self.source.path

    def _index(self) -> tuple[dict[str, list[str]], list[DicomHeader]]:
        series: dict[str, list[str]] = defaultdict(list)
        annotations: list[DicomHeader] = []
        self._unreadable = []
        for header in scan_headers(self.source.path):
            if header.modality == UNREADABLE:
                self._unreadable.append(header.path)
            elif header.modality in ANNOTATION_MODALITIES:
                annotations.append(header)
            elif header.modality not in NON_IMAGE_MODALITIES:
                series[header.series_uid].append(header.path)
        if self._annotation_root() != self.source.path:
            annotations = [h for h in scan_headers(self._annotation_root()) if h.modality in ANNOTATION_MODALITIES]
        return series, annotations

    def list_items(self) -> list[str]:
        require("pydicom", "pip install pydicom", purpose="the dicom_series reader")
        series, annotations = self._index()
        if not series and not annotations:
            raise FileNotFoundError(f"no DICOM files found under {self.source.path!r}")
        items = [f"{Path(min(paths)).parent}#{uid}" for uid, paths in series.items()]
        # an annotation whose source series is absent is an item of its own, so that it becomes a reject
        items += [h.path for h in annotations if not set(h.referenced_series) & set(series)]
        items += self._unreadable  # each unreadable file becomes a reject naming it
        return sorted(items)

    def read(self, item: str) -> Iterator[Sample]:
        series_index, annotations = self._index()
        if item in self._unreadable:
            import pydicom

            try:
                pydicom.dcmread(item, force=True)
            except Exception as error:
                raise read_failure(item, error) from error
            raise SampleError("unreadable_file", f"{item}: not a DICOM file with an image header")
        header = next((h for h in annotations if h.path == item), None)
        if header is not None and not set(header.referenced_series) & set(series_index):
            raise SampleError("missing_source_series", f"{item}: this {header.modality} references series "
                              f"{', '.join(header.referenced_series) or '(none)'}, not found under {self.source.path}")
        uid = item.rsplit("#", 1)[-1]
        if uid not in series_index:
            raise SampleError("missing_series", f"{item}: the series is no longer found under {self.source.path}")
        files = sorted(series_index[uid])
        annotated = any(uid in header.referenced_series for header in annotations)
        # radiographs and photos (no patient position), and lone images without SEG/RTSTRUCT, are 2D samples
        lone = len(files) == 1 and not annotated and not self._label_volume() and not _multiframe_file(files[0])
        if not _has_geometry(files[0]) or lone:
            from medtrinity.sources.dicom_files import DicomFilesReader

            flat = DicomFilesReader(self.source, self.config)
            for path in files:
                yield from flat.read(path)
            return
        series = load_series(files, int(self.source.options.get("overlay_min_area_px", 50)))
        canvas = LabelCanvas(series.data.shape)
        configured = self.label_names()
        threshold = float(self.source.options.get("fractional_threshold", 0.5))
        rt_names = {str(k): str(v) for k, v in (self.source.options.get("rtstruct_names") or {}).items()}
        for header in annotations:
            if uid not in header.referenced_series:
                continue
            if header.modality == "SEG":
                paint_seg(header.path, series, canvas, configured, threshold)
            else:
                paint_rtstruct(header.path, series, canvas, rt_names)
        for number, mask in series.overlays.items():
            canvas.add(mask, configured.get(number, f"overlay region {number}"), False)
        directions = series.geometry.axis_directions()
        data = reorient_to_lps(series.data, directions)
        labels, names, coded_findings = None, configured, set()
        if canvas.regions:
            grid, names, coded_findings = canvas.render()
            labels = reorient_to_lps(grid, directions)
        elif self._label_volume():
            labels = load_label_volume_lps(self.source.labels)
            if labels.shape != data.shape:
                raise SampleError("mask_shape_mismatch", f"{self.source.labels}: label volume shape {labels.shape} "
                                  f"differs from the series shape {data.shape} (both in LPS order)")
        first = series.first
        dicom_modality = str(first.get("Modality", "") or "")
        modality = self.source.modality or DICOM_MODALITY.get(dicom_modality, "other")
        body_part = self.source.body_part or readable_label(str(first.get("BodyPartExamined", "") or ""))
        if body_part in ("partialbody", "wholebody"):
            body_part = ""
        volume = Volume(
            data=data,
            spacing_xyz_mm=series.geometry.spacing_xyz_lps(),
            labels=labels,
            intensity_unit="HU" if dicom_modality == "CT" else "",
            metadata={**series.metadata, "format": "dicom series"},
        )
        study = str(first.get("StudyInstanceUID", "") or uid)
        for sample in volume_samples(volume, source=self.source, config=self.config, case_key=uid,
                                     source_file=item, label_names=names, modality=modality, body_part=body_part):
            sample.case_id = case_id(self.source.name, study, self.config.case_id_salt)
            if coded_findings:
                sample.finding_labels = sample.finding_labels | frozenset(
                    n for n in coded_findings if self.source.findings is None or is_finding(n, self.source.findings))
            yield sample
