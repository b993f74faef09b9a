"""DICOM series: sorting, rescale, compressed syntaxes, orientation, SEG (highdicom), RTSTRUCT, bad input."""

import shutil

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.data import get_testdata_file

from medtrinity.config import GroundingConfig, PreprocessConfig, parse_config
from medtrinity.grounding.rois import ground_sample
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.records import SampleError
from medtrinity.sources import make_reader
from medtrinity.synthetic_dicom import synthetic_ct, write_ct_series, write_rtstruct


def _reader(path, **source):
    config = parse_config({"sources": [{"name": "s", "reader": "dicom_series", "path": str(path), **source}],
                           "slicing": {"without_roi_fraction": 1.0}})
    return make_reader(config.sources[0], config)


def _read_all(reader):
    return [sample for item in reader.list_items() for sample in reader.read(item)]


def test_jpeg2000_series_equals_simpleitk_in_lps(shared_data):
    folder = shared_data / "totalsegmentator" / "example_ct_dicom"
    samples = _read_all(_reader(folder))
    assert len(samples) == 20 and [s.slice_index for s in samples] == list(range(20))
    ours = np.stack([s.pixels for s in samples])
    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder))
    image = sitk.DICOMOrient(sitk.ReadImage(files), "LPS")
    assert np.array_equal(ours, sitk.GetArrayFromImage(image).astype(np.float32))
    assert samples[0].intensity_unit == "HU" and samples[0].modality == "ct"
    assert samples[0].spacing_mm == pytest.approx((0.9765625, 0.9765625))
    assert samples[0].metadata["voxel_spacing_mm"][2] == pytest.approx(image.GetSpacing()[2])
    assert samples[0].pixels.min() == -1024  # rescale intercept applied


def test_liver_comes_out_on_the_patients_right(shared_data):
    """The LAS label volume is reoriented like the series: the liver lies on the patient's right."""
    ts = shared_data / "totalsegmentator"
    reader = _reader(ts / "example_ct_dicom", labels=str(ts / "example_seg_dicom.nii.gz"),
                     label_map=str(ts / "label_map_total.json"), findings=["liver"])
    samples = _read_all(reader)
    liver = next(value for value, name in samples[0].label_names.items() if name == "liver")
    with_liver = [s for s in samples if (s.label_map == liver).sum() > 500]
    assert with_liver
    sample = max(with_liver, key=lambda s: int((s.label_map == liver).sum()))
    assert sample.patient_orientation == ("L", "P")
    columns = np.nonzero(sample.label_map == liver)[1]
    assert columns.mean() < sample.label_map.shape[1] / 2  # image left is the patient's right
    grounded = ground_sample(preprocess_sample(sample, PreprocessConfig()), GroundingConfig())
    roi = next(r for r in grounded.rois if r.label == "liver")
    assert roi.patient_side == "right"
    assert "left kidney" in samples[0].label_names.values()  # kidney_left, readable


def test_series_is_sorted_by_position_not_by_file_name(tmp_path):
    hu = synthetic_ct()
    files = write_ct_series(tmp_path / "ct", hu, file_names="img_{index:03d}.dcm")
    for path in files:  # reverse the file order: slice 0 gets the last name
        path.rename(path.with_name(f"x{len(files) - int(path.stem[4:]):03d}.dcm"))
    samples = _read_all(_reader(tmp_path / "ct"))
    assert np.array_equal(np.stack([s.pixels for s in samples]), hu)
    assert samples[0].metadata["voxel_spacing_mm"] == [2.0, 2.0, 3.0]


@pytest.mark.parametrize("name", ["MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_RLE.dcm"])
def test_compressed_syntaxes_decode_to_the_uncompressed_pixels(tmp_path, name):
    shutil.copy(get_testdata_file(name), tmp_path / name)
    [sample] = _read_all(_reader(tmp_path / name))
    reference = pydicom.dcmread(get_testdata_file("MR_small.dcm")).pixel_array.astype(np.float32)
    assert sample.modality == "mri"
    assert np.array_equal(sample.pixels, reference)


