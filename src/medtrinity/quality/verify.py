"""Faithfulness checks: does a description contradict the sample's metadata or measurements?

The verifier reads the text sentence by sentence, recognises the claims it understands and
compares each with :class:`~medtrinity.quality.facts.SampleFacts` (built from a Sample during a
run, or from a written row by ``medtrinity verify``):

================== ==========================================================================
code               claim
================== ==========================================================================
modality_mismatch  another modality's name ("MRI" for a CT)
body_part_mismatch a body region far from the sample's ("brain" for an abdominal CT)
organ_mismatch     a lesion placed "within" an organ other than the measured containing organ
side_mismatch      the patient's left or right, against the measured side of the ROI named
position_mismatch  "upper/lower/left/right part of the image" opposite to the ROI's region
size_mismatch      a diameter, area, volume or pixel count off the measured one (tolerances below)
size_unsupported   a size in mm where nothing was measured in mm
count_mismatch     "two nodules", "a single lesion" ... against the number of ROIs of that label
intensity_mismatch hypo- for hyper- (and "lower than" for "higher than" its surroundings)
texture_mismatch   homogeneous for heterogeneous
================== ==========================================================================

A sentence's subject is the ROI label it names; a sentence naming none but speaking of "the
lesion", "it" ... inherits the previous sentence's subject; otherwise every ROI is a candidate
and a claim is a contradiction only when no candidate supports it. Sentences that rest on
retrieved passages only (per the description's evidence) or carry a citation mark such as
``[P1]`` are knowledge, not claims about this image, and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QC, QCIssue, Sample
from medtrinity.vocab.modalities import INTENSITY_WORDS, MODALITY_CLAIMS
from medtrinity.vocab.regions import BODY_REGION_TERMS, regions_compatible, regions_of
from medtrinity.vocab.words import NUMBER_WORDS

ISSUE_CODES: tuple[str, ...] = (
    "modality_mismatch", "body_part_mismatch", "organ_mismatch", "side_mismatch", "position_mismatch",
    "size_mismatch", "size_unsupported", "count_mismatch", "intensity_mismatch", "texture_mismatch",
    "no_description",
)


@dataclass(frozen=True)
class VerifyOptions:
    """Tolerances: a stated size is supported when within ``size_tolerance`` (relative) or
    ``size_tolerance_mm`` of a measured one; areas, volumes and pixel counts use their own."""

    size_tolerance: float = 0.2
    size_tolerance_mm: float = 1.5
    area_tolerance: float = 0.3
    volume_tolerance: float = 0.3


_SPLIT = re.compile(r"(?<=[.!?;])\s+")
_CITATION = re.compile(r"\[(?:p|passage\s*)?\d+\]", re.IGNORECASE)
_GENERIC_SUBJECT = re.compile(
    r"(?<![a-z])(it|its|this|they|their|lesions?|mass(?:es)?|nodules?|regions?|findings?|tumou?rs?|areas?|focus|foci"
    r"|structures?|organs?)(?![a-z])"
)


@lru_cache(maxsize=8192)
def _word(phrase: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])")


@lru_cache(maxsize=8192)
def _word_plural(phrase: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z]){re.escape(phrase.lower())}(?:s|es)?(?![a-z])")


def _mentions(text: str, phrase: str) -> bool:
    return phrase in text and _word(phrase).search(text) is not None


def _strip(text: str, phrases: list[str]) -> str:
    for phrase in sorted(phrases, key=len, reverse=True):
        if phrase and phrase.lower() in text:
            text = _word_plural(phrase).sub(" # ", text)
    return text


# ---------------------------------------------------------------------------------------------- sentences


@dataclass
class _Sentence:
    text: str  # lower-cased
    subjects: list[RegionFacts]
    named: bool  # the subjects were named in this sentence or inherited from the previous one (not "all ROIs")
    has_subject: bool = True  # False: the sentence names no ROI and no lesion-like noun (then only global checks)


def claim_sentences(text: str, facts: SampleFacts) -> list[str]:
    """The sentences of ``text`` that make claims about this image (knowledge sentences removed)."""
    masked = text
    for quoted in sorted(set(facts.knowledge_sentences), key=len, reverse=True):
        if quoted:
            masked = masked.replace(quoted, " ")
    parts = (part.strip() for part in _SPLIT.split(masked))
    return [part for part in parts if part and not _CITATION.search(part)]


def _analyse(text: str, facts: SampleFacts) -> list[_Sentence]:
    labels = sorted({roi.label.lower() for roi in facts.rois if roi.label}, key=len, reverse=True)
    previous: list[RegionFacts] = []
    analysed = []
    for raw in claim_sentences(text, facts):
        sentence = raw.lower()
        rest, named_labels = sentence, set()
        for label in labels:
            if label in rest and _word_plural(label).search(rest):
                named_labels.add(label)
                rest = _strip(rest, [label])
        subjects = [roi for roi in facts.rois if roi.label.lower() in named_labels]
        generic = _GENERIC_SUBJECT.search(rest) is not None
        if not subjects and previous and generic:
            subjects = previous
        named = bool(subjects) or len(facts.rois) == 1
        if subjects:
            previous = subjects
        analysed.append(_Sentence(sentence, subjects or list(facts.rois), named, bool(subjects) or generic))
    return analysed


# ---------------------------------------------------------------------------------------------- checks


def check_modality(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """No sentence may name another modality than the sample's."""
    if facts.modality == "other":
        return []
    own = set(MODALITY_CLAIMS.get(facts.modality, ()))
    for sentence in sentences:
        for modality, phrases in MODALITY_CLAIMS.items():
            if modality == facts.modality:
                continue
            for phrase in phrases:
                if phrase not in own and _mentions(sentence.text, phrase):
                    return [QCIssue("modality_mismatch",
                                    f"text says {phrase!r} but the sample modality is {facts.modality!r}")]
    return []


