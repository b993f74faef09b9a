"""The record vocabulary every stage speaks: Sample, ROI, Passage, Description, QC, Reject.

Records are plain dataclasses. Arrays live on the in-memory ``Sample`` only; what is written
to disk is the flat row built by :mod:`medtrinity.schema`. Conventions: boxes are
``(x0, y0, x1, y1)`` in pixels, half-open; ``spacing_mm`` is ``(x_mm, y_mm)``, the size of one
pixel along the image columns and rows; "left" always means the patient's left.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

ROI_KINDS: tuple[str, ...] = ("lesion", "organ", "structure")

QC_STATUSES: tuple[str, ...] = ("pass", "flag", "reject")

DESCRIPTION_SECTIONS: tuple[str, ...] = (
    "modality",
    "organs",
    "roi_analysis",
    "texture",
    "relations",
)



def stable_id(*parts: object, length: int = 16) -> str:
    """Hex digest of the parts joined by a separator: the same inputs always give the same id."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


class SampleError(Exception):
    """A problem with one sample (bad file, wrong shape, empty mask): it becomes a reject, not a crash."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _plain_rle(rle: dict[str, Any] | None) -> dict[str, Any]:
    """A COCO RLE as plain values ({"size": [h, w], "counts": str}); an empty one (context ROIs) stays empty."""
    if not rle:
        return {}
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"]}


# the origin of a region that is a painted box (an annotation's rectangle), not an outline of what it marks
BOX_ORIGIN = "box"


def outlined_by_expert(roi: ROI) -> bool:
    """Whether an expert model drew the region (its origin names the expert), rather than the source's own
    mask or box: text calls such regions "outlined", never "labelled" (the annotators' word)."""
    return roi.origin not in ("provided", BOX_ORIGIN)


@dataclass
class ROI:
    """One region of interest measured from a mask. Coordinates in pixels of the stored image."""

    label: str
    kind: str
    bbox_xyxy: tuple[int, int, int, int]
    mask_rle: dict[str, Any]
    area_px: int
    area_mm2: float | None
    centroid_xy: tuple[float, float]
    label_value: int = 0
    instance: int = 1
    largest_diameter_mm: float | None = None
    perpendicular_diameter_mm: float | None = None
    shape: str = ""
    circularity: float | None = None
    solidity: float | None = None
    eccentricity: float | None = None
    region: str = ""
    patient_side: str = ""
    patient_direction: list[str] = field(default_factory=list)
    containing_organ: str = ""
    organ_part: str = ""
    neighbours: list[str] = field(default_factory=list)
    # labelled structures lying wholly inside this region's outline in this image (the optic cup in the optic
    # disc); not repeated in ``neighbours``. For an organ or structure, ``containing_organ`` is the converse.
    surrounds: list[str] = field(default_factory=list)
    # an annotation's box (origin ``box``): the outlined organs it is drawn over, each under at least
    # BOX_OVERLAP_SHARE of its area (not repeated in ``neighbours``; the organ it lies in is ``containing_organ``)
    overlies: list[str] = field(default_factory=list)
    mean_intensity: float | None = None
    intensity_unit: str = ""
    contrast_to_surround: float | None = None
    intensity_word: str = ""
    intensity_sd: float | None = None
    texture: str = ""
    margin: str = ""
    margin_sharpness: float | None = None
    colour: str = ""
    count_same_label: int = 1
    pieces: int = 1  # connected pieces of an organ label in this image; sizes are of the largest piece
    volume_ml: float | None = None
    slices_spanned: int | None = None
    largest_slice_index: int | None = None
    origin: str = "provided"
    # set for regions an expert outlined: its confidence (0..1) and the facts it measured on the region
    confidence: float | None = None
    measurements: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain values (tuples become lists): the form of the Arrow ROI struct and of JSON."""
        values: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "mask_rle":
                value = _plain_rle(value)
            elif item.name == "measurements":  # a list of {name, value}: Arrow, Parquet and datasets all read it
                value = [{"name": str(key), "value": float(number)} for key, number in sorted(value.items())]
            elif isinstance(value, (tuple, list)):
                value = list(value)
            values[item.name] = value
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ROI:
        """The inverse of :meth:`to_dict` (also reads rows of the Arrow ROI struct); unknown keys are an error."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown ROI field(s) {unknown}; known: {sorted(known)}")
        kwargs = dict(values)
        kwargs["bbox_xyxy"] = tuple(int(v) for v in values["bbox_xyxy"])
        kwargs["centroid_xy"] = tuple(float(v) for v in values["centroid_xy"])
        kwargs["mask_rle"] = _plain_rle(values["mask_rle"])
        for name in ("patient_direction", "neighbours", "surrounds", "overlies"):
            if name in values:
                kwargs[name] = list(values[name] or [])
        if "measurements" in values:
            entries = values["measurements"] or []
            kwargs["measurements"] = {str(entry["name"]): float(entry["value"]) for entry in entries}
        return cls(**kwargs)


