"""Label names as datasets keep them -> words a report uses, and placeholders that name nothing.

Readers and ``inspect`` take names from wherever a dataset keeps them (dataset.json, label-map JSON,
COCO categories, SEG segment descriptions, RTSTRUCT ROI names, BIDS sidecars, 3D Slicer ``.seg.nrrd``
headers) and pass them through :func:`report_label`. A name such as ``Segment_1``, ``ROI-1`` or
``region 1`` is a placeholder: it is never presented as if it were a finding; ``inspect`` says so loudly.
"""

from __future__ import annotations

import re

from medtrinity.vocab.labels import readable_label

_PLACEHOLDER = re.compile(
    r"^\s*(segment|seg|roi|region|label|labels|structure|object|class|mask|overlay region|category|cls|"
    r"contour|target|lesion_?id|id|value)?[\s_\-#]*\d+\s*$", re.IGNORECASE)


def is_placeholder_name(name: str) -> bool:
    """True for names that only number a region (``Segment_1``, ``ROI-1``, ``region 1``, ``3``) or are empty."""
    return not str(name).strip() or bool(_PLACEHOLDER.match(str(name)))


def report_label(name: str) -> str:
    """A dataset's label name in the words a report uses: ``ActiveTuberculosis`` -> ``active tuberculosis``.

    Uses the project's report-term vocabulary where it is installed (``medtrinity.vocab.report_terms``),
    else the readable words of the name itself.
    """
    words = readable_label(str(name))
    try:
        from medtrinity.vocab.report_terms import report_term  # type: ignore[import-not-found]
    except ImportError:
        return words
    try:
        return report_term(words) or words
    except Exception:  # noqa: BLE001 - a vocabulary problem must not lose the dataset's own name
        return words
