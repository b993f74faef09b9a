"""Evaluation images to keep out of the training data (benchmark leakage, MedTrinity-25M's VQA-RAD issue).

``preprocess.evaluation_images`` names image files, folders, globs, or JSON question files of VQA
benchmarks (VQA-RAD, SLAKE, PathVQA layouts: a list of records with ``image_name`` or ``image``,
the images beside the JSON or in its ``images/`` folder). Each image becomes a perceptual hash; the
run-wide duplicate pass removes every row whose clean image is within ``near_duplicate_bits`` of one.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

from medtrinity.io.hashes import perceptual_hash
from medtrinity.io.images import IMAGE_SUFFIXES, read_image


def _images_of_question_file(path: Path) -> list[Path]:
    records = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(records, dict):
        records = next((value for value in records.values() if isinstance(value, list)), [])
    names = sorted({str(r.get("image_name") or r.get("image") or r.get("img_name") or "")
                    for r in records if isinstance(r, dict)} - {""})
    if not names:
        raise ValueError(f"evaluation question file {path} names no images (no image_name or image fields)")
    found = []
    for name in names:
        candidates = [path.parent / name, path.parent / "images" / name, path.parent / "imgs" / name]
        match = next((candidate for candidate in candidates if candidate.is_file()), None)
        if match is None:
            raise ValueError(f"evaluation question file {path}: image {name!r} not found beside it or in images/")
        found.append(match)
    return found


def evaluation_image_paths(entries: list[str]) -> list[Path]:
    """Every image file the ``evaluation_images`` entries name, sorted and without repeats."""
    paths: set[Path] = set()
    for entry in entries:
        path = Path(entry)
        if path.is_file() and path.suffix.lower() == ".json":
            paths.update(_images_of_question_file(path))
        elif path.is_file():
            paths.add(path)
        elif path.is_dir():
            paths.update(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(IMAGE_SUFFIXES))
        else:
            matches = [Path(p) for p in glob.glob(entry, recursive=True) if Path(p).is_file()]
            if not matches:
                raise ValueError(f"evaluation_images entry {entry!r} matches no file")
            paths.update(matches)
    return sorted(paths)


def evaluation_hashes(entries: list[str]) -> list[tuple[int, str]]:
    """(perceptual hash, file name) of every evaluation image; an unreadable one is a config error."""
    hashes = []
    for path in evaluation_image_paths(entries):
        try:
            pixels = read_image(str(path))
        except Exception as error:
            raise ValueError(f"evaluation image {path} is unreadable: {error}") from error
        hashes.append((perceptual_hash(pixels), path.name))
    return hashes
