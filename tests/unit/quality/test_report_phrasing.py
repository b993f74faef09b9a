"""What a model writes when it writes like a radiology report: its layout (headings, numbered lists), the diseases
and findings it adds from the reports it learned from, how it says a lesion enhances or where in the brain it
lies, a texture nothing judged, intensity in plain words, and "no other lesions are marked"."""

from dataclasses import replace

import pytest

from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, MODEL_MISTAKES
from medtrinity.quality.verify import verify_text

BRAIN = SampleFacts(
    modality="mri", body_part="brain",
    rois=(RegionFacts(0, "enhancing lesion", "lesion", largest_diameter_mm=17.3, perpendicular_diameter_mm=15.2,
                      area_mm2=151.0, area_px=247, region="right", patient_side="left", intensity_word="hyperintense",
                      contrast_to_surround=144.0, margin="ill-defined", shape="lobulated"),),
)
TWO_LESIONS = replace(BRAIN, rois=(
    BRAIN.rois[0],
    RegionFacts(1, "enhancing lesion", "lesion", largest_diameter_mm=20.6, area_mm2=176.0, region="right",
                patient_side="left", intensity_word="hyperintense", contrast_to_surround=150.0,
                texture="heterogeneous"),
))
ABDOMEN = SampleFacts(
    modality="ct", body_part="abdomen",
    rois=(RegionFacts(0, "liver", "organ", largest_diameter_mm=229.0, area_mm2=13536.0, patient_side="right",
                      mean_intensity=44.0, intensity_unit="HU", intensity_word="hyperdense", texture="homogeneous"),
          RegionFacts(1, "spleen", "organ", largest_diameter_mm=105.0, area_mm2=2826.0, patient_side="left",
                      mean_intensity=32.0, intensity_unit="HU", intensity_word="hyperdense", texture="homogeneous")),
    context_labels=("liver", "spleen", "stomach", "pancreas", "aorta"),
)
LIVER_TUMOUR = replace(ABDOMEN, rois=(*ABDOMEN.rois, RegionFacts(
    2, "liver tumor", "lesion", largest_diameter_mm=30.0, area_mm2=600.0, patient_side="right", mean_intensity=10.0,
    intensity_unit="HU", intensity_word="hypodense", containing_organ="liver")))


def codes(facts: SampleFacts, text: str) -> list[str]:
    return [issue.code for issue in verify_text(facts, text).issues]


TRUE_BRAIN = ("An axial MRI image of the brain shows a lobulated enhancing lesion in the left cerebral hemisphere "
              "measuring 17.3 x 15.2 mm.")


@pytest.mark.parametrize("text", [
    f"**Findings:**\n1. {TRUE_BRAIN}\n2. It has ill-defined margins.",
    f"1. {TRUE_BRAIN} 2. It has ill-defined margins.",
    f"## Findings\n- {TRUE_BRAIN}\n- Margins: ill-defined",
    f"(a) {TRUE_BRAIN} (b) It is hyperintense.",
    f"Impression:\n1) {TRUE_BRAIN}",
])
def test_a_report_layout_around_true_sentences_passes(text):
    """A list marker ("1.", "2)") once read as a number without a unit; a line without a full stop ran into the
    next, so its claims were judged against the next line's subject."""
    assert codes(BRAIN, text) == []


@pytest.mark.parametrize(("text", "code"), [
    ("**Findings:**\n1. An enhancing lesion lies in the left hemisphere.\n2. It measures 27 x 15 mm.", "size_mismatch"),
    ("- Lesion: right cerebral hemisphere\n- Size: 17 x 15 mm", "side_mismatch"),
    ("| Location | left hemisphere |\n| Size | 27 x 15 mm |", "size_mismatch"),
])
def test_a_mistake_inside_a_report_layout_is_caught(text, code):
    assert code in codes(BRAIN, text)


@pytest.mark.parametrize("text", [
    "There is a small amount of ascites.", "Pneumoperitoneum is present.", "There is mild hydrocephalus.",
    "There is lymphadenopathy.", "There are gallstones.", "There is pancreatitis.", "The pancreas is atrophic.",
    "There is dextrocardia.", "There is mild fat stranding.", "There are osteophytes.", "There is ileus.",
])
def test_a_disease_a_model_adds_is_unsupported(text):
    assert "diagnosis_unsupported" in codes(ABDOMEN, f"Axial CT of the abdomen. {text}")


