"""What a language model gets wrong, written as a model writes it, against hand-made facts.

Each check of issue 9: an organ neither labelled nor measured, a side swapped inside a list, a
diagnosis no label names, a number without a unit or that nothing measured, the size of the wrong
piece, and a row with nothing grounded. Correct model-like phrasing of the same facts must pass.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from medtrinity.quality.checks import CHECKS, ISSUE_CODES
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.quality.verify import verify_text

ABDOMEN = SampleFacts(
    modality="ct", body_part="abdomen",
    rois=(RegionFacts(0, "liver lesion", "lesion", largest_diameter_mm=20.4, perpendicular_diameter_mm=18.9,
                      area_mm2=310.0, area_px=198, region="left", patient_side="right", containing_organ="liver",
                      organ_part="right lobe", intensity_word="hypodense", contrast_to_surround=-61.0,
                      mean_intensity=45.0, intensity_unit="HU", texture="homogeneous"),),
    context_labels=("liver", "left kidney", "right adrenal gland", "L2 vertebra"),
    image_area_px=512 * 512,
)
BRAIN = SampleFacts(
    modality="mri", body_part="brain",
    rois=tuple(RegionFacts(i, "enhancing lesion", "lesion", largest_diameter_mm=d, perpendicular_diameter_mm=p,
                           area_mm2=a, patient_side="left", intensity_word="hyperintense", texture="heterogeneous",
                           count_same_label=2, mean_intensity=400.0)
               for i, (d, p, a) in enumerate(((19.2, 13.5, 143.0), (35.2, 25.6, 601.0)))),
    image_area_px=256 * 256,
)
GOOD_ABDOMEN = ("Axial CT of the abdomen. The liver, left kidney, right adrenal gland and L2 vertebra are labelled. "
                "A 20 x 19 mm hypodense liver lesion (mean 45 HU) lies in the right lobe of the liver, on the "
                "patient's right.")
GOOD_BRAIN = ("Axial MRI of the brain. Two enhancing lesions in the left cerebral hemisphere: the first enhancing "
              "lesion measures 19.2 x 13.5 mm and the second enhancing lesion 35.2 x 25.6 mm. Both are "
              "hyperintense and heterogeneous.")


@pytest.mark.parametrize(("facts", "text"), [(ABDOMEN, GOOD_ABDOMEN), (BRAIN, GOOD_BRAIN)])
def test_correct_model_phrasing_passes(facts, text):
    assert verify_text(facts, text).issues == []


@pytest.mark.parametrize(
    ("facts", "text", "planted", "code"),
    [
        (ABDOMEN, GOOD_ABDOMEN, " The spleen and pancreas appear unremarkable.", "organ_unsupported"),
        (ABDOMEN, GOOD_ABDOMEN.replace("left kidney, right adrenal", "right kidney, right adrenal"), "",
         "side_mismatch"),
        (ABDOMEN, GOOD_ABDOMEN.replace("left kidney, right adrenal", "left kidney, left adrenal"), "",
         "side_mismatch"),
        (ABDOMEN, GOOD_ABDOMEN, " These features are most consistent with a hemangioma.", "diagnosis_unsupported"),
        (ABDOMEN, GOOD_ABDOMEN, " Metastatic disease cannot be excluded.", "diagnosis_unsupported"),
        (ABDOMEN, GOOD_ABDOMEN.replace("20 x 19 mm", "20 x 19"), "", "number_without_unit"),
        (ABDOMEN, GOOD_ABDOMEN.replace("(mean 45 HU)", "(mean density 45)"), "", "number_without_unit"),
        (ABDOMEN, GOOD_ABDOMEN.replace("(mean 45 HU)", "(mean 120 HU)"), "", "number_unsupported"),
        (ABDOMEN, GOOD_ABDOMEN, " It occupies about 40% of the image.", "number_unsupported"),
        (ABDOMEN, GOOD_ABDOMEN, " Its volume is approximately 12.5 ml.", "size_unsupported"),
        (BRAIN, GOOD_BRAIN, " The lesions measure a mean signal of 400 HU.", "number_unsupported"),
        (BRAIN, GOOD_BRAIN, " Signal intensity is 217 higher than the adjacent tissue.", "number_without_unit"),
        (BRAIN, GOOD_BRAIN.replace("first enhancing lesion measures 19.2 x 13.5 mm and the second enhancing lesion "
                                   "35.2 x 25.6 mm", "first enhancing lesion measures 35.2 x 25.6 mm and the second "
                                   "enhancing lesion 19.2 x 13.5 mm"), "", "size_mismatch"),
        (BRAIN, GOOD_BRAIN.replace("19.2 x 13.5 mm", "54.0 x 40.0 mm"), "", "size_mismatch"),
        (BRAIN, GOOD_BRAIN, " The lateral ventricles are normal in size.", "organ_unsupported"),
        (BRAIN, GOOD_BRAIN, " Findings suggest glioblastoma.", "diagnosis_unsupported"),
    ],
)
def test_model_mistakes_are_caught(facts, text, planted, code):
    issues = verify_text(facts, text + planted, "reject").issues
    assert code in {issue.code for issue in issues}, issues


CHEST_BOX = SampleFacts(
    modality="xray", body_part="chest",
    rois=(RegionFacts(0, "mass", "lesion", largest_diameter_mm=45.9, perpendicular_diameter_mm=43.3,
                      patient_side="left", containing_organ="left lung", organ_part="middle zone",
                      neighbours=("heart", "mediastinum"), origin="box"),),
    context_labels=("left lung", "right lung", "heart", "mediastinum"), image_area_px=512 * 512,
)
GOOD_CHEST_BOX = ("Posteroanterior (PA) chest radiograph. A box labelled mass is present on the patient's left side, "
                  "measuring 45.9 x 43.3 mm. The box labelled mass sits in the middle zone of the left lung and "
                  "borders the heart and mediastinum.")


@pytest.mark.parametrize("seed", range(4))
def test_a_model_describing_a_box_as_an_outline_is_caught(seed):
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, box_given_a_shape

    assert verify_text(CHEST_BOX, GOOD_CHEST_BOX).issues == []
    planted = box_given_a_shape(GOOD_CHEST_BOX, CHEST_BOX, seed)
    assert planted != GOOD_CHEST_BOX
    codes = {issue.code for issue in verify_text(CHEST_BOX, planted, "reject").issues}
    assert codes & MODEL_MISTAKE_CODES["box_shape"], (planted, codes)
    assert box_given_a_shape(GOOD_ABDOMEN, ABDOMEN, seed) is None  # an outlined lesion: nothing to plant


EYE = SampleFacts(
    modality="fundus", body_part="eye",
    rois=(RegionFacts(0, "retinal vessels", "organ", neighbours=("field of view", "optic disc")),
          RegionFacts(1, "macula", "organ", neighbours=("field of view",)),
          RegionFacts(2, "optic disc", "organ", neighbours=("field of view", "retinal vessels"),
                      surrounds=("optic cup",))),
    context_labels=("retinal vessels", "macula", "optic disc", "optic cup", "field of view"),
    image_area_px=512 * 512,
)
GOOD_EYE = ("A fundus photograph. The retinal vessels, macula, optic disc and optic cup are outlined. The optic disc "
            "surrounds the optic cup and borders the retinal vessels.")


CHEST_BOXES = SampleFacts(
    modality="xray", body_part="chest",
    rois=(RegionFacts(0, "nodule", "lesion", patient_side="left", containing_organ="left lung",
                      overlies=("mediastinum",), neighbours=("heart",), origin="box"),
          RegionFacts(1, "pleural effusion", "lesion", patient_side="right",
                      overlies=("right hemidiaphragm", "right lung"), origin="box"),
          RegionFacts(2, "mass", "lesion", patient_side="right", neighbours=("right lung",), origin="box")),
    context_labels=("right lung", "left lung", "heart", "mediastinum", "right hemidiaphragm", "left hemidiaphragm"),
    image_labels=("nodule", "pleural effusion", "mass"), image_area_px=512 * 512,
)
GOOD_CHEST_BOXES = ("Posteroanterior chest radiograph. The box labelled nodule sits in the left lung, extends over "
                    "the mediastinum and is adjacent to the heart. The box labelled pleural effusion is drawn over "
                    "the right hemidiaphragm and right lung.")
LIVER = SampleFacts(
    modality="ct", body_part="abdomen",
    rois=(RegionFacts(0, "liver lesion", "lesion", largest_diameter_mm=20.4, patient_side="right",
                      containing_organ="liver", organ_part="right lobe", neighbours=("right kidney",)),),
    context_labels=("liver", "right kidney", "aorta", "spleen"), image_area_px=512 * 512,
)
GOOD_LIVER = ("Axial CT of the abdomen. A 20.4 mm liver lesion lies in the right lobe of the liver, on the patient's "
              "right.")
# one structure inside, around, over or beside another: (facts, a text true of them) per claim family
PLACEMENTS = {"enclosure": (EYE, GOOD_EYE), "overlap": (CHEST_BOXES, GOOD_CHEST_BOXES),
              "adjacency": (LIVER, GOOD_LIVER)}


@pytest.mark.parametrize(("family", "good"), [
    ("enclosure", ""), ("enclosure", " The optic cup lies within the optic disc."),
    ("enclosure", " The optic cup is seen inside the optic disc."),
    ("enclosure", " The optic disc encloses the optic cup."),
    ("enclosure", " The optic disc is bright. It surrounds the optic cup."),
    ("enclosure", " The optic disc is brighter than the surrounding retinal vessels."),
    ("enclosure", " The macula lies in the centre of the image."),
    ("overlap", ""), ("overlap", " The box labelled nodule reaches over the mediastinum."),
    ("overlap", " The nodule box overlies the left lung."), ("overlap", " The box labelled pleural effusion lies over "
                                                                        "the right lung."),
    ("overlap", " The pleural effusion box covers part of the right hemidiaphragm."),
    # nothing is known under the mass box (no organ under it was outlined): it is not judged
    ("overlap", " The box labelled mass overlies the heart."),
    ("adjacency", ""), ("adjacency", " The liver lesion abuts the right kidney."),
    ("adjacency", " It lies within the liver and is adjacent to the right kidney."),
    ("adjacency", " The liver lesion does not abut the aorta."), ("adjacency", " There is no contact with the spleen."),
    ("adjacency", " The liver lesion touches the liver capsule of the right lobe."),
    ("adjacency", " The right kidney borders the liver lesion."),
    ("adjacency", " The aorta borders the spleen."),  # neither described: nothing measured says otherwise
])
def test_placements_as_outlined_pass(family, good):
    facts, text = PLACEMENTS[family]
    assert verify_text(facts, text + good).issues == []


@pytest.mark.parametrize(("family", "planted"), [
    ("enclosure", " The retinal vessels surround the optic disc."),
    ("enclosure", " The optic cup surrounds the optic disc."),
    ("enclosure", " The optic disc lies within the retinal vessels."),
    ("enclosure", " The optic cup is enclosed by the retinal vessels."),
    ("enclosure", " The optic disc completely encircles the retinal vessels and the macula."),
    ("enclosure", " The macula encases the optic cup."), ("enclosure", " The optic disc sits inside the macula."),
    ("overlap", " The box labelled nodule overlies the heart."),
    ("overlap", " The nodule box lies over the right lung."),
    ("overlap", " The box labelled pleural effusion extends over the left lung and heart."),
    ("overlap", " The pleural effusion box overlaps the mediastinum."),
    ("overlap", " The box labelled nodule is drawn over the heart."),
    ("overlap", " The box labelled pleural effusion covers the heart and the box labelled nodule sits in the left "
                "lung."),
    ("adjacency", " The liver lesion abuts the aorta."), ("adjacency", " The liver lesion is adjacent to the spleen."),
    ("adjacency", " The aorta borders the liver lesion."), ("adjacency", " It lies next to the spleen."),
    ("adjacency", " The liver lesion sits in the liver and borders the right kidney and aorta."),
])
def test_a_placement_the_outlines_do_not_show_is_caught(family, planted):
    facts, text = PLACEMENTS[family]
    codes = [issue.code for issue in verify_text(facts, text + planted, "reject").issues]
    assert codes == [f"{family}_unsupported"], (planted, codes)


def test_a_lesion_encasing_a_structure_is_caught_and_lying_in_its_organ_is_not():
    """A described lesion surrounds nothing measured: encasement of a vessel is the claim a model adds."""
    abdomen = SampleFacts(modality=ABDOMEN.modality, body_part=ABDOMEN.body_part,
                          rois=(RegionFacts(**{**vars(ABDOMEN.rois[0]), "neighbours": ("right adrenal gland",)}),),
                          context_labels=ABDOMEN.context_labels, image_area_px=ABDOMEN.image_area_px)
    assert verify_text(abdomen, GOOD_ABDOMEN).issues == []
    codes = [i.code for i in verify_text(abdomen, GOOD_ABDOMEN + " The liver lesion encases the right adrenal gland.",
                                         "reject").issues]
    assert codes == ["enclosure_unsupported"], codes


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mistake", ["false_enclosure", "false_overlap", "false_adjacency"])
def test_a_model_placing_one_structure_in_or_over_another_is_caught(mistake, seed):
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, MODEL_MISTAKES

    facts, text = PLACEMENTS[mistake.removeprefix("false_")]
    planted = MODEL_MISTAKES[mistake](text, facts, seed)
    assert planted is not None and planted != text
    codes = {issue.code for issue in verify_text(facts, planted, "reject").issues}
    assert codes & MODEL_MISTAKE_CODES[mistake], (planted, codes)


@pytest.mark.parametrize("seed", range(6))
def test_a_lesion_encasing_its_neighbour_is_planted_and_caught_and_no_box_gets_an_overlap(seed):
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, enclosure_not_outlined, overlap_not_drawn

    lesion = SampleFacts(modality="ct", body_part="abdomen", context_labels=ABDOMEN.context_labels,
                         rois=(RegionFacts(**{**vars(ABDOMEN.rois[0]), "neighbours": ("left kidney",)}),),
                         image_area_px=ABDOMEN.image_area_px)
    planted = enclosure_not_outlined(GOOD_ABDOMEN, lesion, seed)
    codes = {issue.code for issue in verify_text(lesion, planted, "reject").issues}
    assert codes & MODEL_MISTAKE_CODES["false_enclosure"], (planted, codes)
    assert overlap_not_drawn(GOOD_ABDOMEN, ABDOMEN, seed) is None  # no box: nothing to plant


def test_a_label_that_names_the_diagnosis_allows_it():
    facts = SampleFacts(modality="xray", body_part="chest", image_labels=("cardiomegaly", "pleural effusion"))
    text = "Posteroanterior (PA) chest radiograph. Dataset labels: cardiomegaly and pleural effusion."
    assert verify_text(facts, text).issues == []
    assert verify_text(facts, text + " There is also pneumonia.").issues[0].code == "diagnosis_unsupported"


def test_names_with_digits_are_not_unitless_numbers():
    facts = SampleFacts(modality="ct", body_part="abdomen", context_labels=("L2 vertebra", "left 10th rib"))
    text = "Axial T1-weighted view is not claimed here; the L2 vertebra and left 10th rib are labelled."
    assert "number_without_unit" not in {i.code for i in verify_text(facts, text).issues}


def test_nothing_grounded_is_no_content():
    assert [i.code for i in verify_text(SampleFacts("ct"), "This is an axial CT image.").issues] == ["no_content"]


def test_every_check_has_the_one_signature_and_known_codes():
    import inspect

    for name, check in CHECKS.items():
        assert list(inspect.signature(check).parameters) == ["facts", "sentences", "options"], name
    text = GOOD_ABDOMEN + " The spleen is normal. It likely represents a metastasis. It measures 3 x 2."
    codes = {issue.code for issue in verify_text(ABDOMEN, text).issues}
    assert codes <= set(ISSUE_CODES) and {"organ_unsupported", "diagnosis_unsupported", "number_without_unit"} <= codes


def test_an_expert_body_outline_alone_is_no_content():
    body = RegionFacts(0, "body", "structure", largest_diameter_mm=82.6, area_mm2=1668.0)
    facts = SampleFacts(modality="mri", body_part="brain", rois=(body,), context_labels=("body",))
    assert [i.code for i in verify_text(facts, "Axial MRI of the brain. The body is labelled.").issues] == \
        ["no_content"]
    organ = SampleFacts(modality="mri", body_part="brain", rois=(RegionFacts(0, "brain", "organ"),),
                        context_labels=("brain",))
    assert verify_text(organ, "Axial MRI of the brain. The brain is labelled.").issues == []


def test_planted_unlabelled_organ_is_never_one_the_sample_labels():
    """The planted organ must really be unlabelled: 'pancreas' (singular form 'pancrea' in the check's
    comparison) was planted as unlabelled in rows that label the pancreas, and counted as missed."""
    from medtrinity.quality.model_mistakes import unlabelled_organ

    labelled = replace(ABDOMEN, context_labels=(*ABDOMEN.context_labels, "spleen", "pancreas"))
    for seed in range(4):
        planted = unlabelled_organ(GOOD_ABDOMEN, labelled, seed)
        assert planted is not None and "pancreas" not in planted and "gallbladder" in planted
        assert "organ_unsupported" in {issue.code for issue in verify_text(labelled, planted).issues}
    assert "pancreas" in unlabelled_organ(GOOD_ABDOMEN, replace(labelled, context_labels=("liver", "spleen")), 0)



CHEST_ORGANS = SampleFacts(
    modality="xray", body_part="chest",
    rois=(RegionFacts(0, "right lung", "organ", patient_side="right", neighbours=("heart",)),
          RegionFacts(1, "heart", "organ", patient_side="left", neighbours=("right lung",))),
    context_labels=("right lung", "heart"), image_area_px=512 * 512,
)


@pytest.mark.parametrize("planted", [
    " The right lung is heterogeneous.", " The heart appears homogeneous.",
    " The right lung shows a mottled, inhomogeneous pattern.",
])
def test_a_texture_given_to_an_organ_on_a_radiograph_is_caught(planted):
    """No texture is measured on a radiograph (ribs, vessels and soft tissue overlap every organ): a model that
    writes one states what nothing measured; the same words of a CT organ measured so pass."""
    text = "Posteroanterior chest radiograph. The right lung borders the heart."
    assert verify_text(CHEST_ORGANS, text).issues == []
    codes = [issue.code for issue in verify_text(CHEST_ORGANS, text + planted, "reject").issues]
    assert codes == ["texture_mismatch"], (planted, codes)
    ct = replace(CHEST_ORGANS, modality="ct",
                 rois=tuple(replace(roi, texture="homogeneous" if roi.label == "heart" else "")
                            for roi in CHEST_ORGANS.rois))
    ct_text = "Axial CT of the chest. The right lung borders the heart." + planted
    ct_codes = [issue.code for issue in verify_text(ct, ct_text).issues]
    # on CT the heart is measured homogeneous; the lung, air and vessels in health, is given no texture
    assert ct_codes == ([] if "heart" in planted else ["texture_mismatch"]), (planted, ct_codes)


@pytest.mark.parametrize(("label", "planted"), [
    ("right lower lobe", "The right lower lobe is heterogeneous in attenuation."),
    ("left lung", "The left lung appears homogeneous."),
    ("colon", "The colon shows a mottled pattern."),
    ("T12 vertebra", "The T12 vertebra is heterogeneous."),
    ("stomach", "The stomach is homogeneous in attenuation."),
])
def test_a_texture_given_to_lung_bone_or_bowel_on_ct_is_caught(label, planted):
    """Normal lung, bone and bowel are uneven in health and are given no texture word (a model's "the lung is
    heterogeneous" reads as a finding); a solid organ's measured texture said the same way passes, and so does a
    lesion's in the lung."""
    organs = (RegionFacts(0, label, "organ", patient_side="right"),
              RegionFacts(1, "liver", "organ", patient_side="right", texture="homogeneous"))
    facts = SampleFacts(modality="ct", body_part="abdomen", rois=organs, context_labels=(label, "liver"),
                        image_area_px=512 * 512)
    text = f"Axial CT. The {label} and liver are labelled. The liver is homogeneous in attenuation."
    assert verify_text(facts, text).issues == []
    codes = [issue.code for issue in verify_text(facts, f"{text} {planted}").issues]
    assert codes == ["texture_mismatch"], codes
    nodule = replace(facts, rois=(RegionFacts(0, "lung nodule", "lesion", texture="heterogeneous"),),
                     context_labels=("right lower lobe",))
    assert verify_text(nodule, "Axial CT. A heterogeneous lung nodule is marked.").issues == []


CT_LUNG_BASES = SampleFacts(
    modality="ct", body_part="abdomen",
    rois=(RegionFacts(0, "liver", "organ", patient_side="right", texture="homogeneous",
                      neighbours=("right lower lobe",)),
          RegionFacts(1, "right lower lobe", "organ", patient_side="right", neighbours=("liver",)),
          RegionFacts(2, "T12 vertebra", "organ", patient_side="", neighbours=())),
    context_labels=("liver", "right lower lobe", "T12 vertebra"), image_area_px=512 * 512,
)
GOOD_LUNG_BASES = ("Axial CT. The liver, right lower lobe and T12 vertebra are labelled. The liver is homogeneous in "
                   "attenuation and abuts the right lower lobe.")


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("facts", "text"), [(CT_LUNG_BASES, GOOD_LUNG_BASES),
                                             (CHEST_ORGANS, "Posteroanterior chest radiograph. The right lung "
                                                            "borders the heart.")])
