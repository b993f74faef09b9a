"""The pipeline's stages, one module each, named as in ``stats.json``; this module holds their order.

Each stage module has ``NAME`` and ``build(config, context) -> Stage``. Domain packages
(preprocess, grounding, knowledge, generation, quality) keep the pure functions; a stage module is
the thin wrapper that configures one of them and counts its notes.
"""

from __future__ import annotations

from medtrinity.config import RunConfig
from medtrinity.stages import caption, dedup, generate, ground, preprocess, retrieve, verify
from medtrinity.stages.base import NoteCounter, Stage, StageContext

STAGE_MODULES = (dedup, preprocess, ground, caption, retrieve, generate, verify)
STAGE_ORDER: tuple[str, ...] = tuple(module.NAME for module in STAGE_MODULES)


def build_stages(config: RunConfig, context: StageContext | None = None) -> list[Stage]:
    """The paper's stages in order, configured for this run.

    Called once per shard with a fresh context: stateful stages (the duplicate filter) see exactly one
    shard's samples, and the context's note counter and tracebacks belong to that shard.
    """
    context = context if context is not None else StageContext()
    return [module.build(config, context) for module in STAGE_MODULES]


__all__ = ["STAGE_MODULES", "STAGE_ORDER", "NoteCounter", "Stage", "StageContext", "build_stages"]
