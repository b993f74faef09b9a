"""Planted errors: one mutation function per error type, to measure what the verifier catches.

Each function takes a correct description text and the sample's facts and returns the text
with exactly one kind of error planted (every occurrence of the chosen claim changed, so the
text does not contradict itself), or ``None`` when the text makes no such claim. The mutation
set (tests and ``benchmarks/generation.py``) runs them over correct descriptions and counts how
many the verifier catches, and checks that the unmutated originals raise no alarm.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from medtrinity.quality.facts import SampleFacts
from medtrinity.quality.model_mistakes import MODEL_MISTAKE_CODES, MODEL_MISTAKES
from medtrinity.vocab.modalities import INTENSITY_WORDS, MODALITY_NAMES
from medtrinity.vocab.regions import regions_of
from medtrinity.vocab.words import NUMBER_WORDS, number_word

Mutation = Callable[[str, SampleFacts, int], "str | None"]

_WRONG_MODALITY = {"ct": "mri", "mri": "ct", "xray": "ultrasound", "ultrasound": "ct", "pet": "mri"}
_FAR_BODY_PART = {"head": "abdomen", "eye": "abdomen", "neck": "pelvis", "chest": "pelvis", "breast": "brain",
                  "abdomen": "brain", "pelvis": "brain", "limb": "brain"}


def _replace_word(text: str, old: str, new: str, flags: int = 0) -> str:
    return re.sub(rf"(?<![A-Za-z]){re.escape(old)}(?![A-Za-z])", new, text, flags=flags)


def wrong_modality(text: str, facts: SampleFacts, seed: int) -> str | None:
    """'CT' -> 'MRI' (and so on) wherever the sample's modality is named."""
    if facts.modality not in _WRONG_MODALITY:
        return None
    old, new = MODALITY_NAMES[facts.modality], MODALITY_NAMES[_WRONG_MODALITY[facts.modality]]
    mutated = _replace_word(text, old, new)
    return mutated if mutated != text else None


