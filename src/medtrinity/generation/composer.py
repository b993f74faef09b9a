"""The offline default backend: report-language sentences composed from measured facts only.

Every sentence records the evidence it rests on (ROI attribute keys such as
``rois[0].largest_diameter_mm``), so the verifier and a reader can trace each claim. What is not
known is left out, never announced ("no lesion is marked" sentences are gone); a sample with
nothing grounded gets the modality sentence alone and the verifier flags it ``no_content``.
Retrieved passages never enter the text: those about a labelled entity go to
``Description.background`` with their citation (see :mod:`medtrinity.generation.background`).
Phrasing varies by slot with a seed drawn from the sample id, so the same sample always reads the
same while a million samples do not read as one template. Rules: docs/description-quality.md.
"""

from __future__ import annotations

from medtrinity.generation.acquisition import acquisition_facts, acquisition_words
from medtrinity.generation.backends import BACKENDS, DescriptionBackend
from medtrinity.generation.background import select_background
from medtrinity.generation.phrases import (
    axes_mm,
    box_noun,
    box_sides,
    dimensions,
    frame_share_percent,
    intensity_phrase,
    location,
    size_phrase,
)
from medtrinity.records import DESCRIPTION_SECTIONS, ROI, Description, Sample, Sentence, outlined_by_expert, stable_id
from medtrinity.registry import NoOptions
from medtrinity.vocab.labels import NOT_ANATOMY, is_no_finding
from medtrinity.vocab.modalities import modality_name
from medtrinity.vocab.words import article, join_words, number_word, verb

PROMPT_VERSION = "composer-3"
MAX_DESCRIBED_ROIS = 5
MAX_LISTED_ORGANS = 8
MAX_ORGAN_FACTS = 3


class _Chooser:
    """Deterministic choices keyed by the sample id and a slot name."""

    def __init__(self, sample_id: str):
        self.sample_id = sample_id

    def pick(self, slot: str, choices):
        choices = list(choices)
        return choices[int(stable_id(self.sample_id, slot, length=8), 16) % len(choices)]

    def slot(self, prefix: str):
        return lambda slot, choices: self.pick(f"{prefix}.{slot}", choices)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------- modality


def _picture(sample: Sample) -> tuple[str, str]:
    """(the picture's noun, the preposition it takes) for "the liver measures ... in this section": a cross-section
    or a tissue section is a section, a radiograph is "on" its film, a photograph of the fundus or the skin is a
    photograph, anything else an image."""
    if sample.modality == "xray" or sample.plane == "projection":
        return "radiograph", "on"
    if sample.modality in {"ct", "mri", "pet", "histopathology"}:
        return "section", "in"
    if sample.modality in {"fundus", "dermoscopy"}:
        return "photograph", "in"
    return "image", "in"


def _modality_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    facts = acquisition_facts(sample.metadata)
    before, after = acquisition_words(sample.modality, facts)
    plane = [sample.plane] if sample.plane in {"axial", "coronal", "sagittal"} else []
    kind = " ".join(plane + before + [modality_name(sample.modality)])
    if sample.modality == "xray":
        noun = "radiograph"
        kind = " ".join(plane + before + ([sample.body_part] if sample.body_part else []))
        where = ""
    elif sample.modality == "fundus":
        noun, kind, where = "photograph", " ".join(before + ["fundus"]), ""
    else:
        noun = choose.pick("modality.noun", ("image", "scan", "slice", "section")) \
            if sample.modality in {"ct", "mri", "pet"} else "image"
        where = f" of the {sample.body_part}" if sample.body_part else ""
    head = f"{kind} {noun}".strip()
    tail = f", {after}" if after else ""
    options = (
        f"{_cap(head)}{where}{tail}.",
        f"This is {article(head)} {head}{where}{tail}.",
        f"The study is {article(head)} {head}{where}{tail}.",
        f"{_cap(article(head))} {head}{where}{tail} is shown.",
        f"The image is {article(head)} {head}{where}{tail}.",
        f"Shown is {article(head)} {head}{where}{tail}.",
        f"{_cap(article(head))} {head}{where}{tail} is presented.",
    )
    evidence = ["modality", "plane", "body_part"] + [f"metadata.{key}" for key in facts]
    sentences = [Sentence("modality", choose.pick("modality", options), evidence)]
    labels = sorted({label for label in sample.image_labels if not is_no_finding(label)})
    if labels:
        listed = join_words(labels)
        options = (
            f"The source dataset labels this image with {listed}.",
            f"Dataset label{'s' if len(labels) > 1 else ''}: {listed}.",
            f"Its image-level label{'s are' if len(labels) > 1 else ' is'} {listed}.",
        )
        sentences.append(Sentence("modality", choose.pick("modality.labels", options), ["image_labels"]))
    elif sample.image_labels:
        sentences.append(Sentence("modality", "The source dataset labels this image as showing no finding.",
                                  ["image_labels"]))
    return sentences


