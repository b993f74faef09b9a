"""Loaders for VQA evaluation sets in their own formats, and for prediction files as LLaVA-Med writes them.

- **VQA-RAD** (``testset.json``: a list with ``qid``, ``image_name``, ``question``, ``answer``,
  ``answer_type``; images in ``images/`` beside it). Prediction id: ``qid - 1``.
- **SLAKE** (``test.json``: ``qid``, ``img_id``, ``img_name`` like ``xmlab102/source.jpg``,
  ``question``, ``answer``, ``q_lang``, ``answer_type``, ``modality``, ``location``,
  ``content_type``; images under ``imgs/``, each folder with ``mask.png`` and
  ``detection.json``, a list of ``{organ: [x, y, w, h]}``). English questions by default.
- **PathVQA**, the Hugging Face parquet release (``test-*.parquet`` with ``image``
  {bytes, path}, ``question``, ``answer``): yes/no answers are CLOSED, the rest OPEN.
- **LLaVA-Med** converted test files (``test.json`` records with ``id``, ``answer_type`` and
  ``conversations`` whose second turn is the answer), and this project's own
  ``medtrinity vqa generate`` JSONL.

Every question carries two ids: ``position`` (0-based place among the loaded questions) and
``native_id`` (VQA-RAD ``qid - 1``, SLAKE ``qid``, LLaVA-Med ``id``, otherwise the position).
A prediction file may use either; :func:`match_id_scheme` tells which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medtrinity.evaluation.normalize import normalize_answer

BENCHMARK_KINDS = ("vqa_rad", "slake", "pathvqa", "llava", "medtrinity")


@dataclass
class BenchmarkQuestion:
    """One evaluation question with the ids predictions may use and the image it is about."""

    position: int
    native_id: int
    question: str
    answer: str
    answer_type: str
    image: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Benchmark:
    """A loaded evaluation set: its kind, where it lives, its questions, and where its images are."""

    kind: str
    path: Path
    questions: list[BenchmarkQuestion]
    image_root: Path | None = None

    def truths(self, scheme: str) -> list[tuple[int, str, str]]:
        """(question id under ``scheme`` (position or native), answer_type, answer) for the scorer."""
        key = (lambda q: q.position) if scheme == "position" else (lambda q: q.native_id)
        return [(key(q), q.answer_type, q.answer) for q in self.questions]


class BenchmarkError(ValueError):
    """An evaluation or prediction file that cannot be read, with the file and the problem named."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BenchmarkError(f"{path}: not readable as JSON ({error})") from error


def _answer_type(value: Any, path: Path, index: int) -> str:
    kind = str(value or "").strip().upper()
    if kind not in {"OPEN", "CLOSED"}:
        raise BenchmarkError(f"{path}: record {index} has answer_type {value!r}, expected OPEN or CLOSED")
    return kind


def _require(record: Any, keys: tuple[str, ...], path: Path, index: int) -> None:
    if not isinstance(record, dict):
        raise BenchmarkError(f"{path}: record {index} is a {type(record).__name__}, not an object")
    missing = [key for key in keys if key not in record]
    if missing:
        raise BenchmarkError(f"{path}: record {index} lacks {', '.join(missing)}")


def load_vqa_rad(path: Path) -> Benchmark:
    """VQA-RAD ``testset.json`` (or any of its split files); prediction ids are ``qid - 1``."""
    records = _read_json(path)
    if not isinstance(records, list):
        raise BenchmarkError(f"{path}: expected a list of VQA-RAD questions, found {type(records).__name__}")
    questions = []
    for index, record in enumerate(records):
        _require(record, ("qid", "image_name", "question", "answer", "answer_type"), path, index)
        questions.append(BenchmarkQuestion(
            position=index, native_id=int(record["qid"]) - 1, question=str(record["question"]),
            answer=str(record["answer"]), answer_type=_answer_type(record["answer_type"], path, index),
            image=str(record["image_name"]),
            extra={k: record[k] for k in ("image_organ", "question_type", "phrase_type") if k in record},
        ))
    return Benchmark("vqa_rad", path, questions, path.parent / "images")