def test_a_disease_a_label_names_is_supported_but_not_its_grade():
    labelled = replace(ABDOMEN, image_labels=("ascites",))
    assert codes(labelled, "Axial CT of the abdomen. There is ascites.") == []
    assert codes(labelled, "Axial CT of the abdomen. There is a small amount of ascites.") == [
        "assessment_unsupported"]


@pytest.mark.parametrize(("text", "code"), [
    ("Mild cardiomegaly.", "assessment_unsupported"),
    ("A large left pleural effusion.", "assessment_unsupported"),
    ("The pleural effusion is moderate in size.", "assessment_unsupported"),
    ("Mild-to-moderate cardiomegaly is present.", "assessment_unsupported"),
    ("A left pleural effusion is seen.", None),
    ("The image-level labels are cardiomegaly and pleural effusion.", None),
])
def test_a_grade_of_a_labelled_disease_is_unsupported(text, code):
    """A box has a size, not a grade; NIH's labels name none ("mild", "large" passed every check)."""
    facts = SampleFacts(modality="xray", body_part="chest", image_labels=("cardiomegaly", "pleural effusion"),
                        rois=(RegionFacts(0, "pleural effusion", "lesion", origin="box", patient_side="left",
                                          largest_diameter_mm=115.0),))
    assert codes(facts, text) == ([code] if code else [])


@pytest.mark.parametrize("text", [
    "There is a hypoattenuating focus in the liver.", "There is a focal area of low attenuation in the liver.",
    "A small focus is seen in the spleen.", "There is a subcentimeter hypodensity in the liver.",
])
def test_a_focus_or_a_density_where_no_lesion_is_marked_is_an_invented_finding(text):
    assert "finding_unsupported" in codes(ABDOMEN, f"Axial CT of the abdomen. {text}")
    assert "finding_unsupported" not in codes(LIVER_TUMOUR, f"Axial CT of the abdomen. {text}")


@pytest.mark.parametrize("text", ["There is free fluid in the pelvis.", "Free air is seen under the diaphragm.",
                                  "There are increased interstitial markings."])
def test_free_fluid_air_or_lung_markings_need_a_label_even_beside_a_lesion(text):
    """A tumour's outline shows no free fluid: a lesion region supports a lesion noun, not these."""
    assert "finding_unsupported" in codes(LIVER_TUMOUR, text)
    assert "finding_unsupported" not in codes(replace(LIVER_TUMOUR, image_labels=("ascites", "pneumoperitoneum",
                                                                                    "interstitial markings")), text)


@pytest.mark.parametrize("text", [
    "The lesion shows ring enhancement.", "The lesion is rim-enhancing.", "The lesion enhances heterogeneously.",
    "The lesion is periventricular.", "The lesion is subcortical.", "The lesion is juxtacortical.",
    "The lesion crosses the midline.",
])
def test_how_a_lesion_enhances_or_how_deep_it_lies_is_unsupported(text):
    """An "enhancing lesion" label says that the lesion enhances, not how; nothing measured its depth."""
    labelled = replace(BRAIN, rois=(replace(BRAIN.rois[0], texture="heterogeneous"),))
    assert codes(labelled, text) == ["assessment_unsupported"]


@pytest.mark.parametrize("text", ["The lungs are well expanded.", "The heart is in its normal position.",
                                  "The liver is fatty."])
def test_expansion_position_or_fat_read_by_eye_is_unsupported(text):
    chest = SampleFacts(modality="xray", body_part="chest", rois=(
        RegionFacts(0, "heart", "organ", largest_diameter_mm=150.0, area_mm2=12000.0, patient_side="left"),))
    facts = ABDOMEN if "liver" in text else chest
    assert "assessment_unsupported" in codes(facts, text)


@pytest.mark.parametrize(("text", "code"), [
    ("The lesion is heterogeneous.", "texture_mismatch"),  # no texture judged (too small, or between the limits)
    ("The lesion has uniform signal.", "texture_mismatch"),
    ("The lesion appears dark.", "intensity_mismatch"),  # measured hyperintense
    ("The lesion appears bright.", None),
    ("The lesion appears bright relative to the surrounding brain.", None),
])
def test_texture_nothing_judged_and_intensity_in_plain_words(text, code):
    assert codes(BRAIN, text) == ([code] if code else [])


