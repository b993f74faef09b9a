"""The VQA scorer on cases whose figures were worked out by hand (see the comments)."""

from __future__ import annotations

import json

import pytest

from medtrinity.evaluation.benchmarks import load_benchmark, load_predictions, match_id_scheme
from medtrinity.evaluation.normalize import normalize_answer
from medtrinity.evaluation.scoring import reference_recall, score_predictions, token_f1


@pytest.mark.parametrize(("raw", "expected"), [
    ("The Left Lung.", "left lung"),          # lower-case, article dropped, final period dropped
    ("Two, maybe three", "2 maybe 3"),        # ", " glued comma removed; number words become digits
    ("1,000 cells", "1000 cells"),            # a thousands comma removes every listed mark
    ("x-ray", "x ray"),                       # an unglued hyphen becomes a space
    ("T2-weighted (FLAIR)", "t2 weighted flair"),
    ("dont know", "don't know"),              # VQA contraction table
    ("2.5 cm.", "2.5 cm"),                    # a period before a digit stays
    ("Yes!", "yes"),
    ("none", "0"),
])
def test_normalisation_matches_the_reference_rules(raw, expected):
    assert normalize_answer(raw) == expected


def test_reference_recall_counts_repeated_prediction_words():
    assert reference_recall("left lung", "left lung") == 1.0
    assert reference_recall("kidney", "right kidney") == 0.5
    assert reference_recall("left left left", "left lung") == 0.75  # tp 3 (prediction count), fn 1
    assert reference_recall("", "liver") == 0.0
    assert token_f1("left left left", "left lung") == pytest.approx(0.4)  # p 1/3, r 1/2


# (question_id, type, truth, prediction) -- predictions None are missing
CASES = [
    (10, "OPEN", "left lung", "The left lung"),    # recall 1, exact, f1 1, substring hit
    (12, "OPEN", "right kidney", "kidney"),         # recall 0.5, f1 2/3
    (13, "OPEN", "liver", "spleen"),                # all 0
    (19, "OPEN", "left lung", "left left left"),    # recall 0.75, f1 0.4, no substring hit
    (21, "CLOSED", "yes", "Yes, there is."),        # contained; f1 0.5
    (23, "CLOSED", "no", "I am not sure"),          # "no" is a substring of "not": counted right (reference quirk)
    (31, "CLOSED", "yes", "No"),                    # wrong
    (33, "CLOSED", "Left", "left"),                 # contained and exact (not yes/no)
    (35, "CLOSED", "no", None),                     # missing -> empty -> wrong
]


def _expected_summary(summary):
    assert summary["open_recall"] == pytest.approx(56.25)          # (1 + 0.5 + 0 + 0.75) / 4
    assert summary["open_substring_accuracy"] == pytest.approx(25.0)
    assert summary["closed_accuracy"] == pytest.approx(60.0)       # 3 of 5
    assert summary["closed_yes_no_accuracy"] == pytest.approx(50.0)  # 2 of the 4 yes/no
    assert summary["exact_match"] == pytest.approx({"OPEN": 25.0, "CLOSED": 20.0, "all": 100 * 2 / 9})
    assert summary["token_f1"]["OPEN"] == pytest.approx(100 * (1 + 2 / 3 + 0 + 0.4) / 4)
    assert summary["token_f1"]["CLOSED"] == pytest.approx(100 * (0.5 + 1) / 5)
    assert (summary["open_questions"], summary["closed_questions"], summary["missing_predictions"]) == (4, 5, 1)


def test_hand_computed_figures():
    truths = [(qid, kind, truth) for qid, kind, truth, _ in CASES]
    predictions = {qid: text for qid, _, _, text in CASES if text is not None}
    with pytest.raises(ValueError, match="1 of 9 questions have no prediction"):
        score_predictions(truths, predictions)
    _expected_summary(score_predictions(truths, predictions, allow_missing=True).summary())
    with pytest.raises(ValueError, match="question ids the benchmark does not have"):
        score_predictions(truths, {**predictions, 999: "x"}, allow_missing=True)


def _write_vqa_rad(folder):
    records = [{"qid": qid + 1, "image_name": f"synpic{qid}.jpg", "image_organ": "CHEST", "answer": truth,
                "answer_type": kind, "question_type": "PRES", "question": f"question {qid}?",
                "phrase_type": "freeform"} for qid, kind, truth, _ in CASES]
    path = folder / "testset.json"
    path.write_text(json.dumps(records))
    return path


def test_vqa_rad_ids_are_qid_minus_one_or_positions(tmp_path):
    gt = _write_vqa_rad(tmp_path)
    benchmark = load_benchmark(tmp_path)
    assert benchmark.kind == "vqa_rad" and [q.native_id for q in benchmark.questions] == [c[0] for c in CASES]
    native = tmp_path / "native.jsonl"
    native.write_text("".join(json.dumps({"question_id": qid, "text": text}) + "\n"
                              for qid, _, _, text in CASES if text is not None))
    predictions = load_predictions(native)
    assert match_id_scheme(benchmark, predictions) == "native"
    _expected_summary(score_predictions(benchmark.truths("native"), predictions, allow_missing=True).summary())
    by_position = {position: text for position, (_, _, _, text) in enumerate(CASES) if text is not None}
    assert match_id_scheme(load_benchmark(gt), by_position) == "position"
