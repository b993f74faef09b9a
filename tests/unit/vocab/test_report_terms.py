"""Report terms, name by name: every TotalSegmentator v2 class and the public label sets' names.

The expected terms below were written out and read one by one (a table, not the function's own
output fed back): a change to a term must change this table too.
"""

import json

import pytest

from medtrinity.vocab.labels import is_no_finding, readable_label
from medtrinity.vocab.report_terms import (
    CHEXPERT_FINDINGS,
    DATASET_LABELS,
    NIH_CXR14_FINDINGS,
    all_report_terms,
    ordinal,
    report_term,
)

TOTALSEGMENTATOR_V2 = {
    "spleen": "spleen",
    "kidney_right": "right kidney",
    "kidney_left": "left kidney",
    "gallbladder": "gallbladder",
    "liver": "liver",
    "stomach": "stomach",
    "pancreas": "pancreas",
    "adrenal_gland_right": "right adrenal gland",
    "adrenal_gland_left": "left adrenal gland",
    "lung_upper_lobe_left": "left upper lobe",
    "lung_lower_lobe_left": "left lower lobe",
    "lung_upper_lobe_right": "right upper lobe",
    "lung_middle_lobe_right": "right middle lobe",
    "lung_lower_lobe_right": "right lower lobe",
    "esophagus": "esophagus",
    "trachea": "trachea",
    "thyroid_gland": "thyroid gland",
    "small_bowel": "small bowel",
    "duodenum": "duodenum",
    "colon": "colon",
    "urinary_bladder": "urinary bladder",
    "prostate": "prostate",
    "kidney_cyst_left": "left renal cyst",
    "kidney_cyst_right": "right renal cyst",
    "sacrum": "sacrum",
    "vertebrae_S1": "S1 vertebra",
    "vertebrae_L5": "L5 vertebra",
    "vertebrae_L4": "L4 vertebra",
    "vertebrae_L3": "L3 vertebra",
    "vertebrae_L2": "L2 vertebra",
    "vertebrae_L1": "L1 vertebra",
    "vertebrae_T12": "T12 vertebra",
    "vertebrae_T11": "T11 vertebra",
    "vertebrae_T10": "T10 vertebra",
    "vertebrae_T9": "T9 vertebra",
    "vertebrae_T8": "T8 vertebra",
    "vertebrae_T7": "T7 vertebra",
    "vertebrae_T6": "T6 vertebra",
    "vertebrae_T5": "T5 vertebra",
    "vertebrae_T4": "T4 vertebra",
    "vertebrae_T3": "T3 vertebra",
    "vertebrae_T2": "T2 vertebra",
    "vertebrae_T1": "T1 vertebra",
    "vertebrae_C7": "C7 vertebra",
    "vertebrae_C6": "C6 vertebra",
    "vertebrae_C5": "C5 vertebra",
    "vertebrae_C4": "C4 vertebra",
    "vertebrae_C3": "C3 vertebra",
    "vertebrae_C2": "C2 vertebra",
    "vertebrae_C1": "C1 vertebra",
    "heart": "heart",
    "aorta": "aorta",
    "pulmonary_vein": "pulmonary veins",
    "brachiocephalic_trunk": "brachiocephalic trunk",
    "subclavian_artery_right": "right subclavian artery",
    "subclavian_artery_left": "left subclavian artery",
    "common_carotid_artery_right": "right common carotid artery",
    "common_carotid_artery_left": "left common carotid artery",
    "brachiocephalic_vein_left": "left brachiocephalic vein",
    "brachiocephalic_vein_right": "right brachiocephalic vein",
    "atrial_appendage_left": "left atrial appendage",
    "superior_vena_cava": "superior vena cava",
    "inferior_vena_cava": "inferior vena cava",
    "portal_vein_and_splenic_vein": "portal and splenic veins",
    "iliac_artery_left": "left iliac artery",
    "iliac_artery_right": "right iliac artery",
    "iliac_vena_left": "left iliac vein",
    "iliac_vena_right": "right iliac vein",
    "humerus_left": "left humerus",
    "humerus_right": "right humerus",
    "scapula_left": "left scapula",
    "scapula_right": "right scapula",
    "clavicula_left": "left clavicle",
    "clavicula_right": "right clavicle",
    "femur_left": "left femur",
    "femur_right": "right femur",
    "hip_left": "left hip bone",
    "hip_right": "right hip bone",
    "spinal_cord": "spinal cord",
    "gluteus_maximus_left": "left gluteus maximus muscle",
    "gluteus_maximus_right": "right gluteus maximus muscle",
    "gluteus_medius_left": "left gluteus medius muscle",
    "gluteus_medius_right": "right gluteus medius muscle",
    "gluteus_minimus_left": "left gluteus minimus muscle",
    "gluteus_minimus_right": "right gluteus minimus muscle",
    "autochthon_left": "left erector spinae",
    "autochthon_right": "right erector spinae",
    "iliopsoas_left": "left iliopsoas muscle",
    "iliopsoas_right": "right iliopsoas muscle",
    "brain": "brain",
    "skull": "skull",
    "rib_left_1": "left 1st rib",
    "rib_left_2": "left 2nd rib",
    "rib_left_3": "left 3rd rib",
    "rib_left_4": "left 4th rib",
    "rib_left_5": "left 5th rib",
    "rib_left_6": "left 6th rib",
    "rib_left_7": "left 7th rib",
    "rib_left_8": "left 8th rib",
    "rib_left_9": "left 9th rib",
    "rib_left_10": "left 10th rib",
    "rib_left_11": "left 11th rib",
    "rib_left_12": "left 12th rib",
    "rib_right_1": "right 1st rib",
    "rib_right_2": "right 2nd rib",
    "rib_right_3": "right 3rd rib",
    "rib_right_4": "right 4th rib",
    "rib_right_5": "right 5th rib",
    "rib_right_6": "right 6th rib",
    "rib_right_7": "right 7th rib",
    "rib_right_8": "right 8th rib",
    "rib_right_9": "right 9th rib",
    "rib_right_10": "right 10th rib",
    "rib_right_11": "right 11th rib",
    "rib_right_12": "right 12th rib",
    "sternum": "sternum",
    "costal_cartilages": "costal cartilages",
}
DATASETS = {
    "amos": {
        "spleen": "spleen",
        "right kidney": "right kidney",
        "left kidney": "left kidney",
        "gall bladder": "gallbladder",
        "esophagus": "esophagus",
        "liver": "liver",
        "stomach": "stomach",
        "arota": "aorta",
        "postcava": "inferior vena cava",
        "pancreas": "pancreas",
        "right adrenal gland": "right adrenal gland",
        "left adrenal gland": "left adrenal gland",
        "duodenum": "duodenum",
        "bladder": "urinary bladder",
        "prostate/uterus": "prostate or uterus",
    },
    "btcv": {
        "spleen": "spleen",
        "rkid": "right kidney",
        "lkid": "left kidney",
        "gall": "gallbladder",
        "eso": "esophagus",
        "liver": "liver",
        "sto": "stomach",
        "aorta": "aorta",
        "IVC": "inferior vena cava",
        "veins": "portal and splenic veins",
        "pancreas": "pancreas",
        "rad": "right adrenal gland",
        "lad": "left adrenal gland",
    },
    "msd_task01": {
        "edema": "peritumoral edema",
        "non-enhancing tumor": "non-enhancing tumor",
        "enhancing tumour": "enhancing tumour",
    },
    "msd_task02": {"left atrium": "left atrium"},
    "msd_task03": {"liver": "liver", "cancer": "liver tumor"},
    "msd_task04": {"Anterior": "hippocampal head", "Posterior": "hippocampal body and tail"},
    "msd_task05": {"PZ": "peripheral zone of the prostate", "TZ": "transition zone of the prostate"},
    "msd_task06": {"cancer": "lung tumor"},
    "msd_task07": {"pancreas": "pancreas", "cancer": "pancreatic tumor"},
    "msd_task08": {"Vessel": "hepatic vessels", "Tumour": "liver tumor"},
    "msd_task09": {"spleen": "spleen"},
    "msd_task10": {"colon cancer primaries": "colon tumor"},
    "brats": {"NCR/NET": "necrotic and non-enhancing tumor core", "ED": "peritumoral edema", "ET": "enhancing tumor"},
    "brats2023": {
        "NETC": "non-enhancing tumor core",
        "SNFH": "peritumoral FLAIR hyperintensity",
        "ET": "enhancing tumor",
    },
    "kits": {"kidney": "kidney", "tumor": "renal tumor", "cyst": "renal cyst"},
    "lits": {"liver": "liver", "tumor": "liver tumor"},
    "chexpert": {
        "No Finding": "no finding",
        "Enlarged Cardiomediastinum": "enlarged cardiomediastinum",
        "Cardiomegaly": "cardiomegaly",
        "Lung Opacity": "lung opacity",
        "Lung Lesion": "lung lesion",
        "Edema": "pulmonary edema",
        "Consolidation": "consolidation",
        "Pneumonia": "pneumonia",
        "Atelectasis": "atelectasis",
        "Pneumothorax": "pneumothorax",
        "Pleural Effusion": "pleural effusion",
        "Pleural Other": "other pleural abnormality",
        "Fracture": "fracture",
        "Support Devices": "support devices",
    },
    "nih_cxr14": {
        "Atelectasis": "atelectasis",
        "Cardiomegaly": "cardiomegaly",
        "Effusion": "pleural effusion",
        "Infiltration": "pulmonary infiltrate",
        "Mass": "mass",
        "Nodule": "nodule",
        "Pneumonia": "pneumonia",
        "Pneumothorax": "pneumothorax",
        "Consolidation": "consolidation",
        "Edema": "pulmonary edema",
        "Emphysema": "emphysema",
        "Fibrosis": "pulmonary fibrosis",
        "Pleural_Thickening": "pleural thickening",
        "Hernia": "hernia",
        "No Finding": "no finding",
    },
}