def test_a_texture_given_where_none_is_judged_is_planted_and_caught(facts, text, seed):
    """Lung and bone on CT, any organ on a radiograph: the planted texture names one of them, never the liver
    whose texture was measured, and the verifier flags it."""
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, texture_not_judged

    assert verify_text(facts, text).issues == []
    planted = texture_not_judged(text, facts, seed)
    assert planted is not None and "liver is heterogeneous" not in planted and "liver appears" not in planted
    codes = {issue.code for issue in verify_text(facts, planted, "reject").issues}
    assert codes == MODEL_MISTAKE_CODES["organ_texture"], (planted, codes)
    assert texture_not_judged(GOOD_ABDOMEN, ABDOMEN, seed) is None  # a lesion's measured texture: nothing to plant


@pytest.mark.parametrize("seed", range(8))
def test_a_cardiothoracic_ratio_misread_by_eye_is_caught(seed):
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, cardiothoracic_ratio_misread

    chest = replace(CHEST_ORGANS, rois=(CHEST_ORGANS.rois[0],
                                        replace(CHEST_ORGANS.rois[1], measurements=(("cardiothoracic_ratio", 0.47),))))
    stated = ("Posteroanterior chest radiograph. The right lung borders the heart. The cardiothoracic ratio is "
              "about 47%.")
    for text in (stated, stated.removesuffix(" The cardiothoracic ratio is about 47%.")):
        assert verify_text(chest, text).issues == []
        planted = cardiothoracic_ratio_misread(text, chest, seed)
        assert planted is not None and planted.count("cardiothoracic ratio") == 1 and "47%" not in planted
        codes = {issue.code for issue in verify_text(chest, planted, "reject").issues}
        assert codes == MODEL_MISTAKE_CODES["ctr_misread"], (planted, codes)
    assert cardiothoracic_ratio_misread(stated, CHEST_ORGANS, seed) is None  # nothing measured: nothing to misread


