"""Sizes: every diameter, area, volume or pixel count stated must match a measurement of the piece spoken of.

The piece is found first by what the sentence says of it (its label, "the first / second" one, its
patient side or image position); only then is the size compared, so the size of one piece given to
another, or an extent that spans several pieces, is a ``size_mismatch``. A size in mm, mm2 or ml
where nothing was measured in that unit is ``size_unsupported``.
"""

from __future__ import annotations

import math
import re

from medtrinity.quality.checks.anatomy import anatomy_terms_in
from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, ordinal_mentions
from medtrinity.quality.checks.regions import (
    PIXEL_LENGTH_AFTER,
    SIZE,
    clause_subjects,
    is_acquisition,
    is_distance,
    narrowed,
    size_supported,
    unit_kind,
)
from medtrinity.quality.checks.shortcuts import literals, may_match, sample_memo, text_cache
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.words import article

_DIGIT = literals(*"0123456789")
# a length along the axis a slice does not hold: its pixels measure nothing along it (slices spanned are counted,
# not measured in mm)
_THROUGH_PLANE: dict[str, re.Pattern] = {
    plane: re.compile(rf"(?<![a-z])((?:{words})(?:ly)?)(?![a-z])") for plane, words in {
        "axial": r"cranio-?caudal|cephalo-?caudal|superior[- ]inferior|supero-?inferior|longitudinal",
        "coronal": r"antero-?posterior|anterior[- ]posterior|front[- ]to[- ]back",
        "sagittal": r"left[- ]right|medio-?lateral|latero-?lateral|side[- ]to[- ]side"}.items()
}
_WINDOW_CHARS = 40  # how far from a size its axis word may stand ("a craniocaudal extent of 14 cm")


def through_plane_axis(plane: str, text: str, start: int, end: int) -> str | None:
    """The axis word a size is given along that the slice's plane does not hold ("14 cm craniocaudally" on an
    axial slice), or None."""
    axis = _THROUGH_PLANE.get(plane)
    found = axis.search(text, max(0, start - _WINDOW_CHARS), end + _WINDOW_CHARS) if axis else None
    return found.group(1) if found else None


@text_cache()
def stated_sizes(text: str) -> tuple[tuple[int, str, str, tuple[float, ...]], ...]:
    """(start, stated text, kind, values in the kind's unit) of each region size a sentence states (sizes of the
    acquisition, such as slice thickness, left out)."""
    if not may_match(_DIGIT, text):  # every size starts with a digit
        return ()
    found = []
    for match in SIZE.finditer(text):
        if is_acquisition(text, match) or is_distance(text, match):
            continue  # slice thickness, pixel spacing, "20 mm from the kidney": not a region's size
        kind, factor = unit_kind(match.group(3))
        if kind == "pixels" and (match.group(2) or PIXEL_LENGTH_AFTER.match(text, match.end())):
            kind = "pixel_length"  # "8 pixels across", "12 x 9 pixels": a length, not a pixel count
        values = [float(match.group(1)) * factor]
        if match.group(2):
            values.append(float(match.group(2)) * factor)
        found.append((match.start(), match.group(0), kind, tuple(values)))
    return tuple(found)


def _unmeasured_structure(facts: SampleFacts, text: str) -> str:
    """The structure a sentence that names no described region speaks of, where every structure it names lies
    outside the described regions' labels ("the aorta measures 2 cm" beside a 20 mm liver lesion once passed on
    the lesion's size); "" otherwise."""
    terms = anatomy_terms_in(text)
    if not terms:
        return ""
    labels = sample_memo(facts.memo, "roi_labels", lambda: " | ".join(roi.label.lower() for roi in facts.rois))
    if any(term.rstrip("s") in labels for term in terms):
        return ""
    return terms[0]


def check_sizes(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Stated sizes against the measured sizes of the ROI(s) the sentence speaks of."""
    for sentence in claims(sentences):
        sizes = stated_sizes(sentence.text)
        if not sizes:
            continue
        if not sentence.has_subject:
            unmeasured = _unmeasured_structure(facts, sentence.text)
            if unmeasured:
                return [QCIssue("size_unsupported", f"text states {sizes[0][1]!r} for the {unmeasured}; it is no "
                                                    "described region: nothing measured its size")]
        default = narrowed(sentence, options, ignore_sizes=True) if sentence.has_subject else sentence.subjects
        ordinals = ordinal_mentions(sentence.text, sentence.subjects)
        for start, stated, kind, values in sizes:
            axis = through_plane_axis(facts.plane, sentence.text, start, start + len(stated)) \
                if kind == "diameter" else None
            if axis is not None:
                slice_word = f"{article(facts.plane)} {facts.plane} slice"
                return [QCIssue("size_unsupported", f"text states {stated!r} {axis}; {slice_word} measures nothing "
                                                    "along that axis")]
            before = [roi for position, roi in ordinals if position < start]
            # "the second lesion ... 35 mm": that piece; "the spleen measures ... and the liver 104 x 40 mm": the
            # region its clause names
            candidates = [before[-1]] if before else (clause_subjects(sentence, start) or default)
            verdicts = [size_supported(kind, list(values), roi, options) for roi in candidates]
            judged = [v for v in verdicts if v is not None]
            if not judged:
                if kind in {"diameter", "area", "volume"}:
                    unit = {"diameter": "mm", "area": "mm2", "volume": "ml"}[kind]
                    return [QCIssue("size_unsupported", f"text states {stated!r} but nothing was measured in {unit}")]
                continue
            if not any(judged):
                roi = candidates[0]
                measured = {
                    "diameter": f"largest diameter {roi.largest_diameter_mm} mm",
                    "area": f"area {roi.area_mm2} mm2",
                    "volume": f"volume {roi.volume_ml} ml",
                    "pixels": f"area {roi.area_px} pixels",
                    "pixel_length": f"area {roi.area_px} pixels (a disc of that area is "
                                    f"{2 * ((roi.area_px or 0) / math.pi) ** 0.5:.0f} pixels across)",
                }[kind]
                return [QCIssue("size_mismatch", f"text states {stated!r} for the {roi.label}; measured {measured}")]
    return []
