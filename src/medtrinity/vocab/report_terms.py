"""Segmentation and classification label names -> the terms a radiology report uses.

Model and dataset label ids ("autochthon_left", "vertebrae_L2", "rib_left_10", "hip_left",
"Pleural_Thickening") are not report language. :func:`report_term` maps every TotalSegmentator
class (v1, v2 ``total`` and ``total_mr``), the AMOS, BTCV, MSD, BraTS, KiTS and LiTS labels and
the CheXpert / NIH ChestX-ray14 findings to the term a radiologist writes ("left erector spinae",
"L2 vertebra", "left 10th rib", "left hip bone", "pleural thickening"). Some ids mean different
things in different datasets ("cancer" is a liver tumor in MSD Task03 and a lung tumor in Task06,
"edema" is pulmonary on a chest film and peritumoral in BraTS): pass ``dataset`` for those.
A name no table knows gives ``None``: the caller keeps its own readable form.

This module is a leaf (standard library only), so readers, the composer and the verifier can all
import it.
"""

from __future__ import annotations

import re

# ------------------------------------------------------------------------------------ sided anatomy
# base id -> report noun; "<base>_left" / "<base>_right" (and "_l"/"_r") become "left <noun>" ...
SIDED_TERMS: dict[str, str] = {
    "kidney": "kidney",
    "adrenal_gland": "adrenal gland",
    "kidney_cyst": "renal cyst",
    "subclavian_artery": "subclavian artery",
    "common_carotid_artery": "common carotid artery",
    "brachiocephalic_vein": "brachiocephalic vein",
    "iliac_artery": "iliac artery",
    "iliac_vena": "iliac vein",
    "humerus": "humerus",
    "scapula": "scapula",
    "clavicula": "clavicle",
    "femur": "femur",
    "hip": "hip bone",
    "gluteus_maximus": "gluteus maximus muscle",
    "gluteus_medius": "gluteus medius muscle",
    "gluteus_minimus": "gluteus minimus muscle",
    "autochthon": "erector spinae",
    "iliopsoas": "iliopsoas muscle",
    "lung": "lung",
    "atrial_appendage": "atrial appendage",
    "heart_atrium": "atrium",
    "heart_ventricle": "ventricle",
    "lung_upper_lobe": "upper lobe",
    "lung_middle_lobe": "middle lobe",
    "lung_lower_lobe": "lower lobe",
    "adrenal": "adrenal gland",
    "parotid_gland": "parotid gland",
    "submandibular_gland": "submandibular gland",
    "optic_nerve": "optic nerve",
    "eye": "eye",
}

