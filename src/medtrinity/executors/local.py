"""The local executor: a process pool (or the calling process when one worker is asked for)."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from medtrinity.executors import EXECUTORS, Executor, ExecutorOptions, ShardOutcome, execute_shard


def _describe(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


@EXECUTORS.register("local")
class LocalExecutor(Executor):
    """Shards in worker processes started with ``spawn`` (no state inherited from the caller)."""

    Options = ExecutorOptions

    def map(self, specs: list[dict], config: dict, out_dir: str) -> Iterator[ShardOutcome]:
        if self.options.workers == 1:
            for spec in specs:
                try:
                    yield ShardOutcome(spec["index"], result=execute_shard(spec, config, out_dir))
                except Exception as error:
                    yield ShardOutcome(spec["index"], error=_describe(error))
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.options.workers, mp_context=context) as pool:
            futures = {pool.submit(execute_shard, spec, config, out_dir): spec["index"] for spec in specs}
            for future in as_completed(futures):
                try:
                    yield ShardOutcome(futures[future], result=future.result())
                except Exception as error:
                    yield ShardOutcome(futures[future], error=_describe(error))
