"""Appearance: hypo- for hyper- (and "lower than" for "higher than"), homogeneous for heterogeneous, and any shape,
margin, texture or intensity said of a region that is only an annotation's box."""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, strip_labels
from medtrinity.quality.checks.comparisons import compares_regions
from medtrinity.quality.checks.regions import clauses
from medtrinity.quality.checks.shortcuts import literals, shortcuts_on
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import BOX_ORIGIN, QCIssue
from medtrinity.vocab.modalities import INTENSITY_WORDS, PROJECTION_MODALITIES
from medtrinity.vocab.tissues import texture_is_normal_variation, tissue_of

_LOW = ("hypodense", "hypoattenuating", "low attenuation", "low-attenuation", "low density", "hypointense",
        "low signal", "low-signal", "hypoechoic", "anechoic", "lucent", "radiolucent", "lucency", "reduced uptake",
        "decreased uptake", "photopenic", "darker", "dark", "lower than")
_HIGH = ("hyperdense", "hyperattenuating", "high attenuation", "high-attenuation", "high density", "hyperintense",
         "high signal", "high-signal", "hyperechoic", "echogenic", "opaque", "radiopaque", "increased uptake",
         "hypermetabolic", "brighter", "bright", "higher than")


_WEAK = {"darker", "brighter", "dark", "bright", "lower than", "higher than"}  # plain words, overruled by a
# modality's own word in the clause (which they may describe the surroundings beside)
_LOW_WORDS = re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, _LOW)) + r")(?![a-z])")
_HIGH_WORDS = re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, _HIGH)) + r")(?![a-z])")


_IMAGE_PART = re.compile(r"(?:lower|higher)\s+(?:part|portion|half|third|corner)")
# Pre-filters: a claimed direction is one of its words in the clause as written (stripping names puts
# in marks, never letters; removing "lower part" could join the words around it, so "lower" and
# "higher" also let a clause through).
_INTENSITY_HINTS = {"low": literals(*_LOW, "lower", "higher"), "high": literals(*_HIGH, "lower", "higher")}


@lru_cache(maxsize=256)
def _direction(word: str) -> str:
    for words in (*INTENSITY_WORDS.values(), ("darker", "of similar brightness", "brighter")):
        if word == words[0]:
            return "low"
        if word == words[2]:
            return "high"
        if word == words[1]:
            return "similar"
    return ""


# the modality's own word for "like its surroundings" (isodense, isointense ...), and plain phrasings of it
_SIMILAR_WORDS = re.compile(r"(?<![a-z])(iso(?:dense|attenuating|intense|echoic|metabolic)|of similar (?:density|"
                            r"attenuation|intensity|signal|brightness|echogenicity)|similar (?:in )?(?:density|"
                            r"attenuation|intensity|signal|brightness|echogenicity) to)(?![a-z])")


