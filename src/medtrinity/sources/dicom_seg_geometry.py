"""DICOM SEG frames placed on their source series by geometry, the way dcmqi and 3D Slicer SEGs must be read.

dcmqi (the converter behind 3D Slicer's DICOM SEG export) writes a SEG whose frames carry their own
``PlanePositionSequence`` and ``ReferencedSegmentNumber`` per frame, with orientation and pixel spacing in
the shared functional groups, skips empty frames, and does not declare ``DimensionOrganizationType`` nor
``SpatialLocationsPreserved``. highdicom refuses to index such a SEG by source instance; the standard says
the frame's position, not its source reference, places it. Here each frame is matched to the source slice
whose plane it lies in (distance along the slice normal within half a slice), its in-plane offset is
taken from the position (whole pixels), and the sample's metadata says the frames were placed this way
(``seg_placed_by: geometry``, ``seg_max_distance_mm``, ``seg_tolerance_mm``).
This also reads a SEG whose source is an enhanced multi-frame image (no per-slice SOP instance to match).
"""

from __future__ import annotations

import numpy as np

from medtrinity.records import SampleError
from medtrinity.sources.dicom_geometry import DicomSeries

ORIENTATION_TOLERANCE = 1e-3  # direction cosines
IN_PLANE_TOLERANCE_PX = 0.1


def locations_declared_preserved(dataset) -> bool:
    """Whether every frame's source references declare ``SpatialLocationsPreserved`` YES (highdicom's condition)."""
    frames = dataset.get("PerFrameFunctionalGroupsSequence") or []
    if not frames:
        return False
    for frame in frames:
        sources = [source for derivation in frame.get("DerivationImageSequence", []) or []
                   for source in derivation.get("SourceImageSequence", []) or []]
        if not sources or any(str(source.get("SpatialLocationsPreserved", "")) != "YES" for source in sources):
            return False
    return True


def _frame_value(dataset, frame, sequence: str, attribute: str):
    for groups in (frame, (dataset.get("SharedFunctionalGroupsSequence") or [None])[0]):
        if groups is not None and sequence in groups and len(groups[sequence].value):
            value = groups[sequence].value[0].get(attribute)
            if value is not None:
                return value
    return None


def _segment_frames(path: str, dataset) -> np.ndarray:
    """The SEG frames as ``(frames, rows, columns)`` floats in [0, 1] (fractional values rescaled)."""
    try:
        pixels = dataset.pixel_array
    except Exception as error:  # noqa: BLE001 - a truncated or undecodable SEG becomes a reject
        raise SampleError("bad_segmentation", f"{path}: SEG pixel data cannot be decoded: "
                          f"{type(error).__name__}: {error}") from error
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    pixels = np.asarray(pixels).reshape(frames, int(dataset.Rows), int(dataset.Columns)).astype(np.float32)
    if str(dataset.get("SegmentationType", "BINARY")).upper() == "FRACTIONAL":
        pixels /= float(dataset.get("MaximumFractionalValue", 255) or 255)
    return pixels


