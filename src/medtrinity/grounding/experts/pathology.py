"""The offline pathology and microscopy expert: tissue vs background, nuclei by colour deconvolution + watershed.

Tissue: pixels whose optical density (summed over RGB) exceeds ``tissue_od`` (0.15), the bright
glass of the slide being background. Nuclei: the haematoxylin channel of the Ruifrok-Johnston
colour deconvolution (stain vectors for H, E and DAB), thresholded by Otsu inside the tissue,
touching nuclei split by a watershed on the distance transform. Measured on the nuclei: count,
density (per mm² where the pixel spacing is known, else per megapixel), the area distribution
(mean, standard deviation, 10th/50th/90th percentiles), and pleomorphism (the coefficient of
variation of nuclear area and the mean irregularity, 1 - solidity). For fluorescence microscopy
(``stain: fluorescence``) the brightest channel is used instead of the haematoxylin one.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.records import Sample
from medtrinity.registry import PluginOptions

# Ruifrok & Johnston (2001) optical density vectors of haematoxylin, eosin and DAB (rows, RGB)
STAIN_OD_RGB = np.array([[0.650, 0.704, 0.286], [0.072, 0.990, 0.105], [0.268, 0.570, 0.776]])
STAIN_OD_RGB = STAIN_OD_RGB / np.linalg.norm(STAIN_OD_RGB, axis=1, keepdims=True)


def optical_density(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel optical density (H, W, 3) of an 8-bit RGB image: -log10(I / 255), light transmitted."""
    return -np.log10((rgb.astype(np.float32) + 1.0) / 256.0)


def stain_concentrations(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) amounts of haematoxylin, eosin and DAB: optical density unmixed by the stain matrix."""
    return optical_density(rgb) @ np.linalg.inv(STAIN_OD_RGB).astype(np.float32)


def tissue_mask(rgb: np.ndarray, tissue_od: float = 0.15) -> np.ndarray:
    """Stained tissue (optical density above ``tissue_od``), small specks and holes smoothed away."""
    tissue = (optical_density(rgb).sum(axis=2) > tissue_od).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    return cv2.morphologyEx(cv2.morphologyEx(tissue, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel) > 0


def _local_peaks(distance: np.ndarray, min_distance_px: int) -> np.ndarray:
    size = 2 * min_distance_px + 1
    dilated = cv2.dilate(distance, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return (distance >= dilated) & (distance > 0.5 * min_distance_px)


def partition_by_seeds(binary: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Label image: every pixel of ``binary`` goes to the nearest seed of its own blob (a Voronoi split,
    which cuts touching round nuclei at their neck); blobs without a seed keep one label each."""
    binary8 = binary.astype(np.uint8)
    seeds8 = (seeds & binary).astype(np.uint8)
    _blobs, blob_labels = cv2.connectedComponents(binary8, connectivity=8)
    if not seeds8.any():
        return blob_labels.astype(np.int32)
    _distance, nearest_seed = cv2.distanceTransformWithLabels(1 - seeds8, cv2.DIST_L2, 5,
                                                              labelType=cv2.DIST_LABEL_CCOMP)
    seed_blob = np.zeros(int(nearest_seed.max()) + 1, np.int64)
    seed_blob[nearest_seed[seeds8 > 0]] = blob_labels[seeds8 > 0]
    same_blob = seed_blob[nearest_seed] == blob_labels
    key = np.where(same_blob, nearest_seed.astype(np.int64) + 1, -blob_labels.astype(np.int64))
    inside = binary8 > 0
    labels = np.zeros(binary.shape, np.int32)
    _values, inverse = np.unique(key[inside], return_inverse=True)
    labels[inside] = inverse.astype(np.int32) + 1
    return labels


def split_nuclei(binary: np.ndarray, min_distance_px: int) -> np.ndarray:
    """Label image of nuclei: each blob split among the local maxima of its distance transform."""
    distance = cv2.distanceTransform(binary.astype(np.uint8), cv2.DIST_L2, 5)
    return partition_by_seeds(binary, _local_peaks(distance, min_distance_px))


