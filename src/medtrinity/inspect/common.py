"""What inspecting produces (Finding) and the helpers every layout detector shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtrinity.sources.layout import TABLE_SUFFIXES, VOLUME_SUFFIXES, has_suffix
from medtrinity.vocab.modalities import modality_from_path

TAG_PAIRS = (("_image", "_label"), ("_img", "_seg"), ("_ct", "_seg"), ("_img", "_mask"), ("_image", "_seg"))


@dataclass
class Finding:
    """What inspecting one path produced: source configs, observations and things left to the user."""

    path: Path
    sources: list[dict[str, Any]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    shapes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # source name -> (x, y, z) voxels
    # (source name, fact, value, how it is known): how starts with "read", "guessed" or "unknown"
    facts: list[tuple[str, str, str, str]] = field(default_factory=list)
    evaluation: list[str] = field(default_factory=list)  # evaluation sets found: kept out of the run (leakage)

    def fact(self, source: str, name: str, value: object, how: str) -> None:
        """Record one fact about a source and how it is known (read from the files, guessed, or unknown)."""
        self.facts.append((source, name, "" if value is None else str(value), how))


def _name(path: Path) -> str:
    base = path.name
    for suffix in (*VOLUME_SUFFIXES, *TABLE_SUFFIXES, ".h5", ".hdf5", ".npz", ".json", ".tif", ".tiff", ".dcm"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", base).strip("_.-") or "source"
    return name[:60]


def _source_files(source: dict, limit: int = 200) -> list[Path]:
    """A few of the files a source's ``path`` names (a file, a folder's files, or a glob)."""
    import glob
    import itertools

    path = Path(str(source.get("path", "")))
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(itertools.islice((p for p in path.rglob("*") if p.is_file()), limit))
    return [Path(p) for p in itertools.islice(glob.iglob(str(path), recursive=True), limit)]


def _guess_modality(path: Path, source: dict, finding: Finding) -> None:
    """Fill ``source["modality"]`` from sidecars, file-name conventions, intensities or path words, saying how."""
    from medtrinity.inspect.facts import modalities_by_name, modality_from_intensities, modality_from_sidecar

    if source.get("reader") in ("dicom_series", "dicom_files", "wsi") and not source.get("modality"):
        finding.fact(source["name"], "modality", "per series", "read from each file's DICOM Modality tag")
        return

    name = source["name"]
    if source.get("modality"):
        finding.fact(name, "modality", source["modality"], "read from the dataset's own description")
    else:
        files = _source_files(source)
        by_name = modalities_by_name(files)
        sidecar = next((m for m in (modality_from_sidecar(p) for p in files[:20]) if m), None)
        volumes = [p for p in files if has_suffix(p, VOLUME_SUFFIXES)]
        if sidecar:
            source["modality"] = sidecar
            finding.fact(name, "modality", sidecar, "read from the JSON sidecar's Modality")
        elif len(by_name) == 1 and None not in by_name:
            from medtrinity.inspect.facts import modality_from_name

            modality = next(iter(by_name))
            source["modality"] = modality
            finding.fact(name, "modality", modality, f"read from {modality_from_name(files[0].name)[1]}")
        elif len(by_name) > 1 and None not in by_name:
            from medtrinity.inspect.facts import modality_from_name

            source.setdefault("options", {})["modality_from_name"] = True
            counts = {modality: len(group) for modality, group in by_name.items()}
            conventions = sorted({modality_from_name(group[0].name)[1] for group in by_name.values()})
            finding.fact(name, "modality", "per file " + ", ".join(f"{m}: {n}" for m, n in sorted(counts.items())),
                         f"read from {' and '.join(conventions)} of each file")
        elif volumes and modality_from_intensities(volumes[0]):
            source["modality"] = "ct"
            finding.fact(name, "modality", "ct", f"guessed from intensities: {volumes[0].name} has air near "
                         "-1000 and dense tissue above +200, as Hounsfield units do")
            finding.todo.append(f"{path}: modality 'ct' was guessed from the intensity range: check it")
        else:
            guess = modality_from_path(str(path))
            if guess:
                source["modality"] = guess
                finding.fact(name, "modality", guess, "guessed from a word in the path name")
                finding.todo.append(f"{path}: modality {guess!r} was guessed from the path name: check it")
            else:
                finding.fact(name, "modality", None, "unknown: no tag, sidecar, file-name convention or intensity "
                             "range says it")
                finding.todo.append(f"{path}: the files do not say the modality: set `modality` (ct, mri, xray, ...)")
    _body_part_from_names(path, source, finding)


def _image_files_of(source: dict) -> list[Path]:
    """The source's image files, as far as names tell: no label or mask files (``_label``, ``masks/``), no tables,
    JSON or text (a TotalSegmentator ``segmentations/`` folder names every organ of the body)."""
    from medtrinity.io.images import IMAGE_SUFFIXES

    suffixes = (*VOLUME_SUFFIXES, *IMAGE_SUFFIXES, ".dcm")
    return [p for p in _source_files(source) if has_suffix(p, suffixes) and not LABEL_NAME.search(_name(p))
            and not any(part.lower() in MASK_FOLDERS for part in p.parent.parts)]


def _body_part_from_names(path: Path, source: dict, finding: Finding) -> None:
    """The body part the image files' names state: one region for all (guessed, to check), or several, which one
    source cannot describe (the pipeline rejects each file whose name contradicts ``body_part``)."""
    from medtrinity.sources.name_conventions import regions_in_file_name

    by_region: dict[str, list[str]] = {}
    for file in _image_files_of(source):
        for region in regions_in_file_name(str(file)):
            by_region.setdefault(region, []).append(file.name)
    name = source["name"]
    if len(by_region) > 1:
        named = "; ".join(f"{region}: {', '.join(files[:2])}" for region, files in sorted(by_region.items()))
        finding.fact(name, "body part", "per file " + ", ".join(sorted(by_region)),
                     f"read from the file names ({named})")
        finding.todo.append(f"{path}: the file names state different body parts ({named}): give each its own source "
                            "(a `path` glob per part) with its `body_part`; a file whose name contradicts its "
                            "source's body_part is rejected (body_part_conflict)")
    elif by_region and not source.get("body_part"):
        (region, files), = by_region.items()
        source["body_part"] = region
        finding.fact(name, "body part", region, f"guessed from the file names ({', '.join(files[:2])})")
        finding.todo.append(f"{path}: body_part {region!r} was guessed from the file names: check it")
    elif not source.get("body_part"):
        finding.todo.append(f"{path}: set `body_part` if the images show one")


def _name_labels(source: dict, label_maps: list[Path], where: Path, finding: Finding) -> None:
    """Name a source's label values: a label-map JSON beside it, a 3D Slicer ``.seg.nrrd`` header, else placeholders
    that ``inspect`` reports as unknown."""
    if label_maps:
        source["label_map"] = str(label_maps[0])
        finding.fact(source["name"], "labels", label_maps[0].name, "read from the label-map JSON")
        return
    if where.is_file():
        from medtrinity.sources.sitk_volume import slicer_segment_names

        named = slicer_segment_names(str(where))
        if named:
            finding.fact(source["name"], "labels", sorted(named.values()), "read from the 3D Slicer segment names")
            return
    source["label_names"] = {1: "region 1"}
    finding.todo.append(f"{where}: name the label values in `label_names` (1 = ?) or point `label_map` at a JSON")


ROLE_FOLDERS = {"images", "masks", "labels", "imagestr", "labelstr", "imagests", "labelsts", "annotations",
                "jpegimages", "segmentationclass", "segmentations", "gt", "ground_truth"}
MASK_FOLDERS = ROLE_FOLDERS - {"images", "imagestr", "imagests", "jpegimages"}  # the role folders holding labels
LABEL_NAME = re.compile(r"(^|[_\-.])(seg|segmentation|label|labels|mask|masks|gt)([_\-.]|$)", re.IGNORECASE)
