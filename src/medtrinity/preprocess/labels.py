"""Label names -> readable words, and which labels are findings (lesions) versus anatomy."""

from __future__ import annotations

import re

_SIDE_SUFFIX = re.compile(r"^(?P<base>.+?)[ _-](?P<side>left|right)$", re.IGNORECASE)
_SIDE_PREFIX = re.compile(r"^(?P<side>left|right)[ _-](?P<base>.+)$", re.IGNORECASE)

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


def readable_label(name: str) -> str:
    """Raw label id -> words: ``kidney_left`` -> ``left kidney``, ``Liver-Tumor`` -> ``liver tumor``."""
    text = name.strip()
    match = _SIDE_SUFFIX.match(text) or _SIDE_PREFIX.match(text)
    if match:
        text = f"{match.group('side')} {match.group('base')}"
    text = re.sub(r"[_\-]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text


def is_finding(label: str, configured: list[str] | None) -> bool:
    """A label is a finding if the config lists it, else if its name sounds like a lesion."""
    if configured is not None:
        return label in {readable_label(item) for item in configured}
    lowered = label.lower()
    return any(word in lowered for word in FINDING_WORDS)
