"""Parsing shared by the size, side and appearance checks: stated sizes, image positions and clauses.

A sentence about several ROIs is split into clauses, and each clause narrowed to the ROIs whose
measured size and image position agree with it, so "the first lesion ... 19 mm; the second ... 21 mm"
is judged piece by piece (a size given to the wrong piece is caught).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from medtrinity.quality.checks.base import (
    COMPARED_HINT,
    COMPARED_WITH,
    ORDINALS,
    ClaimSentence,
    VerifyOptions,
    plural_pattern,
)
from medtrinity.quality.checks.shortcuts import literals, may_match, sample_memo
from medtrinity.quality.facts import RegionFacts

SIZE = re.compile(
    r"(\d+(?:\.\d+)?)(?:\s*|-)(?:(?:x|×|by)\s*(\d+(?:\.\d+)?)(?:\s*|-))?"  # "20 mm", "20-mm", "20 x 15 mm"
    r"(mm2|mm²|mm\^2|cm2|cm²|cm\^2|mm3|mm³|mm\^3|cm3|cm³|cm\^3|square\s+millimet(?:re|er)s?|square\s+centimet(?:re|er)s?|"
    r"cubic\s+millimet(?:re|er)s?|cubic\s+centimet(?:re|er)s?|"
    r"millimet(?:re|er)s?|centimet(?:re|er)s?|mm|cm|ml|cc|millilit(?:re|er)s?|pixels?|px)(?![a-z0-9²^])"
)
ACQUISITION_BEFORE = re.compile(r"(?:thickness|spacing|resolution|pixel size|voxel|field of view|fov|interval|"
                                r"increment)[^.;]{0,20}$")
ACQUISITION_AFTER = re.compile(r"\s*(?:thick\s+)?(?:(?:axial|coronal|sagittal|contiguous)\s+)?(?:slice|section|pixel|"
                               r"voxel|in-plane)?\s*(?:thickness|spacing|resolution|slices|sections|intervals?|"
                               r"increments?|pixels? spacing|collimation|(?:slice|section|cut)(?![a-z]))")

POSITION = re.compile(
    r"(?:(upper|lower|top|bottom|middle|central|centre|center)[\s-]+)?"
    r"(?:(left|right|middle|central|centre|center)[\s-]+)?"
    r"(?:(?:part|portion|region|area|corner|third|half|side|quadrant|aspect|field|section)s?\s+)?"
    r"of\s+the\s+(?:image|frame|picture|field of view|slice)"
)
POSITION_BEFORE = re.compile(r"(?:image|frame)(?:'s)?\s+(upper|lower|top|bottom)?[\s-]*(left|right)?")
# pre-filters: a position claim names the image (frame, picture, field of view, slice); a size starts with a digit
_IMAGE_WORD = literals("image", "frame", "picture", "field of view", "slice")
_DIGIT = literals(*"0123456789")
_VERTICAL = {"upper": "upper", "top": "upper", "lower": "lower", "bottom": "lower"}
OPPOSITE = {"upper": "lower", "lower": "upper", "left": "right", "right": "left"}


def is_acquisition(text: str, match: re.Match) -> bool:
    """A size about the acquisition (slice thickness, pixel spacing), not about a region."""
    return bool(ACQUISITION_BEFORE.search(text[max(0, match.start() - 40): match.start()])
                or ACQUISITION_AFTER.match(text[match.end(): match.end() + 30]))


# a length followed or preceded by these words is a distance between structures, not a region's size
DISTANCE_AFTER = re.compile(
    r"\s*(?:away\s+|apart\s+)?(?:from|short\s+of)(?![a-z])|\s*apart(?![a-z])"
    r"|\s*(?:above|below|beneath|under(?:neath)?|anterior|posterior|lateral|medial|superior|inferior|cranial|caudal"
    r"|deep|superficial|proximal|distal|beyond|outside)\s+(?:to\s+|of\s+|from\s+)?(?:the|its|a|an)(?![a-z])"
    r"|\s*to\s+the\s+(?:left|right)\s+of(?![a-z])")
DISTANCE_BEFORE = re.compile(
    r"(?:within|distance\s+of|distance\s+(?:from|to|between)(?![a-z])[^.;]{0,60}?\s+(?:of|is|was|measures?|"
    r"measuring|=)|separated\s+by|gap\s+of|clearance\s+of)\s+(?:about\s+|approximately\s+|roughly\s+|some\s+"
    r"|up\s+to\s+|less\s+than\s+|under\s+|over\s+|nearly\s+|almost\s+|~\s*)?$")


def is_distance(text: str, match: re.Match) -> bool:
    """A length stated as how far apart two structures lie ("20 mm from the kidney", "within 5 mm of the aorta",
    "2 cm below the diaphragm"), not as a region's size."""
    return bool(DISTANCE_AFTER.match(text, match.end()) or DISTANCE_BEFORE.search(text[max(0, match.start() - 80):
                                                                                         match.start()]))


