"""The retrieval query of one sample: its modality, body part, labels and organs, in a stable order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from medtrinity.records import Sample
from medtrinity.vocab.labels import is_no_finding
from medtrinity.vocab.modalities import QUERY_WORDS as MODALITY_WORDS

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SEPARATORS = re.compile(r"[_/|;,]+|\s+")
_UNINFORMATIVE = frozenset({"", "unknown", "other", "background", "none", "nan"})


def clean_label(label: str) -> str:
    """A dataset label as words: ``Pleural_Thickening`` -> ``Pleural Thickening``."""
    return " ".join(_SEPARATORS.split(_CAMEL.sub(" ", str(label)))).strip()


def _order(word: str) -> tuple[str, str]:
    return (word.lower(), word)


def _unique(words: Iterable[str], seen: set[str]) -> list[str]:
    kept = []
    for word in words:
        key = word.lower()
        if key in _UNINFORMATIVE or key in seen:
            continue
        seen.add(key)
        kept.append(word)
    return kept


def query_for_sample(modality: str, body_part: str, labels: list[str], organs: list[str]) -> str:
    """Query text for a sample: modality word, body part, sorted labels, then sorted organs not yet named.

    Labels and organs are sorted so that the same set in another order gives the same query,
    and therefore the same cached result.
    """
    if modality not in MODALITY_WORDS:
        raise ValueError(f"unknown modality {modality!r}; expected one of {sorted(MODALITY_WORDS)}")
    seen: set[str] = set()
    head = _unique([MODALITY_WORDS[modality], clean_label(body_part)], seen)
    label_words = _unique(sorted({clean_label(label) for label in labels}, key=_order), seen)
    organ_words = _unique(sorted({clean_label(organ) for organ in organs}, key=_order), seen)
    return " ".join(head + label_words + organ_words)


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
    organs = sorted({roi.containing_organ for roi in sample.rois if roi.containing_organ and roi.kind == "lesion"})
    return query_for_sample(sample.modality, sample.body_part, query_labels(sample), organs)
