"""The patient's midline from the labelled spine: an arm lying against the trunk widens the body outline's box and
moved its centre off the midline (29 mm on the real TotalSegmentator DICOM series)."""

from __future__ import annotations

import numpy as np

from medtrinity.config import GroundingConfig
from medtrinity.grounding.rois import ground_sample
from medtrinity.records import Sample

SPINE, MARK, ARM = 3, 7, 9


def trunk_with_arm(spine: bool = True) -> Sample:
    """A 300 x 300 axial CT at 1 mm: the trunk from x 50 to 250 (midline 150), a right arm touching it from x 5 to
    50 (the patient's right on the image's left), a vertebra at the midline and a 10 mm mark 20 mm right of it."""
    pixels = np.full((300, 300), -1000, dtype=np.int16)
    pixels[60:240, 50:250] = 40
    pixels[120:200, 5:50] = 40  # the arm, against the trunk
    labels = np.zeros((300, 300), dtype=np.uint8)
    if spine:
        labels[190:220, 140:161] = SPINE
    labels[140:150, 125:135] = MARK  # centre x 130: 20 mm towards the patient's right of x 150
    labels[120:200, 10:45] = ARM
    names = {MARK: "mark", ARM: "right humerus", **({SPINE: "L1 vertebra"} if spine else {})}
    return Sample(id="trunk", source="s", case_id="c", modality="ct", body_part="abdomen", pixels=pixels,
                  spacing_mm=(1.0, 1.0), plane="axial", patient_orientation=("L", "P"), intensity_unit="HU",
                  label_map=labels, label_names=names)


def _sides(sample: Sample) -> dict[str, str]:
    grounded = ground_sample(sample, GroundingConfig(min_area_px=8, max_organ_rois=0))
    return {roi.label: roi.patient_side for roi in grounded.context_rois}


def test_the_spine_is_the_midline_where_it_is_labelled():
    assert _sides(trunk_with_arm())["mark"] == "right"  # 20 mm right of the spine
    assert _sides(trunk_with_arm())["L1 vertebra"] == "midline"


def test_without_a_spine_the_arm_moves_the_body_centre():
    """The body box runs from x 5 to 250: its centre (127.5) lies under the mark, which reads "midline" though it
    lies 20 mm right of the true midline; what the spine label mends."""
    assert _sides(trunk_with_arm(spine=False))["mark"] == "midline"


def test_real_dicom_series_midline_structures(totalsegmentator_config):
    """TotalSegmentator's DICOM series, whose right arm lies against the trunk: the spinal cord lies in the midline,
    the inferior vena cava on the right and the spleen on the left, on every slice that has them."""
    from medtrinity.pipeline import grounded_samples

    config = totalsegmentator_config("dicom")
    seen = set()
    for sample in grounded_samples(config):
        sides = {roi.label: roi.patient_side for roi in sample.context_rois}
        expected = {"spinal cord": "midline", "inferior vena cava": "right", "spleen": "left"}
        for label, side in expected.items():
            if label in sides:
                assert sides[label] == side, (sample.slice_index, label, sides[label])
                seen.add(label)
    assert seen == {"spinal cord", "inferior vena cava", "spleen"}
