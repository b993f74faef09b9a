"""``distance_unsupported``: how far apart two structures lie ("20 mm from the right kidney", "within 5 mm of the
aorta", "2 cm below the diaphragm", "30 mm apart").

Grounding measures each region's size, side and place, and which structures touch or enclose it; it never measures
a distance between two structures. A model reading the image writes such distances readily, and its number is
often the region's own diameter, which the size check would pass as a size. So every stated distance is
unsupported; the size check leaves these numbers to this one (:func:`regions.is_distance`).
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.regions import DISTANCE_AFTER, SIZE, is_distance, unit_kind
from medtrinity.quality.checks.shortcuts import literals, may_match, shortcuts_on
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue

_DIGIT = literals(*"0123456789")

# a length's unit directly followed by a distance's place words (what :func:`is_distance` reads after a size)
_LENGTH_THEN_PLACE = re.compile(r"(?:mm|cm|millimet(?:re|er)s?|centimet(?:re|er)s?)(?![a-z0-9²^])(?:"
                                + DISTANCE_AFTER.pattern + ")")
_BEFORE_WORDS = re.compile(r"within|distance|separated|gap|clearance")


def check_distances(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A length stated as the distance between structures, which nothing measured."""
    for sentence in claims(sentences):
        if not may_match(_DIGIT, sentence.text):  # every distance starts with a digit
            continue
        if shortcuts_on() and not (_LENGTH_THEN_PLACE.search(sentence.text) or _BEFORE_WORDS.search(sentence.text)):
            continue  # no length unit followed by a place word, no "within" / "distance" before one
        for match in SIZE.finditer(sentence.text):
            if unit_kind(match.group(3))[0] == "diameter" and is_distance(sentence.text, match):
                phrase = sentence.text[match.start():match.end() + 24].split(",")[0].strip()
                return [QCIssue("distance_unsupported", f"text states the distance {phrase!r}; no distance between "
                                                        f"structures was measured, only sizes and contacts")]
    return []
