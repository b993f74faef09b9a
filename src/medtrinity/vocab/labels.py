"""Label names -> readable words, and which labels are findings (lesions) versus anatomy."""

from __future__ import annotations

import re

from medtrinity.vocab.report_terms import report_term

# expert outlines that frame the image rather than show anatomy: never listed as structures, neighbours or
# as enclosing anything
NOT_ANATOMY: frozenset[str] = frozenset({"field of view", "body", "background"})

FINDING_WORDS: tuple[str, ...] = (
    "tumor",
    "tumour",
    "lesion",
    "nodule",
    "mass",
    "cancer",
    "carcinoma",
    "metasta",
    "polyp",
    "cyst",
    "neoplasm",
    "abscess",
    "hemorrhage",
    "haemorrhage",
    "infarct",
    "edema",
    "oedema",
    "effusion",
    "fracture",
    "opacity",
    "consolidation",
    "pneumothorax",
    "calcification",
    "stone",
    "calculus",
    "aneurysm",
    "enhancing",
    "necrosis",
)


# Abbreviations and dataset ids -> the words a caption should use (after normalisation to lower-case words).
SYNONYMS: dict[str, str] = {
    "gtv": "gross tumor volume",
    "ctv": "clinical target volume",
    "ivc": "inferior vena cava",
    "svc": "superior vena cava",
    "cbd": "common bile duct",
    "lv": "left ventricle",
    "rv": "right ventricle",
    "la": "left atrium",
    "ra": "right atrium",
    "myo": "myocardium",
    "wt": "whole tumor",
    "et": "enhancing tumor",
    "tc": "tumor core",
    "ncr": "necrotic tumor core",
    "ed": "peritumoral edema",
    "autochthon": "autochthonous back muscle",
    "postcava": "inferior vena cava",
    "bg": "background",
    "ggo": "ground-glass opacity",
    "hcc": "hepatocellular carcinoma",
}
_SPINE_LEVEL = re.compile(r"^[ctls]\d{1,2}$")
_SIDE_WORDS = {"left": "left", "right": "right", "l": "left", "r": "right", "lt": "left", "rt": "right"}


def readable_label(name: str) -> str:
    """Raw label id -> words: ``kidney_left`` -> ``left kidney``, ``Liver-Tumor`` -> ``liver tumor``.

    Names the report-term vocabulary knows take its term (``autochthon_left`` -> ``left erector
    spinae``, ``rib_left_9`` -> ``left 9th rib``, ``vertebrae_L2`` -> ``L2 vertebra``). Otherwise
    underscores and dashes become spaces, a side word anywhere (``Kidney_L``) moves to the front
    (``left kidney``), and abbreviations in :data:`SYNONYMS` are spelled out.
    """
    term = report_term(name)
    if term is not None:
        return term
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", name.strip())  # camelCase -> camel Case
    words = [word for word in re.split(r"[\s_\-]+", text.lower()) if word]
    if not words:
        return ""
    joined = " ".join(words)
    if joined in SYNONYMS:
        return SYNONYMS[joined]
    side = ""
    if len(words) > 1:
        short_ok = {"l", "r", "lt", "rt"}
        for index, word in enumerate(words):
            is_side = word in ("left", "right") or (word in short_ok and index in (0, len(words) - 1))
            if is_side:
                side = _SIDE_WORDS[word]
                del words[index]
                break
    words = [SYNONYMS.get(word, word) if len(word) >= 3 else word for word in words]
    words = [word.upper() if _SPINE_LEVEL.match(word) else word for word in words]
    return " ".join([side, *words]).strip()


_SPELLINGS = (("tumour", "tumor"), ("oedema", "edema"), ("haem", "hem"), ("oesophag", "esophag"))


def _spelling_free(name: str) -> str:
    for british, american in _SPELLINGS:
        name = name.replace(british, american)
    return name


def is_finding(label: str, configured: list[str] | None) -> bool:
    """A label is a finding if the config lists it (British or American spelling), else if it sounds like a lesion.

    ``findings: [lung tumor]`` must mark a mask named "lung tumour": a spelling difference must not turn
    a tumour into an organ.
    """
    if configured is not None:
        return _spelling_free(label) in {_spelling_free(readable_label(item)) for item in configured}
    lowered = label.lower()
    return any(word in lowered for word in FINDING_WORDS)


NO_FINDING_LABELS: frozenset[str] = frozenset({"no finding", "no findings", "normal", "healthy", "none"})


def is_no_finding(label: str) -> bool:
    """True for the labels datasets use to say an image shows nothing ('No Finding', 'normal' ...)."""
    return label.strip().lower() in NO_FINDING_LABELS
