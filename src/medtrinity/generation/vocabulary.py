"""Old home of the caption vocabulary, kept so that imports of this path keep working.

New code imports from :mod:`medtrinity.vocab` (modalities, planes, regions, words).
"""

from __future__ import annotations

from medtrinity.vocab.modalities import MODALITY_CLAIMS, MODALITY_NAMES, modality_name
from medtrinity.vocab.planes import plane_phrase
from medtrinity.vocab.regions import BODY_REGION_TERMS, regions_compatible, regions_of
from medtrinity.vocab.words import NUMBER_WORDS, article, join_words, number_word

__all__ = [
    "BODY_REGION_TERMS", "MODALITY_CLAIMS", "MODALITY_NAMES", "NUMBER_WORDS", "article", "join_words",
    "modality_name", "number_word", "plane_phrase", "regions_compatible", "regions_of",
]
