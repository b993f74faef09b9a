"""The offline default backend: sentences composed from measured facts and retrieved passages only.

Every sentence records the evidence it rests on (ROI attribute keys such as
``rois[0].largest_diameter_mm``, or ``passage:<id>``), so the verifier and a reader can trace
each claim. The phrasing varies with a seed drawn from the sample id, deterministically.
"""

from __future__ import annotations

from medtrinity.generation.backends import BACKENDS, DescriptionBackend
from medtrinity.generation.vocabulary import article, join_words, modality_name, plane_phrase
from medtrinity.records import DESCRIPTION_SECTIONS, ROI, Description, Sample, Sentence, stable_id

PROMPT_VERSION = "composer-1"
MAX_DESCRIBED_ROIS = 5


def _variant(sample: Sample, slot: str, count: int) -> int:
    return int(stable_id(sample.id, slot, length=8), 16) % count


def _modality_sentences(sample: Sample) -> list[Sentence]:
    kind = f"{plane_phrase(sample.plane)}{modality_name(sample.modality)}".strip()
    where = f" of the {sample.body_part}" if sample.body_part else ""
    options = (
        f"This is {article(kind)} {kind} image{where}.",
        f"The image is {article(kind)} {kind} scan{where}." if sample.modality in {"ct", "mri", "pet"}
        else f"The image is {article(kind)} {kind} image{where}.",
    )
    return [Sentence("modality", options[_variant(sample, "modality", 2)], ["modality", "plane", "body_part"])]


def _organ_sentences(sample: Sample) -> list[Sentence]:
    names = [roi.label for roi in sample.context_rois]
    if not names:
        names = sorted({roi.label for roi in sample.rois if roi.kind != "lesion"})
    if not names:
        return [Sentence("organs", "No organs or tissues are labelled in this image.", ["context_rois"])]
    shown = names[:6]
    more = f", among {len(names)} labelled structures" if len(names) > len(shown) else ""
    options = (
        f"Labelled structures in view include the {join_words(shown)}{more}.",
        f"The image shows the {join_words(shown)}{more}.",
    )
    return [Sentence("organs", options[_variant(sample, "organs", 2)], ["context_rois"])]


def _size_phrase(roi: ROI) -> str:
    if roi.largest_diameter_mm is not None and roi.area_mm2 is not None:
        return f"measuring {roi.largest_diameter_mm:.1f} mm in largest diameter and {roi.area_mm2:.0f} mm2 in area"
    return f"covering {roi.area_px} pixels"


def _where_phrase(roi: ROI) -> str:
    side = ""
    if roi.patient_side in {"left", "right"}:
        side = f", on the patient's {roi.patient_side} side"
    elif roi.patient_side == "midline":
        side = ", near the midline"
    return f"in the {roi.region} part of the image{side}"


def _roi_sentences(sample: Sample) -> list[Sentence]:
    if not sample.rois:
        return [Sentence("roi_analysis", "No region of interest is marked in this image.", ["rois"])]
    sentences: list[Sentence] = []
    counts: dict[str, int] = {}
    for roi in sample.rois:
        counts[roi.label] = counts.get(roi.label, 0) + 1
    for label, count in sorted(counts.items()):
        if count > 1:
            sentences.append(
                Sentence("roi_analysis", f"There are {count} separate {label} regions in this image.",
                         [f"rois[label={label}].count_same_label"])
            )
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        key = f"rois[{index}]"
        noun = f"the {roi.label}" if roi.kind != "lesion" else f"{article(roi.label)} {roi.label}"
        options = (
            f"{noun[0].upper()}{noun[1:]} lies {_where_phrase(roi)}, {_size_phrase(roi)}.",
            f"{_where_phrase(roi)[0].upper()}{_where_phrase(roi)[1:]} there is {noun}, {_size_phrase(roi)}.",
        )
        evidence = [f"{key}.region", f"{key}.patient_side", f"{key}.largest_diameter_mm", f"{key}.area_mm2"]
        sentences.append(Sentence("roi_analysis", options[_variant(sample, key, 2)], evidence))
        if roi.volume_ml is not None and roi.kind == "lesion":
            sentences.append(
                Sentence(
                    "roi_analysis",
                    f"Across the whole volume the {roi.label} label occupies {roi.volume_ml:.1f} ml.",
                    [f"{key}.volume_ml"],
                )
            )
    if len(sample.rois) > MAX_DESCRIBED_ROIS:
        sentences.append(
            Sentence("roi_analysis", f"{len(sample.rois) - MAX_DESCRIBED_ROIS} further regions are not described.",
                     ["rois"])
        )
    return sentences


def _texture_sentences(sample: Sample) -> list[Sentence]:
    sentences: list[Sentence] = []
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        if roi.kind != "lesion" or not roi.intensity_word or roi.contrast_to_surround is None:
            continue
        key = f"rois[{index}]"
        unit = f" {roi.intensity_unit}" if roi.intensity_unit else ""
        direction = "higher" if roi.contrast_to_surround > 0 else "lower"
        difference = abs(roi.contrast_to_surround)
        sentences.append(
            Sentence(
                "texture",
                f"The {roi.label} is {roi.intensity_word} relative to the surrounding tissue, its mean "
                f"{difference:.0f}{unit} {direction} than its surroundings, and {roi.texture} in texture "
                f"(standard deviation {roi.intensity_sd:.0f}{unit}).",
                [f"{key}.intensity_word", f"{key}.contrast_to_surround", f"{key}.texture", f"{key}.intensity_sd"],
            )
        )
    if not sentences:
        sentences.append(Sentence("texture", "No lesion is marked, so no lesion texture is described.", ["rois"]))
    return sentences


def _relation_sentences(sample: Sample) -> list[Sentence]:
    sentences: list[Sentence] = []
    for index, roi in enumerate(sample.rois[:MAX_DESCRIBED_ROIS]):
        key = f"rois[{index}]"
        parts = []
        if roi.containing_organ:
            parts.append(f"lies within the {roi.containing_organ}")
        if roi.neighbours:
            parts.append(f"borders the {join_words(roi.neighbours[:4])}")
        if parts:
            sentences.append(
                Sentence("relations", f"The {roi.label} {' and '.join(parts)}.",
                         [f"{key}.containing_organ", f"{key}.neighbours"])
            )
    for passage in sample.passages[:1]:
        first = passage.text.split(". ")[0].strip().rstrip(".")
        if first:
            sentences.append(Sentence("relations", f"For context: {first}.", [f"passage:{passage.id}"]))
    if not sentences:
        text = (
            "No labelled structure touches the marked regions in this image."
            if sample.context_rois
            else "No organ labels are available to relate the regions to their surroundings."
        )
        sentences.append(Sentence("relations", text, ["context_rois"]))
    return sentences


@BACKENDS.register("composer")
class ComposerBackend(DescriptionBackend):
    """Deterministic five-section writer that states only measured facts and retrieved passages."""

    name = "composer"

    def describe(self, sample: Sample) -> Description:
        sentences = (
            _modality_sentences(sample)
            + _organ_sentences(sample)
            + _roi_sentences(sample)
            + _texture_sentences(sample)
            + _relation_sentences(sample)
        )
        sections = {
            section: " ".join(s.text for s in sentences if s.section == section) for section in DESCRIPTION_SECTIONS
        }
        return Description(
            sections=sections,
            text=" ".join(sections[section] for section in DESCRIPTION_SECTIONS if sections[section]),
            backend=self.name,
            model="composer",
            prompt_version=PROMPT_VERSION,
            sentences=sentences,
        )
