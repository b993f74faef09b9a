"""The judge: a model scores each description with the paper's five-attribute rubric.

Off by default (``quality.judge: true`` turns it on). It asks a backend that answers prompts
(``openai`` or ``vllm``; by default the generation backend, else ``quality.judge_backend`` with
``quality.judge_options``) through the same interface as generation, with the versioned prompt
``judge-v1``: the measured facts as text plus the description, and gets back five scores. Scores
on a 1..5 scale are mapped to 0..1. They are stored per row in ``judge_scores``; a judge that
fails leaves the row unscored (``judge_scores`` null) and counts the note ``judge_failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from medtrinity.config import QualityConfig
from medtrinity.generation.backends import DescriptionBackend, make_backend
from medtrinity.generation.prompt import ReplyError, load_template, parse_json_object, prompt_fields
from medtrinity.records import DESCRIPTION_SECTIONS, Sample

DEFAULT_JUDGE_PROMPT = "judge-v1"


def judge_messages(sample: Sample, version: str = DEFAULT_JUDGE_PROMPT) -> list[dict[str, Any]]:
    """System rubric plus the measured facts and the description to score."""
    fields = prompt_fields(sample)
    fields["description"] = sample.description.text if sample.description else ""
    return [
        {"role": "system", "content": load_template(version, "system").substitute(fields)},
        {"role": "user", "content": load_template(version, "user").substitute(fields)},
    ]


def parse_scores(reply: str | None) -> dict[str, float]:
    """Five scores in 0..1 from a judge reply (a 1..5 scale is rescaled); raises ReplyError."""
    value = parse_json_object(reply)
    scores: dict[str, float] = {}
    for name in DESCRIPTION_SECTIONS:
        item = value.get(name)
        if isinstance(item, dict):
            item = item.get("score")
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise ReplyError(f"the judge gave no number for {name!r}")
        scores[name] = float(item)
    if any(score > 1.0 for score in scores.values()):
        if any(score < 1.0 or score > 5.0 for score in scores.values()):
            raise ReplyError(f"judge scores are neither in 0..1 nor in 1..5: {scores}")
        scores = {name: (score - 1.0) / 4.0 for name, score in scores.items()}
    if any(score < 0.0 for score in scores.values()):
        raise ReplyError(f"negative judge score: {scores}")
    return {name: round(score, 4) for name, score in scores.items()}


class Judge:
    """Scores samples in place (``sample.judge_scores``), one by one or as a batch."""

    def __init__(self, backend: DescriptionBackend, version: str = DEFAULT_JUDGE_PROMPT):
        if not backend.answers_prompts:
            raise ValueError(
                f"quality.judge needs a backend that answers prompts (openai or vllm), not {backend.name!r}; "
                "set quality.judge_backend and quality.judge_options"
            )
        self.backend = backend
        self.version = version
        load_template(version, "system")  # fail now on an unknown prompt version

    def score(self, samples: list[Sample]) -> None:
        replies = self.backend.complete_json_batch([judge_messages(sample, self.version) for sample in samples])
        for sample, reply in zip(samples, replies, strict=True):
            try:
                if isinstance(reply, Exception):
                    raise ReplyError(str(reply))
                sample.judge_scores = parse_scores(reply)
            except ReplyError:
                sample.judge_scores = None  # the verify stage counts these as judge_failed

    def __call__(self, sample: Sample) -> None:
        self.score([sample])


def make_judge(settings: QualityConfig, generation_backend: DescriptionBackend | None = None,
               out_dir: Path | None = None) -> Judge:
    """The judge for these settings: ``judge_backend`` when named, else the generation backend."""
    options = dict(settings.judge_options)
    version = str(options.pop("prompt_version", DEFAULT_JUDGE_PROMPT))
    if settings.judge_backend is not None:
        backend = make_backend(settings.judge_backend, options, cache_root=out_dir)
    elif generation_backend is not None:
        backend = generation_backend
    else:
        raise ValueError("quality.judge is on but no backend is given; set quality.judge_backend")
    return Judge(backend, version)


JudgeFunction = Callable[[Sample], None]
