"""The facts of one written triplet row that VQA questions may ask about, with the key each comes from.

Only measured or labelled columns are read (modality, plane, ROI side, containing organ, diameter,
piece count, the MR sequence tokens); the description text never is. A fact that is missing or
ambiguous (side ``midline``, plane ``unknown``, modality ``other``) yields no question.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtrinity.records import BOX_ORIGIN

MODALITY_ANSWERS = {"ct": "CT", "mri": "MRI", "xray": "X-ray", "ultrasound": "ultrasound", "pet": "PET",
                    "histopathology": "histopathology", "dermoscopy": "dermoscopy", "endoscopy": "endoscopy",
                    "fundus": "fundus photography", "microscopy": "microscopy"}
PLANE_ANSWERS = ("axial", "coronal", "sagittal")
SEQUENCE_ANSWERS = {"t1": "T1", "t2": "T2", "flair": "FLAIR", "dwi": "DWI", "adc": "ADC", "stir": "STIR",
                    "pd": "PD", "swi": "SWI", "gre": "GRE", "dce": "DCE"}
SIDES = ("left", "right")
ROW_COLUMNS = ["id", "source", "modality", "body_part", "plane", "rois", "metadata_json", "image_sha256"]


@dataclass
class Target:
    """One ROI questions may be about: its index in ``rois``, label, kind and measured attributes."""

    index: int
    label: str
    kind: str
    side: str
    organ: str
    diameter_mm: float | None
    count_same_label: int

    def key(self, attribute: str) -> str:
        return f"rois[{self.index}].{attribute}"


@dataclass
class RowFacts:
    """What a row states about its image, ready for question templates."""

    row_id: str
    modality: str
    plane: str
    sequence: list[str]
    lesions: list[Target] = field(default_factory=list)
    organs: list[Target] = field(default_factory=list)
    organ_names: list[str] = field(default_factory=list)


def _target(index: int, roi: dict[str, Any]) -> Target:
    # a region given as a box has its box's sides for diameters: no size is asked of it
    diameter = None if roi.get("origin") == BOX_ORIGIN else roi.get("largest_diameter_mm")
    return Target(index=index, label=str(roi["label"]), kind=str(roi["kind"]),
                  side=str(roi.get("patient_side") or ""), organ=str(roi.get("containing_organ") or ""),
                  diameter_mm=float(diameter) if diameter is not None and diameter > 0 else None,
                  count_same_label=int(roi.get("count_same_label") or 1))


def row_facts(row: dict[str, Any]) -> RowFacts:
    """Facts of one triplet row (a dict with the ``ROW_COLUMNS``)."""
    metadata = json.loads(row.get("metadata_json") or "{}")
    tokens = metadata.get("mr_sequence") or []
    sequence = [t for t in tokens if t in SEQUENCE_ANSWERS] if isinstance(tokens, list) else []
    targets = [_target(index, roi) for index, roi in enumerate(row.get("rois") or [])]
    facts = RowFacts(row_id=str(row["id"]), modality=str(row.get("modality") or ""),
                     plane=str(row.get("plane") or ""), sequence=sequence if row.get("modality") == "mri" else [])
    facts.lesions = [t for t in targets if t.kind == "lesion"]
    facts.organs = [t for t in targets if t.kind != "lesion"]
    names = {t.label for t in facts.organs} | {t.organ for t in facts.lesions if t.organ}
    for roi in row.get("rois") or []:
        names.update(roi.get("neighbours") or [])
        names.update(roi.get("surrounds") or [])
        names.update(roi.get("overlies") or [])
    facts.organ_names = sorted(name for name in names if name)
    return facts


def iter_rows(run: Path, batch_rows: int = 256) -> Iterator[dict[str, Any]]:
    """The rows of a run's ``triplets/`` (only the columns questions need), in part order, ``batch_rows`` at a
    time: memory holds one batch, not the run. A folder without parts is an error now, not at the first row."""
    folder = Path(run) / "triplets"
    files = sorted(folder.glob("part-*.parquet"))
    if not files:
        raise FileNotFoundError(f"{run}: no triplets/part-*.parquet (is this a medtrinity run folder?)")
    return _rows_of(files, batch_rows)


def _rows_of(files: list[Path], batch_rows: int) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(columns=ROW_COLUMNS, batch_size=batch_rows):
            yield from batch.to_pylist()


def read_rows(run: Path) -> list[dict[str, Any]]:
    """Every row of :func:`iter_rows` as a list (small runs, tests)."""
    return list(iter_rows(run))