def check_body_part(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """No sentence may place the image in a body region far from its body part and labels."""
    allowed = regions_of(" ".join([facts.body_part, *facts.labels]))
    if not allowed:
        return []
    for sentence in sentences:
        for region in sorted(regions_of(sentence.text)):
            if not any(regions_compatible(region, known) for known in allowed):
                term = next(t for t in BODY_REGION_TERMS[region] if _mentions(sentence.text, t))
                where = facts.body_part or ", ".join(sorted(allowed))
                return [QCIssue("body_part_mismatch", f"text mentions {term!r} ({region}); the sample shows {where}")]
    return []


_ORGAN_TERMS = ("liver", "spleen", "kidney", "pancreas", "stomach", "gallbladder", "bladder", "prostate", "uterus",
                "lung", "heart", "brain", "thyroid", "breast", "colon", "bowel", "adrenal", "esophagus", "duodenum",
                "rectum", "ovary")
_WITHIN = re.compile(r"(?:within|inside|in|of)\s+the\s+(?:[a-z-]+\s+){0,2}?(" + "|".join(_ORGAN_TERMS) + r")(?![a-z])")


def check_organ(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """A lesion with a measured containing organ must not be placed within another organ."""
    for sentence in sentences:
        placed = [roi for roi in sentence.subjects if roi.kind == "lesion" and roi.containing_organ]
        if not sentence.named or not placed or len(placed) != len(sentence.subjects):
            continue
        text = _strip(sentence.text, [roi.label for roi in placed])
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


_POSITION = re.compile(
    r"(?:(upper|lower|top|bottom|middle|central|centre|center)[\s-]+)?"
    r"(?:(left|right|middle|central|centre|center)[\s-]+)?"
    r"(?:(?:part|portion|region|area|corner|third|half|side|quadrant|aspect|field|section)s?\s+)?"
    r"of\s+the\s+(?:image|frame|picture|field of view|slice)"
)
_POSITION_BEFORE = re.compile(r"(?:image|frame)(?:'s)?\s+(upper|lower|top|bottom)?[\s-]*(left|right)?")
_ANATOMICAL_SIDES = re.compile(
    r"(?:left|right)\s+(?:hepatic\s+|liver\s+)?lobe(?:s)?(?:\s+of\s+the\s+liver)?|(?:left|right)\s+(?:ventricle|atrium)"
)
_VERTICAL = {"upper": "upper", "top": "upper", "lower": "lower", "bottom": "lower"}


def _position_claims(text: str) -> list[tuple[str, str]]:
    claims = []
    for match in _POSITION.finditer(text):
        vertical = _VERTICAL.get(match.group(1) or "", "")
        horizontal = match.group(2) if match.group(2) in {"left", "right"} else ""
        if vertical or horizontal:
            claims.append((vertical, horizontal))
    for match in _POSITION_BEFORE.finditer(text):
        vertical, horizontal = _VERTICAL.get(match.group(1) or "", ""), match.group(2) or ""
        if vertical or horizontal:
            claims.append((vertical, horizontal))
    return claims


def _measured_position(region: str) -> tuple[str, str]:
    words = region.split()
    vertical = next((w for w in words if w in {"upper", "lower"}), "")
    horizontal = next((w for w in words if w in {"left", "right"}), "")
    return vertical, horizontal


_OPPOSITE = {"upper": "lower", "lower": "upper", "left": "right", "right": "left"}


def check_position(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """'Upper/lower/left/right part of the image' must not be opposite to the ROI's measured region."""
    for sentence in (s for s in sentences if s.has_subject):
        candidates = [roi for roi in sentence.subjects if roi.region]
        if not candidates:
            continue
        for vertical, horizontal in _position_claims(sentence.text):
            def contradicts(roi: RegionFacts, vertical: str = vertical, horizontal: str = horizontal) -> bool:
                measured_v, measured_h = _measured_position(roi.region)
                return (bool(vertical) and _OPPOSITE[vertical] == measured_v) or (
                    bool(horizontal) and _OPPOSITE[horizontal] == measured_h)

            if all(contradicts(roi) for roi in candidates):
                claimed = " ".join(word for word in (vertical, horizontal) if word)
                return [QCIssue("position_mismatch", f"text puts the {candidates[0].label} in the {claimed} part of "
                                                     f"the image; measured region: {candidates[0].region}")]
    return []


def _side_claims(sentence: str, facts: SampleFacts) -> set[str]:
    text = _POSITION.sub(" # ", sentence)
    text = _POSITION_BEFORE.sub(" # ", text)
    text = _ANATOMICAL_SIDES.sub(" # ", text)
    text = _strip(text, facts.labels)
    return set(re.findall(r"(?<![a-z])(left|right)(?![a-z])", text))


_CLAUSE = re.compile(r"\s*(?:;|:|,\s*and\s|\band\b|\(|\))\s*")


def _clauses(sentence: _Sentence, options: VerifyOptions) -> list[tuple[str, list[RegionFacts]]]:
    """A sentence about several ROIs split into clauses, each narrowed to the ROIs its size or position fits."""
    if len(sentence.subjects) <= 1:
        return [(sentence.text, sentence.subjects)]
    clauses = []
    for clause in _CLAUSE.split(sentence.text):
        if not clause.strip():
            continue
        fitting = [roi for roi in sentence.subjects if _fits(clause, roi, options)]
        clauses.append((clause, fitting if fitting else sentence.subjects))
    return clauses


def _fits(clause: str, roi: RegionFacts, options: VerifyOptions) -> bool:
    """Whether the sizes and image positions stated in a clause agree with this ROI."""
    for match in _SIZE.finditer(clause):
        kind, factor = _unit_kind(match.group(3))
        values = [float(match.group(1)) * factor] + ([float(match.group(2)) * factor] if match.group(2) else [])
        if _size_supported(kind, values, roi, options) is False:
            return False
    measured_v, measured_h = _measured_position(roi.region)
    for vertical, horizontal in _position_claims(clause):
        if (vertical and _OPPOSITE[vertical] == measured_v) or (horizontal and _OPPOSITE[horizontal] == measured_h):
            return False
    return True



def check_sides(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """The patient's left or right must agree with the measured side of the ROI the sentence speaks of."""
    for sentence in (s for s in sentences if s.has_subject):
        for text, candidates in _clauses(sentence, VerifyOptions()):
            issue = _side_issue(facts, text, candidates)
            if issue is not None:
                return [issue]
    return []


def _side_issue(facts: SampleFacts, text: str, candidates: list[RegionFacts]) -> QCIssue | None:
    if not candidates or any(roi.patient_side not in {"left", "right"} for roi in candidates):
        return None
    for side in sorted(_side_claims(text, facts)):
        if all(roi.patient_side != side for roi in candidates):
            roi = candidates[0]
            return QCIssue("side_mismatch", f"text puts the {roi.label} on the patient's {side}; "
                                            f"measured side is {roi.patient_side}")
    return None


_SIZE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:(?:x|×|by)\s*(\d+(?:\.\d+)?)\s*)?"
    r"(mm2|mm²|mm\^2|cm2|cm²|cm\^2|square\s+millimet(?:re|er)s?|square\s+centimet(?:re|er)s?|"
    r"millimet(?:re|er)s?|centimet(?:re|er)s?|mm|cm|ml|cc|millilit(?:re|er)s?|pixels?|px)(?![a-z0-9²^])"
)


_ACQUISITION = re.compile(r"(?:thickness|spacing|resolution|pixel size|voxel|field of view|fov|interval|increment)"
                          r"[^.;]{0,20}$")


_ACQUISITION_AFTER = re.compile(r"\s*(?:slice|section|pixel|voxel|in-plane)?\s*(?:thickness|spacing|resolution|slices|"
                                r"sections|intervals?|increments?|pixels? spacing|collimation)")


def _unit_kind(unit: str) -> tuple[str, float]:
    """('diameter' | 'area' | 'volume' | 'pixels', factor to mm / mm2 / ml)."""
    if unit in {"mm2", "mm²", "mm^2"} or unit.startswith("square") and "milli" in unit:
        return "area", 1.0
    if unit in {"cm2", "cm²", "cm^2"} or unit.startswith("square"):
        return "area", 100.0
    if unit in {"mm"} or unit.startswith("millimet"):
        return "diameter", 1.0
    if unit in {"cm"} or unit.startswith("centimet"):
        return "diameter", 10.0
    if unit in {"ml", "cc"} or unit.startswith("millilit"):
        return "volume", 1.0
    return "pixels", 1.0


def _close(stated: float, measured: float | None, relative: float, absolute: float = 0.0) -> bool:
    return measured is not None and abs(stated - measured) <= max(relative * abs(measured), absolute)


def _size_supported(kind: str, values: list[float], roi: RegionFacts, options: VerifyOptions) -> bool | None:
    """True/False when the ROI can judge the claim, None when it has no such measurement."""
    if kind == "diameter":
        references = [v for v in (roi.largest_diameter_mm, roi.perpendicular_diameter_mm) if v is not None]
        if not references:
            return None
        longest = max(values)
        if not any(_close(longest, ref, options.size_tolerance, options.size_tolerance_mm) for ref in references):
            return False
        if len(values) > 1:
            shortest = min(values)
            if roi.perpendicular_diameter_mm is not None:
                return any(_close(shortest, ref, options.size_tolerance, options.size_tolerance_mm)
                           for ref in references)
            return shortest <= max(references) * (1 + options.size_tolerance) + options.size_tolerance_mm
        return True
    measured = {"area": roi.area_mm2, "volume": roi.volume_ml, "pixels": roi.area_px}[kind]
    if measured is None:
        return None
    tolerance = options.volume_tolerance if kind == "volume" else options.area_tolerance
    return _close(values[0], float(measured), tolerance, 0.5)


def check_sizes(facts: SampleFacts, sentences: list[_Sentence], options: VerifyOptions) -> list[QCIssue]:
    """Every diameter, area, volume or pixel count stated must match a measurement of the ROI spoken of."""
    for sentence in sentences:
        for match in _SIZE.finditer(sentence.text):
            if _ACQUISITION.search(sentence.text[max(0, match.start() - 40) : match.start()]) or \
                    _ACQUISITION_AFTER.match(sentence.text[match.end() : match.end() + 30]):
                continue  # slice thickness, pixel spacing ...: about the acquisition, not a region
            kind, factor = _unit_kind(match.group(3))
            values = [float(match.group(1)) * factor]
            if match.group(2):
                values.append(float(match.group(2)) * factor)
            verdicts = [_size_supported(kind, values, roi, options) for roi in sentence.subjects]
            judged = [v for v in verdicts if v is not None]
            stated = match.group(0)
            if not judged:
                if kind in {"diameter", "area"}:
                    return [QCIssue("size_unsupported", f"text states {stated!r} but no size in mm was measured")]
                continue
            if not any(judged):
                roi = sentence.subjects[0]
                measured = {
                    "diameter": f"largest diameter {roi.largest_diameter_mm} mm",
                    "area": f"area {roi.area_mm2} mm2",
                    "volume": f"volume {roi.volume_ml} ml",
                    "pixels": f"area {roi.area_px} pixels",
                }[kind]
                return [QCIssue("size_mismatch", f"text states {stated!r} for the {roi.label}; measured {measured}")]
    return []


_COUNT_WORD = (r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+single|single|solitary|"
               r"multiple|several|numerous)")
_COUNT_FILLER = r"\s+(?:separate\s+|distinct\s+|different\s+|discrete\s+|individual\s+)?"


def _claimed_count(word: str) -> tuple[int, bool]:
    """(count, at_least): 'multiple' means two or more."""
    word = word.replace("a ", "").strip()
    if word in {"multiple", "several", "numerous"}:
        return 2, True
    return (int(word), False) if word.isdigit() else (NUMBER_WORDS[word], False)


def check_counts(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """'Two nodules', 'a single lesion', '3 separate regions of X' must match the number of ROIs of that label."""
    measured: dict[str, int] = {}
    for roi in facts.rois:
        same = sum(1 for other in facts.rois if other.label == roi.label)
        measured[roi.label.lower()] = max(measured.get(roi.label.lower(), 0), roi.count_same_label, same)
    lesions = sum(1 for roi in facts.rois if roi.kind == "lesion")
    for sentence in sentences:
        text = re.sub(r"\s+", " ", sentence.text)
        claims: list[tuple[str, str]] = []
        for label in sorted(measured, key=len, reverse=True):
            noun = re.escape(label)
            patterns = (
                rf"(?<![a-z0-9.]){_COUNT_WORD}{_COUNT_FILLER}{noun}(?:s|es)?(?![a-z])",
                rf"(?<![a-z0-9.]){_COUNT_WORD}{_COUNT_FILLER}(?:regions?|areas?|foci|components?|parts?)\s+of\s+"
                rf"(?:the\s+)?{noun}(?![a-z])",
            )
            for pattern in patterns:
                for match in re.finditer(pattern, text):
                    claims.append((label, match.group(1)))
            text = _strip(text, [label])
        if lesions:
            for match in re.finditer(rf"(?<![a-z0-9.]){_COUNT_WORD}{_COUNT_FILLER}(?:lesions|findings|regions of "
                                     rf"interest)(?![a-z])", text):
                claims.append(("", match.group(1)))
        for label, word in claims:
            count, at_least = _claimed_count(word)
            truth = measured[label] if label else lesions
            if (at_least and truth < count) or (not at_least and truth != count):
                name = label or "lesion"
                return [QCIssue("count_mismatch", f"text says {word!r} {name} region(s); measured {truth}")]
    return []


_LOW = ("hypodense", "hypoattenuating", "low attenuation", "low-attenuation", "low density", "hypointense",
        "low signal", "low-signal", "hypoechoic", "anechoic", "lucent", "radiolucent", "lucency", "reduced uptake",
        "decreased uptake", "photopenic", "darker", "lower than")
_HIGH = ("hyperdense", "hyperattenuating", "high attenuation", "high-attenuation", "high density", "hyperintense",
         "high signal", "high-signal", "hyperechoic", "echogenic", "opaque", "radiopaque", "increased uptake",
         "hypermetabolic", "brighter", "higher than")


_WEAK = {"darker", "brighter", "lower than", "higher than"}
_LOW_WORDS = re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, _LOW)) + r")(?![a-z])")
_HIGH_WORDS = re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, _HIGH)) + r")(?![a-z])")


