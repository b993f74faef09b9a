"""Where the structures around the described regions lie: their patient side, and which lies in front of which.

The ROI checks judge the regions a description is about; a model also places the organs around them ("the
spleen lies on the patient's right", "the spleen lies anterior to the stomach"), and a laterality or an order
reversed is as false there. Rows carry each context structure's side (the side its whole box lies on, '' where it
crosses the midline) and centroid, so both are judged.

``side_mismatch``: a clause naming one context structure (and no described region) puts it on the patient's other
side. ``direction_mismatch``: "A lies anterior / posterior / superior / inferior to B", "in front of", "behind",
"to the left / right of B" (the patient's, as radiology says it), where A's centroid lies beyond B's the other way
along the image axis lettered for that direction, by more than 3% of the image's size. Bowel and structures named
in the plural (colon, duodenum, ribs) are not placed by a centroid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import CLAUSE_BREAK, ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.location import side_claims
from medtrinity.quality.checks.shortcuts import literals, may_match, shortcuts_on, trie_alternation
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.words import is_plural

_SIDE_HINT = literals("left", "right")
_DIRECTION_HINTS = literals("anterior", "posterior", "superior", "inferior", "cranial", "caudal", "in front",
                            "behind", "ventral", "dorsal", "left of", "right of")
# a direction said of one structure against another: the word, then "to" / "of" or a name (not "anteriorly,"); the
# patient's left or right of a structure ("to the left of the aorta", as radiology says it: the patient's side)
_DIRECTION_PHRASE = re.compile(r"(?<![a-z])(?:(?:anterior|posterior|superior|inferior|cranial|caudal|in\s+front"
                               r"|behind|ventral|dorsal)(?:ly)?\s+(?:to|of|the|[a-z])|(?:left|right)\s+of\s)")
_LATERAL = r"|(?:to\s+the\s+(?:patient's\s+)?)?(?:left|right)(?=\s+of\s)"
# direction word -> the patient letter it points to
_DIRECTION_LETTER = {"anterior": "A", "in front": "A", "ventral": "A", "posterior": "P", "behind": "P",
                     "dorsal": "P", "superior": "S", "cranial": "S", "inferior": "I", "caudal": "I", "left": "L",
                     "right": "R"}
_OPPOSITE = {"A": "P", "P": "A", "S": "I", "I": "S", "L": "R", "R": "L"}
# bowel loops through a slice in pieces far apart: no one centroid places it
_LOOPING = re.compile(r"(?<![a-z])(?:colon|bowel|duodenum|jejunum|ileum|intestines?)(?![a-z])")
MARGIN_SHARE = 0.03  # of the image's side: centroids closer than this along the axis are not ordered


@lru_cache(maxsize=1024)
def _label_pattern(labels: tuple[str, ...]) -> re.Pattern:
    return re.compile(rf"(?<![a-z])(?:{trie_alternation(labels)})(?![a-z])")


@lru_cache(maxsize=1024)
def _direction_pattern(labels: tuple[str, ...]) -> re.Pattern:
    names = trie_alternation(labels)
    return re.compile(r"(?<![a-z])(?P<direction>anterior|posterior|superior|inferior|cranial|caudal|in\s+front|behind"
                      r"|ventral|dorsal" + _LATERAL + r")(?:ly)?(?:\s+(?:to|of))?\s+(?:the\s+)?(?P<other>" + names
                      + r")(?![a-z])")


def _written(facts: SampleFacts, name: str) -> str:
    """A lower-cased structure name as its label is written ("L1 vertebra")."""
    return next((label for label in (*(roi.label for roi in facts.rois), *facts.context_labels)
                 if label.lower() == name), name)


def placed_structures(facts: SampleFacts) -> dict[str, tuple[float, float]]:
    """Each structure name (lower case) with one centroid that places it: one ROI of its label, or a context label;
    tubes and plural names (pieces spread out) left out."""
    centroids: dict[str, tuple[float, float]] = {}
    counts: dict[str, int] = {}
    for roi in facts.rois:
        counts[roi.label.lower()] = counts.get(roi.label.lower(), 0) + 1
        if roi.centroid_xy is not None and roi.pieces <= 1:
            centroids[roi.label.lower()] = roi.centroid_xy
    for name, centroid in zip(facts.context_labels, facts.context_centroids_xy, strict=False):
        centroids.setdefault(name.lower(), centroid)
    return {name: centroid for name, centroid in centroids.items()
            if counts.get(name, 0) <= 1 and not is_plural(name) and not _LOOPING.search(name)}


def check_context_sides(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions
                        ) -> list[QCIssue]:
    """A context structure put on the patient's other side than the one its whole outline lies on."""
    sides = {name.lower(): side for name, side in zip(facts.context_labels, facts.context_sides, strict=False)
             if side in {"left", "right"}}
    if not sides:
        return []
    described = {roi.label.lower() for roi in facts.rois}
    names = _label_pattern(tuple(sorted({*sides, *described})))
    for sentence in claims(sentences):
        if not may_match(_SIDE_HINT, sentence.text):
            continue
        for clause in CLAUSE_BREAK.split(sentence.text):
            if "left" not in clause and "right" not in clause:  # no side said in this clause
                continue
            named = {match.group(0) for match in names.finditer(clause)}
            if len(named) != 1 or named & described:
                continue
            name = named.pop()
            claimed = side_claims(clause, facts)
            if claimed and sides[name] not in claimed:
                said = f"the {_written(facts, name)} on the patient's {' and '.join(claimed)}"
                return [QCIssue("side_mismatch", f"text puts {said}; it lies wholly on the {sides[name]}")]
    return []


def check_directions(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """"A lies anterior to B" where A's centroid lies behind B's (and so for posterior, superior, inferior)."""
    letters = facts.patient_orientation
    if not any(letter in _OPPOSITE for letter in letters) or not facts.image_area_px:
        return []
    margin_px = MARGIN_SHARE * facts.image_area_px ** 0.5
    placed: dict[str, tuple[float, float]] | None = None
    for sentence in claims(sentences):
        if not may_match(_DIRECTION_HINTS, sentence.text) or (shortcuts_on() and not _DIRECTION_PHRASE.search(
                sentence.text)):
            continue
        if placed is None:  # built at the first sentence that may place one structure against another
            placed = placed_structures(facts)
            if len(placed) < 2:
                return []
            names, directions = _label_pattern(tuple(sorted(placed))), _direction_pattern(tuple(sorted(placed)))
        for clause in CLAUSE_BREAK.split(sentence.text):
            for found in directions.finditer(clause):
                other = found.group("other")
                before = [match.group(0) for match in names.finditer(clause[:found.start()])
                          if match.group(0) != other]
                if not before:
                    continue
                direction = re.sub(r"\s+", " ", found.group("direction"))
                subject = before[-1]
                toward = _DIRECTION_LETTER[direction.rsplit(" ", 1)[-1] if direction.endswith(("left", "right"))
                                           else direction]
                for axis, letter in enumerate(letters):
                    if letter not in (toward, _OPPOSITE.get(toward)):
                        continue
                    # how far the subject lies towards the claimed direction beyond the other structure
                    ahead = placed[subject][axis] - placed[other][axis]
                    if letter != toward:
                        ahead = -ahead
                    if ahead < -margin_px:
                        phrase = re.sub(r"\s+", " ", clause[found.start():found.start("other")].strip())
                        said = f"the {_written(facts, subject)} {phrase} {_written(facts, other)}"
                        return [QCIssue("direction_mismatch", f"text puts {said}; its centre lies {-ahead:.0f} px "
                                                              "the other way")]
    return []
