"""The composer's phrasing varies across samples (seeded by the sample id) but never for one sample."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from medtrinity.config import parse_config
from medtrinity.generation.backends import make_backend
from medtrinity.pipeline import grounded_samples
from medtrinity.quality.textstats import merge_text_stats, shard_text_stats


@pytest.fixture(scope="module")
def described():
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom",
                                        "options": {"cases": 3}}], "knowledge": {"kb": "builtin"}})
    backend = make_backend("composer")
    return [(sample, backend.describe(sample)) for sample in grounded_samples(config)]


def _skeleton(text: str, labels: list[str]) -> str:
    for label in sorted(labels, key=len, reverse=True):
        text = text.replace(label, "<label>")
    text = re.sub(r"\d+(?:\.\d+)?", "#", text)
    return re.sub(r"\b(left|right|upper|lower|central|midline)\b", "<where>", text)


def test_no_two_descriptions_are_the_same_and_each_is_stable(described):
    texts = [description.text for _, description in described]
    assert len(set(texts)) == len(texts) == 120
    backend = make_backend("composer")
    for sample, description in described[:10]:
        assert backend.describe(sample) == description


def test_no_phrasing_dominates_a_section(described):
    by_section: dict[str, Counter] = {}
    for sample, description in described:
        labels = [roi.label for roi in sample.rois + sample.context_rois]
        for sentence in description.sentences:
            by_section.setdefault(sentence.section, Counter())[_skeleton(sentence.text, labels)] += 1
    for section, counts in by_section.items():
        total = sum(counts.values())
        assert counts.most_common(1)[0][1] / total <= 0.25, (section, counts.most_common(3))
    assert len(by_section["roi_analysis"]) >= 40
    assert len(by_section["modality"]) >= 10


def test_text_statistics_of_the_composer(described):
    stats = merge_text_stats([shard_text_stats(d.text for _, d in described[:60]),
                              shard_text_stats(d.text for _, d in described[60:])])
    assert stats["descriptions"] == 120 and stats["words_per_description"] > 60
    assert 0.0 < stats["distinct_1"] < stats["distinct_2"] < 1.0
    assert stats["repeated_skeleton_share"] < 0.9
