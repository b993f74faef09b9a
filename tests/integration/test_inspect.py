"""`medtrinity inspect` recognises real and built layouts; `medtrinity run` takes its config unchanged."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import nibabel as nib
import numpy as np
import tifffile
import yaml

from medtrinity.run_folder import read_parquet_folder
from medtrinity.synthetic_dicom import write_ct_series, write_rtstruct

SHARED = ("totalsegmentator", "highdicom", "sam_med2d", "nih_cxr14", "msd_lung_patches", "pyradiomics")


def _medtrinity(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medtrinity", *args], capture_output=True, text=True,
                          timeout=timeout)


def _inspect_then_run(tmp_path, paths, keep_no_content: bool = False) -> tuple[dict, list[dict], dict]:
    config_path = tmp_path / "inspected.yaml"
    result = _medtrinity("inspect", *map(str, paths), "--out", str(config_path))
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(config_path.read_text())
    if keep_no_content:  # unlabelled images are no_content rejects by default; keep them to see what was read
        config_path.write_text(yaml.safe_dump({**config, "quality": {"keep_no_content": True}}))
    run = _medtrinity("run", str(config_path), "--out", str(tmp_path / "out"), "--quiet", "--workers", "2",
                      "--allow-placeholders")
    assert run.returncode == 0, run.stdout + run.stderr
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    return config, read_parquet_folder(tmp_path / "out" / "triplets").to_pylist(), stats


def test_inspect_then_run_on_every_real_folder(tmp_path, shared_data):
    config, rows, stats = _inspect_then_run(tmp_path, [shared_data / name for name in SHARED])
    readers = {source["name"]: source["reader"] for source in config["sources"]}
    assert readers == {"example_ct_dicom": "dicom_series", "example_ct_sm": "nifti", "highdicom": "dicom_series",
                       "sam_med2d": "image_class_masks", "nih_cxr14": "csv_labels", "test_patches": "hdf5",
                       "pyradiomics": "sitk"}
    for name in readers:
        assert stats["sources"][name]["triplets"] > 0, name
    dicom = next(s for s in config["sources"] if s["name"] == "example_ct_dicom")
    assert dicom["labels"].endswith("example_seg_dicom.nii.gz") and dicom["modality"] == "ct"
    nih = next(s for s in config["sources"] if s["name"] == "nih_cxr14")
    assert nih["options"]["box_frame"] == [1024, 1024] and nih["options"]["separator"] == "|"
    # the LAS label volume of the DICOM series: the liver on the patient's right in every slice
    dicom_rows = [row for row in rows if row["source"] == "example_ct_dicom"]
    livers = [roi for row in dicom_rows for roi in row["rois"] + row.get("context_rois", []) if roi["label"] == "liver"]
    assert livers and all(roi["patient_side"] == "right" for roi in livers)
    nih_rows = [row for row in rows if row["source"] == "nih_cxr14"]
    assert sorted(label for row in nih_rows for label in row["image_labels"]) == ["cardiomegaly"]
    # inspect writes experts: auto, so the unmasked radiographs get their lungs and heart from the chest expert
    assert config["grounding"] == {"experts": "auto"}
    for row in nih_rows:
        outlined = {roi["label"]: roi for roi in row["rois"]}
        assert {"right lung", "left lung", "heart"} <= set(outlined), sorted(outlined)
        assert all(roi["origin"] == "chest_xray 3" and roi["confidence"] >= 0.5 for roi in outlined.values())
        assert outlined["left lung"]["centroid_xy"][0] > row["width"] / 2  # PA film: patient's left on image right
    labels = {roi["label"] for row in rows for roi in row["rois"]}
    assert not any("_" in label for label in labels)  # kidney_left -> left kidney, no raw ids in captions
    assert stats["reject_reasons"].get("missing_source_series") == 1  # the CR SEG without its image


def test_run_refuses_placeholder_modality_and_label_names(tmp_path, shared_data):
    """inspect cannot name pyradiomics' modality or mask value: run names each field and stops, then runs fixed."""
    config_path = tmp_path / "inspected.yaml"
    assert _medtrinity("inspect", str(shared_data / "pyradiomics"), "--out", str(config_path)).returncode == 0
    refused = _medtrinity("run", str(config_path), "--out", str(tmp_path / "out"), "--quiet")
    said = refused.stderr + refused.stdout
    assert refused.returncode == 2, said
    assert "sources[0] (pyradiomics).modality is not set" in said
    assert "label_names[1] is the placeholder 'region 1'" in said
    assert not (tmp_path / "out" / "triplets").exists()
    config = yaml.safe_load(config_path.read_text())
    config["sources"][0].update({"modality": "mri", "label_names": {1: "lesion"}})
    config_path.write_text(yaml.safe_dump(config))
    fixed = _medtrinity("run", str(config_path), "--out", str(tmp_path / "out"), "--quiet")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def _built_layouts(root):
    """Small datasets in the layouts that have no real file in the shared folder."""
    rng = np.random.default_rng(0)
    # nnU-Net v2
    nn = root / "Dataset003_Liver"
    (nn / "imagesTr").mkdir(parents=True)
    (nn / "labelsTr").mkdir()
    (nn / "dataset.json").write_text(json.dumps({"channel_names": {"0": "CT"}, "file_ending": ".nii.gz",
                                                 "labels": {"background": 0, "liver": 1, "liver_tumor": 2}}))
    volume = rng.normal(50, 10, (32, 32, 6)).astype(np.int16)
    labels = np.zeros((32, 32, 6), np.uint8)
    labels[8:20, 8:20, 1:5] = 1
    labels[12:16, 12:16, 2:4] = 2
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    nib.save(nib.Nifti1Image(volume, affine), nn / "imagesTr" / "liver_001_0000.nii.gz")
    nib.save(nib.Nifti1Image(labels, affine), nn / "labelsTr" / "liver_001.nii.gz")
    # COCO
    coco = root / "coco_endoscopy"
    (coco / "images").mkdir(parents=True)
    cv2.imwrite(str(coco / "images" / "p.png"), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    (coco / "annotations.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "p.png", "width": 64, "height": 64}],
        "categories": [{"id": 1, "name": "polyp"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]}]}))
    # YOLO
    yolo = root / "yolo_xray"
    (yolo / "images").mkdir(parents=True)
    (yolo / "labels").mkdir()
    cv2.imwrite(str(yolo / "images" / "y.png"), rng.integers(0, 255, (64, 64), dtype=np.uint8))
    (yolo / "labels" / "y.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    (yolo / "classes.txt").write_text("nodule\n")
    # VOC
    voc = root / "voc_ultrasound"
    (voc / "JPEGImages").mkdir(parents=True)
    (voc / "Annotations").mkdir()
    cv2.imwrite(str(voc / "JPEGImages" / "v.png"), rng.integers(0, 255, (60, 80), dtype=np.uint8))
    (voc / "Annotations" / "v.xml").write_text(
        "<annotation><filename>v.png</filename><size><width>80</width><height>60</height></size><object>"
        "<name>cyst</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>25</xmax><ymax>25</ymax></bndbox>"
        "</object></annotation>")
    # ImageFolder
    folder = root / "derm_classes"
    for label in ("melanoma", "nevus"):
        (folder / label).mkdir(parents=True)
        cv2.imwrite(str(folder / label / "i.png"), rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    # ImageFolder with split folders above the classes (the common public chest X-ray layout)
    for split in ("train", "test", "val"):
        for label in ("NORMAL", "PNEUMONIA"):
            (root / "chest_xray" / split / label).mkdir(parents=True)
            cv2.imwrite(str(root / "chest_xray" / split / label / f"{split}.jpeg"),
                        rng.integers(0, 255, (32, 32), dtype=np.uint8))
    # MedMNIST npz
    np.savez(root / "pathmnist.npz", train_images=rng.integers(0, 255, (4, 28, 28, 3), dtype=np.uint8),
             train_labels=np.array([[0], [1], [2], [3]]))
    # DICOM series with an RTSTRUCT
    files = write_ct_series(root / "rt_study" / "ct")
    write_rtstruct(root / "rt_study" / "rt.dcm", files, [
        {"name": "GTV", "type": "GTV", "contours": [(k, [(36, 26), (48, 26), (48, 38), (36, 38)]) for k in (2, 3)]}])
    # a pyramidal slide
    slide = np.full((512, 768, 3), 240, np.uint8)
    cv2.circle(slide, (256, 256), 250, (180, 70, 140), -1)
    with tifffile.TiffWriter(root / "slide.tif") as tif:
        tif.write(slide, tile=(128, 128), subifds=1, photometric="rgb", compression="zlib")
        tif.write(slide[::4, ::4], subfiletype=1, photometric="rgb", compression="zlib")
    return {"Dataset003_Liver": "nnunet", "coco_endoscopy": "coco", "yolo_xray": "yolo", "voc_ultrasound": "voc",
            "derm_classes": "image_folder", "chest_xray": "image_folder",
            "pathmnist": "npz", "rt_study": "dicom_series", "slide": "wsi"}


def test_inspect_then_run_on_built_layouts(tmp_path):
    expected = _built_layouts(tmp_path / "data")
    paths = [tmp_path / "data" / name for name in expected if (tmp_path / "data" / name).exists()]
    paths += [tmp_path / "data" / "pathmnist.npz", tmp_path / "data" / "slide.tif"]
    config, rows, stats = _inspect_then_run(tmp_path, paths, keep_no_content=True)
    assert {source["name"]: source["reader"] for source in config["sources"]} == expected
    for name in expected:
        assert stats["sources"][name]["triplets"] > 0, (name, stats["reject_reasons"])
    nn = next(s for s in config["sources"] if s["reader"] == "nnunet")
    assert nn["modality"] == "ct" and nn["label_names"] == {1: "liver", 2: "liver tumor"}
    gtv = [roi for row in rows if row["source"] == "rt_study" for roi in row["rois"] if roi["origin"] == "provided"]
    assert gtv and {roi["label"] for roi in gtv} == {"gross tumor volume"} and gtv[0]["kind"] == "lesion"
    # slices without a contour get their anatomy from the CT expert (experts: auto), never beside the GTV
    outlined = [row for row in rows if row["source"] == "rt_study"
                and any(roi["origin"] != "provided" for roi in row["rois"])]
    assert all(roi["origin"].startswith("ct_anatomy") and roi["kind"] != "lesion"
               for row in outlined for roi in row["rois"])
    assert {row["modality"] for row in rows if row["source"] == "slide"} == {"histopathology"}
    chest = next(s for s in config["sources"] if s["name"] == "chest_xray")
    assert chest["modality"] == "xray" and chest["body_part"] == "chest"
    chest_labels = sorted(label for row in rows if row["source"] == "chest_xray" for label in row["image_labels"])
    assert chest_labels == ["pneumonia"] * 3  # NORMAL is no finding; one image per split and class
    assert sorted(json.loads(row["metadata_json"])["split"] for row in rows if row["source"] == "chest_xray") == [
        "test", "test", "train", "train", "val", "val"]


def test_unrecognised_folder_says_what_it_saw(tmp_path):
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "notes.txt").write_text("hello")
    (tmp_path / "odd" / "data.bin").write_bytes(b"\x00" * 10)
    result = _medtrinity("inspect", str(tmp_path / "odd"))
    assert result.returncode == 1
    assert "2 files" in result.stdout and "no known layout recognised" in result.stdout


def test_readers_lists_every_reader_with_formats():
    result = _medtrinity("readers")
    assert result.returncode == 0
    for name in ("dicom_series", "nnunet", "image_class_masks", "csv_labels", "image_folder", "coco", "yolo", "voc",
                 "hdf5", "npz", "wsi"):
        assert f"{name}:" in result.stdout
    assert "JPEG 2000" in result.stdout and "tissue mask" in result.stdout
    try:
        import openslide  # noqa: F401
    except ImportError:  # an optional package that is missing is named with its install command
        assert "pip install openslide-python openslide-bin" in result.stdout
