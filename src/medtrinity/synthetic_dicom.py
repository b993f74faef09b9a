"""Small DICOM series, RTSTRUCTs and SEG-free fixtures written with pydicom (tests, demos, examples).

Nothing here is copied from a real patient: the pixel data are a synthetic body with a round
lesion, and every identifier is whatever the caller passes in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def synthetic_ct(shape_zyx: tuple[int, int, int] = (6, 64, 64)) -> np.ndarray:
    """HU volume: air, a soft-tissue ellipse (40 HU) and a brighter disc (120 HU) right of the image centre."""
    depth, height, width = shape_zyx
    yy, xx = np.mgrid[0:height, 0:width]
    body = ((xx - width / 2) / (width * 0.42)) ** 2 + ((yy - height / 2) / (height * 0.35)) ** 2 <= 1
    lesion = (xx - width * 0.68) ** 2 + (yy - height * 0.5) ** 2 <= (width * 0.1) ** 2
    volume = np.full(shape_zyx, -1000.0, dtype=np.float32)
    for k in range(depth):
        volume[k][body] = 40.0 + k
        volume[k][lesion] = 120.0
    return volume


def write_ct_series(folder: Path, hu_zyx: np.ndarray | None = None, *, spacing_mm: float = 2.0,
                    slice_mm: float = 3.0, identifiers: dict[str, str] | None = None,
                    file_names: str = "slice_{index:03d}.dcm") -> list[Path]:
    """Write an axial CT series (one file per slice, slice 0 most inferior, rescale intercept -1024)."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    hu = synthetic_ct() if hu_zyx is None else hu_zyx
    folder.mkdir(parents=True, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    paths = []
    for index, plane in enumerate(hu):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / file_names.format(index=index)
        dataset = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        dataset.SOPClassUID = CTImageStorage
        dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        dataset.StudyInstanceUID, dataset.SeriesInstanceUID, dataset.FrameOfReferenceUID = study, series, frame
        dataset.Modality = "CT"
        dataset.BodyPartExamined = "ABDOMEN"
        dataset.PatientName, dataset.PatientID = "Test^Phantom", "PHANTOM001"
        for keyword, value in (identifiers or {}).items():
            setattr(dataset, keyword, value)
        dataset.InstanceNumber = index + 1
        dataset.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        dataset.ImagePositionPatient = [-spacing_mm * plane.shape[1] / 2, -spacing_mm * plane.shape[0] / 2,
                                        index * slice_mm]
        dataset.PixelSpacing = [spacing_mm, spacing_mm]
        dataset.SliceThickness = slice_mm
        dataset.Rows, dataset.Columns = plane.shape
        dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
        dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 16, 15, 0
        dataset.RescaleSlope, dataset.RescaleIntercept = 1, -1024
        dataset.PixelData = np.clip(np.rint(plane + 1024), 0, 65535).astype(np.uint16).tobytes()
        pydicom.dcmwrite(path, dataset, enforce_file_format=True)
        paths.append(path)
    return paths


def write_rtstruct(path: Path, series_files: list[Path], rois: list[dict]) -> Path:
    """Write an RTSTRUCT over a series. Each ROI: ``name``, ``type`` (e.g. GTV, ORGAN, EXTERNAL) and
    ``contours``: a list of (slice index, [(column, row), ...] pixel polygon) pairs."""
    import pydicom
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, RTStructureSetStorage, generate_uid

    slices = [pydicom.dcmread(p, stop_before_pixels=True) for p in series_files]
    first = slices[0]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RTStructureSetStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    rt = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    rt.SOPClassUID, rt.SOPInstanceUID = RTStructureSetStorage, meta.MediaStorageSOPInstanceUID
    rt.Modality = "RTSTRUCT"
    rt.StudyInstanceUID, rt.SeriesInstanceUID = first.StudyInstanceUID, generate_uid()
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName"):
        if keyword in first:
            setattr(rt, keyword, first.get(keyword))
    series_ref = Dataset()
    series_ref.SeriesInstanceUID = first.SeriesInstanceUID
    series_ref.ContourImageSequence = Sequence([_image_ref(s) for s in slices])
    study_ref = Dataset()
    study_ref.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study_ref.RTReferencedSeriesSequence = Sequence([series_ref])
    frame_ref = Dataset()
    frame_ref.FrameOfReferenceUID = first.FrameOfReferenceUID
    frame_ref.RTReferencedStudySequence = Sequence([study_ref])
    rt.ReferencedFrameOfReferenceSequence = Sequence([frame_ref])
    structure_set, contours, observations = [], [], []
    for number, roi in enumerate(rois, start=1):
        item = Dataset()
        item.ROINumber, item.ROIName = number, roi["name"]
        item.ReferencedFrameOfReferenceUID = first.FrameOfReferenceUID
        structure_set.append(item)
        observation = Dataset()
        observation.ObservationNumber, observation.ReferencedROINumber = number, number
        observation.RTROIInterpretedType = roi.get("type", "ORGAN")
        observations.append(observation)
        roi_contour = Dataset()
        roi_contour.ReferencedROINumber = number
        roi_contour.ContourSequence = Sequence([_contour(slices[k], polygon) for k, polygon in roi["contours"]])
        contours.append(roi_contour)
    rt.StructureSetROISequence = Sequence(structure_set)
    rt.ROIContourSequence = Sequence(contours)
    rt.RTROIObservationsSequence = Sequence(observations)
    pydicom.dcmwrite(path, rt, enforce_file_format=True)
    return path


def _image_ref(dataset):
    from pydicom.dataset import Dataset

    item = Dataset()
    item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = dataset.SOPClassUID, dataset.SOPInstanceUID
    return item


def _contour(dataset, polygon):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    origin = np.asarray([float(v) for v in dataset.ImagePositionPatient])
    cosines = np.asarray([float(v) for v in dataset.ImageOrientationPatient])
    row_mm, column_mm = (float(v) for v in dataset.PixelSpacing)
    points = [origin + column * column_mm * cosines[:3] + row * row_mm * cosines[3:] for column, row in polygon]
    item = Dataset()
    item.ContourGeometricType = "CLOSED_PLANAR"
    item.NumberOfContourPoints = len(points)
    item.ContourData = [round(float(v), 4) for point in points for v in point]
    item.ContourImageSequence = Sequence([_image_ref(dataset)])
    return item


def write_enhanced_ct(path: Path, hu_zyx: np.ndarray | None = None, *, spacing_mm: float = 2.0,
                      slice_mm: float = 3.0, frame_order: list[int] | None = None) -> Path:
    """Write the volume as one Enhanced CT multi-frame file with per-frame positions.

    ``frame_order`` stores the slices in another order than their positions (readers must sort
    by position, not by frame number).
    """
    import pydicom
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import EnhancedCTImageStorage, ExplicitVRLittleEndian, generate_uid

    hu = synthetic_ct() if hu_zyx is None else hu_zyx
    order = list(range(len(hu))) if frame_order is None else frame_order
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = EnhancedCTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    dataset.SOPClassUID = EnhancedCTImageStorage
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID, dataset.FrameOfReferenceUID = (
        generate_uid(), generate_uid(), generate_uid())
    dataset.Modality, dataset.BodyPartExamined = "CT", "ABDOMEN"
    dataset.PatientName, dataset.PatientID = "Test^Phantom", "PHANTOM002"
    dataset.NumberOfFrames = len(hu)
    dataset.Rows, dataset.Columns = hu.shape[1:]
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 16, 15, 0
    shared = Dataset()
    orientation, measures, transform = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    measures.PixelSpacing, measures.SliceThickness = [spacing_mm, spacing_mm], slice_mm
    transform.RescaleSlope, transform.RescaleIntercept, transform.RescaleType = 1, -1024, "HU"
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelMeasuresSequence = Sequence([measures])
    shared.PixelValueTransformationSequence = Sequence([transform])
    dataset.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for index in order:
        position = Dataset()
        position.ImagePositionPatient = [-spacing_mm * hu.shape[2] / 2, -spacing_mm * hu.shape[1] / 2,
                                         index * slice_mm]
        group = Dataset()
        group.PlanePositionSequence = Sequence([position])
        frames.append(group)
    dataset.PerFrameFunctionalGroupsSequence = Sequence(frames)
    stored = np.clip(np.rint(hu[order] + 1024), 0, 65535).astype(np.uint16)
    dataset.PixelData = stored.tobytes()
    pydicom.dcmwrite(path, dataset, enforce_file_format=True)
    return path
