"""The retrieval query of one sample: its modality, body part, labels and organs, in a stable order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from medtrinity.generation.vocabulary import MODALITY_NAMES

# the words a query uses for each modality: the description vocabulary, but bare "fundus", nothing for "other"
MODALITY_WORDS: dict[str, str] = {**MODALITY_NAMES, "fundus": "fundus", "other": ""}
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
