"""VQA scores as LLaVA-Med's batch evaluation reports them, plus exact match and token F1 per answer type.

The field's two headline figures (LLaVA-Med v1 ``llava/eval/run_eval_batch.py``, reimplemented):

- **open recall**: for each OPEN question, the share of ground-truth words found in the prediction,
  after :func:`~medtrinity.evaluation.normalize.normalize_answer`; averaged. As in the reference, a
  shared word counts as many times as the *prediction* repeats it (``tp`` uses the prediction's
  count), so repeating a correct word raises recall; an empty prediction or no shared word scores 0.
- **closed accuracy**: for each CLOSED question, 1 when the normalised ground truth is a
  *substring* of the normalised prediction ("no" is found in "not sure", "yes" in "eyes"), else 0.
  Yes/no and other closed answers (VQA-RAD's "left", "MRI") are scored alike.

Added: exact match (normalised strings equal) and SQuAD-style token F1 (multiset overlap) per answer
type, the substring hit on OPEN questions (what the batch script prints as "open accuracy"), and
the closed accuracy over yes/no answers only. All figures are percentages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medtrinity.evaluation.normalize import normalize_answer, word_counts

ANSWER_TYPES = ("OPEN", "CLOSED")


def reference_recall(prediction: str, truth: str) -> float:
    """LLaVA-Med's token recall of ``truth`` in ``prediction`` (both normalised again, as the reference does)."""
    predicted = word_counts(normalize_answer(prediction))
    expected = word_counts(normalize_answer(truth))
    if not predicted or not expected:
        return 0.0
    true_positive = sum(count for word, count in predicted.items() if word in expected)
    false_negative = sum(count for word, count in expected.items() if word not in predicted)
    if true_positive == 0:
        return 0.0
    return true_positive / (true_positive + false_negative)


def token_f1(prediction: str, truth: str) -> float:
    """Harmonic mean of word precision and recall over the shared multiset of normalised words."""
    predicted = word_counts(normalize_answer(prediction))
    expected = word_counts(normalize_answer(truth))
    shared = sum((predicted & expected).values())
    if shared == 0:
        return 0.0
    precision = shared / sum(predicted.values())
    recall = shared / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class QuestionScore:
    """The scores of one question (fractions 0..1)."""

    question_id: int
    answer_type: str
    truth: str
    prediction: str
    contained: bool
    exact: bool
    recall: float
    f1: float


def score_one(question_id: int, answer_type: str, truth: str, prediction: str) -> QuestionScore:
    """Score one prediction against its ground truth; ``answer_type`` is OPEN or CLOSED."""
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"question {question_id}: answer_type {answer_type!r} is neither OPEN nor CLOSED")
    truth_norm, prediction_norm = normalize_answer(truth), normalize_answer(prediction)
    return QuestionScore(
        question_id=question_id, answer_type=answer_type, truth=truth, prediction=prediction,
        contained=truth_norm in prediction_norm, exact=truth_norm == prediction_norm,
        recall=reference_recall(prediction_norm, truth_norm), f1=token_f1(prediction, truth),
    )


def _percent(values: list[float]) -> float | None:
    return round(100.0 * sum(values) / len(values), 4) if values else None


@dataclass
class ScoreReport:
    """Aggregated figures over a benchmark (percentages; None where a group has no question)."""

    scores: list[QuestionScore]
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        by_type: dict[str, list[QuestionScore]] = {kind: [] for kind in ANSWER_TYPES}
        for score in self.scores:
            by_type[score.answer_type].append(score)
        opened, closed = by_type["OPEN"], by_type["CLOSED"]
        yes_no = [s for s in closed if normalize_answer(s.truth) in {"yes", "no"}]
        return {
            **self.meta,
            "questions": len(self.scores),
            "open_questions": len(opened),
            "closed_questions": len(closed),
            "open_recall": _percent([s.recall for s in opened]),
            "closed_accuracy": _percent([float(s.contained) for s in closed]),
            "open_substring_accuracy": _percent([float(s.contained) for s in opened]),
            "closed_yes_no_questions": len(yes_no),
            "closed_yes_no_accuracy": _percent([float(s.contained) for s in yes_no]),
            "exact_match": {"OPEN": _percent([float(s.exact) for s in opened]),
                            "CLOSED": _percent([float(s.exact) for s in closed]),
                            "all": _percent([float(s.exact) for s in self.scores])},
            "token_f1": {"OPEN": _percent([s.f1 for s in opened]),
                         "CLOSED": _percent([s.f1 for s in closed]),
                         "all": _percent([s.f1 for s in self.scores])},
        }


def score_predictions(truths: list[tuple[int, str, str]], predictions: dict[int, str],
                      allow_missing: bool = False, meta: dict[str, Any] | None = None) -> ScoreReport:
    """Score ``predictions`` (question_id -> text) against ``truths`` ((question_id, answer_type, answer), ...).

    A question without a prediction is an error naming the first missing ids, unless
    ``allow_missing`` (then it scores as an empty answer: wrong). A prediction for an id the
    benchmark does not have is always an error.
    """
    known = {question_id for question_id, _type, _answer in truths}
    unknown = sorted(set(predictions) - known)
    if unknown:
        raise ValueError(f"{len(unknown)} predictions name question ids the benchmark does not have, "
                         f"first {unknown[:5]}")
    missing = [question_id for question_id, _type, _answer in truths if question_id not in predictions]
    if missing and not allow_missing:
        raise ValueError(f"{len(missing)} of {len(truths)} questions have no prediction, first ids {missing[:5]} "
                         "(--allow-missing scores them as wrong)")
    scores = [score_one(question_id, answer_type, answer, predictions.get(question_id, ""))
              for question_id, answer_type, answer in truths]
    report_meta = {**(meta or {}), "missing_predictions": len(missing)}
    return ScoreReport(scores, report_meta)