def _slake_boxes(folder: Path) -> list[dict[str, Any]]:
    """SLAKE ``detection.json`` boxes as ``{"label", "bbox_xyxy"}`` (input is [x, y, w, h])."""
    path = folder / "detection.json"
    if not path.is_file():
        return []
    entries = _read_json(path)
    entries = [entries] if isinstance(entries, dict) else entries
    boxes = []
    for entry in entries if isinstance(entries, list) else []:
        for label, box in (entry.items() if isinstance(entry, dict) else []):
            if not (isinstance(box, list) and len(box) == 4):
                raise BenchmarkError(f"{path}: box of {label!r} is {box!r}, expected [x, y, w, h]")
            x, y, width, height = (float(v) for v in box)
            boxes.append({"label": str(label), "bbox_xyxy": [x, y, x + width, y + height]})
    return boxes


def load_slake(path: Path, language: str | None = "en") -> Benchmark:
    """SLAKE ``test.json``; ``language`` keeps questions whose ``q_lang`` matches (None keeps all)."""
    records = _read_json(path)
    if not isinstance(records, list):
        raise BenchmarkError(f"{path}: expected a list of SLAKE questions, found {type(records).__name__}")
    image_root = path.parent / "imgs"
    annotations: dict[str, dict[str, Any]] = {}
    questions = []
    for index, record in enumerate(records):
        _require(record, ("qid", "img_name", "question", "answer", "answer_type", "q_lang"), path, index)
        if language is not None and record["q_lang"] != language:
            continue
        image = str(record["img_name"])
        if image not in annotations:
            folder = (image_root / image).parent
            mask = folder / "mask.png"
            annotations[image] = {"mask": str(mask) if mask.is_file() else None, "boxes": _slake_boxes(folder)}
        extra = {k: record[k] for k in ("img_id", "q_lang", "location", "modality", "content_type", "base_type")
                 if k in record}
        questions.append(BenchmarkQuestion(
            position=len(questions), native_id=int(record["qid"]), question=str(record["question"]),
            answer=str(record["answer"]), answer_type=_answer_type(record["answer_type"], path, index),
            image=image, extra={**extra, **annotations[image]},
        ))
    return Benchmark("slake", path, questions, image_root)


def pathvqa_files(path: Path) -> list[Path]:
    """The parquet shards of a PathVQA release: the file itself, or ``test-*.parquet`` in a folder or ``data/``."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("test-*.parquet")) or sorted(path.glob("data/test-*.parquet"))
    if not files:
        raise BenchmarkError(f"{path}: no test-*.parquet files (the Hugging Face PathVQA release)")
    return files


def load_pathvqa(path: Path) -> Benchmark:
    """PathVQA from its parquet shards in name order; the answer type follows from yes/no answers."""
    import pyarrow.parquet as pq

    questions = []
    for file in pathvqa_files(path):
        try:
            table = pq.read_table(file, columns=["question", "answer"])
        except Exception as error:
            raise BenchmarkError(f"{file}: not a PathVQA parquet shard with question and answer ({error})") from error
        for row in table.to_pylist():
            answer = str(row["answer"])
            kind = "CLOSED" if normalize_answer(answer) in {"yes", "no"} else "OPEN"
            position = len(questions)
            questions.append(BenchmarkQuestion(position, position, str(row["question"]), answer, kind,
                                               image=f"{file.name}#{position}", extra={"file": file.name}))
    return Benchmark("pathvqa", path, questions)


def load_llava_conversations(path: Path) -> Benchmark:
    """A LLaVA-Med converted test file: ``id``, ``answer_type``, ``conversations`` [question, answer]."""
    records = _read_json(path)
    questions = []
    for index, record in enumerate(records if isinstance(records, list) else []):
        _require(record, ("id", "answer_type"), path, index)
        turns = record.get("conversations") or record.get("conversatons") or []
        if len(turns) < 2:
            raise BenchmarkError(f"{path}: record {index} has fewer than two conversation turns")
        native = record["id"]
        questions.append(BenchmarkQuestion(
            position=index, native_id=int(native) if str(native).lstrip("-").isdigit() else index,
            question=str(turns[0].get("value", "")).replace("<image>", "").strip(),
            answer=str(turns[1].get("value", "")), answer_type=_answer_type(record["answer_type"], path, index),
            image=str(record.get("image", "")),
        ))
    return Benchmark("llava", path, questions, path.parent)


def load_generated(path: Path) -> Benchmark:
    """The JSONL written by ``medtrinity vqa generate``; ids are line positions."""
    questions = []
    for index, record in enumerate(read_jsonl(path)):
        _require(record, ("question", "answer", "answer_type"), path, index)
        questions.append(BenchmarkQuestion(index, index, str(record["question"]), str(record["answer"]),
                                           _answer_type(record["answer_type"], path, index),
                                           image=str(record.get("row_id", "")), extra={"kind": record.get("kind")}))
    return Benchmark("medtrinity", path, questions)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON-lines file; a broken line is an error naming the file and line number."""
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BenchmarkError(f"{path}: not readable ({error})") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BenchmarkError(f"{path}: line {number} is not JSON ({error.msg})") from error
        if not isinstance(record, dict):
            raise BenchmarkError(f"{path}: line {number} is not a JSON object")
        records.append(record)
    return records


