"""A joint label (TotalSegmentator's "portal and splenic veins") named piece by piece from where each piece lies:
on a built abdomen whose answer is known, and on the real TotalSegmentator CT checked against its own anatomy."""

from __future__ import annotations

import numpy as np
import pytest

from medtrinity.config import GroundingConfig
from medtrinity.generation.backends import make_backend
from medtrinity.grounding import measure
from medtrinity.grounding.midline import spine_midline
from medtrinity.grounding.regions import label_extents
from medtrinity.grounding.rois import ground_sample
from medtrinity.quality.facts import SampleFacts
from medtrinity.quality.verify import verify, verify_text
from medtrinity.records import Sample
from medtrinity.vocab.words import joint_parts

LIVER, SPLEEN, VEINS = 5, 1, 64
SIZE = 200  # 1 mm pixels: the body spans 180 mm, wide enough for sides


def abdomen(pieces: dict[str, tuple[int, int]], columns: str = "L") -> Sample:
    """A 200 x 200 axial CT slice: body from x 10 to 190 (midline x 100), the liver on the patient's right, the
    spleen on the left, and 6 x 6 mm vein pieces at the named places (x, y). ``columns``: the patient direction
    image columns grow towards ("L" as radiologists view: the patient's right on the image's left)."""
    pixels = np.full((SIZE, SIZE), -1000, dtype=np.int16)
    pixels[20:180, 10:190] = 40
    labels = np.zeros((SIZE, SIZE), dtype=np.uint8)
    right_x = slice(15, 80) if columns == "L" else slice(120, 185)
    left_x = slice(140, 180) if columns == "L" else slice(20, 60)
    labels[40:140, right_x] = LIVER
    labels[60:110, left_x] = SPLEEN
    for x, y in pieces.values():
        labels[y:y + 6, x:x + 6] = VEINS
    return Sample(id="abdomen", source="s", case_id="c", modality="ct", body_part="abdomen", pixels=pixels,
                  spacing_mm=(1.0, 1.0), plane="axial", patient_orientation=(columns, "P"), intensity_unit="HU",
                  label_map=labels, label_names={LIVER: "liver", SPLEEN: "spleen", VEINS: "portal and splenic veins"})


def _names(sample: Sample) -> dict[str, int]:
    return {roi.label: roi.label_value for roi in sample.context_rois}


def test_pieces_in_the_liver_and_left_of_the_midline_are_the_portal_and_splenic_veins():
    sample = abdomen({"in the liver": (40, 80), "by the spleen": (125, 90)})
    before = sample.label_map.copy()
    grounded = ground_sample(sample, GroundingConfig(min_area_px=8))
    names = _names(grounded)
    assert "portal vein" in names and "splenic vein" in names and "portal and splenic veins" not in names
    assert names["portal vein"] == names["splenic vein"] == VEINS  # the value their pixels carry in the input
    liver = next(roi for roi in grounded.context_rois if roi.label == "liver")
    assert liver.surrounds == ["portal vein"], liver.surrounds
    assert np.array_equal(before, abdomen({"in the liver": (40, 80), "by the spleen": (125, 90)}).label_map)


def test_image_columns_towards_the_patients_right_swap_the_image_sides():
    """A LAS-stored slice shown unflipped: the liver on the image's right. The piece in it is still the portal vein."""
    grounded = ground_sample(abdomen({"in the liver": (150, 80), "left": (70, 150)}, columns="R"),
                             GroundingConfig(min_area_px=8))
    assert {"portal vein", "splenic vein"} <= set(_names(grounded))
    splenic = next(roi for roi in grounded.context_rois if roi.label == "splenic vein")
    assert splenic.centroid_xy[0] < 100  # the image's left is the patient's left here


def test_a_piece_right_of_the_midline_outside_the_liver_is_the_portal_vein():
    names = _names(ground_sample(abdomen({"hilum": (85, 150)}), GroundingConfig(min_area_px=8)))
    assert set(names) >= {"portal vein"} and "splenic vein" not in names


def test_a_midline_piece_keeps_the_joint_name():
    """At the confluence place cannot tell the two veins apart: the label's own name stands."""
    names = _names(ground_sample(abdomen({"confluence": (98, 150)}), GroundingConfig(min_area_px=8)))
    assert "portal and splenic veins" in names and "portal vein" not in names and "splenic vein" not in names


def test_without_a_left_right_axis_only_the_liver_names_a_piece():
    sample = abdomen({"in the liver": (40, 80), "by the spleen": (125, 90)})
    sample.patient_orientation = ("", "")
    names = _names(ground_sample(sample, GroundingConfig(min_area_px=8)))
    assert names.get("portal vein") == VEINS and "portal and splenic veins" in names and "splenic vein" not in names


