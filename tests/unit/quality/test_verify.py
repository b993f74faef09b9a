"""The faithfulness verifier: each check on composer output and on free (model-like) phrasing."""

import copy
import json
import re
from dataclasses import replace

import pytest

from medtrinity.generation.backends import make_backend
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.quality.verify import verify, verify_row, verify_text


@pytest.fixture(scope="module")
def described(make_lesion_slice):
    sample = make_lesion_slice()
    sample.description = make_backend("composer").describe(sample)
    return sample


def _with_text(sample, text):
    mutated = copy.deepcopy(sample)
    mutated.description.text = text
    return mutated


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("axial CT", "axial MRI", "modality_mismatch"),
        (r"(?<=patient's )right|right(?= side of the patient)", "left", "side_mismatch"),
        ("hypodense", "hyperdense", "intensity_mismatch"),
        ("abdomen", "brain", "body_part_mismatch"),
    ],
)
def test_planted_errors_are_caught(described, old, new, code):
    assert re.search(old, described.description.text)
    qc = verify(_with_text(described, re.sub(old, new, described.description.text)), "reject")
    assert qc.status == "reject"
    assert code in {issue.code for issue in qc.issues}


def test_original_passes_and_flag_mode_flags(described):
    assert verify(described).status == "pass"
    qc = verify(_with_text(described, described.description.text.replace("axial CT", "axial MRI")), "flag")
    assert qc.status == "flag" and qc.issues[0].message


def test_missing_or_empty_description_is_rejected(described):
    empty = copy.deepcopy(described)
    empty.description = None
    assert verify(empty).issues[0].code == "no_description"
    assert verify_text(SampleFacts("ct"), "  ").status == "reject"


# Free phrasing, as a multimodal model writes it, against hand-made facts.

LIVER = SampleFacts(
    modality="ct",
    body_part="abdomen",
    rois=(
        RegionFacts(0, "liver lesion", "lesion", largest_diameter_mm=20.4, perpendicular_diameter_mm=18.9,
                    area_mm2=310.0, area_px=198, volume_ml=4.1, region="left", patient_side="right",
                    containing_organ="liver", organ_part="right lobe", neighbours=("gallbladder",),
                    intensity_word="hypodense", contrast_to_surround=-61.0, texture="homogeneous"),
    ),
    context_labels=("liver", "spleen", "vertebra"),
)

TWO_NODULES = SampleFacts(
    modality="xray",
    body_part="chest",
    rois=tuple(
        RegionFacts(i, "nodule", "lesion", largest_diameter_mm=d, area_mm2=a, region=r, patient_side=s,
                    intensity_word="opaque", contrast_to_surround=40.0, texture="heterogeneous", count_same_label=2)
        for i, (d, a, r, s) in enumerate(((12.0, 100.0, "upper left", "right"), (30.0, 600.0, "lower right", "left")))
    ),
)

GOOD_LIVER = (
    "Axial contrast CT of the upper abdomen. The liver, spleen and a vertebral body are visible. "
    "There is a solitary liver lesion in the right hepatic lobe (left side of the image), measuring approximately "
    "2.0 x 1.9 cm (about 3.1 cm2). It is hypodense and homogeneous. The lesion lies within the liver, close to the "
    "gallbladder."
)
GOOD_NODULES = (
    "Frontal chest radiograph. Two nodules are present: a 12 mm opaque nodule in the upper left part of the image "
    "(on the patient's right) and a larger 3 cm nodule in the lower right part of the image on the patient's left. "
    "Both are heterogeneous."
)


@pytest.mark.parametrize(("facts", "text"), [(LIVER, GOOD_LIVER), (TWO_NODULES, GOOD_NODULES)])
def test_free_phrasing_that_agrees_passes(facts, text):
    qc = verify_text(facts, text)
    assert qc.status == "pass", qc.issues


@pytest.mark.parametrize(
    ("facts", "text", "old", "new", "code"),
    [
        (LIVER, GOOD_LIVER, "Axial contrast CT", "Axial contrast MR", "modality_mismatch"),
        (LIVER, GOOD_LIVER, "upper abdomen", "brain", "body_part_mismatch"),
        (LIVER, GOOD_LIVER, "2.0 x 1.9 cm", "4.0 x 3.8 cm", "size_mismatch"),
        (LIVER, GOOD_LIVER, "3.1 cm2", "9.3 cm2", "size_mismatch"),
        (LIVER, GOOD_LIVER, "solitary liver lesion", "three liver lesions", "count_mismatch"),
        (LIVER, GOOD_LIVER, "It is hypodense", "It is hyperdense", "intensity_mismatch"),
        (LIVER, GOOD_LIVER, "hypodense and homogeneous", "hypodense and heterogeneous", "texture_mismatch"),
        (LIVER, GOOD_LIVER, "lies within the liver", "lies within the spleen", "organ_mismatch"),
        (LIVER, GOOD_LIVER, "(left side of the image)", "(right side of the image)", "position_mismatch"),
        (LIVER, GOOD_LIVER, "There is a solitary liver lesion in the right hepatic lobe",
         "There is a solitary liver lesion on the patient's left", "side_mismatch"),
        (TWO_NODULES, GOOD_NODULES, "Two nodules", "Three nodules", "count_mismatch"),
        (TWO_NODULES, GOOD_NODULES, "12 mm opaque", "12 mm lucent", "intensity_mismatch"),
        (TWO_NODULES, GOOD_NODULES, "3 cm nodule", "9 cm nodule", "size_mismatch"),
        (TWO_NODULES, GOOD_NODULES, "on the patient's left", "on the patient's right", "side_mismatch"),
        (TWO_NODULES, GOOD_NODULES, "radiograph", "ultrasound", "modality_mismatch"),
    ],
)
def test_free_phrasing_with_one_error_is_caught(facts, text, old, new, code):
    assert old in text
    qc = verify_text(facts, text.replace(old, new), "reject")
    assert code in {issue.code for issue in qc.issues}, qc.issues
    assert qc.status == "reject"


