"""The retrieve stage: passages from the configured knowledge base, queried with the sample's facts.

The retriever is opened once per worker process and caches results by query text, so a run
over many images pays one search per distinct query.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from medtrinity.config import KnowledgeConfig
from medtrinity.records import Sample


@lru_cache(maxsize=4)
def _retriever(kb: str, dense: bool, model_path: str | None):
    from medtrinity.knowledge import open_retriever

    return open_retriever(kb, dense=dense, model_path=model_path)


def sample_query(sample: Sample) -> str:
    """Query text from what is known of the sample: modality, body part, labels and their organs."""
    from medtrinity.knowledge import query_for_sample

    labels = sorted({roi.label for roi in sample.rois} | set(sample.image_labels))
    organs = sorted({roi.containing_organ for roi in sample.rois if roi.containing_organ})
    return query_for_sample(sample.modality, sample.body_part, labels, organs)


def make_retrieve(settings: KnowledgeConfig) -> Callable[[Sample], Sample]:
    """The stage function for these settings (a no-op when the knowledge base is ``none``)."""
    if settings.kb == "none" or settings.top_k == 0:
        return lambda sample: sample
    from medtrinity.knowledge import open_retriever  # noqa: F401  fails now when the knowledge extra is missing

    def retrieve(sample: Sample) -> Sample:
        retriever = _retriever(settings.kb, settings.dense, settings.model_path)
        sample.passages = list(retriever.search(sample_query(sample), settings.top_k))
        return sample

    return retrieve
