"""Executors run shards: a local process pool (default) or a Ray cluster, behind one interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from medtrinity.registry import Registry

EXECUTORS: Registry[type[Executor]] = Registry("executors")


@dataclass
class ShardOutcome:
    """What came back from one shard: its result dict, or the infrastructure error that failed it."""

    index: int
    result: dict | None = None
    error: str | None = None
    node: str | None = None  # the cluster node that ran it (Ray), for spreading checks and logs


def execute_shard(spec: dict, config: dict, out_dir: str) -> dict:
    """Entry point a worker calls (plain dicts travel well to processes and Ray workers)."""
    from pathlib import Path

    from medtrinity.config import RunConfig
    from medtrinity.pipeline import ShardSpec, run_shard

    return run_shard(ShardSpec.from_dict(spec), RunConfig.model_validate(config), Path(out_dir))


class Executor(ABC):
    """Runs ``execute_shard`` over many shards and yields outcomes as they finish."""

    def __init__(self, workers: int, address: str | None = None):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.address = address

    @abstractmethod
    def map(self, specs: list[dict], config: dict, out_dir: str) -> Iterator[ShardOutcome]:
        """Run every shard; yield one outcome per shard, in completion order."""


def make_executor(name: str, workers: int, address: str | None = None) -> Executor:
    import medtrinity.executors.local  # noqa: F401
    import medtrinity.executors.ray  # noqa: F401

    return EXECUTORS.get(name)(workers, address)
