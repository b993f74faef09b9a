"""Label map -> ROIs: connected components per label, measured in pixels, millimetres and words.

Findings (lesion-like labels) become ROIs of kind ``lesion``; anatomy labels are context that
places a finding ("within the liver"). A slice with anatomy only gets its few largest
structures as ROIs of kind ``organ``, so thirty organ labels do not make thirty paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from medtrinity.config import GroundingConfig, PreprocessConfig
from medtrinity.grounding import kernels, measure
from medtrinity.grounding.anatomy import organ_part
from medtrinity.grounding.enclosure import LabelBoxes, surrounded_values, surrounding_value
from medtrinity.grounding.midline import spine_midline
from medtrinity.grounding.place_names import name_pieces_by_place
from medtrinity.grounding.regions import (
    LabelExtent,
    Region,
    box_slices,
    component_regions,
    label_components,
    label_extents,
    whole_region,
)
from medtrinity.io.rle import encode_window
from medtrinity.preprocess.display import display_image
from medtrinity.records import BOX_ORIGIN, ROI, Sample
from medtrinity.vocab.labels import NOT_ANATOMY
from medtrinity.vocab.modalities import PROJECTION_MODALITIES, SPECKLE_MODALITIES
from medtrinity.vocab.tissues import texture_is_normal_variation


def _label_counts(label_map: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(label values present, their pixel counts, pixels counted) of the label map under a boolean mask.

    A table indexed by value only while the values are small: a map of 32-bit instance ids would make
    ``bincount`` allocate (and scan) gigabytes for a ring of a few hundred pixels.
    """
    if label_map.dtype == np.uint8 and where.size < 1 << 24:  # OpenCV's histogram: float32 counts, exact here
        counts = cv2.calcHist([np.ascontiguousarray(label_map)], [0], measure.as_uint8(where), [256], [0, 256])
        counts = counts.ravel().astype(np.int64)
        present = np.flatnonzero(counts)
        return present, counts[present], int(counts.sum())
    values = label_map[where].ravel()
    if values.size and 0 <= int(values.min()) and int(values.max()) <= _DENSE_LABEL_LIMIT:
        counts = np.bincount(values.astype(np.int64))
        present = np.flatnonzero(counts)
        return present, counts[present], values.size
    present, counts = np.unique(values, return_counts=True)
    return present, counts, values.size


_DENSE_LABEL_LIMIT = 1 << 16  # the largest label value counted through a table


def _share_by_label(
    label_map: np.ndarray, where: np.ndarray, names: dict[int, str], exclude: set[str]
) -> dict[str, float]:
    return _shares_of_counts(*_label_counts(label_map, where), names, exclude)


def _ring_shares(window: Window, width_px: int, names: dict[int, str], exclude: set[str]) -> dict[str, float]:
    """:func:`_share_by_label` over the region's ring of ``width_px``: an 8-bit label window is counted in one
    compiled pass over the grown mask (no ring mask, no copy), other maps through the ring mask."""
    if window.label_map.dtype != np.uint8:
        return _share_by_label(window.label_map, window.rings.ring(width_px), names, exclude)
    counts = kernels.ring_label_counts_loop(window.label_map, window.rings.mask_u8, window.rings.grown(width_px))
    present = np.flatnonzero(counts)
    return _shares_of_counts(present, counts[present], int(counts.sum()), names, exclude)


def _shares_of_counts(values: np.ndarray, counts: np.ndarray, total: int, names: dict[int, str],
                      exclude: set[str]) -> dict[str, float]:
    """Each named label's share of ``total`` pixels from the counts of the ``values`` present (background,
    unnamed and excluded left out)."""
    if total == 0:
        return {}
    shares: dict[str, float] = {}
    for value, count in zip(values.tolist(), counts.tolist(), strict=True):
        name = names.get(value)
        if value == 0 or name is None or name in exclude or count == 0:
            continue
        shares[name] = count / total
    return shares


def _area_mm2(area_px: int, spacing_mm: tuple[float, float] | None) -> float | None:
    return None if spacing_mm is None else round(area_px * spacing_mm[0] * spacing_mm[1], 2)


