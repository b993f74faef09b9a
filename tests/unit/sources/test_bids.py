"""BIDS with derivatives: raw volumes paired with their derivative masks, names from every place BIDS keeps them."""

import json

import nibabel as nib
import numpy as np

from medtrinity.config import parse_config
from medtrinity.inspect import build_config
from medtrinity.sources import make_reader


def _nii(path, values):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(values, np.diag([1.0, 1.0, 2.0, 1.0])), path)


def _spine_dataset(root):
    """The OpenNeuro spine-generic layout: T2w images, manual cord masks and a lesion dseg with its .tsv."""
    (root / "dataset_description.json").parent.mkdir(parents=True, exist_ok=True)
    (root / "dataset_description.json").write_text(json.dumps({"Name": "spine", "BIDSVersion": "1.8.0"}))
    image = np.random.default_rng(0).normal(300, 30, (20, 16, 5)).clip(0).astype(np.int16)
    cord = np.zeros((20, 16, 5), np.uint8)
    cord[8:12, 6:10, :] = 1
    lesion = np.zeros((20, 16, 5), np.uint8)
    lesion[9:11, 7:9, 2:4] = 2
    for subject in ("sub-01", "sub-02"):
        _nii(root / subject / "anat" / f"{subject}_T2w.nii.gz", image)
        (root / subject / "anat" / f"{subject}_T2w.json").write_text(json.dumps(
            {"Modality": "MR", "ScanOptions": ["FS"], "SeriesDescription": "T2_TSE_SAG"}))
        _nii(root / subject / "anat" / f"{subject}_T1w.nii.gz", image)  # no mask: left out by inspect
        labels = root / "derivatives" / "labels" / subject / "anat"
        _nii(labels / f"{subject}_T2w_label-SC_seg.nii.gz", cord)
        _nii(labels / f"{subject}_T2w_dseg.nii.gz", lesion)
        (labels / f"{subject}_T2w_dseg.tsv").write_text("index\tname\n1\tcord\n2\tMS_lesion\n")
    return root


def test_bids_with_derivatives_is_recognised_and_read(tmp_path):
    root = _spine_dataset(tmp_path / "ds004507")
    config, findings = build_config([root])
    [source] = config["sources"]
    assert source["reader"] == "bids" and source["modality"] == "mri" and source["options"]["suffixes"] == ["T2w"]
    facts = {(fact, how.split(" ")[0]) for _, fact, _, how in findings[0].facts}
    assert ("labels", "read") in facts and ("modality", "read") in facts
    parsed = parse_config({"sources": [source], "slicing": {"without_roi_fraction": 1.0}})
    reader = make_reader(parsed.sources[0], parsed)
    items = reader.list_items()
    assert [item.rsplit("/", 1)[-1] for item in items] == ["sub-01_T2w.nii.gz", "sub-02_T2w.nii.gz"]
    samples = list(reader.read(items[0]))
    names = set(samples[0].label_names.values())
    assert names == {"spinal cord", "ms lesion"}
    lesion = next(v for v, n in samples[0].label_names.items() if n == "ms lesion")
    assert sum(int((s.label_map == lesion).sum()) for s in samples) == 2 * 2 * 2
    assert "ms lesion" in set().union(*(s.finding_labels for s in samples))
    assert samples[0].metadata["mr_sequence"] == ["t2"] and samples[0].metadata["fat_saturated"] is True
    other = list(reader.read(items[1]))
    assert other[0].case_id != samples[0].case_id  # one case per subject


def test_bids_mask_named_only_by_a_number_is_reported_unknown(tmp_path):
    root = tmp_path / "ds"
    image = np.ones((8, 8, 3), np.int16)
    _nii(root / "sub-01" / "anat" / "sub-01_T1w.nii.gz", image)
    _nii(root / "derivatives" / "manual" / "sub-01" / "anat" / "sub-01_T1w_desc-rater1_mask.nii.gz",
         (image > 0).astype(np.uint8))
    (root / "dataset_description.json").write_text("{}")
    config, findings = build_config([root])
    unknown = [f for f in findings[0].facts if f[1] == "labels" and f[3].startswith("unknown")]
    assert unknown and config["sources"][0]["reader"] == "bids"


def _bids_reader(root, **limits):
    config = parse_config({"sources": [{"name": "b", "reader": "bids", "path": str(root)}],
                           "slicing": {"without_roi_fraction": 1.0}, "limits": limits})
    return make_reader(config.sources[0], config)


def _read_error(reader, item):
    import pytest

    from medtrinity.records import SampleError

    with pytest.raises(SampleError) as caught:
        list(reader.read(item))
    return caught.value


def test_a_dseg_value_its_tsv_does_not_name_is_a_reject(tmp_path):
    root = _spine_dataset(tmp_path / "ds")
    labels = root / "derivatives" / "labels" / "sub-02" / "anat"
    lesion = np.zeros((20, 16, 5), np.uint8)
    lesion[9:11, 7:9, 2:4] = 2
    lesion[2:4, 2:4, 1] = 9  # the .tsv names 1 and 2 only
    _nii(labels / "sub-02_T2w_dseg.nii.gz", lesion)
    reader = _bids_reader(root)
    items = [item for item in reader.list_items() if item.endswith("_T2w.nii.gz")]
    assert list(reader.read(items[0]))  # sub-01 is untouched
    error = _read_error(reader, items[1])
    assert error.code == "unknown_label" and "[9]" in error.message and "sub-02_T2w_dseg.nii.gz" in error.message
    lesion[2:4, 2:4, 1] = 0
    _nii(labels / "sub-02_T2w_dseg.nii.gz", (lesion.astype(np.int16) - 3 * (lesion == 0)).astype(np.int16))
    assert _read_error(reader, items[1]).code == "bad_label"


def test_a_derivative_linked_from_outside_the_dataset_is_refused(tmp_path):
    import os

    root = _spine_dataset(tmp_path / "ds")
    outside = tmp_path / "elsewhere" / "secret_seg.nii.gz"
    _nii(outside, np.ones((20, 16, 5), np.uint8))
    os.symlink(outside, root / "derivatives" / "labels" / "sub-02" / "anat" / "sub-02_T2w_label-lesion_seg.nii.gz")
    reader = _bids_reader(root)
    items = [item for item in reader.list_items() if item.endswith("_T2w.nii.gz")]
    error = _read_error(reader, items[1])
    assert error.code == "path_escape" and "secret_seg.nii.gz" in error.message


def test_volume_caps_apply_to_bids_images_before_reading(tmp_path):
    root = _spine_dataset(tmp_path / "ds")
    reader = _bids_reader(root, max_voxels_per_volume=20 * 16 * 5 - 1)
    error = _read_error(reader, reader.list_items()[0])
    assert error.code == "too_large" and "20 x 16 x 5" in error.message and "sub-01" in error.message


def test_same_named_images_in_two_folders_get_different_ids_and_a_link_loop_is_not_followed(tmp_path):
    import os

    root = _spine_dataset(tmp_path / "ds")
    image = nib.load(root / "sub-01" / "anat" / "sub-01_T2w.nii.gz")
    _nii(root / "sub-01" / "ses-2" / "anat" / "sub-01_T2w.nii.gz", np.asarray(image.dataobj)[::-1].copy())
    os.symlink("..", root / "sub-01" / "ses-2" / "anat" / "loop")  # would cycle if followed
    reader = _bids_reader(root)
    items = [item for item in reader.list_items() if item.endswith("sub-01_T2w.nii.gz")]
    assert len(items) == 2
    ids = [{s.id for s in reader.read(item)} for item in items]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
