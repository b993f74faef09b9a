"""The Ray executor: the same shard function as Ray tasks, on a local or an existing cluster.

With no address it starts a private single-node Ray bound to 127.0.0.1 (no dashboard, token
auth off for this local cluster, its temporary folder removed afterwards) and shuts it down at
the end. With an address it joins that cluster and leaves it running.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

from medtrinity.executors import EXECUTORS, Executor, ExecutorOptions, ShardOutcome, execute_shard
from medtrinity.registry import require_dependency


class RayOptions(ExecutorOptions):
    """Options of the ``ray`` executor: workers (CPUs of a private cluster) and the address of a cluster to join."""

    address: str | None = None


def _import_ray_loopback():
    """Import Ray with loopback-only settings; they take effect only if Ray was not imported before."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return require_dependency(RayExecutor, "ray")


def _execute_on_node(spec: dict, config: dict, out_dir: str) -> tuple[dict, str]:
    """Run one shard in a Ray worker; also say which node ran it."""
    import ray

    return execute_shard(spec, config, out_dir), ray.get_runtime_context().get_node_id()


@EXECUTORS.register("ray")
class RayExecutor(Executor):
    """Shards as Ray tasks (one CPU each); outcomes are yielded as tasks finish."""

    Options = RayOptions
    dependencies = (("ray", "pip install 'medtrinity[ray]'"),)
    max_retries = 1  # a task whose worker or node dies runs once more elsewhere; what still fails is resumed

    def map(self, specs: list[dict], config: dict, out_dir: str) -> Iterator[ShardOutcome]:
        ray = _import_ray_loopback()
        temp_dir = None
        started_here = not ray.is_initialized()
        if started_here:
            if self.options.address:
                ray.init(address=self.options.address, log_to_driver=False)
            else:
                temp_dir = tempfile.mkdtemp(prefix="mtray-")
                ray.init(num_cpus=self.options.workers, include_dashboard=False, _temp_dir=temp_dir,
                         log_to_driver=False)
                address = ray.get_runtime_context().gcs_address
                if not address.startswith("127.0.0.1:"):
                    ray.shutdown()
                    shutil.rmtree(temp_dir, ignore_errors=True)
                    raise RuntimeError(
                        f"the local Ray cluster listens on {address}, not on loopback: Ray was imported before "
                        "medtrinity could set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0; set it before importing ray"
                    )
        try:
            # SPREAD: shards go round the nodes (I/O and memory spread too); a task whose node dies is
            # retried once elsewhere. Only the shard spec (item paths), the config dict and the output
            # path travel through the object store; each worker reads its own inputs.
            task = ray.remote(num_cpus=1, max_retries=self.max_retries, scheduling_strategy="SPREAD")(_execute_on_node)
            pending = {task.remote(spec, config, out_dir): spec["index"] for spec in specs}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for reference in done:
                    index = pending.pop(reference)
                    try:
                        result, node = ray.get(reference)
                        yield ShardOutcome(index, result=result, node=node)
                    except Exception as error:
                        yield ShardOutcome(index, error=f"{type(error).__name__}: {error}")
        finally:
            if started_here:
                ray.shutdown()
            if temp_dir is not None:
                shutil.rmtree(temp_dir, ignore_errors=True)