def test_a_full_uint8_map_widens_for_the_new_value():
    sample = abdomen({"in the liver": (40, 80), "by the spleen": (125, 90)})
    sample.label_map[0, 0] = 255
    sample.label_names[255] = "field edge"
    names = _names(ground_sample(sample, GroundingConfig(min_area_px=1)))
    assert {"portal vein", "splenic vein", "field edge"} <= set(names)


def test_the_text_names_the_vein_that_is_there_and_the_verifier_holds_it():
    sample = ground_sample(abdomen({"in the liver": (40, 80), "by the spleen": (125, 90)}),
                           GroundingConfig(min_area_px=8, max_organ_rois=3))
    sample.description = make_backend("composer").describe(sample)
    text = sample.description.text
    assert "portal and splenic veins" not in text, text
    assert verify(sample).issues == [], verify(sample).issues


def test_joint_parts():
    assert joint_parts("portal and splenic veins") == ("portal veins", "splenic veins")
    assert joint_parts("hippocampal body and tail") == ("hippocampal body", "hippocampal tail")
    assert joint_parts("liver") == () and joint_parts("left kidney") == ()


def test_a_joint_label_supports_either_vein_and_nothing_else():
    facts = SampleFacts(modality="ct", body_part="abdomen", context_labels=("liver", "portal and splenic veins"))
    assert verify_text(facts, "Axial CT of the abdomen. The portal vein is seen near the liver.").issues == []
    assert verify_text(facts, "Axial CT of the abdomen. The splenic vein is seen.").issues == []
    codes = {issue.code for issue in verify_text(facts, "Axial CT of the abdomen. The gallbladder is seen.").issues}
    assert "organ_unsupported" in codes
    split = SampleFacts(modality="ct", body_part="abdomen", context_labels=("liver", "portal vein"))
    codes = {issue.code for issue in verify_text(split, "Axial CT of the abdomen. The splenic vein is seen.").issues}
    assert "organ_unsupported" in codes


def test_real_ct_veins_are_named_where_they_lie(totalsegmentator_config):
    """On the TotalSegmentator CT (RAS NIfTI and LAS DICOM series): no piece called the splenic vein touches the
    liver or lies right of the midline, none called the portal vein lies left of it away from the liver, the liver
    never encloses a splenic vein, and both veins are named on some slices."""
    from medtrinity.pipeline import grounded_samples

    config = totalsegmentator_config()
    seen: set[str] = set()
    for sample in grounded_samples(config):
        value_of = {name: value for value, name in sample.label_names.items()}
        rois = {roi.label: roi for roi in sample.context_rois}
        if "liver" in rois:
            assert not {"splenic vein", "portal and splenic veins"} & set(rois["liver"].surrounds), sample.slice_index
        center_x = spine_midline(sample, label_extents(sample.label_map),
                                 measure.body_center_xy(sample.pixels, sample.intensity_unit))[0]
        liver = sample.label_map == value_of.get("liver", -1)
        near_liver = measure.grow(liver.astype(np.uint8), 1).astype(bool)
        for name in ("portal vein", "splenic vein"):
            if name not in rois:
                continue
            seen.add(name)
            pieces = sample.label_map == value_of[name]
            side = measure.patient_side(rois[name].centroid_xy[0], center_x, sample.pixels.shape[1],
                                        sample.patient_orientation[0])
            if name == "splenic vein":
                assert not (pieces & near_liver).any() and side == "left", (sample.source, sample.slice_index)
            else:
                assert side != "left" or (pieces & near_liver).any(), (sample.source, sample.slice_index)
    assert seen == {"portal vein", "splenic vein"}


@pytest.mark.parametrize("name", ["portal vein", "splenic vein"])
def test_both_veins_are_soft_tissue(name):
    from medtrinity.vocab.tissues import SOLID_SOFT_TISSUE, tissue_of

    assert tissue_of(name) == SOLID_SOFT_TISSUE


def test_a_float_label_map_is_split_into_integer_values():
    """Some experts write float maps: the split copy is integer, so a new value is never a float's rounding."""
    sample = abdomen({"in the liver": (40, 80), "by the spleen": (125, 90)})
    sample.label_map = sample.label_map.astype(np.float32)
    names = _names(ground_sample(sample, GroundingConfig(min_area_px=8)))
    assert {"portal vein", "splenic vein"} <= set(names)
