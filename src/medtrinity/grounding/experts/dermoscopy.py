"""The offline dermoscopy expert: the lesion's border and the ABCD measures dermatologists use.

Lesion: darker than the skin around it. The image is smoothed, hair removed by a morphological
closing of the darkness map (thin dark lines vanish, the lesion stays), Otsu splits lesion from
skin, and the component nearest the image centre (not a dark corner of the dermatoscope's
vignette) is the lesion, holes filled. Measured on it (Stolz's ABCD rule):
- A, ``asymmetry``: 0..1, the share of the lesion that does not overlap its mirror image across each
  principal axis, averaged (0 for an ellipse), and ``asymmetric_axes`` (how many axes exceed 0.1);
- B, ``border_irregularity``: perimeter² / (4π area), 1 for a circle, higher for ragged borders;
- C, ``colour_count``: how many of the six dermoscopic colours (white, red, light brown, dark brown,
  blue-grey, black) cover at least 5% of the lesion, and ``colour_sd`` the RGB spread;
- D, ``diameter_mm`` where the pixel spacing is known (``diameter_px`` always).
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.grounding import measure
from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.grounding.experts.ct_anatomy import fill_holes
from medtrinity.records import Sample
from medtrinity.registry import PluginOptions

# reference RGB values of the dermoscopic colours (ABCD rule, Stolz et al. 1994)
DERMOSCOPIC_COLOURS = {
    "white": (235, 230, 225),
    "red": (190, 60, 60),
    "light brown": (180, 120, 80),
    "dark brown": (100, 60, 40),
    "blue-grey": (110, 120, 140),
    "black": (30, 25, 25),
}


def without_hair(rgb: np.ndarray) -> np.ndarray:
    """The image with thin dark lines (hairs) closed over: a morphological closing per channel."""
    height, width = rgb.shape[:2]
    size = max(5, int(0.02 * max(height, width)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(rgb[:, :, :3].astype(np.uint8), cv2.MORPH_CLOSE, kernel)


def lesion_mask(rgb: np.ndarray) -> np.ndarray:
    """The pigmented lesion: dark, hair-free, the component nearest the image centre, holes filled."""
    height, width = rgb.shape[:2]
    closed = cv2.cvtColor(without_hair(rgb), cv2.COLOR_RGB2GRAY)
    smooth = cv2.GaussianBlur(closed, (0, 0), 0.01 * max(height, width) + 1)
    threshold, dark = cv2.threshold(smooth, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(dark.astype(np.uint8), 8)
    best, best_distance = 0, np.inf
    for index in range(1, count):
        if stats[index, cv2.CC_STAT_AREA] < 0.005 * height * width:
            continue
        distance = np.hypot(centroids[index][0] - width / 2, centroids[index][1] - height / 2)
        if distance < best_distance:
            best, best_distance = index, distance
    if best == 0:
        return np.zeros((height, width), bool)
    return fill_holes(labels == best)


def asymmetry(mask: np.ndarray) -> tuple[float, int]:
    """(mean non-overlap with the mirror image across both principal axes, axes with non-overlap > 0.1)."""
    ys, xs = np.nonzero(mask)
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    centre = points.mean(axis=0)
    _values, vectors = np.linalg.eigh(np.cov((points - centre).T))
    scores = []
    for axis in vectors.T:
        normal = np.array([-axis[1], axis[0]])
        offsets = (points - centre) @ normal
        mirrored = np.round(points - 2 * offsets[:, None] * normal).astype(int)
        inside = (mirrored[:, 0] >= 0) & (mirrored[:, 0] < mask.shape[1]) & (mirrored[:, 1] >= 0) & (
            mirrored[:, 1] < mask.shape[0])
        overlap = np.zeros(len(points), bool)
        overlap[inside] = mask[mirrored[inside, 1], mirrored[inside, 0]]
        scores.append(1.0 - overlap.mean())
    return float(np.mean(scores)), int(sum(score > 0.1 for score in scores))


def border_irregularity(mask: np.ndarray) -> float:
    """Perimeter² / (4π area): 1 for a disc, larger for notched or ragged borders."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    # the pixel staircase overstates the perimeter: measure it on the outline simplified to 1 px
    outline = cv2.approxPolyDP(contour, 1.0, True)
    return float(cv2.arcLength(outline, True) ** 2 / (4 * np.pi * area)) if area > 0 else 0.0


def colour_count(rgb: np.ndarray, mask: np.ndarray, min_share: float = 0.05) -> tuple[int, list[str]]:
    """How many dermoscopic colours cover at least ``min_share`` of the lesion (nearest reference colour)."""
    pixels = rgb[mask][:, :3].astype(np.float32)
    references = np.array(list(DERMOSCOPIC_COLOURS.values()), dtype=np.float32)
    nearest = np.argmin(((pixels[:, None, :] - references[None]) ** 2).sum(axis=2), axis=1)
    shares = np.bincount(nearest, minlength=len(references)) / max(len(pixels), 1)
    present = [name for name, share in zip(DERMOSCOPIC_COLOURS, shares, strict=True) if share >= min_share]
    return len(present), present


def abcd_measures(rgb: np.ndarray, mask: np.ndarray, spacing_mm) -> dict[str, float]:
    """The ABCD facts of one lesion mask (see the module docstring)."""
    score, axes = asymmetry(mask)
    clean = without_hair(rgb)
    colours, _names = colour_count(clean, mask)
    facts = {
        "asymmetry": round(score, 3),
        "asymmetric_axes": float(axes),
        "border_irregularity": round(border_irregularity(mask), 3),
        "colour_count": float(colours),
        "colour_sd": round(float(clean[mask].astype(np.float32).std(axis=0).mean()), 2),
        "diameter_px": round(float(measure.largest_diameter_mm(mask, (1.0, 1.0)) or 0.0), 1),
    }
    if spacing_mm is not None:
        facts["diameter_mm"] = round(float(measure.largest_diameter_mm(mask, spacing_mm)), 2)
    return facts


class SkinLesionOptions(PluginOptions):
    """Options of the ``skin_lesion`` expert: the label of the region."""

    label: str = "skin lesion"


@EXPERTS.register("skin_lesion")
class SkinLesionExpert(ExpertModel):
    """The lesion of a dermoscopy image with its ABCD measures; no weights. Options: ``label`` ("skin lesion")."""

    name = "skin_lesion"
    Options = SkinLesionOptions
    version = "1"

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample, "an RGB image", rgb=True)
        mask = lesion_mask(image)
        share = float(mask.mean())
        if share == 0.0:
            return []
        # a "lesion" filling the frame or touching most of its border is probably the vignette: low confidence
        border = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]]).mean()
        grey = cv2.cvtColor(without_hair(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
        ring = cv2.dilate(mask.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool) & ~mask
        contrast = float(grey[ring].mean() - grey[mask].mean()) if ring.any() else 0.0
        # a lesion is clearly darker than the skin around it; a "lesion" filling the frame is the vignette
        confidence = 1.0 if share < 0.8 and border < 0.5 and contrast >= 20.0 else 0.3
        facts = abcd_measures(image, mask, sample.spacing_mm)
        label = self.options.label
        return [ExpertMask(label, mask, confidence, kind="lesion", measurements=facts)]