def test_overlapping_seg_segments_keep_the_smaller_one_whole(shared_data):
    hd = shared_data / "highdicom"
    samples = _read_all(_reader(hd / "pydicom_CT2_source_series", labels=str(hd / "seg_image_ct_binary_overlap.dcm")))
    assert len(samples) == 4
    assert sorted(samples[0].label_names.values()) == ["bone", "spine"]  # coded meanings, not "first segment"
    seg = pydicom.dcmread(hd / "seg_image_ct_binary_overlap.dcm")
    assert {item.SegmentLabel for item in seg.SegmentSequence} == {"first segment", "second segment"}
    spine = next(v for v, n in samples[0].label_names.items() if n == "spine")
    assert sum(int((s.label_map == spine).sum()) for s in samples) > 0


def test_fractional_seg_is_thresholded(shared_data):
    hd = shared_data / "highdicom"
    series = hd / "pydicom_CT2_source_series"
    half = _read_all(_reader(series, labels=str(hd / "seg_image_ct_true_fractional.dcm")))
    strict = _read_all(_reader(series, labels=str(hd / "seg_image_ct_true_fractional.dcm"),
                               options={"fractional_threshold": 0.2}))
    area = sum(int((s.label_map > 0).sum()) for s in half)
    assert area == 638  # the voxels of probability 0.50 (0.25 ones are left out)
    assert sum(int((s.label_map > 0).sum()) for s in strict) == 638 + 23
    binary = _read_all(_reader(series, labels=str(hd / "seg_image_ct_binary_fractional.dcm")))
    assert sum(int((s.label_map > 0).sum()) for s in binary) > 0


def test_seg_without_its_source_series_is_a_reject(shared_data, tmp_path):
    hd = shared_data / "highdicom"
    shutil.copytree(hd / "pydicom_CT2_source_series", tmp_path / "ct")
    shutil.copy(hd / "seg_image_ct_binary_single_frame.dcm", tmp_path / "orphan_seg.dcm")
    reader = _reader(tmp_path)
    items = reader.list_items()
    assert len(items) == 2
    orphan = next(item for item in items if item.endswith("orphan_seg.dcm"))
    with pytest.raises(SampleError) as error:
        list(reader.read(orphan))
    assert error.value.code == "missing_source_series" and "orphan_seg.dcm" in error.value.message
    assert len(list(reader.read(next(item for item in items if item != orphan)))) == 4


def test_rtstruct_contours_are_rasterised_with_holes_and_external_skipped(tmp_path):
    files = write_ct_series(tmp_path / "study" / "ct")
    square = [(20, 20), (40, 20), (40, 40), (20, 40)]
    hole = [(26, 26), (34, 26), (34, 34), (26, 34)]
    write_rtstruct(tmp_path / "study" / "rt.dcm", files, [
        {"name": "GTV", "type": "GTV", "contours": [(2, square), (2, hole), (3, square)]},
        {"name": "Kidney_L", "type": "ORGAN", "contours": [(1, [(5, 5), (15, 5), (15, 15), (5, 15)])]},
        {"name": "BODY", "type": "EXTERNAL", "contours": [(k, [(1, 1), (62, 1), (62, 62), (1, 62)]) for k in range(6)]},
    ])
    samples = {s.slice_index: s for s in _read_all(_reader(tmp_path / "study"))}
    names = samples[2].label_names
    assert sorted(names.values()) == ["gross tumor volume", "left kidney"]
    gtv = next(v for v, n in names.items() if n == "gross tumor volume")
    assert "gross tumor volume" in samples[2].finding_labels
    full, holed = int((samples[3].label_map == gtv).sum()), int((samples[2].label_map == gtv).sum())
    assert abs(full - 21 * 21) <= 21 and abs(holed - (21 * 21 - 9 * 9)) <= 25
    assert samples[2].label_map[30, 30] == 0 and samples[2].label_map[22, 22] == gtv
    # axial LPS display: the image is not flipped for a standard axial series
    assert samples[1].label_map[10, 10] != 0


def test_corrupt_and_unsupported_files_are_rejects(tmp_path):
    shutil.copy(get_testdata_file("MR_truncated.dcm"), tmp_path / "truncated.dcm")
    with pytest.raises(SampleError) as error:
        _read_all(_reader(tmp_path / "truncated.dcm"))
    assert "truncated.dcm" in error.value.message
    from pydicom.encaps import encapsulate
    from pydicom.uid import UID

    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    dataset.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.100")  # MPEG-2: no decoder
    dataset.PixelData = encapsulate([b"\x00" * 64])
    dataset["PixelData"].VR = "OB"
    dataset.save_as(tmp_path / "video.dcm", enforce_file_format=True)
    with pytest.raises(SampleError) as error:
        _read_all(_reader(tmp_path / "video.dcm"))
    assert error.value.code == "unsupported_transfer_syntax" and "MPEG2" in error.value.message


