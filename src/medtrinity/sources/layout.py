"""How a reader says that a path looks like its layout (``Reader.looks_like``), and the cheap probes it uses.

``medtrinity inspect`` asks every registered reader whether a file or folder looks like its layout and tries
the readers that say yes, highest score first; the first whose source it can fill in wins. A reader answers
from names and a few header bytes only (never pixel data, never a whole table or JSON), so asking all of
them is cheap. The probes here are shared by several readers' ``looks_like``; they import nothing heavy.

Scores are the readers' declared ``inspect_priority`` (see docs/architecture.md for the order): dataset roots
recognised by a marker file first, then formats that name their own layout (COCO JSON, DICOM, VOC XML), then
layouts recognised by folder and file names, plain images last.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from medtrinity.io.images import IMAGE_SUFFIXES

# a match at or above this score is a dataset root (BIDS, nnU-Net): inspect takes it before it splits a folder
# that mixes data files and data subfolders into parts
DATASET_ROOT_PRIORITY = 90

VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")
LABEL_WORDS = ("label", "labels", "mask", "masks", "seg", "segmentation", "gt", "annotation", "annotations")
MAX_FILES = 20000  # a folder listing stops here: recognising a layout never needs more
HEAD_BYTES = 65536  # how much of a JSON or XML file a probe reads
TABLE_HEAD_ROWS = 1000  # how many rows of a table a probe reads
T = TypeVar("T")


@dataclass(frozen=True)
class LayoutMatch:
    """A reader's answer that a path looks like its layout: how strongly, and what was seen.

    ``score``: the precedence among readers that match the same path (higher is tried first; usually the
    reader's ``inspect_priority``). ``why``: one line for the user. ``variant``: which form of the layout
    matched, for readers that recognise several (``image_masks``: masks beside the images, or images alone).
    """

    score: int
    why: str
    variant: str = ""


def has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    """Whether the file name ends with one of ``suffixes`` (case-insensitive; ``.nii.gz`` counts whole)."""
    return path.name.lower().endswith(suffixes)


_LISTINGS: dict[tuple, Any] | None = None


@contextmanager
def listings_shared() -> Iterator[None]:
    """Within this block each folder is listed (and each probe run) once: ``inspect`` asks many readers about
    the same folder, and their ``looks_like`` list it. Outside it nothing is kept, so nothing goes stale."""
    global _LISTINGS
    outer = _LISTINGS
    _LISTINGS = {} if outer is None else outer
    try:
        yield
    finally:
        _LISTINGS = outer


def remembered(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, kept under ``key`` while :func:`listings_shared` is open (computed afresh outside it)."""
    if _LISTINGS is None:
        return compute()
    if key not in _LISTINGS:
        _LISTINGS[key] = compute()
    return _LISTINGS[key]


def data_files(folder: Path, recursive: bool = True) -> list[Path]:
    """The visible files of a folder (its whole tree by default), sorted, at most :data:`MAX_FILES`."""
    return list(remembered(("files", folder, recursive), lambda: _list_files(folder, recursive)))


def _list_files(folder: Path, recursive: bool) -> list[Path]:
    iterator = folder.rglob("*") if recursive else folder.iterdir()
    found = []
    for path in iterator:
        if path.is_file() and not path.name.startswith("."):
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    return sorted(found)


def any_file_with_suffix(path: Path, suffixes: tuple[str, ...], score: int, why: str) -> LayoutMatch | None:
    """A match when ``path`` is, or its tree holds, a file ending with one of ``suffixes`` (volume readers)."""
    files = [path] if path.is_file() else data_files(path)
    return LayoutMatch(score, why) if any(has_suffix(p, suffixes) for p in files) else None


def image_files(paths: list[Path]) -> list[Path]:
    """The 2D image files (PNG, JPEG, TIFF, BMP) among ``paths``."""
    return [p for p in paths if has_suffix(p, IMAGE_SUFFIXES)]


def text_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first ``size`` bytes of a file as text ('' when unreadable)."""
    try:
        with path.open("rb") as handle:
            return handle.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


def json_object_with_keys(path: Path, keys: tuple[str, ...]) -> bool:
    """Whether a JSON file starts as an object and names any of ``keys`` in its first bytes (no full parse)."""
    head = text_head(path).lstrip()
    return head.startswith("{") and any(f'"{key}"' in head for key in keys)


def table_head(path: Path, rows: int = TABLE_HEAD_ROWS) -> list[dict[str, str]]:
    """The first ``rows`` rows of a CSV/TSV (gzipped or not) as dicts; [] when unreadable."""
    delimiter = "\t" if has_suffix(path, (".tsv", ".tsv.gz")) else ","
    try:
        raw = gzip.open(path, "rb") if has_suffix(path, (".gz",)) else path.open("rb")
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace") as text:
            reader = csv.DictReader(text, delimiter=delimiter)
            return list(itertools.islice(reader, rows))
    except (OSError, EOFError, csv.Error, gzip.BadGzipFile):
        return []


def table_names_images(path: Path) -> bool:
    """Whether a table's first rows hold an image file name (a label or box table of 2D images)."""
    return any(str(value).lower().endswith(IMAGE_SUFFIXES)
               for row in table_head(path) for value in row.values() if value)


def visible_folders(folder: Path) -> list[Path]:
    """Subfolders, without hidden ones and macOS ``__MACOSX`` copies that archives bring along."""
    return [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith((".", "__"))]


@dataclass(frozen=True)
class MaskPairing:
    """2D images with a folder of masks beside them, and whether most masks carry an image's own name."""

    images_folder: Path
    images: list[Path]
    masks_folder: Path
    masks: list[str]  # mask file names
    same_names: bool


def images_with_mask_folder(folder: Path) -> MaskPairing | None:
    """Images in ``folder`` (or its ``images/``) and a subfolder named like masks (``masks/``, ``labels/``, ...)."""
    return remembered(("mask folder", folder), lambda: _images_with_mask_folder(folder))


def _images_with_mask_folder(folder: Path) -> MaskPairing | None:
    images_folder = folder / "images" if (folder / "images").is_dir() else folder
    images = image_files(data_files(images_folder, recursive=False))
    if not images:
        return None
    masks_folder = next((candidate for candidate in sorted(folder.iterdir()) if candidate.is_dir()
                         and candidate != images_folder and candidate.name.lower() in LABEL_WORDS), None)
    if masks_folder is None:
        return None
    masks = [p.name for p in image_files(data_files(masks_folder, recursive=False))]
    stems = {p.stem for p in images}
    same = sum(1 for name in masks if Path(name).stem in stems)
    return MaskPairing(images_folder, images, masks_folder, masks, same >= max(1, len(masks) // 2))