# ------------------------------------------------------------------------------------ unsided names
# normalised id (lower case, words joined by "_") -> report term
TERMS: dict[str, str] = {
    # TotalSegmentator (v1, v2 total, total_mr)
    "spleen": "spleen",
    "gallbladder": "gallbladder",
    "gall_bladder": "gallbladder",
    "liver": "liver",
    "stomach": "stomach",
    "pancreas": "pancreas",
    "esophagus": "esophagus",
    "oesophagus": "esophagus",
    "trachea": "trachea",
    "thyroid_gland": "thyroid gland",
    "thyroid": "thyroid gland",
    "small_bowel": "small bowel",
    "duodenum": "duodenum",
    "colon": "colon",
    "urinary_bladder": "urinary bladder",
    "bladder": "urinary bladder",
    "prostate": "prostate",
    "sacrum": "sacrum",
    "heart": "heart",
    "aorta": "aorta",
    "pulmonary_vein": "pulmonary veins",
    "pulmonary_artery": "pulmonary artery",
    "brachiocephalic_trunk": "brachiocephalic trunk",
    "superior_vena_cava": "superior vena cava",
    "inferior_vena_cava": "inferior vena cava",
    "portal_vein_and_splenic_vein": "portal and splenic veins",
    "spinal_cord": "spinal cord",
    "brain": "brain",
    "skull": "skull",
    "sternum": "sternum",
    "costal_cartilages": "costal cartilages",
    "face": "face",
    "heart_myocardium": "myocardium",
    "vertebrae": "vertebrae",
    "intervertebral_discs": "intervertebral discs",
    # AMOS, BTCV and common spellings
    "arota": "aorta",  # AMOS dataset.json spells it so
    "postcava": "inferior vena cava",
    "ivc": "inferior vena cava",
    "svc": "superior vena cava",
    "prostate/uterus": "prostate or uterus",
    "prostate_uterus": "prostate or uterus",
    "portal_vein_and_splenic_veins": "portal and splenic veins",
    "portal_and_splenic_vein": "portal and splenic veins",
    # MSD
    "left_atrium": "left atrium",
    "non_enhancing_tumor": "non-enhancing tumor",
    "non_enhancing_tumour": "non-enhancing tumour",
    "enhancing_tumor": "enhancing tumor",
    "enhancing_tumour": "enhancing tumour",
    "colon_cancer_primaries": "colon tumor",
    "hepatic_vessel": "hepatic vessels",
    "pz": "peripheral zone of the prostate",
    "tz": "transition zone of the prostate",
    # BraTS
    "ncr": "necrotic tumor core",
    "ncr/net": "necrotic and non-enhancing tumor core",
    "ncr_net": "necrotic and non-enhancing tumor core",
    "net": "non-enhancing tumor core",
    "netc": "non-enhancing tumor core",
    "ed": "peritumoral edema",
    "snfh": "peritumoral FLAIR hyperintensity",
    "et": "enhancing tumor",
    "tc": "tumor core",
    "wt": "whole tumor",
    "rc": "resection cavity",
    "necrotic_tumor_core": "necrotic tumor core",
    "peritumoral_edema": "peritumoral edema",
    # KiTS / LiTS
    "liver_tumor": "liver tumor",
    "liver_lesion": "liver lesion",
    "kidney_tumor": "renal tumor",
    "kidney_tumour": "renal tumor",
    "kidney_cyst": "renal cyst",
    "lung_tumor": "lung tumor",
    "pancreas_tumor": "pancreatic tumor",
    "pancreas_tumour": "pancreatic tumor",
    # CheXpert and NIH ChestX-ray14
    "no_finding": "no finding",
    "enlarged_cardiomediastinum": "enlarged cardiomediastinum",
    "cardiomegaly": "cardiomegaly",
    "lung_opacity": "lung opacity",
    "lung_lesion": "lung lesion",
    "consolidation": "consolidation",
    "pneumonia": "pneumonia",
    "atelectasis": "atelectasis",
    "pneumothorax": "pneumothorax",
    "pleural_effusion": "pleural effusion",
    "pleural_other": "other pleural abnormality",
    "fracture": "fracture",
    "support_devices": "support devices",
    "infiltration": "pulmonary infiltrate",
    "mass": "mass",
    "nodule": "nodule",
    "emphysema": "emphysema",
    "fibrosis": "pulmonary fibrosis",
    "pleural_thickening": "pleural thickening",
    "hernia": "hernia",
    # other common abbreviations
    "gtv": "gross tumor volume",
    "ctv": "clinical target volume",
    "cbd": "common bile duct",
    "ggo": "ground-glass opacity",
    "hcc": "hepatocellular carcinoma",
    "lv": "left ventricle",
    "rv": "right ventricle",
    "la": "left atrium",
    "ra": "right atrium",
    "myo": "myocardium",
}