# ---------------------------------------------------------------------------------------------- organs


def _organ_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    rois = [roi for roi in sample.context_rois if roi.label not in NOT_ANATOMY]
    if not rois:
        return []
    names = [roi.label for roi in rois]
    shown = names[:MAX_LISTED_ORGANS]
    listed = join_words(shown)
    where = _picture(sample)[0]
    if any(outlined_by_expert(roi) for roi in rois):  # "labelled" would name the source's annotators
        more = f", among {len(names)} outlined structures" if len(names) > len(shown) else ""
        options = (
            f"Structures outlined automatically in this {where} include the {listed}{more}.",
            f"Segmented anatomy in view: the {listed}{more}.",
            f"Structures outlined in the field include the {listed}{more}.",
        )
    else:
        more = f", among {len(names)} labelled structures" if len(names) > len(shown) else ""
        options = (
            f"Labelled structures in this {where} include the {listed}{more}.",
            f"Segmented anatomy in view: the {listed}{more}.",
            f"The {listed} {verb(shown, 'is', 'are')} labelled in this image{more}.",
            f"Structures outlined in the field include the {listed}{more}.",
        )
    return [Sentence("organs", choose.pick("organs", options), ["context_rois"])]


def _organ_appearance(sample: Sample, choose: _Chooser) -> list[Sentence]:
    """Measured attenuation (CT, in HU) and homogeneity of the largest labelled organs."""
    organs = [roi for roi in sample.context_rois
              if (roi.texture or roi.mean_intensity is not None) and roi.label not in NOT_ANATOMY]
    organs = organs[:MAX_ORGAN_FACTS]
    if not organs:
        return []
    by_texture: dict[str, list[str]] = {}
    sentences = []
    if all(roi.intensity_unit == "HU" and roi.mean_intensity is not None for roi in organs):
        values = [f"{roi.mean_intensity:.0f} HU in the {roi.label}" for roi in organs]
        options = (f"Mean attenuation measures {join_words(values)}.",
                   f"Measured mean attenuation is {join_words(values)}.")
        sentences.append(Sentence("texture", choose.pick("organs.hu", options), ["context_rois.mean_intensity"]))
    for roi in organs:
        if roi.texture:
            by_texture.setdefault(roi.texture, []).append(roi.label)
    parts = [f"the {join_words(labels)} {verb(labels, 'is', 'are')} {texture}"
             for texture, labels in sorted(by_texture.items())]
    if parts:
        noun = "attenuation" if sample.intensity_unit == "HU" else "signal" if sample.modality == "mri" else "intensity"
        options = (f"In {noun}, {'; '.join(parts)}.", f"{_cap('; '.join(parts))} in {noun}.")
        if len(by_texture) == 1:  # one texture for all: two more ways to say it
            (texture, labels), = by_texture.items()
            options += (f"{_cap(noun)} is {texture} in the {join_words(labels)}.",
                        f"The {join_words(labels)} {verb(labels, 'shows', 'show')} {texture} {noun}.")
        sentences.append(Sentence("texture", choose.pick("organs.texture", options), ["context_rois.texture"]))
    return sentences


# ---------------------------------------------------------------------------------------------- ROI analysis


def _count_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    counts: dict[str, tuple[int, int]] = {}
    for index, roi in enumerate(sample.rois):
        if roi.kind != "lesion":
            continue
        seen, first = counts.get(roi.label, (0, index))
        counts[roi.label] = (seen + 1, first)
    parts, keys = [], []
    for label, (seen, first) in sorted(counts.items()):
        total = max(seen, sample.rois[first].count_same_label)
        if box_noun(sample.rois[first]):
            parts.append(f"one box labelled {label}" if total == 1 else f"{number_word(total)} boxes labelled {label}")
        else:
            parts.append(f"a single {label}" if total == 1 else f"{number_word(total)} separate {label} regions")
        keys.append(f"rois[{first}].count_same_label")
    if not parts or (len(parts) == 1 and parts[0].startswith(("a single ", "one box "))):
        return []  # one lesion: the sentence that places it says so
    joined = join_words(parts)
    plural = len(parts) > 1 or not joined.startswith(("a single", "one box"))
    boxes = all(box_noun(sample.rois[first]) for _, first in counts.values())
    marked = "drawn" if boxes else "marked"  # "boxes ... are marked" says it twice
    options = (f"{_cap(joined)} {'are' if plural else 'is'} {marked}.", f"The image contains {joined}.",
               f"{_cap(marked)} in this image {'are' if plural else 'is'} {joined}.")
    return [Sentence("roi_analysis", choose.pick("count", options), keys)]


ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth")


