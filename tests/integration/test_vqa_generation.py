"""VQA pairs from measured facts on the phantom and TotalSegmentator runs: every answer agrees with the row.

The checks below do not reuse the generator's logic: they read the question text (which side,
organ, threshold, modality it names) and recompute the answer from the written ROI columns.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from medtrinity.config import parse_config
from medtrinity.evaluation.questions import generate_questions
from medtrinity.evaluation.row_facts import read_rows
from medtrinity.runner import run_pipeline

from .helpers import phantom_source

MODALITY_WORDS = {"CT": "ct", "MRI": "mri", "X-ray": "xray", "ultrasound": "ultrasound"}


@pytest.fixture(scope="module")
def phantom_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("vqa") / "phantom"
    assert run_pipeline(parse_config({"sources": [phantom_source()]}), out).complete
    return out


@pytest.fixture(scope="module")
def totalsegmentator_run(tmp_path_factory, shared_data):
    folder = shared_data / "totalsegmentator"
    source = {"name": "ts", "reader": "nifti", "path": str(folder / "example_ct_sm.nii.gz"),
              "labels": str(folder / "example_seg.nii.gz"), "label_map": str(folder / "label_map_total.json"),
              "modality": "ct"}
    out = tmp_path_factory.mktemp("vqa") / "ts"
    assert run_pipeline(parse_config({"sources": [source]}), out).complete
    return out


def _roi_of(record, row):
    indexes = {int(re.match(r"rois\[(\d+)\]", key).group(1)) for key in record["evidence"] if key.startswith("rois[")}
    assert len(indexes) == 1 or record["kind"] == "count", record
    return row["rois"][min(indexes)]


def _expected_answer(record, row):
    """The answer recomputed from the row's columns and the question's own words."""
    kind, question, closed = record["kind"], record["question"], record["answer_type"] == "CLOSED"
    lesions = [roi for roi in row["rois"] if roi["kind"] == "lesion"]
    if kind == "modality":
        named = [word for word in MODALITY_WORDS if re.search(rf"\b{re.escape(word)}\b", question)]
        return ("yes" if MODALITY_WORDS[named[0]] == row["modality"] else "no") if closed else record["answer"] \
            if MODALITY_WORDS.get(record["answer"]) == row["modality"] else "wrong modality"
    if kind == "plane":
        named = [plane for plane in ("axial", "coronal", "sagittal") if plane in question]
        return ("yes" if named[0] == row["plane"] else "no") if closed else row["plane"]
    if kind == "sequence":
        tokens = json.loads(row["metadata_json"])["mr_sequence"]
        if not closed:
            return " ".join(token.upper() for token in tokens)
        named = re.search(r"\b(T1|T2|PD|FLAIR|DWI|ADC|STIR|SWI|GRE|DCE)\b", question).group(1)
        return "yes" if named.lower() in tokens else "no"
    if kind == "count":
        return ("yes" if len(lesions) > 1 else "no") if closed else str(len(lesions))
    roi = _roi_of(record, row)
    if lesions:  # lesion questions are about the largest lesion
        assert roi["largest_diameter_mm"] == max(r["largest_diameter_mm"] for r in lesions)
        assert ("largest lesion" in question) == (len(lesions) > 1)
    else:
        assert roi["label"] in question
    if kind == "side":
        side = "left" if "left" in question.replace(roi["label"], "") else "right"
        return ("yes" if side == roi["patient_side"] else "no") if closed else roi["patient_side"]
    if kind == "organ":
        if not closed:
            return roi["containing_organ"]
        named = re.search(r"(?:in|within) the ([a-z ]+)\?", question).group(1)
        return "yes" if named == roi["containing_organ"] else "no"
    if kind == "size":
        if not closed:
            return f"{roi['largest_diameter_mm']:.1f} mm"
        threshold_mm = 10 * float(re.search(r"(\d+(?:\.\d+)?) cm", question).group(1))
        assert abs(roi["largest_diameter_mm"] - threshold_mm) >= 2.0  # no question at the edge of the measurement
        return "yes" if roi["largest_diameter_mm"] > threshold_mm else "no"
    if kind == "presence":
        return "yes"
    raise AssertionError(f"unexpected kind {kind}")


def _check_run(run, needed_kinds):
    rows = {row["id"]: row for row in read_rows(run)}
    records = generate_questions(rows.values())
    for record in records:
        assert record["answer"] == _expected_answer(record, rows[record["row_id"]]), record
        assert record["question"].endswith("?") and "{" not in record["question"]
    kinds = {(r["kind"], r["answer_type"]) for r in records}
    assert needed_kinds <= kinds, needed_kinds - kinds
    closed = [r for r in records if r["answer_type"] == "CLOSED"]
    share_yes = sum(r["answer"] == "yes" for r in closed) / len(closed)
    assert 0.4 <= share_yes <= 0.6
    assert {r["answer"] for r in closed} == {"yes", "no"}
    assert len({r["id"] for r in records}) == len(records)
    for kind in ("side", "size", "modality"):  # wording varies
        assert len({r["template"] for r in records if r["kind"] == kind}) >= 2
    return records


def test_phantom_answers_agree_with_the_rois(phantom_run):
    needed = {(kind, answer_type) for kind in ("organ", "side", "size", "count", "modality", "plane")
              for answer_type in ("OPEN", "CLOSED")}
    records = _check_run(phantom_run, needed)
    for record in records:
        assert "description" not in json.dumps(record["evidence"])
    organs = {r["answer"] for r in records if r["kind"] == "organ" and r["answer_type"] == "OPEN"}
    assert organs == {"liver", "spleen"}  # the phantom's lesions: liver and spleen (issue: per-organ truth)
    assert any(r["kind"] == "organ" and r["answer"] == "no" for r in records)


def test_totalsegmentator_answers_agree_with_the_rois(totalsegmentator_run):
    needed = {("side", "OPEN"), ("side", "CLOSED"), ("size", "OPEN"), ("size", "CLOSED"), ("presence", "CLOSED"),
              ("modality", "OPEN"), ("plane", "CLOSED")}
    records = _check_run(totalsegmentator_run, needed)
    sides = {(r["question"].split(" the ")[-1], r["answer"]) for r in records
             if r["kind"] == "side" and r["answer_type"] == "OPEN" and "liver" in r["question"]}
    assert sides and all(answer == "right" for _, answer in sides)  # the liver is on the patient's right
    spleen = [r for r in records if r["kind"] == "side" and r["answer_type"] == "OPEN" and "spleen" in r["question"]]
    assert spleen and all(r["answer"] == "left" for r in spleen)


def test_demo_run_answers_agree_with_the_rois(tmp_path, shared_data):
    from medtrinity.demo import demo_config

    out = tmp_path / "demo"
    assert run_pipeline(demo_config(out), out).complete
    needed = {(kind, answer_type) for kind in ("organ", "side", "size", "count", "modality", "plane")
              for answer_type in ("OPEN", "CLOSED")} | {("presence", "CLOSED")}
    records = _check_run(out, needed)
    counts = {r["answer"] for r in records if r["kind"] == "count" and r["answer_type"] == "OPEN"}
    assert {"1", "2"} <= counts  # the brain MRI lesion is in two pieces on some slices
    modalities = {r["answer"] for r in records if r["kind"] == "modality" and r["answer_type"] == "OPEN"}
    assert modalities == {"CT", "MRI"}


def test_cli_generate_export_and_score_round_trip(phantom_run, tmp_path):
    questions = tmp_path / "q.jsonl"
    command = [sys.executable, "-m", "medtrinity", "vqa"]
    result = subprocess.run([*command, "generate", str(phantom_run), "--out", str(questions)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in questions.read_text().splitlines()]
    assert {"id", "row_id", "question", "answer", "answer_type", "kind", "evidence"} <= set(records[0])
    export = tmp_path / "llava"
    result = subprocess.run([*command, "export", str(phantom_run), "--format", "llava", "--out", str(export),
                             "--pairs", str(questions)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    conversations = json.loads((export / "vqa_llava.json").read_text())
    assert sum(len(c["conversations"]) for c in conversations) == 2 * len(records)
    assert all(c["conversations"][0]["value"].startswith("<image>\n") for c in conversations)
    assert all((export / c["image"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in conversations)
    # a model that always answers "yes": closed accuracy is the share of yes answers, open recall 0
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text("".join(json.dumps({"question_id": i, "text": "yes"}) + "\n" for i in range(len(records))))
    result = subprocess.run([*command, "score", "--pred", str(predictions), "--gt", str(questions), "--json"],
                            capture_output=True, text=True, timeout=120)
    summary = json.loads(result.stdout)
    closed = [r for r in records if r["answer_type"] == "CLOSED"]
    assert summary["closed_accuracy"] == pytest.approx(100 * sum(r["answer"] == "yes" for r in closed) / len(closed))


def test_streamed_generation_and_export_equal_the_whole_list(phantom_run, tmp_path):
    """The CLI streams rows and questions; the file and the LLaVA JSON are what the in-memory path writes."""
    from medtrinity.evaluation.llava_export import export_llava, llava_conversations
    from medtrinity.evaluation.questions import iter_questions
    from medtrinity.evaluation.row_facts import iter_rows

    records = generate_questions(read_rows(phantom_run), seed=5)
    assert list(iter_questions(iter_rows(phantom_run, batch_rows=7), seed=5)) == records
    records[0]["question"] = "Is the lesion \"hypodense\" — or not?"  # quotes and non-ASCII survive the stream
    counts = export_llava(phantom_run, iter(records), tmp_path / "llava")
    conversations = list(llava_conversations(records))
    text = (tmp_path / "llava" / "vqa_llava.json").read_text(encoding="utf-8")
    assert text == json.dumps(conversations, ensure_ascii=False, indent=1)
    assert counts == {"conversations": len(conversations), "turns": len(records), "images": len(conversations)}
    assert json.dumps([], indent=1) == "[]" and export_llava(phantom_run, [], tmp_path / "none")["images"] == 0
    assert (tmp_path / "none" / "vqa_llava.json").read_text() == "[]"


def test_export_refuses_a_row_whose_questions_come_back_later(phantom_run, tmp_path):
    from medtrinity.evaluation.llava_export import export_llava

    records = generate_questions(read_rows(phantom_run))
    rows = list(dict.fromkeys(record["row_id"] for record in records))
    split = next(row for row in rows if sum(r["row_id"] == row for r in records) >= 2)
    first = [r for r in records if r["row_id"] == split]
    second = [r for r in records if r["row_id"] == next(row for row in rows if row != split)]
    with pytest.raises(ValueError, match=rf"questions of row '{split}' are not together"):
        export_llava(phantom_run, first[:1] + second + first[1:], tmp_path / "llava")
    assert not list((tmp_path / "llava").glob("vqa_llava.json*"))  # nothing half-written or staged is left


def test_generate_on_a_folder_without_parts_fails_before_writing(tmp_path):
    result = subprocess.run([sys.executable, "-m", "medtrinity", "vqa", "generate", str(tmp_path), "--out",
                             str(tmp_path / "q.jsonl")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no triplets/part-*.parquet" in result.stderr
    assert not (tmp_path / "q.jsonl").exists()


def test_export_naming_a_row_the_run_lacks_fails_and_leaves_no_file(phantom_run, tmp_path):
    from medtrinity.evaluation.llava_export import export_llava

    records = generate_questions(read_rows(phantom_run))[:3]
    stranger = {**records[-1], "row_id": "not-in-this-run"}
    with pytest.raises(FileNotFoundError, match=r"1 rows named by the questions are not in triplets/.*not-in-this-run"):
        export_llava(phantom_run, [*records, stranger], tmp_path / "llava")
    assert not list((tmp_path / "llava").glob("vqa_llava.json*"))


def test_vqa_export_guards_its_folder_and_writes_a_manifest_check_reads(phantom_run, tmp_path):
    """Like `medtrinity export`: a folder holding anything is refused (and left as it was) unless --overwrite,
    and the export carries a manifest that `medtrinity check` verifies file by file."""
    command = [sys.executable, "-m", "medtrinity"]
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    result = subprocess.run([*command, "vqa", "export", str(phantom_run), "--out", str(taken)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "folder exists and is not empty" in result.stderr
    assert sorted(path.name for path in taken.iterdir()) == ["notes.txt"]
    result = subprocess.run([*command, "vqa", "export", str(phantom_run), "--out", str(taken), "--overwrite"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (taken / "notes.txt").exists() and (taken / "vqa_llava.json").exists()
    manifest = json.loads((taken / "manifest.json").read_text())
    conversations = json.loads((taken / "vqa_llava.json").read_text())
    assert manifest["format"] == "vqa-llava" and manifest["written"]["conversations"] == len(conversations)
    assert len(manifest["files"]) == len(conversations) + 1  # the JSON and one PNG per conversation
    result = subprocess.run([*command, "check", str(taken)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "vqa-llava export" in result.stdout, result.stdout + result.stderr
    changed = next(iter((taken / "images").glob("*.png")))
    changed.write_bytes(b"not a png")
    result = subprocess.run([*command, "check", str(taken)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and f"images/{changed.name}: 9 bytes, the manifest says" in result.stderr
