"""The offline default backend: sentences composed from measured facts and retrieved passages only.

Every sentence records the evidence it rests on (ROI attribute keys such as
``rois[0].largest_diameter_mm``, or ``passage:<id>``), so the verifier and a reader can trace
each claim. The phrasing varies: each slot (a sentence kind, per ROI) picks one of several
templates and each template picks among synonyms, all with a seed drawn from the sample id, so
the same sample always reads the same while a million samples do not read as one template.
Fields the grounding stage may add (``perpendicular_diameter_mm``, ``shape``, ``margin``,
``organ_part``) are described when present.
"""

from __future__ import annotations

import re

from medtrinity.generation.backends import BACKENDS, DescriptionBackend
from medtrinity.generation.vocabulary import article, join_words, modality_name, number_word, plane_phrase
from medtrinity.preprocess.labels import is_no_finding
from medtrinity.records import DESCRIPTION_SECTIONS, ROI, Description, Passage, Sample, Sentence, stable_id
from medtrinity.registry import NoOptions

PROMPT_VERSION = "composer-2"
MAX_DESCRIBED_ROIS = 5
MAX_QUOTED_PASSAGES = 2


class _Chooser:
    """Deterministic choices keyed by the sample id and a slot name."""

    def __init__(self, sample_id: str):
        self.sample_id = sample_id

    def pick(self, slot: str, options):
        options = list(options)
        return options[int(stable_id(self.sample_id, slot, length=8), 16) % len(options)]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _get(roi: ROI, name: str):
    return getattr(roi, name, None) or None


# ---------------------------------------------------------------------------------------------- modality


def _modality_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    kind = f"{plane_phrase(sample.plane)}{modality_name(sample.modality)}".strip()
    where = f" of the {sample.body_part}" if sample.body_part else ""
    noun = choose.pick("modality.noun", ("scan", "image", "slice")) if sample.modality in {"ct", "mri", "pet"} \
        else "image"
    options = (
        f"This is {article(kind)} {kind} {noun}{where}.",
        f"The image is {article(kind)} {kind} {noun}{where}.",
        f"{_cap(article(kind))} {kind} {noun}{where} is shown.",
        f"Shown here is {article(kind)} {kind} {noun}{where}.",
        f"The study is {article(kind)} {kind} {noun}{where}.",
        f"We are looking at {article(kind)} {kind} {noun}{where}.",
    )
    sentences = [Sentence("modality", choose.pick("modality", options), ["modality", "plane", "body_part"])]
    labels = sorted({label for label in sample.image_labels if not is_no_finding(label)})
    if labels:
        listed = join_words([label.lower() for label in labels])
        options = (
            f"The source dataset labels this image with {listed}.",
            f"According to its dataset labels, the image shows {listed}.",
            f"Its image-level labels are {listed}.",
        )
        sentences.append(Sentence("modality", choose.pick("modality.labels", options), ["image_labels"]))
    elif sample.image_labels:
        sentences.append(Sentence("modality", "The source dataset labels this image as showing no finding.",
                                  ["image_labels"]))
    return sentences


# ---------------------------------------------------------------------------------------------- organs


def _organ_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    names = [roi.label for roi in sample.context_rois]
    if not names:
        names = sorted({roi.label for roi in sample.rois if roi.kind != "lesion"})
    if not names:
        options = (
            "No organs or tissues are labelled in this image.",
            "The image carries no organ or tissue labels.",
            "No anatomical structures are labelled here.",
            "Organ and tissue labels are not available for this image.",
        )
        return [Sentence("organs", choose.pick("organs.none", options), ["context_rois"])]
    shown = names[:6]
    listed = join_words(shown)
    more = f", among {len(names)} labelled structures" if len(names) > len(shown) else ""
    options = (
        f"Labelled structures in view include the {listed}{more}.",
        f"The image shows the {listed}{more}.",
        f"Visible anatomy includes the {listed}{more}.",
        f"The {listed} are in view{more}." if len(shown) > 1 else f"The {listed} is in view{more}.",
        f"Structures identified in the field include the {listed}{more}.",
        f"Among the labelled tissues are the {listed}{more}." if more else f"The labelled tissue shown is the "
                                                                           f"{listed}." if len(shown) == 1
        else f"The labelled tissues shown are the {listed}.",
    )
    return [Sentence("organs", choose.pick("organs", options), ["context_rois"])]


