"""Numbers: each carries a unit, and each unit's number was measured.

``number_without_unit``: a bare number ("measuring 35 x 26", "a mean of 217") that is not part
of a name (L2, T1-weighted, 10th rib). ``number_unsupported``: HU, percent (of the image, or of a
region's mean against its surroundings') or slice counts that no measurement gives (HU on an MRI). An HU value
is judged against the structure it is given to ("44 HU in the liver", the sentence's subject), not against any
value measured in the sample: one organ's mean given to another passed that way.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import COMPARED_WITH, GENERIC_SUBJECT, ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.regions import close, narrowed
from medtrinity.quality.checks.shortcuts import literals, may_match, sample_memo, text_cache
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.modalities import ratio_of_means_percent
from medtrinity.vocab.words import NUMBER_WORDS

_NUMBER = re.compile(r"(?<![a-z0-9.\-])(-?\d+(?:\.\d+)?)")
_UNITS = (r"(?:mm2|mm²|mm\^2|cm2|cm²|mm3|mm³|mm\^3|cm3|cm³|mm|cm|ml|cc|hu|%|percent|per cent|pixels?|px|slices?|"
          r"sections?|millimet|centimet|millilit|square|cubic|hounsfield|kvp|kv|mas)(?![a-z])")
# what joins numbers that share the unit after the last: "80 vs 89 HU", "20 to 30 mm", "44 and 33 HU", "12/15 mm"
_SHARING = r"vs\.?|versus|and|to|or|–|/|,"
_UNIT_AFTER = re.compile(
    rf"(?:\s*|-){_UNITS}|\s*(?:x|×|by)\s*-?\d|"
    rf"(?:\s*(?:{_SHARING}|-)\s*-?\d+(?:\.\d+)?)+(?:\s*|-){_UNITS}|"  # a hyphen joins "20-30 mm" too
    r"\s+(?:(?:other|separate|labelled|labeled|marked|anatomical|segmented|outlined|annotated|distinct|different)\s+)*"
    r"(?:structures|regions|pieces|lesions|labels|organs)(?![a-z])|"
    r"\s+(?:consecutive|contiguous|adjacent|axial|successive)\s+(?:slices|sections)(?![a-z])|"
    r"x(?![a-z0-9])(?!\s*\d)"  # a magnification, "40x" (the technique check's claim)
)
_PART_OF_NAME = re.compile(r"(?:st|nd|rd|th)(?![a-z])|-(?:weighted|year|fold)|\s*(?:o'clock|years?)")
_HU = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:hu|hounsfield units?)(?![a-z])")
# the numbers before one HU unit that share it: "60 and 80 HU", "80 vs 89 HU" (the last is _HU's)
_HU_SHARED = re.compile(rf"(?<![\d.])(-?\d+(?:\.\d+)?)(?=(?:\s*(?:{_SHARING})\s*-?\d+(?:\.\d+)?)+"
                        r"\s*(?:hu|hounsfield units?)(?![a-z]))")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)")
_SLICE_FILLER = r"(?:consecutive\s+|contiguous\s+|adjacent\s+|axial\s+|successive\s+)?"
_SLICES = re.compile(r"(\d+)\s*" + _SLICE_FILLER + r"(?:slices|sections)(?![a-z])")
# a slice count in words ("spanning six slices", "nine consecutive sections"): the composer's own form too
_SLICE_WORDS = re.compile(r"(?<![a-z-])(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
                          + _SLICE_FILLER + r"(?:slices|sections)(?![a-z])")
# percentage points a stated cardiothoracic ratio may lie from the measured one ("about 50%" for 0.526)
CTR_TOLERANCE_POINTS = 3.0


_DIGIT = literals(*"0123456789")
# a ratio the experts measure, written as a fraction ("a cardiothoracic ratio of 0.53", "cup-to-disc ratio is about
# 0.5"): a number without a unit by nature. Name -> the measurement that judges it
_RATIO_NAMES = {"cardiothoracic": "cardiothoracic_ratio", "cup-to-disc": "cup_to_disc_ratio",
                "cup to disc": "cup_to_disc_ratio", "c/d": "cup_to_disc_ratio", "cdr": "cup_to_disc_ratio"}
_NAMED_RATIO = re.compile(r"(?<![a-z])(cardiothoracic|cup-to-disc|cup to disc|c/d|cdr)(?![a-z])[^.;%]{0,40}?"
                          r"(?<![\d.])(0?\.\d+|1\.0+|0|1)(?![\d%])(?!\.\d)(?!\s*(?:%|percent|per cent))")
_RATIO_HINT = literals("cardiothoracic", "cup", "c/d", "cdr")
# how far a stated fraction may lie from a measured cup-to-disc ratio ("about 0.5" for 0.485): its usual precision
CDR_TOLERANCE = 0.05


@text_cache()
def named_ratios(text: str) -> tuple[tuple[int, str, float, str], ...]:
    """(start, measurement name, value, stated text) of each measured ratio a sentence gives as a fraction."""
    if not may_match(_RATIO_HINT, text):
        return ()
    return tuple((match.start(2), _RATIO_NAMES[match.group(1)], float(match.group(2)), match.group(2))
                 for match in _NAMED_RATIO.finditer(text))


@text_cache()
def bare_number(text: str) -> str | None:
    """The first digit-written number of a sentence with no unit after it, not part of a name and not a measured
    ratio's fraction, or None."""
    if not may_match(_DIGIT, text):
        return None
    fractions = {start for start, *_rest in named_ratios(text)}
    for match in _NUMBER.finditer(text):
        after = text[match.end():]
        if _UNIT_AFTER.match(after) or _PART_OF_NAME.match(after) or match.start() in fractions:
            continue
        if "rads" in text or "classification" in text or "grade" in text or "stage" in text:
            if _SCALE_BEFORE.search(text[max(0, match.start() - 30): match.start()]):
                continue  # "BI-RADS 3", "Paris classification 0-Is": a category, the patient check's reading
        return match.group(1)
    return None