def test_quoted_knowledge_is_not_a_claim_about_the_image():
    facts = SampleFacts(modality="mri", body_part="brain", context_labels=("brain",),
                        knowledge_sentences=("For context: CT of the abdomen shows most liver lesions.",))
    text = "An axial MRI of the brain. For context: CT of the abdomen shows most liver lesions."
    assert verify_text(facts, text).status == "pass"
    cited = "An axial MRI of the brain. Liver lesions are usually staged with CT of the abdomen [P1]."
    brain = SampleFacts(modality="mri", body_part="brain", context_labels=("brain",))
    assert verify_text(brain, cited).status == "pass"
    assert verify_text(SampleFacts(modality="mri", body_part="brain", context_labels=("brain",)),
                       "An axial CT of the brain.").issues[0].code == "modality_mismatch"
    # a diagnosis is never allowed in the text, quoted or not, unless a label names it
    quoted_dx = "An axial MRI of the brain. A ring-enhancing lesion suggests an abscess [P1]."
    assert verify_text(SampleFacts(modality="mri", body_part="brain", context_labels=("brain",)),
                       quoted_dx).issues[0].code == "diagnosis_unsupported"


def test_sizes_in_mm_without_measurement_are_unsupported():
    facts = SampleFacts(modality="xray", rois=(RegionFacts(0, "nodule", area_px=300),))
    assert verify_text(facts, "A nodule covering 300 pixels.").status == "pass"
    assert verify_text(facts, "A nodule covering 900 pixels.").issues[0].code == "size_mismatch"
    assert verify_text(facts, "A 14 mm nodule.").issues[0].code == "size_unsupported"


def test_image_frame_words_and_label_names_are_not_patient_sides():
    facts = SampleFacts(modality="ct", body_part="abdomen", rois=(
        RegionFacts(0, "left kidney", "organ", region="right", patient_side="left"),
        RegionFacts(1, "liver", "organ", region="left", patient_side="right"),
    ))
    text = ("The left kidney lies in the right part of the image, on the patient's left. "
            "The liver lies in the left part of the image, on the patient's right.")
    assert verify_text(facts, text).status == "pass"
    assert verify_text(facts, text.replace("image, on the patient's left", "image, on the patient's right")).issues


def test_verify_row_reads_a_written_row():
    row = {
        "modality": "ct", "body_part": "abdomen", "image_labels": [],
        "rois": [{"label": "liver lesion", "kind": "lesion", "largest_diameter_mm": 20.0, "area_mm2": 300.0,
                  "patient_side": "right", "intensity_word": "hypodense", "neighbours": [], "count_same_label": 1}],
        "description_text": "A 20 mm hypodense liver lesion on the patient's right. For context: a CT fact.",
        "description_evidence": [{"section": "relations", "sentence": "For context: a CT fact.",
                                  "evidence": ["passage:x"]}],
    }
    assert verify_row(row).status == "pass"
    row["description_text"] = row["description_text"].replace("20 mm", "45 mm")
    assert verify_row(row, "reject").issues[0].code == "size_mismatch"


@pytest.mark.parametrize(
    "text",
    [
        "Axial CT with 5 mm slice thickness and 0.8 mm pixel spacing. A 2 cm liver lesion on the patient's right.",
        "The liver lesion is hypodense compared with the brighter surrounding liver parenchyma.",
        "The liver lesion is homogeneous within a heterogeneous background of liver.",
        "Images are shown in radiological convention, with the patient's left on the image right.",
        "The liver lesion lies in the right upper quadrant, next to the gallbladder.",
    ],
)
def test_model_like_sentences_that_are_not_contradictions(text):
    assert verify_text(LIVER, text).issues == []


@pytest.mark.parametrize(
    "text",
    [
        "There are no other lesions.", "The spleen and vertebra are unremarkable.",
        "The right lobe of the liver is otherwise unremarkable.", "The liver is enlarged.",
        "No intrahepatic biliary dilatation.", "Free fluid is absent.", "The spleen appears normal in size.",
        "The liver lesion shows peripheral enhancement.", "It washes out on the delayed phase.",
    ],
)
def test_a_judgement_nothing_measured_is_unsupported(text):
    """Normality, absence, an organ's enlargement, enhancement: a radiologist's reading a model adds, which no
    measurement of this pipeline makes; the liver lesion as measured, said freely, still passes."""
    codes = [issue.code for issue in verify_text(LIVER, f"{GOOD_LIVER} {text}").issues]
    assert codes == ["assessment_unsupported"], codes


ROUND_LIVER = replace(LIVER, rois=(replace(LIVER.rois[0], shape="round", margin="well-defined"),))


@pytest.mark.parametrize(("text", "code"), [
    ("The liver lesion is round with well-defined margins.", None),
    ("The liver lesion is oval and sharply defined.", None),  # round and oval: one convex family
    ("The liver lesion is lobulated.", "shape_mismatch"),
    ("The liver lesion is irregularly shaped.", "shape_mismatch"),
    ("The liver lesion has ill-defined margins.", "margin_mismatch"),
    ("The liver lesion is round with poorly defined margins.", "margin_mismatch"),
    ("The liver lesion is isodense to the surrounding liver.", "intensity_mismatch"),
    ("The liver lesion is of similar attenuation to the liver.", "intensity_mismatch"),
    ("The liver lesion is hypodense, not isodense.", None),
])
def test_outline_and_iso_words_against_what_was_measured(text, code):
    """Shape and margin words the composer states were never compared with the measurement ("the round,
    well-defined liver lesion" passed for a lobulated, ill-defined one), nor "isodense" with a hypodense one."""
    codes = [issue.code for issue in verify_text(ROUND_LIVER, f"Axial CT of the abdomen. {text}").issues]
    assert codes == ([code] if code else []), codes
    if code in ("shape_mismatch", "margin_mismatch"):  # nothing measured (too small, no contrast): not judged
        assert verify_text(LIVER, f"Axial CT of the abdomen. {text}").issues == []


def test_a_texture_after_and_stays_with_the_piece_its_sentence_names():
    """'the 19.2 mm enhancing lesion is hyperintense and homogeneous' beside a 20.6 mm one whose texture is
    unknown: the texture clause speaks of the 19.2 mm piece (its number names it), not of both."""
    two = SampleFacts(modality="mri", body_part="brain", image_area_px=256 * 256, rois=tuple(
        RegionFacts(i, "enhancing lesion", "lesion", largest_diameter_mm=d, perpendicular_diameter_mm=p,
                    intensity_word="hyperintense", texture=t, count_same_label=2)
        for i, (d, p, t) in enumerate(((19.2, 13.5, "heterogeneous"), (20.6, 14.3, "")))))
    text = ("Axial MRI of the brain. Two enhancing lesions. In appearance, the 19.2 mm enhancing lesion is "
            "hyperintense relative to its surroundings and {}.")
    assert verify_text(two, text.format("heterogeneous")).issues == []
    assert [issue.code for issue in verify_text(two, text.format("homogeneous")).issues] == ["texture_mismatch"]