# ---------------------------------------------------------------------------------------------- ROI analysis


def _side_phrase(roi: ROI, choose: _Chooser, slot: str) -> str:
    if roi.patient_side in {"left", "right"}:
        side = roi.patient_side
        return choose.pick(slot, (
            f"on the patient's {side} side", f"on the patient's {side}", f"to the patient's {side}",
            f"on the {side} side of the patient's body",
        ))
    if roi.patient_side == "midline":
        return choose.pick(slot, ("near the midline", "close to the midline", "at the midline"))
    return ""


def _region_phrase(roi: ROI, choose: _Chooser, slot: str) -> str:
    noun = choose.pick(slot, ("part", "portion", "area"))
    return f"the {roi.region} {noun} of the image"


def _where_phrase(roi: ROI, choose: _Chooser, key: str) -> str:
    region = _region_phrase(roi, choose, f"{key}.region")
    side = _side_phrase(roi, choose, f"{key}.side")
    return f"in {region}, {side}" if side else f"in {region}"


def _size_phrase(roi: ROI, choose: _Chooser, key: str) -> tuple[str, list[str]]:
    diameter, area = roi.largest_diameter_mm, roi.area_mm2
    perpendicular = _get(roi, "perpendicular_diameter_mm")
    if diameter is None or area is None:
        phrase = choose.pick(f"{key}.pixels", (
            f"covering {roi.area_px} pixels", f"spanning {roi.area_px} pixels", f"with an area of {roi.area_px} pixels",
        ))
        return phrase, [f"{key}.area_px"]
    if perpendicular is not None:
        phrase = choose.pick(f"{key}.size", (
            f"measuring {diameter:.1f} x {perpendicular:.1f} mm with an area of {area:.0f} mm2",
            f"about {diameter:.1f} by {perpendicular:.1f} mm in size and {area:.0f} mm2 in area",
            f"{diameter:.1f} mm long and {perpendicular:.1f} mm across, covering {area:.0f} mm2",
        ))
        return phrase, [f"{key}.largest_diameter_mm", f"{key}.perpendicular_diameter_mm", f"{key}.area_mm2"]
    phrase = choose.pick(f"{key}.size", (
        f"measuring {diameter:.1f} mm in largest diameter and {area:.0f} mm2 in area",
        f"with a largest diameter of {diameter:.1f} mm and an area of {area:.0f} mm2",
        f"spanning {diameter:.1f} mm at its widest and covering {area:.0f} mm2",
        f"about {diameter:.1f} mm across at its longest, with an area of {area:.0f} mm2",
        f"{diameter:.1f} mm in greatest dimension and {area:.0f} mm2 in area",
    ))
    return phrase, [f"{key}.largest_diameter_mm", f"{key}.area_mm2"]


def _count_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for index, roi in enumerate(sample.rois):
        counts[roi.label] = counts.get(roi.label, 0) + 1
        first.setdefault(roi.label, index)
    counted = []
    for label, count in sorted(counts.items()):
        roi = sample.rois[first[label]]
        total = max(count, roi.count_same_label)
        if roi.kind != "lesion" and total == 1:
            continue
        counted.append((label, total, f"rois[{first[label]}].count_same_label"))
    if len(counted) > 1:  # several labels: one sentence ("a single liver lesion and two separate regions of ...")
        parts = [f"a single {label}" if total == 1 else f"{number_word(total)} separate regions of {label}"
                 for label, total, _ in counted]
        joined = join_words(parts)
        options = (f"The image contains {joined}.", f"{_cap(joined)} are marked.",
                   f"Marked in this image are {joined}.")
        return [Sentence("roi_analysis", choose.pick("count", options), [key for _, _, key in counted])]
    sentences = []
    for label, total, key in counted:
        if total == 1:
            options = (
                f"A single {label} is marked.", f"There is one {label} in this image.",
                f"One {label} is present.", f"The image contains a single {label}.",
            )
        else:
            words = number_word(total)
            options = (
                f"There are {words} separate {label} regions in this image.",
                f"{_cap(words)} separate {label} regions are marked.",
                f"{_cap(words)} separate regions of {label} are seen.",
                f"{_cap(words)} distinct {label} regions are present.",
            )
        sentences.append(Sentence("roi_analysis", choose.pick(f"count.{label}", options), [key]))
    return sentences


