"""What inspecting produces (Finding) and the helpers every layout detector shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtrinity.io.images import IMAGE_SUFFIXES
from medtrinity.vocab.modalities import modality_from_path

VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")


LABEL_WORDS = ("label", "labels", "mask", "masks", "seg", "segmentation", "gt", "annotation", "annotations")


MAX_FILES = 20000


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


def _guess_modality(path: Path, source: dict, finding: Finding) -> None:
    guess = modality_from_path(str(path))
    if guess:
        source["modality"] = guess
        finding.todo.append(f"{path}: modality {guess!r} was guessed from the path name: check it")
    else:
        finding.todo.append(f"{path}: the files do not say the modality: set `modality` (ct, mri, xray, ...)")
    finding.todo.append(f"{path}: set `body_part` if the images show one")


def _name_labels(source: dict, label_maps: list[Path], where: Path, finding: Finding) -> None:
    if label_maps:
        source["label_map"] = str(label_maps[0])
    else:
        source["label_names"] = {1: "region 1"}
        finding.todo.append(f"{where}: name the label values in `label_names` (1 = ?) or point `label_map` at a JSON")



ROLE_FOLDERS = {"images", "masks", "labels", "imagestr", "labelstr", "imagests", "labelsts", "annotations",
                "jpegimages", "segmentationclass", "segmentations", "gt", "ground_truth"}
LABEL_NAME = re.compile(r"(^|[_\-.])(seg|segmentation|label|labels|mask|masks|gt)([_\-.]|$)", re.IGNORECASE)
