"""A classical CT anatomy expert that needs no weights: body, lungs, bone and tissue classes from HU.

Body: the largest connected region above -500 HU, holes filled. Lungs: air (below -400 HU)
inside the body, the large components only, holes filled (so nodules and vessels inside a lung
stay within it), named right or left from the image's patient orientation. Bone: above
``bone_hu`` (250) inside the body. Tissue classes: fat (-190..-30 HU) and soft tissue
(-29..150 HU) inside the body, outside lungs and bone. Enough to place a chest finding "in the
right lung" and to say what a slice is made of.
"""

from __future__ import annotations

import cv2
import numpy as np
from pydantic import Field

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.grounding.measure import patient_side
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill the holes of a binary mask (background not connected to the border becomes foreground)."""
    padded = np.pad(mask.astype(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8), (0, 0), 1)
    holes = flood == 0
    return (padded.astype(bool) | holes)[1:-1, 1:-1]


def body_mask(pixels_hu: np.ndarray, threshold_hu: float = -500.0) -> np.ndarray:
    """The patient's body: the largest connected region above ``threshold_hu``, holes filled."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((pixels_hu > threshold_hu).astype(np.uint8), 8)
    if count < 2:
        return np.zeros(pixels_hu.shape, dtype=bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return fill_holes(labels == largest)


class CtAnatomyOptions(PluginOptions):
    """Options of the ``ct_anatomy`` expert: the air threshold, the smallest lung share, whether to add the body."""

    air_hu: float = -400.0
    min_lung_fraction: float = Field(default=0.02, ge=0.0, le=1.0)
    include_body: bool = False
    bone: bool = False
    bone_hu: float = 250.0
    tissue_classes: bool = False


@EXPERTS.register("ct_anatomy")
class CtAnatomyExpert(ExpertModel):
    """Lungs (and optionally the body, bone, fat and soft tissue) of a CT slice in HU, found by thresholds.

    Options: ``air_hu`` (-400), ``min_lung_fraction`` (0.02 of the body area), ``include_body`` (false),
    ``bone`` (false) with ``bone_hu`` (250), ``tissue_classes`` (false: fat and soft tissue)."""

    name = "ct_anatomy"
    version = "2"
    Options = CtAnatomyOptions

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        if sample.intensity_unit != "HU" or sample.pixels.ndim != 2:
            raise SampleError("expert_input", f"ct_anatomy needs a CT slice in HU, got unit {sample.intensity_unit!r}")
        pixels = sample.pixels
        body = body_mask(pixels)
        found: list[ExpertMask] = []
        if not body.any():
            return found
        if self.options.include_body:
            found.append(ExpertMask("body", body, 1.0, kind="structure"))
        air = (pixels < self.options.air_hu) & cv2.erode(
            body.astype(np.uint8), np.ones((5, 5), np.uint8)
        ).astype(bool)
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(air.astype(np.uint8), 8)
        minimum = self.options.min_lung_fraction * body.sum()
        candidates = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= minimum]
        candidates = sorted(candidates, key=lambda i: -stats[i, cv2.CC_STAT_AREA])[:2]
        xs = np.nonzero(body)[1]
        midline = (xs.min() + xs.max()) / 2.0
        width = pixels.shape[1]
        for index in candidates:
            lung = fill_holes(labels == index)
            side = patient_side(float(centroids[index][0]), midline, width, sample.patient_orientation[0], 0.0)
            if side not in {"left", "right"}:
                side_label = "lung"
            else:
                side_label = f"{side} lung"
            found.append(ExpertMask(side_label, lung, 1.0, kind="organ"))
        lungs = np.zeros(body.shape, dtype=bool)
        for region in found:
            if region.label.endswith("lung"):
                lungs |= region.mask
        bone = body & (pixels >= self.options.bone_hu)
        bone = cv2.morphologyEx(bone.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
        if self.options.bone and bone.sum() >= 0.002 * body.sum():
            found.append(ExpertMask("bone", bone, 1.0, kind="structure"))
        if self.options.tissue_classes:
            inner = body & ~lungs & ~bone
            for label, low, high in (("fat", -190.0, -30.0), ("soft tissue", -29.0, 150.0)):
                tissue = inner & (pixels >= low) & (pixels <= high)
                if tissue.sum() >= 0.01 * body.sum():
                    found.append(ExpertMask(label, tissue, 1.0, kind="structure"))
        return found
