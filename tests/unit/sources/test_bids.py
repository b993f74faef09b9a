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