@pytest.mark.parametrize("seed", range(4))
def test_an_unlabelled_structure_of_the_breast_is_caught(seed):
    """A model describing a breast MRI names the pectoralis muscle or the chest wall no label outlines."""
    from medtrinity.quality.model_mistakes import unlabelled_organ

    breast = SampleFacts(modality="mri", body_part="breast", image_area_px=45 * 120,
                         rois=(RegionFacts(0, "breast lesion", "lesion", largest_diameter_mm=8.2,
                                           perpendicular_diameter_mm=6.4),))
    text = "Axial MRI slice of the breast. An oval breast lesion is present, measuring 8.2 x 6.4 mm."
    assert verify_text(breast, text).issues == []
    planted = unlabelled_organ(text, breast, seed)
    assert "organ_unsupported" in {issue.code for issue in verify_text(breast, planted).issues}, planted
    codes = [issue.code for issue in verify_text(breast, text + " The breast lesion abuts the chest wall.").issues]
    assert codes == ["organ_unsupported"], codes


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("mistake", "facts", "text"), [
    ("normality", ABDOMEN, GOOD_ABDOMEN),
    ("enhancement", ABDOMEN, GOOD_ABDOMEN),
    ("heart_size", None, "Posteroanterior chest radiograph. The right lung borders the heart."),
])
def test_a_reading_nothing_measured_is_planted_and_caught(mistake, facts, text, seed):
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, MODEL_MISTAKES

    for ratio in (0.42, 0.58):  # a normal and an enlarged heart: each called the other
        chest = replace(CHEST_ORGANS, rois=(CHEST_ORGANS.rois[0], replace(
            CHEST_ORGANS.rois[1], measurements=(("cardiothoracic_ratio", ratio),))))
        sample = facts or chest
        assert verify_text(sample, text).issues == []
        planted = MODEL_MISTAKES[mistake](text, sample, seed)
        assert planted is not None and planted != text
        codes = {issue.code for issue in verify_text(sample, planted, "reject").issues}
        assert codes & MODEL_MISTAKE_CODES[mistake], (planted, codes)
    # an AP film's ratio judges no size; a label naming enhancement allows it
    assert MODEL_MISTAKES["heart_size"](text, replace(chest, view_position="ap"), seed) is None
    assert MODEL_MISTAKES["enhancement"](GOOD_BRAIN, BRAIN, seed) is None


