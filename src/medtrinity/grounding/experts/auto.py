"""``grounding.experts: auto``: the offline expert of each modality family, run where a sample has no mask.

Every rule here runs without weights or downloads. ``when: no_mask`` lets a sample that came with
boxes only (NIH CXR findings) still get its anatomy (the lung zone of a box needs the lungs), while
provided masks are never touched: expert regions only fill pixels no provided label covers.
"""

from __future__ import annotations

from medtrinity.config import ExpertRule

CHEST_WORDS = ["", "chest", "thorax", "lung", "lungs", "chest x-ray"]

AUTO_RULES: tuple[ExpertRule, ...] = (
    ExpertRule(name="chest_xray", modalities=["xray"], body_parts=CHEST_WORDS, when="no_mask"),
    ExpertRule(name="ct_anatomy", modalities=["ct"], when="no_mask",
               options={"include_body": True, "bone": True, "tissue_classes": True}),
    ExpertRule(name="field_of_view", modalities=["mri", "pet"], when="no_mask", options={"label": "body"}),
    ExpertRule(name="nuclei", modalities=["histopathology", "microscopy"], when="no_mask"),
    ExpertRule(name="skin_lesion", modalities=["dermoscopy"], when="no_mask"),
    ExpertRule(name="fundus", modalities=["fundus"], when="no_mask"),
    ExpertRule(name="field_of_view", modalities=["ultrasound", "endoscopy"], when="no_mask"),
)


def expert_rules(setting: str | list[ExpertRule]) -> list[ExpertRule]:
    """The rules a ``grounding.experts`` setting stands for: ``auto`` -> the table above, a list as given."""
    if setting == "auto":
        return list(AUTO_RULES)
    if isinstance(setting, str):
        raise ValueError(f"grounding.experts must be 'auto' or a list of rules, got {setting!r}")
    return list(setting)