def seg_masks_by_geometry(path: str, dataset, series: DicomSeries, threshold: float
                          ) -> tuple[dict[int, np.ndarray], dict[str, object]]:
    """Segment number -> boolean mask on the series' ``[k, row, column]`` grid, and the note to attach
    (metadata tokens: placed by geometry, the largest distance from a slice plane and the tolerance, in mm).

    Raises ``bad_segmentation`` naming the frame when a frame is tilted against the series, lies between or
    outside its slices, has another pixel spacing, or is offset by a fraction of a pixel.
    """
    geometry = series.geometry
    depth, rows, columns = series.data.shape
    spacing = (geometry.spacing_crk_mm[0], geometry.spacing_crk_mm[1])
    slice_tolerance_mm = max(geometry.spacing_crk_mm[2] / 2.0, 1e-3)
    frames = _segment_frames(path, dataset)
    fractional = str(dataset.get("SegmentationType", "BINARY")).upper() == "FRACTIONAL"
    along = geometry.positions @ geometry.normal
    masks: dict[int, np.ndarray] = {}
    per_frame = dataset.get("PerFrameFunctionalGroupsSequence") or []
    if len(per_frame) != len(frames):
        raise SampleError("bad_segmentation", f"{path}: {len(frames)} frames but {len(per_frame)} per-frame "
                          "functional group items")
    worst_mm = 0.0
    for index, frame in enumerate(per_frame):
        position = _frame_value(dataset, frame, "PlanePositionSequence", "ImagePositionPatient")
        orientation = _frame_value(dataset, frame, "PlaneOrientationSequence", "ImageOrientationPatient")
        segment = _frame_value(dataset, frame, "SegmentIdentificationSequence", "ReferencedSegmentNumber")
        frame_spacing = _frame_value(dataset, frame, "PixelMeasuresSequence", "PixelSpacing")
        if position is None or orientation is None or segment is None:
            raise SampleError("bad_segmentation", f"{path}: frame {index + 1} lacks its position, orientation or "
                              "ReferencedSegmentNumber, so it cannot be placed on the series")
        cosines = np.asarray([float(v) for v in orientation])
        if not (np.allclose(cosines[:3], geometry.row_cosine, atol=ORIENTATION_TOLERANCE)
                and np.allclose(cosines[3:], geometry.column_cosine, atol=ORIENTATION_TOLERANCE)):
            raise SampleError("bad_segmentation", f"{path}: frame {index + 1} orientation {cosines.round(4).tolist()} "
                              "differs from its source series' (a resampled SEG is not supported)")
        if frame_spacing is not None:
            seg_spacing = (float(frame_spacing[1]), float(frame_spacing[0]))
            if not np.allclose(seg_spacing, spacing, rtol=1e-3):
                raise SampleError("bad_segmentation", f"{path}: frame {index + 1} pixel spacing {seg_spacing} mm "
                                  f"differs from the series' {spacing} mm")
        point = np.asarray([float(v) for v in position])
        distance = np.abs(along - float(point @ geometry.normal))
        k = int(np.argmin(distance))
        if distance[k] > slice_tolerance_mm:
            raise SampleError("bad_segmentation", f"{path}: frame {index + 1} lies {distance[k]:.2f} mm from the "
                              f"nearest slice of its series (tolerance {slice_tolerance_mm:.2f} mm)")
        worst_mm = max(worst_mm, float(distance[k]))
        offset = geometry.to_pixels(point[None, :], k)[0]  # column, row of the frame's first pixel
        shift = np.rint(offset).astype(int)
        if np.any(np.abs(offset - shift) > IN_PLANE_TOLERANCE_PX):
            raise SampleError("bad_segmentation", f"{path}: frame {index + 1} is offset by a fraction of a pixel "
                              f"({offset.round(2).tolist()}) from its slice's grid")
        plane = frames[index] >= threshold if fractional else frames[index] > 0
        mask = masks.setdefault(int(segment), np.zeros((depth, rows, columns), dtype=bool))
        _paste(mask[k], plane, int(shift[1]), int(shift[0]))
    note = {"seg_placed_by": "geometry", "seg_max_distance_mm": round(worst_mm, 3),
            "seg_tolerance_mm": round(slice_tolerance_mm, 3)}
    return masks, note


def _paste(target: np.ndarray, plane: np.ndarray, row0: int, column0: int) -> None:
    """OR ``plane`` into ``target`` with its first pixel at (row0, column0), cropped to the target."""
    rows, columns = target.shape
    top, left = max(row0, 0), max(column0, 0)
    bottom, right = min(row0 + plane.shape[0], rows), min(column0 + plane.shape[1], columns)
    if bottom <= top or right <= left:
        return
    target[top:bottom, left:right] |= plane[top - row0: bottom - row0, left - column0: right - column0]
