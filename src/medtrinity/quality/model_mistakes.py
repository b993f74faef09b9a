"""Mistakes a language model makes when it writes a description, planted to measure the verifier.

Unlike :mod:`medtrinity.quality.mutations` (which changes the composer's own claims), these add or
change text the way a multimodal model does: it names organs nobody labelled ("the spleen is
unremarkable"), swaps a side inside a list, offers a diagnosis ("most consistent with a
metastasis"), drops units ("measuring 35 x 26"), states numbers nothing measured ("mean
attenuation 45 HU" on an MRI), gives one piece's size to another, describes the shape or texture of
a finding that is only an annotation's box, and places one structure around, over or beside another
its outline is not (surrounding what it only touches, a box over an organ it is not drawn over, a
contact with a structure far away), gives a texture to an organ where none is judged (any organ on a
radiograph; lung, bone or bowel), misreads the cardiothoracic ratio by eye, and adds a radiologist's
reading nothing measured: an organ normal, a lesion absent, a heart enlarged against its ratio,
enhancement, a Couinaud segment or a mass effect, and names a lesion's tissue (fluid, fat, calcium) its mean
HU is not, states how far a region lies from another structure, gives one region's mean HU to another, compares
two regions the wrong way round, puts a surrounding organ on the other side or in front of one it lies behind,
judges an organ's lumen or wall, guesses an acquisition (an MRI sequence, the contrast), names a brain lobe and
gives a length along the axis the slice does not hold, and miscounts ribs or vertebrae; adds a disease from the
reports it learned from ("a small amount of ascites"), turns an intensity round in plain words ("appears dark"),
gives a texture to a region none was judged for, lays its text out as a report (a heading, a numbered list) and
lists two regions' values swapped, and grades what a label names ("mild cardiomegaly").
Each function has the mutation signature ``(text, facts, seed) -> text | None``.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.anatomy import _known, _supported
from medtrinity.quality.checks.comparisons import SIMILAR_AREA_RATIO, SIZE_MARGIN
from medtrinity.quality.checks.context_places import MARGIN_SHARE, placed_structures
from medtrinity.quality.checks.counts import labelled_of_kind
from medtrinity.quality.checks.diagnosis import _canonical
from medtrinity.quality.checks.enclosure import contacts
from medtrinity.quality.checks.superlatives import regions_of_kind
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import BOX_ORIGIN
from medtrinity.vocab.modalities import GENERIC_INTENSITY_WORDS, INTENSITY_WORDS, PROJECTION_MODALITIES
from medtrinity.vocab.tissues import texture_is_normal_variation
from medtrinity.vocab.words import number_word

_ORGANS_BY_REGION: dict[str, tuple[str, ...]] = {
    "abdomen": ("spleen", "pancreas", "gallbladder", "stomach", "liver", "right kidney"),
    "chest": ("heart", "mediastinum", "trachea", "lungs", "diaphragm"),
    "brain": ("lateral ventricles", "cerebellum", "brainstem"),
    "breast": ("pectoralis major muscle", "sternum", "heart"),
    "eye": ("optic disc", "macula"),
    "pelvis": ("urinary bladder", "rectum", "sacrum"),
}
_DIAGNOSES: dict[str, tuple[str, ...]] = {
    "brain": ("a glioblastoma", "a metastasis", "an abscess"),
    "abdomen": ("a hepatic metastasis", "a hemangioma", "hepatocellular carcinoma"),
    "chest": ("pneumonia", "a pulmonary metastasis", "pulmonary edema"),
    "breast": ("a carcinoma", "a fibroadenoma-like benign lesion"),
    "eye": ("an infarct", "a hemorrhage"),
}
_DIAGNOSIS_FRAMES = ("These findings are most consistent with {dx}.", "The appearance suggests {dx}.",
                     "Differential considerations include {dx}.", "This likely represents {dx}.")
_ORGAN_FRAMES = ("The {organ} appears unremarkable.", "No abnormality is seen in the {organ}.",
                 "The {organ} is normal in appearance.")


def _region(facts: SampleFacts) -> str:
    words = f"{facts.body_part} {' '.join(facts.labels)}".lower()
    for region, hints in (("brain", ("brain", "head", "cerebral")), ("breast", ("breast",)),
                          ("eye", ("eye", "retina", "fundus")), ("chest", ("chest", "lung", "thorax", "cardio")),
                          ("pelvis", ("pelvis", "prostate", "bladder")),
                          ("abdomen", ("abdomen", "liver", "kidney", "colon", "spleen"))):
        if any(hint in words for hint in hints):
            return region
    return {"xray": "chest", "fundus": "eye"}.get(facts.modality, "abdomen")


def _append(text: str, sentence: str, seed: int) -> str:
    """Insert a sentence after the first (seed even) or at the end."""
    parts = re.split(r"(?<=\.)\s+", text.strip())
    if seed % 2 == 0 and len(parts) > 1:
        return " ".join(parts[:1] + [sentence] + parts[1:])
    return f"{text.strip()} {sentence}"


def unlabelled_organ(text: str, facts: SampleFacts, seed: int) -> str | None:
    """'The spleen appears unremarkable.' for an organ no label names."""
    known = _known(facts)  # singular forms, as the check compares them ("pancreas" -> "pancrea")
    organ = next((o for o in _ORGANS_BY_REGION[_region(facts)] if not _supported(o, known)), None)
    if organ is None:
        return None
    frame = _ORGAN_FRAMES[seed % len(_ORGAN_FRAMES)]
    return _append(text, frame.format(organ=organ), seed)


def side_swapped_in_list(text: str, facts: SampleFacts, seed: int) -> str | None:
    """One sided structure of a list named on the other side ('left kidney' -> 'right kidney')."""
    labels = {label.lower() for label in facts.labels}
    parts = {roi.organ_part.lower() for roi in facts.rois if roi.organ_part}
    for label in sorted(labels - parts, key=len, reverse=True):
        side, _, rest = label.partition(" ")
        if side not in {"left", "right"} or not rest:
            continue
        other = ("right " if side == "left" else "left ") + rest
        if other in labels:
            continue
        match = re.search(rf"(?<![a-z]){re.escape(label)}(?![a-z])", text)
        if match:
            return text[: match.start()] + other + text[match.end():]
    return None


def diagnosis_no_label_names(text: str, facts: SampleFacts, seed: int) -> str | None:
    """'These findings are most consistent with a metastasis.' where no label names one."""
    labels = _canonical(" ".join(facts.labels))
    options = [dx for dx in _DIAGNOSES.get(_region(facts), ("a metastasis",))
               if _canonical(dx.split(" ", 1)[-1]) not in labels]
    if not options:
        return None
    dx = options[seed % len(options)]
    return _append(text, _DIAGNOSIS_FRAMES[seed % len(_DIAGNOSIS_FRAMES)].format(dx=dx), seed + 1)


_WITH_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(mm2|mm|ml|HU|%)(?![a-z0-9])")


def unit_dropped(text: str, facts: SampleFacts, seed: int) -> str | None:
    """'measuring 35.2 x 25.6 mm' -> 'measuring 35.2 x 25.6' (the unit of one number left out)."""
    matches = list(_WITH_UNIT.finditer(text))
    if not matches:
        return None
    match = matches[seed % len(matches)]
    return text[: match.start()] + match.group(1) + text[match.end():]


def unmeasured_number(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A number with a unit that nothing measured: HU without HU measurements, a volume nobody measured ..."""
    if not any(roi.intensity_unit == "HU" and roi.mean_intensity is not None for roi in facts.rois):
        sentence = ("Its mean attenuation is 45 HU.", "It shows a mean density of 38 HU.")[seed % 2]
    elif facts.rois and any(roi.volume_ml is None for roi in facts.rois) and \
            all(roi.volume_ml is None for roi in facts.rois):
        sentence = ("Its volume is approximately 12.5 ml.", "It has an estimated volume of 31.0 ml.")[seed % 2]
    else:
        shares = [100.0 * roi.area_px / facts.image_area_px for roi in facts.rois if facts.image_area_px]
        value = next(v for v in (37, 61, 83) if all(abs(v - share) > 0.35 * share + 1 for share in shares))
        sentence = f"It occupies about {value}% of the image."
    return f"{text.strip()} {sentence}"


