"""The modality sentence: plane, modality, body part and the acquisition facts the source recorded.

Facts come from ``Sample.metadata`` keys shared with the readers (tokens only, never header text):
``mr_sequence`` (list of t1, t2, flair, dwi, adc, stir, pd, swi, gre, dce), ``fat_saturated`` and
``contrast_enhanced`` (bools), ``view_position`` (pa, ap, lateral, oblique) and ``ct_phase``
(non_contrast, arterial, portal_venous, delayed). A fact that is absent is not mentioned.
"""

from __future__ import annotations

from typing import Any

SEQUENCE_WORDS: dict[str, str] = {
    "t1": "T1-weighted", "t2": "T2-weighted", "flair": "FLAIR", "dwi": "diffusion-weighted", "adc": "ADC map",
    "stir": "STIR", "pd": "proton density-weighted", "swi": "susceptibility-weighted", "gre": "gradient-echo",
    "dce": "dynamic contrast-enhanced",
}
VIEW_WORDS: dict[str, str] = {
    "pa": "posteroanterior (PA)", "ap": "anteroposterior (AP)", "lateral": "lateral", "oblique": "oblique",
}
PHASE_WORDS: dict[str, str] = {
    "non_contrast": "", "arterial": "arterial phase", "portal_venous": "portal venous phase",
    "delayed": "delayed phase",
}


def acquisition_facts(metadata: dict[str, Any]) -> dict[str, Any]:
    """The recognised acquisition tokens of a sample's metadata (unknown values dropped)."""
    facts: dict[str, Any] = {}
    sequence = metadata.get("mr_sequence")
    if isinstance(sequence, str):
        sequence = [sequence]
    if isinstance(sequence, list | tuple):
        tokens = [str(token).lower() for token in sequence if str(token).lower() in SEQUENCE_WORDS]
        if tokens:
            facts["mr_sequence"] = tokens
    for key in ("fat_saturated", "contrast_enhanced"):
        if isinstance(metadata.get(key), bool):
            facts[key] = metadata[key]
    view = str(metadata.get("view_position") or "").lower()
    if view in VIEW_WORDS:
        facts["view_position"] = view
    phase = str(metadata.get("ct_phase") or "").lower()
    if phase in PHASE_WORDS:
        facts["ct_phase"] = phase
    return facts


def acquisition_words(modality: str, facts: dict[str, Any]) -> tuple[list[str], str]:
    """(adjectives before the modality name, a phrase after it) for the facts that apply to ``modality``."""
    before: list[str] = []
    after = ""
    if modality == "mri":
        if facts.get("fat_saturated"):
            before.append("fat-suppressed")
        if facts.get("contrast_enhanced") is True and "dce" not in facts.get("mr_sequence", []):
            before.append("post-contrast")  # "dynamic contrast-enhanced" says it already
        elif facts.get("contrast_enhanced") is False and "dce" not in facts.get("mr_sequence", []):
            before.append("non-contrast")
        before.extend(SEQUENCE_WORDS[token] for token in facts.get("mr_sequence", []))
    elif modality == "ct":
        phase = facts.get("ct_phase")
        if phase == "non_contrast" or facts.get("contrast_enhanced") is False:
            before.append("non-contrast")
        elif phase or facts.get("contrast_enhanced"):
            before.append("contrast-enhanced")
        if phase and PHASE_WORDS[phase]:
            after = f"in the {PHASE_WORDS[phase]}"
    elif modality == "xray":
        view = facts.get("view_position")
        if view:
            before.append(VIEW_WORDS[view])
    return before, after
