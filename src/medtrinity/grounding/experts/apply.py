"""Running the configured experts on a sample and merging their masks into its label map.

Expert regions never replace provided labels (they only fill unlabelled pixels); each carries its
origin (``<expert> <version>``), its confidence and its measured facts into the ROI. Regions under
the confidence floor are dropped and counted as ``expert_low_confidence`` notes of the ground stage.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medtrinity.config import ExpertRule
from medtrinity.grounding.experts import ExpertMask, ExpertModel, make_expert
from medtrinity.grounding.experts.auto import expert_rules
from medtrinity.records import BOX_ORIGIN, Sample, SampleError


def provided_mask_labels(sample: Sample) -> set[str]:
    """Labels of the sample's label map that came as masks (not as painted input boxes, not from experts)."""
    boxes = {label for label, _box in sample.input_boxes}
    return {name for name in sample.label_names.values() if name not in boxes and name not in sample.label_origins}


def _has_finding(sample: Sample) -> bool:
    findings = [value for value, name in sample.label_names.items() if name in sample.finding_labels]
    return bool(findings) and bool(np.isin(sample.label_map, findings).any())


def _matches(rule: ExpertRule, sample: Sample) -> bool:
    if rule.modalities and sample.modality not in rule.modalities:
        return False
    if rule.body_parts and sample.body_part.lower() not in {part.lower() for part in rule.body_parts}:
        return False
    if sample.label_map is None:
        return True
    if rule.when == "no_roi" and _has_finding(sample):
        return False
    if rule.when == "no_mask" and provided_mask_labels(sample) and sample.label_map.any():
        return False
    return True


def _ignore(_code: str) -> None:
    return None


def _box_pixels(sample: Sample) -> np.ndarray | None:
    """The pixels of the label map that are painted input boxes (None: no box)."""
    values = [value for value, name in sample.label_names.items() if sample.label_origins.get(name) == BOX_ORIGIN]
    if not values or sample.label_map is None:
        return None
    boxed = np.isin(sample.label_map, values)
    return boxed if boxed.any() else None


def _note_under_boxes(sample: Sample, under: np.ndarray, value: int) -> None:
    """Keep where an expert's region lies under a box (first come, as in the label map), so that grounding can
    say what the box is drawn over: the box's own pixels keep the box's label."""
    if not under.any():
        return
    if sample.under_boxes is None:
        sample.under_boxes = np.zeros(sample.label_map.shape, dtype=np.int32)
    sample.under_boxes[under & (sample.under_boxes == 0)] = value


def merge_regions(sample: Sample, found: list[ExpertMask], origin: str, min_confidence: float,
                  note: Callable[[str], None] = _ignore) -> int:
    """Paint ``found`` into the sample's label map where no label is yet; returns how many were kept.

    ``note`` counts what is not kept for a reason worth a figure (``expert_low_confidence``).
    """
    shape = sample.image.shape[:2] if sample.image is not None else sample.pixels.shape[:2]
    if sample.label_map is None:
        sample.label_map = np.zeros(shape, dtype=np.int32)
    next_value = max([0, *sample.label_names, int(sample.label_map.max())]) + 1
    findings = set(sample.finding_labels)
    boxed = _box_pixels(sample)
    kept = 0
    for region in found:
        if region.score < min_confidence:
            note("expert_low_confidence")
            continue
        if region.label in sample.label_names.values():
            continue  # a provided label of that name wins
        free = region.mask & (sample.label_map == 0)
        if not free.any():
            continue
        sample.label_map[free] = next_value
        if boxed is not None:
            _note_under_boxes(sample, region.mask & boxed, next_value)
        sample.label_names[next_value] = region.label
        sample.label_origins[region.label] = origin
        sample.label_confidence[region.label] = round(float(region.score), 4)
        sample.label_kinds[region.label] = region.kind
        if region.measurements:
            sample.label_measurements[region.label] = dict(region.measurements)
        if region.kind == "lesion":
            findings.add(region.label)
        next_value += 1
        kept += 1
    sample.finding_labels = frozenset(findings)
    return kept


def refine_boxes(sample: Sample, expert: ExpertModel, origin: str, min_confidence: float,
                 note: Callable[[str], None] = _ignore) -> int:
    """Turn each input box into the mask a box-promptable expert outlines inside it; returns how many.

    The box's rectangle (painted by the reader) gives way to the mask, keeping its label value;
    a low-confidence mask leaves the rectangle as it was and is counted.
    """
    refined = 0
    values = {name: value for value, name in sample.label_names.items()}
    for label, box in sample.input_boxes:
        value = values.get(label)
        if value is None or sample.label_map is None:
            continue
        found = expert.segment(sample, prompt=label, box=box)
        if not found:
            continue
        region = found[0]
        if region.score < min_confidence:
            note("expert_low_confidence")
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        rectangle = np.zeros(sample.label_map.shape, bool)
        rectangle[max(0, y0):y1, max(0, x0):x1] = True
        sample.label_map[rectangle & (sample.label_map == value)] = 0
        sample.label_map[region.mask & (sample.label_map == 0)] = value
        sample.label_origins[label] = origin
        sample.label_confidence[label] = round(float(region.score), 4)
        refined += 1
    return refined


def apply_experts(
    sample: Sample, rules: str | list[ExpertRule], experts: dict[int, ExpertModel], min_confidence: float = 0.5,
    note: Callable[[str], None] = _ignore,
) -> Sample:
    """Add the regions of every matching expert to ``sample.label_map`` (never over provided labels).

    With ``rules == "auto"`` an expert that cannot read this sample (a CT slice without HU, say)
    leaves a note instead of rejecting the sample; an explicitly configured expert rejects it.
    """
    automatic = rules == "auto"
    for index, rule in enumerate(expert_rules(rules)):
        if not _matches(rule, sample):
            continue
        if index not in experts:
            experts[index] = make_expert(rule.name, rule.options)
        expert = experts[index]
        origin = f"{expert.name} {expert.version}"
        if getattr(expert, "refines_boxes", False):
            if sample.input_boxes:
                refine_boxes(sample, expert, origin, min_confidence, note)
            continue
        try:
            found = expert.segment(sample, prompt=rule.prompt)
        except SampleError as error:
            if not automatic:
                raise
            note(f"expert_skipped:{error.code}")
            continue
        except Exception as error:  # an automatic expert failing on one image must not reject the sample
            if not automatic:
                raise
            note(f"expert_failed:{expert.name}:{type(error).__name__}")
            continue
        if found:
            merge_regions(sample, found, origin, min_confidence, note)
    return sample