def finding_values(sample: Sample) -> tuple[int, ...]:
    """The label values of findings (their pixels are left out of surrounding-tissue rings)."""
    return tuple(sorted(value for value, name in sample.label_names.items() if name in sample.finding_labels))


def _is_one_of(label_map: np.ndarray, values: tuple[int, ...]) -> np.ndarray:
    """``np.isin(label_map, values)`` for integer maps as one table look-up per pixel (~7x faster).

    The table ends one past the largest value with False, and look-ups clip into it: larger values
    (and negative ones, clipped to the background's entry 0) are not findings.
    """
    if label_map.dtype.kind not in "iu" or not values or min(values) <= 0:
        return np.isin(label_map, values)
    table = np.zeros(max(values) + 2, dtype=bool)
    table[list(values)] = True
    return np.take(table, label_map, mode="clip")


@dataclass
class Window:
    """The arrays of a sample cropped around one region, wide enough for every ring a measure draws."""

    mask: np.ndarray
    pixels: np.ndarray
    label_map: np.ndarray | None
    findings: np.ndarray | None
    components: np.ndarray | None
    origin_yx: tuple[int, int]
    rings: measure.Rings  # the mask's rings, each width grown once for every measure that asks
    display: np.ndarray | None = None  # the uint8 display image (preprocess) on the same grid, when there is one


def crop_window(sample: Sample, region: Region, findings: tuple[int, ...], pad_px: int,
                ring_widths_px: tuple[int, ...] = ()) -> Window:
    """The region's box grown by ``pad_px`` (inside the image), with the region's mask placed in it.

    ``ring_widths_px``: the ring widths the measures will draw (grown together on the first one drawn).

    ``findings``: the finding label values; the window's finding pixels are found in the window only
    (None when there is no label map or no finding label: nothing to leave out).
    """
    height, width = sample.pixels.shape[:2]
    x0, y0, x1, y1 = region.box
    top, left = max(0, y0 - pad_px), max(0, x0 - pad_px)
    rows, columns = slice(top, min(height, y1 + pad_px)), slice(left, min(width, x1 + pad_px))
    mask = np.zeros((rows.stop - top, columns.stop - left), dtype=bool)
    mask[y0 - top:y1 - top, x0 - left:x1 - left] = region.mask

    def cut(array):
        return None if array is None else array[rows, columns]

    label_window = cut(sample.label_map)
    finding_mask = None if label_window is None or not findings else _is_one_of(label_window, findings)
    filled = region.area_px == (x1 - x0) * (y1 - y0)  # the region fills its box: a box annotation
    rings = measure.Rings(mask, (y0 - top, y1 - top, x0 - left, x1 - left) if filled else None, ring_widths_px)
    display = sample.image if sample.image is not None and sample.image.shape[:2] == (height, width) else None
    return Window(mask, sample.pixels[rows, columns], label_window, finding_mask,
                  cut(sample.lesion_components), (top, left), rings, cut(display))


def _measure_shape(roi: ROI, mask: np.ndarray, spacing_mm) -> measure.Outline:
    outline = measure.trace_outline(mask)  # traced once for the three shape measures and the piece count
    diameter = measure.largest_diameter_mm(mask, spacing_mm, outline)
    roi.largest_diameter_mm = None if diameter is None else round(diameter, 2)
    perpendicular = measure.perpendicular_diameter_mm(mask, spacing_mm, outline)
    if perpendicular is not None and diameter is not None:
        perpendicular = min(perpendicular, diameter)  # the short axis never exceeds the long one (disc: equal)
    roi.perpendicular_diameter_mm = None if perpendicular is None else round(perpendicular, 2)
    circularity, solidity, eccentricity = measure.shape_metrics(mask, outline)
    roi.circularity, roi.solidity, roi.eccentricity = round(circularity, 3), round(solidity, 3), round(eccentricity, 3)
    roi.shape = measure.shape_word(solidity, eccentricity, int(np.count_nonzero(mask)))
    return outline


