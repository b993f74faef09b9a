"""A classical chest X-ray expert that needs no weights: lung fields, heart, superior mediastinum, diaphragm domes.

Frontal (PA or AP) radiographs only. The lungs are the two large dark regions inside the thorax
(Otsu threshold on the smoothed central field, air outside the body removed first); the heart
silhouette spans, row by row in the lower lung height, the gap between the lungs' medial borders down to
each cardiophrenic angle (the lung's point furthest down and towards the midline);
the superior mediastinum is that gap above the heart (the heart itself lies in the mediastinum:
"the heart abuts the mediastinum" read false); each diaphragm dome is the band under a lung's lower
border. Measured facts: the cardiothoracic ratio (widest heart / widest thorax at the lungs' outer
borders) and whether each costophrenic angle is visible (the lung reaches its lowest point at its
lateral edge; a blunted angle leaves the lowest point medial). In the radiographic display
convention the patient's left is on the image's right: the lung on the image's right is the left lung.
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.grounding.experts import EXPERTS, ExpertMask, ExpertModel
from medtrinity.grounding.experts.ct_anatomy import fill_holes
from medtrinity.records import Sample
from medtrinity.registry import NoOptions

WORK_SIZE_PX = 256
# erosion radii (work-grid pixels) tried in turn until both lungs stand apart from what joins them
CORE_EROSION_PX = (0, 4, 8, 12, 16)


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(image[:, :, :3].astype(np.uint8), cv2.COLOR_RGB2GRAY)
    return image


def _normalised(grey: np.ndarray) -> np.ndarray:
    """Grey image scaled to WORK_SIZE_PX on its long side, 1..99 percentile stretched to 0..255, smoothed."""
    height, width = grey.shape
    scale = WORK_SIZE_PX / max(height, width)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(grey.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    low, high = np.percentile(small, (1, 99))
    stretched = np.clip((small - low) / max(high - low, 1e-6), 0.0, 1.0)
    return (cv2.GaussianBlur(stretched, (0, 0), 2.0) * 255).astype(np.uint8)


def _disk(size_px: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size_px, size_px))


def _outside_air(grey: np.ndarray, threshold: float) -> np.ndarray:
    """Air around the patient: on each row and column, the run of very dark pixels from the frame inwards up to
    the first brighter one (the skin or chest wall), widened. Runs, not connected regions: a region connected to
    the frame reached into a lung through any dark path at the apex or the axilla and took the whole lung (2 of
    28 frontal VQA-RAD films lost a lung that way)."""
    very_dark = grey < 0.55 * threshold
    runs = (np.cumprod(very_dark, axis=1) | np.cumprod(very_dark[:, ::-1], axis=1)[:, ::-1]
            | np.cumprod(very_dark, axis=0) | np.cumprod(very_dark[::-1], axis=0)[::-1])
    return cv2.dilate(runs.astype(np.uint8), _disk(15)) > 0


def _lung_candidates(mask: np.ndarray, share: float) -> dict[str, np.ndarray]:
    """The largest lung-like region of ``mask`` on each side of the image: not air around the patient (it may
    touch the frame where collimation cuts a lung, but only briefly), at least ``share`` of 2% of the frame
    and a fifth of its height (both scaled for eroded cores), not spanning the midline."""
    height, width = mask.shape
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask.astype(np.uint8), 8)
    sides: dict[str, tuple[int, int]] = {}
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        component = labels == index
        # air around the patient reaches the frame along a long stretch; a lung cut by tight collimation
        # touches it only briefly (at most a tenth of the frame's perimeter)
        edge = int(component[0].sum() + component[-1].sum() + component[:, 0].sum() + component[:, -1].sum())
        if area < 0.02 * share * height * width or edge > 0.1 * 2 * (width + height) or h < 0.2 * share ** 0.5 * height:
            continue
        if min(width / 2 - x, x + w - width / 2) > 0.1 * width:
            continue  # reaches well across the midline: both lungs joined through the air around the patient
        side = "image_left" if centroids[index][0] < width / 2 else "image_right"
        if area > sides.get(side, (0, 0))[1]:
            sides[side] = (index, area)
    return {side: labels == index for side, (index, _area) in sides.items()}


def find_lungs(grey: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(lung on the image's left, lung on the image's right) as masks on the work grid; None where not found.

    The dark regions of the thorax (Otsu over the central field, air around the patient removed) give each
    side's largest lung-like region. Where a lung is joined to the air above the shoulders or along the arm,
    the dark mask is eroded step by step until a lung-like core stands apart, and the core is grown back
    within the dark mask as far as it was eroded.
    """
    height, width = grey.shape
    centre = grey[int(0.15 * height):int(0.75 * height), int(0.15 * width):int(0.85 * width)]
    threshold, _ = cv2.threshold(centre, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = (grey < threshold).astype(np.uint8)
    dark[_outside_air(grey, threshold)] = 0
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, _disk(9))
    cores: dict[str, np.ndarray] = {}
    for radius in CORE_EROSION_PX:
        eroded = cv2.erode(dark, _disk(2 * radius + 1)) if radius else dark
        for side, core in _lung_candidates(eroded, 0.5 if radius else 1.0).items():
            if side in cores:
                continue
            lung = core.astype(np.uint8)
            for _step in range(radius):  # back within the dark mask, a pixel a step, as far as it was eroded
                lung = cv2.dilate(lung, _disk(3)) & dark
            cores[side] = lung > 0
        if len(cores) == 2:
            break
    found = []
    for side in ("image_left", "image_right"):
        if side not in cores:
            found.append(None)
            continue
        found.append(fill_holes(cv2.morphologyEx(cores[side].astype(np.uint8), cv2.MORPH_CLOSE, _disk(11)) > 0))
    return found[0], found[1]


