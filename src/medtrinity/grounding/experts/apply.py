"""Running the configured experts on a sample and merging their masks into its label map.

Expert regions never replace provided labels (they only fill unlabelled pixels); each carries its
origin (``<expert> <version>``), its confidence and its measured facts into the ROI. Regions under
the confidence floor are dropped and counted as ``expert_low_confidence`` notes of the ground stage.
"""

from __future__ import annotations

import numpy as np

from medtrinity.config import ExpertRule
from medtrinity.grounding.experts import ExpertMask, ExpertModel, make_expert
from medtrinity.grounding.experts.auto import expert_rules
from medtrinity.records import Sample, SampleError


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


def merge_regions(sample: Sample, found: list[ExpertMask], origin: str, min_confidence: float) -> int:
    """Paint ``found`` into the sample's label map where no label is yet; returns how many were kept."""
    shape = sample.image.shape[:2] if sample.image is not None else sample.pixels.shape[:2]
    if sample.label_map is None:
        sample.label_map = np.zeros(shape, dtype=np.int32)
    next_value = max([0, *sample.label_names, int(sample.label_map.max())]) + 1
    findings = set(sample.finding_labels)
    kept = 0
    for region in found:
        if region.score < min_confidence:
            sample.notes.append("expert_low_confidence")
            continue
        if region.label in sample.label_names.values():
            continue  # a provided label of that name wins
        free = region.mask & (sample.label_map == 0)
        if not free.any():
            continue
        sample.label_map[free] = next_value
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


def apply_experts(
    sample: Sample, rules: str | list[ExpertRule], experts: dict[int, ExpertModel], min_confidence: float = 0.5
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
        try:
            found = expert.segment(sample, prompt=rule.prompt)
        except SampleError as error:
            if not automatic:
                raise
            sample.notes.append(f"expert_skipped:{error.code}")
            continue
        if found:
            merge_regions(sample, found, f"{expert.name} {expert.version}", min_confidence)
    return sample