def _lesion_sentences(sample: Sample, roi: ROI, key: str, choose: _Chooser, order: int | None,
                      counted: bool = False) -> list[Sentence]:
    """``counted``: a count sentence has named the region's label ("one box labelled X and ... are drawn")."""
    pick = choose.slot(key)
    where, where_keys = location(sample, roi, pick)
    size, size_keys = size_phrase(roi, pick)
    shape, margin = roi.shape, roi.margin
    adjectives = ", ".join(word for word in (shape, margin) if word)
    boxed = box_noun(roi)  # a box only: the sentence is about the box ("a box labelled pneumonia")
    described = boxed or (f"{adjectives} {roi.label}" if adjectives else roi.label)  # "a lobulated, ill-defined ..."
    noun = f"{article(described)} {described}" if order is None else f"the {ORDINAL_WORDS[order]} {boxed or roi.label}"
    verb = pick("verb", ("lies", "is seen", "is present") if where else (
        ("is drawn", "is present") if boxed else ("is seen", "is present", "is marked")))
    clauses = [f"{_cap(noun)} {verb}" + (f" {where}" if where else "")]
    if size:
        clauses.append(size)
    share = frame_share_percent(roi, sample) if not size else None
    if counted and boxed and not where and not size and share is None:
        return []  # "A box labelled X is drawn." would repeat the count sentence and add nothing
    extra_keys = []
    if share is not None:
        clauses.append(f"occupying about {share}% of the image")
        extra_keys.append(f"{key}.area_px")
    shape_keys = [f"{key}.{name}" for name, value in (("shape", shape), ("margin", margin)) if value]
    if order is None:
        extra_keys += shape_keys
    evidence = [f"{key}.{name}" for name in where_keys + size_keys] + extra_keys or [f"{key}.label"]
    sentences = [Sentence("roi_analysis", ", ".join(clauses) + ".", evidence)]
    if order is not None and (shape or margin):
        if shape and margin:
            text = pick("shape", (f"It is {shape} with {margin} margins.", f"Its outline is {shape}, with {margin} "
                                  f"margins."))
        elif shape:
            text = pick("shape", (f"It is {shape} in shape.", f"Its outline is {shape}."))
        else:
            text = pick("shape", (f"It has {margin} margins.", f"Its margins are {margin}."))
        sentences.append(Sentence("roi_analysis", text, shape_keys))
    if roi.volume_ml is not None:
        spans = (roi.slices_spanned or 0) > 1
        slices = number_word(roi.slices_spanned or 0)
        text = pick("volume", (f"Across the scan it measures {roi.volume_ml:.1f} ml" + (
            f" and spans {slices} slices." if spans else "."),
            f"Its volume over the whole scan is {roi.volume_ml:.1f} ml" + (
            f", spanning {slices} slices." if spans else ".")))
        span = spans
        keys = [f"{key}.volume_ml"] + ([f"{key}.slices_spanned"] if span else [])
        sentences.append(Sentence("roi_analysis", text, keys))
    return sentences