def _row_extents(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: first and last column of the mask (-1 where the row is empty)."""
    any_row = mask.any(axis=1)
    first = np.where(any_row, mask.argmax(axis=1), -1)
    last = np.where(any_row, mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1), -1)
    return first, last


def _fill_gap(rows: range, left_edge: np.ndarray, right_edge: np.ndarray, shape) -> np.ndarray:
    """A mask between ``left_edge`` and ``right_edge`` (per-row columns) over ``rows``."""
    mask = np.zeros(shape, dtype=bool)
    for row in rows:
        if 0 <= left_edge[row] < right_edge[row]:
            mask[row, left_edge[row] + 1:right_edge[row]] = True
    return mask


def _carry(values: np.ndarray, rows: range) -> np.ndarray:
    """Fill the -1 entries of ``values`` within ``rows`` with the last valid value above them."""
    filled = values.copy()
    last = -1
    for row in rows:
        if filled[row] >= 0:
            last = filled[row]
        else:
            filled[row] = last
    return filled


def _heart_border(edge: np.ndarray, rows: range, outward: int) -> np.ndarray:
    """A lung's medial edge (a column per row, -1 where none) where it is the heart's border: over ``rows`` down to
    the cardiophrenic angle, and -1 elsewhere. The angle is the lung's point furthest down and towards the midline
    at once (the row maximising row - ``outward`` x column; ``outward`` +1 where the lung's lateral side lies
    towards larger columns). Below it the lung's edge runs out along the diaphragm, not the heart: a limit at
    the lung's middle instead cut an enlarged heart's border short, and a heart followed to the lung's lowest row
    took in the dome."""
    border = np.full_like(edge, -1)
    valid = np.array([row for row in rows if edge[row] >= 0], dtype=np.int64)
    if valid.size == 0:
        return border
    angle = valid[np.argmax(valid - outward * edge[valid])]
    kept = valid[valid <= angle]
    border[kept] = edge[kept]
    return border


def costophrenic_angle_visible(lung: np.ndarray, lateral_on_left: bool) -> bool:
    """True where the lung's lowest part lies at its lateral side (a sharp angle), False where it is blunted.

    The lowest 8% of the lung's height must reach into the lateral third of its width.
    """
    rows = np.flatnonzero(lung.any(axis=1))
    columns = np.flatnonzero(lung.any(axis=0))
    top, bottom = rows[0], rows[-1]
    band = lung[bottom - max(1, int(0.08 * (bottom - top))):bottom + 1]
    band_columns = np.flatnonzero(band.any(axis=0))
    third = (columns[-1] - columns[0]) / 3.0
    if lateral_on_left:
        return bool(band_columns[0] <= columns[0] + third)
    return bool(band_columns[-1] >= columns[-1] - third)


def _runs_along_frame(lung: np.ndarray) -> float:
    """Share of a lung's outline that lies on the frame: a lung cut by collimation touches it for a stretch
    (up to a tenth of its outline on VQA-RAD's films), one grown into the soft tissue of the shoulder and arm
    follows it for a quarter or more."""
    frame = np.zeros_like(lung)
    frame[:2] = frame[-2:] = True
    frame[:, :2] = frame[:, -2:] = True
    outline = sum(len(part) for part in cv2.findContours(lung.astype(np.uint8), cv2.RETR_EXTERNAL,
                                                          cv2.CHAIN_APPROX_NONE)[0])
    return float((lung & frame).sum()) / max(outline, 1)


def _plausibility(left: np.ndarray, right: np.ndarray) -> float:
    """0..1: how much the two regions look like a pair of lungs (balanced sizes, side by side, level; neither
    running along the frame for a quarter of its outline nor wider than half the image)."""
    area_left, area_right = float(left.sum()), float(right.sum())
    total = left.size
    balance = min(area_left, area_right) / max(area_left, area_right)
    rows_left, rows_right = np.flatnonzero(left.any(axis=1)), np.flatnonzero(right.any(axis=1))
    overlap = max(0, min(rows_left[-1], rows_right[-1]) - max(rows_left[0], rows_right[0]))
    level = overlap / max(rows_left[-1] - rows_left[0], rows_right[-1] - rows_right[0], 1)
    coverage = (area_left + area_right) / total
    size = 1.0 if 0.12 <= coverage <= 0.6 else max(0.0, 1.0 - abs(coverage - 0.3) / 0.3)
    for lung in (left, right):
        columns = np.flatnonzero(lung.any(axis=0))
        if _runs_along_frame(lung) > 0.25 or columns[-1] - columns[0] > 0.5 * lung.shape[1]:
            return 0.0
    return float(np.clip(min(1.0, balance / 0.5) * min(1.0, level / 0.6) * size, 0.0, 1.0))


def chest_regions(image: np.ndarray) -> tuple[list[ExpertMask], dict[str, float]]:
    """Every region of a frontal chest radiograph on the image's grid, and the image-level measured facts."""
    grey = _grey(image)
    work = _normalised(grey)
    image_left, image_right = find_lungs(work)
    if image_left is None or image_right is None:
        return [], {}
    confidence = round(_plausibility(image_left, image_right), 3)
    height, width = work.shape
    left_first, left_last = _row_extents(image_left)
    right_first, right_last = _row_extents(image_right)
    rows_both = np.flatnonzero((left_last >= 0) & (right_first >= 0))
    top = int(min(np.flatnonzero(left_last >= 0)[0], np.flatnonzero(right_first >= 0)[0]))
    bottom = int(max(np.flatnonzero(left_last >= 0)[-1], np.flatnonzero(right_first >= 0)[-1]))
    if rows_both.size < 0.2 * height:
        return [], {}
    hilum = top + int(0.45 * (bottom - top))
    # above the hilum the mediastinum's borders are the lungs' medial edges while these lie in the medial half of
    # each lung; below it the heart's are, down to each cardiophrenic angle
    centre_left = (np.flatnonzero(image_left.any(axis=0))[[0, -1]].mean())
    centre_right = (np.flatnonzero(image_right.any(axis=0))[[0, -1]].mean())
    below_hilum = np.arange(height) >= hilum
    heart_rows_range = range(hilum, bottom + 1)
    medial_left = np.where(below_hilum, _heart_border(left_last, heart_rows_range, outward=-1),
                           np.where(left_last >= centre_left, left_last, -1))
    medial_right = np.where(below_hilum, _heart_border(right_first, heart_rows_range, outward=1),
                            np.where((right_first >= 0) & (right_first <= centre_right), right_first, -1))
    ends = [np.flatnonzero(edge >= 0) for edge in (medial_left, medial_right)]
    if any(end.size == 0 for end in ends):
        return [], {}
    heart_bottom = int(max(end[-1] for end in ends))
    rows = range(top, heart_bottom + 1)
    medial_left, medial_right = _carry(medial_left, rows), _carry(medial_right, rows)
    heart = _fill_gap(range(hilum, heart_bottom + 1), medial_left, medial_right, work.shape)
    heart = cv2.morphologyEx(heart.astype(np.uint8), cv2.MORPH_OPEN, _disk(7)) > 0
    mediastinum = _fill_gap(range(top, hilum), medial_left, medial_right, work.shape)
    heart_rows = [row for row in range(hilum, heart_bottom + 1)
                  if medial_left[row] >= 0 and medial_right[row] > medial_left[row]]
    heart_width = max((medial_right[row] - medial_left[row] for row in heart_rows), default=0)
    thorax_width = float(np.max(np.where((left_first >= 0) & (right_last >= 0), right_last - left_first, 0)))
    facts: dict[str, float] = {}
    if heart_width and thorax_width:
        facts["cardiothoracic_ratio"] = round(heart_width / thorax_width, 3)
    domes = {}
    for name, lung in (("image_left", image_left), ("image_right", image_right)):
        reach = int(0.05 * height) + 1
        grown = cv2.dilate(lung.astype(np.uint8), np.ones((reach, 1), np.uint8), anchor=(0, reach - 1))
        below = (grown > 0) & ~lung & ~heart
        rows = np.flatnonzero(lung.any(axis=1))
        lowest_per_column = np.where(lung.any(axis=0), lung.shape[0] - 1 - lung[::-1].argmax(axis=0), -1)
        below[:, lowest_per_column < rows[0] + 0.75 * (rows[-1] - rows[0])] = False
        domes[name] = below
    # radiographic display: the image's left is the patient's right
    angle = "costophrenic_angle_visible"
    regions = [
        ("right lung", image_left, "organ", {angle: costophrenic_angle_visible(image_left, True)}),
        ("left lung", image_right, "organ", {angle: costophrenic_angle_visible(image_right, False)}),
        ("heart", heart, "organ", {"cardiothoracic_ratio": facts["cardiothoracic_ratio"]} if facts else {}),
        ("superior mediastinum", mediastinum, "structure", {}),
        ("right hemidiaphragm", domes["image_left"], "structure", {}),
        ("left hemidiaphragm", domes["image_right"], "structure", {}),
    ]
    full_height, full_width = grey.shape
    found = []
    for label, mask, kind, measured in regions:
        if not mask.any():
            continue
        full = cv2.resize(mask.astype(np.uint8), (full_width, full_height), interpolation=cv2.INTER_NEAREST) > 0
        values = {key: float(value) for key, value in measured.items()}
        found.append(ExpertMask(label, full, confidence, kind=kind, measurements=values))
    return found, facts


@EXPERTS.register("chest_xray")
class ChestXrayExpert(ExpertModel):
    """Lung fields, heart, superior mediastinum and diaphragm domes of a frontal chest radiograph; no weights.

    Options: none. Lateral views (``view_position: lateral``) get no regions.
    """

    name = "chest_xray"
    Options = NoOptions
    version = "3"  # 2: the heart's borders follow the lungs down to the cardiophrenic angles; 3: lungs found apart
    # from the air around the patient; a lung running along the frame is not trusted; the superior mediastinum named

    def segment(self, sample: Sample, prompt=None, box=None) -> list[ExpertMask]:
        image = self.input_image(sample, "a 2D radiograph")
        view = str(sample.metadata.get("view_position") or sample.metadata.get("ViewPosition") or "").lower()
        if view in {"lateral", "ll", "rl", "lat"}:
            return []
        found, _facts = chest_regions(image.astype(np.float32) if image.dtype != np.uint8 else image)
        if found and not any(sample.patient_orientation):
            # frontal radiographs are displayed with the patient's left on the image's right
            sample.patient_orientation = ("L", "F")
        return found
