"""``medtrinity inspect PATH...``: recognise the layout of folders and files and write a ready config.

Each path is examined on its own (a few headers and names, never whole datasets): the layout
decides the reader, DICOM headers and ``dataset.json`` give the modality and body part, masks,
SEG segments, RTSTRUCT ROIs and tables give the label names. The result is a config mapping that
``medtrinity run`` accepts unchanged, plus notes: what was seen, and what the user should check or
fill in where the files do not tell (for instance the modality of a folder of PNGs).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from medtrinity.preprocess.labels import readable_label
from medtrinity.sources.image_files import IMAGE_SUFFIXES

VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")
LABEL_WORDS = ("label", "labels", "mask", "masks", "seg", "segmentation", "gt", "annotation", "annotations")
MAX_FILES = 20000
# file-name tags that pair an image volume with its label volume (brain1_image.nrrd / brain1_label.nrrd)
TAG_PAIRS = (("_image", "_label"), ("_img", "_seg"), ("_ct", "_seg"), ("_img", "_mask"), ("_image", "_seg"))


@dataclass
class Finding:
    """What inspecting one path produced: source configs, observations and things left to the user."""

    path: Path
    sources: list[dict[str, Any]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    shapes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # source name -> (x, y, z) voxels


def _name(path: Path) -> str:
    base = path.name
    for suffix in (*VOLUME_SUFFIXES, *TABLE_SUFFIXES, ".h5", ".hdf5", ".npz", ".json", ".tif", ".tiff", ".dcm"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", base).strip("_.-") or "source"
    return name[:60]


def _files(folder: Path, recursive: bool = True) -> list[Path]:
    iterator = folder.rglob("*") if recursive else folder.iterdir()
    found = []
    for path in iterator:
        if path.is_file() and not path.name.startswith("."):
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    return sorted(found)


def _ends(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.name.lower().endswith(suffixes)


def _images(paths: list[Path]) -> list[Path]:
    return [p for p in paths if _ends(p, IMAGE_SUFFIXES)]


def _modality_words(text: str) -> str | None:
    from medtrinity.sources.nnunet import MODALITY_WORDS

    lowered = text.lower()
    for word, modality in (("ct", "ct"), ("mri", "mri"), ("mr", "mri"), ("xray", "xray"), ("x-ray", "xray"),
                           ("cxr", "xray"), ("chest", "xray"), ("pet", "pet"), ("ultrasound", "ultrasound"),
                           ("us", "ultrasound"), ("fundus", "fundus"), ("retina", "fundus"),
                           ("derm", "dermoscopy"), ("isic", "dermoscopy"), ("endoscop", "endoscopy"),
                           ("polyp", "endoscopy"), ("histo", "histopathology"), ("patholog", "histopathology")):
        if re.search(rf"(^|[^a-z]){re.escape(word)}", lowered):
            return MODALITY_WORDS.get(word, modality)
    return None


# --- one detector per layout -----------------------------------------------------------------------------


def _nnunet(folder: Path, finding: Finding) -> bool:
    if not (folder / "dataset.json").is_file() or not (folder / "imagesTr").is_dir():
        return False
    from medtrinity.sources.nnunet import dataset_labels, dataset_modality, load_dataset_json

    meta = load_dataset_json(folder)
    labels = {value: readable_label(name) for value, name in dataset_labels(meta).items()}
    modality = dataset_modality(meta, 0)
    layout = "nnU-Net v2" if "channel_names" in meta else "Medical Segmentation Decathlon"
    source: dict[str, Any] = {"name": _name(folder), "reader": "nnunet", "path": str(folder)}
    if modality:
        source["modality"] = modality
    else:
        finding.todo.append(f"{folder}: dataset.json names no known modality: set `modality`")
    if labels:
        source["label_names"] = labels
    finding.sources.append(source)
    cases = len([p for p in (folder / "imagesTr").iterdir() if p.is_file()])
    finding.seen.append(f"{folder}: {layout} dataset ({cases} training image files), labels {sorted(labels.values())}")
    finding.todo.append(f"{folder}: set `body_part` (dataset.json does not say it in a fixed field)")
    return True


def _dicom(folder: Path, finding: Finding) -> bool:
    from medtrinity.sources.dicom_files import DICOM_MODALITY
    from medtrinity.sources.dicom_series import NON_IMAGE_MODALITIES, UNREADABLE, scan_headers

    headers = scan_headers(str(folder))
    if not headers:
        return False
    import pydicom

    series: dict[str, list[str]] = {}
    annotations = []
    modalities: Counter = Counter()
    unreadable = [header.path for header in headers if header.modality == UNREADABLE]
    headers = tuple(header for header in headers if header.modality != UNREADABLE)
    if unreadable:
        finding.seen.append(f"{folder}: {len(unreadable)} unreadable DICOM files (each becomes a reject)")
    if not headers:
        return False
    for header in headers:
        if header.modality in ("SEG", "RTSTRUCT"):
            annotations.append(header)
        elif header.modality not in NON_IMAGE_MODALITIES:
            series.setdefault(header.series_uid, []).append(header.path)
            modalities[header.modality] += 1
    first = pydicom.dcmread(next(iter(series.values()))[0], stop_before_pixels=True, force=True) if series else None
    source: dict[str, Any] = {"name": _name(folder), "reader": "dicom_series", "path": str(folder)}
    if len(modalities) == 1 and DICOM_MODALITY.get(next(iter(modalities))):
        source["modality"] = DICOM_MODALITY[next(iter(modalities))]
    elif modalities:
        finding.seen.append(f"{folder}: several modalities {dict(modalities)}: each series keeps its header's")
    if first is not None:
        body = readable_label(str(first.get("BodyPartExamined", "") or ""))
        if body and body not in ("partialbody", "wholebody") and len(series) == 1:
            source["body_part"] = body
        elif not body or body in ("partialbody", "wholebody"):
            finding.todo.append(f"{folder}: BodyPartExamined is empty or vague: set `body_part`")
    names = []
    for header in annotations:
        names += _annotation_names(header.path, header.modality)
    counts = Counter(len(paths) for paths in series.values())
    finding.seen.append(f"{folder}: {len(series)} DICOM series (files per series: {dict(counts)}), "
                        f"{len(annotations)} SEG/RTSTRUCT files" + (f" with {sorted(set(names))}" if names else ""))
    if len(series) == 1 and first is not None and first.get("Rows"):
        files = next(iter(series.values()))
        finding.shapes[source["name"]] = (int(first.Columns), int(first.Rows), len(files))
    finding.sources.append(source)
    return True


def _annotation_names(path: str, modality: str) -> list[str]:
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - a bad file is reported when the run reads it
        return []
    if modality == "SEG":
        from medtrinity.sources.dicom_series import segment_name

        return [segment_name(item, {}) for item in dataset.get("SegmentSequence", [])]
    return [readable_label(str(item.get("ROIName", ""))) for item in dataset.get("StructureSetROISequence", [])]


def _hdf5(path: Path, finding: Finding) -> bool:
    try:
        import h5py
    except ImportError:
        finding.todo.append(f"{path}: HDF5 needs h5py: run `pip install h5py`, then inspect again")
        return True
    from medtrinity.sources.arrays import IMAGE_KEYS, LABEL_KEYS, pick_key

    datasets: dict[str, tuple] = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, node: datasets.__setitem__(name, node.shape) if hasattr(node, "shape") else None)
    images, labels = pick_key(list(datasets), IMAGE_KEYS), pick_key(list(datasets), LABEL_KEYS)
    finding.seen.append(f"{path}: HDF5 datasets {datasets}")
    if images is None:
        finding.todo.append(f"{path}: no dataset named like images: add a source with reader hdf5 and options.images")
        return True
    source: dict[str, Any] = {"name": _name(path), "reader": "hdf5", "path": str(path), "files_per_shard": 64,
                              "options": {"images": images, **({"labels": labels} if labels else {})}}
    if labels:
        source["label_names"] = {1: "region 1"}
        finding.todo.append(f"{path}: name the mask values of {labels!r} in `label_names` (1 = ?)")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


def _npz(path: Path, finding: Finding) -> bool:
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        keys = {key: data[key].shape for key in data.files}
    splits = sorted(key[: -len("_images")] for key in keys if key.endswith("_images"))
    finding.seen.append(f"{path}: npz arrays {keys}")
    if not splits:
        finding.todo.append(f"{path}: not in the MedMNIST layout (<split>_images, <split>_labels)")
        return True
    source: dict[str, Any] = {"name": _name(path), "reader": "npz", "path": str(path), "files_per_shard": 256}
    finding.todo.append(f"{path}: name the class indices in `label_names` (MedMNIST's INFO lists them)")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


def _slide(path: Path, finding: Finding) -> bool:
    source = {"name": _name(path), "reader": "wsi", "path": str(path), "modality": "histopathology",
              "files_per_shard": 32, "options": {"tile_size": 512, "level": 0, "min_tissue": 0.5}}
    if not _ends(path, (".tif", ".tiff", ".btf")):
        source["options"]["backend"] = "openslide"
        finding.todo.append(f"{path}: this slide format needs OpenSlide: `pip install openslide-python openslide-bin`")
    finding.seen.append(f"{path}: whole-slide image")
    finding.sources.append(source)
    return True


def _is_large_tiff(path: Path) -> bool:
    try:
        import tifffile

        with tifffile.TiffFile(path) as handle:
            series = handle.series[0]
            return len(series.levels) > 1 or max(series.shape[:2]) > 4096 or handle.pages[0].is_tiled
    except Exception:  # noqa: BLE001 - not a TIFF this reader understands
        return False


def _coco(path: Path, finding: Finding, name: str | None = None) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict) or not {"images", "annotations"} <= set(data):
        return False
    categories = sorted(readable_label(str(c.get("name", ""))) for c in data.get("categories", []))
    source: dict[str, Any] = {"name": name or _name(path), "reader": "coco", "path": str(path)}
    beside = path.parent / "images"
    if beside.is_dir():
        source["options"] = {"images": str(beside)}
    finding.seen.append(f"{path}: COCO JSON, {len(data['images'])} images, {len(data['annotations'])} annotations, "
                        f"categories {categories}")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


def _guess_modality(path: Path, source: dict, finding: Finding) -> None:
    guess = _modality_words(str(path))
    if guess:
        source["modality"] = guess
        finding.todo.append(f"{path}: modality {guess!r} was guessed from the path name: check it")
    else:
        finding.todo.append(f"{path}: the files do not say the modality: set `modality` (ct, mri, xray, ...)")
    finding.todo.append(f"{path}: set `body_part` if the images show one")


def _tables(folder: Path, images: list[Path], finding: Finding) -> bool:
    from medtrinity.sources.common2d import read_table

    names = {p.name for p in images}
    tables = [p for p in _files(folder, recursive=False) if _ends(p, TABLE_SUFFIXES)]
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
    source: dict[str, Any] = {"name": _name(folder), "reader": "csv_labels", "path": str(folder)}
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


def _mask_folder(folder: Path, images_folder: Path) -> Path | None:
    for candidate in sorted(folder.iterdir()):
        if candidate.is_dir() and candidate != images_folder and candidate.name.lower() in LABEL_WORDS:
            return candidate
    return None


def _images_with_masks(folder: Path, finding: Finding) -> bool:
    images_folder = folder / "images" if (folder / "images").is_dir() else folder
    images = _images(_files(images_folder, recursive=False))
    if not images:
        return False
    masks_folder = _mask_folder(folder, images_folder)
    if masks_folder is None:
        return False
    masks = [p.name for p in _files(masks_folder, recursive=False) if _ends(p, IMAGE_SUFFIXES)]
    stems = {p.stem for p in images}
    same = sum(1 for name in masks if Path(name).stem in stems)
    source: dict[str, Any] = {"name": _name(folder), "path": str(images_folder), "labels": str(masks_folder)}
    if same >= max(1, len(masks) // 2):
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


def _yolo_or_voc(folder: Path, files: list[Path], finding: Finding) -> bool:
    xmls = [p for p in files if p.suffix.lower() == ".xml"]
    if xmls and "<annotation" in xmls[0].read_text(encoding="utf-8", errors="replace")[:2000]:
        annotations = xmls[0].parent
        source: dict[str, Any] = {"name": _name(folder), "reader": "voc", "path": str(annotations)}
        images = folder / "JPEGImages"
        if not images.is_dir():
            image_files = _images(files)
            if image_files:
                source["options"] = {"images": str(image_files[0].parent)}
        finding.seen.append(f"{folder}: Pascal VOC, {len(xmls)} XML files")
        _guess_modality(folder, source, finding)
        finding.sources.append(source)
        return True
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


def _image_folder(folder: Path, finding: Finding) -> bool:
    subfolders = [p for p in sorted(folder.iterdir()) if p.is_dir()]
    if len(subfolders) < 2:
        return False
    counts = {p.name: len(_images(_files(p))) for p in subfolders}
    if not all(counts.values()) or any(_images(_files(folder, recursive=False))):
        return False
    if {name.lower() for name in counts} & {"images", "masks", "labels", "imagestr"}:
        return False
    source: dict[str, Any] = {"name": _name(folder), "reader": "image_folder", "path": str(folder)}
    finding.seen.append(f"{folder}: ImageFolder tree, classes {counts}")
    _guess_modality(folder, source, finding)
    finding.sources.append(source)
    return True


def _volume_shape(path: Path) -> tuple[int, ...] | None:
    """(x, y, z) voxel counts from the header only."""
    try:
        if _ends(path, (".nii", ".nii.gz")):
            import nibabel

            return tuple(int(v) for v in nibabel.load(str(path)).shape[:3])
        import SimpleITK as sitk

        reader = sitk.ImageFileReader()
        reader.SetFileName(str(path))
        reader.ReadImageInformation()
        return tuple(int(v) for v in reader.GetSize())
    except Exception:  # noqa: BLE001 - an unreadable file is reported by the run
        return None


def _stored_as_mask(path: Path) -> bool:
    """A NIfTI stored as uint8/bool is a mask (images are int16 or float)."""
    if not _ends(path, (".nii", ".nii.gz")):
        return False
    try:
        import nibabel

        return str(nibabel.load(str(path)).get_data_dtype()) in ("uint8", "bool", "int8")
    except Exception:  # noqa: BLE001
        return False


def _volume_source(path: Path, folder: Path) -> dict[str, Any]:
    reader = "nifti" if _ends(path, (".nii", ".nii.gz")) else "sitk"
    return {"name": _name(path if path.is_file() else folder), "reader": reader, "path": str(path)}


def _volumes(folder: Path, files: list[Path], finding: Finding, pair_with: dict[str, tuple[int, int, int]]) -> bool:
    volumes = [p for p in files if _ends(p, VOLUME_SUFFIXES)]
    if not volumes:
        return False
    label_maps = [p for p in _files(folder, recursive=False) if p.suffix == ".json" and "label" in p.name.lower()]
    # 1. pairs by a name tag: brain1_image.nrrd + brain1_label.nrrd
    for image_tag, label_tag in TAG_PAIRS:
        paired = [p for p in volumes
                  if image_tag in p.name and p.with_name(p.name.replace(image_tag, label_tag)).exists()]
        if not paired:
            continue
        source = _volume_source(paired[0], folder)
        source.update({"name": _name(folder), "path": str(paired[0].parent),
                       "options": {"image_tag": image_tag, "label_tag": label_tag}})
        _name_labels(source, label_maps, folder, finding)
        finding.seen.append(f"{folder}: {len(paired)} volume/label pairs ({image_tag} / {label_tag})")
        _guess_modality(folder, source, finding)
        finding.sources.append(source)
        return True
    # 2. images/ + labels/ folders with the same file names
    label_dir = next((folder / n for n in ("labels", "labelsTr", "masks", "segmentations") if (folder / n).is_dir()),
                     None)
    images_dir = next((folder / n for n in ("images", "imagesTr") if (folder / n).is_dir()), None)
    if images_dir is not None:
        source = _volume_source(images_dir, folder)
        if label_dir is not None:
            source["labels"] = str(label_dir)
            _name_labels(source, label_maps, label_dir, finding)
        count = len([p for p in volumes if p.parent == images_dir])
        finding.seen.append(f"{folder}: {count} volumes" + (f", labels in {label_dir}" if label_dir else ""))
        _guess_modality(folder, source, finding)
        finding.sources.append(source)
        return True
    # 3. loose files: label volumes (by name) go with a DICOM series or an image volume of the same shape
    loose = [p for p in volumes if p.parent == folder]
    labels = [p for p in loose if LABEL_NAME.search(_name(p)) or _stored_as_mask(p)]
    images = [p for p in loose if p not in labels]
    for label in list(labels):
        shape = _volume_shape(label)
        for source in finding.sources:
            if source.get("reader") == "dicom_series" and "labels" not in source and shape \
                    and finding.shapes.get(source["name"]) == shape:
                source["labels"] = str(label)
                _name_labels(source, label_maps, label, finding)
                finding.seen.append(f"{label}: label volume on the grid of the DICOM series {source['path']}")
                labels.remove(label)
                break
    for image in images:
        shape = _volume_shape(image)
        partner = next((label for label in labels if _volume_shape(label) == shape), None)
        source = _volume_source(image, folder)
        if partner is not None:
            source["labels"] = str(partner)
            labels.remove(partner)
            _name_labels(source, label_maps, partner, finding)
        finding.seen.append(f"{image}: volume {shape}" + (f" with labels {partner.name}" if partner else ""))
        _guess_modality(image, source, finding)
        finding.sources.append(source)
    if not images and not pair_with:
        finding.seen.append(f"{folder}: only label or mask volumes ({len(volumes)}), no image to annotate")
        finding.todo.append(f"{folder}: masks without their image: name the image volume as `path` and these "
                            "as `labels`")
    return True


def _name_labels(source: dict, label_maps: list[Path], where: Path, finding: Finding) -> None:
    if label_maps:
        source["label_map"] = str(label_maps[0])
    else:
        source["label_names"] = {1: "region 1"}
        finding.todo.append(f"{where}: name the label values in `label_names` (1 = ?) or point `label_map` at a JSON")


# --- entry points ------------------------------------------------------------------------------------------


ROLE_FOLDERS = {"images", "masks", "labels", "imagestr", "labelstr", "imagests", "labelsts", "annotations",
                "jpegimages", "segmentationclass", "segmentations", "gt", "ground_truth"}
LABEL_NAME = re.compile(r"(^|[_\-.])(seg|segmentation|label|labels|mask|masks|gt)([_\-.]|$)", re.IGNORECASE)


def inspect_path(path: Path) -> Finding:
    """Recognise one folder or file."""
    path = Path(path).expanduser().resolve()
    finding = Finding(path)
    if not path.exists():
        finding.todo.append(f"{path}: does not exist")
        return finding
    if path.is_file():
        _inspect_file(path, finding)
        return finding
    if _nnunet(path, finding):
        return finding
    files = _files(path)
    if not files:
        finding.todo.append(f"{path}: the folder is empty")
        return finding
    subfolders = [p for p in sorted(path.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    data_subfolders = [p for p in subfolders if p.name.lower() not in ROLE_FOLDERS]
    top_data = [p for p in _files(path, recursive=False) if _ends(p, (*VOLUME_SUFFIXES, ".h5", ".hdf5", ".npz"))]
    if data_subfolders and top_data and not _image_folder(path, Finding(path)):
        return _mixed_folder(path, data_subfolders, finding)
    _inspect_folder(path, files, finding)
    return finding


def _mixed_folder(path: Path, subfolders: list[Path], finding: Finding) -> Finding:
    """A folder holding data files and data subfolders: each subfolder on its own, then the loose files."""
    for subfolder in subfolders:
        part = inspect_path(subfolder)
        finding.sources += part.sources
        finding.seen += part.seen
        finding.todo += part.todo
        finding.shapes.update(part.shapes)
    _inspect_folder(path, _files(path, recursive=False), finding, pair_with=finding.shapes)
    return finding


def _inspect_folder(path: Path, files: list[Path], finding: Finding,
                    pair_with: dict[str, tuple[int, int, int]] | None = None) -> None:
    containers = [p for p in files if _ends(p, (".h5", ".hdf5", ".npz"))]
    slides = [p for p in files if _ends(p, (".svs", ".ndpi", ".mrxs", ".scn")) or (
        _ends(p, (".tif", ".tiff")) and _is_large_tiff(p))]
    jsons = [p for p in files if p.suffix.lower() == ".json"]
    for container in containers:
        (_hdf5 if container.suffix.lower() != ".npz" else _npz)(container, finding)
    for slide in slides:
        _slide(slide, finding)
    if containers or slides:
        return
    if any(_coco(p, finding, _name(path)) for p in jsons):
        return
    if pair_with is None and _dicom(path, finding):
        return
    if _yolo_or_voc(path, files, finding):
        return
    images = _images(files)
    if _tables(path, _images(_files(path, recursive=False)) or images, finding):
        return
    if _images_with_masks(path, finding):
        return
    if _image_folder(path, finding):
        return
    if _volumes(path, files, finding, pair_with or {}):
        return
    if images:
        source = {"name": _name(path), "reader": "image_masks", "path": str(images[0].parent)}
        finding.seen.append(f"{path}: {len(images)} images without masks, labels or tables")
        _guess_modality(path, source, finding)
        finding.sources.append(source)
        return
    if pair_with is not None:
        return
    suffixes = Counter("".join(p.suffixes[-2:]).lower() or "(none)" for p in files)
    finding.seen.append(f"{path}: {len(files)} files, by suffix {dict(suffixes.most_common(8))}")
    finding.todo.append(f"{path}: no known layout recognised: add a source by hand (see `medtrinity readers`)")


def _inspect_file(path: Path, finding: Finding) -> None:
    if _ends(path, (".h5", ".hdf5")):
        _hdf5(path, finding)
    elif _ends(path, (".npz",)):
        _npz(path, finding)
    elif _ends(path, (".svs", ".ndpi", ".mrxs", ".scn")) or (_ends(path, (".tif", ".tiff")) and _is_large_tiff(path)):
        _slide(path, finding)
    elif path.suffix.lower() == ".json" and _coco(path, finding):
        pass
    elif _ends(path, VOLUME_SUFFIXES):
        reader = "nifti" if _ends(path, (".nii", ".nii.gz")) else "sitk"
        source = {"name": _name(path), "reader": reader, "path": str(path)}
        partner = next((path.with_name(path.name.replace(a, b)) for a, b in TAG_PAIRS if a in path.name
                        and path.with_name(path.name.replace(a, b)).exists()), None)
        if partner is not None:
            source["labels"] = str(partner)
            label_maps = [p for p in path.parent.iterdir() if p.suffix == ".json" and "label" in p.name.lower()]
            _name_labels(source, label_maps, partner, finding)
        found = f" with labels {partner.name}" if partner else ", no labels found"
        finding.seen.append(f"{path}: one volume{found}")
        _guess_modality(path, source, finding)
        finding.sources.append(source)
    elif _dicom(path, finding):
        pass
    else:
        finding.todo.append(f"{path}: this file's format is not recognised (see `medtrinity readers`)")


def build_config(paths: list[Path]) -> tuple[dict[str, Any], list[Finding]]:
    """Inspect every path; the sources found make one run config (names made unique)."""
    findings = [inspect_path(Path(p)) for p in paths]
    sources: list[dict[str, Any]] = []
    used: set[str] = set()
    for finding in findings:
        for source in finding.sources:
            name, number = source["name"], 2
            while source["name"] in used:
                source["name"] = f"{name}_{number}"
                number += 1
            used.add(source["name"])
            sources.append(source)
    config: dict[str, Any] = {"sources": sources, "slicing": {"plane": "axial", "without_roi_fraction": 0.1},
                              "knowledge": {"kb": "builtin", "top_k": 3}, "generation": {"backend": "composer"}}
    return config, findings


def render(paths: list[Path]) -> tuple[str, bool]:
    """The YAML text to print (with what was seen and what to fill in as comments), and whether any source was found."""
    config, findings = build_config(paths)
    lines = ["# medtrinity config written by `medtrinity inspect`", "#"]
    for finding in findings:
        for text in finding.seen:
            lines.append(f"# seen: {text}")
    todos = [text for finding in findings for text in finding.todo]
    if todos:
        lines.append("#")
        lines.append("# check or fill in:")
        lines += [f"#   - {text}" for text in todos]
    lines.append("")
    if config["sources"]:
        lines.append(yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip())
    else:
        lines.append("# no source recognised: nothing to run yet")
    return "\n".join(lines) + "\n", bool(config["sources"])
