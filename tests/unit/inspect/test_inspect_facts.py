"""`inspect` on layouts people download: COCO image roots, modality from file names and HU range, facts
reported as read / guessed / unknown, placeholders flagged loudly, Slicer and dcmqi label names."""

from __future__ import annotations

import json
import shutil

import cv2
import nibabel as nib
import numpy as np
import SimpleITK as sitk

from medtrinity.config import parse_config
from medtrinity.inspect import build_config, render
from medtrinity.sources import make_reader
from medtrinity.synthetic_dcmqi import write_dcmqi_seg
from medtrinity.synthetic_dicom import write_ct_series, write_rtstruct


def _read(source):
    config = parse_config({"sources": [source], "slicing": {"without_roi_fraction": 1.0}})
    reader = make_reader(config.sources[0], config)
    return [sample for item in reader.list_items() for sample in reader.read(item)]


def _how(findings, fact):
    return [how for finding in findings for _, name, _, how in finding.facts if name == fact]


def test_coco_file_names_relative_to_an_images_folder_beside_the_annotations(tmp_path):
    """MMDetection / Kaggle layout: annotations/train.json + imgs/<sub>/<file>; CamelCase categories."""
    root = tmp_path / "chest_boxes"
    (root / "imgs" / "sick").mkdir(parents=True)
    (root / "annotations").mkdir()
    cv2.imwrite(str(root / "imgs" / "sick" / "s1.png"), np.full((64, 64), 90, np.uint8))
    (root / "annotations" / "train.json").write_text(json.dumps({
        "images": [{"id": 7, "file_name": "sick/s1.png", "width": 64, "height": 64}],
        "categories": [{"id": 3, "name": "ActiveTuberculosis"}],
        "annotations": [{"id": 1, "image_id": 7, "category_id": 3, "bbox": [5, 6, 20, 10]}]}))
    config, findings = build_config([root])
    [source] = config["sources"]
    assert source["reader"] == "coco" and source["options"]["images"] == str(root / "imgs")
    [sample] = _read({**source, "modality": "xray"})
    assert set(sample.label_names.values()) == {"active tuberculosis"}
    assert any("active tuberculosis" in str(value) for f in findings for _, _, value, _ in f.facts)


def test_sam_med2d_prefixes_give_each_slice_its_modality(tmp_path):
    root = tmp_path / "SAMed2Dv1"
    for name in ("ct_00--AbdomenCT1K--Case_00001--x_0042", "mr_00--ACDC--patient001_frame01--z_0004"):
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "masks").mkdir(exist_ok=True)
        cv2.imwrite(str(root / "images" / f"{name}.png"), np.full((32, 32), 100, np.uint8))
        mask = np.zeros((32, 32), np.uint8)
        mask[8:20, 8:20] = 255
        cv2.imwrite(str(root / "masks" / f"{name}_liver_000.png"), mask)
    config, findings = build_config([root])
    [source] = config["sources"]
    assert source["options"]["modality_from_name"] is True and "modality" not in source
    assert any(how.startswith("read from the file-name prefix") for how in _how(findings, "modality"))
    assert sorted(s.modality for s in _read(source)) == ["ct", "mri"]


def test_shared_sam_med2d_amos_case_numbers(shared_data, tmp_path):
    config, _ = build_config([shared_data / "sam_med2d"])
    samples = _read(config["sources"][0])
    by_file = {s.source_file.rsplit("/", 1)[-1]: s.modality for s in samples}
    assert by_file["amos_0507_31.png"] == "mri" and by_file["amos_0004_75.png"] == "ct"
    assert by_file["s0114_111.png"] == "ct"


