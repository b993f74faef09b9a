"""Modality and body-part claims: another modality's name, or a body region far from the sample's."""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, mentions
from medtrinity.quality.checks.shortcuts import may_match, text_cache
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.modalities import MODALITY_CLAIMS
from medtrinity.vocab.regions import BODY_REGION_TERMS, regions_compatible, regions_of


@lru_cache(maxsize=64)
def _other_modalities(modality: str) -> tuple[tuple[tuple[str, ...], ...], re.Pattern]:
    """The phrases of every other modality (less the sample's own), in order, and one pattern of them all:
    the pattern finds a match exactly when one of the phrases is mentioned as a whole word."""
    own = set(MODALITY_CLAIMS.get(modality, ()))
    groups = tuple(tuple(phrase for phrase in phrases if phrase not in own)
                   for other, phrases in MODALITY_CLAIMS.items() if other != modality)
    words = sorted({phrase for group in groups for phrase in group}, key=len, reverse=True)
    return groups, re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, words)) + r")(?![a-z])")


@text_cache()
def other_modality_named(text: str, modality: str) -> str | None:
    """The first phrase (in table order) of another modality than ``modality`` that ``text`` mentions, or None."""
    groups, any_phrase = _other_modalities(modality)
    if not may_match(any_phrase, text):
        return None
    return next((phrase for group in groups for phrase in group if mentions(text, phrase)), None)


def check_modality(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """No sentence may name another modality than the sample's."""
    if facts.modality == "other":
        return []
    for sentence in claims(sentences):
        phrase = other_modality_named(sentence.text, facts.modality)
        if phrase is not None:
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