def unit_kind(unit: str) -> tuple[str, float]:
    """('diameter' | 'area' | 'volume' | 'pixels', factor to mm / mm2 / ml)."""
    if unit in {"mm3", "mm³", "mm^3"} or unit.startswith("cubic") and "milli" in unit:
        return "volume", 0.001
    if unit in {"cm3", "cm³", "cm^3"} or unit.startswith("cubic"):
        return "volume", 1.0
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


def close(stated: float, measured: float | None, relative: float, absolute: float = 0.0) -> bool:
    return measured is not None and abs(stated - measured) <= max(relative * abs(measured), absolute)


def size_supported(kind: str, values: list[float], roi: RegionFacts, options: VerifyOptions) -> bool | None:
    """True/False when the ROI can judge the claim, None when it has no such measurement."""
    if kind == "diameter":
        references = [v for v in (roi.largest_diameter_mm, roi.perpendicular_diameter_mm) if v is not None]
        if not references:
            return None
        longest = max(values)
        if not any(close(longest, ref, options.size_tolerance, options.size_tolerance_mm) for ref in references):
            return False
        if len(values) > 1:
            shortest = min(values)
            if roi.perpendicular_diameter_mm is not None:
                return any(close(shortest, ref, options.size_tolerance, options.size_tolerance_mm)
                           for ref in references)
            return shortest <= max(references) * (1 + options.size_tolerance) + options.size_tolerance_mm
        return True
    if kind == "pixel_length":
        return _pixel_length_supported(values, roi)
    measured = {"area": roi.area_mm2, "volume": roi.volume_ml, "pixels": roi.area_px}[kind]
    if measured is None:
        return None
    tolerance = options.volume_tolerance if kind == "volume" else options.area_tolerance
    return close(values[0], float(measured), tolerance, 0.5)


PIXEL_LENGTH_AFTER = re.compile(r"\s*(?:across|wide|long|tall|high|in (?:diameter|length|width|height|extent|"
                                r"(?:largest|greatest|longest|maximal|maximum) (?:dimension|diameter)))(?![a-z])")
# a region's longest extent in pixels lies between the diameter of the disc of its area (no shape of that area is
# shorter: the isodiametric inequality) and a few times it (longer only for thin, elongated shapes)
PIXEL_LENGTH_SHORTEST = 0.8
PIXEL_LENGTH_LONGEST = 4.0


def _pixel_length_supported(values: list[float], roi: RegionFacts) -> bool | None:
    """A length in pixels ("8 pixels across", "12 x 9 pixels"), judged where only the pixel count is measured: the
    longest must fit a region of that many pixels, and a box of the two sides must hold them."""
    if not roi.area_px:
        return None
    disc = 2.0 * (roi.area_px / math.pi) ** 0.5
    longest = max(values)
    if not PIXEL_LENGTH_SHORTEST * disc - 1.0 <= longest <= PIXEL_LENGTH_LONGEST * disc + 1.0:
        return False
    return len(values) < 2 or values[0] * values[1] >= 0.8 * roi.area_px


