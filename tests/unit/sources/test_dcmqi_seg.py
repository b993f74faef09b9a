"""dcmqi / 3D Slicer DICOM SEG: frames placed on the source slices by geometry (highdicom refuses them)."""

import numpy as np
import pydicom
import pytest

from medtrinity.config import parse_config
from medtrinity.records import SampleError
from medtrinity.sources import make_reader
from medtrinity.synthetic_dcmqi import write_dcmqi_seg
from medtrinity.synthetic_dicom import synthetic_ct, write_ct_series, write_enhanced_ct

LIVER = {"number": 1, "label": "Liver", "category": ("123037004", "SCT", "Anatomical Structure"),
         "type": ("10200004", "SCT", "Liver")}
TUMOR = {"number": 2, "label": "Tumor", "category": ("49755003", "SCT", "Morphologically Altered Structure"),
         "type": ("108369006", "SCT", "Neoplasm"), "anatomic": ("10200004", "SCT", "Liver")}
SLICER_DEFAULT = {"number": 3, "label": "Gallbladder", "category": ("85756007", "SCT", "Tissue"),
                  "type": ("85756007", "SCT", "Tissue")}


def _truth(shape):
    labels = np.zeros(shape, np.uint8)
    labels[1:5, 10:40, 8:30] = 1
    labels[2:4, 20:28, 14:22] = 2  # the tumour inside the liver
    labels[3, 45:50, 40:46] = 3
    return labels


def _read(path, labels=None):
    source = {"name": "s", "reader": "dicom_series", "path": str(path)}
    if labels:
        source["labels"] = str(labels)
    config = parse_config({"sources": [source], "slicing": {"without_roi_fraction": 1.0}})
    reader = make_reader(config.sources[0], config)
    return {s.slice_index: s for item in reader.list_items() for s in reader.read(item)}


def _mask(samples, name):
    out = []
    for k in sorted(samples):
        value = next((v for v, n in samples[k].label_names.items() if n == name), None)
        out.append(samples[k].label_map == value if value is not None else np.zeros_like(samples[k].label_map, bool))
    return np.stack(out)


def test_replica_has_the_structure_dcmqi_writes_and_highdicom_refuses_it(tmp_path):
    highdicom = pytest.importorskip("highdicom")
    files = write_ct_series(tmp_path / "ct")
    truth = _truth((6, 64, 64))
    seg_path = write_dcmqi_seg(tmp_path / "seg.dcm", files, truth, [LIVER, TUMOR, SLICER_DEFAULT])
    seg = pydicom.dcmread(seg_path)
    assert "DimensionOrganizationType" not in seg and seg.BitsAllocated == 1 and seg.SegmentationType == "BINARY"
    frames = seg.PerFrameFunctionalGroupsSequence
    nonempty = sum(int(truth[k].__eq__(n).any()) for n in (1, 2, 3) for k in range(6))
    assert seg.NumberOfFrames == len(frames) == nonempty  # empty frames skipped, as dcmqi does
    source_item = frames[0].DerivationImageSequence[0].SourceImageSequence[0]
    assert "SpatialLocationsPreserved" not in source_item
    assert [int(f.SegmentIdentificationSequence[0].ReferencedSegmentNumber) for f in frames][:4] == [1, 1, 1, 1]
    assert [i.DimensionDescriptionLabel for i in seg.DimensionIndexSequence] == ["ReferencedSegmentNumber",
                                                                                  "ImagePositionPatient"]
    sources = [str(pydicom.dcmread(f).SOPInstanceUID) for f in files]
    with pytest.raises(Exception, match="(?i)spatial locations"):
        highdicom.seg.segread(seg_path).get_pixels_by_source_instance(
            source_sop_instance_uids=sources, assert_missing_frames_are_empty=True)


def test_dcmqi_seg_is_read_by_geometry_voxel_for_voxel(tmp_path):
    files = write_ct_series(tmp_path / "study" / "ct")
    truth = _truth((6, 64, 64))
    write_dcmqi_seg(tmp_path / "study" / "seg.dcm", files, truth, [LIVER, TUMOR, SLICER_DEFAULT])
    samples = _read(tmp_path / "study")
    assert len(samples) == 6
    names = set().union(*(s.label_names.values() for s in samples.values()))
    assert names == {"liver", "liver neoplasm", "gallbladder"}  # coded meanings; Slicer's "Tissue" gives the label
    assert np.array_equal(_mask(samples, "liver neoplasm"), truth == 2)  # the small segment keeps all its voxels
    assert np.array_equal(_mask(samples, "liver"), truth == 1)
    assert np.array_equal(_mask(samples, "gallbladder"), truth == 3)
    assert "liver neoplasm" in samples[2].finding_labels and "liver" not in samples[2].finding_labels
    assert samples[2].metadata["seg_placed_by"] == "geometry"
    assert samples[2].metadata["seg_max_distance_mm"] == 0.0 and samples[2].metadata["seg_tolerance_mm"] == 1.5


def test_seg_referencing_an_enhanced_multiframe_source(tmp_path):
    hu = synthetic_ct((6, 48, 40))
    (tmp_path / "study").mkdir()
    source = write_enhanced_ct(tmp_path / "study" / "volume.dcm", hu, frame_order=[3, 0, 5, 1, 4, 2])
    truth = np.zeros((6, 48, 40), np.uint8)
    truth[2:5, 10:20, 5:15] = 2
    seg = write_dcmqi_seg(tmp_path / "study" / "seg.dcm", [source], truth, [TUMOR])
    assert pydicom.dcmread(seg).PerFrameFunctionalGroupsSequence[0].DerivationImageSequence[0] \
        .SourceImageSequence[0].ReferencedFrameNumber > 0
    samples = _read(tmp_path / "study")
    assert np.array_equal(_mask(samples, "liver neoplasm"), truth == 2)


def test_a_seg_frame_outside_the_slices_is_a_clear_reject(tmp_path):
    files = write_ct_series(tmp_path / "study" / "ct")
    seg_path = write_dcmqi_seg(tmp_path / "study" / "seg.dcm", files, _truth((6, 64, 64)), [LIVER])
    seg = pydicom.dcmread(seg_path)
    position = seg.PerFrameFunctionalGroupsSequence[1].PlanePositionSequence[0]
    position.ImagePositionPatient = [*position.ImagePositionPatient[:2], -4.0]  # 4 mm below the first slice
    seg.save_as(seg_path)
    with pytest.raises(SampleError) as error:
        _read(tmp_path / "study")
    assert error.value.code == "bad_segmentation"
    assert "frame 2" in error.value.message and "seg.dcm" in error.value.message