_EXACT_SUM_TYPES = (np.uint8, np.int8, np.uint16, np.int16)  # float32 holds every value: the compiled sums agree


def _region_statistics(values: np.ndarray, window: Window, surround_px: int) -> tuple[float, float, float | None]:
    """(mean, standard deviation, surround mean or None when the surround is empty) of ``values`` (the window's
    grey or luminance values) in the region and in its surround ring, finding pixels left out of the ring."""
    surround = window.rings.ring(surround_px)
    if window.findings is not None:
        surround &= ~window.findings
    inside, around = values[window.mask].astype(np.float64), values[surround].astype(np.float64)
    return float(inside.mean()), float(inside.std()), float(around.mean()) if around.size else None


def _surround_shares(values: np.ndarray, window: Window, surround_px: int, low: float, high: float
                     ) -> tuple[float, float]:
    """The shares of the surround ring's pixels (findings left out) below ``low`` and above ``high``."""
    surround = window.rings.ring(surround_px)
    if window.findings is not None:
        surround &= ~window.findings
    around = values[surround]
    if not around.size:
        return 0.0, 0.0
    return float(np.count_nonzero(around < low)) / around.size, float(np.count_nonzero(around > high)) / around.size


def _grey_statistics(window: Window, surround_px: int) -> tuple[float, float, float | None]:
    """:func:`_region_statistics` of a grey window's float32 pixels: 8/16-bit integers in one compiled pass
    (exact sums, the squared deviations summed in numpy's pairwise order: the same values), others through numpy."""
    pixels = window.pixels
    if pixels.dtype.type in _EXACT_SUM_TYPES and window.mask.size:
        findings = window.findings if window.findings is not None else np.zeros((0, 0), bool)
        count, total, squares, around_count, around_total = kernels.region_intensity_loop(
            pixels, window.rings.mask_u8, window.rings.grown(surround_px), findings)
        if count:
            return total / count, float(np.sqrt(squares / count)), around_total / around_count if around_count else None
    return _region_statistics(pixels.astype(np.float32), window, surround_px)


def _texture(sample: Sample, window: Window, settings: GroundingConfig, colour: bool) -> str:
    """The region's texture word from the spread of its few-mm box means (:func:`measure.local_mean_spread`).

    In HU on CT. Elsewhere the pixel values have no fixed zero or scale (a CT or radiograph stored through a
    display window, ultrasound under the operator's gain, MRI in arbitrary units), so the spread is read on the
    display image a reader sees, in percent of its grey range. Never on a projection radiograph, where every
    region's grey is the sum of all tissue along the beam; nor on ultrasound of unknown pixel spacing, where no
    box is known to be wide enough to average its speckle away; nor without a display image.
    """
    if sample.modality in PROJECTION_MODALITIES or (sample.modality in SPECKLE_MODALITIES and not sample.spacing_mm):
        return ""
    box_px = measure.texture_box_px(sample.spacing_mm, settings.texture_scale_mm)
    if sample.intensity_unit == "HU" and not colour:
        spread = measure.local_mean_spread(window.pixels, window.mask, box_px)
        return measure.texture_word(spread, settings.homogeneity_sd_hu, settings.heterogeneity_sd_hu)
    if window.display is None:
        return ""
    grey = window.display if window.display.ndim == 2 else cv2.cvtColor(window.display, cv2.COLOR_RGB2GRAY)
    spread = measure.local_mean_spread(grey, window.mask, box_px)
    return measure.texture_word(None if spread is None else spread * 100.0 / 255.0,
                                settings.homogeneity_display_percent, settings.heterogeneity_display_percent)


