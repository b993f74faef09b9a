"""Reciprocal rank fusion: combine ranked lists by rank, not by their incomparable scores."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = DEFAULT_RRF_K
) -> list[tuple[int, float]]:
    """(item, fused score) best first: score = sum of weight / (k + rank), rank counted from 1.

    Ties are broken by the item's best rank in any list, then by the item itself, so the order
    is fully determined by the inputs.
    """
    if k < 0:
        raise ValueError(f"RRF k must be >= 0, got {k}")
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[int, float] = {}
    best_rank: dict[int, int] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best_rank[item] = min(best_rank.get(item, rank), rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], best_rank[pair[0]], pair[0]))