# dataset -> {normalised id -> term} where a name means something particular in that dataset
DATASET_TERMS: dict[str, dict[str, str]] = {
    "msd_task01": {"edema": "peritumoral edema"},
    "msd_task03": {"cancer": "liver tumor", "tumor": "liver tumor", "tumour": "liver tumor"},
    "msd_task04": {"anterior": "hippocampal head", "posterior": "hippocampal body and tail"},
    "msd_task06": {"cancer": "lung tumor", "tumor": "lung tumor"},
    "msd_task07": {"cancer": "pancreatic tumor", "tumor": "pancreatic tumor"},
    "msd_task08": {"vessel": "hepatic vessels", "tumour": "liver tumor", "tumor": "liver tumor"},
    "msd_task10": {"cancer": "colon tumor"},
    "brats": {"edema": "peritumoral edema", "necrosis": "necrotic tumor core"},
    "kits": {"tumor": "renal tumor", "cyst": "renal cyst", "mass": "renal mass"},
    "lits": {"tumor": "liver tumor", "lesion": "liver lesion"},
    "btcv": {"rk": "right kidney", "lk": "left kidney", "rkid": "right kidney", "lkid": "left kidney",
             "gall": "gallbladder", "eso": "esophagus", "sto": "stomach", "veins": "portal and splenic veins",
             "rag": "right adrenal gland", "lag": "left adrenal gland", "rad": "right adrenal gland",
             "lad": "left adrenal gland"},
    "chexpert": {"edema": "pulmonary edema"},
    "nih_cxr14": {"edema": "pulmonary edema", "effusion": "pleural effusion"},
}

# The label names each public set ships (value -> name as in its dataset.json / label table), for tests,
# ``inspect`` and users who write a config by hand.
DATASET_LABELS: dict[str, dict[int, str]] = {
    "amos": {1: "spleen", 2: "right kidney", 3: "left kidney", 4: "gall bladder", 5: "esophagus", 6: "liver",
             7: "stomach", 8: "arota", 9: "postcava", 10: "pancreas", 11: "right adrenal gland",
             12: "left adrenal gland", 13: "duodenum", 14: "bladder", 15: "prostate/uterus"},
    "btcv": {1: "spleen", 2: "rkid", 3: "lkid", 4: "gall", 5: "eso", 6: "liver", 7: "sto", 8: "aorta", 9: "IVC",
             10: "veins", 11: "pancreas", 12: "rad", 13: "lad"},
    "msd_task01": {1: "edema", 2: "non-enhancing tumor", 3: "enhancing tumour"},
    "msd_task02": {1: "left atrium"},
    "msd_task03": {1: "liver", 2: "cancer"},
    "msd_task04": {1: "Anterior", 2: "Posterior"},
    "msd_task05": {1: "PZ", 2: "TZ"},
    "msd_task06": {1: "cancer"},
    "msd_task07": {1: "pancreas", 2: "cancer"},
    "msd_task08": {1: "Vessel", 2: "Tumour"},
    "msd_task09": {1: "spleen"},
    "msd_task10": {1: "colon cancer primaries"},
    "brats": {1: "NCR/NET", 2: "ED", 4: "ET"},
    "brats2023": {1: "NETC", 2: "SNFH", 3: "ET"},
    "kits": {1: "kidney", 2: "tumor", 3: "cyst"},
    "lits": {1: "liver", 2: "tumor"},
}

CHEXPERT_FINDINGS: tuple[str, ...] = (
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity", "Lung Lesion", "Edema",
    "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture",
    "Support Devices",
)
NIH_CXR14_FINDINGS: tuple[str, ...] = (
    "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia", "Pneumothorax",
    "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia", "No Finding",
)

_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}
_SIDE = {"left": "left", "right": "right", "l": "left", "r": "right", "lt": "left", "rt": "right"}
_VERTEBRA = re.compile(r"^vertebrae?_([ctls])(\d{1,2})$")
_RIB = re.compile(r"^rib_(left|right|l|r)_(\d{1,2})$|^(left|right|l|r)_rib_(\d{1,2})$|^rib_(\d{1,2})_(left|right|l|r)$")


def ordinal(number: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 22 -> '22nd'."""
    suffix = "th" if 10 <= number % 100 <= 20 else _ORDINAL_SUFFIX.get(number % 10, "th")
    return f"{number}{suffix}"


def normalise(name: str) -> str:
    """'Pleural_Thickening' / 'pleural thickening' / 'Pleural-Thickening' -> 'pleural_thickening'."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", name.strip())  # camelCase -> camel Case
    return "_".join(word for word in re.split(r"[\s_\-]+", text.lower()) if word)


