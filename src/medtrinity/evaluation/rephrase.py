"""Optional LLM rephrasing of generated questions, through the generation backends, checked before use.

The model sees only the question and the terms it must keep, never the answer, and returns
``{"question": "..."}``. A rephrasing is used only when :func:`rephrasing_problem` finds nothing
wrong: the terms that decide the answer are all still there (organ, side, threshold with its
unit, modality, plane, sequence, structure), no negation, opposite side or new number was
added, a closed question is still a yes/no question, and an open question does not contain its
own answer. Otherwise the template wording stays and the record says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from medtrinity.evaluation.normalize import normalize_answer

SYSTEM_PROMPT = (
    "You rephrase questions about a medical image for a visual question answering dataset. "
    "Keep the meaning exactly: the same subject, organ, side, number with its unit, modality and plane, and "
    "the same yes/no polarity. Do not answer the question and do not add facts. Every term listed under "
    "'keep' must appear unchanged. Reply with a JSON object {\"question\": \"...\"}."
)
YES_NO_STARTS = ("is", "are", "does", "do", "was", "were", "can", "could", "has", "have", "did", "would")
NEGATIONS = ("not", "no", "never", "without", "absent", "neither", "nor")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def kept_terms(record: dict[str, Any]) -> list[str]:
    """The words a rephrasing must keep for the answer to stay the same."""
    asked = record.get("asked") or {}
    terms = []
    for key in ("organ", "side", "modality", "plane", "sequence", "structure"):
        if asked.get(key):
            terms.append(str(asked[key]))
    if asked.get("threshold_mm"):
        terms.append(f"{asked['threshold_mm'] / 10:g} cm")
    if "lesion" in record["question"].lower():
        terms.append("lesion")
    return terms


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("n't", " not"))


def rephrasing_problem(record: dict[str, Any], question: str) -> str | None:
    """Why ``question`` cannot replace the record's question (None when it can)."""
    original = record["question"]
    text = question.strip()
    if not text or not text.endswith("?"):
        return "not a question"
    lowered = f" {' '.join(_words(text))} "
    for term in kept_terms(record):
        if f" {' '.join(_words(term))} " not in lowered:
            return f"lost the term {term!r}"
    new_words, old_words = set(_words(text)), set(_words(original))
    added_negation = sorted((new_words - old_words) & set(NEGATIONS))
    if added_negation:
        return f"added negation {added_negation[0]!r}"
    for side in ("left", "right"):
        if side in new_words and side not in old_words:
            return f"added side {side!r}"
    if sorted(_NUMBER.findall(text)) != sorted(_NUMBER.findall(original)):
        return "changed the numbers"
    clause_starts = {(_words(clause) or [""])[0] for clause in re.split(r"[,:;]", text)}
    if record["answer_type"] == "CLOSED" and not clause_starts & set(YES_NO_STARTS):
        return "no longer a yes/no question"
    if record["answer_type"] == "OPEN":
        answer = normalize_answer(record["answer"])
        if answer and f" {answer} " in f" {normalize_answer(text)} ":
            return "contains its own answer"
    return None


def _messages(record: dict[str, Any]) -> list[dict[str, Any]]:
    payload = {"question": record["question"], "keep": kept_terms(record)}
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": "Rephrase this question.\n" + json.dumps(payload, ensure_ascii=False)}]


def _reply_question(reply: str) -> str | None:
    try:
        value = json.loads(reply)
    except (TypeError, json.JSONDecodeError):
        return None
    question = value.get("question") if isinstance(value, dict) else None
    return question if isinstance(question, str) else None


def rephrase_records(records: list[dict[str, Any]], backend_name: str, options: dict[str, Any],
                     cache_root: Path | None = None) -> dict[str, int]:
    """Rephrase the records' questions in place through a model backend; returns counts by outcome."""
    counts = _zero_counts()
    _rephrase_batch(_prompt_backend(backend_name, options, cache_root), records, counts)
    return counts


def rephrase_stream(records: Iterable[dict[str, Any]], backend_name: str, options: dict[str, Any],
                    cache_root: Path | None, counts: dict[str, int], batch_records: int = 256
                    ) -> Iterator[dict[str, Any]]:
    """The records, rephrased ``batch_records`` at a time (one backend batch each) as they stream by;
    ``counts`` (by outcome) is added to as they pass. The backend is made before the first record."""
    counts.update({key: counts.get(key, 0) for key in _zero_counts()})
    backend = _prompt_backend(backend_name, options, cache_root)
    return _rephrased(backend, iter(records), counts, batch_records)


def _rephrased(backend, records: Iterator[dict[str, Any]], counts: dict[str, int],
               batch_records: int) -> Iterator[dict[str, Any]]:
    while batch := list(islice(records, batch_records)):
        _rephrase_batch(backend, batch, counts)
        yield from batch


def _zero_counts() -> dict[str, int]:
    return {"rephrased": 0, "kept_template": 0, "failed_request": 0}


def _prompt_backend(backend_name: str, options: dict[str, Any], cache_root: Path | None):
    from medtrinity.generation.backends import make_backend

    backend = make_backend(backend_name, options, cache_root=cache_root)
    if not backend.answers_prompts:
        raise ValueError(f"backend {backend_name!r} cannot answer prompts; name a model backend (openai, vllm)")
    return backend


def _rephrase_batch(backend, records: list[dict[str, Any]], counts: dict[str, int]) -> None:
    """Rephrase ``records`` in place through one backend batch; add each outcome to ``counts``."""
    replies = backend.complete_json_batch([_messages(record) for record in records])
    for record, reply in zip(records, replies, strict=True):
        if isinstance(reply, Exception):
            record["rephrase"] = {"status": "failed", "reason": str(reply)[:200]}
            counts["failed_request"] += 1
            continue
        question = _reply_question(reply)
        problem = "reply is not JSON with a question" if question is None else rephrasing_problem(record, question)
        if problem is None:
            record["rephrase"] = {"status": "rephrased", "template_question": record["question"]}
            record["question"] = question.strip()
            counts["rephrased"] += 1
        else:
            record["rephrase"] = {"status": "kept_template", "reason": problem}
            counts["kept_template"] += 1
