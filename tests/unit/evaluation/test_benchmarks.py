"""Loaders for VQA-RAD (the shared real files), SLAKE and PathVQA (miniature replicas of their releases)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from medtrinity.evaluation.benchmarks import BenchmarkError, load_benchmark, load_predictions


def _jpeg(seed: int, size=(64, 48)) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def write_slake(root):
    """Slake1.0 layout: test.json (English and Chinese rows) and imgs/xmlabN/{source.jpg, mask.png, detection.json}."""
    records = []
    for img_id in (1, 102):
        folder = root / "imgs" / f"xmlab{img_id}"
        folder.mkdir(parents=True)
        (folder / "source.jpg").write_bytes(_jpeg(img_id))
        Image.fromarray(np.zeros((48, 64), np.uint8)).save(folder / "mask.png")
        (folder / "detection.json").write_text(json.dumps([{"Liver": [10.0, 12.0, 20.0, 8.0]},
                                                           {"Spleen": [40.0, 5.0, 6.0, 6.0]}]))
        base = {"img_id": img_id, "img_name": f"xmlab{img_id}/source.jpg", "location": "Abdomen",
                "modality": "CT", "base_type": "vqa", "triple": ["vhead", "_", "_"]}
        records += [
            {**base, "qid": 10 * img_id, "question": "Does the picture contain liver?", "answer": "Yes",
             "q_lang": "en", "answer_type": "CLOSED", "content_type": "Organ"},
            {**base, "qid": 10 * img_id + 1, "question": "图像中有肝脏吗？", "answer": "是", "q_lang": "zh",
             "answer_type": "CLOSED", "content_type": "Organ"},
            {**base, "qid": 10 * img_id + 2, "question": "What modality is used to take this image?",
             "answer": "CT", "q_lang": "en", "answer_type": "OPEN", "content_type": "Modality"},
        ]
    (root / "test.json").write_text(json.dumps(records, ensure_ascii=False, indent=4), encoding="utf-8")
    return root / "test.json"


def write_pathvqa(folder, rows=(("Is this a section of the liver?", "yes"), ("What is present?", "necrosis"),
                                ("Are nuclei visible?", "no"))):
    """The Hugging Face release: data/test-0000N-of-00002.parquet with image {bytes, path}, question, answer."""
    features = {"image": {"_type": "Image"}, "question": {"dtype": "string", "_type": "Value"},
                "answer": {"dtype": "string", "_type": "Value"}}
    schema = pa.schema([("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                        ("question", pa.string()), ("answer", pa.string())],
                       metadata={"huggingface": json.dumps({"info": {"features": features}})})
    (folder / "data").mkdir(parents=True)
    halves = [rows[:2], rows[2:]]
    position = 0
    for shard, part in enumerate(halves):
        table = pa.Table.from_pylist([{"image": {"bytes": _jpeg(100 + position + i), "path": None},
                                       "question": q, "answer": a} for i, (q, a) in enumerate(part)], schema)
        pq.write_table(table, folder / "data" / f"test-{shard:05d}-of-00002.parquet")
        position += len(part)
    return folder


def test_slake_english_questions_with_masks_and_boxes(tmp_path):
    write_slake(tmp_path)
    benchmark = load_benchmark(tmp_path)
    assert benchmark.kind == "slake" and len(benchmark.questions) == 4
    assert [q.native_id for q in benchmark.questions] == [10, 12, 1020, 1022]
    assert [q.position for q in benchmark.questions] == [0, 1, 2, 3]
    first = benchmark.questions[0]
    assert first.answer_type == "CLOSED" and first.extra["content_type"] == "Organ"
    assert first.extra["mask"].endswith("xmlab1/mask.png")
    assert first.extra["boxes"] == [{"label": "Liver", "bbox_xyxy": [10.0, 12.0, 30.0, 20.0]},
                                    {"label": "Spleen", "bbox_xyxy": [40.0, 5.0, 46.0, 11.0]}]
    assert len(load_benchmark(tmp_path / "test.json", language=None).questions) == 6


def test_pathvqa_parquet_release(tmp_path):
    write_pathvqa(tmp_path)
    benchmark = load_benchmark(tmp_path)
    assert benchmark.kind == "pathvqa"
    assert [(q.position, q.answer_type, q.answer) for q in benchmark.questions] == [
        (0, "CLOSED", "yes"), (1, "OPEN", "necrosis"), (2, "CLOSED", "no")]


def test_llava_med_converted_test_file(tmp_path):
    records = [{"id": 7, "image": "synpic1.jpg", "answer_type": "OPEN",
                "conversations": [{"from": "human", "value": "<image>\nWhere is the lesion?"},
                                  {"from": "gpt", "value": "left lung"}]}]
    (tmp_path / "test.json").write_text(json.dumps(records))
    benchmark = load_benchmark(tmp_path / "test.json")
    assert benchmark.kind == "llava" and benchmark.questions[0].native_id == 7
    assert benchmark.questions[0].question == "Where is the lesion?" and benchmark.questions[0].answer == "left lung"


def test_bad_files_name_the_file_and_problem(tmp_path):
    broken = tmp_path / "testset.json"
    broken.write_text('[{"qid": 1, "image_name": "a.jpg", "question": "q", "answer": "a", "answer_type": "MAYBE"}]')
    with pytest.raises(BenchmarkError, match=r"testset.json: record 0 has answer_type 'MAYBE'"):
        load_benchmark(broken)
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text('{"question_id": 0, "text": "a"}\n{"question_id": 0, "text": "b"}\n')
    with pytest.raises(BenchmarkError, match="question_id 0 appears twice"):
        load_predictions(predictions)


def _medtrinity(*args):
    return subprocess.run([sys.executable, "-m", "medtrinity", *args], capture_output=True, text=True, timeout=120)


def test_real_vqa_rad_scored_by_the_cli(shared_data, tmp_path):
    gt = shared_data / "vqa_rad" / "testset.json"
    records = json.loads(gt.read_text())
    benchmark = load_benchmark(gt)
    assert (len(benchmark.questions), sum(q.answer_type == "CLOSED" for q in benchmark.questions)) == (451, 272)
    perfect = tmp_path / "perfect.jsonl"
    perfect.write_text("".join(json.dumps({"question_id": r["qid"] - 1, "text": r["answer"]}) + "\n"
                               for r in records))
    result = _medtrinity("vqa", "score", "--pred", str(perfect), "--gt", str(gt), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["open_recall"] == 100.0 and summary["closed_accuracy"] == 100.0
    assert summary["exact_match"]["all"] == 100.0 and summary["id_scheme"] == "native"
    always_yes = tmp_path / "yes.jsonl"   # by position this time
    always_yes.write_text("".join(json.dumps({"question_id": i, "text": "Yes."}) + "\n" for i in range(len(records))))
    summary = json.loads(_medtrinity("vqa", "score", "--pred", str(always_yes), "--gt", str(gt), "--json").stdout)
    closed = [r for r in records if r["answer_type"] == "CLOSED"]
    expected = sum(r["answer"].strip().lower() == "yes" for r in closed) / len(closed)
    assert summary["id_scheme"] == "position"
    assert summary["closed_accuracy"] == pytest.approx(100 * expected, abs=1e-3)
    assert summary["open_recall"] == 0.0
    result = _medtrinity("vqa", "score", "--pred", str(always_yes), "--gt", str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "absent.json" in result.stderr


def test_evaluation_images_of_each_set_kind(tmp_path):
    from medtrinity.evaluation.evaluation_images import evaluation_set

    write_slake(tmp_path / "slake")
    slake = evaluation_set(tmp_path / "slake" / "test.json")
    assert sorted(image.name for image in slake.images()) == ["xmlab1/source.jpg", "xmlab102/source.jpg"]
    rows = (("Is this liver?", "yes"), ("What is present?", "necrosis"), ("Are nuclei visible?", "no"))
    write_pathvqa(tmp_path / "pathvqa", rows)
    images = list(evaluation_set(tmp_path / "pathvqa").images())
    assert [image.pixels.shape for image in images] == [(48, 64, 3)] * 3
    assert len({image.file_sha256 for image in images}) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="neither a VQA benchmark nor a folder with images"):
        evaluation_set(empty)
