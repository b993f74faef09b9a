"""The vllm backend's batching and repair-once rule, with a stand-in for the vllm package."""

from __future__ import annotations

import json
import sys
import types

import pytest

from medtrinity.generation.backends import make_backend
from medtrinity.records import Description, Sample, SampleError

GOOD = json.dumps({"modality": "An axial CT.", "organs": "Liver.", "roi_analysis": "None.", "texture": "None.",
                   "relations": "None."})


class _Output:
    def __init__(self, text: str):
        self.outputs = [types.SimpleNamespace(text=text)]


@pytest.fixture
def fake_vllm(monkeypatch):
    calls: list[list] = []

    class LLM:
        def __init__(self, model: str, tensor_parallel_size: int = 1, **engine):
            self.model = model

        def chat(self, conversations, params, use_tqdm=False):
            calls.append(conversations)
            replies = []
            for messages in conversations:
                text = messages[1]["content"][0]["text"]
                repair = len(messages) > 2
                if "hopeless" in text:
                    replies.append(_Output("no json"))
                elif "repairable" in text and not repair:
                    replies.append(_Output("Sure! Here you go"))
                else:
                    replies.append(_Output(GOOD))
            return replies

    module = types.SimpleNamespace(LLM=LLM, SamplingParams=lambda **kwargs: kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    from medtrinity.generation import vllm_backend

    vllm_backend._engine.cache_clear()
    yield calls
    vllm_backend._engine.cache_clear()


def _sample(caption: str) -> Sample:
    import numpy as np

    sample = Sample(id=caption, source="s", case_id="c", modality="ct", body_part="abdomen",
                    pixels=np.zeros((16, 16), np.float32), image=np.zeros((16, 16), np.uint8))
    sample.coarse_caption = caption
    return sample


def test_batch_with_one_repair_and_one_reject(fake_vllm):
    backend = make_backend("vllm", {"model": "local/model", "batch_size": 8})
    results = backend.describe_batch([_sample("fine"), _sample("repairable"), _sample("hopeless")])
    assert isinstance(results[0], Description) and results[0].backend == "vllm"
    assert isinstance(results[1], Description) and results[1].sections["modality"] == "An axial CT."
    assert isinstance(results[2], SampleError) and results[2].code == "unparseable_reply"
    assert [len(batch) for batch in fake_vllm] == [3, 2]  # one batch, then one repair batch
    assert backend.batch_size == 8


def test_model_is_required(fake_vllm):
    with pytest.raises(ValueError, match="model"):
        make_backend("vllm", {})