def _sided(key: str) -> str | None:
    words = key.split("_")
    if len(words) < 2:
        return None
    for index in (len(words) - 1, 0):
        side = _SIDE.get(words[index])
        if side is None or (len(words[index]) <= 2 and index not in (0, len(words) - 1)):
            continue
        base = "_".join(words[:index] + words[index + 1:])
        if base in SIDED_TERMS:
            return f"{side} {SIDED_TERMS[base]}"
    return None


def report_term(name: str, dataset: str | None = None) -> str | None:
    """The report term for a label id, or ``None`` when no table knows it.

    ``dataset`` (a key of :data:`DATASET_TERMS`, e.g. ``"msd_task06"``, ``"nih_cxr14"``) resolves
    names that differ between datasets; without it the general table answers.
    """
    key = normalise(name)
    if not key:
        return None
    if dataset is not None:
        specific = DATASET_TERMS.get(dataset.lower(), {})
        if key in specific:
            return specific[key]
    if key in TERMS:
        return TERMS[key]
    vertebra = _VERTEBRA.match(key)
    if vertebra:
        return f"{vertebra.group(1).upper()}{int(vertebra.group(2))} vertebra"
    rib = _RIB.match(key)
    if rib:
        side = next(group for group in (rib.group(1), rib.group(3), rib.group(6)) if group)
        number = int(next(group for group in (rib.group(2), rib.group(4), rib.group(5)) if group))
        return f"{_SIDE[side]} {ordinal(number)} rib"
    sided = _sided(key)
    if sided is not None:
        return sided
    if key in SIDED_TERMS:
        return SIDED_TERMS[key]
    return None


def all_report_terms() -> set[str]:
    """Every term the tables can produce (both sides of sided anatomy): the verifier's anatomy lexicon."""
    terms = set(TERMS.values()) | {t for table in DATASET_TERMS.values() for t in table.values()}
    for noun in SIDED_TERMS.values():
        terms.update({noun, f"left {noun}", f"right {noun}"})
    for side in ("left", "right"):
        terms.update(f"{side} {ordinal(n)} rib" for n in range(1, 13))
    terms.update(f"{letter}{n} vertebra" for letter, top in (("C", 7), ("T", 12), ("L", 5), ("S", 1))
                 for n in range(1, top + 1))
    return terms


# Words that make a term a finding rather than anatomy (for the anatomy lexicon below).
_FINDING_HINTS = ("tumor", "tumour", "cyst", "edema", "lesion", "finding", "cardiomegaly", "opacity", "consolidation",
                  "pneumonia", "atelectasis", "pneumothorax", "effusion", "fracture", "device", "infiltrate", "mass",
                  "nodule", "emphysema", "fibrosis", "thickening", "hernia", "cavity", "hyperintensity", "volume",
                  "carcinoma", "abnormality", "cardiomediastinum", "necrotic", "core")

# Anatomy a text may name that no segmentation class above spells this way.
GENERIC_ANATOMY: tuple[str, ...] = (
    "lung", "lungs", "kidneys", "bowel", "vertebra", "rib", "ribs", "spine", "ventricles", "lateral ventricles",
    "brainstem", "brain stem", "cerebellum", "corpus callosum", "thalamus", "basal ganglia", "hippocampus",
    "mediastinum", "diaphragm", "pleura", "bronchi", "hila", "hilum", "ureter", "ureters", "rectum", "uterus",
    "ovary", "ovaries", "appendix", "bile ducts", "gallbladder", "adrenal glands", "adrenals", "portal vein",
    "splenic vein", "vena cava", "iliac vessels", "psoas", "paraspinal muscles", "breast", "thyroid",
    "optic disc", "macula", "retina", "orbit", "sinuses", "mandible", "femoral head", "pelvis bone",
    "pectoralis major muscle", "pectoralis muscle", "pectoral muscle", "chest wall", "nipple", "axilla",
    # on a chest film: landmarks a model reads that the chest expert does not outline
    "aortic knob", "aortic knuckle", "aortic arch", "carina", "hemidiaphragm", "hemidiaphragms",
    "right hemidiaphragm", "left hemidiaphragm",
    # brain regions a model places a lesion in, which no brain label here outlines
    "frontal lobe", "parietal lobe", "temporal lobe", "occipital lobe", "insula", "white matter",
    "periventricular white matter", "grey matter", "gray matter", "cerebral cortex", "corona radiata",
    "centrum semiovale", "internal capsule", "falx", "falx cerebri", "tentorium",
)