def test_a_written_row_carries_its_view_and_phase_to_the_checks():
    """`medtrinity verify DIR` reads the view and the CT phase back from a row's metadata_json: an AP film's
    magnified heart is not judged by its ratio, a PA film's is; the recorded phase may be named, another not."""
    import json

    heart = {"label": "heart", "kind": "organ", "measurements": [{"name": "cardiothoracic_ratio", "value": 0.56}]}
    text = "Chest radiograph. The cardiothoracic ratio is about 56%. The heart size is within normal limits."
    row = {"modality": "xray", "body_part": "chest", "rois": [heart], "description_text": text,
           "metadata_json": json.dumps({"view_position": "PA"})}
    assert [issue.code for issue in verify_row(row).issues] == ["assessment_unsupported"]
    row["metadata_json"] = json.dumps({"view_position": "AP"})
    assert verify_row(row).issues == []
    row["metadata_json"] = "not json"  # unreadable metadata: no view, judged as any film
    assert [issue.code for issue in verify_row(row).issues] == ["assessment_unsupported"]
    lesion = {"label": "liver lesion", "kind": "lesion", "largest_diameter_mm": 20.0}
    ct = {"modality": "ct", "body_part": "abdomen", "rois": [lesion],
          "description_text": "Axial CT in the portal venous phase. A 20 mm liver lesion.",
          "metadata_json": json.dumps({"ct_phase": "portal_venous"})}
    assert verify_row(ct).issues == []
    ct["description_text"] = ct["description_text"].replace("portal venous", "arterial")
    assert [issue.code for issue in verify_row(ct).issues] == ["assessment_unsupported"]


@pytest.mark.parametrize("text", [
    "The liver lesion lies 20 mm from the gallbladder.",  # the lesion's own diameter: the size check would pass it
    "The liver lesion is located approximately 2 cm from the liver capsule.",
    "It lies within 5 mm of the gallbladder.",
    "The liver lesion is 15 mm inferior to the spleen.",
    "The liver lesion lies 3 cm anterior to the vertebra.",
    "It sits at a distance of 12 mm from the spleen.",
    "The distance between the liver lesion and the gallbladder is about 8 mm.",
    "The liver lesion is separated by 4 mm from the gallbladder.",
    "The liver lesion lies 2.0 cm away from the spleen.",
    "Two foci lie 30 mm apart.",
])
def test_a_distance_between_structures_is_unsupported(text):
    """Nothing measures how far apart two structures lie; the stated number is left out of the size check."""
    codes = [issue.code for issue in verify_text(LIVER, f"{GOOD_LIVER} {text}").issues]
    assert codes == ["distance_unsupported"], codes


@pytest.mark.parametrize("text", [
    "The liver lesion measures 20 mm and lies posterior to the gallbladder.",
    "A 20 mm liver lesion lies below the spleen, next to the gallbladder.",
    "The liver lesion measures 2.0 x 1.9 cm in the right lobe.",
    "Axial CT with 5 mm slice thickness. The 20 mm liver lesion is hypodense.",
    "The liver lesion, 20 mm across, lies within the liver.",
])
def test_sizes_beside_place_words_are_not_distances(text):
    assert verify_text(LIVER, f"Axial CT of the abdomen. {text}").issues == []
    wrong = text.replace("20 mm", "35 mm").replace("2.0 x 1.9 cm", "3.5 x 1.9 cm")
    assert "size_mismatch" in {issue.code for issue in verify_text(LIVER, f"Axial CT of the abdomen. {wrong}").issues}


ORGANS_HU = SampleFacts(modality="ct", body_part="abdomen", rois=(
    RegionFacts(0, "liver", "organ", mean_intensity=44.0, contrast_to_surround=61.0, intensity_unit="HU",
                patient_side="right"),
    RegionFacts(1, "spleen", "organ", mean_intensity=33.0, contrast_to_surround=56.0, intensity_unit="HU",
                patient_side="left"),
), context_labels=("aorta",))


@pytest.mark.parametrize(("text", "flagged"), [
    ("Mean attenuation measures 44 HU in the liver and 33 HU in the spleen.", False),
    ("The liver measures about 45 HU.", False),
    ("The liver is 61 HU brighter than its surroundings.", False),  # a comparison: the difference is meant
    ("The liver is hyperdense (mean 44 HU against -17 HU in the surrounding tissue).", False),
    ("Mean attenuation measures 33 HU in the liver and 44 HU in the spleen.", True),  # swapped
    ("The mean attenuation of the liver is 60 HU.", True),  # the liver's contrast, not its mean
    ("The spleen measures about 44 HU.", True),  # the liver's mean
    ("The aorta measures 150 HU.", True),  # nothing measured in the aorta
    ("Mean attenuation is 44 HU in the aorta.", True),
])
def test_a_stated_hu_value_is_the_mean_of_the_structure_it_is_said_of(text, flagged):
    """An HU value is judged against the structure the sentence gives it to: any value measured anywhere in the
    sample passed before, so one organ's mean given to another went through."""
    codes = [issue.code for issue in verify_text(ORGANS_HU, f"Axial CT of the abdomen. {text}").issues]
    assert codes == (["number_unsupported"] if flagged else []), codes


TWO_ORGANS = SampleFacts(modality="ct", body_part="abdomen", rois=(
    RegionFacts(0, "liver", "organ", mean_intensity=44.0, contrast_to_surround=61.0, intensity_unit="HU",
                intensity_word="hyperdense", area_mm2=11106.0, largest_diameter_mm=225.0, texture="homogeneous"),
    RegionFacts(1, "spleen", "organ", mean_intensity=33.0, contrast_to_surround=56.0, intensity_unit="HU",
                intensity_word="hyperdense", area_mm2=2556.0, largest_diameter_mm=103.0, texture="homogeneous"),
    RegionFacts(2, "liver lesion", "lesion", mean_intensity=-5.0, contrast_to_surround=-49.0, intensity_unit="HU",
                intensity_word="hypodense", containing_organ="liver", area_mm2=300.0, largest_diameter_mm=20.0),
))


