"""The offline fundus expert: field of view, optic disc and cup, macula, vessel map; lesion candidates.

Working on the green channel (where vessels, disc and lesions contrast best) at 512 px:
the optic disc is the brightest large blob (heavily smoothed maximum inside the field of view),
outlined by a threshold halfway between its peak and the retina around it; the cup is the
brightest part of the disc (its top 30% of intensities); the macula is the darkest smoothed spot
2 to 3.5 disc diameters from the disc centre; vessels come from a morphological black-hat
(closing minus image) above the 92nd percentile. Where a grading label says retinopathy is
present (grade 1-4, "microaneurysm", "haemorrhage", "exudate" ...), dark and bright small blobs
off the vessels and off the disc are added as lesion candidates, with a modest confidence.
Measured: cup-to-disc ratio (vertical), disc diameter in px (mm where spacing is known),
vessel density in the field of view, candidate counts.
"""

from __future__ import annotations

import re
from typing import Literal

import cv2
import numpy as np

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.grounding.experts.ct_anatomy import fill_holes
from medtrinity.grounding.experts.field_of_view import field_of_view
from medtrinity.records import Sample
from medtrinity.registry import PluginOptions

WORK_SIZE_PX = 512
GRADE_WORDS = re.compile(r"(^|\b)(mild|moderate|severe|proliferative|npdr|pdr|retinopathy|microaneurysm|"
                         r"ha?emorrhage|exudate|drusen|[1-4])(\b|$)")
NO_DISEASE = re.compile(r"(^|\b)(0|no dr|no retinopathy|normal|healthy|no finding)(\b|$)")


def _disk(size_px: int) -> np.ndarray:
    size_px = max(3, size_px | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size_px, size_px))


def grading_says_lesions(labels: list[str]) -> bool:
    """True where an image label reports retinopathy (a grade of 1 to 4 or a lesion word)."""
    return any(GRADE_WORDS.search(label.lower()) and not NO_DISEASE.search(label.lower()) for label in labels)


def optic_disc(green: np.ndarray, view: np.ndarray) -> tuple[np.ndarray, tuple[int, int], float]:
    """(disc mask, centre (x, y), peak-to-surround contrast) on the work grid."""
    size = green.shape[0]
    inner = cv2.erode(view.astype(np.uint8), _disk(int(0.04 * size))) > 0
    smooth = cv2.GaussianBlur(green.astype(np.float32), (0, 0), 0.02 * size)
    smooth[~inner] = 0
    y, x = np.unravel_index(int(np.argmax(smooth)), smooth.shape)
    radius = int(0.12 * size)
    window = np.zeros(green.shape, bool)
    cv2.circle(window.view(np.uint8), (int(x), int(y)), radius, 1, -1)
    window &= view
    around = np.zeros(green.shape, bool)
    cv2.circle(around.view(np.uint8), (int(x), int(y)), 2 * radius, 1, -1)
    around &= view & ~window
    lightly = cv2.GaussianBlur(green.astype(np.float32), (0, 0), 0.006 * size)
    peak = float(np.percentile(lightly[window], 99))
    background = float(np.median(lightly[around])) if around.any() else 0.0
    disc = (lightly > (peak + background) / 2) & window
    disc = cv2.morphologyEx(disc.astype(np.uint8), cv2.MORPH_CLOSE, _disk(int(0.03 * size)))
    count, labels = cv2.connectedComponents(disc, connectivity=8)
    if count < 2:
        return np.zeros(green.shape, bool), (int(x), int(y)), 0.0
    keep = labels[y, x] if labels[y, x] else 1 + int(np.argmax(np.bincount(labels[labels > 0])[1:]))
    disc_mask = fill_holes(labels == keep)
    # vessels cut the disc: its outline is the convex hull of what was found
    contours, _ = cv2.findContours(disc_mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    hull = np.zeros(green.shape, np.uint8)
    cv2.fillPoly(hull, [cv2.convexHull(max(contours, key=cv2.contourArea))], 1)
    return hull > 0, (int(x), int(y)), (peak - background) / max(peak, 1.0)


def optic_cup(green: np.ndarray, disc: np.ndarray) -> np.ndarray:
    """The brightest 30% of the disc, its largest blob, holes filled."""
    values = green[disc]
    cup = (green >= np.percentile(values, 70)) & disc
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cup.astype(np.uint8), 8)
    if count < 2:
        return cup
    return fill_holes(labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))


def macula(green: np.ndarray, view: np.ndarray, disc_centre, disc_radius: float) -> np.ndarray:
    """A disc-sized circle on the darkest smoothed spot 2-3.5 disc diameters from the disc centre."""
    size = green.shape[0]
    smooth = cv2.GaussianBlur(green.astype(np.float32), (0, 0), 0.03 * size)
    yy, xx = np.mgrid[: green.shape[0], : green.shape[1]]
    distance = np.hypot(xx - disc_centre[0], yy - disc_centre[1])
    band = (distance > 4 * disc_radius) & (distance < 7 * disc_radius) & (
        cv2.erode(view.astype(np.uint8), _disk(int(0.1 * size))) > 0)
    # the fovea lies level with the disc, within about 1.5 disc diameters above or below it
    band &= np.abs(yy - disc_centre[1]) < 3 * disc_radius
    if not band.any():
        return np.zeros(green.shape, bool)
    candidates = np.where(band, smooth, np.inf)
    y, x = np.unravel_index(int(np.argmin(candidates)), candidates.shape)
    spot = np.zeros(green.shape, np.uint8)
    cv2.circle(spot, (int(x), int(y)), int(round(1.5 * disc_radius)), 1, -1)
    return (spot > 0) & view


