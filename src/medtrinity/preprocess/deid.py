"""De-identification: salted case ids and an allow-list of metadata.

No patient name, id, birth date, accession number, institution or date leaves a reader: case
ids are salted hashes of whatever identified the case, and only the keys below are kept.
"""

from __future__ import annotations

import hashlib
from typing import Any

ALLOWED_METADATA_KEYS: frozenset[str] = frozenset(
    {
        "Modality",
        "BodyPartExamined",
        "SliceThickness",
        "KVP",
        "MagneticFieldStrength",
        "EchoTime",
        "RepetitionTime",
        "ContrastBolusAgent",
        "ImageType",
        "PhotometricInterpretation",
        "Manufacturer",
        "ScanningSequence",
        "ViewPosition",
        "voxel_spacing_mm",
        "volume_shape",
        "format",
        # acquisition facts as vocabulary tokens (sources/acquisition.py), stated by the modality sentence
        "mr_sequence",
        "fat_saturated",
        "contrast_enhanced",
        "view_position",
        "ct_phase",
        # how a DICOM SEG without declared spatial locations (dcmqi / 3D Slicer) was placed on its series
        "seg_placed_by",
        "seg_max_distance_mm",
        "seg_tolerance_mm",
        # the ImageFolder split folder a sample came from (train, val, test)
        "split",
    }
)


def case_id(source: str, raw_case_key: str, salt: str) -> str:
    """A stable, non-reversible case id: the same case always maps to the same id within a salt."""
    digest = hashlib.sha256(f"{salt}\x1f{source}\x1f{raw_case_key}".encode()).hexdigest()
    return f"case-{digest[:12]}"


def allowed_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Keep only allow-listed keys whose values are plain numbers, strings or lists of them."""
    kept: dict[str, Any] = {}
    for key in sorted(metadata):
        if key not in ALLOWED_METADATA_KEYS:
            continue
        value = metadata[key]
        if isinstance(value, (str, int, float, bool)) or value is None:
            kept[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
            kept[key] = list(value)
    return kept
