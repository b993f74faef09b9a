"""The retrieve stage: passages from the configured knowledge base, queried with the sample's facts.

The retriever is opened once per worker process and caches results by query text, so a run
over many images pays one search per distinct query. A sample with no finding and no image
label gets no passages (counted as the ``no_query_labels`` note): its modality, body part and organs
alone would retrieve diseases the image is not known to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from medtrinity.config import KnowledgeConfig
from medtrinity.preprocess.labels import is_no_finding
from medtrinity.records import Sample


@lru_cache(maxsize=4)
def _retriever(kb: str, dense: bool, model_path: str | None):
    from medtrinity.knowledge import open_retriever

    return open_retriever(kb, dense=dense, model_path=model_path)


_PLACEHOLDER_LABEL = re.compile(r"^(?:region|label|overlay region|class|segment)\s*\d+$", re.IGNORECASE)


def query_labels(sample: Sample) -> list[str]:
    """The label words a query may use: finding and image labels, minus placeholders ('region 1') and 'no finding'.

    Organ labels alone do not make a query: they would retrieve diseases of that organ for an image
    that shows none; they join the query as the findings' containing organs.
    """
    labels = {roi.label for roi in sample.rois if roi.kind == "lesion"} | set(sample.image_labels)
    return sorted(label for label in labels
                  if not _PLACEHOLDER_LABEL.match(label.strip()) and not is_no_finding(label))


def sample_query(sample: Sample) -> str:
    """Query text from what is known of the sample: modality, body part, labels and their organs."""
    from medtrinity.knowledge import query_for_sample

    organs = sorted({roi.containing_organ for roi in sample.rois if roi.containing_organ})
    return query_for_sample(sample.modality, sample.body_part, query_labels(sample), organs)


def make_retrieve(settings: KnowledgeConfig) -> Callable[[Sample], Sample]:
    """The stage function for these settings (a no-op when the knowledge base is ``none``)."""
    if settings.kb == "none" or settings.top_k == 0:
        return lambda sample: sample
    from medtrinity.knowledge import open_retriever  # noqa: F401  fails now when the knowledge extra is missing

    def retrieve(sample: Sample) -> Sample:
        if not query_labels(sample):
            # modality and body part alone retrieve diseases the image is not known to show: cite none
            sample.notes.append("no_query_labels")
            return sample
        retriever = _retriever(settings.kb, settings.dense, settings.model_path)
        sample.passages = list(retriever.search(sample_query(sample), settings.top_k))
        return sample

    return retrieve
