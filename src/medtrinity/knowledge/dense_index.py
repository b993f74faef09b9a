"""Dense vectors of the passages: exact inner-product search, or HNSW (faiss) beyond a size threshold."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from medtrinity.knowledge.bm25_index import top_indices
from medtrinity.knowledge.store import write_atomic
from medtrinity.registry import require

EMBEDDINGS = "embeddings.npy"
ANN_INDEX = "hnsw.faiss"
META = "meta.json"
DEFAULT_ANN_THRESHOLD = 200_000
FAISS_INSTALL = "pip install faiss-cpu"
HNSW_NEIGHBOURS = 32


def _faiss():
    return require("faiss", FAISS_INSTALL, purpose="approximate dense search (HNSW)")


def _save_array(path: Path, array: np.ndarray) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npy")
    with os.fdopen(handle, "wb") as stream:
        np.save(stream, array)
    os.replace(temporary, path)


class DenseIndex:
    """Unit vectors of every passage (memory-mapped) and, for large bases, an HNSW graph."""

    def __init__(self, folder: Path, vectors: np.ndarray, ann=None, ef_search: int = 128):
        self.folder = folder
        self.vectors = vectors
        self.ann = ann
        self.ef_search = ef_search

    @property
    def size(self) -> int:
        """Number of embedded passages."""
        return int(self.vectors.shape[0])

    @property
    def approximate(self) -> bool:
        """True when searches go through the HNSW graph rather than an exact scan."""
        return self.ann is not None

    @classmethod
    def load(cls, folder: Path) -> DenseIndex:
        """Open the vectors (memory-mapped) and the HNSW graph when one was built."""
        path = folder / EMBEDDINGS
        if not path.is_file():
            raise FileNotFoundError(f"no embeddings in {folder} ({EMBEDDINGS} missing)")
        vectors = np.load(path, mmap_mode="r")
        ann = None
        if (folder / ANN_INDEX).is_file():
            ann = _faiss().read_index(str(folder / ANN_INDEX))
        return cls(folder, vectors, ann)

    @staticmethod
    def update(folder: Path, new_vectors: np.ndarray, model: str, ann_threshold: int) -> DenseIndex:
        """Append vectors for newly added passages and save; build or extend HNSW past ``ann_threshold``."""
        if ann_threshold < 1:
            raise ValueError(f"ann_threshold must be >= 1 passage, got {ann_threshold}")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / EMBEDDINGS
        old = np.load(path) if path.is_file() else np.zeros((0, new_vectors.shape[1]), dtype=np.float32)
        if old.shape[1] != new_vectors.shape[1]:
            raise ValueError(
                f"{folder}: stored vectors have {old.shape[1]} dims, new ones {new_vectors.shape[1]}"
            )
        vectors = np.concatenate([old, new_vectors.astype(np.float32)]) if len(old) else new_vectors
        _save_array(path, vectors)
        ann_path = folder / ANN_INDEX
        if len(vectors) > ann_threshold:
            faiss = _faiss()
            if ann_path.is_file() and len(old) > 0:
                ann = faiss.read_index(str(ann_path))
                if ann.ntotal != len(old):
                    ann = None
            else:
                ann = None
            if ann is None:
                ann = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
                ann.hnsw.efConstruction = 80
                ann.add(np.ascontiguousarray(vectors))
            else:
                ann.add(np.ascontiguousarray(new_vectors, dtype=np.float32))
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{ANN_INDEX}.")
            os.close(handle)
            faiss.write_index(ann, temporary)
            os.replace(temporary, ann_path)
        elif ann_path.is_file():
            ann_path.unlink()
        meta = {
            "model": model,
            "count": int(len(vectors)),
            "dimension": int(vectors.shape[1]),
            "approximate": bool(len(vectors) > ann_threshold),
            "ann_threshold": ann_threshold,
        }
        write_atomic(folder / META, json.dumps(meta, indent=2, sort_keys=True).encode())
        return DenseIndex.load(folder)

    def search(self, query_vector: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """Up to ``depth`` (passage index, cosine similarity) pairs, best first, ties by lower index."""
        if self.size == 0:
            return []
        depth = min(depth, self.size)
        query = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, -1)
        if self.ann is not None:
            self.ann.hnsw.efSearch = max(self.ef_search, depth)
            scores, ids = self.ann.search(query, depth)
            pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
            return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
        scores = np.asarray(self.vectors @ query[0], dtype=np.float64)
        shifted = scores + 2.0  # cosine is in [-1, 1]; top_indices keeps scores above 0
        return [(i, s - 2.0) for i, s in top_indices(shifted, depth)]
