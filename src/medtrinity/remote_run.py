"""Runs whose inputs or output folder are object-store URLs (``s3://``, ``gs://``).

Inputs: a source's ``path``, ``labels``, ``label_map`` and any option value that is a URL are
mirrored into the node's cache when a reader is made (:func:`medtrinity.io.remote.staged_source`, called by
``make_reader`` on the driver and on every worker), so Ray workers on other nodes fetch what they
read themselves. Item ids come from paths relative to the source's root, so they equal those of
a local copy of the same files. The config keeps the URLs: its hash does not depend on the cache.

Output: :func:`run_to_url` runs into a local working folder (``<cache>/runs/s3/bucket/key``
unless ``work_dir`` is given), first pulling what the store already holds (a resumed run), pushes
the plan before any shard runs, each shard's part files, rejects and marker as the shard completes
(marker last), and at the end
pushes stats, journals and the manifest and deletes objects the run no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medtrinity.config import RunConfig
from medtrinity.io.remote import RemoteMirror, cache_root, local_path_for
from medtrinity.run_folder import CONFIG_NAME, MANIFEST_NAME, PLAN_NAME, STATS_NAME, RunFolder
from medtrinity.runner import RunSummary, run_pipeline


def work_dir_for(url: str) -> Path:
    """The local working folder of a run whose output is ``url`` (the same path on every node)."""
    return local_path_for(url, cache_root() / "runs")


def run_to_url(config: RunConfig, url: str, *, work_dir: Path | None = None,
               on_shard_done: Callable | None = None, on_plan: Callable | None = None,
               **run_options) -> RunSummary:
    """Run (or resume) ``config`` with its output folder at the object-store prefix ``url``.

    The run writes locally and pushes as it goes; ``run_options`` are those of :func:`run_pipeline`.
    With Ray on several nodes, ``work_dir`` must be storage every node shares (shards write there).
    """
    local = Path(work_dir) if work_dir is not None else work_dir_for(url)
    mirror = RemoteMirror(local, url)
    mirror.pull()
    folder = RunFolder(local)

    def push_shard(outcome) -> None:
        if outcome.error is None:
            index = outcome.index
            rejects = folder.rejects_path(index)
            files = [*folder.shard_parts(index), *([rejects] if rejects.exists() else []), folder.marker_path(index)]
            mirror.push(str(path.relative_to(local)) for path in files)
        if on_shard_done is not None:
            on_shard_done(outcome)

    def push_plan(specs, already_done: int) -> None:  # before any shard: a resume elsewhere keeps the plan
        mirror.push([PLAN_NAME, CONFIG_NAME])
        if on_plan is not None:
            on_plan(specs, already_done)

    summary = run_pipeline(config, local, on_shard_done=push_shard, on_plan=push_plan, **run_options)
    mirror.sync(last=[STATS_NAME, MANIFEST_NAME])
    return summary
