"""2D DICOM files from the pydicom wheel: rescaled pixels, orientation, overlays as masks."""

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from medtrinity.config import parse_config
from medtrinity.records import SampleError
from medtrinity.sources import make_reader
from medtrinity.sources.dicom_files import direction_letter


def _read(path, **source):
    config = parse_config({"sources": [{"name": "d", "reader": "dicom_files", "path": str(path), **source}]})
    reader = make_reader(config.sources[0], config)
    return [sample for item in reader.list_items() for sample in reader.read(item)]


def test_ct_small_is_rescaled_to_hounsfield_units():
    [sample] = _read(get_testdata_file("CT_small.dcm"))
    assert sample.modality == "ct"
    assert sample.intensity_unit == "HU"
    assert sample.spacing_mm == pytest.approx((0.661468, 0.661468))
    assert sample.patient_orientation == ("L", "P")
    # the raw stored values are offset by the rescale intercept; HU of soft tissue is near 0..100
    assert -1100 < np.median(sample.pixels) < 200
    assert sample.label_map is None


def test_overlay_contour_becomes_a_filled_liver_lesion_mask():
    [sample] = _read(get_testdata_file("examples_overlay.dcm"), label_names={1: "liver lesion"})
    assert sample.modality == "mri" and sample.body_part == "abdomen"
    assert sample.label_names == {1: "liver lesion"}
    assert "liver lesion" in sample.finding_labels
    area = int((sample.label_map == 1).sum())
    # the closed contour encloses ~870 px; the overlay's text and markers (under 50 px) are dropped
    assert 800 < area < 1100
    ys, xs = np.nonzero(sample.label_map == 1)
    assert xs.mean() < sample.pixels.shape[1] / 3  # image left = patient's right: the liver side


def test_no_header_identifier_in_sample_metadata():
    [sample] = _read(get_testdata_file("examples_overlay.dcm"))
    text = repr(sample.metadata) + sample.case_id + sample.id
    for identifier in ("Sssssss", "021234567"):
        assert identifier not in text
    assert sample.case_id.startswith("case-")


def test_non_dicom_file_is_a_sample_error(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\x00" * 10)
    config = parse_config({"sources": [{"name": "d", "reader": "dicom_files", "path": str(bad)}]})
    with pytest.raises(SampleError) as error:
        list(make_reader(config.sources[0], config).read(str(bad)))
    assert "bad.dcm" in error.value.message


def test_direction_letters_follow_dicom_patient_axes():
    assert direction_letter(np.array([1.0, 0, 0])) == "L"
    assert direction_letter(np.array([-1.0, 0, 0])) == "R"
    assert direction_letter(np.array([0, 0.2, -0.9])) == "I"
    assert direction_letter(np.array([0, 0.9, 0.1])) == "P"


def _box_table_folder(tmp_path, bad_row: str, columns=("image_id", "class_name", "x_min", "y_min", "x_max", "y_max")):
    import pydicom

    (tmp_path / "train").mkdir()
    for index, stem in enumerate(("a1", "b2")):
        dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        dataset.SOPInstanceUID = f"{dataset.SOPInstanceUID}.{index}"
        dataset.save_as(tmp_path / "train" / f"{stem}.dicom")
    (tmp_path / "train.csv").write_text("image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n"
                                        "a1,Nodule/Mass,8,R9,5.0,5.0,30.0,30.0\n" + bad_row, encoding="utf-8")
    config = parse_config({"sources": [{"name": "v", "reader": "dicom_files", "path": str(tmp_path / "train"),
                                        "options": {"boxes": str(tmp_path / "train.csv"),
                                                    "box_columns": list(columns)}}]})
    return make_reader(config.sources[0], config)


def test_a_malformed_box_row_rejects_only_its_own_image(tmp_path):
    """VinDr-CXR style train.csv: one row with unreadable coordinates is that image's reject naming the line;
    the other image keeps its box (before, the whole table failed and every image was lost)."""
    reader = _box_table_folder(tmp_path, "b2,Nodule/Mass,8,R9,five,5.0,30.0,30.0\n")
    first, second = reader.list_items()
    [sample] = list(reader.read(first))
    [(_, box)] = sample.input_boxes
    assert box == (5.0, 5.0, 30.0, 30.0)
    with pytest.raises(SampleError) as caught:
        list(reader.read(second))
    assert caught.value.code == "bad_box" and "b2.dicom" in caught.value.message
    assert "train.csv line 3" in caught.value.message


def test_box_columns_missing_from_the_table_are_named(tmp_path):
    reader = _box_table_folder(tmp_path, "", ("image_id", "class_name", "x0", "y_min", "x_max", "y_max"))
    with pytest.raises(SampleError) as caught:
        list(reader.read(reader.list_items()[0]))
    assert caught.value.code == "bad_box_table" and "['x0']" in caught.value.message


def test_same_named_files_in_two_folders_get_no_boxes_by_name(tmp_path):
    """A box table keyed by file name (VinDr-CXR's image_id) cannot say which of two a1.dicom files a row is for:
    both are ``ambiguous_row`` rejects naming the other file; a file whose name is unique keeps its box."""
    import shutil

    _box_table_folder(tmp_path, "b2,Nodule/Mass,8,R9,1.0,1.0,9.0,9.0\n")
    (tmp_path / "train" / "again").mkdir()
    shutil.copy(tmp_path / "train" / "a1.dicom", tmp_path / "train" / "again" / "a1.dicom")
    config = parse_config({"sources": [{"name": "v", "reader": "dicom_files",
                                        "path": str(tmp_path / "train" / "**" / "*.dicom"),
                                        "options": {"boxes": str(tmp_path / "train.csv"),
                                                    "box_columns": ["image_id", "class_name", "x_min", "y_min",
                                                                    "x_max", "y_max"]}}]})
    reader = make_reader(config.sources[0], config)
    from medtrinity.sources.safety import is_reject_item, reject_item_path

    items = reader.list_items()  # decided at planning: the twins are listed as reject items
    twins = [item for item in items if reject_item_path(item).endswith("a1.dicom")]
    assert len(twins) == 2 and all(is_reject_item(item) for item in twins)
    for item in twins:
        with pytest.raises(SampleError) as caught:
            list(reader.read(item))
        other = next(reject_item_path(t) for t in twins if t != item)
        assert caught.value.code == "ambiguous_row" and other in caught.value.message
        assert reject_item_path(item) in caught.value.message
    [sample] = list(reader.read(next(item for item in items if item.endswith("b2.dicom"))))
    assert sample.input_boxes and sample.input_boxes[0][1] == (1.0, 1.0, 9.0, 9.0)