def test_a_texture_is_judged_where_one_was_measured():
    judged = replace(BRAIN, rois=(replace(BRAIN.rois[0], texture="heterogeneous"),))
    assert codes(judged, "The lesion is heterogeneous.") == []
    assert codes(judged, "The lesion is homogeneous.") == ["texture_mismatch"]


@pytest.mark.parametrize(("facts", "text", "code"), [
    (BRAIN, "No other lesions are marked.", None),
    (BRAIN, "No other lesions are annotated in this image.", None),
    (BRAIN, "No other lesions are seen.", "assessment_unsupported"),  # the body, not the annotation
    (TWO_LESIONS, "No other lesions are marked.", "count_mismatch"),
    (TWO_LESIONS, "Two enhancing lesions are marked. No other lesions are marked.", None),
    (TWO_LESIONS, "One enhancing lesion is marked. No other enhancing lesions are labelled.", "count_mismatch"),
])
def test_no_other_lesions_marked_is_a_statement_of_the_annotation(facts, text, code):
    """It was flagged as an absence nothing looked for; it states what the annotation holds, and is judged so."""
    assert codes(facts, text) == ([code] if code else [])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("name", "facts", "text"), [
    ("disease", ABDOMEN, "Axial CT of the abdomen. The liver measures 229 mm."),
    ("plain_intensity", BRAIN, TRUE_BRAIN),
    ("texture_unmeasured", BRAIN, TRUE_BRAIN),
    ("report_layout", BRAIN, f"{TRUE_BRAIN} It has ill-defined margins."),
    ("feature", BRAIN, TRUE_BRAIN),
    ("list_swap", LIVER_TUMOUR, "Axial CT of the abdomen. The liver measures 229 mm."),
])
def test_this_sessions_planted_mistakes_are_caught(name, facts, text, seed):
    assert codes(facts, text) == []
    planted = MODEL_MISTAKES[name](text, facts, seed)
    assert planted is not None and planted != text
    assert set(codes(facts, planted)) & MODEL_MISTAKE_CODES[name], planted


PLACED = SampleFacts(
    modality="ct", body_part="abdomen", plane="axial", patient_orientation=("L", "P"), image_area_px=512 * 512,
    rois=(RegionFacts(0, "liver lesion", "lesion", largest_diameter_mm=20.4, area_mm2=310.0, patient_side="right",
                      containing_organ="liver", intensity_word="hypodense", contrast_to_surround=-61.0),),
    context_labels=("liver", "spleen", "stomach", "aorta", "inferior vena cava", "L1 vertebra"),
    context_sides=("right", "left", "left", "", "right", ""),
    # columns grow to the patient's left, rows to the back: the IVC right of the aorta, the stomach right of (and
    # in front of) the spleen
    context_centroids_xy=((150.0, 250.0), (400.0, 300.0), (330.0, 200.0), (262.0, 300.0), (225.0, 300.0),
                          (256.0, 360.0)),
)


@pytest.mark.parametrize(("text", "code"), [
    ("The aorta measures 2 cm.", "size_unsupported"),  # the lesion's 20.4 mm once passed it
    ("The spleen measures 20 mm.", "size_unsupported"),
    ("The liver lesion measures 20 mm.", None),
    ("A 20 mm hypodense area lies in the liver.", None),  # the liver holds the described lesion
    ("The lesion in the liver measures 20 mm.", None),
])
def test_a_size_given_to_a_structure_nothing_measured(text, code):
    assert codes(PLACED, text) == ([code] if code else [])


@pytest.mark.parametrize(("text", "code"), [
    ("The inferior vena cava lies to the right of the aorta.", None),
    ("The inferior vena cava lies to the left of the aorta.", "direction_mismatch"),
    ("The stomach lies to the right of the spleen.", None),  # once a side_mismatch: "right" read as its side
    ("The spleen lies to the right of the stomach.", "direction_mismatch"),
    ("The spleen lies to the left of the spine.", None),  # the spine: the labelled vertebra
    ("The spleen lies to the right of the midline.", "side_mismatch"),  # of the midline: a side
])
def test_left_or_right_of_another_structure(text, code):
    assert codes(PLACED, text) == ([code] if code else [])


