"""Superlatives among the described regions: "the liver is the largest organ in view".

``size_mismatch``: a region called the largest (smallest) organ, structure or finding where another described
region of that kind measures larger (smaller) in area by more than a tenth. A model ranks organs by what it
remembers of anatomy ("the liver is the largest organ") or by what the window shows; on one slice the colon or
the spleen may well be larger. Only described regions carry an area in a row, so only they are compared: a
structure that is context only is never judged, and a true claim is never flagged (a larger described region
of the kind proves it false). "Organ" means a viscus here: muscles, vessels and bones are structures, not
organs, in a report's sense, and are not weighed against one.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, mentions, strip_phrases
from medtrinity.quality.checks.comparisons import SIZE_MARGIN
from medtrinity.quality.checks.shortcuts import literals, may_match
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.tissues import BONE, HOLLOW_VISCUS, SOLID_SOFT_TISSUE, tissue_of

_HINT = literals("largest", "biggest", "smallest")  # in every superlative this check reads
_SUPERLATIVE = re.compile(r"(?<![a-z])(largest|biggest|smallest)\s+(?:(solid|hollow|abdominal|visible|labelled|"
                          r"outlined|segmented)\s+)?(organ|viscus|structure|region|finding|lesion|abnormality)s?(?![a-z])")
# structures a report does not call organs
_NOT_AN_ORGAN = re.compile(r"muscle|erector spinae|psoas|gluteus|autochthon|aorta|vena cava|\bveins?\b|arter|vessel")


def regions_of_kind(rois, kind: str, qualifier: str = "") -> list[RegionFacts]:
    """The described regions a superlative ranks: findings (lesions), structures (all others), organs (viscera:
    no muscle, vessel or bone), solid or hollow organs."""
    if kind in ("finding", "lesion", "abnormality"):
        return [roi for roi in rois if roi.kind == "lesion"]
    structures = [roi for roi in rois if roi.kind != "lesion"]
    if kind not in ("organ", "viscus"):
        return structures  # structure, region
    organs = [roi for roi in structures if tissue_of(roi.label.lower()) != BONE
              and not _NOT_AN_ORGAN.search(roi.label.lower())]
    if qualifier in ("solid", "hollow"):
        wanted = SOLID_SOFT_TISSUE if qualifier == "solid" else HOLLOW_VISCUS
        return [roi for roi in organs if tissue_of(roi.label.lower()) == wanted]
    return organs


def _area(roi: RegionFacts, in_mm2: bool) -> float | None:
    return roi.area_mm2 if in_mm2 else (float(roi.area_px) if roi.area_px is not None else None)


def _issue(facts: SampleFacts, sentence: ClaimSentence) -> QCIssue | None:
    named, rest = {}, sentence.text
    for roi in sorted(facts.rois, key=lambda roi: len(roi.label), reverse=True):  # "liver lesion" before "liver"
        label = roi.label.lower()
        if mentions(rest, label):
            named[label] = roi
            rest = strip_phrases(rest, [label])
    if len(named) != 1:
        return None  # no region or several named: which one is ranked is not clear
    (subject,) = named.values()
    for match in _SUPERLATIVE.finditer(sentence.text):
        word, qualifier, kind = match.group(1), match.group(2) or "", match.group(3)
        ranked = regions_of_kind(facts.rois, kind, qualifier)
        if subject not in ranked or len(ranked) < 2:
            continue
        in_mm2 = all(roi.area_mm2 is not None for roi in ranked)
        own = _area(subject, in_mm2)
        others = [(roi, _area(roi, in_mm2)) for roi in ranked if roi is not subject]
        if own is None or any(area is None for _roi, area in others):
            continue
        if word == "smallest":
            beaten = [(roi, area) for roi, area in others if area * SIZE_MARGIN < own]
        else:
            beaten = [(roi, area) for roi, area in others if area > own * SIZE_MARGIN]
        if beaten:
            roi, area = beaten[0]
            unit = "mm2" if in_mm2 else "pixels"
            what = f"{qualifier} {kind}" if qualifier in ("solid", "hollow") else kind
            return QCIssue("size_mismatch", f"text calls the {subject.label} the {word} {what}; the {roi.label} "
                                            f"measures {area:.0f} {unit} against its {own:.0f}")
    return None


def check_superlatives(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A region called the largest or smallest of its kind must be so among the described regions."""
    if len(facts.rois) < 2:
        return []
    for sentence in claims(sentences):
        if not may_match(_HINT, sentence.text):
            continue
        issue = _issue(facts, sentence)
        if issue is not None:
            return [issue]
    return []
