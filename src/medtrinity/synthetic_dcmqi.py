"""A replica of the DICOM SEG that dcmqi (``itkimage2segimage``, used by 3D Slicer's SEG export) writes.

Built attribute by attribute after what DCMTK's ``dcmseg`` module emits for dcmqi: a BINARY SEG with
bit-packed frames, one frame per (segment, slice) that holds any pixel (empty frames are skipped),
orientation and pixel measures in the shared functional groups, and per frame a ``DerivationImageSequence``
(source image + purpose code 121322, derivation code 113076), a ``FrameContentSequence`` with the dimension
index values (segment number, position index), a ``PlanePositionSequence`` and a
``SegmentIdentificationSequence``; a ``DimensionIndexSequence`` pointing at ``ReferencedSegmentNumber`` and
``ImagePositionPatient``. What dcmqi does **not** write is left out on purpose: no
``DimensionOrganizationType`` and no ``SpatialLocationsPreserved`` in the source image items, which is why
highdicom refuses to index such a SEG by source instance. Used by tests; nothing here comes from a patient.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
DCMTK_IMPLEMENTATION_UID = "1.2.276.0.7230010.3.0.3.6.7"


def _code(value: str, scheme: str, meaning: str):
    from pydicom.dataset import Dataset

    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _source_frames(sources: list) -> list[tuple[object, int | None, list[float], list[float], list[float]]]:
    """(dataset, frame number or None, position, orientation, pixel spacing) per source slice, sorted by position."""
    frames = []
    for dataset in sources:
        per_frame = dataset.get("PerFrameFunctionalGroupsSequence")
        if per_frame:
            shared = dataset.SharedFunctionalGroupsSequence[0]
            orientation = list(shared.PlaneOrientationSequence[0].ImageOrientationPatient)
            spacing = list(shared.PixelMeasuresSequence[0].PixelSpacing)
            for number, group in enumerate(per_frame, start=1):
                position = list(group.PlanePositionSequence[0].ImagePositionPatient)
                frames.append((dataset, number, position, orientation, spacing))
        else:
            frames.append((dataset, None, list(dataset.ImagePositionPatient), list(dataset.ImageOrientationPatient),
                           list(dataset.PixelSpacing)))
    normal = np.cross(np.asarray(frames[0][3][:3], float), np.asarray(frames[0][3][3:], float))
    return sorted(frames, key=lambda frame: float(np.asarray(frame[2], float) @ normal))


def write_dcmqi_seg(path: Path, source_files: list[Path], labels_kij: np.ndarray,
                    segments: list[dict]) -> Path:
    """Write ``labels_kij`` (slice, row, column in source-position order; values = segment numbers) as dcmqi does.

    ``segments``: ``{"number", "label", "category": (code, scheme, meaning), "type": (code, scheme, meaning),
    "anatomic": optional (code, scheme, meaning)}`` in segment-number order.
    """
    import pydicom
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.pixels import pack_bits
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    sources = [pydicom.dcmread(p) for p in source_files]
    slices = _source_frames(sources)
    if len(slices) != labels_kij.shape[0]:
        raise ValueError(f"{len(slices)} source slices but a label volume of {labels_kij.shape[0]}")
    first = sources[0]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SEGMENTATION_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = DCMTK_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "OFFIS_DCMTK_367"
    seg = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    seg.SpecificCharacterSet = "ISO_IR 100"
    seg.ImageType = ["DERIVED", "PRIMARY"]
    seg.SOPClassUID, seg.SOPInstanceUID = SEGMENTATION_STORAGE, meta.MediaStorageSOPInstanceUID
    for keyword in ("StudyInstanceUID", "StudyDate", "StudyTime", "StudyID", "AccessionNumber", "PatientName",
                    "PatientID", "PatientBirthDate", "PatientSex", "FrameOfReferenceUID"):
        if keyword in first:
            setattr(seg, keyword, first.get(keyword))
    seg.Modality = "SEG"
    seg.Manufacturer, seg.ManufacturerModelName = "QIICR", "dcmqi"
    seg.SoftwareVersions, seg.DeviceSerialNumber = "1.3.0", "1"
    seg.SeriesInstanceUID, seg.SeriesNumber, seg.InstanceNumber = generate_uid(), 300, 1
    seg.SeriesDescription = "Segmentation"
    seg.ContentLabel, seg.ContentDescription, seg.ContentCreatorName = "SEGMENTATION", "Image segmentation", "Reader1"
    seg.PositionReferenceIndicator = ""
    seg.SamplesPerPixel, seg.PhotometricInterpretation = 1, "MONOCHROME2"
    seg.Rows, seg.Columns = int(labels_kij.shape[1]), int(labels_kij.shape[2])
    seg.BitsAllocated, seg.BitsStored, seg.HighBit, seg.PixelRepresentation = 1, 1, 0, 0
    seg.LossyImageCompression = "00"
    seg.SegmentationType = "BINARY"
    organization = generate_uid()
    seg.DimensionOrganizationSequence = Sequence([Dataset()])
    seg.DimensionOrganizationSequence[0].DimensionOrganizationUID = organization
    index_items = []
    for pointer, group, label in ((0x0062000B, 0x0062000A, "ReferencedSegmentNumber"),
                                  (0x00200032, 0x00209113, "ImagePositionPatient")):
        item = Dataset()
        item.DimensionOrganizationUID = organization
        item.DimensionIndexPointer, item.FunctionalGroupPointer = pointer, group
        item.DimensionDescriptionLabel = label
        index_items.append(item)
    seg.DimensionIndexSequence = Sequence(index_items)
    segment_items = []
    for spec in segments:
        item = Dataset()
        item.SegmentNumber, item.SegmentLabel = int(spec["number"]), spec["label"]
        item.SegmentAlgorithmType, item.SegmentAlgorithmName = "SEMIAUTOMATIC", "SlicerEditor"
        item.SegmentedPropertyCategoryCodeSequence = Sequence([_code(*spec["category"])])
        item.SegmentedPropertyTypeCodeSequence = Sequence([_code(*spec["type"])])
        if spec.get("anatomic"):
            item.AnatomicRegionSequence = Sequence([_code(*spec["anatomic"])])
        item.RecommendedDisplayCIELabValue = [43803, 26565, 37722]
        segment_items.append(item)
    seg.SegmentSequence = Sequence(segment_items)
    shared = Dataset()
    orientation, measures = Dataset(), Dataset()
    orientation.ImageOrientationPatient = slices[0][3]
    measures.PixelSpacing = slices[0][4]
    slice_mm = float(first.get("SliceThickness", 1.0) or 1.0)
    measures.SliceThickness, measures.SpacingBetweenSlices = slice_mm, slice_mm
    shared.PlaneOrientationSequence = Sequence([orientation])
    shared.PixelMeasuresSequence = Sequence([measures])
    seg.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame, planes, referenced = [], [], {}
    for spec in segments:  # dcmqi orders frames by segment, then by slice position
        number = int(spec["number"])
        for k, (source, frame_number, position, _, _) in enumerate(slices):
            plane = labels_kij[k] == number
            if not plane.any():
                continue  # dcmqi skips empty frames
            group = Dataset()
            derivation, image = Dataset(), Dataset()
            image.ReferencedSOPClassUID, image.ReferencedSOPInstanceUID = source.SOPClassUID, source.SOPInstanceUID
            if frame_number is not None:
                image.ReferencedFrameNumber = frame_number
            image.PurposeOfReferenceCodeSequence = Sequence([_code(
                "121322", "DCM", "Source image for image processing operation")])
            derivation.SourceImageSequence = Sequence([image])
            derivation.DerivationCodeSequence = Sequence([_code("113076", "DCM", "Segmentation")])
            group.DerivationImageSequence = Sequence([derivation])
            content, plane_position, identification = Dataset(), Dataset(), Dataset()
            content.DimensionIndexValues = [number, k + 1]
            plane_position.ImagePositionPatient = position
            identification.ReferencedSegmentNumber = number
            group.FrameContentSequence = Sequence([content])
            group.PlanePositionSequence = Sequence([plane_position])
            group.SegmentIdentificationSequence = Sequence([identification])
            per_frame.append(group)
            planes.append(plane)
            referenced[str(source.SOPInstanceUID)] = str(source.SOPClassUID)
    seg.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    seg.NumberOfFrames = len(planes)
    series_item = Dataset()
    series_item.SeriesInstanceUID = first.SeriesInstanceUID
    instances = []
    for instance_uid, class_uid in referenced.items():
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = class_uid, instance_uid
        instances.append(item)
    series_item.ReferencedInstanceSequence = Sequence(instances)
    seg.ReferencedSeriesSequence = Sequence([series_item])
    seg.PixelData = pack_bits(np.stack(planes).astype(np.uint8))
    pydicom.dcmwrite(path, seg, enforce_file_format=True)
    return path
