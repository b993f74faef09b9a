"""Volume layouts: nnU-Net/MSD folders, DICOM series (with SEG/RTSTRUCT), NIfTI/NRRD volumes with label volumes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from medtrinity.inspect.common import LABEL_NAME, TAG_PAIRS, Finding, _guess_modality, _name, _name_labels
from medtrinity.sources.layout import VOLUME_SUFFIXES, data_files, has_suffix
from medtrinity.vocab.labels import readable_label


def _nnunet(folder: Path, finding: Finding) -> bool:
    """nnU-Net v2 / Decathlon: labels and modality from ``dataset.json``."""
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
    from medtrinity.sources.dicom_index import NON_IMAGE_MODALITIES, UNREADABLE, scan_headers
    from medtrinity.vocab.modalities import DICOM_MODALITY

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
    from medtrinity.sources.label_names import is_placeholder_name

    for placeholder in sorted({name for name in names if is_placeholder_name(name)}):
        finding.fact(source["name"], "labels", placeholder, f"unknown: a SEG/RTSTRUCT calls a region {placeholder!r}, "
                     "which names nothing; map it in `options.rtstruct_names` (ROI name -> name) or `label_names`")
    counts = Counter(len(paths) for paths in series.values())
    finding.seen.append(f"{folder}: {len(series)} DICOM series (files per series: {dict(counts)}), "
                        f"{len(annotations)} SEG/RTSTRUCT files" + (f" with {sorted(set(names))}" if names else ""))
    if len(series) == 1 and first is not None and first.get("Rows"):
        files = next(iter(series.values()))
        finding.shapes[source["name"]] = (int(first.Columns), int(first.Rows), len(files))
    finding.sources.append(source)
    return True


def _bids(folder: Path, finding: Finding) -> bool:
    """A BIDS dataset (the ``bids`` reader's ``looks_like`` found its root): raw ``sub-*`` volumes with masks under
    ``derivatives/``."""
    from medtrinity.sources.bids import (
        DATATYPE_MODALITY,
        _stem,
        bids_images,
        derivative_masks,
        mask_names,
    )

    images = bids_images(folder)
    masked = [(image, derivative_masks(folder, image)) for image in images]
    masked = [(image, masks) for image, masks in masked if masks]
    source: dict[str, Any] = {"name": _name(folder), "reader": "bids", "path": str(folder)}
    datatypes = Counter(image.parent.name for image in images)
    modalities = {DATATYPE_MODALITY.get(datatype) for datatype in datatypes}
    if len(modalities) == 1 and None not in modalities:
        source["modality"] = next(iter(modalities))
        finding.fact(source["name"], "modality", source["modality"],
                     f"read from the BIDS datatype folders {sorted(datatypes)}")
    suffixes = Counter(_stem(image).rsplit("_", 1)[-1] for image, _ in masked)
    if masked and len(suffixes) >= 1:
        source["options"] = {"suffixes": sorted(suffixes)}  # only the images that have masks
    names: set[str] = set()
    for image, masks in masked[:20]:
        for mask in masks:
            found = mask_names(mask, _stem(image), [1])
            names |= set(found.values())
    if names:
        finding.fact(source["name"], "labels", sorted(names), "read from the derivative file names, sidecars or .tsv")
    elif masked:
        finding.fact(source["name"], "labels", None, "unknown: the derivative masks do not name what they show; "
                     "set `label_names`")
    finding.seen.append(f"{folder}: BIDS dataset, {len(images)} images ({dict(datatypes)}), {len(masked)} with "
                        f"derivative masks (suffixes {dict(suffixes)})")
    finding.sources.append(source)
    return True


def _annotation_names(path: str, modality: str) -> list[str]:
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - a bad file is reported when the run reads it
        return []
    if modality == "SEG":
        from medtrinity.sources.dicom_annotations import segment_name

        return [segment_name(item, {}) for item in dataset.get("SegmentSequence", [])]
    return [readable_label(str(item.get("ROIName", ""))) for item in dataset.get("StructureSetROISequence", [])]


def _volume_shape(path: Path) -> tuple[int, ...] | None:
    """(x, y, z) voxel counts from the header only."""
    try:
        if has_suffix(path, (".nii", ".nii.gz")):
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
    if not has_suffix(path, (".nii", ".nii.gz")):
        return False
    try:
        import nibabel

        return str(nibabel.load(str(path)).get_data_dtype()) in ("uint8", "bool", "int8")
    except Exception:  # noqa: BLE001
        return False


def _volume_source(path: Path, folder: Path) -> dict[str, Any]:
    reader = "nifti" if has_suffix(path, (".nii", ".nii.gz")) else "sitk"
    return {"name": _name(path if path.is_file() else folder), "reader": reader, "path": str(path)}


def _volumes(folder: Path, files: list[Path], finding: Finding, pair_with: dict[str, tuple[int, int, int]]) -> bool:
    volumes = [p for p in files if has_suffix(p, VOLUME_SUFFIXES)]
    if not volumes:
        return False
    label_maps = [p for p in data_files(folder, recursive=False) if p.suffix == ".json" and "label" in p.name.lower()]
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



def _volume_file(path: Path, finding: Finding) -> bool:
    """One volume file; a label volume named by a tag pair beside it (``x_image.nrrd`` + ``x_label.nrrd``)."""
    reader = "nifti" if has_suffix(path, (".nii", ".nii.gz")) else "sitk"
    source: dict[str, Any] = {"name": _name(path), "reader": reader, "path": str(path)}
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
    return True