@dataclass
class Passage:
    """A retrieved knowledge passage, cited by id from the description."""

    id: str
    source: str
    title: str
    text: str
    score: float
    license: str = ""


@dataclass
class Sentence:
    """One sentence of a description with the evidence keys (ROI attributes or passage ids) it rests on."""

    section: str
    text: str
    evidence: list[str] = field(default_factory=list)


@dataclass
class Description:
    """The five attribute sections, the full text, and which backend and prompt produced them."""

    sections: dict[str, str]
    text: str
    backend: str
    model: str
    prompt_version: str
    sentences: list[Sentence] = field(default_factory=list)
    # background knowledge kept beside the text, never in it: {passage_id, title, source, license, text}
    background: list[dict[str, str]] = field(default_factory=list)


@dataclass
class QCIssue:
    code: str
    message: str


@dataclass
class QC:
    """Quality status of one triplet: pass, flag or reject, with the problems found."""

    status: str = "pass"
    issues: list[QCIssue] = field(default_factory=list)


@dataclass
class Sample:
    """One 2D image to annotate, plus everything known about it before and after each stage.

    ``pixels`` holds the physical-unit array (HU for CT) or the raw intensities; ``image`` is
    the uint8 display image set by preprocessing. ``label_map`` (int, same shape as ``pixels``)
    carries input masks with ``label_names`` naming its values.
    """

    id: str
    source: str
    case_id: str
    modality: str
    body_part: str
    pixels: np.ndarray
    spacing_mm: tuple[float, float] | None = None
    plane: str = "unknown"
    slice_index: int = -1
    patient_orientation: tuple[str, str] = ("", "")
    intensity_unit: str = ""
    label_map: np.ndarray | None = None
    label_names: dict[int, str] = field(default_factory=dict)
    finding_labels: frozenset[str] = frozenset()
    image_labels: list[str] = field(default_factory=list)
    # input boxes (label, (x0, y0, x1, y1)) in pixels of ``pixels``, half-open; readers also paint each
    # box into ``label_map`` as a filled rectangle so that grounding turns it into an ROI (mask = box)
    input_boxes: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    license: str = ""
    source_file: str = ""
    volume_stats: dict[str, dict[str, float]] = field(default_factory=dict)
    label_origins: dict[str, str] = field(default_factory=dict)
    label_confidence: dict[str, float] = field(default_factory=dict)  # expert labels: the expert's score
    label_kinds: dict[str, str] = field(default_factory=dict)  # expert labels: organ, structure or lesion
    label_measurements: dict[str, dict[str, float]] = field(default_factory=dict)  # expert labels: measured facts
    lesion_components: np.ndarray | None = None
    # where an expert's organ lies under a painted input box: that organ's label value (0 elsewhere); the box's
    # pixels keep the box's value in ``label_map``, so this is what the box is drawn over (None: no box, no expert)
    under_boxes: np.ndarray | None = None
    component_stats: dict[int, dict[str, float]] = field(default_factory=dict)
    image: np.ndarray | None = None
    rois: list[ROI] = field(default_factory=list)
    context_rois: list[ROI] = field(default_factory=list)
    coarse_caption: str = ""
    passages: list[Passage] = field(default_factory=list)
    description: Description | None = None
    qc: QC = field(default_factory=QC)
    judge_scores: dict[str, float] | None = None  # five-attribute rubric scores (0..1) when the judge is on


@dataclass
class Reject:
    """A sample (or an input file) that could not become a triplet, with the stage and reason."""

    sample_id: str
    source: str
    source_file: str
    stage: str
    code: str
    reason: str
