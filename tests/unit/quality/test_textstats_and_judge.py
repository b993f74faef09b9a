"""Text statistics (mergeable sketches) and the judge's score parsing."""

from __future__ import annotations

import pytest

from medtrinity.generation.prompt import ReplyError
from medtrinity.quality.judge import parse_scores
from medtrinity.quality.report import qc_summary
from medtrinity.quality.textstats import Sketch, merge_text_stats, shard_text_stats


def test_sketch_estimates_distinct_counts_and_merges():
    first, second = Sketch(), Sketch()
    for number in range(3000):
        first.add(f"word{number}")
    for number in range(2000, 6000):
        second.add(f"word{number}")
    assert abs(first.estimate() - 3000) / 3000 < 0.05
    merged = Sketch.loads(first.dumps()).merge(second)
    assert abs(merged.estimate() - 6000) / 6000 < 0.05


def test_text_statistics_are_exact_on_a_small_corpus():
    texts = ["The lesion is dark. The lesion is dark.", "The lesion is 12 mm. The lesion is 15 mm.", ""]
    stats = merge_text_stats([shard_text_stats(texts[:1]), shard_text_stats(texts[1:]), None])
    assert stats["descriptions"] == 2 and stats["sentences"] == 4
    assert stats["words_per_description"] == (8 + 10) / 2
    assert stats["distinct_1"] == round(7 / 18, 4)  # the lesion is dark 12 mm 15
    assert stats["repeated_sentence_share"] == 0.25  # 3 distinct of 4
    assert stats["repeated_skeleton_share"] == 0.5  # "the lesion is # mm." twice


def test_qc_summary_counts_flags_and_rejects():
    stages = {"verify": {"in": 10, "out": 8, "rejected": 2, "reasons": {"side_mismatch": 2},
                         "notes": {"qc_flag": 3, "qc_issue:side_mismatch": 1, "qc_issue:size_mismatch": 3}}}
    assert qc_summary(stages) == {"pass": 5, "flag": 3, "reject": 2,
                                  "issues": {"side_mismatch": 3, "size_mismatch": 3}}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"modality": 1, "organs": 0.5, "roi_analysis": 0, "texture": 0.25, "relations": 1}', 0.5),
        ('{"modality": 5, "organs": 3, "roi_analysis": 1, "texture": 2, "relations": 4}', 0.5),
        ('{"modality": {"score": 1}, "organs": {"score": 0.5}, "roi_analysis": 0, "texture": 0, "relations": 0}',
         0.5),
    ],
)
def test_judge_scores_are_read_on_either_scale(reply, expected):
    assert parse_scores(reply)["organs"] == expected


@pytest.mark.parametrize("reply", ['{"modality": "good"}', '{"modality": 9, "organs": 1, "roi_analysis": 1, '
                                   '"texture": 1, "relations": 1}', "no json"])
def test_bad_judge_replies_are_errors(reply):
    with pytest.raises(ReplyError):
        parse_scores(reply)
