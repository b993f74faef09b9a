"""Executors run shards: a local process pool (default) or a Ray cluster, behind one interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from medtrinity.registry import PluginOptions, Registry, registry, validate_options

EXECUTORS: Registry[type[Executor]] = registry("executors")


class ExecutorOptions(PluginOptions):
    """Options every executor takes: how many shards run at once."""

    workers: int = Field(default=1, ge=1)


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
    """Runs ``execute_shard`` over many shards and yields outcomes as they finish.

    A subclass declares ``Options`` (its options model) and ``dependencies`` like every plugin;
    ``self.options`` is the validated model.
    """

    Options: ClassVar[type[PluginOptions]] = ExecutorOptions
    dependencies: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, options: PluginOptions | dict | None = None):
        if not isinstance(options, type(self).Options):
            options = validate_options(type(self).Options, options, f"executor {type(self).__name__}")
        self.options = options

    @abstractmethod
    def map(self, specs: list[dict], config: dict, out_dir: str) -> Iterator[ShardOutcome]:
        """Run every shard; yield one outcome per shard, in completion order."""


def make_executor(name: str, workers: int, address: str | None = None) -> Executor:
    """The executor registered as ``name``; its options (workers, and address where it takes one) are validated."""
    options = {"workers": workers, **({"address": address} if address is not None else {})}
    return EXECUTORS.get(name)(EXECUTORS.validate_options(name, options, where=f"executor {name}"))