def _roi_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    if not sample.rois:
        options = (
            "No region of interest is marked in this image.",
            "No region of interest is outlined here.",
            "The image has no marked region of interest.",
        )
        return [Sentence("roi_analysis", choose.pick("roi.none", options), ["rois"])]
    sentences = _count_sentences(sample, choose)
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        key = f"rois[{index}]"
        noun = f"the {roi.label}" if roi.kind != "lesion" else f"{article(roi.label)} {roi.label}"
        where = _where_phrase(roi, choose, key)
        size, size_keys = _size_phrase(roi, choose, key)
        verb = choose.pick(f"{key}.verb", ("lies", "is seen", "is located", "appears", "is present"))
        options = (
            f"{_cap(noun)} {verb} {where}, {size}.",
            f"{_cap(where)} there is {noun}, {size}.",
            f"{_cap(where)}, {noun} {verb}, {size}.",
        )
        evidence = [f"{key}.region", f"{key}.patient_side", *size_keys]
        sentences.append(Sentence("roi_analysis", choose.pick(f"{key}.sentence", options), evidence))
        shape, margin = _get(roi, "shape"), _get(roi, "margin")
        if shape or margin:
            if shape and margin:
                options = (f"It is {shape} with {margin} margins.", f"Its outline is {shape}, with {margin} margins.",
                           f"Its shape is {shape} and its margins are {margin}.")
            elif shape:
                options = (f"It is {shape} in shape.", f"Its outline is {shape}.", f"Its contour is {shape}.",
                           f"In shape it is {shape}.", f"The {roi.label} has {article(shape)} {shape} outline.")
            else:
                options = (f"It has {margin} margins.", f"Its margins are {margin}.",
                           f"The {roi.label} has {margin} margins.")
            keys = [f"{key}.{name}" for name, value in (("shape", shape), ("margin", margin)) if value]
            sentences.append(Sentence("roi_analysis", choose.pick(f"{key}.shape", options), keys))
        if roi.volume_ml is not None and roi.kind == "lesion":
            span = f", spanning {number_word(roi.slices_spanned)} slices" if (roi.slices_spanned or 0) > 1 else ""
            options = (
                f"In three dimensions this {roi.label} measures {roi.volume_ml:.1f} ml{span}.",
                f"Over the whole scan this {roi.label} amounts to {roi.volume_ml:.1f} ml{span}.",
                f"Its volume across the scan is {roi.volume_ml:.1f} ml{span}.",
            )
            evidence = [f"{key}.volume_ml"] + ([f"{key}.slices_spanned"] if span else [])
            sentences.append(Sentence("roi_analysis", choose.pick(f"{key}.volume", options), evidence))
    if len(sample.rois) > MAX_DESCRIBED_ROIS:
        left = len(sample.rois) - MAX_DESCRIBED_ROIS
        sentences.append(Sentence("roi_analysis", f"{_cap(number_word(left))} further marked regions are not "
                                                  f"described.", ["rois"]))
    return sentences


# ---------------------------------------------------------------------------------------------- texture