@pytest.mark.parametrize(("text", "code"), [
    ("The spleen is hypodense relative to the liver.", None),  # both brighter than fat, the spleen below the liver
    ("The liver has higher attenuation than the spleen.", None),
    ("The spleen is smaller than the liver.", None),
    ("The liver lesion is hypodense compared with the liver.", None),  # its surroundings: the intensity check's
    ("The liver and spleen are homogeneous in attenuation.", None),
    ("The spleen is hyperdense compared with the liver.", "intensity_mismatch"),
    ("The liver demonstrates lower attenuation than the spleen.", "intensity_mismatch"),
    ("The liver and spleen have similar attenuation.", "intensity_mismatch"),  # 11 HU apart
    ("The liver is of similar attenuation to the spleen.", "intensity_mismatch"),
    ("The spleen is larger than the liver.", "size_mismatch"),
    ("The liver and the spleen are similar in size.", "size_mismatch"),
])
def test_two_described_regions_compared(text, code):
    """A comparison of two organs is judged by their two means (areas), not by each one's contrast with its own
    surroundings: 'the spleen is hypodense relative to the liver' once failed (both are hyperdense to fat)."""
    codes = [issue.code for issue in verify_text(TWO_ORGANS, f"Axial CT of the abdomen. {text}").issues]
    assert codes == ([code] if code else []), codes


AROUND = SampleFacts(
    modality="ct", body_part="abdomen", image_area_px=200 * 200, patient_orientation=("L", "P"),
    rois=(RegionFacts(0, "liver lesion", "lesion", patient_side="right", containing_organ="liver",
                      centroid_xy=(60.0, 80.0)),),
    context_labels=("liver", "spleen", "stomach", "right kidney", "aorta", "L1 vertebra", "colon"),
    context_sides=("", "left", "left", "right", "midline", "midline", ""),
    context_centroids_xy=((60.0, 80.0), (160.0, 110.0), (130.0, 60.0), (60.0, 130.0), (105.0, 120.0),
                          (100.0, 145.0), (100.0, 50.0)),
)


@pytest.mark.parametrize(("text", "code"), [
    ("The spleen lies on the patient's left.", None),
    ("The liver lies on the patient's left.", None),  # the liver crosses the midline: not judged
    ("The aorta lies just left of the midline.", None),  # measured in the midline band: not judged
    ("The liver lesion lies on the patient's right, and the spleen on the left.", None),
    ("The stomach lies anterior to the spleen.", None),
    ("The aorta lies anterior to the L1 vertebra.", None),
    ("The spleen, posterior to the stomach, lies on the left.", None),
    ("The colon lies posterior to the aorta.", None),  # bowel is in pieces: no centroid places it
    ("The spleen lies on the patient's right.", "side_mismatch"),
    ("On the right, the stomach is visible.", "side_mismatch"),
    ("The right kidney is seen on the left side.", "side_mismatch"),
    ("The spleen lies anterior to the stomach.", "direction_mismatch"),
    ("The L1 vertebra lies in front of the aorta.", "direction_mismatch"),
    ("The right kidney lies anterior to the liver lesion.", "direction_mismatch"),
])
def test_structures_around_the_regions_are_placed_as_measured(text, code):
    """Sides and front-to-back order of the organs around the described regions: a model mirrors the image or
    recalls another level; rows carry each context organ's side and centroid since session 14."""
    codes = [issue.code for issue in verify_text(AROUND, f"Axial CT of the abdomen. {text}").issues]
    assert codes == ([code] if code else []), codes


def test_rows_without_context_sides_judge_nothing_of_them():
    """Rows written before context sides and centroids existed: nothing to judge, nothing flagged."""
    old = replace(AROUND, context_sides=(), context_centroids_xy=())
    for text in ("The spleen lies on the patient's right.", "The spleen lies anterior to the stomach."):
        assert verify_text(old, f"Axial CT of the abdomen. {text}").issues == []


BRAIN_T1 = SampleFacts(modality="mri", body_part="brain", mr_sequence=("t1",), contrast_enhanced=True, rois=(
    RegionFacts(0, "enhancing lesion", "lesion", patient_side="left", intensity_word="hyperintense"),))
CONTRAST_CT = replace(LIVER, contrast_enhanced=True)


@pytest.mark.parametrize(("facts", "text", "flagged"), [
    (BRAIN_T1, "The enhancing lesion is hyperintense on T1-weighted images.", False),
    (BRAIN_T1, "The enhancing lesion is T2 hyperintense.", True),
    (BRAIN_T1, "It shows restricted diffusion.", True),
    (BRAIN_T1, "The enhancing lesion is bright on FLAIR.", True),
    (replace(BRAIN_T1, mr_sequence=()), "The enhancing lesion is hyperintense on T1-weighted images.", True),
    (BRAIN_T1, "The enhancing lesion causes a midline shift.", True),
    (BRAIN_T1, "The enhancing lesion lies in the left parietal lobe.", True),
    (BRAIN_T1, "The enhancing lesion lies in the periventricular white matter.", True),
    (CONTRAST_CT, "Contrast-enhanced CT of the abdomen.", False),
    (CONTRAST_CT, "This is a non-contrast CT.", True),
    (replace(LIVER, ct_phase="non_contrast"), "The images are contrast-enhanced.", True),
    (LIVER, "The images are contrast-enhanced.", False),  # nothing recorded: a model's reading, not contradicted
    (LIVER, "The gallbladder is distended.", True),
    (LIVER, "The spleen appears collapsed.", True),
    (LIVER, "The liver shows a nodular contour.", True),
])
def test_an_acquisition_or_a_state_nothing_records(facts, text, flagged):
    """An MRI sequence the study is not, a contrast the metadata denies, a lumen or wall judged, a midline shift, a
    brain lobe no label outlines: what a model adds, which the study's records or labels must give."""
    codes = {issue.code for issue in verify_text(facts, f"{text}").issues}
    assert bool(codes & {"assessment_unsupported", "organ_unsupported"}) == flagged, codes


def test_a_state_a_label_names_is_supported():
    facts = SampleFacts(modality="xray", body_part="chest", image_labels=("pleural thickening",))
    assert verify_text(facts, "Chest radiograph. Dataset label: pleural thickening. There is pleural thickening."
                       ).issues == []


LUNGS = SampleFacts(modality="xray", body_part="chest", view_position="pa", rois=(
    RegionFacts(0, "right lung", "organ", patient_side="right", area_mm2=19225.0, largest_diameter_mm=268.0,
                mean_intensity=80.0, intensity_unit="display"),
    RegionFacts(1, "left lung", "organ", patient_side="left", area_mm2=14670.0, largest_diameter_mm=281.0,
                mean_intensity=70.0, intensity_unit="display"),
    RegionFacts(2, "heart", "organ", patient_side="midline", area_mm2=16060.0,
                measurements=(("cardiothoracic_ratio", 0.53),)),
), context_labels=("mediastinum", "left hemidiaphragm"))