V1_AND_MR = {
    "face": "face",
    "heart_myocardium": "myocardium",
    "heart_atrium_left": "left atrium",
    "heart_ventricle_left": "left ventricle",
    "heart_atrium_right": "right atrium",
    "heart_ventricle_right": "right ventricle",
    "pulmonary_artery": "pulmonary artery",
    "lung_left": "left lung",
    "lung_right": "right lung",
    "vertebrae": "vertebrae",
    "intervertebral_discs": "intervertebral discs",
}


@pytest.mark.parametrize(("raw", "term"), sorted(TOTALSEGMENTATOR_V2.items()))
def test_every_totalsegmentator_class_has_its_report_term(raw, term):
    assert report_term(raw) == term
    assert readable_label(raw) == term  # what every reader writes


@pytest.mark.parametrize(("raw", "term"), sorted(V1_AND_MR.items()))
def test_totalsegmentator_v1_and_mr_classes(raw, term):
    assert report_term(raw) == term


@pytest.mark.parametrize(
    ("dataset", "raw", "term"),
    [(ds, raw, term) for ds, table in sorted(DATASETS.items()) for raw, term in table.items()],
)
def test_public_label_sets_name_by_name(dataset, raw, term):
    assert report_term(raw, dataset) == term


def test_the_named_examples_of_the_issue():
    assert report_term("autochthon_left") == "left erector spinae"
    assert report_term("vertebrae_L2") == "L2 vertebra"
    assert report_term("rib_left_10") == "left 10th rib"
    assert report_term("hip_left") == "left hip bone"
    assert report_term("portal_vein_and_splenic_vein") == "portal and splenic veins"


