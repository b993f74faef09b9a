"""Body regions and the words that place a text in one (captions, the verifier's body-part check)."""

from __future__ import annotations

import re
from functools import lru_cache

# Two regions contradict each other when they are not listed as neighbours here (an upper-abdominal
# slice shows lung bases, so chest and abdomen do not contradict; brain and abdomen do).
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


_REGION_PATTERNS = {
    region: re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
                       + r")(?![a-z])")
    for region, terms in BODY_REGION_TERMS.items()
}


@lru_cache(maxsize=4096)
def regions_of(text: str) -> frozenset[str]:
    """The body regions whose words occur in ``text`` (lower-cased whole words; cached, the verifier asks often)."""
    lowered = text.lower()
    return frozenset(region for region, pattern in _REGION_PATTERNS.items() if pattern.search(lowered))