@pytest.mark.parametrize(("text", "code"), [
    ("The left lung is more lucent than the right.", None),  # "the right" is the right lung, not a side claim
    ("The left lung is darker than the right lung.", None),
    ("The right lung is larger than the left lung.", None),
    ("The left lung is larger than the right lung.", "size_mismatch"),  # by area, though its long axis is longer
    ("The lungs are hyperinflated.", "assessment_unsupported"),
    ("The lung volumes are low.", "assessment_unsupported"),
    ("The left hemidiaphragm is elevated.", "assessment_unsupported"),
    ("The mediastinum is widened.", "assessment_unsupported"),
])
def test_a_radiograph_read_by_eye(text, code):
    codes = [issue.code for issue in verify_text(LUNGS, f"PA chest radiograph. {text}").issues]
    assert codes == ([code] if code else []), codes


@pytest.mark.parametrize(("text", "code"), [
    ("The heart size is within normal limits.", None),  # ratio 0.45, PA: judged by the ratio
    ("The heart and lungs are normal.", "assessment_unsupported"),  # the lungs: nothing measured
    ("The heart is not enlarged; the mediastinum is unremarkable.", "assessment_unsupported"),
])
def test_the_ratio_judges_the_heart_and_nothing_beside_it(text, code):
    facts = replace(LUNGS, rois=(*LUNGS.rois[:2], replace(LUNGS.rois[2], measurements=(("cardiothoracic_ratio",
                                                                                         0.45),))))
    codes = [issue.code for issue in verify_text(facts, f"PA chest radiograph. {text}").issues]
    assert codes == ([code] if code else []), codes


@pytest.mark.parametrize(("plane", "text", "flagged"), [
    ("axial", "The liver lesion measures 20 mm in craniocaudal extent.", True),  # its in-plane diameter
    ("axial", "The liver lesion spans 20 mm craniocaudally.", True),
    ("axial", "The liver lesion measures 20 mm anteroposteriorly.", False),  # in the axial plane
    ("coronal", "Its anteroposterior dimension is 20 mm.", True),
    ("sagittal", "The liver lesion measures 20 mm mediolaterally.", True),
    ("", "The liver lesion measures 20 mm in craniocaudal extent.", False),  # plane unknown: not judged
])
def test_a_length_along_the_axis_the_slice_does_not_hold(plane, text, flagged):
    """One slice measures nothing along its own normal: a model's craniocaudal length of an axial region is its
    in-plane diameter renamed, which the size check alone passed."""
    codes = {issue.code for issue in verify_text(replace(LIVER, plane=plane), f"{GOOD_LIVER} {text}").issues}
    assert ("size_unsupported" in codes) == flagged, codes


@pytest.mark.parametrize(("facts", "text", "flagged"), [
    (ORGANS_HU, "There is aortic calcification.", True),  # the aorta is context: nothing measured in it
    (ORGANS_HU, "The liver contains calcifications.", True),  # a 44 HU mean shows no calcium
    (replace(ORGANS_HU, rois=(replace(ORGANS_HU.rois[0], mean_intensity=400.0),)), "The liver contains "
     "calcifications.", False),
    (BRAIN_T1, "The enhancing lesion contains calcifications.", True),  # MRI: no HU
    (replace(ORGANS_HU, image_labels=("calcification",)), "There is aortic calcification.", False),
])
def test_calcification_needs_a_measure_or_a_label(facts, text, flagged):
    codes = {issue.code for issue in verify_text(facts, f"Axial image. {text}").issues}
    assert ("assessment_unsupported" in codes) == flagged, codes


RIBS = SampleFacts(modality="ct", body_part="abdomen", rois=(RegionFacts(0, "liver", "organ"),), context_labels=(
    "liver", "T11 vertebra", "T12 vertebra", "left 9th rib", "left 10th rib", "left 11th rib", "right 10th rib"))


@pytest.mark.parametrize(("text", "flagged"), [
    ("Three ribs are visible on the left.", False),
    ("Four ribs are seen.", False),
    ("Two vertebrae are seen.", False),  # "vertebrae" names the labelled vertebrae (it was organ_unsupported)
    ("Two ribs are visible on the left.", True),
    ("Two left ribs are seen.", True),
    ("Three ribs are seen.", True),
    ("Three vertebrae are seen.", True),
    ("Multiple ribs are seen on the right.", True),  # one right rib is labelled
])
def test_structures_labelled_one_by_one_are_counted(text, flagged):
    """Each rib and vertebra is its own label, so a model's count of them is a count of labels."""
    codes = [issue.code for issue in verify_text(RIBS, f"Axial CT of the abdomen. {text}").issues]
    assert codes == (["count_mismatch"] if flagged else []), codes


@pytest.mark.parametrize(("text", "codes"), [
    ("The right lung base is visible.", set()),
    ("The lungs are seen at the top of the image.", set()),
    ("The left lung is visible.", {"side_mismatch"}),  # only right lobes are labelled
])
def test_a_lung_lobe_stands_for_its_lung(text, codes):
    """TotalSegmentator labels lungs by lobe: "the lung bases" named labelled anatomy, yet was organ_unsupported."""
    facts = SampleFacts(modality="ct", body_part="abdomen", context_labels=("liver", "right lower lobe",
                                                                          "right middle lobe"))
    assert {issue.code for issue in verify_text(facts, f"Axial CT of the abdomen. {text}").issues} == codes


def test_a_vertebra_label_is_no_sequence():
    """'T12 vertebra' once counted as a label naming the T1 sequence, so 'T1-weighted' on a spine MRI passed."""
    spine = replace(BRAIN_T1, body_part="spine", mr_sequence=("t2",), context_labels=("T12 vertebra",))
    codes = {issue.code for issue in verify_text(spine, "The enhancing lesion is hyperintense on T1-weighted images.")
             .issues}
    assert "assessment_unsupported" in codes


