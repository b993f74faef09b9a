"""The ``retrieve`` stage: passages from the configured knowledge base, queried with the sample's facts.

The retriever is opened once per worker process and caches results by query text, so a run
over many images pays one search per distinct query. A sample with no finding and no image
label gets no passages (counted as the ``no_query_labels`` note): its modality, body part and organs
alone would retrieve diseases the image is not known to show.
"""

from __future__ import annotations

from functools import lru_cache

from medtrinity.config import RunConfig
from medtrinity.knowledge.query import query_labels, sample_query
from medtrinity.records import Sample
from medtrinity.stages.base import Stage, StageContext

NAME = "retrieve"


@lru_cache(maxsize=4)
def _retriever(kb: str, dense: bool, model_path: str | None):
    from medtrinity.knowledge import open_retriever

    return open_retriever(kb, dense=dense, model_path=model_path)


def build(config: RunConfig, context: StageContext) -> Stage:
    """The stage for ``config.knowledge`` (a pass-through when the knowledge base is ``none`` or ``top_k`` is 0)."""
    settings = config.knowledge
    if settings.kb == "none" or settings.top_k == 0:
        return Stage(NAME, lambda sample: sample)
    from medtrinity.knowledge import open_retriever  # noqa: F401  fails now when the knowledge extra is missing

    note = context.notes.for_stage(NAME)

    def run(sample: Sample) -> Sample:
        if not query_labels(sample):
            note("no_query_labels")
            return sample
        retriever = _retriever(settings.kb, settings.dense, settings.model_path)
        sample.passages = list(retriever.search(sample_query(sample), settings.top_k))
        return sample

    return Stage(NAME, run)