@pytest.mark.parametrize(("visible", "said", "caught"), [
    (1.0, "The costophrenic angles are sharp.", False), (1.0, "The right costophrenic angle is blunted.", True),
    (0.0, "The costophrenic angles are sharp.", True), (0.0, "The right costophrenic angle is blunted.", False),
])
def test_costophrenic_angles_are_judged_against_what_was_measured(visible, said, caught):
    lungs = replace(CHEST_ORGANS, rois=(replace(CHEST_ORGANS.rois[0],
                                                measurements=(("costophrenic_angle_visible", visible),)),
                                        CHEST_ORGANS.rois[1]))
    codes = [issue.code for issue in verify_text(lungs, f"Posteroanterior chest radiograph. {said}").issues]
    assert codes == (["assessment_unsupported"] if caught else []), codes


@pytest.mark.parametrize("seed", range(4))
def test_a_tissue_the_mean_hu_is_not_is_planted_and_caught(seed):
    """'Of fluid attenuation' of a 45 HU lesion (solid), 'calcified' or 'fat' of an 8 HU one (fluid): a model
    names the tissue a lesion's darkness suggests; a cyst called fluid passes, and MRI signal is not judged."""
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, composition_claimed

    cyst = replace(ABDOMEN, rois=(replace(ABDOMEN.rois[0], mean_intensity=8.0),))
    for facts, text in ((ABDOMEN, GOOD_ABDOMEN), (cyst, GOOD_ABDOMEN.replace("(mean 45 HU)", "(mean 8 HU)"))):
        assert verify_text(facts, text).issues == []
        planted = composition_claimed(text, facts, seed)
        codes = {issue.code for issue in verify_text(facts, planted, "reject").issues}
        assert codes == MODEL_MISTAKE_CODES["composition"], (planted, codes)
    fluid = GOOD_ABDOMEN.replace("(mean 45 HU)", "(mean 8 HU)") + " The liver lesion is of fluid attenuation."
    assert verify_text(cyst, fluid).issues == []
    assert composition_claimed(GOOD_BRAIN, BRAIN, seed) is None  # no HU: nothing to contradict


