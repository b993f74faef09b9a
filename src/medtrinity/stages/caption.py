"""The ``caption`` stage: the coarse caption from metadata alone (modality, plane, body part, labels)."""

from __future__ import annotations

from medtrinity.config import RunConfig
from medtrinity.generation.coarse import coarse_caption
from medtrinity.records import Sample
from medtrinity.stages.base import Stage, StageContext

NAME = "caption"


def _caption(sample: Sample) -> Sample:
    sample.coarse_caption = coarse_caption(sample)
    return sample


def build(config: RunConfig, context: StageContext) -> Stage:
    """The caption stage has no settings."""
    return Stage(NAME, _caption)
