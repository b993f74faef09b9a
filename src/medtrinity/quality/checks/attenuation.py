"""``attenuation_implausible``: a CT structure whose measured mean is impossible for its tissue.

A mask that does not lie on its image (a SEG of another series, a flipped axis, a label map from the
wrong case) still yields true measurements of the wrong pixels, and the text reports them: "mean
attenuation is -948 HU in the bone". Every sentence then agrees with the facts and the other checks
pass it. This check compares each labelled structure's mean in HU with what its tissue can hold,
with wide margins (bone below -100 HU, a solid organ, muscle or vessel below -300 HU, lung above
150 HU): only a mask lying mostly on air, or a lung mask lying on bone or contrast, trips it. Hollow,
air-holding organs (stomach, bowel, airways) and lesions, which may hold anything, are not checked.
"""

from __future__ import annotations

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.tissues import BONE, LUNG, SOLID_SOFT_TISSUE, tissue_of

# the mean HU each tissue can plausibly have (hollow, air-holding organs may hold anything: not checked)
_PLAUSIBLE_HU: dict[str, tuple[float, float]] = {
    BONE: (-100.0, float("inf")),
    LUNG: (float("-inf"), 150.0),
    SOLID_SOFT_TISSUE: (-300.0, float("inf")),
}


def tissue_range(label: str) -> tuple[str, float, float] | None:
    """The tissue a structure's label names and the mean HU it can plausibly have, or None (not checked)."""
    tissue = tissue_of(label)
    if tissue not in _PLAUSIBLE_HU:
        return None
    return tissue, *_PLAUSIBLE_HU[tissue]


def implausible(roi: RegionFacts) -> str | None:
    """Why a CT structure's mean attenuation cannot be its tissue's, or None."""
    if roi.kind == "lesion" or roi.intensity_unit != "HU" or roi.mean_intensity is None:
        return None
    found = tissue_range(roi.label)
    if found is None:
        return None
    tissue, low, high = found
    mean = roi.mean_intensity
    if low <= mean <= high:
        return None
    bound = f"at least {low:.0f} HU" if mean < low else f"at most {high:.0f} HU"
    return (f"the {roi.label}'s pixels average {mean:.0f} HU, implausible for {tissue} ({bound}): its mask may "
            "not lie on this image (a segmentation of another series, a flipped axis)")


def check_attenuation(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    for roi in facts.rois:
        reason = implausible(roi)
        if reason is not None:
            return [QCIssue("attenuation_implausible", reason)]
    return []