@pytest.mark.parametrize("seed", range(4))
def test_a_guessed_segment_or_mass_effect_is_caught(seed):
    """Segment VII, the caudate lobe, "compresses the left kidney": finer than the lobe that was measured, or an
    effect on a neighbour nothing measured. The measured lobe and a measured contact pass."""
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, detail_guessed

    planted = detail_guessed(GOOD_ABDOMEN, ABDOMEN, seed)
    codes = {issue.code for issue in verify_text(ABDOMEN, planted, "reject").issues}
    assert codes and codes <= MODEL_MISTAKE_CODES["guessed_detail"], (planted, codes)
    beside = replace(ABDOMEN, rois=(replace(ABDOMEN.rois[0], neighbours=("left kidney",)),))
    assert verify_text(beside, GOOD_ABDOMEN + " The liver lesion abuts the left kidney.").issues == []
    codes = [issue.code for issue in verify_text(beside, GOOD_ABDOMEN + " The liver lesion abuts and compresses "
                                                                       "the left kidney.").issues]
    assert codes == ["assessment_unsupported"], codes


_NODULES = SampleFacts(modality="xray", body_part="chest", rois=tuple(
    RegionFacts(i, "nodule", "lesion", largest_diameter_mm=size, patient_side=side, region=region, count_same_label=2)
    for i, (size, side, region) in enumerate(((12.0, "right", "upper left"), (30.0, "left", "lower right")))))
