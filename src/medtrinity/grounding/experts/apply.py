"""Running the configured experts on a sample and merging their masks into its label map."""

from __future__ import annotations

import numpy as np

from medtrinity.config import ExpertRule
from medtrinity.grounding.experts import ExpertModel, make_expert
from medtrinity.records import Sample


def _matches(rule: ExpertRule, sample: Sample) -> bool:
    if rule.modalities and sample.modality not in rule.modalities:
        return False
    if rule.body_parts and sample.body_part.lower() not in {part.lower() for part in rule.body_parts}:
        return False
    if rule.when == "no_roi" and sample.label_map is not None:
        findings = [value for value, name in sample.label_names.items() if name in sample.finding_labels]
        if findings and np.isin(sample.label_map, findings).any():
            return False
    return True


def apply_experts(sample: Sample, rules: list[ExpertRule], experts: dict[int, ExpertModel]) -> Sample:
    """Add the masks of every matching expert to ``sample.label_map`` (never over provided labels).

    Each new label gets a fresh value, its name in ``label_names``, its kind (finding or not)
    and its origin (the expert's name) in ``label_origins``.
    """
    for index, rule in enumerate(rules):
        if not _matches(rule, sample):
            continue
        if index not in experts:
            experts[index] = make_expert(rule.name, rule.options)
        found = experts[index].segment(sample, prompt=rule.prompt)
        if not found:
            continue
        shape = sample.image.shape[:2] if sample.image is not None else sample.pixels.shape[:2]
        if sample.label_map is None:
            sample.label_map = np.zeros(shape, dtype=np.int32)
        next_value = max([0, *sample.label_names, int(sample.label_map.max())]) + 1
        findings = set(sample.finding_labels)
        for region in found:
            free = region.mask & (sample.label_map == 0)
            if not free.any():
                continue
            sample.label_map[free] = next_value
            sample.label_names[next_value] = region.label
            sample.label_origins[region.label] = rule.name
            if region.kind == "lesion":
                findings.add(region.label)
            next_value += 1
        sample.finding_labels = frozenset(findings)
    return sample
