"""Every registered description backend: a strict options model, and a description with the five sections whose
every sentence names its evidence (ROI attribute keys or passage ids).

``composer`` runs here; ``transformers`` needs model weights (skipped); ``openai`` runs against the fake
OpenAI-compatible server of the integration tests (a
real HTTP server on 127.0.0.1 standing in for a model that cannot run on this machine); ``vllm`` needs a GPU
build of vllm and is skipped where it is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from medtrinity.config import ConfigError, parse_config
from medtrinity.generation.backends import make_backend
from medtrinity.pipeline import grounded_samples
from medtrinity.records import DESCRIPTION_SECTIONS
from medtrinity.registry import PluginOptions, missing_dependencies, registry

BACKENDS = registry("backends")
FAKE_SERVER = Path(__file__).parents[1] / "integration" / "fake_openai_server.py"


@pytest.fixture(scope="module")
def lesion_sample():
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom"}],
                           "knowledge": {"kb": "none"}})
    return next(sample for sample in grounded_samples(config) if any(roi.kind == "lesion" for roi in sample.rois))


@pytest.fixture
def openai_options(tmp_path):
    """Start the fake server (127.0.0.1, a free port it writes to a file); stop it by its PID afterwards."""
    port_file = tmp_path / "port"
    process = subprocess.Popen([sys.executable, str(FAKE_SERVER), "--port-file", str(port_file),
                                "--log", str(tmp_path / "requests.jsonl")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the fake OpenAI server did not start")
            time.sleep(0.02)
        base_url = f"http://127.0.0.1:{int(port_file.read_text())}/v1"
        yield {"base_url": base_url, "model": "fake-vlm", "cache": False, "max_retries": 0}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_every_registered_backend_has_a_contract_case():
    assert set(BACKENDS.names()) - {"composer", "openai", "vllm", "transformers"} == set()


@pytest.mark.parametrize("name", sorted(BACKENDS.names()))
def test_backend_declares_a_strict_options_model(name):
    model = BACKENDS.options_model(name)
    assert issubclass(model, PluginOptions) and model.model_config.get("extra") == "forbid"
    with pytest.raises(ConfigError, match=r"generation\.options\.no_such_option: extra inputs are not permitted"):
        parse_config({"sources": [{"name": "s", "reader": "phantom", "path": "p"}],
                      "generation": {"backend": name, "options": {"no_such_option": 1, "model": "m", "base_url": "u"}}})


@pytest.mark.parametrize("name", ["composer", "openai", "vllm", "transformers"])
def test_backend_writes_five_sections_with_evidence(name, lesion_sample, request):
    missing = missing_dependencies(BACKENDS.get(name))
    if missing:
        pytest.skip(f"{name} needs {', '.join(module for module, _ in missing)}, not installed here")
    if name == "transformers":
        pytest.skip("transformers needs a vision-language model's weights, none on this machine "
                    "(its unit tests run a tiny random-weight model)")
    options = request.getfixturevalue("openai_options") if name == "openai" else {}
    description = make_backend(name, options).describe(lesion_sample)
    assert set(description.sections) == set(DESCRIPTION_SECTIONS)
    assert all(description.sections[section].strip() for section in ("modality", "roi_analysis"))
    assert description.text.strip() and description.backend == name
    assert description.sentences
    for sentence in description.sentences:
        assert sentence.section in DESCRIPTION_SECTIONS and sentence.text.strip()
        assert sentence.evidence, f"{name}: sentence without evidence: {sentence.text!r}"
