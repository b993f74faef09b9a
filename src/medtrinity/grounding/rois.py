"""Label map -> ROIs: connected components per label, measured in pixels, millimetres and words.

Findings (lesion-like labels) become ROIs of kind ``lesion``; anatomy labels are context that
places a finding ("within the liver"). A slice with anatomy only gets its few largest
structures as ROIs of kind ``organ``, so thirty organ labels do not make thirty paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from medtrinity.config import GroundingConfig
from medtrinity.grounding import measure
from medtrinity.grounding.anatomy import organ_part
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


def _whole(binary: np.ndarray, area: int) -> Component:
    """An anatomy label as one region (organs are context: their pieces are not counted separately)."""
    x, y, w, h = cv2.boundingRect(binary.astype(np.uint8))
    moments = cv2.moments(binary.astype(np.uint8), binaryImage=True)
    centroid = (round(moments["m10"] / moments["m00"], 2), round(moments["m01"] / moments["m00"], 2))
    return binary, (x, y, x + w, y + h), area, centroid


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


def finding_pixels(sample: Sample) -> np.ndarray | None:
    """Pixels of any finding label (excluded from surrounding-tissue rings), or None without a label map."""
    if sample.label_map is None:
        return None
    values = [value for value, name in sample.label_names.items() if name in sample.finding_labels]
    return np.isin(sample.label_map, values) if values else np.zeros(sample.label_map.shape, dtype=bool)


@dataclass
class Window:
    """The arrays of a sample cropped around one region, wide enough for every ring a measure draws."""

    mask: np.ndarray
    pixels: np.ndarray
    label_map: np.ndarray | None
    findings: np.ndarray | None
    components: np.ndarray | None


def crop_window(sample: Sample, mask: np.ndarray, box, findings: np.ndarray | None, pad_px: int) -> Window:
    height, width = mask.shape
    x0, y0, x1, y1 = box
    rows = slice(max(0, y0 - pad_px), min(height, y1 + pad_px))
    columns = slice(max(0, x0 - pad_px), min(width, x1 + pad_px))

    def cut(array):
        return None if array is None else array[rows, columns]

    return Window(mask[rows, columns], sample.pixels[rows, columns], cut(sample.label_map), cut(findings),
                  cut(sample.lesion_components))


def _measure_shape(roi: ROI, mask: np.ndarray, spacing_mm) -> None:
    diameter = measure.largest_diameter_mm(mask, spacing_mm)
    roi.largest_diameter_mm = None if diameter is None else round(diameter, 2)
    perpendicular = measure.perpendicular_diameter_mm(mask, spacing_mm)
    if perpendicular is not None and diameter is not None:
        perpendicular = min(perpendicular, diameter)  # the short axis never exceeds the long one (disc: equal)
    roi.perpendicular_diameter_mm = None if perpendicular is None else round(perpendicular, 2)
    circularity, solidity, eccentricity = measure.shape_metrics(mask)
    roi.circularity, roi.solidity, roi.eccentricity = round(circularity, 3), round(solidity, 3), round(eccentricity, 3)
    roi.shape = measure.shape_word(solidity, eccentricity)


def _measure_intensity(roi: ROI, sample: Sample, window: Window, settings: GroundingConfig) -> None:
    mask = window.mask
    surround = measure.ring(mask, settings.surround_ring_px)
    if window.findings is not None:
        surround &= ~window.findings
    colour = window.pixels.ndim == 3
    pixels = window.pixels.astype(np.float32)
    if colour:
        roi.colour = measure.colour_word(pixels[mask].mean(axis=0))
        pixels = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luminance
    inside = pixels[mask].astype(np.float64)
    around = pixels[surround].astype(np.float64)
    roi.mean_intensity = round(float(inside.mean()), 2)
    roi.intensity_sd = round(float(inside.std()), 2)
    roi.texture = measure.texture_word(
        roi.intensity_sd, roi.mean_intensity, sample.intensity_unit,
        settings.heterogeneity_sd_hu, settings.heterogeneity_cv,
    )
    if around.size:
        reference = float(around.mean())
        roi.contrast_to_surround = round(roi.mean_intensity - reference, 2)
        modality = "colour" if colour else sample.modality
        roi.intensity_word = measure.intensity_word(
            modality, roi.contrast_to_surround, reference, sample.intensity_unit, settings.contrast_threshold
        )
    if roi.kind == "lesion":
        other_findings = None if window.findings is None else window.findings & ~mask
        sharpness = measure.margin_sharpness(pixels, mask, exclude=other_findings)
        roi.margin_sharpness = None if sharpness is None else round(sharpness, 3)
        roi.margin = measure.margin_word(sharpness, settings.margin_sharpness_limit)


def _lesion_3d(roi: ROI, sample: Sample, window: Window) -> None:
    if window.components is None:
        return
    ids, counts = np.unique(window.components[window.mask], return_counts=True)
    keep = ids != 0
    if not keep.any():
        return
    component = int(ids[keep][np.argmax(counts[keep])])
    stats = sample.component_stats.get(component)
    if stats is not None:
        roi.volume_ml = stats["volume_ml"]
        roi.slices_spanned = int(stats["slices"])
        roi.largest_slice_index = int(stats["largest_slice"])


def _reach_px(sample: Sample, settings: GroundingConfig) -> int:
    spacing = min(sample.spacing_mm) if sample.spacing_mm else 1.0
    return max(2, int(round(settings.neighbour_distance_mm / spacing)))


def measure_roi(
    sample: Sample,
    mask: np.ndarray,
    label: str,
    kind: str,
    box,
    area_px: int,
    centroid,
    settings: GroundingConfig,
    body_center_xy: tuple[float, float],
    findings: np.ndarray | None = None,
) -> ROI:
    """Every per-region fact the description may state, computed from the pixels.

    The measures run on a window around the region (the rings they draw fit inside it), so the
    cost follows the region's size, not the image's.
    """
    height, width = mask.shape
    roi = ROI(
        label=label,
        kind=kind,
        bbox_xyxy=box,
        mask_rle=encode_mask(mask),
        area_px=area_px,
        area_mm2=_area_mm2(area_px, sample.spacing_mm),
        centroid_xy=centroid,
        region=measure.image_region(centroid, width, height),
        intensity_unit=sample.intensity_unit,
        origin=sample.label_origins.get(label, "provided"),
    )
    pad = max(settings.surround_ring_px, 6, _reach_px(sample, settings)) + 2
    window = crop_window(sample, mask, box, findings, pad)
    _measure_shape(roi, window.mask, sample.spacing_mm)
    roi.patient_side = measure.patient_side(centroid[0], body_center_xy[0], width, sample.patient_orientation[0])
    roi.patient_direction = measure.patient_directions(
        centroid, body_center_xy, (height, width), sample.patient_orientation
    )
    if sample.pixels.ndim in (2, 3):
        _measure_intensity(roi, sample, window, settings)
    if sample.label_map is not None:
        _place_in_anatomy(roi, sample, window, settings, mask)
    if kind == "lesion":
        _lesion_3d(roi, sample, window)
    if roi.volume_ml is None and label in sample.volume_stats:
        stats = sample.volume_stats[label]
        roi.volume_ml = stats["volume_ml"]
        roi.slices_spanned = int(stats["slices"])
        roi.largest_slice_index = int(stats["largest_slice"])
    return roi


def _place_in_anatomy(
    roi: ROI, sample: Sample, window: Window, settings: GroundingConfig, full_mask: np.ndarray
) -> None:
    anatomy_names = {name for name in sample.label_names.values() if name not in sample.finding_labels}
    if not anatomy_names:
        return
    exclude = set(sample.finding_labels) | {roi.label}
    close_ring = measure.ring(window.mask, 2)
    shares = _share_by_label(window.label_map, close_ring, sample.label_names, exclude)
    if roi.kind == "lesion" and shares:
        organ, share = max(sorted(shares.items()), key=lambda item: item[1])
        if share >= 0.5:
            roi.containing_organ = organ
            values = [value for value, name in sample.label_names.items() if name == organ]
            organ_mask = np.isin(sample.label_map, values) | full_mask
            roi.organ_part = organ_part(sample, organ, organ_mask, roi.centroid_xy)
    near = _share_by_label(window.label_map, measure.ring(window.mask, _reach_px(sample, settings)),
                           sample.label_names, exclude)
    roi.neighbours = sorted(name for name, share in near.items() if share >= 0.02 and name != roi.containing_organ)


def _measure_pieces(roi: ROI, sample: Sample, binary: np.ndarray, settings: GroundingConfig,
                    center_xy: tuple[float, float]) -> None:
    """An organ label in several pieces: diameters and side of the largest piece, the count in ``pieces``.

    A colon in three segments is not one 236 mm structure: its extent across the gaps is no size
    of anything. The side is the largest piece's, or '' when the pieces lie on both sides.
    """
    pieces = _components(binary, settings.min_area_px)
    roi.pieces = max(1, len(pieces))
    if len(pieces) < 2:
        return
    largest_mask, box, _area, centroid = max(pieces, key=lambda piece: piece[2])
    x0, y0, x1, y1 = box
    _measure_shape(roi, largest_mask[y0:y1, x0:x1], sample.spacing_mm)
    width = binary.shape[1]
    sides = {measure.patient_side(c[0], center_xy[0], width, sample.patient_orientation[0]) for *_, c in pieces}
    sides.discard("midline")
    roi.patient_side = "" if len(sides) > 1 else measure.patient_side(
        centroid[0], center_xy[0], width, sample.patient_orientation[0])


def ground_sample(sample: Sample, settings: GroundingConfig) -> Sample:
    """Fill ``sample.rois`` (findings, or the largest organs when there is none) and ``context_rois``."""
    sample.rois = []
    sample.context_rois = []
    if sample.label_map is None:
        sample.notes.append("no_roi")
        return sample
    findings: list[ROI] = []
    organs: list[ROI] = []
    center_xy = measure.body_center_xy(sample.pixels, sample.intensity_unit)
    findings_mask = finding_pixels(sample)
    areas = np.bincount(sample.label_map.ravel().astype(np.int64))
    present = [int(value) for value in np.flatnonzero(areas) if value != 0]
    for value in present:
        label = sample.label_names.get(value, f"label {value}")
        kind = "lesion" if label in sample.finding_labels else "organ"
        binary = sample.label_map == value
        if kind == "organ":
            parts = [_whole(binary, int(areas[value]))] if areas[value] >= settings.min_area_px else []
        else:
            parts = _components(binary, settings.min_area_px)
        for instance, (mask, box, area, centroid) in enumerate(parts, start=1):
            roi = measure_roi(sample, mask, label, kind, box, area, centroid, settings, center_xy, findings_mask)
            roi.label_value = value
            roi.instance = instance
            roi.count_same_label = len(parts)
            if kind == "organ":
                _measure_pieces(roi, sample, binary, settings, center_xy)
            (findings if kind == "lesion" else organs).append(roi)
    organs.sort(key=lambda roi: (-roi.area_px, roi.label))
    sample.context_rois = organs
    sample.rois = findings if findings else organs[: settings.max_organ_rois]
    if not sample.rois:
        sample.notes.append("no_roi")
    return sample
