"""Which tissue a structure's label names: what its mean can plausibly be, and whether a texture word says
anything about it.

Normal lung is air crossed by vessels and bronchi, normal bone is cortex around marrow, and the stomach and
bowel hold air, fluid and food: each is uneven in every healthy body. "The right lower lobe is heterogeneous"
reads to a radiologist as a finding (patchy or mosaic attenuation), so no texture word is given to these
structures as organs. Solid organs, muscle and vessels are even when healthy, and there unevenness is worth
saying. A lesion is always judged on its own, whatever organ its name contains.
"""

from __future__ import annotations

import re
from functools import lru_cache

BONE = "bone"
LUNG = "lung"
HOLLOW_VISCUS = "hollow viscus"
SOLID_SOFT_TISSUE = "solid soft tissue"

# (tissue, label pattern): the first that matches names the tissue
_TISSUE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    (BONE, re.compile(r"\b(?:bones?|vertebra[e]?|ribs?|skull|femur|humerus|sacrum|scapula|clavicle|sternum"
                      r"|mandible|tibia|fibula|patella|hip bone|pelvic bone|ilium|ischium|pubis)\b")),
    (LUNG, re.compile(r"\blungs?\b|\b(?:right|left) (?:upper|middle|lower) lobe\b")),
    (HOLLOW_VISCUS, re.compile(r"\b(?:stomach|colon|(?:small |large )?bowel|duodenum|jejunum|ileum|caecum|cecum"
                               r"|rectum|esophagus|oesophagus|trachea|airways?|bronch(?:us|i))\b")),
    (SOLID_SOFT_TISSUE, re.compile(
        r"\b(?:liver|spleen|kidneys?|pancreas|heart|myocardium|adrenal glands?|thyroid(?: gland)?|prostate"
        r"|brain|spinal cord|muscles?|erector spinae|psoas|iliopsoas|gluteus \w+|autochthon|aorta|vena cava"
        r"|(?:portal|splenic) (?:and splenic )?veins?|iliac (?:artery|vein)|arter(?:y|ies))\b")),
)

# tissues uneven in health: a texture word of them as organs reads as a finding
UNEVEN_TISSUES: frozenset[str] = frozenset({BONE, LUNG, HOLLOW_VISCUS})


@lru_cache(maxsize=4096)
def tissue_of(label: str) -> str | None:
    """The tissue a structure's readable label names (``bone``, ``lung``, ``hollow viscus``, ``solid soft
    tissue``), or None where the name does not say."""
    lowered = label.lower()
    for tissue, pattern in _TISSUE_PATTERNS:
        if pattern.search(lowered):
            return tissue
    return None


def texture_is_normal_variation(label: str, kind: str) -> bool:
    """Whether a texture word of this structure would only restate its healthy make-up (air and vessels, cortex
    and marrow, bowel contents): an outlined organ of uneven tissue. Never a lesion."""
    return kind != "lesion" and tissue_of(label) in UNEVEN_TISSUES
