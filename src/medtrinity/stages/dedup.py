"""The ``dedup`` stage: exact and near-duplicate images within one shard (run-wide duplicates come after the run)."""

from __future__ import annotations

from medtrinity.config import RunConfig
from medtrinity.preprocess.dedup import duplicate_filter
from medtrinity.stages.base import Stage, StageContext

NAME = "dedup"


def build(config: RunConfig, context: StageContext) -> Stage:
    """A fresh filter per shard; ``preprocess.duplicates: keep`` passes every sample through."""
    duplicates = duplicate_filter(config.preprocess.duplicates, config.preprocess.near_duplicate_bits)
    return Stage(NAME, duplicates if duplicates is not None else (lambda sample: sample))
