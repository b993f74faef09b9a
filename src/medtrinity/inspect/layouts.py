"""Which layout a path has: the registered readers say (``Reader.looks_like``), inspect fills in the source.

Every reader in ``registry("readers")`` (built-in or added through the ``medtrinity.readers`` entry points) is
asked, lazily and in the order of its declared ``inspect_priority``, whether the path looks like its layout;
the answers are tried highest score first. A detail function here turns an answer into a source config with
what the files say (labels, modality, options); a reader without one gets the generic source (its name, the
path, a modality guess), so a new reader needs no edit here to be recognised. A detail function may decline
(return False): the next answer is tried, as in a chain.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtrinity.inspect.common import Finding, _guess_modality, _name
from medtrinity.inspect.containers import _hdf5, _npy, _npz, _slide
from medtrinity.inspect.images import (
    _coco,
    _image_folder,
    _images_with_masks,
    _plain_images,
    _tables,
    _voc,
    _vqa,
    _yolo,
)
from medtrinity.inspect.volumes import _bids, _dicom, _nnunet, _volume_file, _volumes
from medtrinity.registry import registry
from medtrinity.sources.layout import LayoutMatch, data_files, image_files, text_head


class EvaluationSet:
    """VQA benchmark question files (VQA-RAD, SLAKE, PathVQA): evaluation data that inspect keeps out of the run
    (listed in ``preprocess.evaluation_images``); recognised beside the readers, but not a reader."""

    name = "evaluation set"
    inspect_priority = 75  # after COCO (a COCO JSON is never a question list), before DICOM
    whole_file = False

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A JSON list of ``question``/``answer`` records among the first JSON files of the folder or its tree."""
        if not path.is_dir():
            return None
        tree = [p for p in data_files(path) if p.suffix.lower() == ".json"][:10]
        top = [p for p in data_files(path, recursive=False) if p.suffix.lower() == ".json"][:10]
        for candidate in dict.fromkeys(tree + top):
            head = text_head(candidate).lstrip()
            if head.startswith("[") and '"question"' in head and '"answer"' in head:
                return LayoutMatch(cls.inspect_priority, f"VQA questions {candidate.name}")
        return None


@dataclass(frozen=True)
class Candidate:
    """One answer: which reader (or inspect's own layout) and how strongly it matched."""

    name: str
    plugin: Any = field(compare=False)
    match: LayoutMatch


def recognisers() -> list[tuple[str, Any]]:
    """(name, class) of everything that can recognise a layout: each registered reader and inspect's own ones,
    in the order of their declared priority (highest first, then by name)."""
    readers = registry("readers")
    found = [(name, readers.get(name)) for name in readers.names()]
    found = [(name, plugin) for name, plugin in found if callable(getattr(plugin, "looks_like", None))]
    found.append((EvaluationSet.name, EvaluationSet))
    return sorted(found, key=lambda item: (-_priority(item[1]), item[0]))


def _priority(plugin: Any) -> int:
    return int(getattr(plugin, "inspect_priority", 0) or 0)


def candidates(path: Path, *, at_least: int | None = None, below: int | None = None,
               whole_file: bool | None = None) -> Iterator[Candidate]:
    """The recognisers that say ``path`` looks like their layout, best score first; each ``looks_like`` is asked
    only when its declared priority is reached, so a layout found early never pays for the probes after it.

    ``at_least`` / ``below``: only recognisers whose priority is at least / below it. ``whole_file``: only those
    whose layout is (True) or is not (False) one self-contained file. A match's score never counts above its
    recogniser's declared priority.
    """
    pending: list[tuple[int, int, Candidate]] = []
    for order, (name, plugin) in enumerate(recognisers()):
        priority = _priority(plugin)
        if (below is not None and priority >= below) or (at_least is not None and priority < at_least):
            continue
        if whole_file is not None and bool(getattr(plugin, "whole_file", False)) != whole_file:
            continue
        while pending and -pending[0][0] >= priority:
            yield heapq.heappop(pending)[2]
        match = plugin.looks_like(path)
        if match is not None:
            score = min(int(match.score), priority)
            heapq.heappush(pending, (-score, order, Candidate(name, plugin, match)))
    while pending:
        yield heapq.heappop(pending)[2]