@pytest.mark.parametrize(("text", "code"), [
    ("The largest nodule measures 12 mm.", "size_mismatch"),  # 12 mm is the smaller one's
    ("The smaller nodule measures 30 mm.", "size_mismatch"),
    ("The dominant nodule measures 12 mm.", "size_mismatch"),
    ("The larger nodule lies on the patient's right.", "side_mismatch"),
    ("The smaller nodule is in the lower right part of the image.", "position_mismatch"),
    ("The largest of the two nodules, measuring 12 mm, is on the patient's left.", "size_mismatch"),
    ("The smaller nodule is in the upper left part of the image. It measures 30 mm.", "size_mismatch"),
])
def test_a_region_named_by_rank_is_held_to_its_own_facts(text, code):
    """Of two nodules (12 mm on the patient's right, 30 mm on the left), "the larger" is the 30 mm one: a size,
    side or place that fits only the other was passed while any nodule matched."""
    codes = {issue.code for issue in verify_text(TWO_NODULES, f"Frontal chest radiograph. {text}").issues}
    assert code in codes, codes


@pytest.mark.parametrize("text", [
    "The largest nodule measures 30 mm.",
    "The larger nodule lies on the patient's left, in the lower right part of the image.",
    "The smaller nodule is in the upper left part of the image. It measures 12 mm.",
    "The larger nodule lies on the patient's left and the smaller nodule on the right.",
    "The larger of the two nodules measures 3 cm.",
    GOOD_NODULES.removeprefix("Frontal chest radiograph. "),  # "a 12 mm nodule ... and a larger 3 cm nodule"
])
def test_a_region_named_by_rank_passes_with_its_own_facts(text):
    assert verify_text(TWO_NODULES, f"Frontal chest radiograph. {text}").issues == []


def test_a_rank_between_regions_of_like_size_names_neither():
    """Two nodules within a tenth of each other: "the larger" could be either, so any nodule's facts pass."""
    alike = replace(TWO_NODULES, rois=(TWO_NODULES.rois[0], replace(TWO_NODULES.rois[1], largest_diameter_mm=12.5)))
    assert verify_text(alike, "Frontal chest radiograph. The larger nodule lies on the patient's right.").issues == []


SLICE_ORGANS = SampleFacts(modality="ct", body_part="abdomen", rois=(
    RegionFacts(0, "colon", "organ", area_mm2=5555.0, area_px=9000, patient_side="right"),
    RegionFacts(1, "liver", "organ", area_mm2=4826.0, area_px=8000, patient_side="right"),
    RegionFacts(2, "spleen", "organ", area_mm2=1826.0, area_px=3000, patient_side="left"),
    RegionFacts(3, "left erector spinae", "organ", area_mm2=2585.0, area_px=4000, patient_side="left"),
))


@pytest.mark.parametrize("text", [
    "The liver is the largest organ in view.",  # the colon's section is larger on this slice
    "The largest organ in this section is the liver.",
    "The spleen is the largest solid organ.",  # the liver is
    "The liver is the smallest organ in this section.",
    "The liver, the biggest organ in the image, lies on the patient's right.",
])
def test_an_organ_called_the_largest_or_smallest_against_the_slice_is_caught(text):
    codes = [issue.code for issue in verify_text(SLICE_ORGANS, f"Axial CT of the abdomen. {text}").issues]
    assert codes == ["size_mismatch"], codes


@pytest.mark.parametrize("text", [
    "The colon is the largest organ in this section.",
    "The liver is the largest solid organ in view.",  # the colon is hollow
    "The spleen is the smallest organ in view.",  # the erector spinae is a muscle, no organ
    "The colon is the smallest hollow organ.",  # the only one: nothing to rank against
    "The largest organ, the liver, lies on the patient's right, beside the colon.",  # two named: not judged
])
def test_a_superlative_true_of_the_slice_or_unjudgeable_passes(text):
    codes = [issue.code for issue in verify_text(SLICE_ORGANS, f"Axial CT of the abdomen. {text}").issues]
    assert "size_mismatch" not in codes, codes


@pytest.mark.parametrize("text", [
    "A nodule is present in the liver.",
    "There is a focal lesion in the spleen.",
    "A mass is seen adjacent to the liver.",
    "Patchy opacities are seen.",
    "An endotracheal tube is in place.",
    "A central venous catheter terminates in the superior vena cava.",
    "Sternotomy wires and a pacemaker are present.",
    "Surgical clips are seen near the liver.",
])
def test_a_finding_or_device_nothing_marks_is_caught(text):
    """Said bare (no size, no intensity word), an invented finding or device passed every other check."""
    codes = [issue.code for issue in verify_text(ORGANS_HU, f"Axial CT of the abdomen. {text}").issues]
    assert "finding_unsupported" in codes, codes


@pytest.mark.parametrize("text", [
    "The portal vein drains into the liver.",  # a verb, not a device
    "The midline lies between the liver and the spleen.",
    "The spleen, in outline, is smooth.",
])
def test_words_that_only_look_like_devices_or_findings_pass(text):
    codes = [issue.code for issue in verify_text(ORGANS_HU, f"Axial CT of the abdomen. {text}").issues]
    assert "finding_unsupported" not in codes, codes


@pytest.mark.parametrize("text", [
    "No focal lesion is identified.",
    "There is no nodule or mass.",
    "A lesion is not seen in the liver.",
    "The liver is free of lesions.",
])
def test_a_denied_finding_is_the_assessment_checks(text):
    """A denial is no presence claim; nothing looked for the finding either, so it is an unsupported absence."""
    codes = [issue.code for issue in verify_text(ORGANS_HU, f"Axial CT of the abdomen. {text}").issues]
    assert codes == ["assessment_unsupported"], codes


def test_a_finding_is_supported_by_a_lesion_region_or_a_label_naming_it():
    assert "finding_unsupported" not in {issue.code for issue in verify_text(
        LIVER, f"{GOOD_LIVER} A lesion is present in the liver.").issues}
    nodule_label = replace(ORGANS_HU, image_labels=("Nodule",))
    assert verify_text(nodule_label, "Axial CT of the abdomen. A nodule is present.").issues == []
    tube_label = replace(ORGANS_HU, image_labels=("Support Devices",))
    codes = {issue.code for issue in verify_text(tube_label, "Axial CT of the abdomen. A pacemaker is present.").issues}
    assert codes == set(), codes


@pytest.mark.parametrize(("text", "flagged"), [
    ("This section lies at the level of L1.", True),  # only L2 is labelled
    ("The slice is at the T12 level.", True),
    ("This section lies at the level of L2.", False),
    ("The section is at the L2 level.", False),
    ("At L2, the liver and spleen are seen.", False),
])
def test_a_vertebral_level_in_shorthand_names_its_vertebra(text, flagged):
    """A model places a slice by level ("at the level of L1"); the vertebra it names must be labelled."""
    facts = replace(ORGANS_HU, context_labels=("aorta", "L2 vertebra"))
    codes = [issue.code for issue in verify_text(facts, f"Axial CT of the abdomen. {text}").issues]
    assert ("organ_unsupported" in codes) is flagged, codes