def _texture_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    sentences: list[Sentence] = []
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        if roi.kind != "lesion" or not roi.intensity_word or roi.contrast_to_surround is None:
            continue
        key = f"rois[{index}]"
        unit = f" {roi.intensity_unit}" if roi.intensity_unit else ""
        direction = "higher" if roi.contrast_to_surround > 0 else "lower"
        difference = f"{abs(roi.contrast_to_surround):.0f}{unit}"
        sd = f"{roi.intensity_sd:.0f}{unit}" if roi.intensity_sd is not None else ""
        surround = choose.pick(f"{key}.surround", ("the surrounding tissue", "its surroundings", "the adjacent tissue"))
        spread = f" (standard deviation {sd})" if sd else ""
        texture = roi.texture or "undetermined"
        intensity_keys = [f"{key}.intensity_word", f"{key}.contrast_to_surround"]
        texture_keys = [f"{key}.texture", f"{key}.intensity_sd"]
        style = choose.pick(f"{key}.texture", range(4))
        if style == 0:
            sentences.append(Sentence("texture", (
                f"The {roi.label} is {roi.intensity_word} relative to {surround}, its mean {difference} {direction} "
                f"than its surroundings, and {texture} in texture{spread}."), intensity_keys + texture_keys))
        elif style == 1:
            sentences.append(Sentence("texture", (
                f"Compared with {surround}, the {roi.label} is {roi.intensity_word}: its mean is {difference} "
                f"{direction}."), intensity_keys))
            sentences.append(Sentence("texture", f"Its internal texture is {texture}{spread}.", texture_keys))
        elif style == 2:
            sentences.append(Sentence("texture", (
                f"The {roi.label} appears {roi.intensity_word}, with a mean {difference} {direction} than "
                f"{surround}; the texture inside it is {texture}{spread}."), intensity_keys + texture_keys))
        else:
            sentences.append(Sentence("texture", (
                f"On intensity, the {roi.label} is {roi.intensity_word} against {surround} (mean {difference} "
                f"{direction}), and it is {texture} inside{spread}."), intensity_keys + texture_keys))
    if not sentences:
        options = (
            "No lesion is marked, so no lesion texture is described.",
            "With no lesion marked, lesion texture and intensity are not described.",
            "No lesion texture is described because no lesion is marked.",
            "There is no marked lesion whose texture or intensity could be described.",
            "Lesion texture does not apply here: no lesion is marked.",
        )
        sentences.append(Sentence("texture", choose.pick("texture.none", options), ["rois"]))
    return sentences


# ---------------------------------------------------------------------------------------------- relations


def _organ_place(roi: ROI) -> str:
    part = _get(roi, "organ_part")
    if part and roi.containing_organ and roi.containing_organ not in part:
        return f"the {part} of the {roi.containing_organ}"
    return f"the {part or roi.containing_organ}"


def _share_of_image(roi: ROI, sample: Sample) -> float | None:
    if sample.image is None:
        return None
    height, width = sample.image.shape[:2]
    return 100.0 * roi.area_px / max(1, height * width)


_PASSAGE_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
MAX_QUOTED_WORDS = 60
_ON_MODALITY = re.compile(r"On ([A-Za-z0-9-]+(?: [A-Za-z0-9-]+)?)(?:\s*\([^()]*\))?:\s*")


def _passage_sentence(passage: Passage, choose: _Chooser, slot: str) -> Sentence | None:
    """One sentence of retrieved knowledge: the passage's subject, then its first substantive statement."""
    parts = [part.strip() for part in _PASSAGE_SENTENCES.split(passage.text.strip()) if part.strip()]
    if not parts:
        return None
    name = _PARENTHESES.sub("", parts[0]).strip().rstrip(".:") or passage.title
    statement = next((part for part in parts[1:] if len(part.split()) >= 6), "")
    if len(statement.split()) > MAX_QUOTED_WORDS or not statement:
        statement = ""
    if not statement:
        lead = choose.pick(slot, ("For context:", "Background knowledge:", "From the reference literature:",
                                  "Related knowledge:"))
        return Sentence("relations", f"{lead} {name}.", [f"passage:{passage.id}"])
    statement = statement if statement.endswith((".", "!", "?")) else statement + "."
    prefix = _ON_MODALITY.match(statement)
    if prefix:  # "On CT (computed tomography): A round lesion" -> "on CT, a round lesion"
        rest = statement[prefix.end():]
        first_word = rest.split(" ", 1)[0]
        if first_word[:1].isupper() and (len(first_word) == 1 or first_word[1:].islower()):
            rest = rest[:1].lower() + rest[1:]  # "A round lesion" -> "a round lesion"; "T2 ..." and "CT" stay
        statement = f"on {prefix.group(1)}, {rest}"
    lead = choose.pick(slot, (f"For context, on {name.lower()}:", f"Background knowledge ({name}):",
                              f"From the reference literature on {name.lower()}:", f"Related knowledge, {name}:"))
    return Sentence("relations", f"{lead} {statement}", [f"passage:{passage.id}"])


