"""Coarse captions from metadata alone, as the paper's first stage: modality, body part, labels."""

from __future__ import annotations

from medtrinity.records import Sample
from medtrinity.vocab.modalities import modality_name
from medtrinity.vocab.planes import plane_phrase
from medtrinity.vocab.words import join_words


def coarse_caption(sample: Sample) -> str:
    """One sentence of what the metadata says: '<plane> <modality> image of the <body part> showing <labels>'."""
    head = f"{plane_phrase(sample.plane)}{modality_name(sample.modality)} image".strip()
    if sample.body_part:
        head += f" of the {sample.body_part}"
    findings = sorted({roi.label for roi in sample.rois if roi.kind == "lesion"})
    structures = sorted({roi.label for roi in sample.rois if roi.kind != "lesion"})
    labels = findings or structures or sorted(set(sample.image_labels))
    if labels:
        verb = "with" if findings or sample.image_labels else "showing"
        head += f" {verb} {join_words(labels)}"
    return head[0].upper() + head[1:] + "."