def detect_kind(path: Path) -> tuple[str, Path]:
    """Which evaluation format ``path`` holds, and the file (or folder) to load."""
    if path.is_dir():
        for name, kind in (("testset.json", "vqa_rad"), ("test.json", None), ("Slake1.0/test.json", "slake")):
            if (path / name).is_file():
                return detect_kind(path / name) if kind is None else (kind, path / name)
        pathvqa_files(path)
        return "pathvqa", path
    if not path.is_file():
        raise BenchmarkError(f"{path}: no such evaluation file or folder")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "pathvqa", path
    if suffix == ".jsonl":
        return "medtrinity", path
    records = _read_json(path)
    first = records[0] if isinstance(records, list) and records else None
    if not isinstance(first, dict):
        raise BenchmarkError(f"{path}: expected a non-empty list of question records")
    if "conversations" in first or "conversatons" in first:
        return "llava", path
    if "q_lang" in first or "img_name" in first:
        return "slake", path
    if "image_name" in first and "qid" in first:
        return "vqa_rad", path
    raise BenchmarkError(f"{path}: records with keys {sorted(first)[:8]} match no known VQA benchmark format")


def load_benchmark(path: Path | str, kind: str | None = None, language: str | None = "en") -> Benchmark:
    """Load an evaluation set, detecting its format unless ``kind`` names it."""
    detected, target = detect_kind(Path(path))
    kind = kind or detected
    loaders = {"vqa_rad": load_vqa_rad, "slake": lambda p: load_slake(p, language), "pathvqa": load_pathvqa,
               "llava": load_llava_conversations, "medtrinity": load_generated}
    if kind not in loaders:
        raise BenchmarkError(f"unknown benchmark kind {kind!r}; known: {', '.join(BENCHMARK_KINDS)}")
    benchmark = loaders[kind](target)
    if not benchmark.questions:
        raise BenchmarkError(f"{target}: no questions loaded")
    return benchmark


def load_predictions(path: Path) -> dict[int, str]:
    """LLaVA-Med answer file: one JSON per line with ``question_id`` and ``text``; repeated ids are an error."""
    predictions: dict[int, str] = {}
    for index, record in enumerate(read_jsonl(path)):
        if "question_id" not in record or "text" not in record:
            raise BenchmarkError(f"{path}: prediction {index} lacks question_id or text")
        try:
            question_id = int(record["question_id"])
        except (TypeError, ValueError) as error:
            raise BenchmarkError(f"{path}: prediction {index} has question_id {record['question_id']!r}, "
                                 "not an integer") from error
        if question_id in predictions:
            raise BenchmarkError(f"{path}: question_id {question_id} appears twice")
        predictions[question_id] = str(record["text"] if record["text"] is not None else "")
    return predictions


def match_id_scheme(benchmark: Benchmark, predictions: dict[int, str], scheme: str = "auto") -> str:
    """``native`` or ``position``: the id scheme the predictions use (auto: the one covering all their ids)."""
    if scheme in {"native", "position"}:
        return scheme
    if scheme != "auto":
        raise BenchmarkError(f"id scheme {scheme!r}: expected auto, native or position")
    ids = set(predictions)
    if ids <= {q.native_id for q in benchmark.questions}:
        return "native"
    if ids <= {q.position for q in benchmark.questions}:
        return "position"
    raise BenchmarkError(f"prediction ids fit neither the {benchmark.kind} native ids nor 0-based positions "
                         f"({len(benchmark.questions)} questions)")