def test_an_unreadable_file_beside_a_series_is_its_own_reject(tmp_path):
    write_ct_series(tmp_path / "ct")
    (tmp_path / "ct" / "zz_broken.dcm").write_bytes(b"not a dicom file at all" * 20)
    reader = _reader(tmp_path / "ct")
    items = reader.list_items()
    assert len(items) == 2
    broken = next(item for item in items if item.endswith("zz_broken.dcm"))
    with pytest.raises(SampleError) as error:
        list(reader.read(broken))
    assert error.value.code == "unreadable_file" and "zz_broken.dcm" in error.value.message
    assert len(list(reader.read(next(item for item in items if item != broken)))) == 6


def test_overlay_planes_of_a_series_become_masks(tmp_path):
    from pydicom.uid import generate_uid

    for index in range(2):  # the overlay MR as a two-slice series
        dataset = pydicom.dcmread(get_testdata_file("examples_overlay.dcm"))
        dataset.SOPInstanceUID = generate_uid()
        position = [float(v) for v in dataset.ImagePositionPatient]
        dataset.ImagePositionPatient = [position[0], position[1], position[2] + 5.0 * index]
        dataset.save_as(tmp_path / f"mr{index}.dcm")
    samples = _read_all(_reader(tmp_path, label_names={1: "liver lesion"}))
    assert len(samples) == 2
    sample = samples[0]
    assert sample.label_names == {1: "liver lesion"} and "liver lesion" in sample.finding_labels
    assert 800 < int((sample.label_map == 1).sum()) < 1100
    assert np.nonzero(sample.label_map == 1)[1].mean() < sample.label_map.shape[1] / 3  # the patient's right


def test_a_lone_image_is_one_2d_sample(tmp_path):
    shutil.copy(get_testdata_file("CT_small.dcm"), tmp_path / "ct.dcm")
    [sample] = _read_all(_reader(tmp_path))
    assert sample.intensity_unit == "HU" and sample.patient_orientation == ("L", "P")


def test_enhanced_multiframe_ct_reads_like_the_classic_series(tmp_path):
    from medtrinity.synthetic_dicom import synthetic_ct, write_enhanced_ct

    hu = synthetic_ct((6, 48, 40))
    write_ct_series(tmp_path / "classic", hu)
    (tmp_path / "enhanced").mkdir()
    write_enhanced_ct(tmp_path / "enhanced" / "volume.dcm", hu, frame_order=[3, 0, 5, 1, 4, 2])
    classic = _read_all(_reader(tmp_path / "classic"))
    enhanced = _read_all(_reader(tmp_path / "enhanced"))
    assert len(enhanced) == len(classic) == 6
    for a, b in zip(classic, enhanced, strict=True):
        assert a.slice_index == b.slice_index
        assert np.array_equal(a.pixels, b.pixels)  # sorted by position, rescaled to HU
        assert b.spacing_mm == pytest.approx((2.0, 2.0)) and b.patient_orientation == ("L", "P")
    assert enhanced[0].modality == "ct" and enhanced[0].intensity_unit == "HU"
    assert np.array_equal(np.stack([s.pixels for s in enhanced]), hu.astype(np.float32))


def test_label_volume_values_missing_from_the_label_map_are_a_reject(shared_data, tmp_path):
    """The real TotalSegmentator label volume on the DICOM series, with a label map that leaves out the liver:
    the series is refused naming the values, not described with a region called 'label 5' (issue 15)."""
    import json

    ts = shared_data / "totalsegmentator"
    names = json.loads((ts / "label_map_total.json").read_text())
    liver = next(value for value, name in names.items() if name == "liver")
    partial = {value: name for value, name in names.items() if value != liver}
    (tmp_path / "labels.json").write_text(json.dumps(partial))
    reader = _reader(ts / "example_ct_dicom", labels=str(ts / "example_seg_dicom.nii.gz"),
                     label_map=str(tmp_path / "labels.json"))
    with pytest.raises(SampleError) as caught:
        _read_all(reader)
    assert caught.value.code == "unknown_label" and f"[{int(liver)}]" in caught.value.message
    assert "example_seg_dicom.nii.gz" in caught.value.message


