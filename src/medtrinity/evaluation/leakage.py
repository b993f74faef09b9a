"""Benchmark leakage audit: which rows of a written run show an evaluation image (MedTrinity-25M's VQA-RAD issue).

Three checks per evaluation set, each reported separately:

- **exact**: the evaluation file's bytes are the row's PNG (same sha256), or the decoded grey
  pixels are identical;
- **phash**: the row's 64-bit perceptual hash (``image_phash`` column) is within ``phash_bits``
  bits of the evaluation image's (finds resized, re-encoded, brightened copies);
- **embedding** (when the ``dense`` extra's faiss is installed): nearest neighbour by cosine
  similarity of a 32x32 high-pass thumbnail embedding, searched in a faiss index that holds every
  evaluation image mirrored and cropped by 0 to 10 % per side (finds flipped and cropped copies
  the hash misses). On the 315 VQA-RAD images distinct images reach at most 0.84 and altered
  copies (JPEG, half size, flip, 5 % crop) at least 0.92; the default threshold is 0.90.

The report (one table row per evaluation set: images, rows matched by each check, evaluation
images found in the run, the matches) is written to ``RUN/leakage.json`` for the dataset card.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from medtrinity.evaluation.evaluation_images import EvaluationSet, evaluation_set
from medtrinity.io.atomic import write_json_atomic
from medtrinity.io.hashes import perceptual_hash

REPORT_NAME = "leakage.json"
DEFAULT_PHASH_BITS = 4
DEFAULT_MIN_SIMILARITY = 0.90
EMBEDDING_SIDE_PX = 32
WORKING_SIDE_PX = 256
HASH_SIDE_PX = 512  # the pipeline's default display size; the run's image_phash is of that image
CROP_FRACTIONS = (0.0, 0.025, 0.05, 0.075, 0.1)
METHODS = ("exact", "phash", "embedding")
_ROW_COLUMNS = ["id", "source", "image_png", "image_sha256", "image_phash"]


def grey_of(pixels: np.ndarray) -> np.ndarray:
    """A 2D view of an image for comparison (colour averaged the OpenCV way; RGB order)."""
    if pixels.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(pixels[:, :, :3]), cv2.COLOR_RGB2GRAY)
    return pixels


def pixel_digest(grey: np.ndarray) -> str:
    return hashlib.sha256(f"{grey.shape}".encode() + np.ascontiguousarray(grey).tobytes()).hexdigest()


def _shrunk(pixels: np.ndarray, side_px: int) -> np.ndarray:
    scale = side_px / max(pixels.shape[:2])
    if scale >= 1:
        return pixels
    size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def image_embedding(grey: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Unit-length 32x32 high-pass thumbnail (1-99 percentile scaled): cosine ~ structural similarity."""
    values = _shrunk(grey, WORKING_SIDE_PX).astype(np.float32)
    low, high = value_range if value_range is not None else np.percentile(values, [1, 99])
    scaled = np.clip((values - low) / max(float(high - low), 1e-6), 0, 1)
    thumbnail = cv2.resize(scaled, (EMBEDDING_SIDE_PX, EMBEDDING_SIDE_PX), interpolation=cv2.INTER_AREA)
    detail = (thumbnail - cv2.GaussianBlur(thumbnail, (0, 0), 2)).ravel()
    detail -= detail.mean()
    norm = float(np.linalg.norm(detail))
    return (detail / norm if norm > 1e-9 else detail).astype(np.float32)


def _variant_embeddings(grey: np.ndarray) -> list[np.ndarray]:
    """The image mirrored and cropped by each of ``CROP_FRACTIONS`` per side, embedded."""
    working = _shrunk(grey, WORKING_SIDE_PX)
    value_range = tuple(float(v) for v in np.percentile(working, [1, 99]))
    height, width = working.shape
    vectors = []
    for fraction in CROP_FRACTIONS:
        dy, dx = int(fraction * height), int(fraction * width)
        crop = working[dy:height - dy, dx:width - dx]
        if crop.size:
            vectors += [image_embedding(crop, value_range), image_embedding(crop[:, ::-1], value_range)]
    return vectors


def embedding_backend() -> tuple[Any | None, str]:
    """faiss when the dense extra is installed, else None and the reason the check is skipped."""
    try:
        import faiss
    except ImportError:
        return None, "skipped: faiss not installed (pip install 'medtrinity[dense]')"
    return faiss, f"faiss {faiss.__version__} exact inner product, {EMBEDDING_SIDE_PX}x{EMBEDDING_SIDE_PX} high-pass"