def _measure_intensity(roi: ROI, sample: Sample, window: Window, settings: GroundingConfig) -> None:
    mask = window.mask
    colour = window.pixels.ndim == 3
    if colour:
        pixels = window.pixels.astype(np.float32)
        roi.colour = measure.colour_word(pixels[mask].mean(axis=0))
        pixels = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luminance
        mean, sd, reference = _region_statistics(pixels, window, settings.surround_ring_px)
    else:
        mean, sd, reference = _grey_statistics(window, settings.surround_ring_px)
    roi.mean_intensity = round(mean, 2)
    roi.intensity_sd = round(sd, 2)
    if not texture_is_normal_variation(roi.label, roi.kind):  # lung, bone, bowel: uneven in health
        roi.texture = _texture(sample, window, settings, colour)
    if reference is not None:
        roi.contrast_to_surround = round(roi.mean_intensity - reference, 2)
        modality = "colour" if colour else sample.modality
        limit = measure.contrast_limit(reference, sample.intensity_unit, settings.contrast_threshold)
        darker, brighter = _surround_shares(pixels if colour else window.pixels, window, settings.surround_ring_px,
                                            mean - limit, mean + limit)
        roi.intensity_word = measure.intensity_word(
            modality, roi.contrast_to_surround, reference, sample.intensity_unit, settings.contrast_threshold,
            darker, brighter)
    if roi.kind == "lesion":
        if not colour:
            pixels = window.pixels.astype(np.float32)
        other_findings = None if window.findings is None else window.findings & ~mask
        sharpness = measure.margin_sharpness(pixels, mask, exclude=other_findings, rings=window.rings)
        roi.margin_sharpness = None if sharpness is None else round(sharpness, 3)
        # a border's sharpness needs a contrast across it: none against similar or mixed surroundings
        stands_out = measure.stands_out(roi.intensity_word)
        roi.margin = (measure.margin_word(sharpness, settings.margin_sharpness_limit,
                                          settings.margin_ill_defined_below) if stands_out else "")


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


_CONTAINING_RING_PX = 2  # a lesion's containing organ: the labels just outside its border


def _ring_widths_px(sample: Sample, kind: str, settings: GroundingConfig, reach_px: int) -> tuple[int, ...]:
    """The ring widths a region's measures draw: the surround (intensity), the margin's rings and the
    containing organ's ring (lesions), the neighbour reach (when there is a label map)."""
    widths = {settings.surround_ring_px}
    if kind == "lesion":
        widths |= {*measure.MARGIN_RING_WIDTHS_PX, _CONTAINING_RING_PX}
    if sample.label_map is not None:
        widths.add(reach_px)
    return tuple(sorted(widths))


def measure_roi(
    sample: Sample,
    region: Region,
    label: str,
    kind: str,
    settings: GroundingConfig,
    body_center_xy: tuple[float, float],
    findings: tuple[int, ...] = (),
) -> ROI:
    """Every per-region fact the description may state, computed from the pixels.

    The measures run on a window around the region (the rings they draw fit inside it), so the
    cost follows the region's size, not the image's; the mask is run-length encoded from it too.
    """
    return _measure_roi(sample, region, label, kind, settings, body_center_xy, findings)[0]


def _measure_roi(sample: Sample, region: Region, label: str, kind: str, settings: GroundingConfig,
                 body_center_xy: tuple[float, float], findings: tuple[int, ...]) -> tuple[ROI, measure.Outline]:
    """:func:`measure_roi` and the region's traced outline (its piece count serves :func:`_measure_pieces`)."""
    height, width = sample.pixels.shape[:2]
    reach = _reach_px(sample, settings)
    pad = max(settings.surround_ring_px, 6, reach) + 2
    window = crop_window(sample, region, findings, pad, _ring_widths_px(sample, kind, settings, reach))
    centroid = region.centroid_xy
    roi = ROI(
        label=label,
        kind=kind,
        bbox_xyxy=region.box,
        mask_rle=encode_window(window.mask, window.origin_yx, (height, width)),
        area_px=region.area_px,
        area_mm2=_area_mm2(region.area_px, sample.spacing_mm),
        centroid_xy=centroid,
        region=measure.image_region(centroid, width, height),
        intensity_unit=sample.intensity_unit,
        origin=sample.label_origins.get(label, "provided"),
        confidence=sample.label_confidence.get(label),
        measurements=dict(sample.label_measurements.get(label, {})),
    )
    boxed = roi.origin == BOX_ORIGIN  # a painted box: none of an outline's measures, only the box's sides
    if boxed:
        outline = measure.trace_outline(window.mask)  # the piece count (two boxes of one label) only
        set_box_sides(roi, region.box, sample.spacing_mm)
        roi.patient_side = measure.box_patient_side(region.box, body_center_xy[0], width, position_axes(sample)[0])
    else:
        outline = _measure_shape(roi, window.mask, sample.spacing_mm)
        roi.patient_side = measure.patient_side(centroid[0], body_center_xy[0], width, position_axes(sample)[0])
    roi.patient_direction = measure.patient_directions(
        centroid, body_center_xy, (height, width), position_axes(sample)
    )
    if sample.pixels.ndim in (2, 3) and not boxed:
        _measure_intensity(roi, sample, window, settings)
    if sample.label_map is not None:
        _place_in_anatomy(roi, sample, window, settings, region)
    if kind == "lesion":
        _lesion_3d(roi, sample, window)
    if roi.volume_ml is None and label in sample.volume_stats:
        stats = sample.volume_stats[label]
        roi.volume_ml = stats["volume_ml"]
        roi.slices_spanned = int(stats["slices"])
        roi.largest_slice_index = int(stats["largest_slice"])
    return roi, outline


