"""The images of evaluation sets named on the command line, grouped by set, read lazily.

An entry is a VQA benchmark in its own format (VQA-RAD ``testset.json``, SLAKE ``test.json``, a
PathVQA parquet file or folder, or a folder holding one of them), an image folder (searched
recursively), or one image file. Benchmarks name their images through their questions; each
image is read once however many questions ask about it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from medtrinity.evaluation.benchmarks import BenchmarkError, detect_kind, load_benchmark, pathvqa_files
from medtrinity.io.images import IMAGE_SUFFIXES, read_image


@dataclass
class EvaluationImage:
    """One evaluation image: its set, its name there, a digest of its file bytes, and its pixels."""

    name: str
    file_sha256: str
    pixels: np.ndarray


@dataclass
class EvaluationSet:
    """A named group of evaluation images (one benchmark or one folder)."""

    name: str
    path: Path
    images: Callable[[], Iterator[EvaluationImage]]


def _decode(data: bytes, name: str) -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise ValueError(f"evaluation image {name} is not a readable image")
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels[:, :, :3], cv2.COLOR_BGR2RGB)
    return pixels


def _from_files(paths: list[Path], root: Path) -> Callable[[], Iterator[EvaluationImage]]:
    def images() -> Iterator[EvaluationImage]:
        for path in paths:
            try:
                data = path.read_bytes()
                pixels = read_image(str(path))
            except Exception as error:
                raise ValueError(f"evaluation image {path} is unreadable: {error}") from error
            name = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
            yield EvaluationImage(name, hashlib.sha256(data).hexdigest(), pixels)
    return images


def _pathvqa_images(path: Path) -> Callable[[], Iterator[EvaluationImage]]:
    def images() -> Iterator[EvaluationImage]:
        import pyarrow.parquet as pq

        seen: set[str] = set()
        for file in pathvqa_files(path):
            parquet = pq.ParquetFile(file)
            position = 0
            for batch in parquet.iter_batches(columns=["image"], batch_size=64):
                for cell in batch.column(0).to_pylist():
                    data = (cell or {}).get("bytes")
                    name = (cell or {}).get("path") or f"{file.name}#{position}"
                    position += 1
                    if not data:
                        raise ValueError(f"{file}: row {position - 1} has no image bytes")
                    digest = hashlib.sha256(data).hexdigest()
                    if digest not in seen:
                        seen.add(digest)
                        yield EvaluationImage(name, digest, _decode(data, name))
    return images


def evaluation_set(entry: str | Path) -> EvaluationSet:
    """The evaluation set an entry names (benchmark, image folder or image file)."""
    path = Path(entry)
    if path.is_file() and path.name.lower().endswith(IMAGE_SUFFIXES):
        return EvaluationSet(path.name, path, _from_files([path], path.parent))
    try:
        kind, target = detect_kind(path)
    except BenchmarkError:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(IMAGE_SUFFIXES))
            if not files:
                raise ValueError(f"{path}: neither a VQA benchmark nor a folder with images") from None
            return EvaluationSet(path.name, path, _from_files(files, path))
        raise
    if kind == "pathvqa":
        return EvaluationSet(f"pathvqa ({path.name})", path, _pathvqa_images(target))
    benchmark = load_benchmark(target, kind, language=None)
    if benchmark.image_root is None:
        raise ValueError(f"{target}: a {kind} file names no image folder")
    names = sorted({q.image for q in benchmark.questions if q.image})
    files = [benchmark.image_root / name for name in names]
    missing = [str(file) for file in files if not file.is_file()]
    if missing:
        raise ValueError(f"{target}: {len(missing)} images named by its questions are missing, first {missing[0]}")
    return EvaluationSet(f"{kind} ({target.name})", target, _from_files(files, benchmark.image_root))