def nucleus_statistics(labels: np.ndarray, spacing_mm, area_px_total: int) -> dict[str, float]:
    """Count, density, size distribution and pleomorphism of the labelled nuclei."""
    ids, areas = np.unique(labels[labels > 0], return_counts=True)
    facts: dict[str, float] = {"nuclei_count": float(ids.size)}
    if ids.size == 0:
        return facts
    solidities = []
    for value in ids:
        contours, _ = cv2.findContours((labels == value).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        contour = max(contours, key=cv2.contourArea)
        hull_area = cv2.contourArea(cv2.convexHull(contour))
        solidities.append(min(1.0, cv2.contourArea(contour) / hull_area) if hull_area > 0 else 1.0)
    if spacing_mm is not None:
        pixel_um2 = spacing_mm[0] * spacing_mm[1] * 1e6
        sizes, unit = areas * pixel_um2, "um2"
        facts["nuclei_per_mm2"] = round(ids.size / (area_px_total * spacing_mm[0] * spacing_mm[1]), 2)
    else:
        sizes, unit = areas.astype(np.float64), "px"
        facts["nuclei_per_megapixel"] = round(ids.size / area_px_total * 1e6, 2)
    facts[f"nuclear_area_mean_{unit}"] = round(float(sizes.mean()), 2)
    facts[f"nuclear_area_sd_{unit}"] = round(float(sizes.std()), 2)
    for percentile in (10, 50, 90):
        facts[f"nuclear_area_p{percentile}_{unit}"] = round(float(np.percentile(sizes, percentile)), 2)
    facts["nuclear_area_cv"] = round(float(sizes.std() / sizes.mean()), 3)
    facts["nuclear_irregularity"] = round(1.0 - float(np.mean(solidities)), 3)
    return facts


def find_nuclei(image: np.ndarray, options: NucleiOptions) -> tuple[np.ndarray, np.ndarray]:
    """(tissue mask, nucleus label image) of an RGB (H&E) or fluorescence image, as ``options`` say."""
    rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
    rgb = rgb[:, :, :3].astype(np.uint8)
    if options.stain == "fluorescence":
        signal = rgb.max(axis=2).astype(np.float32)
        tissue = signal > 0.5 * cv2.threshold(signal.astype(np.uint8), 0, 255, cv2.THRESH_OTSU)[0]
    else:
        tissue = tissue_mask(rgb, options.tissue_od)
        signal = stain_concentrations(rgb)[:, :, 0]
    if not tissue.any():
        return tissue, np.zeros(tissue.shape, np.int32)
    scaled = cv2.normalize(signal, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    scaled = cv2.GaussianBlur(scaled, (3, 3), 0)
    threshold, _ = cv2.threshold(scaled[tissue], 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    nuclei = ((scaled > threshold) & tissue).astype(np.uint8)
    nuclei = cv2.morphologyEx(nuclei, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    labels = split_nuclei(nuclei > 0, options.min_distance_px)
    minimum = options.min_nucleus_px
    ids, areas = np.unique(labels[labels > 0], return_counts=True)
    small = ids[areas < minimum]
    if small.size:
        labels[np.isin(labels, small)] = 0
    return tissue, labels


class NucleiOptions(PluginOptions):
    """Options of the ``nuclei`` expert: the stain, the tissue threshold and the nucleus size limits."""

    stain: Literal["he", "fluorescence"] = "he"
    tissue_od: float = Field(default=0.15, ge=0.0)
    min_distance_px: int = Field(default=4, ge=1)
    min_nucleus_px: int = Field(default=12, ge=1)


@EXPERTS.register("nuclei")
class NucleiExpert(ExpertModel):
    """Tissue and nuclei of a pathology or microscopy image; no weights.

    Options: ``stain`` (``he`` or ``fluorescence``), ``tissue_od`` (0.15), ``min_distance_px`` (4,
    about a nucleus radius at 20x after resizing), ``min_nucleus_px`` (12).
    """

    name = "nuclei"
    Options = NucleiOptions
    version = "1"

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample)
        tissue, labels = find_nuclei(image, self.options)
        if not tissue.any():
            return []
        spacing = sample.spacing_mm
        tissue_px = int(tissue.sum())
        found = [ExpertMask("tissue", tissue, 1.0, kind="structure",
                            measurements={"tissue_fraction": round(float(tissue.mean()), 4)})]
        facts = nucleus_statistics(labels, spacing, tissue_px)
        if facts["nuclei_count"] > 0:
            # confidence: nuclei should cover a plausible share of the tissue (not all of it, not a speck)
            coverage = float((labels > 0).sum()) / tissue_px
            confidence = 1.0 if 0.01 <= coverage <= 0.7 else 0.3
            found.insert(0, ExpertMask("cell nuclei", labels > 0, confidence, kind="structure", measurements=facts))
        return found
