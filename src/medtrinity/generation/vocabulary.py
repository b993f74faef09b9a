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


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
