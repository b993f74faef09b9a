"""Retrieval quality: recall@k of BM25, dense and hybrid on a labelled query set, and queries per second."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medtrinity.knowledge.builtin import BUILTIN_NAME
from medtrinity.knowledge.paths import data_dir
from medtrinity.knowledge.retriever import Retriever

DEFAULT_KS: tuple[int, ...] = (1, 3, 10)
WARMUP_QUERIES = 20


@dataclass(frozen=True)
class EvalQuery:
    """A query and the entries (group ids) any of which counts as a correct answer."""

    text: str
    expected: tuple[str, ...]
    kind: str = ""


def default_queries_path() -> Path:
    """The bundled evaluation set for the built-in knowledge base."""
    return data_dir() / "eval" / "queries.jsonl"


def load_queries(path: str | Path | None = None) -> list[EvalQuery]:
    """Queries from JSONL lines ``{"query", "expected": [ids], "kind"?}``; bare ids are built-in entries."""
    path = Path(path) if path else default_queries_path()
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        expected = item.get("expected")
        if not item.get("query") or not isinstance(expected, list) or not expected:
            raise ValueError(f"{path}:{number}: needs 'query' and a non-empty 'expected' list, got {item!r}")
        ids = tuple(e if ":" in e else f"{BUILTIN_NAME}:{e}" for e in expected)
        queries.append(EvalQuery(item["query"], ids, item.get("kind", "")))
    return queries


def evaluate(
    retriever: Retriever,
    queries: Sequence[EvalQuery],
    methods: Sequence[str] = ("bm25", "dense", "hybrid"),
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, float]]:
    """Per method: ``recall@k`` (share of queries with an expected entry in the top k) and ``queries_per_s``.

    Each method is warmed up on a few queries first, so model loading and the first slow calls of the
    embedding model are not counted in the speed.
    """
    if not queries:
        raise ValueError("no evaluation queries")
    depth = max(ks)
    results: dict[str, dict[str, float]] = {}
    for method in methods:
        for query in queries[:WARMUP_QUERIES]:
            retriever.hits(query.text, depth, method)
        retriever.clear_cache()
        found = dict.fromkeys(ks, 0)
        started = time.perf_counter()
        for query in queries:
            groups = [hit.row.group for hit in retriever.hits(query.text, depth, method)]
            for k in ks:
                if any(group in query.expected for group in groups[:k]):
                    found[k] += 1
        elapsed_s = time.perf_counter() - started
        retriever.clear_cache()
        scores = {f"recall@{k}": found[k] / len(queries) for k in ks}
        scores["queries_per_s"] = len(queries) / elapsed_s if elapsed_s > 0 else float("inf")
        results[method] = scores
    return results


def misses(
    retriever: Retriever, queries: Sequence[EvalQuery], method: str, k: int
) -> list[tuple[str, list[str]]]:
    """Queries whose expected entries are not in the top ``k``, with what came back (for inspection)."""
    out = []
    for query in queries:
        groups = [hit.row.group for hit in retriever.hits(query.text, k, method)]
        if not any(group in query.expected for group in groups):
            out.append((query.text, groups))
    return out