@pytest.mark.parametrize(("facts", "text"), [
    ("brain", "The enhancing lesion is intra-axial."),
    ("brain", "The enhancing lesion shows a fluid-fluid level."),
    ("brain", "It is extra-axial with a dural tail."),
    ("liver", "The liver lesion shows cavitation."),
    ("liver", "Air bronchograms are seen within the liver lesion."),
    ("liver", "The liver lesion has a ground-glass component."),
    ("liver", "Oral contrast is seen in the liver lesion."),
    ("liver", "The liver lesion shows posterior acoustic shadowing."),
])
def test_a_lesions_inner_feature_or_compartment_read_by_eye_is_caught(facts, text):
    """Features a radiologist looks for inside a finding, and the compartment it arises from: nothing measures them."""
    chosen, good = {"brain": (BRAIN_T1, "Axial T1-weighted MRI of the brain."), "liver": (LIVER, GOOD_LIVER)}[facts]
    codes = [issue.code for issue in verify_text(chosen, f"{good} {text}").issues]
    assert codes == ["assessment_unsupported"], codes


def test_a_label_naming_the_feature_supports_it():
    cavitary = replace(LIVER, rois=(replace(LIVER.rois[0], label="cavitary lesion"),))
    text = "Axial contrast CT of the abdomen. The cavitary lesion shows cavitation."
    assert "assessment_unsupported" not in {issue.code for issue in verify_text(cavitary, text).issues}


CHEST_CTR = SampleFacts(modality="xray", body_part="chest", view_position="pa", rois=(
    RegionFacts(0, "heart", "organ", measurements=(("cardiothoracic_ratio", 0.526),)),))
FUNDUS_CDR = SampleFacts(modality="fundus", body_part="eye", rois=(
    RegionFacts(0, "optic disc", "organ", measurements=(("cup_to_disc_ratio", 0.485),)),))


@pytest.mark.parametrize(("facts", "text", "flagged"), [
    (CHEST_CTR, "The cardiothoracic ratio is 0.53.", False),  # a fraction has no unit: it was a false alarm
    (CHEST_CTR, "The cardiothoracic ratio is approximately 0.5.", False),
    (CHEST_CTR, "The cardiothoracic ratio is approximately 0.45.", True),
    (CHEST_CTR, "The cardiothoracic ratio is 53%.", False),
    (FUNDUS_CDR, "The cup-to-disc ratio is about 0.5.", False),
    (FUNDUS_CDR, "The vertical cup-to-disc ratio is approximately 0.48.", False),
    (FUNDUS_CDR, "The cup-to-disc ratio measures 0.3.", True),
    (FUNDUS_CDR, "The optic disc has a C/D ratio of 0.8.", True),
])
def test_a_measured_ratio_written_as_a_fraction_is_judged_by_its_measurement(facts, text, flagged):
    codes = [issue.code for issue in verify_text(facts, text).issues]
    assert "number_without_unit" not in codes, codes
    assert ("number_unsupported" in codes) is flagged, codes


@pytest.mark.parametrize(("text", "flagged"), [
    ("Five structures are labelled.", False),
    ("Among 5 labelled structures, the liver is largest.", False),
    ("About six structures are segmented.", False),  # approximate: within a sixth or one
    ("Twelve structures are outlined.", True),
    ("Thirty structures are labelled.", True),
    ("More than three structures are labelled.", False),
    ("Three structures are labelled.", True),
    ("Twenty-five structures are labelled.", True),  # was read as "five"
])
def test_a_count_of_every_labelled_structure_is_judged(text, flagged):
    facts = replace(ORGANS_HU, context_labels=("liver", "spleen", "aorta", "L2 vertebra", "stomach"))
    codes = [issue.code for issue in verify_text(facts, f"Axial CT of the abdomen. {text}").issues]
    assert ("count_mismatch" in codes) is flagged, codes


@pytest.mark.parametrize("text", [
    "The patient is a 60-year-old woman.",
    "This 45-year-old male presented with abdominal pain.",
    "Her liver is homogeneous.",
    "Clinical history: abdominal pain.",
    "Compared with the prior study, the liver is unchanged.",
    "Follow-up imaging is recommended.",
    "Clinical correlation is advised.",
])
def test_the_patient_and_clinical_setting_are_never_known(text):
    codes = [issue.code for issue in verify_text(ORGANS_HU, f"Axial CT of the abdomen. {text}").issues]
    assert "patient_unsupported" in codes, codes


def test_age_and_sex_pass_where_a_source_records_them_and_other_words_are_not_taken_for_them():
    recorded = replace(ORGANS_HU, patient_recorded=True)
    assert verify_text(recorded, "Axial CT of the abdomen. The patient is a 60-year-old woman.").issues == []
    # "the", "other", "there", "this", "abdomen", "hernia" hold the letters of he, her, his, men
    text = "Axial CT of the abdomen. There is the liver, and this other organ is the spleen."
    assert "patient_unsupported" not in {issue.code for issue in verify_text(ORGANS_HU, text).issues}


def test_patient_recorded_is_read_from_a_rows_metadata():
    from medtrinity.quality.facts import SampleFacts as Facts

    row = {"modality": "xray", "metadata_json": json.dumps({"Patient Age": 58, "Patient Gender": "M"})}
    assert Facts.from_row(row).patient_recorded is True
    assert Facts.from_row({"modality": "xray", "metadata_json": "{}"}).patient_recorded is False


@pytest.mark.parametrize(("facts", "text", "flagged"), [
    (replace(CHEST_CTR, view_position="pa"), "This is a portable AP film.", True),
    (replace(CHEST_CTR, view_position="pa"), "A posteroanterior (PA) chest radiograph.", False),
    (replace(CHEST_CTR, view_position="ap"), "On this anteroposterior view, the heart is magnified.", False),
    (replace(CHEST_CTR, view_position=""), "A PA chest radiograph.", False),  # nothing recorded: not judged
    (CHEST_CTR, "The patient is rotated.", True),
    (ORGANS_HU, "There is streak artifact from metal.", True),
    (ORGANS_HU, "The study is of diagnostic quality.", True),
    (ORGANS_HU, "The patient is supine.", True),
])
def test_the_technique_is_as_recorded_and_never_judged_by_eye(facts, text, flagged):
    codes = [issue.code for issue in verify_text(facts, text).issues]
    assert ("assessment_unsupported" in codes) is flagged, codes


