"""Enclosure: one labelled structure said to surround (encase, encircle, enclose) another, or to lie within it,
where the outlines say otherwise.

A model that sees a tumour beside the aorta writes "the mass encases the aorta"; one that sees the
gallbladder in its fossa writes "the gallbladder lies within the liver". Both are claims of whole
enclosure, and grounding measures exactly that (``surrounds`` of an outlined organ, ``containing_organ`` of an
organ wholly inside another). A pair is judged only where a described region holds the fact: the outer one
outlined and described (its ``surrounds``), or the inner one an outlined organ (its ``containing_organ``). A
described lesion surrounds nothing measured, so any encasement it is given is flagged. "The surrounding
liver" (an adjective) claims nothing; a lesion "within" an organ is the organ check's.

Adjacency: one structure said to border (abut, be adjacent to, touch) another that its outline is nowhere near.
A described region's neighbours are every labelled structure within ``neighbour_distance_mm`` of it, so a
contact with any other labelled structure is unsupported ("the liver lesion abuts the aorta" of a lesion deep in
the right lobe). Its containing organ, what it surrounds and what a box is drawn over also count as contact.

Overlap: an annotation's box said to overlie (lie over, overlap, cover) an organ it is not drawn over. Grounding
keeps the organs an expert outlined under each box (``overlies``) and the one it lies in (``containing_organ``);
a box is judged only where something is known to lie under it (otherwise an organ painted over by the box is lost).
"""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.shortcuts import literals, may_match
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import BOX_ORIGIN, QCIssue

# "A surrounds B": the verb, not "the surrounding tissue"
_ACTIVE = re.compile(r"(?<![a-z])(?:completely\s+|partly\s+|partially\s+)?(?:surrounds?|encloses?|encircles?|"
                     r"encases?|envelops?|wraps?\s+around)\s+(?:the\s+)?")
# "A lies within B", "A is surrounded by B"
_PASSIVE = re.compile(r"(?<![a-z])(?:(?:lies?|lying|sits?|is|are|located|situated|contained|found|seen)\s+"
                      r"(?:wholly\s+|entirely\s+|completely\s+)?(?:within|inside)|(?:lies?|sits?|located|situated|"
                      r"contained)\s+in|(?:surrounded|enclosed|encircled|encased|enveloped)\s+by)\s+(?:the\s+)?")
_HINTS = literals("surround", "enclos", "encircl", "encas", "envelop", "wrap", "within", "inside", " in ")
# where the object list of "A surrounds B, C and D" ends: a new verb, or a new clause with a subject of its own
# ("A abuts B, and the left lower lobe borders the aorta": the lobe is no object of "abuts")
_VERBS = (r"(?:borders?|abuts?|adjacent|lies?|sits?|is|are|measures?|shows?|extends?|reach(?:es)?|overl[a-z]*|"
          r"drawn|surrounds?|encloses?|encircles?|encases?|touch(?:es)?|contacts?|in\s+contact|covers?|projects?)"
          r"(?![a-z])")
_OBJECT_END = re.compile(r"[.;:]|(?:,|\s(?:and|but|while|which|whereas))\s+(?:it\s+|is\s+|are\s+)?" + _VERBS
                         + r"|(?:,\s*|\s)(?:and|but|while|whereas)\s+the\s+(?:[a-z0-9'-]+\s+){1,5}?" + _VERBS)
# "the box overlies / lies over / is drawn over / overlaps / covers / projects over the heart"
_OVER = re.compile(r"(?<![a-z])(?:overlies|overlie|overlying|overlaps?|overlapping|covers?|covering|"
                   r"(?:lies?|lying|is\s+drawn|drawn|projects?|extends?|extending|reach(?:es)?|reaching)\s+over|superimposed\s+on)\s+"
                   r"(?:part\s+of\s+|parts\s+of\s+|much\s+of\s+|most\s+of\s+)?(?:the\s+)?")