def _capped_reader(path, **limits):
    config = parse_config({"sources": [{"name": "s", "reader": "dicom_series", "path": str(path)}],
                           "slicing": {"without_roi_fraction": 1.0}, "limits": limits})
    return make_reader(config.sources[0], config)


def test_a_slice_declaring_huge_rows_and_columns_is_too_large_before_decoding(tmp_path, monkeypatch):
    """One file of the series declares 60000 x 60000: refused from its header, no pixel data decoded."""
    files = write_ct_series(tmp_path / "ct")
    dataset = pydicom.dcmread(files[2])
    dataset.Rows, dataset.Columns = 60000, 60000  # the pixel data stays 64 x 64: only the header lies
    dataset.save_as(files[2])
    decoded = []
    monkeypatch.setattr(pydicom.dataset.Dataset, "pixel_array",
                        property(lambda self: decoded.append(1) or pytest.fail("pixel data decoded")))
    reader = _reader(tmp_path / "ct")
    [item] = reader.list_items()
    with pytest.raises(SampleError) as caught:
        _read_all(reader)
    assert caught.value.code == "too_large" and not decoded
    assert files[2].name in caught.value.message and "60000 x 60000" in caught.value.message
    assert "limits.max_pixels_per_image" in caught.value.message


def test_a_series_of_ordinary_slices_over_the_volume_cap_is_too_large(tmp_path):
    write_ct_series(tmp_path / "ct", synthetic_ct((6, 64, 64)))
    with pytest.raises(SampleError) as caught:
        _read_all(_capped_reader(tmp_path / "ct", max_voxels_per_volume=5 * 64 * 64))
    message = caught.value.message
    assert caught.value.code == "too_large" and "6 x 64 x 64" in message and "series of 6 file(s)" in message
    assert "limits.max_voxels_per_volume" in message
    with pytest.raises(SampleError) as caught:  # the float32 bytes of the decoded volume
        _read_all(_capped_reader(tmp_path / "ct", max_array_bytes=6 * 64 * 64 * 4 - 1))
    assert caught.value.code == "too_large" and "limits.max_array_bytes" in caught.value.message
    assert len(_read_all(_capped_reader(tmp_path / "ct", max_voxels_per_volume=6 * 64 * 64))) == 6


def test_a_multiframe_file_declaring_huge_number_of_frames_is_too_large(tmp_path):
    from medtrinity.synthetic_dicom import write_enhanced_ct

    (tmp_path / "enhanced").mkdir()
    path = write_enhanced_ct(tmp_path / "enhanced" / "volume.dcm", synthetic_ct((6, 48, 40)))
    dataset = pydicom.dcmread(path)
    dataset.NumberOfFrames = 400000  # 400000 x 48 x 40 declared, six frames stored
    dataset.save_as(path)
    with pytest.raises(SampleError) as caught:
        _read_all(_reader(tmp_path / "enhanced"))
    assert caught.value.code == "too_large" and "400000 x 48 x 40" in caught.value.message
    assert "volume.dcm" in caught.value.message


def test_a_seg_declaring_more_segments_than_the_byte_cap_allows_is_too_large():
    from medtrinity.config import LimitsConfig
    from medtrinity.sources.dicom_annotations import check_seg_size

    dataset = pydicom.Dataset()
    dataset.Rows, dataset.Columns, dataset.NumberOfFrames = 512, 512, 10
    dataset.SegmentSequence = [pydicom.Dataset() for _ in range(300)]
    with pytest.raises(SampleError) as caught:  # 300 masks on a 512 x 512 x 600 grid: 188 GB of float32
        check_seg_size(dataset, "seg.dcm", (600, 512, 512), LimitsConfig())
    assert caught.value.code == "too_large" and "600 x 512 x 512 x 300" in caught.value.message
    check_seg_size(dataset, "seg.dcm", (60, 64, 64), LimitsConfig())  # the same SEG on a small grid passes
