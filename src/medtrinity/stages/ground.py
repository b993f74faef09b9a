"""The ``ground`` stage: expert models where configured, then masks -> measured ROIs.

A sample left without any ROI is kept (it gets a global description) and counted as the ``no_roi`` note.
"""

from __future__ import annotations

from medtrinity.config import RunConfig
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.grounding.rois import ground_sample
from medtrinity.records import Sample
from medtrinity.stages.base import Stage, StageContext

NAME = "ground"


def build(config: RunConfig, context: StageContext) -> Stage:
    """The stage for ``config.grounding``; expert models are opened once per stage and reused."""
    settings = config.grounding
    note = context.notes.for_stage(NAME)
    experts: dict = {}

    def run(sample: Sample) -> Sample:
        if settings.experts:
            apply_experts(sample, settings.experts, experts, settings.min_expert_confidence, note)
        sample = ground_sample(sample, settings)
        if not sample.rois:
            note("no_roi")
        return sample

    return Stage(NAME, run)