# the largest share of an organ's area a box may cover and still be said to lie in that organ
BOX_INSIDE_SHARE = 0.5
# the least share of a box's area an organ must lie under for the box to be said to overlie it
BOX_OVERLAP_SHARE = 0.05
# a box drawn over several organs lies in one of them only when that one is under this share of it at least
BOX_MAIN_SHARE = 0.75


def set_box_sides(roi: ROI, box: tuple[int, int, int, int], spacing_mm: tuple[float, float] | None) -> None:
    """The facts of a region that is a painted box, not an outline: the box's two sides as its diameters (a
    tight box's sides bound the finding's extent from below), longer side first, and no area in mm2.

    Its position, containing organ and neighbours are measured as any region's (the box's centre and
    surround). Its shape, margin, texture and intensity are never measured: they would be the
    rectangle's (a square box reads "round", its diagonal would be the largest diameter) and the
    background's the box also holds, no fact of what it marks. Its area is the box's, so none is stored.
    """
    roi.area_mm2 = None
    roi.largest_diameter_mm = roi.perpendicular_diameter_mm = None
    if spacing_mm is not None:
        x0, y0, x1, y1 = box
        sides = sorted(((x1 - x0) * float(spacing_mm[0]), (y1 - y0) * float(spacing_mm[1])), reverse=True)
        roi.largest_diameter_mm, roi.perpendicular_diameter_mm = round(sides[0], 2), round(sides[1], 2)


def _place_in_anatomy(roi: ROI, sample: Sample, window: Window, settings: GroundingConfig, region: Region) -> None:
    if all(name in sample.finding_labels for name in sample.label_names.values()):
        return  # no anatomy label to place the region in or beside
    exclude = set(sample.finding_labels) | {roi.label}
    # only a lesion has a containing organ: an organ ROI skips the close ring
    shares = _ring_shares(window, _CONTAINING_RING_PX, sample.label_names, exclude) if roi.kind == "lesion" else {}
    if shares:
        organ, share = max(sorted(shares.items()), key=lambda item: item[1])
        if share >= 0.5:
            roi.containing_organ = organ
            values = [value for value, name in sample.label_names.items() if name == organ]
            organ_mask = np.isin(sample.label_map, values)
            organ_mask[box_slices(region.box)] |= region.mask
            roi.organ_part = organ_part(sample, organ, organ_mask, roi.centroid_xy)
    near = _ring_shares(window, _reach_px(sample, settings), sample.label_names, exclude)
    # the widest contacts first: a text that names four of nine neighbours names those (not the first by name)
    roi.neighbours = [name for name in _largest_first(near, 0.02) if name != roi.containing_organ]
    if roi.origin == BOX_ORIGIN and sample.under_boxes is not None:
        under = _organs_under_box(sample, region, exclude)
        roi.overlies = _largest_first(under, BOX_OVERLAP_SHARE)
        if roi.containing_organ and under.get(roi.containing_organ, 0.0) < BOX_MAIN_SHARE and \
                set(roi.overlies) - {roi.containing_organ}:
            roi.containing_organ, roi.organ_part = "", ""  # a box over two organs, in neither mostly


