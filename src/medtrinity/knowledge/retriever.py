"""Hybrid retrieval (BM25 + dense, fused by reciprocal rank) with a per-query result cache.

A :class:`Retriever` is cheap to pickle: it carries its settings, not its indexes, and opens them
lazily in whichever process first searches (BM25 arrays and vectors are memory-mapped).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from medtrinity.knowledge.bm25_index import BM25Index
from medtrinity.knowledge.builder import builtin_kb, ensure_dense
from medtrinity.knowledge.builtin import BUILTIN_NAME
from medtrinity.knowledge.dense_index import DEFAULT_ANN_THRESHOLD, DenseIndex
from medtrinity.knowledge.documents import PassageRow
from medtrinity.knowledge.embedding import Encoder, require_dense
from medtrinity.knowledge.fusion import DEFAULT_RRF_K, reciprocal_rank_fusion
from medtrinity.knowledge.store import PassageStore, read_manifest
from medtrinity.records import Passage

METHODS: tuple[str, ...] = ("bm25", "dense", "hybrid")
SCORE_DECIMALS = 6


@dataclass(frozen=True)
class RetrieverConfig:
    """How candidates are found and fused. ``depth`` candidates are taken from each side."""

    rrf_k: int = DEFAULT_RRF_K
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    depth: int = 100
    ann_threshold: int = DEFAULT_ANN_THRESHOLD
    one_per_group: bool = True
    cache_size: int = 100_000

    def __post_init__(self) -> None:
        if self.depth < 1:
            raise ValueError(f"depth must be >= 1, got {self.depth}")
        if self.bm25_weight < 0 or self.dense_weight < 0:
            raise ValueError(f"weights must be >= 0, got bm25={self.bm25_weight}, dense={self.dense_weight}")


@dataclass(frozen=True)
class Hit:
    """One search result: the stored passage (with its group) and its score under the method used."""

    row: PassageRow
    score: float

    def passage(self) -> Passage:
        """The record the pipeline writes with a triplet."""
        row = self.row
        return Passage(
            id=row.id,
            source=row.source,
            title=row.title,
            text=row.text,
            score=self.score,
            license=row.license,
        )


class Retriever:
    """Searches one knowledge base; identical queries are answered from the cache."""

    def __init__(
        self,
        folder: str | Path,
        *,
        dense: bool = True,
        model_path: str | None = None,
        config: RetrieverConfig | None = None,
    ):
        self.folder = Path(folder)
        self.dense = dense
        self.model_path = model_path
        self.config = config or RetrieverConfig()
        read_manifest(self.folder)
        if dense:
            require_dense(model_path)
        self._reset()

    def _reset(self) -> None:
        self._store: PassageStore | None = None
        self._bm25: BM25Index | None = None
        self._dense: DenseIndex | None = None
        self._encoder: Encoder | None = None
        self._cache: OrderedDict[tuple[str, str, int], tuple[Hit, ...]] = OrderedDict()
        self.index_searches = 0
        self.cache_hits = 0

    def __getstate__(self) -> dict:
        return {
            "folder": self.folder,
            "dense": self.dense,
            "model_path": self.model_path,
            "config": self.config,
        }

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset()

    def clear_cache(self) -> None:
        """Forget cached results (the counters keep counting)."""
        self._cache.clear()

    @property
    def default_method(self) -> str:
        """``hybrid`` when dense retrieval is on, else ``bm25``."""
        return "hybrid" if self.dense else "bm25"

    @property
    def store(self) -> PassageStore:
        """The passages (opened on first use)."""
        if self._store is None:
            self._store = PassageStore(self.folder)
        return self._store

    def _bm25_index(self) -> BM25Index:
        if self._bm25 is None:
            self._bm25 = BM25Index.load(self.folder / "bm25")
        return self._bm25

    def _dense_index(self) -> DenseIndex:
        if not self.dense:
            raise ValueError(
                f"dense search asked of a BM25-only retriever on {self.folder}; open it with dense=True"
            )
        if self._dense is None:
            self._encoder = Encoder(self.model_path)
            self._dense = ensure_dense(
                self.folder,
                model_path=self.model_path,
                ann_threshold=self.config.ann_threshold,
                encoder=self._encoder,
            )
        return self._dense

    def _ranked(self, query: str, method: str) -> list[tuple[int, float]]:
        depth = self.config.depth
        if method == "bm25":
            return self._bm25_index().search(query, depth)
        if method == "dense":
            index = self._dense_index()
            assert self._encoder is not None
            return index.search(self._encoder.encode_query(query), depth)
        lexical = self._ranked(query, "bm25")
        semantic = self._ranked(query, "dense")
        weights = (self.config.bm25_weight, self.config.dense_weight)
        return reciprocal_rank_fusion(
            [[i for i, _ in lexical], [i for i, _ in semantic]], weights=weights, k=self.config.rrf_k
        )

    def hits(self, query: str, k: int, method: str | None = None) -> tuple[Hit, ...]:
        """The ``k`` best hits for ``query`` (best first); repeated queries come from the cache."""
        method = method or self.default_method
        if method not in METHODS:
            raise ValueError(f"unknown retrieval method {method!r}; expected one of {METHODS}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        key = (method, " ".join(query.split()), k)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.cache_hits += 1
            return cached
        self.index_searches += 1
        hits: list[Hit] = []
        groups: set[str] = set()
        for index, score in self._ranked(key[1], method):
            row = self.store.row(index)
            if self.config.one_per_group:
                if row.group in groups:
                    continue
                groups.add(row.group)
            hits.append(Hit(row, round(score, SCORE_DECIMALS)))
            if len(hits) == k:
                break
        result = tuple(hits)
        self._cache[key] = result
        if len(self._cache) > self.config.cache_size:
            self._cache.popitem(last=False)
        return result

    def search(self, query: str, k: int = 5, method: str | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query``; the same knowledge base and query give the same list."""
        return [hit.passage() for hit in self.hits(query, k, method)]


def resolve_kb(kb: str | Path, cache_dir: str | Path | None = None) -> Path:
    """Folder of a knowledge base name: ``builtin`` (built into the cache on first use) or a path."""
    if str(kb) == BUILTIN_NAME:
        return builtin_kb(cache_dir)
    folder = Path(kb)
    read_manifest(folder)
    return folder


def open_retriever(
    kb: str | Path = BUILTIN_NAME,
    *,
    dense: bool = True,
    model_path: str | None = None,
    cache_dir: str | Path | None = None,
    config: RetrieverConfig | None = None,
    **settings: object,
) -> Retriever:
    """A retriever over ``kb`` (``builtin`` or a folder made by ``medtrinity kb build``).

    ``dense=True`` fails at once, with the install command, when torch or the model is missing;
    ``dense=False`` searches BM25 alone. Extra keyword settings override :class:`RetrieverConfig`.
    """
    config = replace(config or RetrieverConfig(), **settings)  # type: ignore[arg-type]
    if dense:
        require_dense(model_path)
    return Retriever(resolve_kb(kb, cache_dir), dense=dense, model_path=model_path, config=config)
