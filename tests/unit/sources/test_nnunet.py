"""nnU-Net v2 and MSD folders: channels, label names from dataset.json, readable names, orientation."""

import json

import nibabel as nib
import numpy as np
import pytest

from medtrinity.records import SampleError

from .conftest import read_all


def _volume(path, data, affine=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 3.0, 1.0]) if affine is None else affine), path)


def _labels(shape=(24, 20, 4)):
    labels = np.zeros(shape, dtype=np.uint8)
    labels[15:20, 5:10, 1:3] = 1  # RAS affine: a high x index lies to the patient's right
    labels[2:8, 5:10, 1:3] = 2
    return labels


def test_nnunet_v2_channels_and_label_names(tmp_path, make):
    root = tmp_path / "Dataset001_Kidney"
    (root).mkdir()
    (root / "dataset.json").write_text(json.dumps({
        "channel_names": {"0": "CT", "1": "venous"}, "labels": {"background": 0, "kidney_right": 1, "kidney_left": 2},
        "numTraining": 1, "file_ending": ".nii.gz"}))
    image = np.random.default_rng(0).normal(40, 5, (24, 20, 4)).astype(np.int16)
    _volume(root / "imagesTr" / "case_001_0000.nii.gz", image)
    _volume(root / "imagesTr" / "case_001_0001.nii.gz", image + 100)
    _volume(root / "labelsTr" / "case_001.nii.gz", _labels())
    reader = make("nnunet", root)
    assert [item.rsplit("/", 1)[-1] for item in reader.list_items()] == ["case_001_0000.nii.gz"]
    samples = read_all(reader)
    assert samples and samples[0].modality == "ct" and samples[0].intensity_unit == "HU"
    assert samples[0].label_names == {1: "right kidney", 2: "left kidney"}
    with_labels = next(s for s in samples if s.label_map.any())
    right = np.nonzero(with_labels.label_map == 1)[1].mean()
    left = np.nonzero(with_labels.label_map == 2)[1].mean()
    assert right < left  # LPS display: the patient's right kidney on the image's left


def test_msd_four_dimensional_images_and_numbered_labels(tmp_path, make):
    root = tmp_path / "Task01_BrainTumour"
    root.mkdir()
    (root / "dataset.json").write_text(json.dumps({
        "modality": {"0": "FLAIR", "1": "T1w"}, "labels": {"0": "background", "1": "edema", "2": "enhancing tumour"},
        "training": [{"image": "./imagesTr/BRATS_001.nii.gz", "label": "./labelsTr/BRATS_001.nii.gz"}]}))
    image = np.random.default_rng(1).normal(100, 10, (24, 20, 4, 2)).astype(np.float32)
    image[..., 1] += 500
    _volume(root / "imagesTr" / "BRATS_001.nii.gz", image)
    _volume(root / "labelsTr" / "BRATS_001.nii.gz", _labels())
    samples = read_all(make("nnunet", root, options={"channel": 1}))
    assert samples[0].modality == "mri" and samples[0].pixels.mean() > 400
    assert samples[0].label_names == {1: "edema", 2: "enhancing tumour"}
    assert "enhancing tumour" in samples[0].finding_labels


def test_missing_label_file_is_a_reject(tmp_path, make):
    root = tmp_path / "Dataset002_X"
    root.mkdir()
    (root / "dataset.json").write_text(json.dumps({"channel_names": {"0": "MRI"}, "labels": {"background": 0, "a": 1},
                                                   "file_ending": ".nii.gz"}))
    _volume(root / "imagesTr" / "c_0000.nii.gz", np.ones((8, 8, 2), np.float32))
    (root / "labelsTr").mkdir()
    reader = make("nnunet", root)
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "missing_labels" and "c_0000.nii.gz" in error.value.message


def test_a_label_value_dataset_json_does_not_name_is_a_reject(tmp_path, make):
    """A mask value missing from dataset.json's labels must not become a region called 'label 3' (issue 15)."""
    root = tmp_path / "Dataset002_Liver"
    root.mkdir()
    (root / "dataset.json").write_text(json.dumps({
        "channel_names": {"0": "CT"}, "labels": {"background": 0, "liver": 1}, "numTraining": 1,
        "file_ending": ".nii.gz"}))
    _volume(root / "imagesTr" / "case_001_0000.nii.gz", np.zeros((24, 20, 4), dtype=np.int16))
    labels = _labels()
    labels[0:2, 0:2, 0] = 3
    _volume(root / "labelsTr" / "case_001.nii.gz", labels)
    reader = make("nnunet", root)
    with pytest.raises(SampleError) as caught:
        read_all(reader)
    assert caught.value.code == "unknown_label"
    assert "[2, 3]" in caught.value.message and "case_001.nii.gz" in caught.value.message
