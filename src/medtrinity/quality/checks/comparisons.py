"""Comparisons between two measured regions: brighter or darker, larger or smaller, and of similar attenuation or size.

"The spleen is hyperdense compared with the liver" compares the two organs' means, not the spleen with its own
surroundings (the intensity check's claim); a model writes such comparisons freely, and the liver-spleen one is the
radiologist's sign of a fatty liver. Both regions must be described ROIs with a measured mean (or area): a
structure that is only context, or the region's own containing organ (its surroundings), is not judged here.

``intensity_mismatch``: "A is hyper-/hypo-<word> (or brighter, darker, of higher or lower attenuation) than /
relative to / compared with B" where A's mean is not above (below) B's; "of similar attenuation to B", "A and B
have similar attenuation" where the means differ by more than the tolerance (10 HU on CT, 10% elsewhere).
``size_mismatch``: "A is larger / smaller than B" where A's area is smaller (larger) than B's by more than a tenth;
"A and B are of similar size" where their areas differ by more than a quarter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, word_pattern
from medtrinity.quality.checks.shortcuts import sample_memo, shortcuts_on, trie_alternation
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QCIssue

_NOUN = r"(?:\s+(?:in\s+)?(?:signal\s+intensity|attenuation|density|signal|intensity|echogenicity|brightness))?"
_THAN = r"\s+(?:relative\s+to|compared\s+(?:with|to)|in\s+comparison\s+(?:with|to)|than|versus|vs\.?|to|as|with)"
_INTENSITY_WORD = (r"(hypo(?:dense|attenuating|intense|echoic)|hyper(?:dense|attenuating|intense|echoic)"
                   r"|iso(?:dense|attenuating|intense|echoic)|(?:radio)?opaque|(?:radio)?lucent|echogenic|anechoic"
                   r"|darker|brighter|lower|higher|greater|less|similar"
                   r"|the\s+same|comparable|equal)")
_SIZE_WORD = r"(larger|bigger|greater\s+in\s+size|smaller|similar\s+in\s+size|the\s+same\s+size|comparable\s+in\s+size)"
_LOW = ("hypo", "darker", "lower", "less", "lucent", "radiolucent", "anechoic")
_HIGH = ("hyper", "brighter", "higher", "greater", "opaque", "radiopaque", "echogenic")
# what every comparison holds, names aside: an intensity or size word and its "than" / "to", or a word of likeness
_QUICK = re.compile(rf"(?<![a-z]){_INTENSITY_WORD}{_NOUN}{_THAN}\s|(?<![a-z]){_SIZE_WORD}{_THAN}\s"
                    r"|similar|same|comparable|equal|iso")
# relative share by which two areas may differ and still be "of similar size"
SIMILAR_AREA_RATIO = 1.25
# "A is larger than B" is false only where A's area is below B's by more than this factor
SIZE_MARGIN = 1.1


@lru_cache(maxsize=1024)
def _patterns(labels: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """(one region compared with another by intensity, by size, two regions said alike) over these ROI labels."""
    names = trie_alternation(labels)
    other = rf"\s+(?:that\s+of\s+|those\s+of\s+)?(?:the\s+)?(?P<other>{names})(?![a-z])"
    by_intensity = re.compile(rf"(?<![a-z]){_INTENSITY_WORD}{_NOUN}{_THAN}{other}")
    by_size = re.compile(rf"(?<![a-z]){_SIZE_WORD}{_THAN}{other}")
    alike = re.compile(rf"(?<![a-z])(?:the\s+)?(?P<first>{names})\s+and\s+(?:the\s+)?(?P<second>{names})\s+(?:are|have|"
                       rf"show|appear|demonstrate)\s+(?:of\s+)?(?:(?P<intensity>similar|the\s+same|comparable|equal|"
                       rf"iso(?:dense|attenuating|intense|echoic))(?:\s+in)?(?P<noun>\s+(?:attenuation|density|signal|"
                       rf"intensity|echogenicity|brightness|size))?|(?P<size>similar\s+in\s+size|the\s+same\s+size))")
    return by_intensity, by_size, alike


def _subject(text: str, before: int, other: RegionFacts, rois: dict[str, RegionFacts],
             sentence: ClaimSentence) -> RegionFacts | None:
    """The region compared: the last ROI label named before the comparison (not the one compared with), else the
    sentence's one subject."""
    named = [(match.start(), roi) for label, roi in rois.items() if roi is not other
             for match in word_pattern(label).finditer(text, 0, before)]
    if named:
        return max(named, key=lambda item: item[0])[1]
    subjects = [roi for roi in sentence.subjects if roi is not other]
    return subjects[0] if len(subjects) == 1 and sentence.named else None


def _comparable(first: RegionFacts, second: RegionFacts) -> bool:
    """Two regions whose means can be compared: both measured, in one unit, neither the other's surroundings."""
    return (first.mean_intensity is not None and second.mean_intensity is not None
            and first.intensity_unit == second.intensity_unit
            and first.containing_organ != second.label and second.containing_organ != first.label)


def _tolerance(first: RegionFacts, second: RegionFacts, options: VerifyOptions) -> float:
    if first.intensity_unit == "HU":
        return options.hu_tolerance
    return 0.1 * max(abs(first.mean_intensity), abs(second.mean_intensity))


