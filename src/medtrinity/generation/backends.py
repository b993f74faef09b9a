"""The description backend interface and its registry.

Built in: ``composer`` (offline, deterministic), ``openai`` (any server speaking the OpenAI
chat-completions API with images: vLLM, SGLang, Ollama, LM Studio, OpenAI), ``vllm`` (a local
vLLM engine, an optional extra) and ``transformers`` (batched ``generate`` with a local
vision-language model, an optional extra). Third-party backends register under the entry-point group
``medtrinity.backends``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from medtrinity.records import Description, Sample, SampleError
from medtrinity.registry import PluginOptions, Registry, registry, validate_options

BACKENDS: Registry[type[DescriptionBackend]] = registry("backends")


class DescriptionBackend(ABC):
    """Writes the five-section description of one grounded sample.

    ``cache_root`` is the run's cache folder (``RunFolder.cache_dir``, ``<out>/_cache``), where a backend
    that calls a model keeps its request cache (``<out>/_cache/llm``) unless its options name another folder.
    ``batch_size`` is how many samples the shard runner hands to :meth:`describe_batch` at once.
    ``self.options`` is the validated ``Options`` model (typed attributes; its defaults are the only ones).
    """

    Options: ClassVar[type[PluginOptions]]  # the options model, checked when the config is loaded
    dependencies: ClassVar[tuple[tuple[str, str], ...]] = ()  # (import name, install command) beyond the core
    name: str = ""
    batch_size: int = 1

    def __init__(self, options: dict[str, Any] | None = None, *, cache_root: Path | None = None):
        self.options = validate_options(type(self).Options, options, f"backend {self.name} options")
        self.cache_root = cache_root

    @abstractmethod
    def describe(self, sample: Sample) -> Description:
        """Return the description; raise SampleError when the sample cannot be described."""

    def describe_batch(self, samples: list[Sample]) -> list[Description | SampleError]:
        """Describe many samples (a model backend runs them concurrently); a failure is returned, not raised."""
        results: list[Description | SampleError] = []
        for sample in samples:
            try:
                results.append(self.describe(sample))
            except SampleError as error:
                results.append(error)
        return results

    answers_prompts: bool = False  # whether complete_json works (model backends); the judge needs it

    def complete_json(self, messages: list[dict[str, Any]]) -> str:
        """Send chat messages and return the reply text (used by the judge); model backends implement it."""
        raise TypeError(f"the {self.name!r} backend writes from measurements and cannot answer free prompts; "
                        "name a model backend (openai, vllm) as quality.judge_backend")

    def complete_json_batch(self, conversations: list[list[dict[str, Any]]]) -> list[str | Exception]:
        """Many prompts at once (a model backend sends them concurrently); a failure is returned in its place."""
        results: list[str | Exception] = []
        for messages in conversations:
            try:
                results.append(self.complete_json(messages))
            except (SampleError, ValueError) as error:
                results.append(error)
        return results


class ModelBackend(DescriptionBackend):
    """A backend that asks a model: work is done in batches, single calls are batches of one."""

    answers_prompts = True

    @abstractmethod
    def describe_batch(self, samples: list[Sample]) -> list[Description | SampleError]:
        """Describe many samples at once; a per-sample failure is returned in its place."""

    @abstractmethod
    def complete_json_batch(self, conversations: list[list[dict[str, Any]]]) -> list[str | Exception]:
        """Reply texts to many conversations at once; a failure is returned in its place."""

    def describe(self, sample: Sample) -> Description:
        result = self.describe_batch([sample])[0]
        if isinstance(result, SampleError):
            raise result
        return result

    def complete_json(self, messages: list[dict[str, Any]]) -> str:
        result = self.complete_json_batch([messages])[0]
        if isinstance(result, Exception):
            raise result
        return result


def make_backend(name: str, options: dict[str, Any] | None = None, *, cache_root: Path | None = None
                 ) -> DescriptionBackend:
    """Instantiate a registered backend by name with its options."""
    return BACKENDS.get(name)(options, cache_root=cache_root)
