"""Where a region is: the patient's side, the part of the image, and the organ a lesion lies within."""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import (
    CLAUSE_BREAK,
    ClaimSentence,
    VerifyOptions,
    claims,
    strip_labels,
    strip_phrases,
    word_pattern,
)
from medtrinity.quality.checks.regions import (
    OPPOSITE,
    POSITION,
    POSITION_BEFORE,
    clauses,
    measured_position,
    position_claims,
)
from medtrinity.quality.checks.shortcuts import literals, may_match, sample_memo, shortcuts_on
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QCIssue

_ORGAN_TERMS = ("liver", "spleen", "kidney", "pancreas", "stomach", "gallbladder", "bladder", "prostate", "uterus",
                "lung", "heart", "brain", "thyroid", "breast", "colon", "bowel", "adrenal", "esophagus", "duodenum",
                "rectum", "ovary")
_WITHIN = re.compile(r"(?:within|inside|in|of)\s+the\s+(?:[a-z-]+\s+){0,2}?(" + "|".join(_ORGAN_TERMS) + r")(?![a-z])")
_SIDED_PART = re.compile(r"(?:left|right) (?:lobe|hemisphere|hemiliver)")
# finer parts than any measured one (organ parts are lobes, poles, zones and thirds): Couinaud segments, the
# caudate and quadrate lobes, the hepatic dome; a model places a liver lesion in them by guess
_FINE_PART = re.compile(r"(?<![a-z])((?:caudate|quadrate) lobe|segments? (?:[ivx]+|[1-8])(?![a-z0-9])|couinaud"
                        r"|(?:hepatic )?dome)(?![a-z])")
_ANATOMICAL_SIDES = re.compile(
    r"(?:left|right)\s+(?:hepatic\s+|liver\s+)?lobe(?:s)?(?:\s+of\s+the\s+liver)?|(?:left|right)\s+(?:ventricle|atrium)"
)
# "the left lung is more lucent than the right": the other side's structure, named by its side alone
_ELLIPTIC_SIDE = re.compile(r"(?:than|to|with|as)\s+(?:that\s+of\s+|on\s+)?the\s+(?:left|right)(?:\s+(?:one|side))?"
                            r"(?![a-z])")