@lru_cache(maxsize=4096)
def position_claims(text: str) -> tuple[tuple[str, str], ...]:
    """(vertical, horizontal) image-position claims of a text; cached: a clause is tested against every ROI."""
    if not may_match(_IMAGE_WORD, text):
        return ()
    found = []
    for match in POSITION.finditer(text):
        vertical = _VERTICAL.get(match.group(1) or "", "")
        horizontal = match.group(2) if match.group(2) in {"left", "right"} else ""
        if vertical or horizontal:
            found.append((vertical, horizontal))
    for match in POSITION_BEFORE.finditer(text):
        vertical, horizontal = _VERTICAL.get(match.group(1) or "", ""), match.group(2) or ""
        if vertical or horizontal:
            found.append((vertical, horizontal))
    return tuple(found)


@lru_cache(maxsize=4096)
def size_claims(clause: str) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """(kind, values in the kind's unit) of each size a clause states; cached like :func:`position_claims`."""
    if not may_match(_DIGIT, clause):
        return ()
    found = []
    for match in SIZE.finditer(clause):
        kind, factor = unit_kind(match.group(3))
        values = [float(match.group(1)) * factor] + ([float(match.group(2)) * factor] if match.group(2) else [])
        found.append((kind, tuple(values)))
    return tuple(found)


@lru_cache(maxsize=1024)
def measured_position(region: str) -> tuple[str, str]:
    words = region.split()
    vertical = next((w for w in words if w in {"upper", "lower"}), "")
    horizontal = next((w for w in words if w in {"left", "right"}), "")
    return vertical, horizontal


_SIDE_CLAIM = re.compile(r"(?:patient's|patient’s)\s+(left|right)|(left|right)\s+side\s+of\s+the\s+patient|"
                         r"(left|right)\s+cerebral\s+hemisphere")


def fits(clause: str, roi: RegionFacts, options: VerifyOptions, sides: bool = False) -> bool:
    """Whether the sizes and image positions (and with ``sides`` the patient sides) of a clause fit this ROI."""
    for kind, values in size_claims(clause):
        if size_supported(kind, list(values), roi, options) is False:
            return False
    measured_v, measured_h = measured_position(roi.region)
    for vertical, horizontal in position_claims(clause):
        if (vertical and OPPOSITE[vertical] == measured_v) or (horizontal and OPPOSITE[horizontal] == measured_h):
            return False
    if sides and roi.patient_side in {"left", "right"}:
        for match in _SIDE_CLAIM.finditer(clause):
            side = next(group for group in match.groups() if group)
            if side != roi.patient_side:
                return False
    return True


_CLAUSE = re.compile(r"\s*(?:;|:|,\s*and\s|\band\b|\(|\))\s*")
_ORDINAL = re.compile(rf"(?<![a-z])(?:{'|'.join((*ORDINALS, 'other', 'larger', 'smaller', 'largest', 'smallest'))})"
                      r"(?![a-z])")


def clauses(sentence: ClaimSentence, options: VerifyOptions) -> list[tuple[str, list[RegionFacts]]]:
    """A sentence about several ROIs split into clauses, each narrowed to the ROIs its size or position fits.

    Made once per sentence and options: the side, intensity and texture checks all read them.
    """
    if len(sentence.subjects) <= 1:
        return [(sentence.text, sentence.subjects)]
    return sample_memo(sentence.memo, ("clauses", options), lambda: _clauses(sentence, options))


@lru_cache(maxsize=1024)
def _comma_before_label(labels: tuple[str, ...]) -> re.Pattern:
    """A comma that opens a phrase about another region: "the liver on the right measuring 22 cm, the spleen on
    the left ..." (each phrase its own clause, as after "and")."""
    return re.compile(r",\s+(?=(?:the\s+|a\s+|an\s+)?(?:" + "|".join(map(re.escape, labels)) + r")(?![a-z]))")


