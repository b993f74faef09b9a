"""LLaVA export: the conversation JSON LLaVA / LLaVA-Med / MedTrinity training scripts read, plus images.

``llava.json`` is a list of ``{"id", "image", "conversations"}`` where ``image`` is a path relative to
the export folder and the human turn holds ``<image>`` and a captioning prompt drawn (by a hash of the
row id, so reproducibly) from a varied set; the gpt turn is the description. The JSON array is written
item by item, so memory stays flat in rows. ``schemas/llava.schema.json`` is its JSON schema.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from medtrinity.export.run_rows import RowFilter, file_key, iter_rows

JSON_NAME = "llava.json"
IMAGE_FOLDER = "images"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "llava.schema.json"

CAPTION_PROMPTS = (
    "Describe this medical image in detail.",
    "What does this {modality} image show? Describe the regions of interest.",
    "Give a detailed description of the findings in this image.",
    "Write a radiology-style description of this {modality} image of the {body_part}.",
    "Describe the anatomy and any abnormal regions visible in this image.",
    "Analyse this image: modality, organs, regions of interest, their texture and their relations.",
    "Provide a thorough description of this {modality} scan.",
    "What can you see in this image? Include size, shape and location of the marked regions.",
    "Explain what this image shows, region by region.",
    "Summarise the visual findings of this {body_part} image.",
)


def caption_prompt(row: dict) -> str:
    """One of the captioning prompts, chosen from a hash of the row id and filled with the row's facts."""
    index = int(hashlib.sha256(row["id"].encode("utf-8")).hexdigest()[:8], 16) % len(CAPTION_PROMPTS)
    modality = {"ct": "CT", "mri": "MRI", "xray": "X-ray", "pet": "PET"}.get(row.get("modality") or "",
                                                                           row.get("modality") or "medical")
    body_part = row.get("body_part") or "body"
    return CAPTION_PROMPTS[index].format(modality=modality, body_part=body_part)


def image_path(key: str) -> str:
    """Images spread over 256 sub-folders by key prefix, so no folder holds 100k files."""
    return f"{IMAGE_FOLDER}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:2]}/{key}.png"


def conversation(row: dict, relative_image: str) -> dict:
    return {
        "id": row["id"],
        "image": relative_image,
        "conversations": [
            {"from": "human", "value": f"<image>\n{caption_prompt(row)}"},
            {"from": "gpt", "value": row.get("description_text") or ""},
        ],
    }


def write_llava(run_dir: Path, root: Path, row_filter: RowFilter) -> dict:
    """Write images and ``llava.json``; rows without a description are left out (nothing to learn)."""
    rows = skipped = 0
    with open(root / JSON_NAME, "w", encoding="utf-8") as handle:
        handle.write("[")
        for row in iter_rows(run_dir, row_filter):
            if not (row.get("description_text") or "").strip():
                skipped += 1
                continue
            relative = image_path(file_key(row["id"]))
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(row["image_png"])
            separator = "\n" if rows == 0 else ",\n"
            handle.write(separator + json.dumps(conversation(row, relative), ensure_ascii=False))
            rows += 1
        handle.write("\n]\n")
    return {"rows": rows, "skipped_without_description": skipped}