def _largest_first(shares: dict[str, float], least: float) -> list[str]:
    """The names whose share is at least ``least``, largest share first (ties by name: the same order every run)."""
    return [name for name, share in sorted(shares.items(), key=lambda item: (-item[1], item[0])) if share >= least]


def _organs_under_box(sample: Sample, region: Region, exclude: set[str]) -> dict[str, float]:
    """The outlined organs a painted box is drawn over, each with the share of the box it lies under."""
    under = sample.under_boxes[box_slices(region.box)][region.mask]
    values, counts = np.unique(under[under != 0], return_counts=True)
    shares: dict[str, float] = {}
    for value, count in zip(values.tolist(), counts.tolist(), strict=True):
        name = sample.label_names.get(value, "")
        if name and name not in exclude:
            shares[name] = shares.get(name, 0.0) + count / region.area_px
    return shares


def locate_roi(sample: Sample, region: Region, label: str, kind: str,
               body_center_xy: tuple[float, float]) -> ROI:
    """Where a region is and how big, without shape, intensity or mask: enough for a context organ. Its
    ``patient_side`` is the side its whole box lies on (:func:`measure.extent_side`), '' where it crosses."""
    height, width = sample.pixels.shape[:2]
    centroid = region.centroid_xy
    roi = ROI(label=label, kind=kind, bbox_xyxy=region.box, mask_rle={}, area_px=region.area_px,
              area_mm2=_area_mm2(region.area_px, sample.spacing_mm), centroid_xy=centroid,
              region=measure.image_region(centroid, width, height), intensity_unit=sample.intensity_unit,
              origin=sample.label_origins.get(label, "provided"), confidence=sample.label_confidence.get(label),
              measurements=dict(sample.label_measurements.get(label, {})))
    # the side it lies on wholly: a context organ's side is judged only where no piece of it crosses the midline
    roi.patient_side = measure.extent_side(region.box, body_center_xy[0], width, position_axes(sample)[0])
    roi.patient_direction = measure.patient_directions(
        centroid, body_center_xy, (height, width), position_axes(sample)
    )
    if label in sample.volume_stats:
        stats = sample.volume_stats[label]
        roi.volume_ml = stats["volume_ml"]
        roi.slices_spanned = int(stats["slices"])
        roi.largest_slice_index = int(stats["largest_slice"])
    return roi


def _measure_pieces(roi: ROI, sample: Sample, extent: LabelExtent, settings: GroundingConfig,
                    center_xy: tuple[float, float], mask: np.ndarray, outline: measure.Outline) -> None:
    """An organ label in several pieces: diameters and side of the largest piece, the count in ``pieces``.

    A colon in three segments is not one 236 mm structure: its extent across the gaps is no size
    of anything. The side is the largest piece's, or '' when the pieces lie on both sides.
    ``outline``: the label's traced outline; when it shows one piece, the mask is not labelled at all.
    """
    if outline.pieces < 2:  # one piece (or none): the whole label's measures stand
        roi.pieces = 1
        return
    components = label_components(mask, settings.min_area_px)  # ``mask``: the label's pixels in its box
    count = len(components[2])  # the pieces of at least min_area_px
    roi.pieces = max(1, count)
    if count < 2:  # one piece large enough: the whole label's measures stand
        return
    pieces = component_regions(sample.label_map, extent, settings.min_area_px, components)
    largest = max(pieces, key=lambda piece: piece.area_px)
    if roi.origin == BOX_ORIGIN:  # several boxes of one label: the largest box's sides
        set_box_sides(roi, largest.box, sample.spacing_mm)
    else:
        _measure_shape(roi, largest.mask, sample.spacing_mm)
    width, column_letter = sample.pixels.shape[1], position_axes(sample)[0]

    def side(piece: Region) -> str:
        if roi.origin == BOX_ORIGIN:
            return measure.box_patient_side(piece.box, center_xy[0], width, column_letter)
        return measure.patient_side(piece.centroid_xy[0], center_xy[0], width, column_letter)

    sides = {side(piece) for piece in pieces}
    sides.discard("midline")
    if len(sides) > 1:  # boxes bound their finding: boxes on both sides hold it on both sides
        roi.patient_side = "both" if roi.origin == BOX_ORIGIN else ""
    else:
        roi.patient_side = side(largest)


