"""The rephrasing checker: a reworded question is used only when its answer cannot have changed."""

from __future__ import annotations

import pytest

from medtrinity.evaluation.rephrase import kept_terms, rephrasing_problem

SIDE = {"question": "Is the lesion on the patient's left side?", "answer": "no", "answer_type": "CLOSED",
        "kind": "side", "asked": {"side": "left"}}
SIZE = {"question": "Is the lesion larger than 2 cm?", "answer": "yes", "answer_type": "CLOSED", "kind": "size",
        "asked": {"threshold_mm": 20.0}}
ORGAN = {"question": "Which organ contains the lesion?", "answer": "liver", "answer_type": "OPEN", "kind": "organ",
         "asked": {}}


def test_terms_that_decide_the_answer():
    assert kept_terms(SIDE) == ["left", "lesion"]
    assert kept_terms(SIZE) == ["2 cm", "lesion"]


@pytest.mark.parametrize(("record", "question", "problem"), [
    (SIDE, "Looking at this image, is the lesion on the patient's left?", None),
    (SIDE, "Is the lesion on the patient's right side?", "lost the term 'left'"),
    (SIDE, "Is the lesion not on the patient's left side?", "added negation 'not'"),
    (SIDE, "Isn't the lesion on the patient's left side?", "added negation 'not'"),
    (SIDE, "Is the lesion on the left rather than the right?", "added side 'right'"),
    (SIDE, "Where is the lesion, on the left?", "no longer a yes/no question"),
    (SIZE, "Does the lesion measure more than 2 cm?", None),
    (SIZE, "Is the lesion larger than 2 cm or 3 cm?", "changed the numbers"),
    (SIZE, "Is the lesion larger than 20 mm?", "lost the term '2 cm'"),
    (ORGAN, "In which organ does the lesion sit?", None),
    (ORGAN, "Which organ, the liver or the spleen, contains the lesion?", "contains its own answer"),
    (ORGAN, "Which organ contains the lesion", "not a question"),
])
def test_rephrasings_are_checked(record, question, problem):
    assert rephrasing_problem(record, question) == problem