def test_hounsfield_range_is_a_guess_and_an_mri_like_volume_stays_unknown(tmp_path):
    ct = np.full((30, 30, 4), -1000, np.int16)
    ct[5:25, 5:25] = 40
    ct[12:16, 12:16] = 700
    (tmp_path / "scan").mkdir()
    nib.save(nib.Nifti1Image(ct, np.eye(4)), tmp_path / "scan" / "volume_a.nii.gz")
    config, findings = build_config([tmp_path / "scan" / "volume_a.nii.gz"])
    assert config["sources"][0]["modality"] == "ct"
    assert any(how.startswith("guessed from intensities") for how in _how(findings, "modality"))
    mr = np.random.default_rng(0).normal(400, 50, (30, 30, 4)).clip(0).astype(np.int16)
    nib.save(nib.Nifti1Image(mr, np.eye(4)), tmp_path / "scan" / "volume_b.nii.gz")
    text, _ = render([tmp_path / "scan" / "volume_b.nii.gz"])
    assert "!! UNKNOWN modality of source volume_b" in text


def test_hdf5_patches_take_the_recipe_the_folder_names_else_say_unknown(shared_data, tmp_path):
    config, findings = build_config([shared_data / "msd_lung_patches"])
    [source] = config["sources"]
    assert source["modality"] == "ct" and source["label_names"] == {1: "lung tumor"}
    assert any("recipe msd_task06_lung" in how for how in _how(findings, "labels"))
    (tmp_path / "patches").mkdir()
    shutil.copy(shared_data / "msd_lung_patches" / "test_patches.h5", tmp_path / "patches" / "p.h5")
    text, _ = render([tmp_path / "patches"])
    assert "!! UNKNOWN modality of source p" in text and "!! UNKNOWN labels of source p" in text


def test_rtstruct_placeholder_roi_names_are_flagged(tmp_path):
    files = write_ct_series(tmp_path / "study" / "ct")
    write_rtstruct(tmp_path / "study" / "rt.dcm", files, [
        {"name": "ROI-1", "type": "ORGAN", "contours": [(2, [(10, 10), (30, 10), (30, 30), (10, 30)])]}])
    text, _ = render([tmp_path / "study"])
    assert "!! UNKNOWN labels of source study" in text and "'roi 1'" in text


def test_dcmqi_seg_names_and_slicer_seg_nrrd_names(tmp_path):
    files = write_ct_series(tmp_path / "study" / "ct")
    labels = np.zeros((6, 64, 64), np.uint8)
    labels[1:4, 20:30, 20:30] = 1
    write_dcmqi_seg(tmp_path / "study" / "seg.dcm", files, labels, [
        {"number": 1, "label": "Liver", "category": ("123037004", "SCT", "Anatomical Structure"),
         "type": ("10200004", "SCT", "Liver")}])
    config, findings = build_config([tmp_path / "study"])
    assert any("['liver']" in text for f in findings for text in f.seen)
    assert {n for s in _read(config["sources"][0]) for n in s.label_names.values()} == {"liver"}
    # a 3D Slicer segmentation: names (and the terminology behind a placeholder name) in the NRRD header
    volume = sitk.GetImageFromArray(np.random.default_rng(1).normal(100, 5, (4, 16, 16)).astype(np.int16))
    segmentation = np.zeros((4, 16, 16), np.uint8)
    segmentation[1:3, 2:6, 2:6] = 1
    segmentation[1:3, 8:12, 8:12] = 2
    seg = sitk.GetImageFromArray(segmentation)
    for key, value in {"Segment0_Name": "Tumor", "Segment0_LabelValue": "1", "Segment1_Name": "Segment_2",
                       "Segment1_LabelValue": "2", "Segment1_Terminology":
                       "Segmentation category and type - 3D Slicer General Anatomy list~SCT^123037004^Anatomical "
                       "Structure~SCT^15776009^Pancreas~^^~Anatomic codes - DICOM master list~^^~^^"}.items():
        seg.SetMetaData(key, value)
    (tmp_path / "slicer").mkdir()
    sitk.WriteImage(volume, str(tmp_path / "slicer" / "case1_image.nrrd"))
    sitk.WriteImage(seg, str(tmp_path / "slicer" / "case1_image.seg.nrrd"))
    source = {"name": "slicer", "reader": "sitk", "path": str(tmp_path / "slicer" / "case1_image.nrrd"),
              "labels": str(tmp_path / "slicer" / "case1_image.seg.nrrd"), "modality": "mri"}
    names = {n for s in _read(source) for n in s.label_names.values()}
    assert names == {"tumor", "pancreas"}
