"""A light, array-free view of what was measured about one sample: what the verifier checks text against.

Built from an in-memory :class:`~medtrinity.records.Sample` during a run, or from a written
Parquet row (``medtrinity verify DIR``), so the same checks run on descriptions generated here,
edited by hand or imported from elsewhere. Fields the grounding stage may add later
(``perpendicular_diameter_mm``, ``shape``, ``margin``, ``organ_part``) are read when present.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from medtrinity.records import Sample

_OPTIONAL_ROI_FIELDS = ("perpendicular_diameter_mm", "shape", "margin", "organ_part")


@dataclass(frozen=True)
class RegionFacts:
    """The measured attributes of one ROI that a sentence may state."""

    index: int
    label: str
    kind: str = "lesion"
    largest_diameter_mm: float | None = None
    perpendicular_diameter_mm: float | None = None
    area_mm2: float | None = None
    area_px: int | None = None
    volume_ml: float | None = None
    region: str = ""
    patient_side: str = ""
    containing_organ: str = ""
    neighbours: tuple[str, ...] = ()
    surrounds: tuple[str, ...] = ()  # structures wholly inside the region's outline (the optic cup in the disc)
    overlies: tuple[str, ...] = ()  # a box: the outlined organs it is drawn over
    intensity_word: str = ""
    contrast_to_surround: float | None = None
    texture: str = ""
    count_same_label: int = 1
    shape: str = ""
    margin: str = ""
    organ_part: str = ""
    mean_intensity: float | None = None
    intensity_unit: str = ""
    slices_spanned: int | None = None
    pieces: int = 1
    measurements: tuple[tuple[str, float], ...] = ()  # an expert's named facts, e.g. ("cardiothoracic_ratio", 0.46)
    origin: str = ""  # "box": the region is an annotation's box, whose outline and pixels are not the finding's
    centroid_xy: tuple[float, float] | None = None  # in the image's pixels

    def measurement(self, name: str) -> float | None:
        """One named measurement of the region, or None."""
        return next((value for key, value in self.measurements if key == name), None)

    @classmethod
    def from_mapping(cls, index: int, values: dict[str, Any]) -> RegionFacts:
        def get(name: str, default: Any = None) -> Any:
            value = values.get(name, default)
            return default if value is None else value

        return cls(
            index=index,
            label=str(get("label", "")),
            kind=str(get("kind", "lesion")),
            largest_diameter_mm=values.get("largest_diameter_mm"),
            perpendicular_diameter_mm=values.get("perpendicular_diameter_mm"),
            area_mm2=values.get("area_mm2"),
            area_px=values.get("area_px"),
            volume_ml=values.get("volume_ml"),
            region=str(get("region", "")),
            patient_side=str(get("patient_side", "")),
            containing_organ=str(get("containing_organ", "")),
            neighbours=tuple(get("neighbours", ()) or ()),
            surrounds=tuple(get("surrounds", ()) or ()),
            overlies=tuple(get("overlies", ()) or ()),
            intensity_word=str(get("intensity_word", "")),
            contrast_to_surround=values.get("contrast_to_surround"),
            texture=str(get("texture", "")),
            count_same_label=int(get("count_same_label", 1)),
            shape=str(get("shape", "")),
            margin=str(get("margin", "")),
            organ_part=str(get("organ_part", "")),
            mean_intensity=values.get("mean_intensity"),
            intensity_unit=str(get("intensity_unit", "")),
            slices_spanned=values.get("slices_spanned"),
            pieces=int(get("pieces", 1)),
            measurements=_named_values(values.get("measurements")),
            origin=str(get("origin", "")),
            centroid_xy=None if values.get("centroid_xy") is None else (float(values["centroid_xy"][0]),
                                                                         float(values["centroid_xy"][1])),
        )


def _named_values(measurements: Any) -> tuple[tuple[str, float], ...]:
    """A ROI's measurements as (name, value) pairs, from the dict on a Sample or the {name, value} list of a row."""
    if not measurements:
        return ()
    if isinstance(measurements, dict):
        pairs = measurements.items()
    else:
        pairs = ((entry["name"], entry["value"]) for entry in measurements)
    return tuple(sorted((str(name), float(value)) for name, value in pairs))


