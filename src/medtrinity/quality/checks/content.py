"""``no_content``: a row with nothing grounded (no ROI, no label, no measured organ) says nothing an image
does not; it is flagged and, by default, kept out of the written triplets."""

from __future__ import annotations

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue


def has_content(facts: SampleFacts) -> bool:
    """Whether anything about the image was grounded: an ROI, an organ label or an image-level label."""
    if facts.image_labels:
        return True
    if facts.rois:  # expert outlines alone (body, field of view: kind "structure") say nothing about the image
        return any(roi.kind != "structure" for roi in facts.rois)
    return bool(facts.context_labels)


def check_content(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    if has_content(facts):
        return []
    return [QCIssue("no_content", "nothing was grounded in this image (no region, no label, no measured organ)")]

