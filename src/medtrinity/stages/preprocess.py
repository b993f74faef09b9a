"""The ``preprocess`` stage: pixel checks, display image (window or percentiles) and resizing."""

from __future__ import annotations

from medtrinity.config import RunConfig
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.records import Sample
from medtrinity.stages.base import Stage, StageContext

NAME = "preprocess"


def build(config: RunConfig, context: StageContext) -> Stage:
    """The stage for ``config.preprocess``."""
    settings = config.preprocess

    def run(sample: Sample) -> Sample:
        return preprocess_sample(sample, settings)

    return Stage(NAME, run)
