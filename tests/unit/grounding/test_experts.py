"""Expert models: the classical CT anatomy expert, the ONNX adapter on a model the test builds, TotalSegmentator."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from medtrinity.config import GroundingConfig, PreprocessConfig, parse_config
from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.grounding.rois import ground_sample
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.records import Sample
from medtrinity.registry import MissingDependencyError
from medtrinity.runner import run_pipeline


def chest_slice(with_nodule_label: bool) -> Sample:
    """A chest CT slice in radiological display: the right lung on the image's left, a nodule inside it."""
    pixels = np.full((256, 256), -1000.0, dtype=np.float32)
    cv2.ellipse(pixels, (128, 128), (110, 80), 0, 0, 360, 40.0, -1)
    cv2.ellipse(pixels, (78, 120), (38, 55), 0, 0, 360, -850.0, -1)   # patient's right lung
    cv2.ellipse(pixels, (178, 120), (36, 55), 0, 0, 360, -850.0, -1)  # patient's left lung
    cv2.circle(pixels, (70, 110), 7, 35.0, -1)                         # nodule in the right lung
    labels = None
    if with_nodule_label:
        labels = np.zeros((256, 256), dtype=np.int32)
        cv2.circle(labels, (70, 110), 7, 1, -1)
    return Sample(id="chest", source="s", case_id="c", modality="ct", body_part="chest", pixels=pixels,
                  spacing_mm=(0.8, 0.8), plane="axial", patient_orientation=("L", "P"), intensity_unit="HU",
                  label_map=labels, label_names={1: "lung nodule"} if with_nodule_label else {},
                  finding_labels=frozenset({"lung nodule"}) if with_nodule_label else frozenset())


def _ground(sample: Sample, **rule) -> Sample:
    settings = GroundingConfig(experts=[{"name": "ct_anatomy", "modalities": ["ct"], **rule}])
    preprocess_sample(sample, PreprocessConfig())
    apply_experts(sample, settings.experts, {})
    return ground_sample(sample, settings)


def test_ct_anatomy_places_a_nodule_in_the_right_lung():
    sample = _ground(chest_slice(with_nodule_label=True), when="always")
    [nodule] = sample.rois
    assert nodule.label == "lung nodule" and nodule.origin == "provided"
    assert nodule.containing_organ == "right lung"
    lungs = {roi.label: roi for roi in sample.context_rois}
    assert set(lungs) == {"right lung", "left lung"}
    assert lungs["right lung"].origin == "ct_anatomy 2" and lungs["right lung"].patient_side == "right"
    assert lungs["left lung"].patient_side == "left"


def test_ct_anatomy_gives_organ_rois_where_the_source_has_none():
    sample = _ground(chest_slice(with_nodule_label=False))
    assert {roi.label for roi in sample.rois} == {"right lung", "left lung"}
    assert all(roi.kind == "organ" and roi.origin == "ct_anatomy 2" for roi in sample.rois)
    assert sample.rois  # so the ground stage does not count this sample as the no_roi note


def test_no_roi_rule_skips_samples_that_have_findings():
    sample = _ground(chest_slice(with_nodule_label=True), when="no_roi")
    assert {roi.label for roi in sample.context_rois} == set()



def test_onnx_adapter_runs_a_model_with_declared_processing(threshold_onnx):
    pytest.importorskip("onnxruntime", reason="the onnx expert needs onnxruntime")
    model = threshold_onnx
    expert = make_expert("onnx", {"model_path": str(model), "input_size": [64, 64], "channels": 1,
                                  "class_names": ["background", "bright spot"], "findings": ["bright spot"]})
    image = np.full((128, 128), 30, dtype=np.uint8)
    cv2.circle(image, (40, 90), 20, 220, -1)
    sample = Sample(id="x", source="s", case_id="c", modality="xray", body_part="chest", pixels=image, image=image)
    [found] = expert.segment(sample)
    truth = np.zeros((128, 128), dtype=np.uint8)
    cv2.circle(truth, (40, 90), 20, 1, -1)
    overlap = (found.mask & truth.astype(bool)).sum() / (found.mask | truth.astype(bool)).sum()
    assert found.label == "bright spot" and found.kind == "lesion"
    assert overlap > 0.9
    assert 0.5 < found.score <= 1.0


def test_onnx_adapter_checks_output_shape(threshold_onnx):
    pytest.importorskip("onnxruntime", reason="the onnx expert needs onnxruntime")
    from medtrinity.records import SampleError

    model = threshold_onnx
    expert = make_expert("onnx", {"model_path": str(model), "input_size": [64, 64],
                                  "class_names": ["background", "a", "b"]})
    image = np.zeros((64, 64), dtype=np.uint8)
    sample = Sample(id="x", source="s", case_id="c", modality="xray", body_part="", pixels=image, image=image)
    with pytest.raises(SampleError, match="does not match 3 class names"):
        expert.segment(sample)
    with pytest.raises(ValueError, match="needs model_path and class_names"):
        make_expert("onnx", {})


