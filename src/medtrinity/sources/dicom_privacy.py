"""Free text typed into DICOM headers never reaches an output: only known vocabulary terms pass.

RTSTRUCT ROI names, SEG segment labels and BodyPartExamined are typed by people and may hold
names, dates or notes ("LIVER SMITH", "pt refused"). A value passes only when every word of it is
a known anatomy, finding or radiotherapy term (or a number); otherwise a neutral name replaces it.
Images whose header says text is burned into the pixels are rejected unless the config keeps them.
"""

from __future__ import annotations

import re

from medtrinity.config import PrivacyConfig
from medtrinity.records import SampleError
from medtrinity.vocab.labels import SYNONYMS, readable_label
from medtrinity.vocab.regions import BODY_REGION_TERMS
from medtrinity.vocab.report_terms import SIDED_TERMS, TERMS, all_report_terms

UNNAMED_ROI = "contoured region"

# DICOM PS3.16 body part defined terms (BodyPartExamined) -> words
BODY_PART_TERMS: dict[str, str] = {
    "ABDOMEN": "abdomen", "ABDOMENPELVIS": "abdomen and pelvis", "ANKLE": "ankle", "BRAIN": "brain",
    "BREAST": "breast", "CHEST": "chest", "CHESTABDOMEN": "chest and abdomen", "CHESTABDPELVIS": "chest, abdomen "
    "and pelvis", "CLAVICLE": "clavicle", "COCCYX": "coccyx", "CSPINE": "cervical spine", "ELBOW": "elbow",
    "EXTREMITY": "extremity", "FOOT": "foot", "HAND": "hand", "HEAD": "head", "HEADNECK": "head and neck",
    "HEART": "heart", "HIP": "hip", "JAW": "jaw", "KIDNEY": "kidney", "KNEE": "knee", "LEG": "leg", "LIVER": "liver",
    "LSPINE": "lumbar spine", "LUNG": "lung", "NECK": "neck", "PANCREAS": "pancreas", "PELVIS": "pelvis",
    "PROSTATE": "prostate", "SACRUM": "sacrum", "SHOULDER": "shoulder", "SKULL": "skull", "SPINE": "spine",
    "SPLEEN": "spleen", "THORAX": "thorax", "TSPINE": "thoracic spine", "WRIST": "wrist", "ARM": "arm",
    "EYE": "eye", "FEMUR": "femur", "FOREARM": "forearm", "HUMERUS": "humerus", "TIBIA": "tibia",
}

_EXTRA_WORDS = """
left right upper lower middle mid anterior posterior superior inferior medial lateral proximal distal central
lobe lobes segment pole apex base wall body head tail neck cortex medulla duct ducts vessel vessels artery arteries
vein veins aorta aortic vena cava portal hepatic splenic renal iliac femoral carotid jugular subclavian pulmonary
coronary common internal external trunk bulb arch ascending descending abdominal thoracic gland glands
liver spleen kidney kidneys pancreas stomach bladder gallbladder urinary prostate uterus ovary ovaries rectum colon
sigmoid bowel small large intestine duodenum jejunum ileum cecum appendix esophagus oesophagus trachea bronchus lung
lungs heart atrium ventricle ventricles myocardium pericardium brain brainstem cerebellum cerebrum spinal cord canal
spine vertebra vertebrae rib ribs sternum clavicle scapula humerus femur tibia fibula pelvis sacrum coccyx hip
skull mandible maxilla orbit eye eyes lens optic nerve nerves chiasm cochlea parotid submandibular thyroid larynx
pharynx oral cavity lip lips tongue breast breasts chest axilla skin muscle muscles fat bone bones marrow joint
adrenal lymph node nodes nodal thymus diaphragm peritoneum mesentery seminal vesicle vesicles testis penile penis
hippocampus thalamus pituitary gluteus iliopsoas autochthonous back spinal
tumor tumour tumors lesion lesions nodule nodules mass masses cyst cysts metastasis metastases carcinoma cancer
neoplasm edema oedema necrosis necrotic enhancing core whole peritumoral hemorrhage haemorrhage infarct calcification
opacity ground glass consolidation effusion fracture stone stones polyp abnormality finding
gross clinical planning internal target volume gtv ctv ptv itv boost primary surgical bed cavity resection organ
risk at of and the with without
"""


def _known_words() -> frozenset[str]:
    words = set(_EXTRA_WORDS.split())
    for terms in BODY_REGION_TERMS.values():
        for term in terms:
            words.update(term.split())
    for key, value in SYNONYMS.items():
        words.add(key)
        words.update(value.split())
    for value in BODY_PART_TERMS.values():
        words.update(value.replace(",", "").split())
    for term in all_report_terms():  # every label term the report vocabulary knows (TotalSegmentator, AMOS ...)
        words.update(_WORD.findall(term.lower()))
    for key in (*TERMS, *SIDED_TERMS):
        words.update(_WORD.findall(key.lower().replace("_", " ")))
    return frozenset(words)


_WORD = re.compile(r"[a-z]+|\d+")
KNOWN_WORDS = _known_words()


def is_known_term(text: str) -> bool:
    """Whether every word of ``text`` is a known anatomy/finding/RT word or a number (nothing else passes)."""
    words = _WORD.findall(text.lower())
    if not words or re.search(r"[^a-z0-9\s,()/+.\-]", text.lower()):
        return False
    return all(word.isdigit() or word in KNOWN_WORDS for word in words)


def vocabulary_name(raw: str, fallback: str = UNNAMED_ROI) -> str:
    """A typed name as readable words when it is known vocabulary, else ``fallback`` (never the typed text)."""
    readable = readable_label(raw)
    return readable if readable and is_known_term(readable) else fallback


def body_part_term(raw: str) -> str:
    """BodyPartExamined as a known term ('' for free text, WHOLEBODY and the like)."""
    value = str(raw or "").strip()
    if not value:
        return ""
    term = BODY_PART_TERMS.get(value.upper().replace(" ", "").replace("_", ""))
    if term:
        return term
    return vocabulary_name(value, "")


def check_burned_in(dataset, path: str, privacy: PrivacyConfig) -> None:
    """Reject an image whose pixels carry text (names, dates) unless the config keeps them for redaction."""
    burned = str(dataset.get("BurnedInAnnotation", "") or "").strip().upper()
    if burned == "YES" and not privacy.keep_burned_in_annotation:
        raise SampleError("burned_in_annotation", f"{path}: BurnedInAnnotation is YES (text such as names or dates "
                          "is part of the pixels); set privacy.keep_burned_in_annotation: true to keep such images "
                          "for OCR-based redaction")
    if burned or not privacy.reject_secondary_capture:
        return
    sop_class = str(dataset.get("SOPClassUID", "") or "")
    image_type = [str(value).upper() for value in (dataset.get("ImageType") or [])]
    if sop_class.startswith("1.2.840.10008.5.1.4.1.1.7") or "SECONDARY" in image_type or "SCREEN SAVE" in \
            " ".join(image_type):
        raise SampleError("secondary_capture", f"{path}: a secondary-capture or screenshot image without a "
                          "BurnedInAnnotation tag may show identifiers; privacy.reject_secondary_capture is on")
