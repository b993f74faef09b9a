"""Modality and body-part claims: another modality's name, or a body region far from the sample's."""

from __future__ import annotations

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, mentions
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.modalities import MODALITY_CLAIMS
from medtrinity.vocab.regions import BODY_REGION_TERMS, regions_compatible, regions_of


def check_modality(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """No sentence may name another modality than the sample's."""
    if facts.modality == "other":
        return []
    own = set(MODALITY_CLAIMS.get(facts.modality, ()))
    for sentence in claims(sentences):
        for modality, phrases in MODALITY_CLAIMS.items():
            if modality == facts.modality:
                continue
            for phrase in phrases:
                if phrase not in own and mentions(sentence.text, phrase):
                    return [QCIssue("modality_mismatch",
                                    f"text says {phrase!r} but the sample modality is {facts.modality!r}")]
    return []


def check_body_part(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """No sentence may place the image in a body region far from its body part and labels."""
    allowed = regions_of(" ".join([facts.body_part, *facts.labels]))
    if not allowed:
        return []
    for sentence in claims(sentences):
        for region in sorted(regions_of(sentence.text)):
            if not any(regions_compatible(region, known) for known in allowed):
                term = next(t for t in BODY_REGION_TERMS[region] if mentions(sentence.text, t))
                where = facts.body_part or ", ".join(sorted(allowed))
                return [QCIssue("body_part_mismatch", f"text mentions {term!r} ({region}); the sample shows {where}")]
    return []
