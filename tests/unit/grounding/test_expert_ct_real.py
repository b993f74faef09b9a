"""The HU anatomy expert on real CT: the SAM-Med2D chest slice (lung lobe masks it never saw) and the
TotalSegmentator abdominal CT (its vertebra and rib labels).

The SAM-Med2D PNG carries no HU: grey 0..255 is read back as -1000..1000 HU, which puts its lungs
(grey ~40) near -700 HU and its soft tissue (grey ~170) near +330 HU, the right order for the
thresholds. Its own masks put the left lung lobes on the image's left, so its columns grow
towards the patient's right.
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.grounding.experts import make_expert
from medtrinity.records import Sample


def _dice(a, b) -> float:
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def test_lungs_of_the_sam_med2d_chest_slice_match_its_lobe_masks(shared_data):
    folder = shared_data / "sam_med2d"
    grey = cv2.imread(str(folder / "images" / "s0114_111.png"), cv2.IMREAD_GRAYSCALE)
    lobes = {path.stem: cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 0
             for path in (folder / "masks").glob("s0114_111_lung_*.png")}
    sample = Sample(id="x", source="sam", case_id="c", modality="ct", body_part="chest",
                    pixels=-1000.0 + grey.astype(np.float32) / 255.0 * 2000.0, patient_orientation=("R", "P"),
                    intensity_unit="HU")
    found = {region.label: region for region in make_expert("ct_anatomy").segment(sample)}
    for side in ("left", "right"):
        truth = np.any([mask for name, mask in lobes.items() if name.endswith(f"{side}_000")], axis=0)
        assert _dice(found[f"{side} lung"].mask, truth) > 0.9, side


def test_bone_of_the_totalsegmentator_ct_lies_on_its_vertebrae_and_ribs(shared_data):
    import nibabel as nib

    folder = shared_data / "totalsegmentator"
    volume = np.asarray(nib.load(str(folder / "example_ct_sm.nii.gz")).dataobj, dtype=np.float32)
    labels = np.asarray(nib.load(str(folder / "example_seg.nii.gz")).dataobj).astype(np.int32)
    names = {int(k): v for k, v in __import__("json").loads((folder / "label_map_total.json").read_text()).items()}
    bone_values = [v for v, n in names.items() if n.startswith(("vertebrae", "rib"))]
    expert = make_expert("ct_anatomy", {"bone": True, "bone_hu": 150.0})
    inside = outside = 0
    for index in range(volume.shape[2]):
        sample = Sample(id="x", source="ts", case_id="c", modality="ct", body_part="abdomen",
                        pixels=volume[:, :, index], patient_orientation=("", ""), intensity_unit="HU")
        bone = {region.label: region for region in expert.segment(sample)}.get("bone")
        if bone is None:
            continue
        truth = np.isin(labels[:, :, index], bone_values)
        near = cv2.dilate(truth.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        inside += int((bone.mask & near).sum())
        outside += int((bone.mask & ~near).sum())
    # most of what is called bone lies on (or one voxel from) a vertebra or rib label
    assert inside > 500 and inside / (inside + outside) > 0.9