_OVER_HINTS = literals("overl", "cover", " over", "superimposed")


# "A borders / abuts / is adjacent to / touches B"
_ADJACENT = re.compile(r"(?<![a-z])(?:borders?|bordering|abuts?|abutting|(?:immediately\s+|directly\s+)?adjacent\s+"
                       r"to|next\s+to|touch(?:es)?|touching|contacts?|in\s+contact\s+with)\s+(?:the\s+)?")
_ADJACENT_HINTS = literals("border", "abut", "adjacent", "next to", "touch", "contact")
_NEGATED = re.compile(r"(?<![a-z])(?:not|no|without|never|nor)\s+(?:[a-z]+\s+){0,2}$|n't\s+(?:[a-z]+\s+)?$")


@lru_cache(maxsize=2048)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) +
                      r")(?:s|es)?(?![a-z])")


def _label_names(facts: SampleFacts) -> re.Pattern | None:
    """The pattern of every structure name the sample knows (lower-case), or None when it knows none."""
    known = tuple(sorted({name.lower() for name in facts.labels}))
    return _names_pattern(known) if known else None


def _claimed_pairs(text: str, names: re.Pattern, subjects: list[RegionFacts],
                   patterns: tuple[tuple[re.Pattern, bool], ...] = ((_ACTIVE, True), (_PASSIVE, False)),
                   ) -> list[tuple[str, str, str]]:
    """(outer, inner, words) of each enclosure the sentence claims (for an active verb, the subject is the outer
    one); a subject left unnamed ("It surrounds ...") is the sentence's one subject."""
    pairs = []
    for pattern, active in patterns:
        for match in pattern.finditer(text):
            before = names.findall(text[: match.start()])
            subject = before[-1] if before else (subjects[0].label.lower() if len(subjects) == 1 else "")
            rest = text[match.end():]
            if active:
                end = _OBJECT_END.search(rest)
                objects = names.findall(rest[: end.start() if end else len(rest)])
            else:  # the containing structure is the phrase's head, right after "within (the)"
                head = names.match(rest)
                objects = [head.group(1)] if head else []
            for other in objects:
                if subject and other != subject:
                    pairs.append((subject, other, match.group(0).strip()) if active
                                 else (other, subject, match.group(0).strip()))
    return pairs


def _judged(outer: str, inner: str, described: dict[str, RegionFacts]) -> bool | None:
    """Whether the measured facts hold ``inner`` wholly inside ``outer``; None where no described region knows."""
    roi = described.get(outer)
    if roi is not None and roi.origin != BOX_ORIGIN:
        return inner in {name.lower() for name in roi.surrounds}
    roi = described.get(inner)
    if roi is not None and roi.kind != "lesion" and roi.origin != BOX_ORIGIN:
        return roi.containing_organ.lower() == outer
    return None