def wrong_body_part(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The body part named in the text replaced by a far one (abdomen -> brain)."""
    if not facts.body_part:
        return None
    regions = sorted(regions_of(facts.body_part))
    if not regions or regions[0] not in _FAR_BODY_PART:
        return None
    mutated = _replace_word(text, facts.body_part, _FAR_BODY_PART[regions[0]])
    return mutated if mutated != text else None


_SIDE = re.compile(r"(patient's |side of the patient's body|\bthe )(left|right)(?=[ ,.;])")
_PATIENT_SIDE = re.compile(r"(?<=patient's )(left|right)(?![a-z])")


def wrong_side(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The patient's left for right (and the reverse) in every side claim of the text."""
    if not any(roi.patient_side in {"left", "right"} for roi in facts.rois):
        return None
    mutated = _PATIENT_SIDE.sub(lambda m: "right" if m.group(1) == "left" else "left", text)
    mutated = re.sub(r"(?<=on the )(left|right)(?= side of the patient's body)",
                     lambda m: "right" if m.group(1) == "left" else "left", mutated)
    return mutated if mutated != text else None


_MM = re.compile(r"(\d+(?:\.\d+)?)(\s*(?:x|by)\s*)?(\d+(?:\.\d+)?)?(\s*mm)(?![0-9a-z²])")
SIZE_FACTORS = (2.0, 0.5, 3.0, 0.4)


def wrong_size(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Every diameter in mm multiplied by a factor (2, 0.5, 3 or 0.4, chosen by the seed)."""
    factor = SIZE_FACTORS[seed % len(SIZE_FACTORS)]
    sizes = [float(match.group(1)) for match in _MM.finditer(text)]
    if sizes and min(sizes) * abs(1 - factor) <= 3.0:
        factor = 3.0  # a change inside the verifier's absolute tolerance (1.5 mm) would plant no error

    def scale(match: re.Match) -> str:
        first = f"{float(match.group(1)) * factor:.1f}"
        if match.group(3):
            return f"{first}{match.group(2)}{float(match.group(3)) * factor:.1f}{match.group(4)}"
        return f"{first}{match.group(2) or ''}{match.group(4)}"

    mutated = _MM.sub(scale, text)
    return mutated if mutated != text else None


_COUNT_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w not in {"single", "solitary"}), key=len, reverse=True))


def wrong_count(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The stated number of regions of a label changed (a single -> two, three -> four or two)."""
    labels = sorted({roi.label for roi in facts.rois}, key=len, reverse=True)
    for label in labels:
        noun = re.escape(label)
        single = re.compile(rf"\b(?:A|a) single {noun}\b(?: is marked)?|\b(?:One|one) {noun}\b( is present)?")
        match = single.search(text)
        if match:
            replacement = f"two {label}s" + (" are marked" if "marked" in match.group(0) else "")
            replacement += " are present" if match.group(1) else ""
            replacement = replacement[:1].upper() + replacement[1:] if match.group(0)[0].isupper() else replacement
            return text[: match.start()] + replacement + text[match.end():]
        described = re.compile(rf"\b(?:A|An) (?:[a-z-]+, )*(?:[a-z-]+ )?{noun} (lies|is seen|is present)\b")
        match = described.search(text)
        if match and sum(1 for roi in facts.rois if roi.label == label) == 1:  # "Two lung tumours are seen ..."
            verb = {"lies": "lie", "is seen": "are seen", "is present": "are present"}[match.group(1)]
            return text[: match.start()] + f"Two {label}s {verb}" + text[match.end():]
        plural = re.compile(rf"\b({_COUNT_WORDS}|\d+)(\s+(?:separate|distinct)\s+(?:regions of )?{noun})",
                            re.IGNORECASE)
        match = plural.search(text)
        if match:
            word = match.group(1).lower()
            count = int(word) if word.isdigit() else NUMBER_WORDS[word]
            new = number_word(count + 1 if seed % 2 == 0 or count <= 2 else count - 1)
            new = new[:1].upper() + new[1:] if match.group(1)[0].isupper() else new
            return text[: match.start()] + new + match.group(2) + text[match.end():]
    return None


def wrong_intensity(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Hyper- for hypo- (and the reverse) in the modality's own words."""
    words = INTENSITY_WORDS.get(facts.modality, ("darker", "", "brighter"))
    low, high = words[0], words[2]
    swapped = re.sub(rf"(?<![a-z])({re.escape(low)}|{re.escape(high)})(?![a-z])",
                     lambda m: high if m.group(1) == low else low, text)
    return swapped if swapped != text else None


def _swap_words(text: str, swaps: dict[str, str]) -> str | None:
    """Every whole word of ``swaps`` replaced by its partner, all at once (so a swap is not swapped back)."""
    pattern = re.compile(r"(?<![A-Za-z-])(" + "|".join(map(re.escape, sorted(swaps, key=len, reverse=True)))
                         + r")(?![A-Za-z-])")
    mutated = pattern.sub(lambda m: swaps[m.group(1)], text)
    return mutated if mutated != text else None


def wrong_texture(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Homogeneous for heterogeneous (and the reverse)."""
    return _swap_words(text, {"homogeneous": "heterogeneous", "heterogeneous": "homogeneous"})


def wrong_shape(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A convex outline for an uneven one (round -> lobulated, oval -> irregular) and the reverse."""
    return _swap_words(text, {"round": "lobulated", "oval": "irregular", "lobulated": "round", "irregular": "oval"})


def wrong_margin(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Well-defined for ill-defined margins (and the reverse)."""
    return _swap_words(text, {"well-defined": "ill-defined", "ill-defined": "well-defined"})


def wrong_position(text: str, facts: SampleFacts, seed: int) -> str | None:
    """'Upper' for 'lower' (and left for right) in where-in-the-image phrases."""
    pattern = re.compile(r"\b(upper|lower|left|right)((?: (?:left|right))? (?:part|portion|area) of the image)")
    opposite = {"upper": "lower", "lower": "upper", "left": "right", "right": "left"}
    mutated = pattern.sub(lambda m: opposite[m.group(1)] + m.group(2), text)
    return mutated if mutated != text else None


def wrong_organ(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The containing organ of a lesion replaced by another organ ('within the liver' -> 'within the kidney')."""
    for roi in facts.rois:
        if roi.containing_organ:
            organ = re.escape(roi.containing_organ)
            other = "kidney" if "kidney" not in roi.containing_organ and "kidney" not in roi.neighbours else "lung"
            pattern = re.compile(rf"((?:within|contained in|inside|located in|situated in|sits in) the "
                                 rf"(?:[a-z-]+ ){{0,4}}?){organ}\b")
            mutated = pattern.sub(lambda m, other=other: f"{m.group(1)}{other}", text)
            if mutated != text:
                return mutated
    return None


MUTATIONS: dict[str, Mutation] = {
    "modality": wrong_modality,
    "body_part": wrong_body_part,
    "side": wrong_side,
    "size": wrong_size,
    "count": wrong_count,
    "intensity": wrong_intensity,
    "position": wrong_position,
    "organ": wrong_organ,
    "texture": wrong_texture,
    "shape": wrong_shape,
    "margin": wrong_margin,
}

EXPECTED_CODES: dict[str, set[str]] = {
    "modality": {"modality_mismatch"},
    "body_part": {"body_part_mismatch"},
    "side": {"side_mismatch"},
    "size": {"size_mismatch"},
    "count": {"count_mismatch"},
    "intensity": {"intensity_mismatch"},
    "position": {"position_mismatch"},
    "organ": {"organ_mismatch", "body_part_mismatch"},
    "texture": {"texture_mismatch"},
    "shape": {"shape_mismatch"},
    "margin": {"margin_mismatch"},
}


MUTATIONS.update(MODEL_MISTAKES)
EXPECTED_CODES.update(MODEL_MISTAKE_CODES)


def run_mutation_set(cases: list[tuple[str, str, SampleFacts]], verify_text) -> dict:
    """Plant every mutation in every ``(case_id, text, facts)``; count catches and false alarms.

    Returns ``{"originals": n, "false_alarms": [...], "types": {type: {"planted", "caught", "missed": [...]}}}``.
    A plant is caught when the verifier reports the type's expected code.
    """
    report: dict = {"originals": len(cases), "false_alarms": [], "types": {}}
    for number, (case_id, text, facts) in enumerate(cases):
        qc = verify_text(facts, text)
        if qc.issues:
            report["false_alarms"].append({"case": case_id, "issues": [i.message for i in qc.issues]})
        for name, mutate in MUTATIONS.items():
            counts = report["types"].setdefault(name, {"planted": 0, "caught": 0, "missed": []})
            mutated = mutate(text, facts, number)
            if mutated is None or mutated == text:
                continue
            counts["planted"] += 1
            codes = {issue.code for issue in verify_text(facts, mutated).issues}
            if codes & EXPECTED_CODES[name]:
                counts["caught"] += 1
            else:
                counts["missed"].append({"case": case_id, "codes": sorted(codes), "text": mutated})
    planted = sum(t["planted"] for t in report["types"].values())
    caught = sum(t["caught"] for t in report["types"].values())
    report["planted"], report["caught"] = planted, caught
    report["catch_rate"] = caught / planted if planted else 1.0
    return report
