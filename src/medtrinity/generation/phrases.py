"""Phrases the composer builds from one ROI's measurements: where it is, how big, how it looks.

Rules (docs/description-quality.md): every number carries a physical unit (mm, mm2, ml, HU, %);
the long axis (one decimal below 100 mm) is never printed shorter than the short axis; a label in
several pieces is sized by its largest piece and the count is said; location is in the patient's terms (side, anterior /
posterior, superior / inferior, hemisphere) when the orientation is known, in image terms only when
it is not; raw intensities of MRI, X-ray or normalised images are never printed, only the words.
"""

from __future__ import annotations

from medtrinity.records import BOX_ORIGIN, ROI, Sample
from medtrinity.vocab.modalities import ratio_of_means_percent
from medtrinity.vocab.words import join_words

_ADVERB = {"anterior": "anteriorly", "posterior": "posteriorly", "superior": "superiorly", "inferior": "inferiorly"}
_BRAIN = {"brain", "head", "skull"}


def axes_mm(roi: ROI) -> tuple[str, str | None]:
    """(long, short) axis strings in mm; the short one never reads longer than the long one."""
    long_mm = roi.largest_diameter_mm or 0.0
    short_mm = roi.perpendicular_diameter_mm
    if short_mm is not None and short_mm > long_mm:
        long_mm, short_mm = short_mm, long_mm
    decimals = 1 if long_mm < 100 else 0  # one precision for both axes, set by the long one
    long_text = f"{long_mm:.{decimals}f}"
    if short_mm is None:
        return long_text, None
    short_text = f"{short_mm:.{decimals}f}"
    if float(short_text) > float(long_text):
        short_text = long_text
    return long_text, short_text


def is_brain(sample: Sample, roi: ROI) -> bool:
    """Hemisphere wording fits findings in the head and structures inside the brain, not skull or scalp."""
    if roi.containing_organ == "brain":
        return True
    return sample.body_part.lower() in _BRAIN and roi.kind == "lesion"


def _side_is_in_name(roi: ROI) -> bool:
    return roi.patient_side in {"left", "right"} and roi.label.startswith(("left ", "right "))


def anatomical_location(sample: Sample, roi: ROI, pick) -> tuple[str, list[str]]:
    """'in the left cerebral hemisphere, posteriorly' / 'on the patient's right, anteriorly' / '' and its keys."""
    parts, keys = [], []
    side = roi.patient_side
    if side in {"left", "right"} and not _side_is_in_name(roi):
        if is_brain(sample, roi):
            parts.append(f"in the {side} cerebral hemisphere")
        else:
            parts.append(pick("side", (f"on the patient's {side}", f"on the {side} side of the patient's body",
                                       f"on the patient's {side} side")))
        keys.append("patient_side")
    elif side == "midline":
        parts.append(pick("midline", ("at the midline", "in the midline")))
        keys.append("patient_side")
    elif side == "both":  # a box reaching well across the midline: its finding lies on both sides
        parts.append("across both cerebral hemispheres" if is_brain(sample, roi) else
                     pick("both", ("across both sides of the patient's body", "across the midline to both sides")))
        keys.append("patient_side")
    directions = [_ADVERB[word] for word in roi.patient_direction if word in _ADVERB]
    if directions:
        parts.append(join_words(directions))
        keys.append("patient_direction")
    return ", ".join(parts), keys


def image_location(roi: ROI) -> str:
    """'in the upper left part of the image', or '' for a central region (the centre of a crop says nothing)."""
    if not roi.region or roi.region == "central":
        return ""
    return f"in the {roi.region} part of the image"


def location(sample: Sample, roi: ROI, pick) -> tuple[str, list[str]]:
    """Patient terms when known; image terms only when the image orientation is unknown."""
    phrase, keys = anatomical_location(sample, roi, pick)
    if phrase or roi.patient_side:
        return phrase, keys
    where = image_location(roi)
    return where, (["region"] if where else [])


def dimensions(roi: ROI) -> tuple[str, list[str]]:
    """'35.2 x 25.6 mm (area 601 mm2)' or '' when nothing was measured in mm."""
    if roi.largest_diameter_mm is None:
        return "", []
    long_text, short_text = axes_mm(roi)
    keys = ["largest_diameter_mm"]
    dims = f"{long_text} mm"
    if short_text is not None:
        dims = f"{long_text} x {short_text} mm"
        keys.append("perpendicular_diameter_mm")
    if roi.area_mm2 is not None:
        dims += f" (area {roi.area_mm2:.0f} mm2)"
        keys.append("area_mm2")
    return dims, keys


