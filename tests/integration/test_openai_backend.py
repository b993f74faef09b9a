"""The ``openai`` backend against a server process on 127.0.0.1 that speaks the same HTTP API.

Faults: slow replies, 429, 500, broken JSON bodies, dropped connections and replies that are not
the requested JSON. After faults every sample ends with a description or as a reject, never
lost, and a re-run (same request cache) sends no answered request again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from medtrinity.config import ConfigError, GroundingConfig, PreprocessConfig, parse_config
from medtrinity.generation.backends import make_backend
from medtrinity.generation.prompt import build_messages
from medtrinity.grounding.rois import ground_sample
from medtrinity.phantom import LESIONS
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.records import Description, SampleError
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline
from medtrinity.sources import make_reader

SERVER = Path(__file__).with_name("fake_openai_server.py")
pytestmark = pytest.mark.timeout(120)


class FakeServer:
    """The fake server process, started with some arguments and stopped by its handle."""

    def __init__(self, folder: Path, *args: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "requests.jsonl"
        port_file = folder / "port"
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--port-file", str(port_file), "--log", str(self.log), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake server did not start: {self.process.stderr.read().decode()[-500:]}")
            time.sleep(0.02)
        self.base_url = f"http://127.0.0.1:{int(port_file.read_text())}/v1"

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def server_factory(tmp_path):
    started: list[FakeServer] = []

    def start(*args: str) -> FakeServer:
        server = FakeServer(tmp_path / f"server{len(started)}", *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def lesion_samples():
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom"}]})
    samples = []
    for sample in make_reader(config.sources[0], config).read("phantom-000"):
        if sample.slice_index in {LESIONS[0].center_zyx_px[0] + d for d in range(-4, 4)}:
            preprocess_sample(sample, PreprocessConfig())
            samples.append(ground_sample(sample, GroundingConfig()))
    return samples


def _options(server: FakeServer, tmp_path: Path, **overrides) -> dict:
    options = {"base_url": server.base_url, "model": "fake-vlm", "timeout_s": 0.5, "max_retries": 3,
               "backoff_s": 0.01, "backoff_max_s": 0.05, "max_concurrency": 4, "cache_dir": str(tmp_path / "cache")}
    options.update(overrides)
    return options


def test_each_fault_is_retried_then_answered_and_cached(server_factory, tmp_path, lesion_samples):
    server = server_factory("--script", "429,500,drop,badjson,slow", "--slow-s", "1.5")
    backend = make_backend("openai", _options(server, tmp_path, max_retries=5))
    sample = lesion_samples[0]
    description = backend.describe(sample)
    assert isinstance(description, Description) and description.backend == "openai"
    assert description.model == "fake-vlm" and description.prompt_version == "describe-v4"
    assert description.sections["relations"].startswith("The regions relate")
    outcomes = [entry["outcome"] for entry in server.requests()]
    assert outcomes == ["429", "500", "drop", "badjson", "slow", "ok"]
    assert backend.counters["requests"] == 6 and backend.counters["retries"] == 5

    again = make_backend("openai", _options(server, tmp_path, max_retries=5))
    assert again.describe(sample) == description
    assert len(server.requests()) == 6 and again.counters == {"requests": 0, "cache_hits": 1, "retries": 0,
                                                              "failed_requests": 0}


def test_a_server_that_never_recovers_rejects_the_sample(server_factory, tmp_path, lesion_samples):
    server = server_factory("--script", "500,429,drop,500,500,500,500")
    backend = make_backend("openai", _options(server, tmp_path, max_retries=2))
    result = backend.describe_batch(lesion_samples[:1])[0]
    assert isinstance(result, SampleError) and result.code == "llm_unavailable"
    assert "after 3 attempts" in result.message and "connection failed" in result.message
    with pytest.raises(SampleError, match="llm_unavailable"):
        backend.describe(lesion_samples[0])


def test_a_reply_that_does_not_parse_is_retried_once_then_rejected(server_factory, tmp_path, lesion_samples):
    repaired = server_factory("--script", "garbage1")
    description = make_backend("openai", _options(repaired, tmp_path / "a")).describe(lesion_samples[0])
    assert description.sections["modality"]
    assert [len(entry) for entry in repaired.requests()] and len(repaired.requests()) == 2

    hopeless = server_factory("--script", "garbage,garbage,garbage")
    result = make_backend("openai", _options(hopeless, tmp_path / "b")).describe_batch(lesion_samples[:1])[0]
    assert isinstance(result, SampleError) and result.code == "unparseable_reply"
    assert "no JSON object" in result.message
    assert len(hopeless.requests()) == 2  # the first request and one repair request, nothing more


def test_requests_run_concurrently_up_to_the_limit(server_factory, tmp_path, lesion_samples):
    server = server_factory("--delay-s", "0.4")
    backend = make_backend("openai", _options(server, tmp_path, max_concurrency=4, timeout_s=5))
    results = backend.describe_batch(lesion_samples[:8])
    assert all(isinstance(result, Description) for result in results)
    # the server counts requests in flight at once: concurrency shown by counting, not by timing (no timed asserts)
    peak = max(entry["inflight"] for entry in server.requests())
    assert 2 <= peak <= 4


def test_the_request_is_what_the_paper_gives_the_model(server_factory, tmp_path, lesion_samples):
    server = server_factory()
    backend = make_backend("openai", _options(server, tmp_path))
    sample = next(s for s in lesion_samples if any(roi.kind == "lesion" for roi in s.rois))
    messages = build_messages(sample)
    text = messages[1]["content"][0]["text"]
    assert "1. liver lesion (lesion)" in text and "patient's right side" in text
    assert messages[1]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert backend.describe(sample).text


def _pipeline_config(server: FakeServer, cache: Path, **quality) -> dict:
    return {
        "sources": [{"name": "phantom_ct", "reader": "phantom", "path": "phantom", "options": {"cases": 1}}],
        "knowledge": {"kb": "none"},
        "generation": {"backend": "openai", "options": {
            "base_url": server.base_url, "model": "fake-vlm", "timeout_s": 0.5, "max_retries": 3, "backoff_s": 0.01,
            "backoff_max_s": 0.05, "max_concurrency": 6, "cache_dir": str(cache), "batch_size": 16}},
        "quality": quality,
    }


def test_pipeline_after_faults_loses_nothing_and_a_rerun_sends_nothing_twice(server_factory, tmp_path):
    server = server_factory("--faulty", "--slow-s", "1.0")
    config = parse_config(_pipeline_config(server, tmp_path / "cache"))
    first = run_pipeline(config, tmp_path / "run1")
    assert first.complete
    assert first.triplets + first.rejects == 40  # every phantom slice ends as a row or a reject
    rejects = read_parquet_folder(tmp_path / "run1" / "rejects").to_pylist()
    assert {row["stage"] for row in rejects} <= {"generate"}
    assert {row["code"] for row in rejects} <= {"llm_unavailable", "unparseable_reply"}
    assert {row["code"] for row in rejects} == {"llm_unavailable", "unparseable_reply"}  # the plan has both
    outcomes = Counter(entry["outcome"] for entry in server.requests())
    assert {"429", "500", "drop", "badjson", "slow", "garbage", "ok"} <= set(outcomes)
    stats = json.loads((tmp_path / "run1" / "stats.json").read_text())
    assert stats["stages"]["generate"]["rejected"] == first.rejects

    answered_before = len(server.requests())
    second = run_pipeline(config, tmp_path / "run2")
    assert (second.triplets, second.rejects) == (first.triplets, first.rejects)
    second_rows, first_rows = (read_parquet_folder(tmp_path / run / "triplets") for run in ("run2", "run1"))
    assert second_rows.equals(first_rows)
    new = server.requests()[answered_before:]
    assert all(entry["outcome"] == "500" for entry in new)  # only the never-answered requests are sent again
    answered = Counter(e["key"] for e in server.requests() if e["outcome"] in {"ok", "garbage"})
    assert max(answered.values()) == 1  # no request was answered twice


def test_descriptions_from_a_model_are_verified_too(server_factory, tmp_path):
    server = server_factory("--say", "This axial MRI of the brain shows the lesion.")
    config = parse_config(_pipeline_config(server, tmp_path / "cache", on_contradiction="flag"))
    summary = run_pipeline(config, tmp_path / "run")
    rows = read_parquet_folder(tmp_path / "run" / "triplets").to_pylist()
    assert summary.triplets == 40 and {row["qc_status"] for row in rows} == {"flag"}
    assert all("modality_mismatch" in {issue["code"] for issue in row["qc_issues"]} for row in rows)
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    assert stats["qc"]["flag"] == 40 and stats["qc"]["issues"]["modality_mismatch"] == 40
    assert stats["qc"]["issues"]["body_part_mismatch"] == 40  # brain is not where the phantom's organs are


def test_model_mistakes_of_issue_9_are_flagged_on_model_text(server_factory, tmp_path):
    """Organ nobody labelled, a diagnosis no label names, a number without unit: flagged on every row."""
    server = server_factory("--say", "The liver lesion measures 35 x 26 and most likely represents a hepatic "
                                     "metastasis; the pancreas is unremarkable.")
    config = parse_config(_pipeline_config(server, tmp_path / "cache", on_contradiction="flag"))
    run_pipeline(config, tmp_path / "run")
    rows = read_parquet_folder(tmp_path / "run" / "triplets").to_pylist()
    assert rows and {row["qc_status"] for row in rows} == {"flag"}
    for row in rows:
        codes = {issue["code"] for issue in row["qc_issues"]}
        assert {"number_without_unit", "diagnosis_unsupported", "organ_unsupported"} <= codes, codes


def test_the_judge_scores_every_row_through_the_same_backend(server_factory, tmp_path):
    server = server_factory("--judge")
    config = parse_config(_pipeline_config(server, tmp_path / "cache", judge=True))
    summary = run_pipeline(config, tmp_path / "run")
    rows = read_parquet_folder(tmp_path / "run" / "triplets").to_pylist()
    assert summary.triplets == 40
    assert all(row["judge_scores"] == {name: 0.8 for name in row["description_sections"]} for row in rows)
    keys = [entry["key"] for entry in server.requests()]
    assert len(keys) == len(set(keys)) > 40  # description and judge requests; identical ones are sent once


def test_the_judge_needs_a_backend_that_answers_prompts(tmp_path):
    config = parse_config({"sources": [phantom_source_dict()], "quality": {"judge": True}})
    with pytest.raises(ConfigError, match="answers prompts"):
        run_pipeline(config, tmp_path / "never")
    with pytest.raises(ConfigError, match="pip install vllm"):
        run_pipeline(parse_config({"sources": [phantom_source_dict()],
                                   "generation": {"backend": "vllm", "options": {"model": "m"}}}), tmp_path / "never")


def phantom_source_dict() -> dict:
    return {"name": "phantom_ct", "reader": "phantom", "path": "phantom", "options": {"cases": 1}}


def test_works_from_inside_a_running_event_loop(server_factory, tmp_path, lesion_samples):
    import asyncio

    server = server_factory()
    backend = make_backend("openai", _options(server, tmp_path))

    async def notebook_cell():
        return backend.describe_batch(lesion_samples[:2])

    results = asyncio.run(notebook_cell())
    assert all(isinstance(result, Description) for result in results)