def _intensity_verdict(word: str, first: RegionFacts, second: RegionFacts, options: VerifyOptions) -> str | None:
    """Why the comparison of ``first`` with ``second`` is false, or None."""
    difference = first.mean_intensity - second.mean_intensity
    means = (f"means {first.mean_intensity:.0f} and {second.mean_intensity:.0f}"
             f"{' HU' if first.intensity_unit == 'HU' else ''}")
    if word.startswith(_HIGH) and difference <= 0:
        return f"text calls the {first.label} {word!r} against the {second.label}; {means}"
    if word.startswith(_LOW) and difference >= 0:
        return f"text calls the {first.label} {word!r} against the {second.label}; {means}"
    alike = not word.startswith(_HIGH + _LOW)
    if alike and abs(difference) > _tolerance(first, second, options):
        return f"text calls the {first.label} and the {second.label} alike ({word!r}); {means}"
    return None


def _area(roi: RegionFacts) -> float | None:
    return roi.area_mm2 if roi.area_mm2 else (float(roi.area_px) if roi.area_px else None)


def _size_verdict(word: str, first: RegionFacts, second: RegionFacts) -> str | None:
    """Why "larger", "smaller" or "similar in size" is false by the two areas, or None (areas within
    :data:`SIZE_MARGIN` of each other are no order either way)."""
    first_area, second_area = _area(first), _area(second)
    if first_area is None or second_area is None or (first.area_mm2 is None) != (second.area_mm2 is None):
        return None
    sizes = f"areas {first_area:.0f} and {second_area:.0f}{' mm2' if first.area_mm2 else ' pixels'}"
    if word.startswith(("larger", "bigger", "greater")) and first_area < second_area / SIZE_MARGIN:
        return f"text calls the {first.label} larger than the {second.label}; {sizes}"
    if word.startswith("smaller") and first_area > second_area * SIZE_MARGIN:
        return f"text calls the {first.label} smaller than the {second.label}; {sizes}"
    ratio = max(first_area, second_area) / max(min(first_area, second_area), 1e-9)
    if not word.startswith(("larger", "bigger", "greater", "smaller")) and ratio > SIMILAR_AREA_RATIO:
        return f"text calls the {first.label} and the {second.label} alike in size; {sizes}"
    return None


def _described(facts: SampleFacts) -> tuple[dict[str, RegionFacts], tuple[re.Pattern, re.Pattern, re.Pattern]] | None:
    """The described regions by lower-case label and the comparison patterns over them (once per sample); None
    where fewer than two labels are described (two pieces of one label are told apart by place and size, not
    compared here)."""
    def build():
        rois = {roi.label.lower(): roi for roi in facts.rois}
        return (rois, _patterns(tuple(sorted(rois)))) if len(rois) >= 2 else None

    return sample_memo(facts.memo, "comparisons", build)


_FRONTED = re.compile(r"^(compared\s+(?:with|to)|relative\s+to|in\s+comparison\s+(?:with|to))\s+(the\s+[^,;]+),\s+"
                      r"(.+?)([.;!]?)$")


def unfronted(text: str) -> str:
    """A comparison put first said in the usual order: "compared with the liver, the spleen is hyperdense." ->
    "the spleen is hyperdense compared with the liver."."""
    if not text.startswith(("compared", "relative", "in comparison")):
        return text
    found = _FRONTED.match(text)
    return f"{found.group(3)} {found.group(1)} {found.group(2)}{found.group(4)}" if found else text


def _may_compare(text: str) -> bool:
    """False only when the text holds no comparison at all (:data:`_QUICK`)."""
    return not shortcuts_on() or _QUICK.search(text) is not None


def compares_regions(facts: SampleFacts, clause: str) -> bool:
    """Whether a clause compares intensities with another described region (then the intensity check, which judges
    a region against its own surroundings, leaves it to this one)."""
    described = _described(facts)
    clause = unfronted(clause)
    if described is None or not _may_compare(clause):
        return False
    rois, (by_intensity, _by_size, alike) = described
    found = by_intensity.search(clause)
    if found and any(_comparable(roi, rois[found.group("other")]) for roi in facts.rois
                     if roi.label.lower() != found.group("other")):
        return True
    pair = alike.search(clause)
    return bool(pair and pair.group("intensity") and pair.group("first") != pair.group("second"))


def check_comparisons(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A comparison of two described regions' means or sizes must hold for what was measured."""
    described = _described(facts)
    if described is None:
        return []
    rois, (by_intensity, by_size, alike) = described
    for sentence in claims(sentences):
        text = unfronted(sentence.text)
        if not _may_compare(text):
            continue
        for found in by_intensity.finditer(text):
            other = rois[found.group("other")]
            first = _subject(text, found.start(), other, rois, sentence)
            if first is not None and _comparable(first, other):
                why = _intensity_verdict(re.sub(r"\s+", " ", found.group(1)), first, other, options)
                if why:
                    return [QCIssue("intensity_mismatch", why)]
        for found in by_size.finditer(text):
            other = rois[found.group("other")]
            first = _subject(text, found.start(), other, rois, sentence)
            why = None if first is None else _size_verdict(re.sub(r"\s+", " ", found.group(1)), first, other)
            if why:
                return [QCIssue("size_mismatch", why)]
        for found in alike.finditer(text):
            first, second = rois[found.group("first")], rois[found.group("second")]
            if first is second:
                continue
            if found.group("size") or (found.group("noun") or "").strip() == "size":
                why = _size_verdict("similar", first, second)
                code = "size_mismatch"
            else:
                why = _intensity_verdict("similar", first, second, options) if _comparable(first, second) else None
                code = "intensity_mismatch"
            if why:
                return [QCIssue(code, why)]
    return []