@dataclass(frozen=True)
class SampleFacts:
    """Modality, body part, labels and ROIs of one sample, plus the sentences that quote knowledge."""

    modality: str
    body_part: str = ""
    rois: tuple[RegionFacts, ...] = ()
    context_labels: tuple[str, ...] = ()
    context_sides: tuple[str, ...] = ()  # per context label: the side it lies on wholly ('' where it crosses)
    context_centroids_xy: tuple[tuple[float, float], ...] = ()  # per context label, in the image's pixels
    patient_orientation: tuple[str, str] = ("", "")  # the patient directions image columns and rows grow towards
    plane: str = ""  # the slice's plane (axial, coronal, sagittal) where known
    image_labels: tuple[str, ...] = ()
    knowledge_sentences: tuple[str, ...] = field(default=())
    image_area_px: int = 0
    view_position: str = ""  # a radiograph's projection (pa, ap, lateral ...) where the metadata says it
    ct_phase: str = ""  # a CT's contrast phase (non_contrast, arterial, portal_venous, delayed) where it says it
    contrast_enhanced: bool | None = None  # whether the metadata says contrast was given (None: it does not say)
    mr_sequence: tuple[str, ...] = ()  # an MRI's sequence tokens (t1, t2, flair, dwi ...) where the metadata says
    patient_recorded: bool = False  # the metadata records the patient's age or sex (a source's own column)
    slice_mm: tuple[float, ...] = ()  # the slice thickness and voxel spacings the metadata records, in mm
    kvp: float | None = None  # the tube voltage (DICOM KVP) the metadata records

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Every anatomy or finding name known for the sample (ROIs, context, neighbours, organs).

        Built once per sample (the facts are frozen): every check's clauses read it.
        """
        names = {roi.label for roi in self.rois} | set(self.context_labels) | set(self.image_labels)
        for roi in self.rois:
            names.update(roi.neighbours)
            names.update(roi.surrounds)
            names.update(roi.overlies)
            if roi.containing_organ:
                names.add(roi.containing_organ)
            if roi.organ_part:
                names.add(roi.organ_part)
        return tuple(sorted(name for name in names if name))

    @cached_property
    def label_text(self) -> str:
        """Every known name (:attr:`labels`, which holds the context's and the image's) in one lower-case string,
        for the checks that ask whether any label holds a word ("cavitary", "cardiomegaly", "tube")."""
        return " ".join(self.labels).lower()

    @cached_property
    def memo(self) -> dict:
        """The checks' per-sample memo table (:func:`medtrinity.quality.checks.shortcuts.sample_memo`)."""
        return {}

    @classmethod
    def from_sample(cls, sample: Sample) -> SampleFacts:
        rois = []
        for index, roi in enumerate(sample.rois):
            values = dict(vars(roi))
            values["neighbours"] = list(roi.neighbours)
            values["surrounds"] = list(roi.surrounds)
            values["overlies"] = list(roi.overlies)
            rois.append(RegionFacts.from_mapping(index, values))
        knowledge = ()
        if sample.description is not None:
            knowledge = knowledge_sentences(
                [(s.text, s.evidence) for s in sample.description.sentences]
            )
        return cls(
            modality=sample.modality,
            body_part=sample.body_part,
            rois=tuple(rois),
            context_labels=tuple(roi.label for roi in sample.context_rois),
            context_sides=tuple(roi.patient_side for roi in sample.context_rois),
            context_centroids_xy=tuple((float(roi.centroid_xy[0]), float(roi.centroid_xy[1]))
                                       for roi in sample.context_rois),
            patient_orientation=_orientation(sample.patient_orientation),
            plane=str(sample.plane or ""),
            image_labels=tuple(sample.image_labels),
            knowledge_sentences=knowledge,
            image_area_px=int(sample.image.shape[0] * sample.image.shape[1]) if sample.image is not None else 0,
            **_acquisition(sample.metadata),
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SampleFacts:
        """From a written triplet row (a dict as ``pyarrow`` gives it)."""
        rois = tuple(RegionFacts.from_mapping(i, dict(values)) for i, values in enumerate(row.get("rois") or []))
        evidence = [(item["sentence"], list(item.get("evidence") or [])) for item in row.get("description_evidence")
                    or []]
        return cls(
            modality=str(row.get("modality") or ""),
            body_part=str(row.get("body_part") or ""),
            rois=rois,
            context_labels=tuple(row.get("context_labels") or ()),
            context_sides=tuple(row.get("context_sides") or ()),
            context_centroids_xy=tuple((float(x), float(y)) for x, y in row.get("context_centroids_xy") or ()),
            patient_orientation=_orientation(row.get("patient_orientation")),
            plane=str(row.get("plane") or ""),
            image_labels=tuple(row.get("image_labels") or ()),
            knowledge_sentences=knowledge_sentences(evidence),
            image_area_px=int(row.get("width") or 0) * int(row.get("height") or 0),
            **_acquisition(_metadata_of(row)),
        )


def _orientation(letters: Any) -> tuple[str, str]:
    """Two patient-direction letters (columns, rows), ("", "") where unknown."""
    letters = list(letters or ())
    return (str(letters[0] or ""), str(letters[1] or "")) if len(letters) == 2 else ("", "")


def _metadata_of(row: dict[str, Any]) -> dict[str, Any]:
    """A written row's metadata (its ``metadata_json``), {} where absent or unreadable."""
    try:
        metadata = json.loads(row.get("metadata_json") or "{}")
    except (TypeError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _acquisition(metadata: dict[str, Any]) -> dict[str, str]:
    """The view, contrast phase, contrast and MRI sequence the metadata states, as :class:`SampleFacts` fields."""
    from medtrinity.generation.acquisition import acquisition_facts

    facts = acquisition_facts(metadata or {})
    return {"view_position": facts.get("view_position", ""), "ct_phase": facts.get("ct_phase", ""),
            "contrast_enhanced": facts.get("contrast_enhanced"), "mr_sequence": tuple(facts.get("mr_sequence", ())),
            "patient_recorded": _patient_recorded(metadata or {}), "slice_mm": _slice_mm(metadata or {}),
            "kvp": _kvp(metadata or {})}


def _kvp(metadata: dict[str, Any]) -> float | None:
    """The DICOM tube voltage (KVP) where the metadata records a positive one."""
    try:
        value = float(metadata.get("KVP"))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _slice_mm(metadata: dict[str, Any]) -> tuple[float, ...]:
    """The lengths a text may give as its slice thickness: the DICOM slice thickness and spacing between slices,
    and the volume's voxel spacings (which axis is through-plane is not told apart: any of them)."""
    values = [metadata.get("SliceThickness"), metadata.get("SpacingBetweenSlices"),
              *(metadata.get("voxel_spacing_mm") or ())]
    found = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if number > 0:
            found.append(round(number, 3))
    return tuple(sorted(set(found)))


_PATIENT_KEYS = {"patientsex", "patientage", "patientgender", "sex", "gender", "age"}


def _patient_recorded(metadata: dict[str, Any]) -> bool:
    """Whether the metadata gives the patient's age or sex (NIH's "Patient Age" brought in as a column, say)."""
    return any(re.sub(r"[^a-z]", "", str(key).lower()) in _PATIENT_KEYS and value not in (None, "")
               for key, value in metadata.items())


def knowledge_sentences(sentences: list[tuple[str, list[str]]]) -> tuple[str, ...]:
    """The sentences that rest on retrieved passages only: quoted knowledge, not claims about this image."""
    return tuple(
        text for text, evidence in sentences
        if evidence and all(key.startswith("passage:") for key in evidence)
    )
