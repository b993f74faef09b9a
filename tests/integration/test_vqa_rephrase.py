"""LLM rephrasing of VQA questions through the openai backend, against the local fake server.

The fake stands in for a model server (none can run here); it rewords most questions, slips a
negation into some (the checker must refuse them) and answers some without JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from medtrinity.config import parse_config
from medtrinity.evaluation.questions import generate_questions
from medtrinity.evaluation.rephrase import rephrase_records, rephrase_stream, rephrasing_problem
from medtrinity.evaluation.row_facts import read_rows
from medtrinity.runner import run_pipeline

from .helpers import phantom_source
from .test_openai_backend import FakeServer

pytestmark = pytest.mark.timeout(180)


def test_rephrased_questions_keep_their_answers(tmp_path):
    out = tmp_path / "run"
    assert run_pipeline(parse_config({"sources": [phantom_source()]}), out).complete
    rows = [row for row in read_rows(out) if any(roi["kind"] == "lesion" for roi in row["rois"])][:4]
    records = generate_questions(rows)
    template = [dict(record) for record in records]
    server = FakeServer(tmp_path / "server", "--rephrase")
    try:
        options = {"base_url": server.base_url, "model": "fake-llm", "max_retries": 0, "timeout_s": 5}
        counts = rephrase_records(records, "openai", options, cache_root=out)
        sent = len(server.requests())
        again = [dict(record) for record in template]
        assert rephrase_records(again, "openai", options, cache_root=out) == counts
        assert len(server.requests()) == sent  # answered from the request cache
        streamed_counts: dict[str, int] = {}  # as vqa generate streams them: a backend batch of 3 at a time
        streamed = rephrase_stream(iter([dict(record) for record in template]), "openai", options, out,
                                   streamed_counts, batch_records=3)
        assert list(streamed) == records and streamed_counts == counts
        questions = tmp_path / "q.jsonl"
        result = subprocess.run([sys.executable, "-m", "medtrinity", "vqa", "generate", str(out), "--out",
                                 str(questions), "--rephrase-backend", "openai", "--rephrase-options",
                                 json.dumps(options)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "rephrasing: rephrased" in result.stdout
        written = [json.loads(line) for line in questions.read_text().splitlines()]
        assert {r["rephrase"]["status"] for r in written} == {"rephrased", "kept_template"}
    finally:
        server.stop()
    assert counts["rephrased"] > 0 and counts["kept_template"] > 0 and counts["failed_request"] == 0
    assert sent == len({record["question"] for record in template})  # one request per distinct question
    reasons = {r["rephrase"].get("reason") for r in records if r["rephrase"]["status"] == "kept_template"}
    assert reasons <= {"added negation 'not'", "reply is not JSON with a question", "no longer a yes/no question"}
    assert "added negation 'not'" in reasons
    for record, original in zip(records, template, strict=True):
        assert record["answer"] == original["answer"] and record["answer_type"] == original["answer_type"]
        if record["rephrase"]["status"] == "rephrased":
            assert record["question"] != original["question"]
            assert record["rephrase"]["template_question"] == original["question"]
            assert rephrasing_problem(original, record["question"]) is None
            assert " not " not in f" {record['question']} "
        else:
            assert record["question"] == original["question"]