@pytest.mark.parametrize("seed", range(6))
def test_a_reversed_left_right_order_is_planted_and_caught(seed):
    planted = [MODEL_MISTAKES["direction"]("Axial CT of the abdomen.", PLACED, s) for s in range(40)]
    lateral = [text for text in planted if text and (" left of " in text or " right of " in text)]
    assert lateral, planted
    text = lateral[seed % len(lateral)]
    assert "direction_mismatch" in codes(PLACED, text), text


FUNDUS = SampleFacts(modality="fundus", body_part="eye", rois=(
    RegionFacts(0, "optic disc", "organ", area_px=4000, region="left", intensity_word="", texture="heterogeneous",
                measurements=(("cup_to_disc_ratio", 0.48),)),
    RegionFacts(1, "optic cup", "organ", area_px=900, region="left"),
))


@pytest.mark.parametrize("text", [
    "There is papilledema.", "Neovascularization is seen at the disc.", "There is a choroidal nevus.",
    "There is a retinal detachment.", "Laser scars are seen.", "The retinal vessels show arteriovenous nicking.",
])
def test_a_fundus_disease_a_model_adds_is_unsupported(text):
    assert codes(FUNDUS, f"A fundus photograph. {text}") == ["diagnosis_unsupported"]


@pytest.mark.parametrize("text", [
    "The optic disc appears healthy.", "The optic disc has a normal cup-to-disc ratio.",
    "The foveal reflex is present.", "The disc margins are sharp.", "The arteries are attenuated.",
    "The image is well focused.",
])
def test_a_fundus_read_by_eye_is_unsupported(text):
    assert codes(FUNDUS, f"A fundus photograph. {text}") == ["assessment_unsupported"]


CHEST = SampleFacts(modality="xray", body_part="chest", view_position="pa", rois=(
    RegionFacts(0, "heart", "organ", largest_diameter_mm=150.0, area_mm2=12000.0, patient_side="left",
                measurements=(("cardiothoracic_ratio", 0.37),)),
    RegionFacts(1, "right hemidiaphragm", "organ", area_mm2=900.0, patient_side="right"),
))


@pytest.mark.parametrize(("ratio", "text", "code"), [
    (0.37, "The cardiothoracic ratio is increased.", "assessment_unsupported"),  # passed: only "enlarged" was read
    (0.37, "There is an elevated cardiothoracic ratio.", "assessment_unsupported"),
    (0.37, "The cardiothoracic ratio is 0.37, within normal limits.", None),  # the ratio's reading, not a guess
    (0.37, "The heart has a normal cardiothoracic ratio.", None),
    (0.53, "The cardiothoracic ratio is elevated at 0.53.", None),  # once "elevated" as a raised hemidiaphragm
    (0.53, "The cardiothoracic ratio is normal.", "assessment_unsupported"),
    (0.37, "The right hemidiaphragm is elevated.", "assessment_unsupported"),
])
def test_the_cardiothoracic_ratio_read_in_words(ratio, text, code):
    facts = replace(CHEST, rois=(replace(CHEST.rois[0], measurements=(("cardiothoracic_ratio", ratio),)),
                                 CHEST.rois[1]))
    assert codes(facts, text) == ([code] if code else [])


@pytest.mark.parametrize(("text", "code"), [
    ("The lesion spans six consecutive slices.", None),
    ("The lesion spans nine consecutive slices.", "number_unsupported"),  # a count in words was not read
    ("The lesion spans 6 consecutive slices.", None),  # "6" was a number without a unit
    ("The lesion spans 9 contiguous slices.", "number_unsupported"),
])
def test_slice_counts_in_words_and_with_a_word_between(text, code):
    facts = replace(BRAIN, rois=(replace(BRAIN.rois[0], slices_spanned=6),))
    assert codes(facts, text) == ([code] if code else [])


@pytest.mark.parametrize(("kvp", "text", "code"), [
    (120.0, "The scan was acquired at 120 kVp.", None),
    (120.0, "The scan was acquired at 140 kVp.", "number_unsupported"),
    (None, "The scan was acquired at 120 kVp.", "number_unsupported"),  # nothing records it: a model's default
])
def test_the_tube_voltage_against_the_header(kvp, text, code):
    assert codes(replace(ABDOMEN, kvp=kvp), f"Axial CT of the abdomen. {text}") == ([code] if code else [])


