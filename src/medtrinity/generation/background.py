"""Which retrieved passages may serve a description, and as what: background beside the text, never in it.

A passage is kept only when (1) its subject is a labelled entity or an ontology ancestor of one
(a "liver tumor" label admits "liver neoplasm", never "hepatocellular carcinoma": a descendant
would be a diagnosis the label does not make), (2) it speaks of the sample's modality or of none,
and (3) no size threshold it states contradicts the measured size ("over 3 cm" for a 9 mm lesion).
Among the passages that fit, the choice varies from row to row (seeded by the sample id).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from medtrinity.records import Passage, Sample
from medtrinity.vocab.modalities import MODALITY_CLAIMS

MAX_BACKGROUND = 2

# entity -> broader entities a passage may be about (the ontology's is_a chain for the labels we ship)
ANCESTORS: dict[str, tuple[str, ...]] = {
    "liver tumor": ("liver neoplasm", "liver lesion", "neoplasm"),
    "lung tumor": ("lung neoplasm", "lung lesion", "neoplasm"),
    "renal tumor": ("kidney neoplasm", "renal mass", "neoplasm"),
    "pancreatic tumor": ("pancreatic neoplasm", "neoplasm"),
    "colon tumor": ("colon neoplasm", "neoplasm"),
    "enhancing tumor": ("brain tumor", "neoplasm"),
    "lung nodule": ("pulmonary nodule",),
    "nodule": ("pulmonary nodule",),
    "pulmonary edema": ("edema",),
    "pleural effusion": ("effusion",),
    "renal cyst": ("kidney cyst", "cyst"),
}
_SPELLING = (("tumour", "tumor"), ("oedema", "edema"), ("haemorrhage", "hemorrhage"), ("oesophag", "esophag"),
             ("haemangioma", "hemangioma"))
_THRESHOLD = re.compile(
    r"(over|above|more than|greater than|larger than|exceeding|>|under|below|less than|smaller than|<)\s*"
    r"(\d+(?:\.\d+)?)\s*(cm|mm)(?![a-z])", re.IGNORECASE)


def canonical(text: str) -> str:
    """Lower case, American spelling, parentheses removed, words separated by single spaces."""
    text = re.sub(r"\([^()]*\)", " ", text.lower())
    for british, american in _SPELLING:
        text = text.replace(british, american)
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _plural_free(text: str) -> str:
    return re.sub(r"(?<=[a-z])(?:es|s)\b", "", text)


def entity_names(sample: Sample) -> set[str]:
    """The labelled entities of a sample and their ancestors, canonical and singular."""
    labels = {roi.label for roi in sample.rois if roi.kind == "lesion"} | set(sample.image_labels)
    names = set()
    for label in labels:
        name = canonical(label)
        names.add(name)
        names.update(canonical(ancestor) for ancestor in ANCESTORS.get(name, ()))
    return {_plural_free(name) for name in names if name and name != "no finding"}


# one pattern per modality: its claim words as one alternation between the same word boundaries (a word
# matching at a position with the boundaries around it is found by the alternation there, and only then)
_CLAIM_PATTERNS: dict[str, re.Pattern] = {
    modality: re.compile(rf"(?<![a-z])(?:{'|'.join(re.escape(phrase) for phrase in phrases)})(?![a-z])")
    for modality, phrases in MODALITY_CLAIMS.items()
}


@lru_cache(maxsize=4096)
def _modalities_named(text: str) -> frozenset[str]:
    """The modalities whose claim words ``text`` names (each word between non-letters): one search per modality,
    once per distinct text.

    The same few retrieved passages (and their sentences) come back for row after row; looking their
    modality words up again was most of the composer's time on an X-ray set (~0.2 ms a row).
    """
    lowered = f" {text.lower()} "
    return frozenset(modality for modality, pattern in _CLAIM_PATTERNS.items() if pattern.search(lowered))


def _size_contradicts(text: str, sizes_mm: list[float]) -> bool:
    if not sizes_mm:
        return False
    for word, number, unit in _THRESHOLD.findall(text):
        limit_mm = float(number) * (10.0 if unit.lower() == "cm" else 1.0)
        above = word.lower() in {"over", "above", "more than", "greater than", "larger than", "exceeding", ">"}
        if above and all(size <= limit_mm for size in sizes_mm):
            return True
        if not above and all(size >= limit_mm for size in sizes_mm):
            return True
    return False


def passage_fits(passage: Passage, sample: Sample) -> bool:
    """Whether a passage is about a labelled entity (or an ancestor), of this modality, and true to the sizes."""
    subject = _plural_free(canonical(_ON_MODALITY.sub("", passage.title)))  # "Cardiomegaly on xray"
    if subject not in entity_names(sample):
        return False
    named = _modalities_named(passage.text)
    if named and sample.modality not in named:
        return False
    sizes = [roi.largest_diameter_mm for roi in sample.rois if roi.kind == "lesion" and roi.largest_diameter_mm]
    return not _size_contradicts(passage.text, sizes)


_ON_MODALITY = re.compile(r"\s+(?:on|in)\s+(?:ct|mri|mr|xray|x-ray|ultrasound|pet|histopathology|dermoscopy|"
                          r"endoscopy|fundus|microscopy)\s*$", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _sentence_for(passage: Passage, modality: str) -> str:
    """The passage's sentence on this modality when it has one, else its first substantive sentence."""
    parts = [part.strip() for part in _SENTENCES.split(passage.text.strip()) if part.strip()]
    own = [part for part in parts if modality in _modalities_named(part)]
    chosen = own or [part for part in parts if len(part.split()) >= 6] or parts
    return chosen[0] if chosen else ""


def select_background(sample: Sample, pick: Callable[[str, list], object]) -> list[dict[str, str]]:
    """Up to two fitting passages as background entries (varied across rows by ``pick``)."""
    fitting = [passage for passage in sample.passages if passage_fits(passage, sample)]
    chosen: list[Passage] = []
    while fitting and len(chosen) < MAX_BACKGROUND:
        passage = pick(f"background.{len(chosen)}", fitting)
        chosen.append(passage)
        fitting = [other for other in fitting if other.id != passage.id]
    return [
        {"passage_id": p.id, "title": p.title, "source": p.source, "license": p.license,
         "text": _sentence_for(p, sample.modality)}
        for p in chosen
    ]