def test_kilovoltage_is_a_unit():
    codes = [issue.code for issue in verify_text(ORGANS_HU, "Axial CT of the abdomen at 120 kVp.").issues]
    assert "number_without_unit" not in codes, codes


def test_a_hyphenated_number_is_not_read_as_its_last_word():
    """"Twenty-two nodules" is not "two nodules" (nor "twenty-nine structures" nine)."""
    many = replace(TWO_NODULES, rois=tuple(replace(TWO_NODULES.rois[0], index=i, count_same_label=22)
                                           for i in range(22)))
    codes = {issue.code for issue in verify_text(many, "Frontal chest radiograph. Twenty-two nodules are seen.").issues}
    assert "count_mismatch" not in codes, codes
    nine = replace(ORGANS_HU, context_labels=tuple(f"structure {i}" for i in range(29)))
    assert verify_text(nine, "Axial CT of the abdomen. Twenty-nine structures are labelled.").issues == []


@pytest.mark.parametrize(("text", "flagged"), [
    ("Axial CT with 5 mm slices.", True),  # the header says 3 mm thick, 2 mm apart
    ("Axial CT with a slice thickness of 3 mm.", False),
    ("Images were reconstructed as 2 mm slices.", False),
    ("This is a 5-mm axial section.", True),
])
def test_a_slice_thickness_is_the_recorded_one(text, flagged):
    facts = replace(ORGANS_HU, slice_mm=(0.977, 2.0, 3.0))
    codes = [issue.code for issue in verify_text(facts, text).issues]
    assert ("assessment_unsupported" in codes) is flagged, codes
    assert "number_without_unit" not in codes and "size_mismatch" not in codes, codes


def test_a_hyphenated_size_is_a_size():
    """"A 20-mm liver lesion" was a number without a unit (and a wrong size passed unjudged)."""
    assert verify_text(LIVER, "Axial CT of the abdomen. A 20-mm liver lesion is seen.").issues == []
    codes = {issue.code for issue in verify_text(LIVER, "Axial CT of the abdomen. A 35-mm liver lesion.").issues}
    assert codes == {"size_mismatch"}, codes


def test_slice_mm_is_read_from_a_rows_metadata():
    from medtrinity.quality.facts import SampleFacts as Facts

    row = {"modality": "ct", "metadata_json": json.dumps({"SliceThickness": 3.0, "voxel_spacing_mm": [0.98, 0.98, 2]})}
    assert Facts.from_row(row).slice_mm == (0.98, 2.0, 3.0)


@pytest.mark.parametrize(("text", "codes"), [
    ("The spleen is slightly less dense than the liver (33 vs 44 HU).", set()),  # was a number without a unit
    ("The liver and spleen measure 44 and 33 HU.", set()),
    ("The liver and spleen measure 60 and 33 HU.", {"number_unsupported"}),
    ("The right and left kidneys lie beside the spleen.", set()),  # both sides named: no side claim of one
])
def test_a_shared_unit_and_a_pair_of_sides(text, codes):
    found = {issue.code for issue in verify_text(replace(ORGANS_HU, context_labels=("aorta", "right kidney",
                                                                                      "left kidney"),
                                                         context_sides=("", "right", "left")),
                                                 f"Axial CT of the abdomen. {text}").issues}
    assert found == codes, found


def test_the_paraspinal_muscles_are_the_erector_spinae():
    facts = replace(ORGANS_HU, context_labels=("left erector spinae", "right erector spinae"))
    assert verify_text(facts, "Axial CT of the abdomen. The paraspinal muscles are labelled bilaterally.").issues == []
    codes = {issue.code for issue in verify_text(ORGANS_HU, "Axial CT of the abdomen. The paraspinal muscles are "
                                                             "labelled.").issues}
    assert codes == {"organ_unsupported"}, codes


def test_an_enlargement_a_label_names_is_supported():
    """NIH's boxed films carry "cardiomegaly" as a label while the heart is a context structure, whose ratio a row
    does not hold: "the heart is enlarged" is the label's word, not a judgement of the text's own."""
    film = SampleFacts(modality="xray", body_part="chest", view_position="pa", image_labels=("cardiomegaly",),
                       rois=(RegionFacts(0, "cardiomegaly", "lesion", origin="box"),),
                       context_labels=("right lung", "left lung", "heart"))
    assert verify_text(film, "PA chest radiograph. The heart is enlarged.").issues == []
    unlabelled = replace(film, image_labels=(), rois=(RegionFacts(0, "nodule", "lesion", origin="box"),))
    codes = {issue.code for issue in verify_text(unlabelled, "PA chest radiograph. The heart is enlarged.").issues}
    assert codes == {"assessment_unsupported"}, codes
    liver = replace(film, image_labels=("cardiomegaly",), context_labels=("liver", "heart"), body_part="abdomen")
    codes = {issue.code for issue in verify_text(liver, "PA chest radiograph. The liver is enlarged.").issues}
    assert "assessment_unsupported" in codes, codes


@pytest.mark.parametrize(("text", "codes"), [
    ("Its volume is about 4100 cubic millimetres.", set()),  # 4.1 ml
    ("Its volume is about 4.1 cm3.", set()),
    ("Its volume is about 9000 mm3.", {"size_mismatch"}),
])
def test_a_volume_in_cubic_units_is_a_volume(text, codes):
    found = {issue.code for issue in verify_text(LIVER, f"{GOOD_LIVER} {text}").issues}
    assert found == codes, found


def test_a_fundus_photograph_shows_the_retina():
    fundus = SampleFacts(modality="fundus", body_part="eye", rois=(RegionFacts(0, "optic disc", "organ"),))
    assert verify_text(fundus, "This is a colour fundus photograph of the retina.").issues == []
    codes = {issue.code for issue in verify_text(replace(fundus, modality="ct"), "A CT of the retina.").issues}
    assert "organ_unsupported" in codes, codes


def test_a_count_of_anatomical_structures_carries_its_noun_as_unit():
    """"29 anatomical structures are segmented" was a number without a unit; the count is judged instead."""
    facts = replace(ORGANS_HU, context_labels=("liver", "spleen", "aorta"))
    assert verify_text(facts, "Axial CT of the abdomen. 3 anatomical structures are segmented.").issues == []
    codes = {issue.code for issue in verify_text(facts, "Axial CT of the abdomen. 5 anatomical structures are "
                                                        "segmented.").issues}
    assert codes == {"count_mismatch"}, codes