def test_the_header_tube_voltage_reaches_the_facts():
    from medtrinity.quality.facts import SampleFacts as Facts

    row = {"modality": "ct", "metadata_json": '{"KVP": 120.0, "SliceThickness": 3.0}', "rois": []}
    assert Facts.from_row(row).kvp == 120.0
    assert Facts.from_row({**row, "metadata_json": "{}"}).kvp is None


@pytest.mark.parametrize(("text", "code"), [
    ("The liver has an area of ~13,500 mm².", None),  # read as "500 mm²" before
    ("The liver has an area of 23,500 mm2.", "size_mismatch"),
])
def test_a_thousands_separator(text, code):
    assert codes(ABDOMEN, f"Axial CT of the abdomen. {text}") == ([code] if code else [])


LOBES = SampleFacts(modality="ct", body_part="chest", rois=(
    RegionFacts(0, "right lower lobe", "organ", area_mm2=9000.0, patient_side="right",
                neighbours=("right middle lobe", "right 9th rib")),
    RegionFacts(1, "left lower lobe", "organ", area_mm2=8000.0, patient_side="left", neighbours=("aorta",)),
), context_labels=("right middle lobe", "right 9th rib", "aorta"))


@pytest.mark.parametrize(("text", "code"), [
    ("The right lower lobe abuts the right middle lobe and the right 9th rib, and the left lower lobe borders the "
     "aorta.", None),  # the second lobe was read as an object of "abuts"
    ("The right lower lobe abuts the right middle lobe and the left lower lobe.", "adjacency_unsupported"),
    ("The right lower lobe abuts the right middle lobe, and the left lower lobe abuts the right 9th rib.",
     "adjacency_unsupported"),
])
def test_a_second_clause_with_its_own_subject_ends_an_object_list(text, code):
    assert codes(LOBES, text) == ([code] if code else [])


@pytest.mark.parametrize(("text", "code"), [
    # a list item split at its semicolons: the last part names the liver only as what the spleen is compared with
    ("* **Spleen** – left upper quadrant, posterior; 10.5 × 4.6 cm; homogeneous, 32 HU, slightly hypodense "
     "relative to the liver.", None),
    ("* **Spleen** – left upper quadrant; 10.5 × 4.6 cm; homogeneous, 72 HU, slightly hypodense relative to the "
     "liver.", "number_unsupported"),
    # two regions' means apart
    ("The spleen is hypoattenuating relative to the liver by about 12 HU.", None),
    ("The spleen is hypoattenuating relative to the liver by about 80 HU.", "number_unsupported"),
    # one clause a region, after a comma
    ("The image shows the liver on the right measuring about 23 by 11 cm, the spleen on the left measuring about "
     "10 cm.", None),
    ("The image shows the liver on the right, the spleen on the right.", "side_mismatch"),
    ("The liver lies on the right and is hyperdense relative to the spleen.", None),
])
def test_what_a_clause_speaks_of_in_a_model_report(text, code):
    assert codes(ABDOMEN, f"Axial CT of the abdomen. {text}") == ([code] if code else [])


@pytest.mark.parametrize(("text", "code"), [
    # each value belongs to the structure named just before it (a model's list), not to any region the sentence
    # names: swapped values passed while each was some region's mean
    ("The liver measures 44 HU, the spleen 32 HU.", None),
    ("The liver measures 32 HU, the spleen 44 HU.", "number_unsupported"),
    ("Attenuation values: liver 44 HU, spleen 32 HU.", None),
    ("The liver (32 HU) and spleen (44 HU) are homogeneous.", "number_unsupported"),
    ("The spleen (32 HU) is hypodense relative to the liver (44 HU).", None),
    # each size to the region its clause names
    ("The spleen measures 105 x 46 mm and the liver 229 x 112 mm.", None),
    ("The spleen measures 229 x 112 mm and the liver 105 x 46 mm.", "size_mismatch"),
    ("Sizes: liver 229 x 112 mm, spleen 205 x 46 mm.", "size_mismatch"),
    ("The liver measures 229 x 112 mm, larger than the spleen at 105 x 46 mm.", None),
])
def test_values_in_a_list_belong_to_the_structure_named_with_them(text, code):
    assert codes(ABDOMEN, f"Axial CT of the abdomen. {text}") == ([code] if code else [])


