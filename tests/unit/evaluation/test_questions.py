"""Question generation on hand-made rows: only what a row supports is asked."""

from __future__ import annotations

import json

from medtrinity.evaluation.questions import _threshold_mm, generate_questions


def _roi(label, kind="lesion", side="left", organ="", diameter=None, count=1):
    return {"label": label, "kind": kind, "patient_side": side, "containing_organ": organ,
            "largest_diameter_mm": diameter, "count_same_label": count, "neighbours": []}


def _row(row_id, modality="mri", plane="axial", rois=(), metadata=None):
    return {"id": row_id, "source": "s", "modality": modality, "plane": plane, "rois": list(rois),
            "metadata_json": json.dumps(metadata or {}), "image_sha256": "0" * 64}


def _kinds(records):
    return {(r["kind"], r["answer_type"]) for r in records}


def test_sequence_questions_from_the_acquisition_tokens():
    records = generate_questions([_row("a", metadata={"mr_sequence": ["t2", "flair"]})])
    open_answers = {r["kind"]: r["answer"] for r in records if r["answer_type"] == "OPEN"}
    assert open_answers == {"modality": "MRI", "plane": "axial", "sequence": "T2 FLAIR"}
    closed = next(r for r in records if r["kind"] == "sequence" and r["answer_type"] == "CLOSED")
    assert closed["evidence"] == ["metadata.mr_sequence"]
    asked = closed["asked"]["sequence"]
    assert (closed["answer"] == "yes") == (asked == "T2") and asked in closed["question"]
    assert not any(r["kind"] == "sequence" for r in generate_questions([_row("b", modality="ct",
                                                                          metadata={"mr_sequence": ["t1"]})]))


def test_unsupported_facts_ask_nothing():
    row = _row("c", modality="other", plane="unknown",
               rois=[_roi("tumour", side="midline", diameter=None), _roi("oedema", side="midline", diameter=None)])
    assert generate_questions([row]) == []  # no modality, plane, side, size, organ, and two labels: no count
    organ_only = _row("d", modality="ct", rois=[_roi("left kidney", kind="organ", side="left", diameter=80.0)])
    kinds = _kinds(generate_questions([organ_only]))
    assert ("side", "OPEN") not in kinds  # the label already names the side
    assert {("size", "OPEN"), ("presence", "CLOSED")} <= kinds


def test_size_thresholds_keep_away_from_the_measurement():
    assert _threshold_mm(21.0, above=False) == 10.0   # 20 mm is within 15 % of 21 mm: not asked
    assert _threshold_mm(21.0, above=True) == 30.0
    assert _threshold_mm(250.0, above=True) is None   # nothing clearly above: only the "yes" form exists


def test_two_lesions_are_counted_and_the_largest_is_described():
    row = _row("e", modality="ct", rois=[_roi("nodule", side="right", organ="lung", diameter=8.0, count=2),
                                         _roi("nodule", side="left", organ="lung", diameter=14.0, count=2)])
    records = generate_questions([row])
    answers = {(r["kind"], r["answer_type"]): r for r in records}
    assert answers[("count", "OPEN")]["answer"] == "2"
    assert answers[("side", "OPEN")]["answer"] == "left" and "largest lesion" in answers[("side", "OPEN")]["question"]
    assert answers[("size", "OPEN")]["answer"] == "14.0 mm"
    assert answers[("size", "OPEN")]["evidence"] == ["rois[1].largest_diameter_mm"]
