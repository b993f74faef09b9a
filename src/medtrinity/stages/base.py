"""The stage contract: a named function over one Sample (or a batch), built from the config and a small context.

A stage raises :class:`~medtrinity.records.SampleError` for a per-sample problem (the sample becomes a
reject); it counts events that are not rejects (``no_roi``, ``qc_flag`` ...) on ``context.notes``,
never on the sample. The shard runner gives every shard a fresh context, so stateful stages (the
duplicate filter) and the counters see exactly one shard.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from medtrinity.records import Sample

if TYPE_CHECKING:
    from medtrinity.generation.backends import DescriptionBackend


@dataclass(frozen=True)
class Stage:
    """One named step over a sample.

    A stage with ``run_batch`` (generate, for model backends) is handed up to ``batch_size``
    samples at once and returns, in order, each sample or the exception that rejects it.
    """

    name: str
    run: Callable[[Sample], Sample]
    run_batch: Callable[[list[Sample]], list[Sample | Exception]] | None = None
    batch_size: int = 1


class NoteCounter:
    """Counts of non-reject events per stage and code, e.g. ``{"ground": {"no_roi": 3}}``."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, int]] = {}

    def add(self, stage: str, code: str, count: int = 1) -> None:
        """Count ``count`` events ``code`` in ``stage``."""
        bucket = self._counts.setdefault(stage, {})
        bucket[code] = bucket.get(code, 0) + count

    def of(self, stage: str) -> dict[str, int]:
        """The counts of one stage, sorted by code."""
        return dict(sorted(self._counts.get(stage, {}).items()))

    def for_stage(self, stage: str) -> Callable[[str], None]:
        """A one-argument counter bound to ``stage`` (what a stage function calls)."""
        return lambda code: self.add(stage, code)


@dataclass
class StageContext:
    """What a stage may use besides its config: a cache folder, the note counter, the shard's first tracebacks.

    ``cache_dir`` is the run's output folder (a model backend keeps its request cache under it), or None
    outside a run. ``generation_backend`` is set by the generate stage so that the judge can share it.
    ``tracebacks`` keeps the first traceback per ``stage:ErrorType`` of unexpected (non-SampleError)
    failures; the shard marker records them so that a bug can be found without re-running.
    """

    cache_dir: Path | None = None
    notes: NoteCounter = field(default_factory=NoteCounter)
    tracebacks: dict[str, str] = field(default_factory=dict)
    generation_backend: DescriptionBackend | None = None

    def keep_traceback(self, stage: str, error: BaseException) -> None:
        """Remember the traceback of ``error`` unless one of its type was already kept for ``stage``."""
        key = f"{stage}:{type(error).__name__}"
        if key not in self.tracebacks:
            self.tracebacks[key] = "".join(traceback.format_exception(type(error), error, error.__traceback__))