def _relation_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    sentences: list[Sentence] = []
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        key = f"rois[{index}]"
        parts: list[str] = []
        keys: list[str] = []
        if roi.containing_organ:
            place = _organ_place(roi)
            parts.append(choose.pick(f"{key}.within", (f"lies within {place}", f"is contained in {place}",
                                                       f"sits inside {place}", f"is located within {place}")))
            keys.append(f"{key}.containing_organ")
            if _get(roi, "organ_part"):
                keys.append(f"{key}.organ_part")
        if roi.neighbours:
            neighbours = join_words(roi.neighbours[:4])
            parts.append(choose.pick(f"{key}.borders", (f"borders the {neighbours}", f"abuts the {neighbours}",
                                                        f"lies next to the {neighbours}",
                                                        f"is adjacent to the {neighbours}")))
            keys.append(f"{key}.neighbours")
        if parts:
            sentences.append(Sentence("relations", f"The {roi.label} {' and '.join(parts)}.", keys))
        share = _share_of_image(roi, sample)
        if share is not None and roi.kind == "lesion":
            amount = f"{share:.1f}" if share < 10 else f"{share:.0f}"
            options = (
                f"Relative to the whole image, the {roi.label} covers about {amount} percent of the frame.",
                f"The {roi.label} takes up roughly {amount} percent of the image.",
                f"Within the full field of view, the {roi.label} occupies about {amount} percent.",
                f"About {amount} percent of the image area belongs to the {roi.label}.",
                f"Against the whole image, the {roi.label} is small, about {amount} percent of its area."
                if share < 5 else f"The {roi.label} fills about {amount} percent of the image area.",
            )
            sentences.append(Sentence("relations", choose.pick(f"{key}.share", options), [f"{key}.area_px"]))
    for number, passage in enumerate(sample.passages[:MAX_QUOTED_PASSAGES]):
        sentence = _passage_sentence(passage, choose, f"passage.{number}")
        if sentence is not None:
            sentences.append(sentence)
    if not sentences:
        text = (
            "No labelled structure touches the marked regions in this image."
            if sample.context_rois
            else "No organ labels are available to relate the regions to their surroundings."
        )
        sentences.append(Sentence("relations", text, ["context_rois"]))
    return sentences


def compose(sample: Sample) -> list[Sentence]:
    """The five sections' sentences for one grounded sample, each with its evidence keys."""
    choose = _Chooser(sample.id)
    return (
        _modality_sentences(sample, choose)
        + _organ_sentences(sample, choose)
        + _roi_sentences(sample, choose)
        + _texture_sentences(sample, choose)
        + _relation_sentences(sample, choose)
    )


def assemble(sentences: list[Sentence], backend: str, model: str, prompt_version: str) -> Description:
    """Sections and full text from sentences (sections in the fixed order)."""
    sections = {
        section: " ".join(s.text for s in sentences if s.section == section) for section in DESCRIPTION_SECTIONS
    }
    return Description(
        sections=sections,
        text=" ".join(sections[section] for section in DESCRIPTION_SECTIONS if sections[section]),
        backend=backend,
        model=model,
        prompt_version=prompt_version,
        sentences=sentences,
    )


@BACKENDS.register("composer")
class ComposerBackend(DescriptionBackend):
    """Deterministic five-section writer that states only measured facts and retrieved passages."""

    name = "composer"
    Options = NoOptions

    def describe(self, sample: Sample) -> Description:
        return assemble(compose(sample), self.name, "composer", PROMPT_VERSION)
