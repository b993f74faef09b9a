"""Old home of the label vocabulary, kept so that old imports keep working; see :mod:`medtrinity.vocab.labels`."""

from medtrinity.vocab.labels import (  # noqa: F401
    FINDING_WORDS,
    NO_FINDING_LABELS,
    SYNONYMS,
    is_finding,
    is_no_finding,
    readable_label,
)