def box_sides(roi: ROI) -> tuple[str, list[str]]:
    """'46.0 x 43.3 mm' (a box's sides, stored as its diameters) of a region given as a box, '' otherwise."""
    if roi.origin != BOX_ORIGIN or roi.largest_diameter_mm is None:
        return "", []
    long_text, short_text = axes_mm(roi)
    if short_text is None:
        return f"{long_text} mm", ["origin", "largest_diameter_mm"]
    return f"{long_text} x {short_text} mm", ["origin", "largest_diameter_mm", "perpendicular_diameter_mm"]


def box_noun(roi: ROI) -> str:
    """'box labelled pneumonia' for a region given only as a box, '' otherwise: what such a region's sentences
    are about. The box is what was drawn, its label a tag; "a pneumonia" or "the cardiomegaly" would be a lesion
    nobody outlined."""
    return f"box labelled {roi.label}" if roi.origin == BOX_ORIGIN else ""


def size_phrase(roi: ROI, pick) -> tuple[str, list[str]]:
    """'measuring 35 x 26 mm (area 601 mm2)', the box's 'measuring 46 x 43 mm' for a region given as a box (the
    sentence's subject is then the box: :func:`box_noun`), or '' when nothing was measured in mm."""
    if roi.largest_diameter_mm is None:
        return "", []
    sides, keys = box_sides(roi)
    if sides:  # said of the box (the sentence's subject), never as the finding's own measured size
        return pick("size", (f"measuring {sides}", f"{sides} in size")), keys
    long_text, short_text = axes_mm(roi)
    keys = ["largest_diameter_mm"]
    if short_text is not None:
        dims = f"{long_text} x {short_text} mm"
        keys.append("perpendicular_diameter_mm")
    else:
        dims = f"{long_text} mm in greatest dimension"
    if roi.area_mm2 is not None:
        keys.append("area_mm2")
        area = f"{roi.area_mm2:.0f} mm2"
        return pick("size", (f"measuring {dims} (area {area})", f"measuring {dims} with an area of {area}",
                             f"{dims} in size, {area} in area")), keys
    return f"measuring {dims}", keys


def frame_share_percent(roi: ROI, sample: Sample) -> int | None:
    """Whole-percent share of the image a region covers (only stated without a pixel spacing, and from 1%; never
    of a region given as a box, whose pixels are the box's)."""
    if sample.spacing_mm is not None or sample.image is None or roi.origin == BOX_ORIGIN:
        return None
    height, width = sample.image.shape[:2]
    share = 100.0 * roi.area_px / max(1, height * width)
    return int(round(share)) if share >= 1 else None


INTENSITY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "hyperdense": ("hyperdense", "hyperattenuating"), "hypodense": ("hypodense", "hypoattenuating"),
    "hyperintense": ("hyperintense", "hyperintense"), "hypointense": ("hypointense", "hypointense"),
}
SURROUND_PHRASES = ("to the surrounding tissue", "relative to its surroundings", "compared with the adjacent tissue")


def intensity_phrase(roi: ROI, modality: str, pick=lambda slot, choices: choices[0]) -> tuple[str, list[str]]:
    """'hypodense (mean 35 HU against 62 HU around it)' on CT; the word alone elsewhere."""
    if not roi.intensity_word:
        return "", []
    word, keys = roi.intensity_word, ["intensity_word"]
    if roi.intensity_unit == "HU" and roi.mean_intensity is not None:
        mean = f"{roi.mean_intensity:.0f} HU"
        if roi.contrast_to_surround is not None:
            around = f"{roi.mean_intensity - roi.contrast_to_surround:.0f} HU"
            return f"{word} (mean {mean} against {around} in the surrounding tissue)", keys + [
                "mean_intensity", "contrast_to_surround"]
        return f"{word} (mean {mean})", keys + ["mean_intensity"]
    if word.startswith(("of similar", "with ")):
        return word, keys
    word = pick("intensity", INTENSITY_SYNONYMS.get(word, (word,)))
    phrase = f"{word} {pick('surround', SURROUND_PHRASES)}"
    percent = relative_contrast_percent(roi, modality)
    if percent is not None:
        phrase += f" (mean {'about ' if percent < 100 else ''}{abs(percent)}% {'above' if percent > 0 else 'below'} it)"
        keys = keys + ["mean_intensity", "contrast_to_surround"]
    return phrase, keys


def relative_contrast_percent(roi: ROI, modality: str) -> int | None:
    """Whole-percent difference of the region's mean from its surroundings' mean, from 5% and only where a ratio
    of means is a fact (:func:`vocab.modalities.ratio_of_means_percent`)."""
    value = ratio_of_means_percent(roi.mean_intensity, roi.contrast_to_surround, roi.intensity_unit, modality)
    if value is None:
        return None
    percent = int(round(value))
    return percent if abs(percent) >= 5 else None
