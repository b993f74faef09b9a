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


def _plain_add(stats, text: str) -> None:
    """``ShardTextStats.add`` the plain way: the whole text's words and bigrams parsed every time."""
    from medtrinity.quality.textstats import _NUMBER, _SENTENCE, _WORD

    if not text:
        return
    stats.counts["descriptions"] += 1
    stats.counts["chars"] += len(text)
    words = _WORD.findall(text.lower())
    stats.counts["words"] += len(words)
    stats.counts["bigrams"] += max(0, len(words) - 1)
    stats.sketches["unigrams"].add_all(words)
    stats.sketches["bigrams"].add_all([f"{first} {second}" for first, second in zip(words, words[1:], strict=False)])
    sentences = [sentence for sentence in _SENTENCE.split(text.strip()) if sentence]
    stats.counts["sentences"] += len(sentences)
    stats.sketches["sentences"].add_all(sentences)
    stats.sketches["skeletons"].add_all([_NUMBER.sub("#", sentence) for sentence in sentences])


def test_sentence_by_sentence_parsing_equals_parsing_the_whole_text():
    """Words and bigrams gathered from each (cached) sentence equal the whole text's, on knowledge texts and on
    random texts of awkward characters (breaks of every kind, apostrophes, hyphens, decimals, Unicode cases)."""
    import random

    import numpy as np

    from medtrinity.knowledge.builtin import builtin_documents
    from medtrinity.quality.textstats import ShardTextStats

    texts = [document.text for document in builtin_documents()]
    pieces = ["a", "B", "z9", "7", "3.5", "it's", "x-ray", ".", "!", "?", ";", " ", "  ", "\n", "\t", "\xa0",
              "'", "-", "\u212a", "\u0130", "\u03a3", "é", "mm.", "Left", "#", ""]
    generator = random.Random(7)
    texts += ["".join(generator.choice(pieces) for _ in range(generator.randint(0, 40))) for _ in range(2000)]
    texts += [texts[0], texts[0] + " " + texts[1], ""]
    fast, plain = ShardTextStats(), ShardTextStats()
    for text in texts:
        fast.add(text)
        _plain_add(plain, text)
        assert fast.counts == plain.counts, text
    assert fast.counts["words"] > 10_000
    for name in fast.sketches:
        assert np.array_equal(fast.sketches[name].registers, plain.sketches[name].registers), name
    assert fast.to_dict() == plain.to_dict()