def test_totalsegmentator_says_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("TOTALSEG_HOME_DIR", str(tmp_path))
    expert = make_expert("totalsegmentator")
    sample = chest_slice(with_nodule_label=False)
    with pytest.raises(MissingDependencyError, match="pip install TotalSegmentator|model weights in"):
        expert.segment(sample)


def test_samples_without_any_roi_are_counted_not_dropped(tmp_path):
    from pydicom.data import get_testdata_file

    config = parse_config({"sources": [{"name": "d", "reader": "dicom_files",
                                        "path": str(get_testdata_file("MR_small.dcm"))}],
                           "knowledge": {"kb": "none"}, "quality": {"keep_no_content": True},
                           "grounding": {"experts": [{"name": "ct_anatomy", "modalities": ["ct"]}]}})
    summary = run_pipeline(config, tmp_path / "out")
    import json

    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert summary.triplets == 1
    assert stats["stages"]["ground"]["notes"] == {"no_roi": 1}


def test_ct_anatomy_finds_bone_fat_and_soft_tissue_by_hu():
    sample = chest_slice(with_nodule_label=False)
    cv2.ellipse(sample.pixels, (128, 128), (110, 80), 0, 0, 360, -100.0, 6)  # subcutaneous fat ring
    cv2.circle(sample.pixels, (128, 190), 10, 700.0, -1)                      # a vertebral body
    found = {region.label: region for region in make_expert(
        "ct_anatomy", {"bone": True, "tissue_classes": True}).segment(sample)}
    assert {"right lung", "left lung", "bone", "fat", "soft tissue"} <= set(found)
    bone_rows, bone_columns = np.nonzero(found["bone"].mask)
    assert abs(bone_rows.mean() - 190) < 1.5 and abs(bone_columns.mean() - 128) < 1.5
    assert found["bone"].kind == "structure" and found["fat"].kind == "structure"
    assert not (found["fat"].mask & found["right lung"].mask).any()
    assert (sample.pixels[found["fat"].mask] == -100.0).all()
    assert (sample.pixels[found["soft tissue"].mask] == 40.0).all()


STANDIN_TOTALSEGMENTATOR = '''
"""Stand-in for TotalSegmentator's python_api (its weights cannot be fetched offline): lungs by HU,
named left or right from the world x of each voxel through the image's affine, like a model that
reads the anatomy from a correctly oriented volume."""
import nibabel as nib
import numpy as np

CALLS = []


def totalsegmentator(image, output, ml=True, task="total", fast=True, roi_subset=None, quiet=True):
    CALLS.append({"zooms": image.header.get_zooms(), "task": task, "fast": fast, "output": output, "ml": ml})
    data = np.asarray(image.dataobj)
    i, j, k = np.meshgrid(*(np.arange(n) for n in data.shape), indexing="ij")
    world_x = image.affine[0, 0] * i + image.affine[0, 3]
    lung = (data > -950) & (data < -500)  # lung parenchyma, not the air around the patient
    labels = np.zeros(data.shape, np.uint8)
    centre = world_x[lung].mean()
    labels[lung & (world_x < centre)] = 1  # RAS+: x grows towards the patient's right
    labels[lung & (world_x >= centre)] = 2
    return nib.Nifti1Image(labels, image.affine)
'''


def test_totalsegmentator_adapter_with_a_stand_in_model_keeps_sides_and_spacing(monkeypatch, tmp_path):
    package = tmp_path / "standin" / "totalsegmentator"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "python_api.py").write_text(STANDIN_TOTALSEGMENTATOR)
    (package / "map_to_binary.py").write_text("class_map = {'total': {1: 'lung_left', 2: 'lung_right'}}\n")
    weights = tmp_path / "home" / "nnunet" / "results" / "Dataset291_TotalSegmentator_part1"
    weights.mkdir(parents=True)
    monkeypatch.setenv("TOTALSEG_HOME_DIR", str(tmp_path / "home"))
    monkeypatch.syspath_prepend(str(tmp_path / "standin"))
    for name in ("totalsegmentator", "totalsegmentator.python_api", "totalsegmentator.map_to_binary"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    sample = chest_slice(with_nodule_label=False)
    found = {region.label: region for region in make_expert("totalsegmentator").segment(sample)}
    import totalsegmentator.python_api as api

    assert api.CALLS[0]["zooms"][:2] == pytest.approx((0.8, 0.8)) and api.CALLS[0]["task"] == "total"
    assert set(found) == {"left lung", "right lung"}
    # columns grow towards the patient's left: the left lung is the ellipse on the image's right (x = 178)
    left_columns = np.nonzero(found["left lung"].mask)[1]
    right_columns = np.nonzero(found["right lung"].mask)[1]
    assert abs(left_columns.mean() - 178) < 3 and abs(right_columns.mean() - 78) < 3
    assert (sample.pixels[found["left lung"].mask] == -850.0).all()
