"""What every in-process model backend shares: prompts in, JSON sections out, one repair round.

A subclass only says how to turn chat conversations into reply texts (``_generate``, one batch
at a time); building the prompt, parsing the five sections, asking once more after an unusable
reply and turning replies into :class:`Description` records happen here, identically for the
``vllm`` and ``transformers`` engines.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from medtrinity.generation.backends import ModelBackend
from medtrinity.generation.prompt import (
    DEFAULT_PROMPT_VERSION,
    ReplyError,
    build_messages,
    parse_sections,
    repair_message,
    sentences_with_evidence,
)
from medtrinity.records import DESCRIPTION_SECTIONS, Description, Sample, SampleError


class LocalModelBackend(ModelBackend):
    """A model run inside the worker process, asked in batches of ``batch_size`` conversations."""

    model: str = ""
    prompt_version: str = DEFAULT_PROMPT_VERSION
    images: tuple[str, ...] = ("overlay",)

    @abstractmethod
    def _generate(self, conversations: list[list[dict[str, Any]]]) -> list[str]:
        """One reply text per conversation, in order (the engine's batched generation)."""

    def describe_batch(self, samples: list[Sample]) -> list[Description | SampleError]:
        conversations = [build_messages(s, self.prompt_version, self.images) for s in samples]
        replies = self._generate(conversations)
        results: list[Description | SampleError | None] = [None] * len(samples)
        retry: list[int] = []
        for index, reply in enumerate(replies):
            try:
                results[index] = self._description(samples[index], parse_sections(reply))
            except ReplyError as error:
                conversations[index] = [*conversations[index], {"role": "assistant", "content": reply},
                                        repair_message(self.prompt_version, str(error))]
                retry.append(index)
        if retry:
            for index, reply in zip(retry, self._generate([conversations[i] for i in retry]), strict=True):
                try:
                    results[index] = self._description(samples[index], parse_sections(reply))
                except ReplyError as error:
                    results[index] = SampleError("unparseable_reply", f"model {self.model}: {error} (asked twice)")
        return results  # type: ignore[return-value]

    def _description(self, sample: Sample, sections: dict[str, str]) -> Description:
        clean, sentences = sentences_with_evidence(sections, sample)
        return Description(sections=clean, text=" ".join(clean[n] for n in DESCRIPTION_SECTIONS if clean[n]),
                           backend=self.name, model=self.model, prompt_version=self.prompt_version,
                           sentences=sentences)

    def complete_json_batch(self, conversations: list[list[dict[str, Any]]]) -> list[str | Exception]:
        return list(self._generate(conversations))
