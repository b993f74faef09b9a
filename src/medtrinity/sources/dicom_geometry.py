"""DICOM pixels and geometry: one series (classic or enhanced multi-frame) decoded, rescaled and sorted.

Slices are sorted by their position along the slice normal; rescale slope and intercept are applied per
slice; an enhanced multi-frame file is split into per-frame views carrying their functional-group geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.records import SampleError
from medtrinity.sources.acquisition import dicom_acquisition_facts
from medtrinity.sources.base import read_failure
from medtrinity.sources.dicom_files import _plain, check_dicom_size, overlay_masks, pixel_failure
from medtrinity.sources.dicom_privacy import body_part_term
from medtrinity.sources.safety import too_large


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


def has_geometry(path: str) -> bool:
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
                        "SeriesDescription", "ProtocolName", "ContrastBolusAgent", "ScanOptions", "ImageType",
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


def multiframe_file(path: str) -> bool:
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


def declared_frames(dataset) -> tuple[int, int, int]:
    """(frames, rows, columns) a DICOM header declares, read before its pixel data is decoded."""
    return (int(dataset.get("NumberOfFrames", 1) or 1), int(dataset.get("Rows", 0) or 0),
            int(dataset.get("Columns", 0) or 0))


def check_series_size(headers: list[tuple[str, object]], limits: LimitsConfig) -> None:
    """Refuse a series whose files together declare more voxels (or float32 bytes) than the caps allow.

    Each file was checked on its own already; here ``Rows x Columns x NumberOfFrames`` are summed over
    the files, so a series of many ordinary slices cannot add up to a volume no worker can hold.
    """
    declared = [declared_frames(dataset) for _, dataset in headers]
    voxels = sum(frames * rows * columns for frames, rows, columns in declared)
    frames = sum(entry[0] for entry in declared)
    rows, columns = max(entry[1] for entry in declared), max(entry[2] for entry in declared)
    where = f"{Path(headers[0][0]).parent} (series of {len(headers)} file(s))"
    shape = f"{frames} x {rows} x {columns}"
    if voxels > limits.max_voxels_per_volume:
        raise too_large(where, f"a {shape} volume ({voxels:,} voxels)", "max_voxels_per_volume",
                        limits.max_voxels_per_volume)
    if voxels * 4 > limits.max_array_bytes:  # decoded to float32
        raise too_large(where, f"{voxels * 4:,} bytes of {shape} float32 data", "max_array_bytes",
                        limits.max_array_bytes)


def read_series_headers(paths: list[str], limits: LimitsConfig) -> list[tuple[str, object]]:
    """Each file's dataset with its pixel data left on disk (read when decoded), every declared size checked
    against ``limits`` first: one file, and the whole series, over a cap is a ``too_large`` reject."""
    import pydicom

    headers = []
    for path in paths:
        try:
            dataset = pydicom.dcmread(path, force=True, defer_size="256 KB")
        except Exception as error:
            raise read_failure(path, error) from error
        check_dicom_size(dataset, path, limits)
        headers.append((path, dataset))
    check_series_size(headers, limits)
    return headers


def load_series(paths: list[str], overlay_min_area_px: int = 50, limits: LimitsConfig | None = None) -> DicomSeries:
    """Read, sort by position along the slice normal, decode and rescale the files of one series.

    Declared sizes (per file and summed over the series) are checked against ``limits`` before any
    pixel data is decoded.
    """
    datasets = []
    for path, dataset in read_series_headers(paths, limits or LimitsConfig()):
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
    if "BodyPartExamined" in metadata:  # typed by people: only a known term passes
        metadata["BodyPartExamined"] = body_part_term(str(metadata["BodyPartExamined"]))
    metadata.update(dicom_acquisition_facts(first))
    volume = np.stack(frames)
    overlays = series_overlays([(path, dataset) for _, path, dataset, _ in keyed], volume.shape, overlay_min_area_px)
    return DicomSeries(volume, geometry, sop_uids, first, metadata, overlays)
