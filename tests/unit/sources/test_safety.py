"""Shared reader defences: safe globbing, paths inside the root, ids from full relative paths, DICOM privacy."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from medtrinity.config import ConfigError, LimitsConfig, parse_config
from medtrinity.records import SampleError
from medtrinity.runner import plan_shards
from medtrinity.sources.base import expand_paths
from medtrinity.sources.dicom_privacy import body_part_term, is_known_term, vocabulary_name
from medtrinity.sources.safety import check_pixels, resolve_inside, safe_glob

from .conftest import read_all


def _png(path, value: int, size: int = 32) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((size, size), value, np.uint8)
    image[4:12, 4:12] = 255 - value
    cv2.imwrite(str(path), image)


def test_recursive_glob_never_follows_a_folder_link_loop(tmp_path):
    _png(tmp_path / "a" / "b" / "x.png", 10)
    _png(tmp_path / "a" / "y.png", 20)
    os.symlink("..", tmp_path / "a" / "b" / "up")
    os.symlink(".", tmp_path / "a" / "self")
    os.symlink("y.png", tmp_path / "a" / "alias.png")  # the same real file under a second name
    found = expand_paths(str(tmp_path / "**" / "*.png"), (".png",))
    real = {os.path.realpath(tmp_path / "a" / "b" / "x.png"), os.path.realpath(tmp_path / "a" / "y.png")}
    assert len(found) == 2 and {os.path.realpath(p) for p in found} == real
    assert safe_glob(str(tmp_path / "a" / "*.png"))  # a plain glob still matches


def test_a_name_that_climbs_out_of_the_root_is_refused_even_through_a_link(tmp_path):
    (tmp_path / "root").mkdir()
    _png(tmp_path / "secret.png", 1)
    os.symlink(tmp_path / "secret.png", tmp_path / "root" / "inside.png")
    assert resolve_inside(tmp_path / "root", "sub/../ok.png", "w").name == "ok.png"
    for name in ("../secret.png", str(tmp_path / "secret.png"), "inside.png"):
        with pytest.raises(SampleError) as error:
            resolve_inside(tmp_path / "root", name, "ann.json")
        assert error.value.code == "path_escape" and "ann.json" in error.value.message


def test_caps_name_the_declared_size_and_the_setting():
    with pytest.raises(SampleError) as error:
        check_pixels("big.png", (32000, 32000, 1), 1, LimitsConfig())
    assert error.value.code == "too_large" and "32000 x 32000" in error.value.message
    assert "limits.max_pixels_per_image" in error.value.message
    check_pixels("ok.png", (32000, 32000, 1), 1, LimitsConfig(max_pixels_per_image=2_000_000_000,
                                                               max_array_bytes=2_000_000_000))


def test_same_named_files_in_different_folders_get_different_ids_and_only_true_copies_go(tmp_path):
    from medtrinity.config import parse_config as parse
    from medtrinity.runner import run_pipeline

    for folder, value in (("A", 60), ("B", 60), ("C", 140)):
        _png(tmp_path / "in" / folder / "x.png", value, 64)
    config = parse({"sources": [{"name": "s", "reader": "image_masks", "path": str(tmp_path / "in" / "**" / "*.png")}],
                    "knowledge": {"kb": "none"}, "preprocess": {"duplicates": "exact"},
                    "quality": {"keep_no_content": True}})
    from medtrinity.sources import make_reader

    reader = make_reader(config.sources[0], config)
    samples = read_all(reader)
    assert len({s.id for s in samples}) == 3 and len({s.case_id for s in samples}) == 3
    summary = run_pipeline(config, tmp_path / "out")
    assert summary.triplets == 2  # B is a byte-identical copy of A; C differs and stays
    import pyarrow.parquet as pq

    rejects = pq.read_table(tmp_path / "out" / "rejects").to_pylist()
    assert [r["code"] for r in rejects] == ["duplicate_image"] and "/B/x.png" in rejects[0]["source_file"]


def test_same_named_volumes_in_two_patient_folders_are_two_cases(tmp_path):
    import nibabel as nib

    for patient, value in (("patA", 40), ("patB", 80)):
        (tmp_path / patient).mkdir()
        data = np.full((16, 16, 3), value, np.int16)
        nib.save(nib.Nifti1Image(data, np.eye(4)), tmp_path / patient / "ct.nii.gz")
    config = parse_config({"sources": [{"name": "v", "reader": "nifti", "path": str(tmp_path / "*" / "ct.nii.gz")}],
                           "knowledge": {"kb": "none"}})
    from medtrinity.sources import make_reader

    samples = read_all(make_reader(config.sources[0], config))
    by_case = {s.case_id for s in samples}
    assert len(by_case) == 2 and len({s.id for s in samples}) == len(samples) == 6


def test_an_empty_source_is_a_config_error_unless_expected(tmp_path):
    (tmp_path / "empty").mkdir()
    raw = {"sources": [{"name": "e", "reader": "image_masks", "path": str(tmp_path / "empty")}]}
    with pytest.raises(ConfigError, match="no input found"):
        plan_shards(parse_config(raw))
    raw["sources"][0]["may_be_empty"] = True
    assert plan_shards(parse_config(raw)) == []


def test_free_text_passes_only_as_known_vocabulary():
    assert is_known_term(vocabulary_name("Liver_GTV")) and "liver" in vocabulary_name("Liver_GTV")
    assert vocabulary_name("Kidney_L") == "left kidney"
    assert vocabulary_name("LIVER SMITH") == "contoured region"
    assert vocabulary_name("Dr Pangloss 2019") == "contoured region"
    assert body_part_term("ABDOMEN") == "abdomen" and body_part_term("CSPINE") == "cervical spine"
    assert body_part_term("SMITH JOHN KNEE") == "" and body_part_term("knee") == "knee"


def _dicom_source(tmp_path, **changes):
    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for keyword, value in changes.items():
        setattr(dataset, keyword, value)
    tmp_path.mkdir(parents=True, exist_ok=True)
    dataset.save_as(tmp_path / "image.dcm")
    return {"name": "d", "reader": "dicom_files", "path": str(tmp_path)}


def test_burned_in_annotation_is_rejected_unless_kept(tmp_path):
    from medtrinity.sources import make_reader

    source = _dicom_source(tmp_path, BurnedInAnnotation="YES")
    config = parse_config({"sources": [source]})
    reader = make_reader(config.sources[0], config)
    with pytest.raises(SampleError) as error:
        read_all(reader)
    assert error.value.code == "burned_in_annotation" and "privacy.keep_burned_in_annotation" in error.value.message
    config = parse_config({"sources": [source], "privacy": {"keep_burned_in_annotation": True}})
    assert len(read_all(make_reader(config.sources[0], config))) == 1


def test_free_text_body_part_never_reaches_the_sample(tmp_path):
    from medtrinity.sources import make_reader

    source = _dicom_source(tmp_path, BodyPartExamined="SMITH JOHN KNEE")
    config = parse_config({"sources": [source]})
    [sample] = read_all(make_reader(config.sources[0], config))
    assert sample.body_part == "" and "SMITH" not in repr(sample.metadata).upper()
    source = _dicom_source(tmp_path / "b", BodyPartExamined="ABDOMEN")
    config = parse_config({"sources": [source]})
    [sample] = read_all(make_reader(config.sources[0], config))
    assert sample.body_part == "abdomen" and sample.metadata["BodyPartExamined"] == "abdomen"


def test_secondary_capture_is_rejected_only_where_configured(tmp_path):
    from medtrinity.sources import make_reader

    source = _dicom_source(tmp_path, SOPClassUID="1.2.840.10008.5.1.4.1.1.7", ImageType=["DERIVED", "SECONDARY"])
    config = parse_config({"sources": [source]})
    assert len(read_all(make_reader(config.sources[0], config))) == 1
    config = parse_config({"sources": [source], "privacy": {"reject_secondary_capture": True}})
    with pytest.raises(SampleError) as error:
        read_all(make_reader(config.sources[0], config))
    assert error.value.code == "secondary_capture"


def test_exports_carry_no_input_path(tmp_path):
    from medtrinity.run_folder import read_parquet_folder
    from medtrinity.runner import run_pipeline

    _png(tmp_path / "Patient_Doe_4471" / "scan.png", 70, 64)
    config = parse_config({"sources": [{"name": "s", "reader": "image_masks",
                                        "path": str(tmp_path / "Patient_Doe_4471")}], "knowledge": {"kb": "none"},
                          "quality": {"keep_no_content": True}})
    run_pipeline(config, tmp_path / "out")
    rows = read_parquet_folder(tmp_path / "out" / "triplets").to_pylist()
    assert len(rows) == 1
    text = repr(rows)
    assert "Patient_Doe_4471" not in text and str(tmp_path) not in text and "scan.png" not in text


def test_rtstruct_roi_names_typed_by_people_pass_only_as_vocabulary(tmp_path):
    from medtrinity.sources import make_reader
    from medtrinity.synthetic_dicom import write_ct_series, write_rtstruct

    files = write_ct_series(tmp_path / "study" / "ct")
    square = [(20, 20), (40, 20), (40, 40), (20, 40)]
    write_rtstruct(tmp_path / "study" / "rt.dcm", files, [
        {"name": "Liver Kowalczyk", "type": "ORGAN", "contours": [(2, square)]},
        {"name": "Kidney_L", "type": "ORGAN", "contours": [(3, [(5, 5), (15, 5), (15, 15), (5, 15)])]},
    ])
    config = parse_config({"sources": [{"name": "rt", "reader": "dicom_series", "path": str(tmp_path / "study")}],
                           "slicing": {"without_roi_fraction": 1.0}})
    samples = read_all(make_reader(config.sources[0], config))
    names = {name for sample in samples for name in sample.label_names.values()}
    assert names == {"contoured region", "left kidney"}
    assert "kowalczyk" not in repr([(s.label_names, s.metadata, s.body_part) for s in samples]).lower()


def test_present_label_values_equal_numpy_unique():
    import numpy as np

    from medtrinity.sources.safety import present_label_values

    rng = np.random.default_rng(3)
    labels = rng.choice([0, 2, 7, 41], size=(6, 32, 32)).astype(np.uint8)
    assert present_label_values(labels) == [0, 2, 7, 41] == np.unique(labels).tolist()
    signed = labels.astype(np.int16)
    signed[0, 0, 0] = -3  # negative values take the sorting path and are kept, so the check can refuse them
    assert present_label_values(signed) == [-3, 0, 2, 7, 41]
    assert present_label_values(np.zeros((0, 4), np.int32)) == []