@pytest.mark.parametrize(("text", "code"), [
    ("There is bibasilar atelectasis.", "side_mismatch"),  # one box, on the right
    ("Atelectasis is seen in both lungs.", "side_mismatch"),
    ("Atelectasis is seen in the right lower zone.", None),
    ("The kidneys lie on both sides of the spine.", None),  # a pair, each on its own side: no claim on the box
])
def test_both_sides_said_in_one_word(text, code):
    facts = SampleFacts(modality="xray", body_part="chest", image_labels=("atelectasis",),
                        rois=(RegionFacts(0, "atelectasis", "lesion", origin="box", patient_side="right",
                                          largest_diameter_mm=33.0, containing_organ="right lung",
                                          organ_part="lower zone"),))
    found = codes(facts, text)
    assert (code in found) if code else ("side_mismatch" not in found), found


@pytest.mark.parametrize("text", [
    "This is a new lesion.", "The lesion is stable.", "There has been interval growth of the lesion.",
    "The lesion has increased in size.", "The lesion is concerning.", "The lesion is indeterminate.",
    "The findings are nonspecific.", "This is an incidental finding.", "The lesion represents post-treatment change.",
    "The lesion is amenable to resection.", "Biopsy may be considered.",
])
def test_change_over_time_or_a_clinical_reading_is_the_report_frame(text):
    """One image shows no change over time; the pipeline knows no clinical setting to call a finding concerning,
    incidental or resectable."""
    assert "patient_unsupported" in codes(BRAIN, f"{TRUE_BRAIN} {text}")


@pytest.mark.parametrize(("text", "code"), [
    ("A lung tumour measuring about 8 pixels across is seen.", None),  # was judged as an area of 8 pixels
    ("The lung tumour measures 9 x 8 pixels.", None),
    ("A lung tumour measuring about 40 pixels across is seen.", "size_mismatch"),  # 64 pixels: a disc of 9
    ("The lung tumour measures 5 x 4 pixels.", "size_mismatch"),  # a 20-pixel box cannot hold 64 pixels
    ("The lung tumour covers 64 pixels.", None),
    ("The lung tumour covers 640 pixels.", "size_mismatch"),
])
def test_a_length_in_pixels_where_only_the_pixel_count_is_measured(text, code):
    facts = SampleFacts(modality="ct", body_part="chest", rois=(
        RegionFacts(0, "lung tumour", "lesion", area_px=64, intensity_word="hyperdense"),))
    assert codes(facts, text) == ([code] if code else [])


SKIN = SampleFacts(modality="dermoscopy", body_part="skin", rois=(
    RegionFacts(0, "skin lesion", "lesion", area_mm2=40.0, largest_diameter_mm=8.0, region="central", shape="oval",
                margin="well-defined"),))


@pytest.mark.parametrize(("text", "code"), [
    ("The lesion shows an atypical pigment network.", "assessment_unsupported"),
    ("A blue-white veil is present.", "assessment_unsupported"),
    ("The lesion is asymmetric.", "assessment_unsupported"),
    ("Dots and globules are seen at the periphery.", "assessment_unsupported"),
    ("The lesion shows regression structures.", "assessment_unsupported"),  # no change over time: a structure
    ("Arborizing vessels are present.", "assessment_unsupported"),
    ("This is a melanoma.", "diagnosis_unsupported"),
    ("An oval, well-defined skin lesion measures 8 mm.", None),
])
def test_a_skin_lesions_dermoscopic_structures_read_by_eye(text, code):
    assert codes(SKIN, text) == ([code] if code else [])


def test_lungs_asymmetric_in_size_are_a_comparison_not_a_feature():
    lungs = SampleFacts(modality="xray", body_part="chest", rois=(
        RegionFacts(0, "right lung", "organ", area_mm2=23000.0, patient_side="right"),
        RegionFacts(1, "left lung", "organ", area_mm2=15000.0, patient_side="left")))
    assert "assessment_unsupported" not in codes(lungs, "The lungs are asymmetric in size.")


BREAST_US = SampleFacts(modality="ultrasound", body_part="breast", rois=(
    RegionFacts(0, "breast mass", "lesion", area_mm2=120.0, largest_diameter_mm=14.0, perpendicular_diameter_mm=10.0,
                intensity_word="hypoechoic", region="central", shape="oval", margin="well-defined"),))
