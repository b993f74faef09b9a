"""The one vocabulary (a leaf: imports nothing else of medtrinity).

- :mod:`~medtrinity.vocab.modalities`: modality codes, display names, DICOM / nnU-Net / file-name aliases,
  intensity words;
- :mod:`~medtrinity.vocab.planes`: image planes;
- :mod:`~medtrinity.vocab.labels`: label names as words, findings versus anatomy, no-finding labels;
- :mod:`~medtrinity.vocab.regions`: body regions and their words;
- :mod:`~medtrinity.vocab.words`: lists, articles and number words;
- :mod:`~medtrinity.vocab.report_terms`: model label names -> report terms.
"""

from medtrinity.vocab.labels import NO_FINDING_LABELS, is_finding, is_no_finding, readable_label
from medtrinity.vocab.modalities import (
    IMAGED_MODALITIES,
    MODALITIES,
    MODALITY_NAMES,
    modality_from_channel_name,
    modality_from_dicom,
    modality_from_path,
    modality_name,
)
from medtrinity.vocab.planes import PLANES, plane_phrase

__all__ = [
    "IMAGED_MODALITIES", "MODALITIES", "MODALITY_NAMES", "NO_FINDING_LABELS", "PLANES", "is_finding",
    "is_no_finding", "modality_from_channel_name", "modality_from_dicom", "modality_from_path", "modality_name",
    "plane_phrase", "readable_label",
]
