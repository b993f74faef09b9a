"""The ``openai`` backend: any server that speaks the OpenAI chat-completions API with images.

vLLM (``vllm serve``), SGLang, Ollama, LM Studio and OpenAI itself all do. Options
(``generation.options`` in the config):

``base_url`` (required, e.g. ``http://127.0.0.1:8000/v1``), ``model`` (required),
``api_key_env`` (environment variable holding the key; default ``OPENAI_API_KEY``; local servers
take any key, so a missing variable sends ``EMPTY``), ``max_concurrency`` (requests in flight),
``timeout_s``, ``max_retries`` and ``backoff_s`` / ``backoff_max_s`` (retries with exponential
backoff on 429, 5xx, timeouts, dropped connections and unreadable responses; ``Retry-After``
respected), ``cache_dir`` (default ``<out>/_cache/llm``; ``cache: false`` turns it off),
``temperature`` (0), ``max_tokens``, ``images`` (``[overlay]``, add ``clean`` to send the clean
image too), ``response_format`` (``json_object`` or ``none``), ``prompt_version``,
``batch_size`` (samples handed over at once by the shard runner), ``extra_body`` (passed through,
e.g. vLLM's guided decoding).

Every request is cached under the sha256 of the whole request body, so a resumed run never
sends an answered request again. A reply that does not parse as the five-section JSON is
retried once with a repair message, then the sample is rejected (``unparseable_reply``); a
request that still fails after the retries rejects the sample (``llm_unavailable``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from medtrinity.generation.backends import BACKENDS, ModelBackend
from medtrinity.generation.cache import RequestCache, request_key
from medtrinity.generation.prompt import (
    DEFAULT_PROMPT_VERSION,
    ReplyError,
    build_messages,
    parse_sections,
    repair_message,
    sentences_with_evidence,
    validate_sample,
)
from medtrinity.records import DESCRIPTION_SECTIONS, Description, Sample, SampleError
from medtrinity.registry import PluginOptions, require_dependency


class OpenAISettings(PluginOptions):
    """Validated options of the ``openai`` backend."""

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int = Field(default=8, ge=1)
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    backoff_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    cache: bool = True
    cache_dir: str | None = None
    temperature: float = 0.0
    max_tokens: int = Field(default=1024, ge=1)
    images: list[Literal["overlay", "clean"]] = Field(default_factory=lambda: ["overlay"])
    response_format: Literal["json_object", "none"] = "json_object"
    prompt_version: str = DEFAULT_PROMPT_VERSION
    batch_size: int = Field(default=64, ge=1)
    extra_body: dict[str, Any] = Field(default_factory=dict)


class _Unusable(Exception):
    """A response that arrived but cannot be read (broken JSON, no choices): retried like a 5xx."""


_RETRY_STATUS = {408, 409, 425, 429}


def _run_sync(coroutine):
    """Run a coroutine to completion, also from code that already runs an event loop (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@BACKENDS.register("openai")
class OpenAIBackend(ModelBackend):
    """Five-section descriptions from a multimodal model behind an OpenAI-compatible server."""

    name = "openai"
    Options = OpenAISettings
    dependencies = (("openai", "pip install 'openai>=1.40'"),)

    def __init__(self, options: dict[str, Any] | None = None, *, cache_root: Path | None = None):
        super().__init__(options, cache_root=cache_root)
        self.batch_size = self.options.batch_size
        folder = self.options.cache_dir or (str(Path(cache_root) / "llm") if cache_root else None)
        self.cache = RequestCache(folder) if self.options.cache and folder else None
        self.counters = {"requests": 0, "cache_hits": 0, "retries": 0, "failed_requests": 0}

    # ------------------------------------------------------------------ public

    def describe_batch(self, samples: list[Sample]) -> list[Description | SampleError]:
        return _run_sync(self._run(self._describe, samples))

    def complete_json_batch(self, conversations: list[list[dict[str, Any]]]) -> list[str | Exception]:
        async def one(client, semaphore, inflight, messages):
            reply = await self._complete(client, semaphore, inflight, self._request(messages))
            return reply["content"]

        return _run_sync(self._run(one, conversations))

    # ------------------------------------------------------------------ machinery

    async def _run(self, work, items: list) -> list:
        openai = require_dependency(self, "openai")
        client = openai.AsyncOpenAI(
            base_url=self.options.base_url,
            api_key=os.environ.get(self.options.api_key_env) or "EMPTY",
            timeout=self.options.timeout_s,
            max_retries=0,  # the retry policy is ours
        )
        semaphore = asyncio.Semaphore(self.options.max_concurrency)
        inflight: dict[str, asyncio.Future] = {}
        try:
            results = await asyncio.gather(*(work(client, semaphore, inflight, item) for item in items),
                                           return_exceptions=True)
        finally:
            await client.close()
        return [
            r if not isinstance(r, BaseException) or isinstance(r, SampleError)
            else SampleError("generate_error", f"{type(r).__name__}: {r}")
            for r in results
        ]

    def _request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.options.model,
            "messages": messages,
            "temperature": self.options.temperature,
            "max_tokens": self.options.max_tokens,
        }
        if self.options.response_format == "json_object":
            request["response_format"] = {"type": "json_object"}
        request.update(self.options.extra_body)
        return request

    async def _complete(self, client, semaphore, inflight, request: dict[str, Any]) -> dict[str, Any]:
        """The reply to one request: from the cache, from a request already in flight, or from the server."""
        key = request_key(request)
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                self.counters["cache_hits"] += 1
                return cached
        if key in inflight:
            return await asyncio.shield(inflight[key])
        future = asyncio.get_running_loop().create_future()
        inflight[key] = future
        try:
            reply = await self._send(client, semaphore, request)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            inflight.pop(key, None)
        future.set_result(reply)
        if self.cache is not None:
            self.cache.put(key, reply)
        return reply

    async def _send(self, client, semaphore, request: dict[str, Any]) -> dict[str, Any]:
        import openai

        settings = self.options
        body = {k: v for k, v in request.items() if k not in {"model", "messages"}}
        standard = {"temperature", "max_tokens", "response_format"}
        extra = {k: v for k, v in body.items() if k not in standard}
        last = ""
        for attempt in range(settings.max_retries + 1):
            wait = None
            try:
                async with semaphore:
                    self.counters["requests"] += 1
                    response = await client.chat.completions.create(
                        model=request["model"], messages=request["messages"],
                        **{k: v for k, v in body.items() if k in standard},
                        **({"extra_body": extra} if extra else {}),
                    )
                return self._reply(response)
            except openai.APIStatusError as error:
                if error.status_code not in _RETRY_STATUS and error.status_code < 500:
                    self.counters["failed_requests"] += 1
                    message = f"{settings.base_url} answered HTTP {error.status_code}: {error.message}"
                    raise SampleError("llm_request_failed", message) from None
                last, wait = f"HTTP {error.status_code}", _retry_after(error)
            except openai.APITimeoutError:
                last = f"no reply within {settings.timeout_s:g} s"
            except openai.APIConnectionError as error:
                last = f"connection failed ({type(error.__cause__ or error).__name__})"
            except (_Unusable, openai.APIResponseValidationError, json.JSONDecodeError) as error:
                last = f"unreadable response ({error})"
            if attempt < settings.max_retries:
                self.counters["retries"] += 1
                delay = min(settings.backoff_max_s, settings.backoff_s * 2**attempt) * random.uniform(0.5, 1.0)
                await asyncio.sleep(min(settings.backoff_max_s, wait) if wait is not None else delay)
        self.counters["failed_requests"] += 1
        raise SampleError("llm_unavailable", f"{settings.base_url} model {settings.model}: {last} "
                                             f"after {settings.max_retries + 1} attempts")

    @staticmethod
    def _reply(response: Any) -> dict[str, Any]:
        try:
            choice = response.choices[0]
            content = choice.message.content
        except (AttributeError, IndexError, TypeError) as error:
            raise _Unusable(f"no choices in the response: {str(response)[:120]!r}") from error
        if content is not None and not isinstance(content, str):
            raise _Unusable("the message content is not text")
        return {"content": content or "", "finish_reason": getattr(choice, "finish_reason", None)}

    async def _describe(self, client, semaphore, inflight, sample: Sample) -> Description | SampleError:
        settings = self.options
        try:
            validate_sample(sample)
            messages = build_messages(sample, settings.prompt_version, tuple(settings.images))
            reply = await self._complete(client, semaphore, inflight, self._request(messages))
            try:
                sections = parse_sections(reply["content"])
            except ReplyError as first:
                repaired = [*messages, {"role": "assistant", "content": reply["content"]},
                            repair_message(settings.prompt_version, str(first))]
                reply = await self._complete(client, semaphore, inflight, self._request(repaired))
                try:
                    sections = parse_sections(reply["content"])
                except ReplyError as second:
                    return SampleError("unparseable_reply", f"model {settings.model}: {second} "
                                                            f"(asked twice; first reply: {first})")
        except SampleError as error:
            return error
        clean, sentences = sentences_with_evidence(sections, sample)
        return Description(
            sections=clean,
            text=" ".join(clean[name] for name in DESCRIPTION_SECTIONS if clean[name]),
            backend=self.name,
            model=settings.model,
            prompt_version=settings.prompt_version,
            sentences=sentences,
        )
