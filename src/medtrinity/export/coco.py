"""COCO export: images plus ``annotations.json`` (instances with RLE masks and boxes, categories in the
report terms of the ROI labels, the description as each image's ``caption``) and ``captions.json`` (the
COCO captions layout), both opened by ``pycocotools.coco.COCO``.

Rows stream: image and annotation entries go to line files in the export folder as they come, and the
two JSON files are assembled from them at the end; only the category table (one entry per label) is
held in memory.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from medtrinity.export.run_rows import RowFilter, RunInfo, file_key, iter_rows

INSTANCES_NAME = "annotations.json"
CAPTIONS_NAME = "captions.json"
IMAGE_FOLDER = "images"


def coco_box(bbox_xyxy: list[int]) -> list[int]:
    """``[x0, y0, x1, y1]`` half-open pixels to COCO ``[x, y, width, height]``."""
    x0, y0, x1, y1 = bbox_xyxy
    return [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]


def _image_path(key: str) -> str:
    return f"{IMAGE_FOLDER}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:2]}/{key}.png"


def _copy_lines(handle, lines_path: Path) -> None:
    first = True
    with open(lines_path, encoding="utf-8") as lines:
        for line in lines:
            handle.write(("\n" if first else ",\n") + line.rstrip("\n"))
            first = False
    handle.write("\n")


def _write_coco_json(target: Path, header: dict, parts: list[tuple[str, Path | list]]) -> None:
    """A JSON object from ``header`` and list-valued keys, each from a line file or a small list."""
    with open(target, "w", encoding="utf-8") as handle:
        handle.write("{\n")
        for key, value in header.items():
            handle.write(f"{json.dumps(key)}: {json.dumps(value)},\n")
        for index, (key, source) in enumerate(parts):
            handle.write(f"{json.dumps(key)}: [")
            if isinstance(source, Path):
                _copy_lines(handle, source)
            else:
                handle.write(",\n".join(json.dumps(item) for item in source))
            handle.write("]" + (",\n" if index < len(parts) - 1 else "\n"))
        handle.write("}\n")


def write_coco(run_dir: Path, root: Path, row_filter: RowFilter, info: RunInfo) -> dict:
    """Write images, ``annotations.json`` and ``captions.json``; returns image, annotation, category counts."""
    categories: dict[str, dict] = {}
    licences: dict[str, int] = {}
    images_lines = root / ".images.jsonl"
    annotations_lines = root / ".annotations.jsonl"
    captions_lines = root / ".captions.jsonl"
    image_id = annotation_id = 0
    with open(images_lines, "w", encoding="utf-8") as images, \
            open(annotations_lines, "w", encoding="utf-8") as annotations, \
            open(captions_lines, "w", encoding="utf-8") as captions:
        for row in iter_rows(run_dir, row_filter):
            image_id += 1
            relative = _image_path(file_key(row["id"]))
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(row["image_png"])
            licence_id = licences.setdefault(row.get("license") or "", len(licences) + 1)
            description = row.get("description_text") or ""
            images.write(json.dumps({
                "id": image_id, "file_name": relative, "width": row["width"], "height": row["height"],
                "license": licence_id, "caption": description, "medtrinity_id": row["id"],
                "source": row["source"], "modality": row["modality"], "body_part": row["body_part"],
                "plane": row["plane"], "slice_index": row["slice_index"], "spacing_mm": row["spacing_mm"],
                "qc_status": row["qc_status"]}) + "\n")
            captions.write(json.dumps({"id": image_id, "image_id": image_id, "caption": description}) + "\n")
            for roi in row.get("rois") or []:
                category = categories.setdefault(roi["label"], {
                    "id": len(categories) + 1, "name": roi["label"], "supercategory": roi["kind"] or "region"})
                annotation_id += 1
                annotations.write(json.dumps({
                    "id": annotation_id, "image_id": image_id, "category_id": category["id"],
                    "segmentation": {"size": list(roi["mask_rle"]["size"]), "counts": roi["mask_rle"]["counts"]},
                    "area": int(roi["area_px"]), "bbox": coco_box(roi["bbox_xyxy"]), "iscrowd": 0,
                    "area_mm2": roi["area_mm2"], "origin": roi["origin"], "confidence": roi.get("confidence"),
                    "measurements": roi.get("measurements") or []}) + "\n")
    header = {
        "info": {"description": "medtrinity export", "version": info.pipeline_version,
                 "config_hash": info.config_hash, "date_created": datetime.now(UTC).date().isoformat()},
        "licenses": [{"id": number, "name": name, "url": ""} for name, number in licences.items()],
    }
    _write_coco_json(root / INSTANCES_NAME, header, [("categories", list(categories.values())),
                                                     ("images", images_lines), ("annotations", annotations_lines)])
    _write_coco_json(root / CAPTIONS_NAME, header, [("images", images_lines), ("annotations", captions_lines)])
    for path in (images_lines, annotations_lines, captions_lines):
        path.unlink()
    return {"rows": image_id, "annotations": annotation_id, "categories": len(categories)}