def vessel_map(green: np.ndarray, view: np.ndarray) -> np.ndarray:
    """Vessels: black-hat of the green channel above its 92nd percentile inside the field of view."""
    size = green.shape[0]
    blackhat = cv2.morphologyEx(green, cv2.MORPH_BLACKHAT, _disk(int(0.03 * size)))
    inner = cv2.erode(view.astype(np.uint8), _disk(int(0.03 * size))) > 0
    threshold = np.percentile(blackhat[inner], 92)
    vessels = ((blackhat > threshold) & inner).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(vessels, 8)
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= 0.001 * size * size)
    return np.isin(labels, keep[keep > 0])


def lesion_candidates(green: np.ndarray, view, vessels, disc) -> tuple[np.ndarray, np.ndarray]:
    """(dark red-lesion candidates, bright exudate candidates): small blobs off vessels and disc."""
    size = green.shape[0]
    inner = (cv2.erode(view.astype(np.uint8), _disk(int(0.05 * size))) > 0) & ~cv2.dilate(
        disc.astype(np.uint8), _disk(int(0.04 * size))).astype(bool)
    blackhat = cv2.morphologyEx(green, cv2.MORPH_BLACKHAT, _disk(int(0.02 * size))).astype(np.float32)
    tophat = cv2.morphologyEx(green, cv2.MORPH_TOPHAT, _disk(int(0.03 * size))).astype(np.float32)
    near_vessels = cv2.dilate(vessels.astype(np.uint8), _disk(5)) > 0
    found = []
    for response in (blackhat, tophat):
        spread = np.percentile(response[inner], 99.5) if inner.any() else 0
        blobs = ((response > max(spread, 8.0)) & inner & ~near_vessels).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, 8)
        keep = [i for i in range(1, count) if 3 <= stats[i, cv2.CC_STAT_AREA] <= 0.002 * size * size]
        found.append(np.isin(labels, keep))
    return found[0], found[1]


def _to_grid(mask: np.ndarray, shape_hw) -> np.ndarray:
    return cv2.resize(mask.astype(np.uint8), (shape_hw[1], shape_hw[0]), interpolation=cv2.INTER_NEAREST) > 0


class FundusOptions(PluginOptions):
    """Options of the ``fundus`` expert: when lesion candidates are looked for."""

    lesions: Literal["auto", "always", "never"] = "auto"


@EXPERTS.register("fundus")
class FundusExpert(ExpertModel):
    """Optic disc, cup, macula, vessels and, where graded as diseased, lesion candidates; no weights.

    Options: ``lesions`` (``auto``: where the labels report retinopathy; ``always``; ``never``).
    """

    name = "fundus"
    Options = FundusOptions
    version = "1"

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample, "an RGB photograph", rgb=True)
        height, width = image.shape[:2]
        scale = WORK_SIZE_PX / max(height, width)
        small = cv2.resize(image[:, :, :3].astype(np.uint8), (round(width * scale), round(height * scale)),
                           interpolation=cv2.INTER_AREA)
        green = small[:, :, 1]
        view = field_of_view(small)
        if view.mean() < 0.2:
            return []
        disc, centre, contrast = optic_disc(green, view)
        if not disc.any():
            return []
        disc_radius = float(np.sqrt(disc.sum() / np.pi))
        confidence = round(float(np.clip(contrast / 0.25, 0.0, 1.0)), 3)
        cup = optic_cup(green, disc)
        rows_disc, rows_cup = np.flatnonzero(disc.any(axis=1)), np.flatnonzero(cup.any(axis=1))
        cdr = (rows_cup[-1] - rows_cup[0] + 1) / (rows_disc[-1] - rows_disc[0] + 1) if rows_cup.size else 0.0
        disc_facts = {"cup_to_disc_ratio": round(float(cdr), 3), "disc_diameter_px": round(2 * disc_radius / scale, 1)}
        if sample.spacing_mm is not None:
            disc_facts["disc_diameter_mm"] = round(2 * disc_radius / scale * sample.spacing_mm[0], 2)
        vessels = vessel_map(green, view)
        regions = [
            ("optic disc", disc & ~cup, "organ", confidence, disc_facts),
            ("optic cup", cup, "organ", confidence, {}),
            ("macula", macula(green, view, centre, disc_radius), "organ", confidence, {}),
            ("retinal vessels", vessels, "organ", 1.0,
             {"vessel_density": round(float(vessels.sum() / view.sum()), 4)}),
        ]
        mode = self.options.lesions
        if mode == "always" or (mode == "auto" and grading_says_lesions(sample.image_labels)):
            red, bright = lesion_candidates(green, view, vessels, disc)
            for label, mask in (("red lesion candidate", red), ("bright lesion candidate", bright)):
                count = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1
                if count:
                    regions.append((label, mask, "lesion", 0.6, {"candidate_count": float(count)}))
        found = []
        for label, mask, kind, score, facts in regions:
            if mask.any():
                found.append(ExpertMask(label, _to_grid(mask, (height, width)), score, kind=kind, measurements=facts))
        found.append(ExpertMask("field of view", _to_grid(view, (height, width)), 1.0, kind="structure"))
        return found