def check_enclosure(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A structure said to surround another (or to lie within it) must be measured so."""
    described = {roi.label.lower(): roi for roi in facts.rois}
    names = _label_names(facts)
    if not described or names is None:
        return []
    for sentence in claims(sentences):
        if not may_match(_HINTS, sentence.text):
            continue
        for outer, inner, words in _claimed_pairs(sentence.text, names, sentence.subjects):
            if _judged(outer, inner, described) is False:
                said = f"the {outer} {words} the {inner}" if words.split()[-1] not in {"within", "inside", "in", "by"} \
                    else f"the {inner} {words} the {outer}"
                return [QCIssue("enclosure_unsupported", f"text says {said!r}; the outlines do not show the "
                                                         f"{inner} wholly inside the {outer}")]
    return []


def check_overlap(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A box said to lie over an organ must be drawn over it (or lie in it), where experts outlined the organs."""
    # judged only where it is known what lies under the box: an expert's organs under it, or the organ it lies in
    boxes = {roi.label.lower(): roi for roi in facts.rois
             if roi.origin == BOX_ORIGIN and (roi.overlies or roi.containing_organ)}
    if not boxes:
        return []
    names = _label_names(facts)
    if names is None:
        return []
    for sentence in claims(sentences):
        if not may_match(_OVER_HINTS, sentence.text):
            continue
        for box, organ, words in _claimed_pairs(sentence.text, names, sentence.subjects, ((_OVER, True),)):
            roi = boxes.get(box)
            if roi is None or organ in boxes:
                continue
            under = {name.lower() for name in (*roi.overlies, roi.containing_organ) if name}
            if organ not in under:
                drawn = ", ".join(sorted(under)) or "no outlined organ"
                return [QCIssue("overlap_unsupported", f"text says the box labelled {roi.label} {words} the {organ}; "
                                                       f"it is drawn over {drawn}")]
    return []


def contacts(roi: RegionFacts) -> set[str]:
    """Every structure a described region is measured to touch or hold (lower-case)."""
    return {name.lower() for name in (*roi.neighbours, *roi.surrounds, *roi.overlies, roi.containing_organ,
                                      roi.organ_part) if name}


def check_adjacency(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A structure said to border another must lie within the neighbour distance of it, where one of the two is a
    described region (whose neighbours are all measured)."""
    described: dict[str, list[RegionFacts]] = {}
    for roi in facts.rois:  # two regions of one label: a contact of either is the label's
        described.setdefault(roi.label.lower(), []).append(roi)
    names = _label_names(facts)
    if not described or names is None:
        return []
    for sentence in claims(sentences):
        if not may_match(_ADJACENT_HINTS, sentence.text):
            continue
        for match in _ADJACENT.finditer(sentence.text):
            if _NEGATED.search(sentence.text[max(0, match.start() - 24): match.start()]):
                continue  # "does not abut the aorta", "no contact with": a denial is no claim of contact
            subject = _adjacency_subject(sentence, names, match.start())
            rest = sentence.text[match.end():]
            end = _OBJECT_END.search(rest)
            for other in names.findall(rest[: end.start() if end else len(rest)]):
                if subject and other != subject and not _touch(subject, other, described):
                    said = re.sub(r"\s+the$", "", match.group(0).strip())  # "borders the": its own "the" once
                    return [QCIssue("adjacency_unsupported", f"text says the {subject} {said} the {other}; it lies "
                                                             "nowhere near it")]
    return []


# what follows a name in subject position ("the optic disc surrounds ...", "the heart is adjacent ...")
_SUBJECT_VERB = re.compile(r"\s+(?:labelled\s+[a-z ]+?\s+)?(?:is|are|lies|lie|sits|sit|borders?|abuts?|surrounds?|"
                           r"encloses?|extends?|reach(?:es)?|overlies|overlie|appears?|looks?|measures?|touches|"
                           r"touch|shows?|was|were|has|have|contacts?)(?![a-z])")


def _adjacency_subject(sentence: ClaimSentence, names: re.Pattern, verb_at: int) -> str:
    """The structure a contact verb is said of: the last name before it that stands as a subject (a verb right
    after it: "the optic disc surrounds the optic cup and abuts the vessels" is said of the disc), else the first
    name of the sentence, else its one subject ("It abuts ...")."""
    text = sentence.text[:verb_at]
    before = list(names.finditer(text))
    for match in reversed(before):
        if _SUBJECT_VERB.match(sentence.text, match.end()):
            return match.group(1)
    if before:
        return before[0].group(1)
    return sentence.subjects[0].label.lower() if len(sentence.subjects) == 1 else ""


def _touch(subject: str, other: str, described: dict[str, list[RegionFacts]]) -> bool:
    """Whether measured facts allow ``subject`` and ``other`` to touch (True where neither is described: unknown)."""
    judged = [*described.get(subject, ()), *described.get(other, ())]
    if not judged:
        return True
    return any(contacts(roi) & ({subject, other} - {roi.label.lower()}) for roi in judged)