def anatomy_terms() -> set[str]:
    """Every anatomical name the verifier recognises in a text (report terms of anatomy classes, both sides)."""
    terms = {term for term in all_report_terms() if not any(hint in term for hint in _FINDING_HINTS)}
    terms.update(GENERIC_ANATOMY)
    terms.discard("background")
    return terms


# Diagnoses: words that name a disease, not an appearance. None may appear in a description unless a label
# names it (checked by the verifier; knowledge about them belongs in the background field).
DIAGNOSIS_TERMS: tuple[str, ...] = (
    "metastasis", "metastases", "metastatic", "abscess", "hemangioma", "haemangioma", "carcinoma", "adenocarcinoma",
    "cholangiocarcinoma", "lymphoma", "sarcoma", "glioma", "glioblastoma", "meningioma", "astrocytoma", "adenoma",
    "cyst", "cystic lesion", "malignancy", "malignant", "benign", "cancer", "neoplasm", "neoplastic", "tumor", "tumour",
    "pneumonia", "edema", "oedema", "effusion", "pneumothorax", "atelectasis", "consolidation", "cardiomegaly",
    "emphysema", "fibrosis", "tuberculosis", "infarct", "infarction", "hemorrhage", "haemorrhage", "hematoma",
    "haematoma", "stroke", "cirrhosis", "steatosis", "fatty liver", "hydronephrosis", "appendicitis",
    "diverticulitis", "fracture", "hernia", "aneurysm", "thrombosis", "thrombus", "embolism", "infection",
    "inflammation", "inflammatory", "necrosis", "necrotic", "granuloma", "sarcoidosis", "hepatoma", "lipoma",
    "fibroid", "polyp", "calculus", "stone", "nephrolithiasis", "cholelithiasis", "demyelination",
    "multiple sclerosis", "ischemia", "ischaemia", "contusion", "degenerative", "arthritis", "osteoporosis",
    # what a model adds from the reports it learned from (each passed every check as a bare sentence)
    "ascites", "pneumoperitoneum", "hydrocephalus", "lymphadenopathy", "adenopathy", "bronchiectasis", "scoliosis",
    "kyphosis", "spondylosis", "osteophyte", "gallstone", "cholecystitis", "pancreatitis", "colitis",
    "diverticulosis", "atrophy", "atrophic", "dextrocardia", "situs inversus", "ileus", "bowel obstruction",
    "cardiomyopathy", "encephalomalacia", "gliosis", "laceration", "fat stranding", "stranding",
    "interstitial lung disease", "pulmonary hypertension", "varices", "cholestasis", "hydroureter", "fibroadenoma",
    "leiomyoma",
    # of a fundus photograph
    "papilledema", "papilloedema", "neovascularization", "neovascularisation", "nevus", "naevus", "retinal detachment",
    "laser scar", "arteriovenous nicking", "av nicking", "glaucoma", "macular degeneration", "retinopathy",
    "maculopathy", "retinitis", "chorioretinal scar",
    # of the skin
    "melanoma", "keratosis", "dermatofibroma", "lentigo", "basal cell", "squamous cell", "angioma", "naevi", "nevi",
    # of an endoscopy
    "adenomatous", "hyperplastic", "colitis", "ulcer", "ulceration", "diverticulum", "diverticula", "hemorrhoid",
)