# a category on a clinical scale, named before its number (a reading the patient check flags, not a unitless size)
_SCALE_BEFORE = re.compile(r"(?:[a-z]+-?rads|classification|grade|stage|category)\s*(?:category\s*)?[:\s]*$")


def check_units(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Every digit-written number is followed by a unit (or is part of a name such as L2 or 10th)."""
    for sentence in claims(sentences):
        number = bare_number(sentence.text)
        if number is not None:
            return [QCIssue("number_without_unit", f"text states the number {number!r} without a unit "
                                                   f"in {sentence.text[:80]!r}")]
    return []


@text_cache()
def stated_numbers(text: str) -> tuple[tuple[tuple[float, str], ...], tuple[tuple[float, str], ...],
                                       tuple[tuple[int, str], ...]]:
    """(value, stated text) of each HU value, each percentage and each slice count a sentence states."""
    spelled = tuple((NUMBER_WORDS[match.group(1)], match.group(0)) for match in _SLICE_WORDS.finditer(text)) \
        if "slices" in text or "sections" in text else ()
    if not may_match(_DIGIT, text):
        return (), (), spelled
    return (tuple((float(match.group(1)), match.group(0)) for match in _HU.finditer(text)),
            tuple((float(match.group(1)), match.group(0)) for match in _PERCENT.finditer(text)),
            tuple((int(match.group(1)), match.group(0)) for match in _SLICES.finditer(text)) + spelled)


def _hu_values(facts: SampleFacts) -> list[float]:
    values = []
    for roi in facts.rois:
        if roi.intensity_unit == "HU" and roi.mean_intensity is not None:
            values.append(roi.mean_intensity)
            if roi.contrast_to_surround is not None:
                values.extend([roi.mean_intensity - roi.contrast_to_surround, abs(roi.contrast_to_surround)])
    return values


_HU_IN = re.compile(r"\s+(?:in|of|for|within|inside)\s+(?:the\s+)?")
_SURROUND_AFTER = re.compile(r"\s+(?:in|of|for)\s+(?:the\s+)?(?:surrounding|adjacent|neighbouring|neighboring|"
                             r"background)(?![a-z])")
_CONTRAST_WORDS = re.compile(r"(?<![a-z])(?:higher|lower|above|below|more|less|greater|difference|differs?|"
                             r"contrast|brighter|darker|against|relative|compared|than|by)(?![a-z])")


def _hu_quantities(roi: RegionFacts, which: str) -> list[float]:
    """The HU values of one region a stated number may be: its ``mean``, its ``surround`` mean, or ``any`` (either,
    or the difference between them)."""
    if roi.intensity_unit != "HU" or roi.mean_intensity is None:
        return []
    surround = [] if roi.contrast_to_surround is None else [roi.mean_intensity - roi.contrast_to_surround]
    if which == "mean":
        return [roi.mean_intensity]
    if which == "surround":
        return surround
    difference = [] if roi.contrast_to_surround is None else [abs(roi.contrast_to_surround)]
    return [roi.mean_intensity, *surround, *difference]


def _hu_known(facts: SampleFacts, sentence: ClaimSentence, options: VerifyOptions, match: re.Match
              ) -> tuple[list[float], str] | None:
    """The values one stated HU number may be, and whose they are; None where the sentence does not say whose.

    "44 HU in the liver" is the liver's mean; "against 20 HU in the surrounding tissue" its surroundings'; "the
    liver's mean attenuation is 60 HU" its mean, and only where the sentence compares ("30 HU above its
    surroundings") the difference too. A number stated of a structure nothing measured in HU (a context organ)
    matches nothing.
    """
    text, after = sentence.text, sentence.text[match.end():]
    if _SURROUND_AFTER.match(after):
        owners = narrowed(sentence, options) if sentence.has_subject and sentence.named else []
        return ([value for roi in owners for value in _hu_quantities(roi, "surround")], "the surroundings") \
            if owners else None
    named_in = _HU_IN.match(after)
    if named_in:
        rest = after[named_in.end():]
        names = sample_memo(facts.memo, "hu_owner_names", lambda: sorted(
            {*(roi.label.lower() for roi in facts.rois), *(name.lower() for name in facts.labels)}, key=len,
            reverse=True))
        named = next((name for name in names if rest.startswith(name) and not rest[len(name):len(name) + 1].isalpha()),
                     None)
        if named is not None:
            owners = [roi for roi in facts.rois if roi.label.lower() == named]
            return [value for roi in owners for value in _hu_quantities(roi, "mean")], f"the {named}"
    nearest = _named_just_before(facts, text, match)
    if nearest is not None:
        owners = [roi for roi in facts.rois if roi.label.lower() == nearest]
        which = "any" if _CONTRAST_WORDS.search(text) else "mean"
        return [value for roi in owners for value in _hu_quantities(roi, which)], f"the {nearest}"
    if not (sentence.has_subject and sentence.named):
        return None
    owners = narrowed(sentence, options)
    which = "any" if _CONTRAST_WORDS.search(text) else "mean"
    values = [value for roi in owners for value in _hu_quantities(roi, which)]
    if which == "any":  # "hypoattenuating relative to the liver by about 10 HU": two regions' means apart
        means = [roi.mean_intensity for roi in owners if roi.intensity_unit == "HU" and roi.mean_intensity is not None]
        values += [abs(a - b) for i, a in enumerate(means) for b in means[i + 1:]]
    return values, " and ".join(f"the {roi.label}" for roi in owners)


def _named_just_before(facts: SampleFacts, text: str, match: re.Match) -> str | None:
    """The structure named last between the previous HU value and this one ("the liver 44 HU, the colon -501 HU
    and the spleen 34 HU"; "the spleen (34 HU)"), where nothing after the name speaks of another thing ("in the
    liver, the lesion measures -5 HU" is the lesion's) and no comparison stands between ("hypoattenuating relative
    to the liver by 10 HU" is two regions' difference); None otherwise."""
    since = max((found.end() for found in _HU.finditer(text, 0, match.start())), default=0)
    segment = text[since: match.start()]
    names = sample_memo(facts.memo, "hu_owner_names", lambda: sorted(
        {*(roi.label.lower() for roi in facts.rois), *(name.lower() for name in facts.labels)}, key=len,
        reverse=True))
    last, last_end = None, -1
    for name in names:
        at = segment.rfind(name)
        if at >= 0 and at + len(name) > last_end and not segment[at + len(name): at + len(name) + 1].isalpha() \
                and (at == 0 or not segment[at - 1].isalpha()):
            last, last_end = name, at + len(name)
    if last is None or GENERIC_SUBJECT.search(segment, last_end) or COMPARED_WITH.search(segment):
        return None
    return last


def check_measured_numbers(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions
                           ) -> list[QCIssue]:
    """HU values, percentages and slice counts must each match something measured."""
    hu = _hu_values(facts)
    shares = [100.0 * roi.area_px / facts.image_area_px for roi in facts.rois
              if roi.area_px and facts.image_area_px]
    shares += [abs(percent) for roi in facts.rois if (percent := ratio_of_means_percent(
        roi.mean_intensity, roi.contrast_to_surround, roi.intensity_unit, facts.modality)) is not None]
    ratios = [100.0 * ratio for roi in facts.rois if (ratio := roi.measurement("cardiothoracic_ratio")) is not None]
    slices = {roi.slices_spanned for roi in facts.rois if roi.slices_spanned}
    for sentence in claims(sentences):
        issue = _ratio_issue(facts, sentence.text)
        if issue is not None:
            return [issue]
        hu_stated, percents, slice_counts = stated_numbers(sentence.text)
        for match in (_HU_SHARED.finditer(sentence.text) if hu_stated else ()):
            # each shares the unit of the last; whose it is the sentence does not say one by one: the mean of any
            # structure it speaks of (or, naming none, any measured value)
            owners = narrowed(sentence, options) if sentence.has_subject and sentence.named else []
            known = [value for roi in owners for value in _hu_quantities(roi, "mean")] if owners else hu
            if not any(close(float(match.group(1)), measured, 0.1, options.hu_tolerance) for measured in known):
                return [QCIssue("number_unsupported", f"text states {match.group(1)!r} HU (sharing the next number's "
                                                      "unit); no measured HU value of what it speaks of is close")]
        for match in (_HU.finditer(sentence.text) if hu_stated else ()):
            value, stated = float(match.group(1)), match.group(0)
            owned = _hu_known(facts, sentence, options, match)
            known, whose = (hu, "") if owned is None else owned
            if not any(close(value, measured, 0.1, options.hu_tolerance) for measured in known):
                if owned is not None:
                    measured = (f"measured in {whose}: " + ", ".join(f"{v:.0f} HU" for v in known)) if known else \
                        f"nothing was measured in HU in {whose}"
                else:
                    measured = "nothing was measured in HU" if not hu else "no measured HU value is close"
                return [QCIssue("number_unsupported", f"text states {stated!r}; {measured}")]
        if not percents and not slice_counts:
            continue
        # a cardiothoracic ratio is checked against the measured ratio only, not against any share of the image,
        # and within a few points, not a share's relative margin: 53% and 68% are a normal and a large heart
        ctr = "cardiothoracic" in sentence.text.lower()
        known = ratios if ctr else shares
        for value, stated in percents:
            if ctr and not any(abs(value - ratio) <= CTR_TOLERANCE_POINTS for ratio in known):
                return [QCIssue("number_unsupported", f"text states a cardiothoracic ratio of {stated!r}; measured "
                                                      + (", ".join(f"{ratio:.0f}%" for ratio in known) or "none"))]
            if not ctr and not any(close(value, share, options.percent_tolerance, 1.0) for share in known):
                return [QCIssue("number_unsupported", f"text states {stated!r}; no measured share is close")]
        for count, stated in slice_counts:
            if count not in slices:
                return [QCIssue("number_unsupported", f"text states {stated!r}; measured slice spans: "
                                                      f"{sorted(slices) or 'none'}")]
    return []


def _ratio_issue(facts: SampleFacts, text: str) -> QCIssue | None:
    """A measured ratio given as a fraction, against the measurement (a cardiothoracic ratio within a few points,
    a cup-to-disc ratio within its usual precision)."""
    for _start, name, value, stated in named_ratios(text):
        measured = [ratio for roi in facts.rois if (ratio := roi.measurement(name)) is not None]
        tolerance = CTR_TOLERANCE_POINTS / 100 if name == "cardiothoracic_ratio" else CDR_TOLERANCE
        if not any(abs(value - ratio) <= tolerance + 1e-9 for ratio in measured):
            what = name.replace("_", " ")
            return QCIssue("number_unsupported", f"text states a {what} of {stated}; measured "
                                                 + (", ".join(f"{ratio:.2f}" for ratio in measured) or "none"))
    return None
