"""Lexical BM25 over the stored passages (bm25s), saved to disk and memory-mapped on load."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from medtrinity.knowledge.tokenize import tokenize
from medtrinity.registry import require

BM25_INSTALL = "pip install bm25s"


def _bm25s():
    return require("bm25s", BM25_INSTALL, purpose="BM25 retrieval")


def top_indices(scores: np.ndarray, depth: int) -> list[tuple[int, float]]:
    """The ``depth`` best (index, score) pairs with a score above 0, ties broken by lower index."""
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0:
        return []
    if positive.size > depth:
        part = np.argpartition(-scores[positive], depth - 1)[:depth]
        threshold = scores[positive[part]].min()
        positive = positive[scores[positive] >= threshold]
    order = np.lexsort((positive, -scores[positive]))
    chosen = positive[order][:depth]
    return [(int(i), float(scores[i])) for i in chosen]


class BM25Index:
    """A bm25s model plus our own deterministic vocabulary (token -> id, sorted)."""

    def __init__(self, model, vocab: dict[str, int]):
        self.model = model
        self.vocab = vocab

    @classmethod
    def build(cls, texts: Iterable[str], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index ``texts`` (title and text of each passage, in store order)."""
        bm25s = _bm25s()
        token_lists = [tokenize(text) for text in texts]
        vocab = {token: i for i, token in enumerate(sorted({t for tokens in token_lists for t in tokens}))}
        ids = [[vocab[t] for t in tokens] for tokens in token_lists]
        model = bm25s.BM25(k1=k1, b=b, method="lucene")
        model.index((ids, vocab), show_progress=False)
        return cls(model, vocab)

    def save(self, folder: Path) -> None:
        """Write the score arrays and our vocabulary to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save(str(folder), show_progress=False)
        (folder / "terms.json").write_text(json.dumps(self.vocab, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> BM25Index:
        """Open a saved index; with ``mmap`` the score arrays are mapped, not read into memory."""
        bm25s = _bm25s()
        if not (folder / "terms.json").is_file():
            raise FileNotFoundError(f"no BM25 index in {folder} (terms.json missing)")
        model = bm25s.BM25.load(str(folder), mmap=mmap)
        vocab = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        return cls(model, vocab)

    @property
    def size(self) -> int:
        """Number of indexed passages."""
        return int(self.model.scores["num_docs"])

    def search(self, query: str, depth: int) -> list[tuple[int, float]]:
        """Up to ``depth`` (passage index, BM25 score) pairs, best first."""
        ids = [self.vocab[t] for t in tokenize(query) if t in self.vocab]
        if not ids:
            return []
        scores = np.asarray(self.model.get_scores_from_ids(ids), dtype=np.float64)
        return top_indices(scores, depth)
