"""The ``vllm`` backend: a local vLLM engine generating descriptions in batches on a GPU node.

An optional extra (``pip install vllm``) that cannot run on machines without a GPU; vLLM is
imported only when the backend is built, and its absence fails with the install command. On a
cluster, run the pipeline with the Ray executor and give each worker a GPU: every worker process
builds its own engine once. The prompt, the parsing and the repair-once rule are those of the
``openai`` backend; the engine takes the same chat messages (``LLM.chat``).

Options: ``model`` (required, a local path or hub name), ``tensor_parallel_size`` (1),
``max_tokens`` (1024), ``temperature`` (0), ``images`` (``[overlay]``), ``prompt_version``,
``batch_size`` (64), ``engine`` (extra keyword arguments for ``vllm.LLM``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from medtrinity.generation.backends import BACKENDS
from medtrinity.generation.local_model import LocalModelBackend
from medtrinity.generation.prompt import DEFAULT_PROMPT_VERSION
from medtrinity.registry import PluginOptions, require_dependency


@lru_cache(maxsize=1)
def _engine(model: str, tensor_parallel_size: int, engine_items: tuple[tuple[str, Any], ...]):
    vllm = require_dependency(VLLMBackend, "vllm")
    return vllm.LLM(model=model, tensor_parallel_size=tensor_parallel_size, **dict(engine_items))


class VLLMOptions(PluginOptions):
    """Options of the ``vllm`` backend."""

    model: str
    prompt_version: str = DEFAULT_PROMPT_VERSION
    images: list[Literal["overlay", "clean"]] = Field(default_factory=lambda: ["overlay"])
    batch_size: int = Field(default=64, ge=1)
    tensor_parallel_size: int = Field(default=1, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    max_tokens: int = Field(default=1024, ge=1)
    engine: dict[str, Any] = Field(default_factory=dict)


@BACKENDS.register("vllm")
class VLLMBackend(LocalModelBackend):
    """Batch generation with a vLLM engine in this process (one engine per worker)."""

    name = "vllm"
    Options = VLLMOptions
    dependencies = (("vllm", "pip install vllm"),)

    def __init__(self, options: dict[str, Any] | None = None, *, cache_root: Path | None = None):
        super().__init__(options, cache_root=cache_root)
        self.vllm = require_dependency(self, "vllm")
        self.model = self.options.model
        self.prompt_version = self.options.prompt_version
        self.images = tuple(self.options.images)
        self.batch_size = self.options.batch_size

    def _generate(self, conversations: list[list[dict[str, Any]]]) -> list[str]:
        engine = _engine(self.model, self.options.tensor_parallel_size, tuple(sorted(self.options.engine.items())))
        params = self.vllm.SamplingParams(temperature=self.options.temperature, max_tokens=self.options.max_tokens)
        outputs = engine.chat(conversations, params, use_tqdm=False)
        return [output.outputs[0].text if output.outputs else "" for output in outputs]