POLYP = SampleFacts(modality="endoscopy", body_part="colon", rois=(
    RegionFacts(0, "polyp", "lesion", area_px=5000, region="upper left", shape="round"),))


@pytest.mark.parametrize(("facts", "text", "code"), [
    (BREAST_US, "The mass is taller than wide.", "assessment_unsupported"),
    (BREAST_US, "The mass is parallel to the skin.", "assessment_unsupported"),
    (BREAST_US, "The mass is compressible.", "assessment_unsupported"),
    (BREAST_US, "BI-RADS 3.", "patient_unsupported"),  # was a number without a unit
    (BREAST_US, "Ultrasound of the breast: an oval hypoechoic mass measuring 14 x 10 mm.", None),
    (POLYP, "The polyp is pedunculated.", "assessment_unsupported"),
    (POLYP, "Paris classification 0-Is.", "patient_unsupported"),
    (POLYP, "The polyp is adenomatous.", "diagnosis_unsupported"),
    (POLYP, "Endoscopic image of the colon: a round polyp in the upper left of the image.", None),
])
def test_ultrasound_and_endoscopy_readings_by_eye(facts, text, code):
    assert codes(facts, text) == ([code] if code else [])


TISSUE = SampleFacts(modality="histopathology", body_part="colon", rois=(
    RegionFacts(0, "tumour cells", "lesion", area_px=20000, region="central", largest_diameter_mm=2.0),
    RegionFacts(1, "stroma", "structure", area_px=40000, region="left")))


@pytest.mark.parametrize(("text", "code"), [
    ("The nuclei are pleomorphic.", "assessment_unsupported"),
    ("There are frequent mitoses.", "assessment_unsupported"),
    ("The tumour is moderately differentiated.", "assessment_unsupported"),
    ("Signet ring cells are seen.", "assessment_unsupported"),
    ("Viewed at 40x.", "assessment_unsupported"),  # was a number without a unit
    ("The tumour cells measure 2 x 1 mm.", None),  # a dimension, no magnification
    ("H&E-stained section of colon tissue with tumour cells in the centre of the image.", None),
])
def test_a_tissue_sections_cytology_and_magnification(text, code):
    assert codes(TISSUE, text) == ([code] if code else [])


@pytest.mark.parametrize(("text", "code"), [
    ("The effusion measures 115 x 39 mm.", None),
    ("The effusion measures 166 x 104 mm.", "size_mismatch"),  # the cardiomegaly box's size: it passed on that box
    ("The effusion lies on the patient's right.", "side_mismatch"),
])
def test_a_label_named_by_its_last_word(text, code):
    """A model shortens "pleural effusion" to "the effusion"; the sentence then named no region and every region
    was a candidate, so another box's size passed."""
    facts = SampleFacts(modality="xray", body_part="chest", rois=(
        RegionFacts(0, "cardiomegaly", "lesion", origin="box", largest_diameter_mm=166.0,
                    perpendicular_diameter_mm=104.0, patient_side="both"),
        RegionFacts(1, "pleural effusion", "lesion", origin="box", largest_diameter_mm=115.0,
                    perpendicular_diameter_mm=39.0, patient_side="left")))
    assert codes(facts, text) == ([code] if code else [])


def test_general_or_shared_last_words_name_no_label():
    from medtrinity.quality.checks.base import short_names

    assert short_names(("pleural effusion", "enhancing lesion", "right kidney", "optic disc")) == (
        ("effusion", "pleural effusion"),)
    assert short_names(("left pleural effusion", "right pleural effusion")) == ()  # sided
    assert short_names(("pleural effusion", "pericardial effusion")) == ()  # one word, two labels


def test_a_comparison_put_first_keeps_its_subject():
    """"Compared with the liver, the spleen is hypodense": the spleen is the subject, though it stands after the
    comparison word (only a region inside the comparison phrase is what the subject is compared with)."""
    text = ("Axial CT of the abdomen. The liver measures 229 x 112 mm. Compared with the liver, the spleen is "
            "hyperdense.")
    assert codes(ABDOMEN, text) == ["intensity_mismatch"]  # 32 HU against 44: the spleen is the darker
    assert codes(ABDOMEN, text.replace("hyperdense", "hypodense")) == []