_DIMENSIONS = re.compile(r"(\d+(?:\.\d+)?) x (\d+(?:\.\d+)?) mm")


def size_of_another_piece(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The sizes of two pieces swapped (each sentence now gives the other piece's size)."""
    matches = list(_DIMENSIONS.finditer(text))
    for first_index, first in enumerate(matches):
        for second in matches[first_index + 1:]:
            a, b = float(first.group(1)), float(second.group(1))
            if abs(a - b) > max(0.3 * min(a, b), 3.0):
                return (text[: first.start()] + second.group(0) + text[first.end(): second.start()] + first.group(0)
                        + text[second.end():])
    return None


_BOX_APPEARANCES = ("The {label} is round with well-defined margins.", "The {label} appears heterogeneous.",
                    "It is an ill-defined, lobulated {label}.", "The {label} is opaque relative to the adjacent lung.")


def box_given_a_shape(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A shape, margin, texture or intensity given to a region that is only an annotation's box (a model sees
    the image, not that nobody outlined the finding)."""
    boxes = [roi for roi in facts.rois if roi.origin == BOX_ORIGIN]
    if not boxes:
        return None
    label = boxes[seed % len(boxes)].label
    return _append(text, _BOX_APPEARANCES[seed % len(_BOX_APPEARANCES)].format(label=label), seed)


# {roi}: the described region; {other}: a neighbour it only touches. Even entries make it the outer one.
_ENCLOSURES = ("The {roi} surrounds the {other}.", "The {roi} lies within the {other}.",
               "The {roi} encases the {other}.", "The {roi} is enclosed by the {other}.")


def enclosure_not_outlined(text: str, facts: SampleFacts, seed: int) -> str | None:
    """One described structure said to surround a neighbour, or to lie within it, where the outlines only touch
    ('the mass encases the aorta', 'the gallbladder lies within the liver')."""
    pairs = [(roi, name) for roi in facts.rois if roi.origin != BOX_ORIGIN
             for name in roi.neighbours if name not in roi.surrounds and name != roi.containing_organ]
    if not pairs:
        return None
    roi, neighbour = pairs[seed % len(pairs)]
    # a lesion "within" a neighbouring organ is the organ check's (which accepts a neighbour): it encases instead
    frames = _ENCLOSURES[::2] if roi.kind == "lesion" else _ENCLOSURES
    return _append(text, frames[seed % len(frames)].format(roi=roi.label, other=neighbour), seed)


_OVERLAPS = ("The box labelled {box} overlies the {organ}.", "The {box} lies over the {organ}.",
             "The box labelled {box} is drawn over the {organ}.", "The {box} overlaps the {organ}.")


def overlap_not_drawn(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A box said to lie over an outlined organ it is not drawn over ('the nodule box overlies the heart' for a
    box in the left lung): a model sees a finding near an organ on the radiograph and puts it over it."""
    pairs = [(roi, organ) for roi in facts.rois if roi.origin == BOX_ORIGIN and (roi.overlies or roi.containing_organ)
             for organ in facts.context_labels if organ not in roi.overlies and organ != roi.containing_organ]
    if not pairs:
        return None
    roi, organ = pairs[seed % len(pairs)]
    return _append(text, _OVERLAPS[seed % len(_OVERLAPS)].format(box=roi.label, organ=organ), seed)


_CONTACTS = ("The {roi} abuts the {other}.", "The {roi} is adjacent to the {other}.", "The {roi} borders the {other}.",
             "It lies next to the {other}.")


def adjacency_not_measured(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A described region said to touch a labelled structure it lies nowhere near ('the liver lesion abuts the
    aorta'): a model names the structures it knows the region's organ to have as neighbours."""
    touching = {roi.label.lower(): set() for roi in facts.rois}
    for roi in facts.rois:  # what each described label touches, in either direction
        touching[roi.label.lower()] |= contacts(roi)
        for name in contacts(roi):
            touching.setdefault(name, set()).add(roi.label.lower())
    pairs = [(roi, other) for roi in facts.rois for other in facts.context_labels
             if other.lower() != roi.label.lower() and other.lower() not in touching[roi.label.lower()]]
    if not pairs:
        return None
    roi, other = pairs[seed % len(pairs)]
    frame = _CONTACTS[seed % len(_CONTACTS)]
    if frame.startswith("It") and len(facts.rois) > 1:
        frame = _CONTACTS[0]  # "It" names the region only where there is one
    return _append(text, frame.format(roi=roi.label, other=other), seed)


_TEXTURES = ("The {organ} is heterogeneous.", "The {organ} appears homogeneous.",
             "The {organ} shows a mottled, heterogeneous pattern.", "The {organ} is uniform in density.")


def texture_not_judged(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A texture given to an outlined organ where none is judged: any organ on a radiograph (every tissue along
    the beam overlaps it), or lung, bone and bowel, uneven in health ("the right lower lobe is heterogeneous")."""
    organs = [roi for roi in facts.rois if roi.kind != "lesion" and roi.origin != BOX_ORIGIN and not roi.texture
              and (facts.modality in PROJECTION_MODALITIES or texture_is_normal_variation(roi.label, roi.kind))]
    if not organs:
        return None
    organ = organs[seed % len(organs)]
    return _append(text, _TEXTURES[seed % len(_TEXTURES)].format(organ=organ.label), seed)


_CTR_STATED = re.compile(r"(cardiothoracic ratio[^.%]*?)(\d+(?:\.\d+)?)%")


def cardiothoracic_ratio_misread(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A cardiothoracic ratio 6-12 points from the measured one: a model judging the heart's size by eye (a
    normal heart read as enlarged, or the reverse)."""
    ratios = [ratio for roi in facts.rois if (ratio := roi.measurement("cardiothoracic_ratio")) is not None]
    if not ratios:
        return None
    offset = (6 + seed % 7) * (1 if seed % 2 == 0 else -1)
    wrong = round(100 * ratios[0]) + offset
    if _CTR_STATED.search(text):
        return _CTR_STATED.sub(lambda found: f"{found.group(1)}{wrong}%", text, count=1)
    return _append(text, f"The cardiothoracic ratio is about {wrong}%.", seed)


_JUDGEMENTS = ("The {organ} is unremarkable.", "The {organ} appears normal in size.",
               "No abnormality is seen in the {organ}.", "No other focal lesion is seen in the {organ}.")


def normality_judged(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A labelled organ called normal, or something in it absent: a radiologist's reading that no measurement
    made ("the spleen is unremarkable", "no other focal lesion")."""
    organs = [name for name in facts.context_labels if "heart" not in name.lower()]
    if not organs:
        return None
    organ = organs[seed % len(organs)]
    return _append(text, _JUDGEMENTS[seed % len(_JUDGEMENTS)].format(organ=organ), seed)


def heart_size_misjudged(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A heart called normal where its measured ratio is above 0.5, or enlarged where it is not (not on AP films,
    whose magnified heart the ratio cannot judge)."""
    ratios = [ratio for roi in facts.rois if (ratio := roi.measurement("cardiothoracic_ratio")) is not None]
    if not ratios or facts.view_position == "ap":
        return None
    frames = (("The heart size is within normal limits.", "The cardiac silhouette is normal in size.")
              if ratios[0] > 0.5 else ("The heart is enlarged.", "The cardiac silhouette is enlarged."))
    return _append(text, frames[seed % len(frames)], seed)


def enhancement_claimed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Enhancement said of a lesion nothing measured enhancing, or a contrast phase the study is not in."""
    if any("enhanc" in label.lower() for label in facts.labels):
        return None
    lesions = [roi.label for roi in facts.rois if roi.kind == "lesion" and roi.origin != BOX_ORIGIN]
    if not lesions:
        return None
    frames = ("The {lesion} shows rim enhancement.", "The {lesion} enhances avidly in the arterial phase.",
              "The {lesion} demonstrates washout on the delayed phase.")
    return _append(text, frames[seed % len(frames)].format(lesion=lesions[seed % len(lesions)]), seed)


def composition_claimed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A CT lesion called fluid (or, where its mean is fluid's, calcified or fat-containing): what a model says of
    any dark or bright lesion without the number."""
    lesions = [roi for roi in facts.rois if roi.kind == "lesion" and roi.intensity_unit == "HU"
               and roi.mean_intensity is not None]
    if not lesions:
        return None
    roi = lesions[seed % len(lesions)]
    if not -20.0 <= roi.mean_intensity <= 25.0:
        frames = ("The {lesion} is of fluid attenuation.", "The {lesion} shows near-water density.")
    else:
        frames = ("The {lesion} is calcified.", "The {lesion} contains macroscopic fat.")
    return _append(text, frames[seed % len(frames)].format(lesion=roi.label), seed)


_GUESSED_DETAIL = ("The {lesion} is located in segment VII.", "The {lesion} compresses the {other}.",
                   "The {lesion} lies in the caudate lobe.", "The {lesion} displaces the {other}.")


def detail_guessed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A finer place than any measured (a Couinaud segment, the caudate lobe) or a mass effect on a neighbour: what
    a model adds to a liver lesion it has located only by lobe."""
    lesions = [roi for roi in facts.rois if roi.kind == "lesion" and roi.containing_organ and roi.origin != BOX_ORIGIN]
    others = [name for name in facts.context_labels if all(name != roi.containing_organ for roi in lesions)]
    if not lesions or not others:
        return None
    frame = _GUESSED_DETAIL[seed % len(_GUESSED_DETAIL)]
    return _append(text, frame.format(lesion=lesions[seed % len(lesions)].label, other=others[seed % len(others)]),
                   seed)


# {roi}: a described region with a measured diameter; {mm}: that diameter, so the number passes as its size
_DISTANCES = ("The {roi} lies {mm} mm from the {other}.",
              "The {roi} is located approximately {cm} cm from the {other}.",
              "The {roi} lies within {mm} mm of the {other}.", "The {roi} is {mm} mm anterior to the {other}.")


def distance_stated(text: str, facts: SampleFacts, seed: int) -> str | None:
    """How far a region lies from a labelled structure ('20 mm from the gallbladder'), which nothing measured; the
    number a model reads off the image is often the region's own diameter, so the size check alone passes it."""
    pairs = [(roi, other) for roi in facts.rois if roi.largest_diameter_mm
             for other in (*roi.neighbours, *facts.context_labels) if other.lower() != roi.label.lower()]
    if not pairs:
        return None
    roi, other = pairs[seed % len(pairs)]
    diameter = float(roi.largest_diameter_mm)
    frame = _DISTANCES[seed % len(_DISTANCES)]
    return _append(text, frame.format(roi=roi.label, other=other, mm=f"{diameter:.0f}", cm=f"{diameter / 10:.1f}"),
                   seed)


_HU_FRAMES = ("The mean attenuation of the {roi} is {hu} HU.", "The {roi} measures about {hu} HU.",
              "The {roi} has an attenuation of {hu} HU.")


def hu_misattributed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """One region's mean HU given to another ('the liver measures 33 HU', the spleen's): a model reads numbers off
    a table and pins one to the wrong organ; the number exists in the sample, so only whose it is can fail it."""
    measured = [roi for roi in facts.rois if roi.intensity_unit == "HU" and roi.mean_intensity is not None]
    pairs = [(roi, other) for roi in measured for other in measured  # far from the region's own mean
             if abs(other.mean_intensity - roi.mean_intensity) > max(20.0, 0.2 * abs(roi.mean_intensity))]
    if not pairs:
        return None
    roi, other = pairs[seed % len(pairs)]
    frame = _HU_FRAMES[seed % len(_HU_FRAMES)]
    return _append(text, frame.format(roi=roi.label, hu=f"{other.mean_intensity:.0f}"), seed)


_COMPARISONS = ("The {a} is {high} compared with the {b}.", "The {a} appears {high} relative to the {b}.",
                "The {a} is larger than the {b}.", "The {a} and the {b} are similar in size.")


def comparison_reversed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Two described regions compared the wrong way round: the darker one called brighter ('the spleen is
    hyperdense compared with the liver' at 33 against 44 HU), the smaller one larger, or two far apart in area
    called similar in size: a model compares by eye, where the window and the slice mislead."""
    high = INTENSITY_WORDS.get(facts.modality, GENERIC_INTENSITY_WORDS)[2]
    rois = [roi for roi in facts.rois if roi.origin != BOX_ORIGIN]
    options = []
    for a in rois:
        for b in rois:
            if a.label == b.label or a.containing_organ == b.label or b.containing_organ == a.label:
                continue
            if None not in (a.mean_intensity, b.mean_intensity) and a.intensity_unit == b.intensity_unit \
                    and a.mean_intensity < b.mean_intensity:
                options += [(frame, a, b) for frame in _COMPARISONS[:2]]
            if a.area_mm2 and b.area_mm2 and a.area_mm2 * SIZE_MARGIN < b.area_mm2:
                options.append((_COMPARISONS[2], a, b))
                if b.area_mm2 > SIMILAR_AREA_RATIO * a.area_mm2 and a.label < b.label:
                    options.append((_COMPARISONS[3], a, b))
    if not options:
        return None
    frame, a, b = options[seed % len(options)]
    return _append(text, frame.format(a=a.label, b=b.label, high=high), seed)


_CONTEXT_SIDES = ("The {organ} lies on the patient's {side}.", "The {organ} is seen on the {side} side.",
                  "On the {side}, the {organ} is visible.")
_DIRECTIONS = ("The {a} lies {word} the {b}.", "The {a} is located {word} the {b}.")


def context_side_swapped(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A structure around the described regions put on the other side ('the spleen lies on the patient's right'):
    a model mirrors the image, reading its left as the patient's left."""
    described = {roi.label.lower() for roi in facts.rois}
    organs = [(name, side) for name, side in zip(facts.context_labels, facts.context_sides, strict=False)
              if side in {"left", "right"} and name.lower() not in described]
    if not organs:
        return None
    name, side = organs[seed % len(organs)]
    frame = _CONTEXT_SIDES[seed % len(_CONTEXT_SIDES)]
    return _append(text, frame.format(organ=name, side="left" if side == "right" else "right"), seed)


def direction_reversed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """One structure put in front of (behind, above, below, to the patient's left or right of) another that lies
    the other way ('the L1 vertebra lies anterior to the aorta', 'the inferior vena cava lies to the left of the
    aorta'): the order a model misreads, or recalls from another level."""
    letters = facts.patient_orientation
    placed = placed_structures(facts)
    words = {"A": "anterior to", "P": "posterior to", "S": "superior to", "I": "inferior to", "L": "to the left of",
             "R": "to the right of"}
    margin = 2 * MARGIN_SHARE * (facts.image_area_px ** 0.5)
    pairs = []
    for axis, letter in enumerate(letters):
        if letter not in words:
            continue
        for a, a_xy in placed.items():
            for b, b_xy in placed.items():
                if b_xy[axis] - a_xy[axis] > margin:  # b lies further towards ``letter``: a is the other way
                    pairs.append((a, b, words[letter]))
    if not pairs:
        return None
    a, b, word = pairs[seed % len(pairs)]
    written = {label.lower(): label for label in (*facts.context_labels, *(roi.label for roi in facts.rois))}
    frame = _DIRECTIONS[seed % len(_DIRECTIONS)]
    return _append(text, frame.format(a=written.get(a, a), b=written.get(b, b), word=word), seed)


_STATES = ("The {organ} is distended.", "The {organ} appears collapsed.", "The {organ} is mildly dilated.",
           "The {organ} shows wall thickening.", "The {organ} is patent.")


def state_judged(text: str, facts: SampleFacts, seed: int) -> str | None:
    """An organ's lumen, wall or contour judged ('the stomach is distended', 'the portal vein is patent'), which no
    measure compares with a norm; on a brain image, a midline shift."""
    if _region(facts) == "brain":
        lesions = [roi.label for roi in facts.rois if roi.kind == "lesion"]
        if not lesions:
            return None
        return _append(text, f"The {lesions[seed % len(lesions)]} causes a midline shift.", seed)
    organs = [name for name in (*(roi.label for roi in facts.rois if roi.kind != "lesion"), *facts.context_labels)
              if not any(name.lower()[:6] in label.lower() for label in facts.image_labels)]
    if not organs:
        return None
    frame = _STATES[seed % len(_STATES)]
    return _append(text, frame.format(organ=organs[seed % len(organs)]), seed)


_SEQUENCE_CLAIMS = ("The {roi} is hyperintense on T2-weighted images.", "The {roi} shows restricted diffusion.",
                    "The {roi} is bright on FLAIR.", "On T1-weighted imaging the {roi} is hypointense.")


def acquisition_guessed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """An acquisition nothing records or the metadata denies: an MRI sequence the study is not ('hyperintense on
    T2-weighted images' of a post-contrast T1 slice), a CT called non-contrast that was contrast-enhanced (or the
    reverse)."""
    rois = [roi.label for roi in facts.rois]
    if facts.modality == "mri" and rois:
        frames = [frame for frame, token in zip(_SEQUENCE_CLAIMS, ("t2", "dwi", "flair", "t1"), strict=True)
                  if token not in facts.mr_sequence]
        return _append(text, frames[seed % len(frames)].format(roi=rois[seed % len(rois)]), seed)
    given = facts.contrast_enhanced if facts.contrast_enhanced is not None else (
        facts.ct_phase != "non_contrast" if facts.ct_phase else None)
    if facts.modality != "ct" or given is None:
        return None
    claim = "The study is a non-contrast CT." if given else "The images are contrast-enhanced."
    return _append(text, claim, seed)


_LOBES = ("frontal lobe", "parietal lobe", "temporal lobe", "occipital lobe", "periventricular white matter")


def brain_region_guessed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A lobe or white-matter region given to a brain lesion that only a hemisphere places: a model names the lobe
    it sees, which no label here outlines."""
    lesions = [roi for roi in facts.rois if roi.kind == "lesion"]
    if _region(facts) != "brain" or not lesions:
        return None
    lesion = lesions[seed % len(lesions)]
    side = f"{lesion.patient_side} " if lesion.patient_side in {"left", "right"} else ""
    return _append(text, f"The {lesion.label} lies in the {side}{_LOBES[seed % len(_LOBES)]}.", seed)


_THROUGH_PLANE_FRAMES = {
    "axial": ("The {roi} measures {mm} mm in craniocaudal extent.", "The {roi} spans {mm} mm craniocaudally."),
    "coronal": ("The {roi} measures {mm} mm anteroposteriorly.", "Its anteroposterior dimension is {mm} mm."),
    "sagittal": ("The {roi} measures {mm} mm from left to right, mediolaterally.",),
}


def through_plane_size(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A length along the axis the slice does not hold ('14 cm in craniocaudal extent' on an axial slice), given
    the region's own in-plane diameter so that the size check alone passes it."""
    frames = _THROUGH_PLANE_FRAMES.get(facts.plane)
    rois = [roi for roi in facts.rois if roi.largest_diameter_mm]
    if not frames or not rois:
        return None
    roi = rois[seed % len(rois)]
    frame = frames[seed % len(frames)]
    return _append(text, frame.format(roi=roi.label, mm=f"{roi.largest_diameter_mm:.0f}"), seed)


def structures_miscounted(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A count of structures labelled one by one that is one off ('four ribs are visible on the left' where three
    are labelled): a model counts what it sees, not what was outlined."""
    names = {name.lower() for name in (*facts.context_labels, *(roi.label for roi in facts.rois))}
    options = []
    for plural, stem in (("ribs", "rib"), ("vertebrae", "vertebra")):
        for side in ("left", "right", None):
            counted = labelled_of_kind(names, stem, side)
            if counted:
                options.append((plural, side, len(counted)))
    if not options:
        return None
    plural, side, count = options[seed % len(options)]
    where = f" on the {side}" if side else ""
    return _append(text, f"{number_word(count + 1).capitalize()} {plural} are visible{where}.", seed)


def rank_confused(text: str, facts: SampleFacts, seed: int) -> str | None:
    """One of several regions of a label picked by rank and given the other's facts ('the larger nodule measures
    12 mm' where the 12 mm one is the smaller; 'the smaller lesion lies on the patient's left' where the larger
    does): a model ranks by what it sees, or pairs the rank with the wrong region."""
    options = []
    for label in sorted({roi.label for roi in facts.rois}):
        same = [roi for roi in facts.rois if roi.label == label and roi.largest_diameter_mm is not None]
        if len(same) < 2:
            continue
        same.sort(key=lambda roi: roi.largest_diameter_mm)
        small, large = same[0], same[-1]
        if large.largest_diameter_mm >= 1.3 * small.largest_diameter_mm + 2.0:
            options.append(f"The larger {label} measures {small.largest_diameter_mm:.0f} mm.")
            options.append(f"The smallest {label} measures {large.largest_diameter_mm:.0f} mm.")
        if {small.patient_side, large.patient_side} == {"left", "right"}:
            options.append(f"The smaller {label} lies on the patient's {large.patient_side}.")
    if not options:
        return None
    return _append(text, options[seed % len(options)], seed)


_SUPERLATIVES = ("The {label} is the {word} organ in view.", "The {word} organ in this section is the {label}.")


def superlative_misplaced(text: str, facts: SampleFacts, seed: int) -> str | None:
    """An organ called the largest (smallest) in view where another described organ is larger (smaller) on this
    image: 'the liver is the largest organ in view' on a slice where the colon's section is larger. A model ranks
    organs by textbook anatomy, not by the slice."""
    organs = [roi for roi in regions_of_kind(facts.rois, "organ") if roi.area_mm2]
    options = []
    for roi in organs:
        if any(other.area_mm2 > roi.area_mm2 * SIZE_MARGIN * 1.1 for other in organs):
            options.append((roi.label, "largest"))
        if any(other.area_mm2 * SIZE_MARGIN * 1.1 < roi.area_mm2 for other in organs):
            options.append((roi.label, "smallest"))
    if not options:
        return None
    label, word = options[seed % len(options)]
    return _append(text, _SUPERLATIVES[seed % len(_SUPERLATIVES)].format(label=label, word=word), seed)


_INVENTED = (("nodul", "A small nodule is seen in the {organ}."), ("lesion", "There is a focal lesion in the {organ}."),
             ("mass", "A mass is noted adjacent to the {organ}."))
_DEVICES = (("tube", "An endotracheal tube is in place."), ("catheter", "A central venous catheter is seen."),
            ("clip", "Surgical clips are present."))
_FINDING_STEMS = ("lesion", "nodul", "mass", "tumo", "opacit", "infiltrat", "abnormal", "cancer", "neoplas")


def finding_invented(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A finding or a device added to an image where nothing marks one ('a small nodule is seen in the liver', 'an
    endotracheal tube is in place'): the hallucination a model trained on reports makes most. Never a noun a label
    names ('lung nodule' as a label marks nodules)."""
    if any(roi.kind == "lesion" for roi in facts.rois):
        return None
    labels = facts.label_text
    organs = [name for name in ([roi.label for roi in facts.rois] or list(facts.context_labels))
              if not any(stem in name.lower() for stem in _FINDING_STEMS)]
    findings = [] if any(stem in labels for stem in _FINDING_STEMS) else [
        frame.format(organ=organ) for organ in organs[:3] for _stem, frame in _INVENTED]
    devices = [sentence for stem, sentence in _DEVICES if stem not in labels and "device" not in labels]
    options = findings + devices
    if not options:
        return None
    return _append(text, options[seed % len(options)], seed)


_FEATURES_BY_MODALITY = {
    "mri": ("The {label} is intra-axial.", "The {label} shows a fluid-fluid level.",
            "The {label} is cortically based.", "The {label} lies in the periventricular white matter.",
            "The {label} shows ring enhancement.", "The {label} crosses the midline."),
    "ct": ("The {label} shows cavitation.", "Air bronchograms are seen within the {label}.",
           "The {label} has a ground-glass component.", "The {label} enhances heterogeneously."),
    "ultrasound": ("The {label} shows posterior acoustic shadowing.", "Internal vascularity is seen in the {label}."),
}


def feature_guessed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A lesion's inner feature or compartment read by eye ('the enhancing lesion is intra-axial', 'the lung tumor
    shows cavitation'), or oral contrast in the bowel: what a radiologist looks for, which nothing here measures."""
    lesions = [roi.label for roi in facts.rois if roi.kind == "lesion" and roi.origin != BOX_ORIGIN]
    frames = _FEATURES_BY_MODALITY.get(facts.modality, ())
    options = [frame.format(label=label) for label in lesions[:2] for frame in frames]
    if facts.modality == "ct" and _region(facts) == "abdomen":
        options.append("Oral contrast opacifies the bowel.")
    if facts.modality == "xray" and _region(facts) == "chest":
        options += ["The lungs are well expanded.", "The heart is in its normal position."]
    if not options:
        return None
    return _append(text, options[seed % len(options)], seed)


_PATIENT = ("The patient is a 62-year-old woman.", "This 45-year-old man presented with pain.",
            "Compared with the prior study, the findings are unchanged from before.",
            "Follow-up imaging is recommended.", "Clinical history: shortness of breath.",
            "These findings appear stable.", "This is likely an incidental finding.")
_TECHNIQUE = ("There is mild motion artifact.", "The patient is positioned supine.",
              "The study is of diagnostic quality.")


def patient_invented(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The report's frame around the image: the patient's age and sex, a history, a comparison with earlier
    imaging, a recommendation (the pipeline keeps no patient data and knows no clinical setting)."""
    options = [sentence for sentence in _PATIENT if not facts.patient_recorded or "old" not in sentence]
    return _append(text, options[seed % len(options)], seed)


def technique_guessed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The technique read off the picture: the patient's position, an artifact, the image quality, and on a film
    whose view is recorded, the other view ('a portable AP film' of a PA film)."""
    options = list(_TECHNIQUE)
    if facts.modality == "xray" and facts.view_position in ("pa", "ap"):
        options.append("This is a portable AP film." if facts.view_position == "pa" else "This is a PA view.")
    return _append(text, options[seed % len(options)], seed)


_DISEASES_BY_REGION: dict[str, tuple[str, ...]] = {
    "abdomen": ("There is a small amount of ascites.", "Small gallstones are present.",
                "Mild fat stranding is seen around the pancreas.", "The pancreas is atrophic."),
    "chest": ("There is dextrocardia.", "Mild bronchiectasis is seen.", "Degenerative osteophytes are seen in the "
              "thoracic spine."),
    "brain": ("There is mild hydrocephalus.", "Periventricular gliosis is present.", "There is encephalomalacia."),
    "breast": ("Axillary lymphadenopathy is present.",),
    "eye": ("There is disc atrophy.",),
    "pelvis": ("There is diverticulosis.", "Free fluid is seen in the pelvis."),
}


def disease_added(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A disease or a finding a model adds from the reports it learned from, with no number or intensity word on
    it ("there is a small amount of ascites", "mild hydrocephalus"); never one a label names."""
    labels = _canonical(facts.label_text)
    options = [sentence for sentence in _DISEASES_BY_REGION.get(_region(facts), ())
               if not any(word[:6] in labels for word in re.findall(r"[a-z]{6,}", sentence.lower())
                          if word not in _COMMON_WORDS)]
    if not options:
        return None
    return _append(text, options[seed % len(options)], seed)


_COMMON_WORDS = {"present", "amount", "around", "pancreas", "thoracic", "periventricular", "axillary", "pelvis"}
_LAY_INTENSITY = {"high": "The {label} appears dark compared with its surroundings.",
                  "low": "The {label} appears bright compared with its surroundings."}


def intensity_in_plain_words(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A described region's intensity turned round in plain words: "the enhancing lesion appears dark" of a
    hyperintense lesion (the modality's own word is what models mostly write; plain words were not read)."""
    directions = {"high": [], "low": []}
    for roi in facts.rois:
        if roi.origin == BOX_ORIGIN or facts.modality in PROJECTION_MODALITIES:
            continue
        for words in (*INTENSITY_WORDS.values(),):
            if roi.intensity_word == words[2]:
                directions["high"].append(roi.label)
            elif roi.intensity_word == words[0]:
                directions["low"].append(roi.label)
    # a label measured both ways (two pieces) names no direction
    options = [_LAY_INTENSITY[direction].format(label=label) for direction, labels in directions.items()
               for label in labels if label not in directions["low" if direction == "high" else "high"]]
    if not options:
        return None
    return _append(text, options[seed % len(options)], seed)


def texture_unmeasured(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A texture said of a described region whose texture was not judged (too small, or between even and uneven):
    "the enhancing lesion is heterogeneous", what a model says of any lesion. Lung, bone, bowel and radiographs
    are ``organ_texture``'s; a box's, ``box_shape``'s."""
    regions = [roi for roi in facts.rois if roi.origin != BOX_ORIGIN and facts.modality not in PROJECTION_MODALITIES
               and not texture_is_normal_variation(roi.label, roi.kind)]
    unjudged = sorted({roi.label for roi in regions if not roi.texture}
                      - {roi.label for roi in regions if roi.texture})  # every region of the label unjudged
    if not unjudged:
        return None
    label = unjudged[seed % len(unjudged)]
    return _append(text, ("The {label} is heterogeneous.", "The {label} appears homogeneous.")[seed % 2].format(
        label=label), seed)


_SENTENCE_END = re.compile(r"(?<=\.)\s+")
_FIRST_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)( x \d+(?:\.\d+)? mm| mm)")


def size_in_report_layout(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The description laid out as a model lays out a report (a bold heading, a numbered or bulleted list, one
    sentence a line) with one stated size made half as large again: the layout must neither hide the wrong number
    nor raise alarms of its own ("1." read as a number without a unit)."""
    sentences = [part for part in _SENTENCE_END.split(text.strip()) if part]
    sized = [index for index, sentence in enumerate(sentences) if _FIRST_SIZE.search(sentence)]
    if not sized:
        return None
    index = sized[seed % len(sized)]
    found = _FIRST_SIZE.search(sentences[index])
    wrong = f"{float(found.group(1)) * 1.6:.1f}".removesuffix(".0")
    sentences[index] = sentences[index][: found.start(1)] + wrong + sentences[index][found.end(1):]
    return "**Findings:**\n" + "\n".join(f"{position + 1}. {sentence}" if seed % 2 == 0 else f"- {sentence}"
                                          for position, sentence in enumerate(sentences))


def values_swapped_in_a_list(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Two regions' mean HU written as a model lists them ("The liver measures 34 HU, the spleen 44 HU.") with the
    values swapped: each is some region's mean, so only whose each is shows the mistake."""
    means = [(roi.label, roi.mean_intensity) for roi in facts.rois
             if roi.intensity_unit == "HU" and roi.mean_intensity is not None and roi.origin != BOX_ORIGIN]
    pairs = [(a, b) for i, a in enumerate(means) for b in means[i + 1:]
             if a[0] != b[0] and abs(a[1] - b[1]) > 25]
    if not pairs:
        return None
    (first, first_mean), (second, second_mean) = pairs[seed % len(pairs)]
    return _append(text, f"The {first} measures {second_mean:.0f} HU, the {second} {first_mean:.0f} HU.", seed)


_DISEASE_GRADES = ("Mild {name} is present.", "There is a large {name}.", "A small amount of {name} is seen.")
_REGION_GRADES = ("The {name} is moderate in size.", "The {name} appears severe.")


def grade_added(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A grade given to what a label names ("mild cardiomegaly", "a large pleural effusion", "the enhancing lesion
    is moderate in size"): the label names the finding, nothing grades it."""
    diseases = sorted({label.lower() for label in facts.image_labels})
    options = [frame.format(name=name) for name in diseases for frame in _DISEASE_GRADES]
    options += [frame.format(name=name) for name in sorted({roi.label.lower() for roi in facts.rois
                                                            if roi.kind == "lesion"}) for frame in _REGION_GRADES]
    if not options:
        return None
    return _append(text, options[seed % len(options)], seed)


MODEL_MISTAKES = {
    "unlabelled_organ": unlabelled_organ,
    "side_in_list": side_swapped_in_list,
    "diagnosis": diagnosis_no_label_names,
    "unit_dropped": unit_dropped,
    "unmeasured_number": unmeasured_number,
    "wrong_piece": size_of_another_piece,
    "box_shape": box_given_a_shape,
    "false_enclosure": enclosure_not_outlined,
    "false_overlap": overlap_not_drawn,
    "false_adjacency": adjacency_not_measured,
    "organ_texture": texture_not_judged,
    "ctr_misread": cardiothoracic_ratio_misread,
    "normality": normality_judged,
    "heart_size": heart_size_misjudged,
    "enhancement": enhancement_claimed,
    "composition": composition_claimed,
    "guessed_detail": detail_guessed,
    "distance": distance_stated,
    "hu_misattributed": hu_misattributed,
    "comparison": comparison_reversed,
    "context_side": context_side_swapped,
    "direction": direction_reversed,
    "state": state_judged,
    "acquisition": acquisition_guessed,
    "brain_region": brain_region_guessed,
    "through_plane": through_plane_size,
    "structure_count": structures_miscounted,
    "rank": rank_confused,
    "superlative": superlative_misplaced,
    "invented_finding": finding_invented,
    "feature": feature_guessed,
    "patient": patient_invented,
    "technique": technique_guessed,
    "disease": disease_added,
    "plain_intensity": intensity_in_plain_words,
    "texture_unmeasured": texture_unmeasured,
    "report_layout": size_in_report_layout,
    "list_swap": values_swapped_in_a_list,
    "grade": grade_added,
}

MODEL_MISTAKE_CODES: dict[str, set[str]] = {
    "unlabelled_organ": {"organ_unsupported", "body_part_mismatch"},
    "side_in_list": {"side_mismatch"},
    "diagnosis": {"diagnosis_unsupported"},
    "unit_dropped": {"number_without_unit"},
    "unmeasured_number": {"number_unsupported", "size_unsupported"},
    "wrong_piece": {"size_mismatch"},
    "box_shape": {"box_appearance"},
    "false_enclosure": {"enclosure_unsupported"},
    "false_overlap": {"overlap_unsupported"},
    "false_adjacency": {"adjacency_unsupported"},
    "organ_texture": {"texture_mismatch"},
    "ctr_misread": {"number_unsupported"},
    "normality": {"assessment_unsupported"},
    "heart_size": {"assessment_unsupported"},
    "enhancement": {"assessment_unsupported"},
    "composition": {"composition_mismatch"},
    "guessed_detail": {"organ_mismatch", "assessment_unsupported"},
    "distance": {"distance_unsupported"},
    "hu_misattributed": {"number_unsupported"},
    "comparison": {"intensity_mismatch", "size_mismatch"},
    "context_side": {"side_mismatch"},
    "direction": {"direction_mismatch"},
    "state": {"assessment_unsupported"},
    "acquisition": {"assessment_unsupported"},
    "brain_region": {"organ_unsupported"},
    "through_plane": {"size_unsupported"},
    "structure_count": {"count_mismatch"},
    "rank": {"size_mismatch", "side_mismatch"},
    "superlative": {"size_mismatch"},
    "invented_finding": {"finding_unsupported"},
    "feature": {"assessment_unsupported"},
    "patient": {"patient_unsupported"},
    "technique": {"assessment_unsupported"},
    "disease": {"diagnosis_unsupported", "finding_unsupported"},
    "plain_intensity": {"intensity_mismatch"},
    "texture_unmeasured": {"texture_mismatch"},
    "report_layout": {"size_mismatch"},
    "list_swap": {"number_unsupported"},
    "grade": {"assessment_unsupported"},
}