@dataclass
class FolderScene:
    """What a folder detail function sees: the folder, the files to consider (its tree, or only its loose files
    when its subfolders were inspected on their own) and the volume shapes those subfolders' sources have."""

    path: Path
    files: list[Path]
    finding: Finding
    pair_with: dict[str, tuple[int, int, int]] | None = None


def _coco_in_folder(scene: FolderScene, match: LayoutMatch) -> bool:
    jsons = [p for p in scene.files if p.suffix.lower() == ".json"]
    return any(_coco(p, scene.finding, _name(scene.path)) for p in jsons)


def _evaluation_set(scene: FolderScene, match: LayoutMatch) -> bool:
    return _vqa(scene.path, [p for p in scene.files if p.suffix.lower() == ".json"], scene.finding)


def _dicom_in_folder(scene: FolderScene, match: LayoutMatch) -> bool:
    # the series of a folder's subfolders were read on their own: its loose files never rescan them
    return scene.pair_with is None and _dicom(scene.path, scene.finding)


def _tables_in_folder(scene: FolderScene, match: LayoutMatch) -> bool:
    images = image_files(data_files(scene.path, recursive=False)) or image_files(scene.files)
    return _tables(scene.path, images, scene.finding)


def _image_masks(scene: FolderScene, match: LayoutMatch) -> bool:
    if match.variant == "images":
        return _plain_images(scene.path, scene.files, scene.finding)
    return _images_with_masks(scene.path, scene.finding)


def _volumes_in_folder(scene: FolderScene, match: LayoutMatch) -> bool:
    return _volumes(scene.path, scene.files, scene.finding, scene.pair_with or {})


FolderDetail = Callable[[FolderScene, LayoutMatch], bool]
FileDetail = Callable[[Path, Finding], bool]

# recogniser name -> the function that fills in its source for a folder; the others get the generic source
FOLDER_DETAILS: dict[str, FolderDetail] = {
    "bids": lambda scene, match: _bids(scene.path, scene.finding),
    "nnunet": lambda scene, match: _nnunet(scene.path, scene.finding),
    "coco": _coco_in_folder,
    EvaluationSet.name: _evaluation_set,
    "dicom_series": _dicom_in_folder,
    "voc": lambda scene, match: _voc(scene.path, scene.files, scene.finding),
    "yolo": lambda scene, match: _yolo(scene.path, scene.finding),
    "csv_labels": _tables_in_folder,
    "image_class_masks": lambda scene, match: _images_with_masks(scene.path, scene.finding),
    "image_masks": _image_masks,
    "image_folder": lambda scene, match: _image_folder(scene.path, scene.finding),
    "nifti": _volumes_in_folder,
    "sitk": _volumes_in_folder,
}
# recogniser name -> the function that fills in its source for one file
FILE_DETAILS: dict[str, FileDetail] = {
    "hdf5": _hdf5, "npz": _npz, "npy": _npy, "wsi": _slide, "coco": _coco, "nifti": _volume_file,
    "sitk": _volume_file, "dicom_series": _dicom,
}


def generic_source(path: Path, candidate: Candidate, finding: Finding) -> bool:
    """The source of a reader that has no detail function here: its name, the path, and a modality guess."""
    source: dict[str, Any] = {"name": _name(path), "reader": candidate.name, "path": str(path)}
    finding.seen.append(f"{path}: {candidate.match.why} (reader {candidate.name})")
    _guess_modality(path, source, finding)
    finding.sources.append(source)
    return True


def fill_folder(candidate: Candidate, scene: FolderScene) -> bool:
    """Fill in the source of a folder that ``candidate`` recognised; False when the detail function declines."""
    detail = FOLDER_DETAILS.get(candidate.name)
    if detail is None:
        return generic_source(scene.path, candidate, scene.finding)
    return bool(detail(scene, candidate.match))


def fill_file(candidate: Candidate, path: Path, finding: Finding) -> bool:
    """Fill in the source of a file that ``candidate`` recognised; False when the detail function declines."""
    detail = FILE_DETAILS.get(candidate.name)
    if detail is None:
        return generic_source(path, candidate, finding)
    return bool(detail(path, finding))
