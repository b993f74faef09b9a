"""The Arrow schema of written triplet and reject rows, and the conversion from records.

One schema for every shard, documented column by column in ``docs/formats.md``. Bump
``SCHEMA_VERSION`` when a column changes meaning.
"""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa

from medtrinity.io.hashes import perceptual_hash
from medtrinity.io.remote import as_urls
from medtrinity.records import DESCRIPTION_SECTIONS, ROI, Reject, Sample

SCHEMA_VERSION = "1"

ROI_TYPE = pa.struct(
    [
        ("label", pa.string()),
        ("kind", pa.string()),
        ("label_value", pa.int32()),
        ("instance", pa.int32()),
        ("bbox_xyxy", pa.list_(pa.int32(), 4)),
        ("mask_rle", pa.struct([("size", pa.list_(pa.int32(), 2)), ("counts", pa.string())])),
        ("area_px", pa.int64()),
        ("area_mm2", pa.float64()),
        ("centroid_xy", pa.list_(pa.float64(), 2)),
        ("largest_diameter_mm", pa.float64()),
        ("perpendicular_diameter_mm", pa.float64()),
        ("shape", pa.string()),
        ("circularity", pa.float64()),
        ("solidity", pa.float64()),
        ("eccentricity", pa.float64()),
        ("region", pa.string()),
        ("patient_side", pa.string()),
        ("patient_direction", pa.list_(pa.string())),
        ("containing_organ", pa.string()),
        ("organ_part", pa.string()),
        ("neighbours", pa.list_(pa.string())),
        ("surrounds", pa.list_(pa.string())),
        ("overlies", pa.list_(pa.string())),
        ("mean_intensity", pa.float64()),
        ("intensity_unit", pa.string()),
        ("contrast_to_surround", pa.float64()),
        ("intensity_word", pa.string()),
        ("intensity_sd", pa.float64()),
        ("texture", pa.string()),
        ("margin", pa.string()),
        ("margin_sharpness", pa.float64()),
        ("colour", pa.string()),
        ("count_same_label", pa.int32()),
        ("pieces", pa.int32()),
        ("volume_ml", pa.float64()),
        ("slices_spanned", pa.int32()),
        ("largest_slice_index", pa.int32()),
        ("origin", pa.string()),
        ("confidence", pa.float64()),
        ("measurements", pa.list_(pa.struct([("name", pa.string()), ("value", pa.float64())]))),
    ]
)

PASSAGE_TYPE = pa.struct(
    [("id", pa.string()), ("source", pa.string()), ("title", pa.string()), ("text", pa.string()),
     ("score", pa.float64()), ("license", pa.string())]
)

SECTIONS_TYPE = pa.struct([(section, pa.string()) for section in DESCRIPTION_SECTIONS])

EVIDENCE_TYPE = pa.struct([("section", pa.string()), ("sentence", pa.string()), ("evidence", pa.list_(pa.string()))])

QC_ISSUE_TYPE = pa.struct([("code", pa.string()), ("message", pa.string())])

BACKGROUND_TYPE = pa.struct(
    [("passage_id", pa.string()), ("title", pa.string()), ("source", pa.string()), ("license", pa.string()),
     ("text", pa.string())]
)

JUDGE_TYPE = pa.struct([(section, pa.float64()) for section in DESCRIPTION_SECTIONS])