def _organ_roi_sentence(sample: Sample, roi: ROI, key: str, choose: _Chooser) -> list[Sentence]:
    pick = choose.slot(key)
    dims, size_keys = dimensions(roi)
    if not dims:  # no pixel spacing: no size, but a ratio of widths needs none
        return _cardiothoracic_sentences(sample, roi, key, pick)
    where, where_keys = location(sample, roi, pick)
    where = f", {where}," if where else ""
    noun, preposition = _picture(sample)
    here = f"{preposition} this {noun}"
    sides, box_keys = box_sides(roi)
    if sides:  # the annotation's box, not the structure's own measured size
        text = pick("organ", (f"The {roi.label}{where} is marked by a box of {sides} {here}.",
                              f"{_cap(here)} a box of {sides} marks the {roi.label}{where.rstrip(',')}."))
        return [Sentence("roi_analysis", text, [f"{key}.{name}" for name in where_keys + box_keys])]
    if roi.pieces > 1:
        text = (f"The {roi.label} appears as {number_word(roi.pieces)} separate pieces {here}; "
                f"the largest{where} measures {dims.split(' (')[0]}, all pieces together {roi.area_mm2:.0f} mm2."
                if roi.area_mm2 is not None else
                f"The {roi.label} appears as {number_word(roi.pieces)} separate pieces {here}; "
                f"the largest{where} measures {dims}.")
        evidence = [f"{key}.pieces"]
    else:
        measures = verb(roi.label, "measures", "measure")
        text = pick("organ", (f"The {roi.label}{where} {measures} {dims} {here}.",
                              f"{_cap(here)} the {roi.label}{where} {measures} {dims}."))
        evidence = []
    evidence += [f"{key}.{name}" for name in where_keys + size_keys]
    return [Sentence("roi_analysis", text, evidence), *_cardiothoracic_sentences(sample, roi, key, pick)]


def _cardiothoracic_sentences(sample: Sample, roi: ROI, key: str, pick) -> list[Sentence]:
    """The chest X-ray expert's heart width over thoracic width, where it measured one (a ratio: stated with or
    without the pixel spacing), with the magnification of an AP film said."""
    ratio = roi.measurements.get("cardiothoracic_ratio")
    if ratio is None:
        return []
    percent = f"{100 * ratio:.0f}%"
    if acquisition_facts(sample.metadata).get("view_position") == "ap":
        # the heart lies far from the detector on an AP film and is magnified: the ratio says less
        return [Sentence("roi_analysis", f"On this anteroposterior view, which magnifies the heart, the "
                                         f"cardiothoracic ratio measures about {percent}.",
                         [f"{key}.measurements", "metadata.view_position"])]
    text = pick("ctr", (f"The cardiothoracic ratio is about {percent}.",
                        f"The cardiothoracic ratio measures about {percent}."))
    return [Sentence("roi_analysis", text, [f"{key}.measurements"])]


def _roi_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    sentences = _count_sentences(sample, choose)
    counted = bool(sentences)
    described = sample.rois[:MAX_DESCRIBED_ROIS]
    for index, roi in enumerate(described):
        key = f"rois[{index}]"
        if roi.kind == "lesion":
            same = [other for other in described if other.label == roi.label]
            order = None if len(same) == 1 else next(n for n, other in enumerate(same) if other is roi)
            sentences += _lesion_sentences(sample, roi, key, choose, order, counted)
        else:
            sentences += _organ_roi_sentence(sample, roi, key, choose)
    if len(sample.rois) > MAX_DESCRIBED_ROIS:
        left = len(sample.rois) - MAX_DESCRIBED_ROIS
        sentences.append(Sentence("roi_analysis", f"{_cap(number_word(left))} further marked regions are not "
                                                  f"described.", ["rois"]))
    return sentences


# ---------------------------------------------------------------------------------------------- texture


def _texture_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    sentences: list[Sentence] = []
    lesions = [(index, roi) for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]) if roi.kind == "lesion"]
    for index, roi in lesions:
        key = f"rois[{index}]"
        intensity, keys = intensity_phrase(roi, sample.modality, choose.slot(key))
        texture = roi.texture
        same = sum(1 for _, other in lesions if other.label == roi.label)
        subject = f"The {roi.label}"
        if same > 1 and roi.largest_diameter_mm is not None:  # name the piece by its size so "which one" is clear
            subject = f"The {axes_mm(roi)[0]} mm {roi.label}"
            keys = keys + ["largest_diameter_mm"]
        parts = [part for part in (intensity, texture) if part]
        if roi.colour:
            parts.insert(0, roi.colour)
            keys = keys + ["colour"]
        if not parts:
            continue
        body = join_words(parts)
        frames = (f"{subject} is {body}.", f"{subject} appears {body}.", f"On this image {subject[:1].lower()}"
                  f"{subject[1:]} is {body}.", f"{subject} looks {body}.", f"In appearance, {subject[:1].lower()}"
                  f"{subject[1:]} is {body}.", f"{subject} shows as {body}.")
        if not intensity and not roi.colour:  # a texture alone: "shows as heterogeneous" does not read
            frames = (*frames[:-1], f"{subject} has a {texture} texture.", f"{subject} is {texture} in texture.")
        text = choose.pick(f"{key}.texture", frames)
        evidence = [f"{key}.{name}" for name in keys] + ([f"{key}.texture"] if texture else [])
        sentences.append(Sentence("texture", text, evidence))
    if not lesions:
        sentences += _organ_appearance(sample, choose)
    return sentences