class _SetIndex:
    """Everything needed to match rows against one evaluation set."""

    def __init__(self, evaluation: EvaluationSet, faiss: Any | None):
        self.evaluation = evaluation
        self.names: list[str] = []
        self.by_file: dict[str, int] = {}
        self.by_pixels: dict[str, int] = {}
        codes, vectors, owners = [], [], []
        for index, image in enumerate(evaluation.images()):
            self.names.append(image.name)
            self.by_file.setdefault(image.file_sha256, index)
            grey = grey_of(image.pixels)
            self.by_pixels.setdefault(pixel_digest(grey), index)
            codes.append(perceptual_hash(_shrunk(image.pixels, HASH_SIDE_PX)))  # as the run hashed its image
            if faiss is not None:
                variants = _variant_embeddings(grey)
                vectors += variants
                owners += [index] * len(variants)
        if not self.names:
            raise ValueError(f"evaluation set {evaluation.name} ({evaluation.path}) has no images")
        self.codes = np.array(codes, dtype=np.uint64)
        self.owners = np.array(owners, dtype=np.int64)
        self.index = None
        if faiss is not None:
            self.index = faiss.IndexFlatIP(EMBEDDING_SIDE_PX * EMBEDDING_SIDE_PX)
            self.index.add(np.stack(vectors))


def _row_matches(index: _SetIndex, row: dict, grey: np.ndarray, vector: np.ndarray | None,
                 phash_bits: int, min_similarity: float) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    exact = index.by_file.get(row["image_sha256"])
    exact = exact if exact is not None else index.by_pixels.get(pixel_digest(grey))
    if exact is not None:
        found["exact"] = exact
    distances = np.bitwise_count(index.codes ^ np.uint64(int(row["image_phash"], 16)))
    nearest = int(np.argmin(distances))
    if int(distances[nearest]) <= phash_bits:
        found["phash"] = nearest
    similarity = None
    if index.index is not None and vector is not None:
        scores, positions = index.index.search(vector[None, :], 1)
        similarity = float(scores[0, 0])
        if similarity >= min_similarity:
            found["embedding"] = int(index.owners[positions[0, 0]])
    if not found:
        return None
    image = found.get("exact", found.get("phash", found.get("embedding")))
    return {"row_id": row["id"], "source": row["source"], "evaluation_image": index.names[image],
            "methods": [method for method in METHODS if method in found],
            "phash_bits": int(distances[nearest]), "similarity": None if similarity is None else round(similarity, 4)}


def audit_run(run: Path, entries: list[str], phash_bits: int = DEFAULT_PHASH_BITS,
              min_similarity: float = DEFAULT_MIN_SIMILARITY, embedding: bool = True) -> dict[str, Any]:
    """Compare every row of ``run`` with every evaluation set; write and return the report."""
    import pyarrow.parquet as pq

    started = time.monotonic()
    parts = sorted((Path(run) / "triplets").glob("part-*.parquet"))
    if not parts:
        raise FileNotFoundError(f"{run}: no triplets/part-*.parquet (is this a medtrinity run folder?)")
    faiss, embedding_note = embedding_backend() if embedding else (None, "skipped: --no-embedding")
    indexes = [_SetIndex(evaluation_set(entry), faiss) for entry in entries]
    matches: list[list[dict[str, Any]]] = [[] for _ in indexes]
    rows = 0
    for part in parts:
        for batch in pq.ParquetFile(part).iter_batches(columns=_ROW_COLUMNS, batch_size=256):
            for row in batch.to_pylist():
                rows += 1
                pixels = cv2.imdecode(np.frombuffer(row["image_png"], np.uint8), cv2.IMREAD_UNCHANGED)
                if pixels is None:
                    raise ValueError(f"{part}: row {row['id']} holds an unreadable PNG")
                if pixels.ndim == 3:
                    pixels = cv2.cvtColor(pixels[:, :, :3], cv2.COLOR_BGR2RGB)
                grey = grey_of(pixels)
                vector = image_embedding(grey) if faiss is not None else None
                for index, found in zip(indexes, matches, strict=True):
                    match = _row_matches(index, row, grey, vector, phash_bits, min_similarity)
                    if match is not None:
                        found.append(match)
    report = {
        "created_by": "medtrinity leakage", "run": str(Path(run).resolve()), "rows": rows,
        "settings": {"phash_bits": phash_bits, "min_similarity": min_similarity, "embedding": embedding_note},
        "sets": [_set_summary(index, found) for index, found in zip(indexes, matches, strict=True)],
        "seconds": round(time.monotonic() - started, 2),
    }
    write_json_atomic(Path(run) / REPORT_NAME, report)
    return report


def _set_summary(index: _SetIndex, found: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "set": index.evaluation.name, "path": str(index.evaluation.path), "images": len(index.names),
        "rows_matched": {method: sum(method in m["methods"] for m in found) for method in METHODS}
        | {"any": len(found)},
        "evaluation_images_found": len({m["evaluation_image"] for m in found}),
        "matches": found,
    }