TRIPLET_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("case_id", pa.string()),
        ("modality", pa.string()),
        ("body_part", pa.string()),
        ("image_png", pa.binary()),
        ("image_sha256", pa.string()),
        ("image_phash", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("channels", pa.int32()),
        ("spacing_mm", pa.list_(pa.float64(), 2)),
        ("plane", pa.string()),
        ("slice_index", pa.int32()),
        ("patient_orientation", pa.list_(pa.string(), 2)),
        ("image_labels", pa.list_(pa.string())),
        ("rois", pa.list_(ROI_TYPE)),
        ("context_labels", pa.list_(pa.string())),
        ("context_sides", pa.list_(pa.string())),
        ("context_centroids_xy", pa.list_(pa.list_(pa.float64(), 2))),
        ("coarse_caption", pa.string()),
        ("passages", pa.list_(PASSAGE_TYPE)),
        ("description_text", pa.string()),
        ("description_sections", SECTIONS_TYPE),
        ("description_evidence", pa.list_(EVIDENCE_TYPE)),
        ("description_background", pa.list_(BACKGROUND_TYPE)),
        ("description_backend", pa.string()),
        ("description_model", pa.string()),
        ("prompt_version", pa.string()),
        ("qc_status", pa.string()),
        ("qc_issues", pa.list_(QC_ISSUE_TYPE)),
        ("judge_scores", JUDGE_TYPE),
        ("metadata_json", pa.string()),
        ("license", pa.string()),
        ("pipeline_version", pa.string()),
        ("config_hash", pa.string()),
    ],
    metadata={"medtrinity_schema_version": SCHEMA_VERSION},
)

REJECT_SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("source", pa.string()),
        ("source_file", pa.string()),
        ("stage", pa.string()),
        ("code", pa.string()),
        ("reason", pa.string()),
    ],
    metadata={"medtrinity_schema_version": SCHEMA_VERSION},
)


def roi_to_row(roi: ROI) -> dict:
    """One ROI as a struct row (``ROI.to_dict``: the struct has exactly the dataclass's fields, a test checks)."""
    return roi.to_dict()


def triplet_row(sample: Sample, image_png: bytes, pipeline_version: str, config_hash: str) -> dict:
    """The flat row written for one finished sample (arrays stay behind; the image goes as PNG)."""
    description = sample.description
    height, width = sample.image.shape[:2]
    return {
        "id": sample.id,
        "source": sample.source,
        "case_id": sample.case_id,
        "modality": sample.modality,
        "body_part": sample.body_part,
        "image_png": image_png,
        "image_sha256": hashlib.sha256(image_png).hexdigest(),
        "image_phash": f"{perceptual_hash(sample.image):016x}",
        "width": width,
        "height": height,
        "channels": 1 if sample.image.ndim == 2 else sample.image.shape[2],
        "spacing_mm": None if sample.spacing_mm is None else [round(v, 6) for v in sample.spacing_mm],
        "plane": sample.plane,
        "slice_index": sample.slice_index,
        "patient_orientation": list(sample.patient_orientation),
        "image_labels": list(sample.image_labels),
        "rois": [roi_to_row(roi) for roi in sample.rois],
        "context_labels": [roi.label for roi in sample.context_rois],
        "context_sides": [roi.patient_side for roi in sample.context_rois],
        "context_centroids_xy": [[round(float(value), 2) for value in roi.centroid_xy] for roi in sample.context_rois],
        "coarse_caption": sample.coarse_caption,
        "passages": [
            {"id": p.id, "source": p.source, "title": p.title, "text": p.text, "score": round(p.score, 6),
             "license": p.license}
            for p in sample.passages
        ],
        "description_text": description.text if description else "",
        "description_sections": dict(description.sections) if description else None,
        "description_evidence": [
            {"section": s.section, "sentence": s.text, "evidence": list(s.evidence)}
            for s in (description.sentences if description else [])
        ],
        "description_background": [
            {name: str(item.get(name, "")) for name in BACKGROUND_TYPE.names}
            for item in (description.background if description else [])
        ],
        "description_backend": description.backend if description else "",
        "description_model": description.model if description else "",
        "prompt_version": description.prompt_version if description else "",
        "qc_status": sample.qc.status,
        "qc_issues": [{"code": issue.code, "message": issue.message} for issue in sample.qc.issues],
        "judge_scores": dict(sample.judge_scores) if sample.judge_scores else None,
        "metadata_json": json.dumps(sample.metadata, sort_keys=True),
        "license": sample.license,
        "pipeline_version": pipeline_version,
        "config_hash": config_hash,
    }


def reject_row(reject: Reject) -> dict:
    return {
        "sample_id": reject.sample_id,
        "source": reject.source,
        "source_file": as_urls(reject.source_file),  # an object-store input is named by its URL
        "stage": reject.stage,
        "code": reject.code,
        "reason": as_urls(reject.reason),
    }