def test_dataset_tables_cover_the_shipped_names():
    for dataset, labels in DATASET_LABELS.items():
        for name in labels.values():
            assert report_term(name, dataset), (dataset, name)
    assert {report_term(name, "chexpert") for name in CHEXPERT_FINDINGS} == set(DATASETS["chexpert"].values())
    assert {report_term(name, "nih_cxr14") for name in NIH_CXR14_FINDINGS} == set(DATASETS["nih_cxr14"].values())


def test_dataset_meaning_differs_and_default_is_general():
    assert report_term("cancer", "msd_task03") == "liver tumor"
    assert report_term("cancer", "msd_task06") == "lung tumor"
    assert report_term("edema", "brats") == "peritumoral edema"
    assert report_term("Edema", "chexpert") == "pulmonary edema"
    assert report_term("cancer") is None  # no dataset, no guess: the reader keeps its own words
    assert is_no_finding(report_term("No Finding"))


def test_unknown_names_fall_back_to_readable_words():
    assert report_term("enhancing lesion") is None
    assert readable_label("enhancing lesion") == "enhancing lesion"
    assert readable_label("Kidney_L") == "left kidney"


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
    ]


def test_lexicon_holds_both_sides():
    terms = all_report_terms()
    assert {"left erector spinae", "right erector spinae", "right 12th rib", "T12 vertebra", "S1 vertebra"} <= terms


def test_shipped_label_map_is_covered_completely(shared_data):
    path = shared_data / "totalsegmentator" / "label_map_total.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    names = json.loads(path.read_text())
    assert len(names) == 117
    assert {report_term(name) for name in names.values()} == set(TOTALSEGMENTATOR_V2.values())
    assert all("_" not in report_term(name) for name in names.values())


def test_configured_findings_match_across_spellings():
    from medtrinity.vocab.labels import is_finding

    assert is_finding("lung tumour", ["lung tumor"]) and is_finding("lung tumor", ["Lung_Tumour"])
    assert not is_finding("liver", ["lung tumor"])
