"""Words for modalities and planes, shared by captions, descriptions and the verifier."""

from __future__ import annotations

MODALITY_NAMES: dict[str, str] = {
    "ct": "CT",
    "mri": "MRI",
    "xray": "X-ray",
    "ultrasound": "ultrasound",
    "pet": "PET",
    "histopathology": "histopathology",
    "dermoscopy": "dermoscopy",
    "endoscopy": "endoscopy",
    "fundus": "fundus photography",
    "microscopy": "microscopy",
    "other": "medical",
}

# Words that, found in a text, claim a modality; the verifier checks them against the sample.
MODALITY_CLAIMS: dict[str, tuple[str, ...]] = {
    "ct": ("ct", "computed tomography"),
    "mri": ("mri", "mr", "magnetic resonance"),
    "xray": ("x-ray", "radiograph", "radiography"),
    "ultrasound": ("ultrasound", "sonograph", "sonography"),
    "pet": ("pet", "positron emission"),
    "histopathology": ("histopathology", "histolog", "h&e"),
    "dermoscopy": ("dermoscop",),
    "endoscopy": ("endoscop", "colonoscop"),
    "fundus": ("fundus",),
    "microscopy": ("microscop",),
}


def modality_name(modality: str) -> str:
    return MODALITY_NAMES.get(modality, modality)


def plane_phrase(plane: str) -> str:
    """'axial ' / 'coronal ' / '' for an unknown plane, ready to put before the modality name."""
    return f"{plane} " if plane in {"axial", "coronal", "sagittal"} else ""


def join_words(words: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"


_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")  # letters read with a leading vowel sound: "an MRI", "an X-ray"


def article(word: str) -> str:
    """'a' or 'an' by sound: vowels, and acronyms or letter names that start with one ('an MRI', 'an X-ray')."""
    if word[:1].lower() in "aeiou":
        return "an"
    letter_name = word[:1].isupper() and (word[1:2].isupper() or word[1:2] in ("-", "") or word[1:2].isdigit())
    return "an" if letter_name and word[:1] in _VOWEL_SOUND_LETTERS else "a"


# Body regions and the words that place a text in one. Two regions contradict each other when
# they are not listed as neighbours here (an upper-abdominal slice shows lung bases, so chest and
# abdomen do not contradict; brain and abdomen do).
BODY_REGION_TERMS: dict[str, tuple[str, ...]] = {
    "head": ("brain", "skull", "intracranial", "cranial", "cerebral", "cerebrum", "cerebellum", "cerebellar",
             "brainstem", "brain stem", "frontal lobe", "temporal lobe", "parietal lobe", "occipital lobe"),
    "eye": ("retina", "retinal", "optic disc", "optic disk", "macula", "macular", "eye", "ocular"),
    "neck": ("neck", "thyroid", "larynx", "laryngeal", "pharynx"),
    "chest": ("chest", "thorax", "thoracic", "lung", "lungs", "pulmonary", "heart", "cardiac", "mediastinum",
              "mediastinal", "pleura", "pleural", "trachea", "bronchus", "bronchi"),
    "breast": ("breast", "breasts", "mammary", "axilla", "axillary"),
    "abdomen": ("abdomen", "abdominal", "liver", "hepatic", "spleen", "splenic", "kidney", "kidneys", "renal",
                "pancreas", "pancreatic", "stomach", "gastric", "gallbladder", "bowel", "colon", "duodenum",
                "adrenal", "esophagus"),
    "pelvis": ("pelvis", "pelvic", "bladder", "prostate", "uterus", "uterine", "ovary", "ovarian", "rectum",
               "rectal"),
    "limb": ("knee", "shoulder", "elbow", "wrist", "ankle", "femur", "femoral", "tibia", "humerus", "forearm"),
    "skin": ("skin", "cutaneous", "dermal", "epidermis"),
}

_REGION_NEIGHBOURS: tuple[tuple[str, str], ...] = (
    ("head", "eye"), ("head", "neck"), ("neck", "chest"), ("chest", "breast"), ("chest", "abdomen"),
    ("abdomen", "pelvis"), ("pelvis", "limb"), ("chest", "limb"),
)


def regions_compatible(first: str, second: str) -> bool:
    """Whether two body regions can appear in one image (the same, neighbours, or skin anywhere)."""
    if first == second or "skin" in (first, second):
        return True
    return (first, second) in _REGION_NEIGHBOURS or (second, first) in _REGION_NEIGHBOURS


def _region_patterns():
    import re

    return {
        region: re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
                           + r")(?![a-z])")
        for region, terms in BODY_REGION_TERMS.items()
    }


_REGION_PATTERNS = _region_patterns()


def regions_of(text: str) -> set[str]:
    """The body regions whose words occur in ``text`` (lower-cased whole words)."""
    lowered = text.lower()
    return {region for region, pattern in _REGION_PATTERNS.items() if pattern.search(lowered)}


NUMBER_WORDS: dict[str, int] = {
    "one": 1, "single": 1, "solitary": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}


def number_word(count: int) -> str:
    """'two' for 2 ... 'twelve'; digits above."""
    for word, value in NUMBER_WORDS.items():
        if value == count and word not in {"single", "solitary"}:
            return word
    return str(count)