# narrower than this across, an image is a crop of the body: its centre is not the patient's midline
MIN_BODY_FIELD_MM = 100.0


def position_axes(sample: Sample) -> tuple[str, str]:
    """The patient letters of the image axes that sides and directions are read against; "" for an axis along which
    the image is a crop.

    Sides and anterior/posterior are judged from the body's centre (the image's centre off CT): on a crop
    narrower than a body (pyradiomics' breast MRI, 30 mm across, lies wholly right of the midline by its own
    coordinates) that centre is no midline, and "on the patient's left" or "in the midline" would be false.
    """
    columns, rows = sample.patient_orientation
    if sample.spacing_mm is None:
        return columns, rows
    width_mm = sample.pixels.shape[1] * float(sample.spacing_mm[0])
    height_mm = sample.pixels.shape[0] * float(sample.spacing_mm[1])
    return (columns if width_mm >= MIN_BODY_FIELD_MM else "", rows if height_mm >= MIN_BODY_FIELD_MM else "")


def _kind(sample: Sample, label: str) -> str:
    """A non-finding label's ROI kind: what the expert that outlined it said (organ or structure), else organ."""
    return sample.label_kinds.get(label, "organ")


def ground_sample(sample: Sample, settings: GroundingConfig) -> Sample:
    """Fill ``sample.rois`` (findings, or the largest organs when there is none) and ``context_rois``.

    The label map is read once for every label's box and area. Full measurement (mask, shape,
    intensity, anatomy) is spent on the ROIs the description is about; the other organs are
    context (``context_rois``: label, box, area, position; ``mask_rle`` left empty).
    """
    sample.rois = []
    sample.context_rois = []
    if sample.label_map is None:
        return sample
    if sample.image is None and sample.intensity_unit != "HU":
        # grounded without the preprocess stage: the display image the texture is read on, by default settings
        sample.image = display_image(sample, PreprocessConfig())
    center_xy = measure.body_center_xy(sample.pixels, sample.intensity_unit)
    extents = label_extents(sample.label_map)
    center_xy = spine_midline(sample, extents, center_xy)
    renamed = name_pieces_by_place(sample, extents, center_xy, position_axes(sample)[0])
    if renamed is not None:  # a joint label (portal and splenic veins) named piece by piece on this slice
        sample.label_map, sample.label_names, extents = renamed.label_map, renamed.label_names, renamed.extents
    # only finding labels present in this slice can lie in a ROI's rings (none: no finding table per window)
    finding_label_values = tuple(value for value in finding_values(sample) if value in extents)
    lesions: list[tuple[str, list[Region]]] = []
    organ_extents: list[tuple[str, LabelExtent]] = []
    for value, extent in sorted(extents.items()):
        label = sample.label_names.get(value, f"label {value}")
        if label in sample.finding_labels:
            lesions.append((label, component_regions(sample.label_map, extent, settings.min_area_px)))
        elif extent.area_px >= settings.min_area_px:
            organ_extents.append((label, extent))
    findings: list[ROI] = []
    for label, parts in lesions:
        for instance, region in enumerate(parts, start=1):
            roi = measure_roi(sample, region, label, "lesion", settings, center_xy, finding_label_values)
            roi.label_value, roi.instance, roi.count_same_label = region.value, instance, len(parts)
            findings.append(roi)
    # organs before other structures (expert fat, bone, field of view), then by size
    organ_extents.sort(key=lambda item: (_kind(sample, item[0]) != "organ", -item[1].area_px, item[0]))
    described = 0 if findings else settings.max_organ_rois
    organs: list[ROI] = []
    enclosable: LabelBoxes | None = None
    for rank, (label, extent) in enumerate(organ_extents):
        region = whole_region(sample.label_map, extent, with_mask=rank < described)
        if rank < described:
            roi, outline = _measure_roi(sample, region, label, _kind(sample, label), settings, center_xy,
                                        finding_label_values)
            _measure_pieces(roi, sample, extent, settings, center_xy, region.mask, outline)
            if enclosable is None:  # once per sample, and only when an organ is described
                enclosable = LabelBoxes({value: extent for value, extent in extents.items()
                                         if _is_anatomy(sample, value)})
            _place_among_enclosures(roi, sample, region, enclosable, outline.holes > 0)
        else:
            roi = locate_roi(sample, region, label, _kind(sample, label), center_xy)
        roi.label_value = extent.value
        organs.append(roi)
    sample.context_rois = organs
    if renamed is not None and renamed.source_value:  # ROIs report the value their pixels carry in the input
        for roi in (*findings, *organs):
            roi.label_value = renamed.source_value.get(roi.label_value, roi.label_value)
    _uncontain_large_boxes(findings, organs)
    _split_box_relations(findings)
    sample.rois = findings if findings else organs[:described]
    return sample