# ---------------------------------------------------------------------------------------------- relations


def _relation_sentences(sample: Sample, choose: _Chooser) -> list[Sentence]:
    sentences: list[Sentence] = []
    described = {roi.label for roi in sample.rois[:MAX_DESCRIBED_ROIS]}
    stated: set[frozenset[str]] = set()
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        key = f"rois[{index}]"
        parts: list[str] = []
        keys: list[str] = []
        # "A abuts B" once: not again as "B abuts A" when B is also described
        neighbours = [name for name in roi.neighbours
                      if frozenset((roi.label, name)) not in stated and name not in NOT_ANATOMY]
        stated.update(frozenset((roi.label, name)) for name in roi.neighbours if name in described)
        boxed = box_noun(roi)
        # "the optic disc surrounds the optic cup", and then not again as "the optic cup lies within the disc"
        inside = [name for name in roi.surrounds if frozenset((roi.label, name)) not in stated]
        stated.update(frozenset((roi.label, name)) for name in roi.surrounds)
        if inside:
            inside = join_words(inside[:4])
            surrounds, encloses = (verb(roi.label, *forms) for forms in (("surrounds", "surround"),
                                                                          ("encloses", "enclose")))
            parts.append(choose.pick(f"{key}.surrounds", (f"{surrounds} the {inside}", f"{encloses} the {inside}")))
            keys.append(f"{key}.surrounds")
        within = frozenset((roi.label, roi.containing_organ))  # two lesions in one organ: each lies within it
        if roi.containing_organ and (roi.kind == "lesion" or within not in stated):
            stated.add(within)
            part = roi.organ_part
            place = f"the {part} of the {roi.containing_organ}" if part and roi.containing_organ not in part \
                else f"the {part or roi.containing_organ}"
            parts.append(choose.pick(f"{key}.within", (f"lies within {place}", f"is located in {place}",
                                                       f"is situated in {place}", f"sits in {place}",
                                                       f"is contained in {place}")))
            keys.append(f"{key}.containing_organ")
            if part:
                keys.append(f"{key}.organ_part")
        over = [name for name in roi.overlies if name not in NOT_ANATOMY]
        if over:  # a box drawn over organs: it lies over them, not beside them; past the edge of the one it lies in
            over = join_words(over[:4])
            overlies = verb("box" if boxed else roi.label, "overlies", "overlie")
            frames = (f"extends over the {over}", f"reaches over the {over}") if roi.containing_organ else \
                (f"{overlies} the {over}", f"is drawn over the {over}")
            parts.append(choose.pick(f"{key}.overlies", frames))
            keys.append(f"{key}.overlies")
        if neighbours:
            neighbours = join_words(neighbours[:4])
            borders, abuts, is_ = (verb("box" if boxed else roi.label, *forms) for forms in
                                   (("borders", "border"), ("abuts", "abut"), ("is", "are")))
            parts.append(choose.pick(f"{key}.borders", (f"{borders} the {neighbours}", f"{abuts} the {neighbours}",
                                                        f"{is_} adjacent to the {neighbours}")))
            keys.append(f"{key}.neighbours")
        if parts:
            subject = choose.pick(f"{key}.subject", (f"The {boxed or roi.label}", "It")) if sentences == [] and \
                roi.kind == "lesion" and len(sample.rois) == 1 else f"The {boxed or roi.label}"
            sentences.append(Sentence("relations", f"{subject} {join_words(parts)}.", keys))
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


def assemble(sentences: list[Sentence], backend: str, model: str, prompt_version: str,
             background: list[dict[str, str]] | None = None) -> Description:
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
        background=list(background or []),
    )


@BACKENDS.register("composer")
class ComposerBackend(DescriptionBackend):
    """Deterministic five-section writer that states only measured facts; knowledge goes to background."""

    name = "composer"
    Options = NoOptions

    def describe(self, sample: Sample) -> Description:
        background = select_background(sample, _Chooser(sample.id).pick)
        return assemble(compose(sample), self.name, "composer", PROMPT_VERSION, background)