def check_intensity(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Hypo- must not be said of a region measured hyper- (and the reverse), nor 'lower than' for 'higher'."""
    for sentence in (s for s in claims(sentences) if s.has_subject):
        for clause, candidates in clauses(sentence, options):
            issue = _intensity_issue(facts, clause, candidates)
            if issue is not None:
                return [issue]
    return []


def _intensity_issue(facts: SampleFacts, clause: str, candidates: list[RegionFacts]) -> QCIssue | None:
    directions = [_direction(roi.intensity_word) for roi in candidates]
    if not candidates or not all(directions):
        return None
    issue = _own_intensity_issue(facts, clause, candidates, directions)
    if issue is not None and compares_regions(facts, clause):  # "hypodense relative to the liver" of the spleen:
        return None  # two regions' means compared, the comparison check's claim
    return issue


def _own_intensity_issue(facts: SampleFacts, clause: str, candidates: list[RegionFacts], directions: list[str]
                         ) -> QCIssue | None:
    """A region's intensity word against its own surroundings' (the measured word)."""
    similar = _SIMILAR_WORDS.search(strip_labels(facts, clause)) if "iso" in clause or "similar" in clause else None
    if similar is not None and "similar" not in directions and not (_LOW_WORDS.search(clause)
                                                                    or _HIGH_WORDS.search(clause)):
        roi = candidates[0]
        return QCIssue("intensity_mismatch", f"text calls the {roi.label} {similar.group(1)!r}; "
                                             f"measured {roi.intensity_word!r}")
    # only a word of a direction no candidate was measured in can make an issue: without one, none
    if shortcuts_on() and not any(hint.search(clause) for direction, hint in _INTENSITY_HINTS.items()
                                  if direction not in directions):
        return None
    text = strip_labels(facts, clause)
    text = _IMAGE_PART.sub(" ", text)
    said = {claimed: words.search(text) for claimed, words in (("low", _LOW_WORDS), ("high", _HIGH_WORDS))}
    strong = {claimed: found for claimed, found in said.items() if found and found.group(0) not in _WEAK}
    if strong or all(direction == "similar" for direction in directions):
        said = strong  # the modality's own words decide; "darker", "higher than" may describe the surroundings
    if said.get("low") is not None and said.get("high") is not None:
        return None  # both directions in one clause: a comparison, not a claim
    for claimed, found in said.items():
        word = found.group(0) if found else None
        if word and claimed not in directions:
            roi = candidates[0]
            return QCIssue("intensity_mismatch", f"text calls the {roi.label} {word!r}; "
                                                 f"measured {roi.intensity_word!r}")
    return None


_HETEROGENEOUS = re.compile(r"(?<![a-z])(heterogeneous|heterogeneously|inhomogeneous|non-homogeneous|mottled)(?![a-z])")
_HOMOGENEOUS = re.compile(r"(?<![a-z-])(homogeneous|homogeneously|uniform)(?![a-z])")
# each word of a texture holds one of its hints (the marks stripping and removal put in are no letters)
_TEXTURE_HINTS = {"heterogeneous": literals("heterogeneous", "inhomogeneous", "non-homogeneous", "mottled"),
                  "homogeneous": literals("homogeneous", "uniform")}


def check_texture(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Homogeneous must not be said of a region measured heterogeneous, nor the reverse; neither is said of an
    outlined region on a radiograph (its grey is the overlap of every tissue along the beam: no texture is
    measured), nor of lung, bone or bowel as an organ (uneven in health: the word reads as a finding)."""
    projection = facts.modality in PROJECTION_MODALITIES
    for sentence in (s for s in claims(sentences) if s.has_subject):
        for clause, candidates in clauses(sentence, options):
            issue = _texture_issue(facts, clause, candidates, projection)
            if issue is not None:
                return [issue]
    return []


def _texture_claims(facts: SampleFacts, clause: str) -> list[tuple[str, str]]:
    """(texture, the word written) of each texture a clause gives its subject."""
    text = strip_labels(facts, clause)
    claims = []
    if _HETEROGENEOUS.search(text):
        claims.append(("heterogeneous", _HETEROGENEOUS.search(text).group(1)))
    if _HOMOGENEOUS.search(_HETEROGENEOUS.sub(" ", text)):
        claims.append(("homogeneous", _HOMOGENEOUS.search(_HETEROGENEOUS.sub(" ", text)).group(1)))
    return claims


def _unjudged_texture(candidates: list[RegionFacts], projection: bool) -> str:
    """Why no texture is judged for any of these regions, or "": outlined regions on a radiograph, or organs of a
    tissue uneven in health (lung, bone, bowel) with no texture measured. A box's texture is the box check's."""
    if not candidates or any(roi.origin == BOX_ORIGIN for roi in candidates):
        return ""
    if projection:
        return "no texture is measured on a radiograph (every tissue along the beam overlaps)"
    if all(not roi.texture and texture_is_normal_variation(roi.label, roi.kind) for roi in candidates):
        return (f"no texture is judged for the {tissue_of(candidates[0].label)} as an organ (air and vessels, "
                "cortex and marrow, bowel contents make it uneven in health: the word reads as a finding)")
    return ""


def _texture_issue(facts: SampleFacts, clause: str, candidates: list[RegionFacts], projection: bool = False
                   ) -> QCIssue | None:
    unjudged = _unjudged_texture(candidates, projection)
    if unjudged:
        if shortcuts_on() and not any(hint.search(clause) for hint in _TEXTURE_HINTS.values()):
            return None
        said = _texture_claims(facts, clause)
        if said:
            return QCIssue("texture_mismatch", f"text calls the {candidates[0].label} {said[0][1]!r}; {unjudged}")
        return None
    if not candidates:
        return None
    if all(not roi.texture for roi in candidates):
        return _unmeasured_texture_issue(facts, clause, candidates)
    if any(not roi.texture for roi in candidates):
        return None
    measured = {roi.texture for roi in candidates}
    # only a word of a texture not measured can make an issue: without one, none
    if shortcuts_on() and not any(hint.search(clause) for texture, hint in _TEXTURE_HINTS.items()
                                  if texture not in measured):
        return None
    claims = _texture_claims(facts, clause)
    if len(claims) > 1:
        return None  # both words in one clause: a comparison ("heterogeneous within a homogeneous liver")
    for texture, word in claims:
        if texture not in measured:
            roi = candidates[0]
            return QCIssue("texture_mismatch", f"text calls the {roi.label} {word!r}; measured {roi.texture!r}")
    return None




def _unmeasured_texture_issue(facts: SampleFacts, clause: str, candidates: list[RegionFacts]) -> QCIssue | None:
    """A texture said of regions none of which was given one: too small to judge, or between even and uneven
    (a model says "heterogeneous" of any lesion it describes). A box's texture is the box check's."""
    if any(roi.origin == BOX_ORIGIN for roi in candidates):
        return None
    if shortcuts_on() and not any(hint.search(clause) for hint in _TEXTURE_HINTS.values()):
        return None
    said = _texture_claims(facts, clause)
    if len(said) != 1:
        return None  # none, or both words: a comparison
    return QCIssue("texture_mismatch", f"text calls the {candidates[0].label} {said[0][1]!r}; no texture was "
                                       "judged for it (too small a region, or between even and uneven)")


# what a box cannot show of the finding inside it: its outline, its margins, its texture, its intensity
_BOX_BLIND = re.compile(
    r"(?<![a-z-])(round|rounded|oval|ovoid|lobulated|lobular|irregular(?:ly shaped)?|spiculated|elongated|"
    r"(?:well|ill|poorly|sharply)[- ](?:defined|circumscribed|marginated)|circumscribed|smooth(?:ly)? margin(?:s|ed)?|"
    r"sharp margins|indistinct|heterogeneous|homogeneous|inhomogeneous|mottled|"
    + "|".join(map(re.escape, sorted((word for word in (*_LOW, *_HIGH) if word not in _WEAK), key=len, reverse=True)))
    + r")(?![a-z])")
_BOX_HINTS = literals("round", "oval", "ovoid", "lobul", "irregular", "spiculated", "elongated", "defined",
                      "circumscribed", "marginated", "margin", "indistinct", "homogeneous", "heterogeneous", "mottled",
                      *(word for word in (*_LOW, *_HIGH) if word not in _WEAK))


def check_box_appearance(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions
                         ) -> list[QCIssue]:
    """A region given as a box (``origin`` box) has no measured shape, margin, texture or intensity: the box is the
    annotator's rectangle, its pixels hold background too. Any such word said of it alone is unsupported."""
    if not any(roi.origin == BOX_ORIGIN for roi in facts.rois):
        return []
    for sentence in (s for s in claims(sentences) if s.has_subject):
        for clause, candidates in clauses(sentence, options):
            if not candidates or any(roi.origin != BOX_ORIGIN for roi in candidates):
                continue  # a region with an outline may be the one described
            if shortcuts_on() and not _BOX_HINTS.search(clause):
                continue
            found = _BOX_BLIND.search(strip_labels(facts, clause).lower())
            if found:
                roi = candidates[0]
                return [QCIssue("box_appearance", f"text calls the {roi.label} {found.group(1)!r}; it is given only "
                                                  "as a box, which shows no shape, margin, texture or intensity")]
    return []
