"""Review decisions: append-only lines folded into a state per row; torn and bad lines handled."""

from __future__ import annotations

import pytest

from medtrinity.export.reviews import REVIEWS_NAME, ReviewError, append_decision, read_decisions, review_states


def test_decisions_fold_in_order_and_keep_history(tmp_path):
    append_decision(tmp_path, "a", "reject", "ann")
    append_decision(tmp_path, "a", "edit", "bob", "New text.")
    append_decision(tmp_path, "a", "accept", "cy")
    append_decision(tmp_path, "b", "edit", "ann", "Only edited.")
    states = review_states(tmp_path)
    assert states["a"].status == "accepted" and states["a"].edited_text == "New text." and states["a"].who == "cy"
    assert states["b"].status == "" and states["b"].edited_text == "Only edited."
    assert [record["action"] for record in read_decisions(tmp_path)] == ["reject", "edit", "accept", "edit"]
    assert all(record["when"].endswith("+00:00") for record in read_decisions(tmp_path))


def test_bad_decisions_are_refused_with_the_value(tmp_path):
    with pytest.raises(ReviewError, match="'delete'"):
        append_decision(tmp_path, "a", "delete", "ann")
    with pytest.raises(ReviewError, match="non-empty"):
        append_decision(tmp_path, "a", "edit", "ann", "  ")


def test_torn_last_line_is_skipped_but_a_broken_middle_line_is_an_error(tmp_path):
    append_decision(tmp_path, "a", "reject", "ann")
    path = tmp_path / REVIEWS_NAME
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"id": "b", "act')
    assert review_states(tmp_path)["a"].status == "rejected" and "b" not in review_states(tmp_path)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('\n{"id": "c", "action": "accept", "who": "x", "when": "t"}\n')
    with pytest.raises(ReviewError, match="line 2"):
        read_decisions(tmp_path)