def check_organ(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A lesion with a measured containing organ must not be placed within another organ."""
    for sentence in claims(sentences):
        placed = [roi for roi in sentence.subjects if roi.kind == "lesion" and roi.containing_organ]
        if not sentence.named or not sentence.has_subject or not placed or len(placed) != len(sentence.subjects):
            continue  # a sentence naming neither the lesion nor "it" speaks of other structures ("the stomach
            # lies to the right of the spleen" placed no lesion in the spleen)
        text = strip_phrases(sentence.text, [roi.label for roi in placed])
        for match in _SIDED_PART.finditer(text):
            measured_parts = {roi.organ_part for roi in placed if roi.organ_part.startswith(("left ", "right "))}
            if measured_parts and match.group(0) not in measured_parts:
                return [QCIssue("organ_mismatch", f"text places the {placed[0].label} in the {match.group(0)}; "
                                                  f"measured part: {', '.join(sorted(measured_parts))}")]
        fine = _FINE_PART.search(text)
        if fine is not None:
            measured = ", ".join(sorted({roi.organ_part or roi.containing_organ for roi in placed}))
            return [QCIssue("organ_mismatch", f"text places the {placed[0].label} in the {fine.group(1)}; only "
                                              f"the {measured} was measured (no finer part is)")]
        for match in _WITHIN.finditer(text):
            organ = match.group(1)
            supported = any(
                organ in known.lower()
                for roi in placed
                for known in (roi.containing_organ, roi.organ_part, *roi.neighbours, facts.body_part)
            )
            if not supported:
                measured = ", ".join(sorted({roi.containing_organ for roi in placed}))
                return [QCIssue("organ_mismatch", f"text places the {placed[0].label} in the {organ}; "
                                                  f"measured containing organ: {measured}")]
    return []


def check_position(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """'Upper/lower/left/right part of the image' must not be opposite to the ROI's measured region."""
    for sentence in (s for s in claims(sentences) if s.has_subject):
        candidates = [roi for roi in sentence.subjects if roi.region]
        if not candidates:
            continue
        for vertical, horizontal in position_claims(sentence.text):
            def contradicts(roi: RegionFacts, vertical: str = vertical, horizontal: str = horizontal) -> bool:
                measured_v, measured_h = measured_position(roi.region)
                return (bool(vertical) and OPPOSITE[vertical] == measured_v) or (
                    bool(horizontal) and OPPOSITE[horizontal] == measured_h)

            if all(contradicts(roi) for roi in candidates):
                claimed = " ".join(word for word in (vertical, horizontal) if word)
                return [QCIssue("position_mismatch", f"text puts the {candidates[0].label} in the {claimed} part of "
                                                     f"the image; measured region: {candidates[0].region}")]
    return []


_SIDE_WORD = re.compile(r"(?<![a-z])(left|right)(?![a-z])")
# Pre-filters, each a literal every match must contain: a side word ("left"/"right"; the marks the
# substitutions put in never make one); POSITION's "of the image" (frame, picture, field of view,
# slice); POSITION_BEFORE's "image" or "frame"; an anatomical side's "lobe", "ventricle" or "atrium".
# both sides said in one word: "bilateral atelectasis", "bibasilar", "in both lungs" (not "both kidneys": a pair
# of structures, each on its own side)
_BILATERAL = re.compile(r"(?<![a-z])(?:bilateral(?:ly)?|bibasilar|bibasal(?:ly)?|in both lungs|on both sides"
                        r"|at both (?:lung )?bases|both lung bases)(?![a-z])")
_SIDE_HINT = literals("left", "right", "bilateral", "bibas", "both")
_ONE_SIDE_HINTS = {"left": literals("left", "bilateral", "bibas", "both"),
                   "right": literals("right", "bilateral", "bibas", "both")}
_POSITION_HINT = re.compile(r"of\s+the\s+(?:image|frame|picture|field of view|slice)")
_POSITION_BEFORE_HINT = literals("image", "frame")
_ANATOMICAL_SIDES_HINT = literals("lobe", "ventricle", "atrium")


def side_claims(sentence: str, facts: SampleFacts) -> tuple[str, ...]:
    """The patient sides a text claims (sorted), image positions, sided organ parts and label names left out."""
    if not may_match(_SIDE_HINT, sentence):
        return ()
    return sample_memo(facts.memo, ("side_claims", sentence), lambda: _find_side_claims(sentence, facts))


# both sides named together, each of its own structure ("the right and left erector spinae", "left/right kidneys")
BOTH_SIDES = re.compile(r"(?<![a-z])(?:right|left)\s*(?:and|or|&|/)\s*(?:the\s+)?(?:left|right)(?![a-z])")
_BOTH_SIDES_HINT = literals(" and ", " or ", "&", "/")

# "the stomach lies to the right of the spleen": one structure placed against another (the direction check's), no
# side of the patient; left or right of the patient, the body, the midline or the spine is a side
RELATIVE_SIDE = re.compile(r"(?:to\s+the\s+(?:patient's\s+)?)?(?:left|right)\s+of\s+(?!(?:the\s+)?(?:patient|body"
                           r"|midline|mid-line|spine|spinal|vertebra))")
_RELATIVE_HINT = literals("left of ", "right of ")


def _find_side_claims(sentence: str, facts: SampleFacts) -> tuple[str, ...]:
    text = sentence
    if may_match(_RELATIVE_HINT, text):
        text = RELATIVE_SIDE.sub(" # ", text)
    if may_match(_BOTH_SIDES_HINT, text):
        text = BOTH_SIDES.sub(" # ", text)
    if may_match(_POSITION_HINT, text):
        text = POSITION.sub(" # ", text)
    if may_match(_POSITION_BEFORE_HINT, text):
        text = POSITION_BEFORE.sub(" # ", text)
    if may_match(_ANATOMICAL_SIDES_HINT, text):
        text = _ANATOMICAL_SIDES.sub(" # ", text)
    if "than" in text or "compared" in text or " as " in text:
        text = _ELLIPTIC_SIDE.sub(" # ", text)
    text = strip_labels(facts, text)
    sides = set(_SIDE_WORD.findall(text))
    if "bi" in text or "both" in text:
        if _BILATERAL.search(text):
            sides |= {"left", "right"}
    return tuple(sorted(sides))


def check_sides(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """The patient's left or right must agree with the measured side of the ROI the sentence speaks of."""
    for sentence in (s for s in claims(sentences) if s.has_subject):
        for text, candidates in clauses(sentence, options):
            issue = _side_issue(facts, text, candidates)
            if issue is not None:
                return [issue]
    return []


def _about_context_only(facts: SampleFacts, clause: str) -> bool:
    """Whether a clause names a surrounding structure and no described region ("and the spleen on the left")."""
    described = [roi.label.lower() for roi in facts.rois]
    if any(word_pattern(label).search(clause) for label in described):
        return False
    return any(word_pattern(name.lower()).search(clause) for name in facts.context_labels
               if name.lower() not in described)


def _side_issue(facts: SampleFacts, text: str, candidates: list[RegionFacts]) -> QCIssue | None:
    if not candidates or any(roi.patient_side not in {"left", "right"} for roi in candidates):
        return None
    may_break = ";" in text or ("the" in text and any(word in text for word in ("and", "while", "whereas", "but")))
    if may_break and CLAUSE_BREAK.search(text):  # a clause about a surrounding organ is the context check's
        text = " ".join(clause for clause in CLAUSE_BREAK.split(text) if not _about_context_only(facts, clause))
    measured = {roi.patient_side for roi in candidates}
    # only a claim of a side no candidate has makes an issue: without that word in the text, none
    if shortcuts_on() and not any(hint.search(text) for side, hint in _ONE_SIDE_HINTS.items() if side not in measured):
        return None
    for side in side_claims(text, facts):
        if all(roi.patient_side != side for roi in candidates):
            roi = candidates[0]
            return QCIssue("side_mismatch", f"text puts the {roi.label} on the patient's {side}; "
                                            f"measured side is {roi.patient_side}")
    return None
