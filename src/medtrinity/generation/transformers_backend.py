"""The ``transformers`` backend: batched ``generate`` with a local vision-language model, no server.

For nodes where vLLM is not installed (or a model vLLM does not run): any image-text-to-text
model the Hugging Face ``transformers`` library loads with ``AutoModelForImageTextToText`` and
``AutoProcessor`` (LLaVA and LLaVA-Med, Qwen2-VL / Qwen2.5-VL, MedGemma, Idefics, ...). The model
is loaded once per worker process from a local folder (or the hub cache; nothing is downloaded
unless the environment allows it) and asked in batches with left padding and greedy decoding, so
a rerun writes the same text. Prompt, parsing and the repair-once rule are those of ``vllm``.

Options: ``model`` (required: a local folder or hub name), ``batch_size`` (8), ``max_new_tokens``
(512), ``device`` (``auto``: cuda when available, else cpu), ``dtype`` (``auto``: bfloat16 on
cuda, float32 on cpu), ``images`` (``[overlay]``), ``prompt_version``, ``trust_remote_code`` (false),
``generate`` (extra keyword arguments for ``generate``, e.g. ``{min_new_tokens: 256}`` for fixed-length
throughput measurements).
Install: ``pip install 'medtrinity[transformers]'`` (keeps torch pinned to a CPU-or-CUDA build you choose).
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from medtrinity.generation.backends import BACKENDS
from medtrinity.generation.local_model import LocalModelBackend
from medtrinity.generation.prompt import DEFAULT_PROMPT_VERSION
from medtrinity.registry import PluginOptions, require_dependency

_DATA_URL_PREFIX = "data:image/"


@lru_cache(maxsize=2)
def _load(model: str, device: str, dtype: str, trust_remote_code: bool):
    """(model, processor) on ``device``, loaded once per process and model."""
    torch = require_dependency(TransformersBackend, "torch")
    transformers = require_dependency(TransformersBackend, "transformers")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        dtype = "bfloat16" if device.startswith("cuda") else "float32"
    if not hasattr(torch, dtype):
        raise ValueError(f"generation.options.dtype {dtype!r} is not a torch dtype (float32, bfloat16, float16)")
    processor = transformers.AutoProcessor.from_pretrained(model, trust_remote_code=trust_remote_code)
    network = transformers.AutoModelForImageTextToText.from_pretrained(
        model, dtype=getattr(torch, dtype), trust_remote_code=trust_remote_code)
    network.to(device).eval()
    tokenizer = getattr(processor, "tokenizer", processor)
    tokenizer.padding_side = "left"  # batched decoder-only generation continues from the right edge
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return network, processor, device


def _image(url: str):
    """A PIL image from the data URL the prompt builder writes."""
    from PIL import Image

    if not url.startswith(_DATA_URL_PREFIX) or ";base64," not in url:
        raise ValueError(f"the transformers backend takes images as base64 data URLs, got {url[:40]!r}")
    return Image.open(io.BytesIO(base64.b64decode(url.split(";base64,", 1)[1]))).convert("RGB")


def to_hf_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style chat messages -> the content-list form ``processor.apply_chat_template`` takes."""
    converted = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            parts = [{"type": "text", "text": content}]
        else:
            parts = []
            for part in content:
                if part["type"] == "text":
                    parts.append({"type": "text", "text": part["text"]})
                elif part["type"] == "image_url":
                    parts.append({"type": "image", "image": _image(part["image_url"]["url"])})
                else:
                    raise ValueError(f"unknown message part type {part['type']!r}")
        converted.append({"role": message["role"], "content": parts})
    return converted


class TransformersOptions(PluginOptions):
    """Options of the ``transformers`` backend (see the module docstring)."""

    model: str
    batch_size: int = Field(default=8, ge=1)
    max_new_tokens: int = Field(default=512, ge=1)
    device: str = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    images: list[Literal["overlay", "clean"]] = Field(default_factory=lambda: ["overlay"])
    prompt_version: str = DEFAULT_PROMPT_VERSION
    trust_remote_code: bool = False
    generate: dict[str, Any] = Field(default_factory=dict)


@BACKENDS.register("transformers")
class TransformersBackend(LocalModelBackend):
    """Batched greedy generation with a Hugging Face vision-language model in this process."""

    name = "transformers"
    Options = TransformersOptions
    dependencies = (("torch", "pip install 'medtrinity[transformers]'"),
                    ("transformers", "pip install 'medtrinity[transformers]'"))

    def __init__(self, options: dict[str, Any] | None = None, *, cache_root: Path | None = None):
        super().__init__(options, cache_root=cache_root)
        self.torch = require_dependency(self, "torch")
        require_dependency(self, "transformers")
        self.model = self.options.model
        self.prompt_version = self.options.prompt_version
        self.images = tuple(self.options.images)
        self.batch_size = self.options.batch_size
        self.max_new_tokens = self.options.max_new_tokens

    def _engine(self):
        return _load(self.model, self.options.device, self.options.dtype, self.options.trust_remote_code)

    def _generate(self, conversations: list[list[dict[str, Any]]]) -> list[str]:
        network, processor, device = self._engine()
        replies: list[str] = []
        for start in range(0, len(conversations), self.batch_size):
            batch = [to_hf_messages(messages) for messages in conversations[start:start + self.batch_size]]
            inputs = processor.apply_chat_template(batch, add_generation_prompt=True, tokenize=True,
                                                   return_dict=True, return_tensors="pt", padding=True)
            inputs = inputs.to(device)
            with self.torch.inference_mode():
                output = network.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                          **self.options.generate)
            new_tokens = output[:, inputs["input_ids"].shape[1]:]
            replies.extend(processor.batch_decode(new_tokens, skip_special_tokens=True))
        return replies
