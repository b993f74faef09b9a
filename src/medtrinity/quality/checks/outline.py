"""Outline words against the measured outline: ``shape_mismatch`` (round or oval for a lobulated or irregular
region, and the reverse) and ``margin_mismatch`` (well-defined for an ill-defined margin, and the reverse).

The composer states a region's shape and margin where they were measured, and a model writes them freely; no
check compared them before ("the round, well-defined liver lesion" passed for a lobulated, ill-defined one).
Round and oval are one family (a convex outline; the eccentricity between them is a matter of degree), as are
lobulated, irregular and spiculated. A region with no measured shape or margin is not judged (too small, no
contrast across its border); a region given only as a box is the box check's. A clause giving both words of
one pair compares ("a round core within an irregular rim") and claims neither.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, strip_labels
from medtrinity.quality.checks.regions import clauses
from medtrinity.quality.checks.shortcuts import literals, shortcuts_on
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import BOX_ORIGIN, QCIssue

# (family, words): the measured word's family is what a said word must belong to
_SHAPES = (
    ("convex", re.compile(r"(?<![a-z-])(round|rounded|circular|oval|ovoid|elliptical)(?![a-z])")),
    ("uneven", re.compile(r"(?<![a-z-])(lobulated|lobular|irregular|irregularly shaped|spiculated)(?![a-z])")),
)
_SHAPE_FAMILY = {"round": "convex", "oval": "convex", "lobulated": "uneven", "irregular": "uneven"}
_MARGINS = (
    ("well-defined", re.compile(r"(?<![a-z-])(well[- ]defined|well[- ]circumscribed|circumscribed|sharply "
                                r"(?:defined|marginated)|sharp margins?|smooth margins?)(?![a-z])")),
    ("ill-defined", re.compile(r"(?<![a-z-])(ill[- ]defined|poorly (?:defined|circumscribed|marginated)|indistinct"
                               r"|blurred margins?|infiltrative|spiculated)(?![a-z])")),
)
_SHAPE_HINTS = literals("round", "circular", "oval", "ovoid", "ellip", "lobul", "irregular", "spiculated")
_MARGIN_HINTS = literals("defined", "circumscribed", "marginated", "margin", "indistinct", "infiltrative",
                         "spiculated")


def _said(text: str, families) -> list[tuple[str, str]]:
    """(family, word) of each family whose words the text uses."""
    return [(family, found.group(1)) for family, pattern in families if (found := pattern.search(text))]


def _mismatch(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions, families, hints,
              word_of, family_of, code: str, what: str) -> list[QCIssue]:
    """The first clause giving its regions a word of a family none was measured in (``word_of``: the measured
    word, ``family_of``: its family, "" where none was measured)."""
    for sentence in (s for s in claims(sentences) if s.has_subject):
        if shortcuts_on() and not hints.search(sentence.text):
            continue
        for clause, candidates in clauses(sentence, options):
            judged = [roi for roi in candidates if roi.origin != BOX_ORIGIN]
            if not judged or len(judged) < len(candidates) or any(not family_of(word_of(roi)) for roi in judged):
                continue  # a box, or a region whose outline word was not measured: not judged here
            said = _said(strip_labels(facts, clause), families)
            if len(said) != 1:
                continue  # none, or both words of the pair: a comparison
            family, word = said[0]
            if family not in {family_of(word_of(roi)) for roi in judged}:
                roi = judged[0]
                return [QCIssue(code, f"text calls the {roi.label}'s {what} {word!r}; measured {word_of(roi)!r}")]
    return []


def check_shape(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Round or oval must not be said of a region measured lobulated or irregular, nor the reverse."""
    return _mismatch(facts, sentences, options, _SHAPES, _SHAPE_HINTS, lambda roi: roi.shape,
                     lambda word: _SHAPE_FAMILY.get(word, ""), "shape_mismatch", "outline")


def check_margin(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Well-defined must not be said of a margin measured ill-defined, nor the reverse."""
    return _mismatch(facts, sentences, options, _MARGINS, _MARGIN_HINTS, lambda roi: roi.margin,
                     lambda word: word if word in ("well-defined", "ill-defined") else "", "margin_mismatch", "margin")
