"""Label map -> ROIs: connected components per label, measured in pixels, millimetres and words.

Findings (lesion-like labels) become ROIs of kind ``lesion``; anatomy labels are context that
places a finding ("within the liver"). A slice with anatomy only gets its few largest
structures as ROIs of kind ``organ``, so thirty organ labels do not make thirty paragraphs.
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.config import GroundingConfig
from medtrinity.grounding import measure
from medtrinity.grounding.rle import encode_mask
from medtrinity.records import ROI, Sample

Component = tuple[np.ndarray, tuple[int, int, int, int], int, tuple[float, float]]


def _components(binary: np.ndarray, min_area_px: int) -> list[Component]:
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    found = []
    for index in range(1, count):
        area = int(stats[index, cv2.CC_STAT_AREA])
        if area < min_area_px:
            continue
        x, y = int(stats[index, cv2.CC_STAT_LEFT]), int(stats[index, cv2.CC_STAT_TOP])
        box = (x, y, x + int(stats[index, cv2.CC_STAT_WIDTH]), y + int(stats[index, cv2.CC_STAT_HEIGHT]))
        centroid = (round(float(centroids[index][0]), 2), round(float(centroids[index][1]), 2))
        found.append((labels == index, box, area, centroid))
    return found


def _share_by_label(
    label_map: np.ndarray, where: np.ndarray, names: dict[int, str], exclude: set[str]
) -> dict[str, float]:
    values = label_map[where]
    if values.size == 0:
        return {}
    shares: dict[str, float] = {}
    for value, count in zip(*np.unique(values, return_counts=True), strict=True):
        name = names.get(int(value))
        if value == 0 or name is None or name in exclude:
            continue
        shares[name] = count / values.size
    return shares


def _area_mm2(area_px: int, spacing_mm: tuple[float, float] | None) -> float | None:
    return None if spacing_mm is None else round(area_px * spacing_mm[0] * spacing_mm[1], 2)


def measure_roi(
    sample: Sample,
    mask: np.ndarray,
    label: str,
    kind: str,
    box,
    area_px: int,
    centroid,
    settings: GroundingConfig,
    midline_x: float,
) -> ROI:
    """Every per-region fact the description may state, computed from the pixels."""
    height, width = mask.shape
    diameter = measure.largest_diameter_mm(mask, sample.spacing_mm)
    roi = ROI(
        label=label,
        kind=kind,
        bbox_xyxy=box,
        mask_rle=encode_mask(mask),
        area_px=area_px,
        area_mm2=_area_mm2(area_px, sample.spacing_mm),
        centroid_xy=centroid,
        largest_diameter_mm=None if diameter is None else round(diameter, 2),
        region=measure.image_region(centroid, width, height),
        intensity_unit=sample.intensity_unit,
    )
    roi.patient_side = measure.patient_side(centroid[0], midline_x, width, sample.patient_orientation[0])
    if sample.pixels.ndim == 2:
        inside = sample.pixels[mask].astype(np.float64)
        surround = measure.ring(mask, settings.surround_ring_px)
        if sample.label_map is not None:
            finding_values = [v for v, n in sample.label_names.items() if n in sample.finding_labels]
            surround &= ~np.isin(sample.label_map, finding_values)
        around = sample.pixels[surround].astype(np.float64)
        roi.mean_intensity = round(float(inside.mean()), 2)
        roi.intensity_sd = round(float(inside.std()), 2)
        roi.texture = measure.texture_word(
            roi.intensity_sd, roi.mean_intensity, sample.intensity_unit,
            settings.heterogeneity_sd_hu, settings.heterogeneity_cv,
        )
        if around.size:
            reference = float(around.mean())
            roi.contrast_to_surround = round(roi.mean_intensity - reference, 2)
            roi.intensity_word = measure.intensity_word(
                sample.modality, roi.contrast_to_surround, reference, sample.intensity_unit,
                settings.contrast_threshold,
            )
    if sample.label_map is not None:
        _place_in_anatomy(roi, sample, mask, settings)
    stats = sample.volume_stats.get(label)
    if stats is not None:
        roi.volume_ml = stats["volume_ml"]
    return roi


def _place_in_anatomy(roi: ROI, sample: Sample, mask: np.ndarray, settings: GroundingConfig) -> None:
    anatomy_names = {name for name in sample.label_names.values() if name not in sample.finding_labels}
    if not anatomy_names:
        return
    exclude = set(sample.finding_labels) | {roi.label}
    close_ring = measure.ring(mask, 2)
    shares = _share_by_label(sample.label_map, close_ring, sample.label_names, exclude)
    if roi.kind == "lesion" and shares:
        organ, share = max(sorted(shares.items()), key=lambda item: item[1])
        if share >= 0.5:
            roi.containing_organ = organ
    spacing = min(sample.spacing_mm) if sample.spacing_mm else 1.0
    reach_px = max(2, int(round(settings.neighbour_distance_mm / spacing)))
    near = _share_by_label(sample.label_map, measure.ring(mask, reach_px), sample.label_names, exclude)
    roi.neighbours = sorted(name for name, share in near.items() if share >= 0.02 and name != roi.containing_organ)


def ground_sample(sample: Sample, settings: GroundingConfig) -> Sample:
    """Fill ``sample.rois`` (findings, or the largest organs when there is none) and ``context_rois``."""
    sample.rois = []
    sample.context_rois = []
    if sample.label_map is None:
        return sample
    findings: list[ROI] = []
    organs: list[ROI] = []
    midline_x = measure.body_midline_x(sample.pixels, sample.intensity_unit)
    present = sorted(int(value) for value in np.unique(sample.label_map) if value != 0)
    for value in present:
        label = sample.label_names.get(value, f"label {value}")
        kind = "lesion" if label in sample.finding_labels else "organ"
        parts = _components(sample.label_map == value, settings.min_area_px)
        if kind == "organ" and parts:
            merged = sample.label_map == value
            area = int(merged.sum())
            ys, xs = np.nonzero(merged)
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            centroid = (round(float(xs.mean()), 2), round(float(ys.mean()), 2))
            parts = [(merged, box, area, centroid)]
        for instance, (mask, box, area, centroid) in enumerate(parts, start=1):
            roi = measure_roi(sample, mask, label, kind, box, area, centroid, settings, midline_x)
            roi.label_value = value
            roi.instance = instance
            roi.count_same_label = len(parts)
            (findings if kind == "lesion" else organs).append(roi)
    organs.sort(key=lambda roi: (-roi.area_px, roi.label))
    sample.context_rois = organs
    sample.rois = findings if findings else organs[: settings.max_organ_rois]
    return sample