def _is_anatomy(sample: Sample, value: int) -> bool:
    """Whether a label value names anatomy: not a finding and not an outline framing the image (field of view)."""
    name = sample.label_names.get(value, f"label {value}")
    return name not in NOT_ANATOMY and name not in sample.finding_labels


def _place_among_enclosures(roi: ROI, sample: Sample, region: Region, labels: LabelBoxes, has_holes: bool) -> None:
    """An outlined organ's wholly enclosed structures (``surrounds``) and the structure that wholly encloses it
    (``containing_organ``), taken out of its neighbours: the optic disc surrounds the optic cup, it does not
    merely border it. ``labels``: the anatomy labels (findings and frame outlines take no part).
    ``has_holes``: whether the traced outline has a hole (none: nothing lies inside it, and no hole is searched).
    """
    if roi.origin == BOX_ORIGIN or roi.label in NOT_ANATOMY:
        return

    def name(value: int) -> str:
        return sample.label_names.get(value, f"label {value}")

    if has_holes:
        inside = surrounded_values(sample.label_map, region.value, region.box, region.mask, labels)
        roi.surrounds = sorted({name(value) for value in inside} - {roi.label})
    outer = surrounding_value(sample.label_map, region.value, region.box, labels)
    if outer is not None and name(outer) != roi.label:
        roi.containing_organ = name(outer)
    enclosing = {*roi.surrounds, roi.containing_organ}
    roi.neighbours = [neighbour for neighbour in roi.neighbours if neighbour not in enclosing]


def _split_box_relations(findings: list[ROI]) -> None:
    """A box is drawn over the organs it overlies, not beside them: those leave its neighbours (the ring around a
    box over the heart is heart). The organ it lies in is said as such, not again as one it overlies."""
    for roi in findings:
        if roi.origin != BOX_ORIGIN or not roi.overlies:
            continue
        roi.overlies = [name for name in roi.overlies if name != roi.containing_organ]
        roi.neighbours = [name for name in roi.neighbours if name not in roi.overlies]


def _uncontain_large_boxes(findings: list[ROI], organs: list[ROI]) -> None:
    """A box is "in" an organ only when it is much smaller than the organ: the ring around a wide box drawn
    across the chest can lie mostly on the heart, yet the box (an atelectasis band) is not inside the heart.
    A box over half the organ's area keeps the organ as a neighbour instead."""
    area_of = {organ.label: organ.area_px for organ in organs}
    for roi in findings:
        organ = roi.containing_organ
        if roi.origin != BOX_ORIGIN or not organ or roi.area_px <= BOX_INSIDE_SHARE * area_of.get(organ, 0):
            continue
        roi.containing_organ, roi.organ_part = "", ""
        roi.neighbours = [organ, *(name for name in roi.neighbours if name != organ)]  # its widest contact
