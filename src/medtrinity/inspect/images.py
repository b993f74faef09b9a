"""2D layouts: COCO JSON, label tables (NIH CXR14) with box lists, images with masks, YOLO/VOC, ImageFolder."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from medtrinity.inspect.common import Finding, _guess_modality, _name
from medtrinity.io.images import IMAGE_SUFFIXES
from medtrinity.sources.layout import (
    TABLE_SUFFIXES,
    data_files,
    has_suffix,
    image_files,
    images_with_mask_folder,
    visible_folders,
)
from medtrinity.vocab.labels import readable_label


def _coco(path: Path, finding: Finding, name: str | None = None) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict) or not {"images", "annotations"} <= set(data):
        return False
    categories = sorted(readable_label(str(c.get("name", ""))) for c in data.get("categories", []))
    source: dict[str, Any] = {"name": name or _name(path), "reader": "coco", "path": str(path)}
    names = [str(image.get("file_name", "")) for image in data["images"][:5] if isinstance(image, dict)]
    root = coco_image_root(path, names)
    if root is not None:
        source["options"] = {"images": str(root)}
        finding.seen.append(f"{path}: image files found under {root} (the first {len(names)} file names checked)")
    elif names:
        finding.todo.append(f"{path}: !! none of the image folders beside or above the JSON holds {names[0]!r}: set "
                            "`options.images` to the folder its file names are relative to")
    finding.seen.append(f"{path}: COCO JSON, {len(data['images'])} images, {len(data['annotations'])} annotations, "
                        f"categories {categories}")
    finding.fact(source["name"], "labels", categories, "read from the COCO categories (CamelCase made words)")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


VQA_IMAGE_KEYS = ("image_name", "image", "img_name", "image_id")


def _vqa(folder: Path, jsons: list[Path], finding: Finding) -> bool:
    """A VQA benchmark (VQA-RAD, SLAKE, PathVQA style question files): evaluation data, never a training source."""
    for path in jsons[:10]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        first = data[0] if isinstance(data, list) and data else None
        if isinstance(first, dict) and {"question", "answer"} <= set(first) and any(k in first for k in VQA_IMAGE_KEYS):
            finding.seen.append(f"{folder}: a VQA benchmark ({path.name}: {len(data)} questions): evaluation data, "
                                "not a source")
            finding.evaluation.append(str(path))
            finding.todo.append(f"{folder}: !! not turned into a source: it is an evaluation set; its question file "
                                "is listed in preprocess.evaluation_images so near-copies of its images are removed")
            return True
    return False


def coco_image_root(annotation: Path, file_names: list[str], levels: int = 3) -> Path | None:
    """The folder the COCO ``file_name``s are relative to: the JSON's folder, its parents, or a folder beside
    any of them (``annotations/x.json`` + ``imgs/...``: TBX11K, Kaggle and MMDetection layouts)."""
    if not file_names:
        return None
    ancestors = [annotation.parent, *list(annotation.parents)[1:levels]]
    candidates: list[Path] = []
    for ancestor in ancestors:
        candidates.append(ancestor)
        candidates += sorted(p for p in ancestor.iterdir() if p.is_dir() and not p.name.startswith("."))
    for candidate in dict.fromkeys(candidates):
        if all((candidate / name).is_file() for name in file_names):
            return candidate
    return None


def _tables(folder: Path, images: list[Path], finding: Finding) -> bool:
    from medtrinity.sources.common2d import read_table

    names = {p.name for p in images}
    tables = [p for p in data_files(folder, recursive=False) if has_suffix(p, TABLE_SUFFIXES)]
    label_table = box_table = None
    label_info: dict[str, Any] = {}
    for table in tables:
        try:
            rows = read_table(str(table))
        except ValueError:
            continue
        if not rows:
            continue
        columns = list(rows[0])
        image_column = next((c for c in columns if any(str(r.get(c, "")) in names for r in rows[:50000])), None)
        if image_column is None:
            image_column = next((c for c in columns if str(rows[0][c]).lower().endswith(IMAGE_SUFFIXES)), None)
        if image_column is None:
            continue
        numeric = [c for c in columns if c != image_column and _is_float(rows[0].get(c))]
        if len(numeric) >= 4 and len(columns) >= 6 and "bbox" in " ".join(columns).lower() or (
                len(numeric) == 4 and len(columns) - len(numeric) <= 2 + columns.count("")):
            box_table = (table, columns, rows)
            continue
        label_column = next((c for c in columns if c.lower() in ("finding labels", "labels", "label", "class",
                                                                   "diagnosis")), None)
        binary = [c for c in columns if c != image_column and {str(r.get(c, "")) for r in rows[:200]} <= {"0", "1"}]
        label_table = (table, columns, rows)
        label_info = {"image_column": image_column}
        if label_column:
            values = Counter()
            separator = "|" if any("|" in str(r[label_column]) for r in rows[:5000]) else ";" if any(
                ";" in str(r[label_column]) for r in rows[:5000]) else None
            for row in rows:
                parts = str(row[label_column]).split(separator) if separator else [str(row[label_column])]
                values.update(part.strip() for part in parts)
            label_info["label_column"] = label_column
            if separator:
                label_info["separator"] = separator
            finding.seen.append(f"{table}: {len(rows)} rows, labels in {label_column!r}: "
                                f"{sorted(values)[:20]}{' ...' if len(values) > 20 else ''}")
        elif binary:
            label_info["label_columns"] = binary
            finding.seen.append(f"{table}: {len(rows)} rows, one 0/1 column per class: {binary}")
        for column in columns:
            lowered = column.lower()
            if lowered in ("patient id", "patient_id", "patientid", "subject", "subject_id"):
                label_info["case_column"] = column
            if lowered in ("view position", "view", "viewposition"):
                label_info["metadata_columns"] = {column: "ViewPosition"}
        spacing = [c for c in columns if "pixelspacing" in c.lower().replace(" ", "")]
        size = [c for c in columns if "originalimage" in c.lower().replace(" ", "")]
        if spacing:
            spacing_pair = [spacing[0], columns[columns.index(spacing[0]) + 1]]
            label_info["pixel_spacing_columns"] = spacing_pair
        if size:
            label_info["original_size_columns"] = [size[0], columns[columns.index(size[0]) + 1]]
    if label_table is None and box_table is None:
        return False
    # the folder the table's image names are in: the table's own, or the one subfolder holding the images
    image_root = folder if not images or any(p.parent == folder for p in images) else images[0].parent
    source: dict[str, Any] = {"name": _name(folder), "reader": "csv_labels", "path": str(image_root)}
    options: dict[str, Any] = dict(label_info)
    if label_table is not None:
        source["labels"] = str(label_table[0])
    if box_table is not None:
        table, columns, rows = box_table
        options["boxes"] = str(table)
        options["box_columns"] = columns[:6]
        frame = _box_frame(columns, rows, images)
        if frame:
            options["box_frame"] = frame
        finding.seen.append(f"{table}: {len(rows)} boxes (x, y, w, h) " +
                            (f"in a {frame[0]}x{frame[1]} frame" if frame else "in image pixels"))
        if label_table is None:
            source["labels"] = str(table)
            options.setdefault("image_column", columns[0])
            options.setdefault("label_column", columns[1])
    source["options"] = options
    _guess_modality(folder, source, finding)
    if "chest" in str(folder).lower() or "cxr" in str(folder).lower():
        source["body_part"] = "chest"
    finding.sources.append(source)
    return True


def _box_frame(columns: list[str], rows: list[dict], images: list[Path]) -> list[int] | None:
    """The coordinate frame of a box table: 1024x1024 for NIH-like tables whose boxes exceed the stored images."""
    import cv2

    header = " ".join(columns).lower()
    match = re.search(r"(\d{3,5})\s*x\s*(\d{3,5})", header)
    if match:
        return [int(match.group(1)), int(match.group(2))]
    reach = max((float(r[columns[2]]) + float(r[columns[4]]) for r in rows if _is_float(r.get(columns[2]))), default=0)
    if images:
        probe = cv2.imread(str(images[0]), cv2.IMREAD_UNCHANGED)
        if probe is not None and reach > max(probe.shape[:2]) * 1.02:
            frame = 1 << int(reach - 1).bit_length()  # the smallest power of two covering every box
            return [frame, frame]
    return None


def _is_float(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _images_with_masks(folder: Path, finding: Finding) -> bool:
    """Images beside a masks folder: label-map masks of the images' own names (``image_masks``), per-class masks
    ``<image>_<class>_<n>.png`` (``image_class_masks``), or a note that the names do not pair."""
    pairing = images_with_mask_folder(folder)
    if pairing is None:
        return False
    images_folder, images, masks_folder, masks = (pairing.images_folder, pairing.images, pairing.masks_folder,
                                                  pairing.masks)
    stems = {p.stem for p in images}
    source: dict[str, Any] = {"name": _name(folder), "path": str(images_folder), "labels": str(masks_folder)}
    if pairing.same_names:
        source["reader"] = "image_masks"
        values: set[int] = set()
        import cv2
        import numpy as np

        for name in masks[:50]:
            mask = cv2.imread(str(masks_folder / name), cv2.IMREAD_UNCHANGED)
            if mask is not None:
                values |= set(np.unique(mask).tolist())
        values.discard(0)
        if values <= {255} or values <= {1}:
            source["label_names"] = {1: "region 1"}
        else:
            source["label_names"] = {int(v): f"region {v}" for v in sorted(values)}
        finding.seen.append(f"{folder}: {len(images)} images with label-map masks of the same names "
                            f"(values {sorted(values)})")
        finding.todo.append(f"{masks_folder}: name the mask values in `label_names`")
    else:
        from medtrinity.sources.class_masks import DEFAULT_PATTERN, match_masks

        matched = match_masks(masks, stems, DEFAULT_PATTERN)
        if not matched:
            finding.seen.append(f"{folder}: images and masks whose names do not pair")
            finding.todo.append(f"{masks_folder}: mask names match no image: set reader image_class_masks with "
                                "options.mask_pattern, or image_masks with options.mask_name")
            return True
        classes = sorted({readable_label(label) for entries in matched.values() for label, _ in entries})
        source["reader"] = "image_class_masks"
        source["options"] = {"mask_pattern": DEFAULT_PATTERN}
        finding.seen.append(f"{folder}: {len(images)} images with {len(masks)} per-class masks "
                            f"(<image>_<class>_<instance>.png), classes {classes}")
    _guess_modality(folder, source, finding)
    finding.sources.append(source)
    return True


def _voc(folder: Path, files: list[Path], finding: Finding) -> bool:
    """Pascal VOC: one XML ``<annotation>`` per image, images in ``JPEGImages/`` or beside them."""
    xmls = [p for p in files if p.suffix.lower() == ".xml"]
    if xmls and "<annotation" in xmls[0].read_text(encoding="utf-8", errors="replace")[:2000]:
        annotations = xmls[0].parent
        source: dict[str, Any] = {"name": _name(folder), "reader": "voc", "path": str(annotations)}
        images = folder / "JPEGImages"
        if not images.is_dir():
            beside = image_files(files)
            if beside:
                source["options"] = {"images": str(beside[0].parent)}
        finding.seen.append(f"{folder}: Pascal VOC, {len(xmls)} XML files")
        _guess_modality(folder, source, finding)
        finding.sources.append(source)
        return True
    return False


def _yolo(folder: Path, finding: Finding) -> bool:
    """YOLO: ``images/`` and ``labels/*.txt``, class names from ``classes.txt`` or ``data.yaml``."""
    labels = folder / "labels"
    images = folder / "images"
    if labels.is_dir() and images.is_dir() and any(p.suffix == ".txt" for p in labels.rglob("*.txt")):
        from medtrinity.sources.detection import yolo_class_names

        names = yolo_class_names(labels, {})
        source = {"name": _name(folder), "reader": "yolo", "path": str(images), "labels": str(labels)}
        if names:
            source["label_names"] = {k: readable_label(v) for k, v in names.items()}
        else:
            finding.todo.append(f"{labels}: no classes.txt or data.yaml: name the class numbers in `label_names`")
        finding.seen.append(f"{folder}: YOLO layout, classes {sorted(names.values())}")
        _guess_modality(folder, source, finding)
        finding.sources.append(source)
        return True
    return False


def _class_counts(folder: Path) -> dict[str, int]:
    return {p.name: len(image_files(data_files(p))) for p in visible_folders(folder)}


def _image_folder(folder: Path, finding: Finding) -> bool:
    """``root/<class>/<image>``, or with split folders above the classes: ``root/train/<class>/<image>`` (the
    ``image_folder`` reader's ``looks_like`` has checked the tree)."""
    from medtrinity.sources.classification import SPLIT_NAMES

    subfolders = visible_folders(folder)
    counts = _class_counts(folder)
    source: dict[str, Any] = {"name": _name(folder), "reader": "image_folder", "path": str(folder)}
    splits = [p for p in subfolders if p.name.lower() in SPLIT_NAMES]
    if splits and len(splits) == len(subfolders):
        classes: Counter = Counter()
        for split in splits:
            classes.update(_class_counts(split))
        finding.seen.append(f"{folder}: ImageFolder tree with split folders {[p.name for p in splits]} "
                            f"(kept as metadata `split`), classes {dict(sorted(classes.items()))}")
    else:
        finding.seen.append(f"{folder}: ImageFolder tree, classes {counts}")
    _guess_modality(folder, source, finding)
    if source.get("modality") == "xray" and re.search(r"chest|cxr|thora|lung", str(folder).lower()):
        source["body_part"] = "chest"
    finding.sources.append(source)
    return True


def _plain_images(folder: Path, files: list[Path], finding: Finding) -> bool:
    """2D images with nothing else (no masks, labels or tables): a source of unlabelled images."""
    images = image_files(files)
    if not images:
        return False
    source = {"name": _name(folder), "reader": "image_masks", "path": str(images[0].parent)}
    finding.seen.append(f"{folder}: {len(images)} images without masks, labels or tables")
    _guess_modality(folder, source, finding)
    finding.sources.append(source)
    return True