def _split_clauses(sentence: ClaimSentence) -> list[str]:
    pieces = _CLAUSE.split(sentence.text)
    if "," not in sentence.text or sentence.text.startswith(("compared", "relative", "in comparison")):
        return pieces  # "compared with the liver, the spleen ...": one comparison, not two clauses
    comma = _comma_before_label(tuple(sorted({roi.label.lower() for roi in sentence.subjects}, key=len,
                                             reverse=True)))
    return [part for piece in pieces for part in comma.split(piece)]


def _clauses(sentence: ClaimSentence, options: VerifyOptions) -> list[tuple[str, list[RegionFacts]]]:
    found = []
    previous: list[RegionFacts] | None = None
    for clause in _split_clauses(sentence):
        if not clause.strip():
            continue
        if previous is not None and not size_claims(clause) and not position_claims(clause) and not any(
                roi.label.lower() in clause for roi in sentence.subjects) and not _ORDINAL.search(clause):
            found.append((clause, previous))  # "... and homogeneous": still the ROI the sentence narrowed to
            continue
        fitting = [roi for roi in _named_in(clause, sentence.subjects) if fits(clause, roi, options)]
        if len(fitting) > 1:  # "the 19.2 mm lesion" beside a 20.6 mm one: both fit the tolerance, one the number
            fitting = _named_by_diameter(clause, fitting) or fitting
        fitting = fitting or sentence.subjects
        found.append((clause, fitting))
        if len(fitting) < len(sentence.subjects):
            previous = fitting
    return found


def clause_subjects(sentence: ClaimSentence, position: int) -> list[RegionFacts]:
    """The regions the clause holding ``position`` names as its subject ("... and the liver 104 x 40 mm": the
    liver), [] where it names none of the sentence's subjects or all of them."""
    if len(sentence.subjects) < 2:
        return []
    cursor = 0
    for piece in _split_clauses(sentence):
        start = sentence.text.find(piece, cursor)
        if start < 0:
            return []
        cursor = start + len(piece)
        if start <= position < cursor:
            if may_match(COMPARED_HINT, piece) and COMPARED_WITH.search(piece):
                return []  # "223 mm, larger than the spleen at 104 mm": a size may be the compared one's
            named = _named_in(piece, sentence.subjects)
            return named if len(named) < len(sentence.subjects) else []
    return []


def _named_in(clause: str, subjects: list[RegionFacts]) -> list[RegionFacts]:
    """The subjects a clause names as what it speaks of ("the spleen on the right" after a clause about the
    liver), not as what it compares with ("hypodense relative to the spleen"); all of them where it names none."""
    cut = COMPARED_WITH.search(clause) if may_match(COMPARED_HINT, clause) else None
    head = clause[: cut.start()] if cut else clause
    named = [roi for roi in subjects if roi.label.lower() in head and plural_pattern(roi.label).search(head)]
    return named or subjects


def _named_by_diameter(clause: str, rois: list[RegionFacts]) -> list[RegionFacts]:
    """The ROIs whose largest diameter is the one the clause states, to its last written digit (the composer names
    one of several pieces of a label by it); [] when the clause states none or none is exact."""
    stated = [(match.group(1), float(match.group(1))) for match in SIZE.finditer(clause)
              if unit_kind(match.group(3)) == ("diameter", 1.0) and not match.group(2)]
    if not stated:
        return []
    exact = []
    for roi in rois:
        if roi.largest_diameter_mm is None:
            continue
        for written, value in stated:
            decimals = len(written.split(".")[1]) if "." in written else 0
            if abs(round(roi.largest_diameter_mm, decimals) - value) < 1e-6:
                exact.append(roi)
                break
    return exact


def narrowed(sentence: ClaimSentence, options: VerifyOptions, ignore_sizes: bool = False) -> list[RegionFacts]:
    """The subjects a whole sentence's position and side claims fit (all of them when none fits)."""
    text = SIZE.sub(" ", sentence.text) if ignore_sizes else sentence.text
    fitting = [roi for roi in sentence.subjects if fits(text, roi, options, sides=True)]
    return fitting or sentence.subjects