def _direction(word: str) -> str:
    for words in (*INTENSITY_WORDS.values(), ("darker", "of similar brightness", "brighter")):
        if word == words[0]:
            return "low"
        if word == words[2]:
            return "high"
    return ""


def check_intensity(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """Hypo- must not be said of a region measured hyper- (and the reverse), nor 'lower than' for 'higher'."""
    for sentence in (s for s in sentences if s.has_subject):
        for clause, candidates in _clauses(sentence, VerifyOptions()):
            issue = _intensity_issue(facts, clause, candidates)
            if issue is not None:
                return [issue]
    return []


def _intensity_issue(facts: SampleFacts, clause: str, candidates: list[RegionFacts]) -> QCIssue | None:
    directions = [_direction(roi.intensity_word) for roi in candidates]
    if not candidates or not all(directions):
        return None
    text = _strip(clause, facts.labels)
    text = re.sub(r"(?:lower|higher)\s+(?:part|portion|half|third|corner)", " ", text)
    said = {claimed: words.search(text) for claimed, words in (("low", _LOW_WORDS), ("high", _HIGH_WORDS))}
    strong = {claimed: found for claimed, found in said.items() if found and found.group(0) not in _WEAK}
    if strong:  # the modality's own words decide; "darker", "higher than" may describe the surroundings
        said = strong
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


def check_texture(facts: SampleFacts, sentences: list[_Sentence]) -> list[QCIssue]:
    """Homogeneous must not be said of a region measured heterogeneous, nor the reverse."""
    for sentence in (s for s in sentences if s.has_subject):
        for clause, candidates in _clauses(sentence, VerifyOptions()):
            issue = _texture_issue(facts, clause, candidates)
            if issue is not None:
                return [issue]
    return []


def _texture_issue(facts: SampleFacts, clause: str, candidates: list[RegionFacts]) -> QCIssue | None:
    if not candidates or any(not roi.texture for roi in candidates):
        return None
    text = _strip(clause, facts.labels)
    measured = {roi.texture for roi in candidates}
    claims = []
    if _HETEROGENEOUS.search(text):
        claims.append(("heterogeneous", _HETEROGENEOUS.search(text).group(1)))
    if _HOMOGENEOUS.search(_HETEROGENEOUS.sub(" ", text)):
        claims.append(("homogeneous", _HOMOGENEOUS.search(_HETEROGENEOUS.sub(" ", text)).group(1)))
    if len(claims) > 1:
        return None  # both words in one clause: a comparison ("heterogeneous within a homogeneous liver")
    for texture, word in claims:
        if texture not in measured:
            roi = candidates[0]
            return QCIssue("texture_mismatch", f"text calls the {roi.label} {word!r}; measured {roi.texture!r}")
    return None


Check = Callable[[SampleFacts, list[_Sentence]], list[QCIssue]]
CHECKS: tuple[Check, ...] = (
    check_modality, check_body_part, check_organ, check_sides, check_position, check_counts, check_intensity,
    check_texture,
)


def find_issues(facts: SampleFacts, text: str, options: VerifyOptions | None = None) -> list[QCIssue]:
    """Every contradiction between ``text`` and the facts (at most one issue per check)."""
    sentences = _analyse(text, facts)
    issues = [issue for check in CHECKS for issue in check(facts, sentences)]
    issues += check_sizes(facts, sentences, options or VerifyOptions())
    order = {code: i for i, code in enumerate(ISSUE_CODES)}
    return sorted(issues, key=lambda issue: order.get(issue.code, len(order)))


def verify_text(
    facts: SampleFacts, text: str | None, on_contradiction: str = "flag", options: VerifyOptions | None = None
) -> QC:
    """QC of a description text against the facts; any issue sets the status to ``on_contradiction``."""
    if not text or not text.strip():
        return QC(status="reject", issues=[QCIssue("no_description", "no description was generated")])
    issues = find_issues(facts, text, options)
    return QC(status=on_contradiction if issues else "pass", issues=issues)


def verify(sample: Sample, on_contradiction: str = "flag", options: VerifyOptions | None = None) -> QC:
    """Run every check on the sample's description."""
    if sample.description is None:
        return QC(status="reject", issues=[QCIssue("no_description", "no description was generated")])
    return verify_text(SampleFacts.from_sample(sample), sample.description.text, on_contradiction, options)


def verify_row(row: dict, on_contradiction: str = "flag", options: VerifyOptions | None = None) -> QC:
    """Re-check a written triplet row's ``description_text`` against its stored measurements."""
    return verify_text(SampleFacts.from_row(row), row.get("description_text"), on_contradiction, options)