_SLICE_ORGANS = SampleFacts(modality="ct", body_part="abdomen", rois=(
    RegionFacts(0, "colon", "organ", area_mm2=5555.0, area_px=9000),
    RegionFacts(1, "liver", "organ", area_mm2=4826.0, area_px=8000),
    RegionFacts(2, "spleen", "organ", area_mm2=1826.0, area_px=3000),
))
_BRAIN_LESION = SampleFacts(modality="mri", body_part="brain", rois=(
    RegionFacts(0, "enhancing lesion", "lesion", patient_side="left"),))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("mistake", "facts", "text"), [
    # 'the larger nodule measures 12 mm' (the 12 mm one is the smaller), 'the smaller nodule lies on the left'
    ("rank", _NODULES, "Frontal chest radiograph. Two nodules: one of 12 mm on the patient's right and one of 30 mm "
                       "on the patient's left."),
    # 'the liver is the largest organ in view' where the colon's section is larger on this slice
    ("superlative", _SLICE_ORGANS, "Axial CT of the abdomen. The colon, liver and spleen are labelled."),
    # 'a small nodule is seen in the liver', 'an endotracheal tube is in place'
    ("invented_finding", _SLICE_ORGANS, "Axial CT of the abdomen. The colon, liver and spleen are labelled."),
    # 'the enhancing lesion is intra-axial', 'shows a fluid-fluid level'
    ("feature", _BRAIN_LESION, "Axial MRI of the brain. An enhancing lesion lies on the patient's left."),
    ("patient", _SLICE_ORGANS, "Axial CT of the abdomen. The colon, liver and spleen are labelled."),
    ("technique", _SLICE_ORGANS, "Axial CT of the abdomen. The colon, liver and spleen are labelled."),
])
def test_session_15_mistakes_are_planted_on_correct_text_and_caught(mistake, facts, text, seed):
    from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, MODEL_MISTAKES

    assert verify_text(facts, text).issues == []
    planted = MODEL_MISTAKES[mistake](text, facts, seed)
    assert planted is not None and planted != text
    codes = {issue.code for issue in verify_text(facts, planted).issues}
    assert codes & MODEL_MISTAKE_CODES[mistake], (planted, codes)


def test_no_finding_is_invented_beside_a_lesion_region():
    """Beside a lesion region a finding noun names it: nothing is planted there."""
    from medtrinity.quality.model_mistakes import MODEL_MISTAKES

    with_lesion = replace(_SLICE_ORGANS, rois=(*_SLICE_ORGANS.rois, RegionFacts(3, "liver lesion", "lesion")))
    assert all(MODEL_MISTAKES["invented_finding"]("Axial CT.", with_lesion, seed) is None for seed in range(8))
