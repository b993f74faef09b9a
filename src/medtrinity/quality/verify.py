"""Faithfulness checks: does the description contradict the sample's metadata or measurements?

Each check reads the text, recognises claims it understands (modality, patient side,
intensity words) and compares them with the sample and its ROIs. A contradiction is a QC
issue with a code; the run's setting decides whether it flags or rejects the row.
"""

from __future__ import annotations

import re

from medtrinity.generation.vocabulary import MODALITY_CLAIMS
from medtrinity.grounding.measure import INTENSITY_WORDS
from medtrinity.records import QC, QCIssue, Sample

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _mentions(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text) is not None


def check_modality(sample: Sample, text: str) -> list[QCIssue]:
    """A description must not claim another modality than the sample's."""
    lowered = text.lower()
    issues = []
    for modality, phrases in MODALITY_CLAIMS.items():
        if modality == sample.modality:
            continue
        claimed = [phrase for phrase in phrases if _mentions(lowered, phrase)]
        if claimed:
            issues.append(
                QCIssue("modality_mismatch", f"text says {claimed[0]!r} but the sample modality is {sample.modality!r}")
            )
    return issues


def _sentences_about(text: str, label: str) -> list[str]:
    return [s.lower() for s in _SENTENCE_END.split(text) if _mentions(s.lower(), label.lower())]


def check_sides(sample: Sample, text: str) -> list[QCIssue]:
    """A sentence naming an ROI must not put it on the patient's other side."""
    issues = []
    for roi in sample.rois:
        if roi.patient_side not in {"left", "right"}:
            continue
        wrong = "left" if roi.patient_side == "right" else "right"
        for sentence in _sentences_about(text, roi.label):
            same_label = [r for r in sample.rois if r.label == roi.label]
            if all(r.patient_side != wrong for r in same_label) and _mentions(sentence, f"patient's {wrong}"):
                issues.append(
                    QCIssue("side_mismatch", f"text puts the {roi.label} on the patient's {wrong}; "
                                             f"measured side is {roi.patient_side}")
                )
                break
    return issues


def check_intensity(sample: Sample, text: str) -> list[QCIssue]:
    """A sentence naming a lesion must not use the opposite intensity word (hypo- for hyper-)."""
    words = INTENSITY_WORDS.get(sample.modality)
    if words is None:
        return []
    issues = []
    for roi in sample.rois:
        if roi.intensity_word not in (words[0], words[2]):
            continue
        opposite = words[2] if roi.intensity_word == words[0] else words[0]
        same_label = {r.intensity_word for r in sample.rois if r.label == roi.label}
        if opposite in same_label:
            continue
        for sentence in _sentences_about(text, roi.label):
            if _mentions(sentence, opposite):
                message = f"text calls the {roi.label} {opposite!r}; measured {roi.intensity_word!r}"
                issues.append(QCIssue("intensity_mismatch", message))
                break
    return issues


CHECKS = (check_modality, check_sides, check_intensity)


def verify(sample: Sample, on_contradiction: str = "flag") -> QC:
    """Run every check on the sample's description; any issue sets the status to ``on_contradiction``."""
    if sample.description is None:
        return QC(status="reject", issues=[QCIssue("no_description", "no description was generated")])
    issues = [issue for check in CHECKS for issue in check(sample, sample.description.text)]
    return QC(status=on_contradiction if issues else "pass", issues=issues)
