"""Versioned prompt templates, the chat messages built from them, and the parsing of model replies.

Templates are text files in ``generation/prompts/`` named ``<version>.<part>.txt`` (parts:
``system``, ``user``, ``repair``); the version is written into every row (``prompt_version``).
The model gets what the paper gives it: the coarse caption, the ROI guidance (numbered ROIs
with their measured attributes as text, plus the overlay image with the same numbers) and the
retrieved passages (marked ``[P1]`` ...), and is asked for the five sections as one JSON object.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Any

from medtrinity.generation.overlay import png_data_url, render_overlay
from medtrinity.io.png import encode_png
from medtrinity.records import BOX_ORIGIN, DESCRIPTION_SECTIONS, ROI, Sample, SampleError, Sentence, outlined_by_expert
from medtrinity.vocab.modalities import modality_name

# v2: no judgement nothing measured (normal, absent, enhancing); v3: no distances between structures
DEFAULT_PROMPT_VERSION = "describe-v4"
MAX_PROMPT_ROIS = 8
MAX_PASSAGE_CHARS = 600


class ReplyError(ValueError):
    """A model reply that cannot be used; the message says why."""


@lru_cache(maxsize=32)
def load_template(version: str, part: str) -> Template:
    """The template ``<version>.<part>.txt`` from the package (fails naming the versions that exist)."""
    folder = resources.files("medtrinity.generation") / "prompts"
    path = folder / f"{version}.{part}.txt"
    if not path.is_file():
        known = sorted({entry.name.split(".")[0] for entry in folder.iterdir() if entry.name.endswith(".txt")})
        raise KeyError(f"no prompt template {version}.{part}.txt; prompt versions: {', '.join(known)}")
    return Template(path.read_text(encoding="utf-8"))


def _number(value: float | None, unit: str, digits: int = 1) -> str | None:
    return None if value is None else f"{value:.{digits}f} {unit}".strip()


def roi_line(number: int, roi: ROI) -> str:
    """One ROI's measured attributes as text, for the prompt."""
    facts = [f"{roi.label} ({roi.kind})"]
    where = [f"{roi.region} part of the image" if roi.region else ""]
    if roi.patient_side in {"left", "right"}:
        where.append(f"patient's {roi.patient_side} side")
    elif roi.patient_side == "midline":
        where.append("near the midline")
    elif roi.patient_side == "both":
        where.append("across both sides of the patient's body")
    organ_part = getattr(roi, "organ_part", "")
    if roi.containing_organ:
        where.append(f"within the {organ_part + ' of the ' if organ_part else ''}{roi.containing_organ}")
    facts.append("location: " + ", ".join(w for w in where if w))
    if roi.origin == BOX_ORIGIN:  # an annotation's box: its sides; shape, margin, area and intensity are empty
        sides = [s for s in (_number(roi.largest_diameter_mm, "mm"), _number(roi.perpendicular_diameter_mm, "mm"))
                 if s]
        facts.append("outline: only a box drawn around it (its shape, margins, area and intensity are unknown)")
        facts.append("box: " + (" x ".join(sides) if sides else f"{roi.area_px} pixels (no physical spacing)"))
    else:
        size = [s for s in (
            _number(roi.largest_diameter_mm, "mm largest diameter"),
            _number(getattr(roi, "perpendicular_diameter_mm", None), "mm perpendicular diameter"),
            _number(roi.area_mm2, "mm2 area", 0),
        ) if s]
        facts.append("size: " + (", ".join(size) if size else f"{roi.area_px} pixels (no physical spacing)"))
    if getattr(roi, "shape", ""):
        facts.append(f"shape: {roi.shape}")
    if getattr(roi, "margin", ""):
        facts.append(f"margin: {roi.margin}")
    if roi.intensity_word:
        contrast = "" if roi.contrast_to_surround is None else (
            f" (mean {roi.contrast_to_surround:+.0f}{' ' + roi.intensity_unit if roi.intensity_unit else ''} "
            "against the surroundings)")
        facts.append(f"intensity: {roi.intensity_word}{contrast}")
    if roi.texture:
        facts.append(f"texture: {roi.texture}")
    if getattr(roi, "colour", ""):
        facts.append(f"colour: {roi.colour}")
    if getattr(roi, "surrounds", ()):
        facts.append("surrounds (wholly inside its outline): " + ", ".join(roi.surrounds[:6]))
    if getattr(roi, "overlies", ()):
        facts.append("drawn over (the box covers part of): " + ", ".join(roi.overlies[:6]))
    if roi.neighbours:
        facts.append("next to: " + ", ".join(roi.neighbours[:6]))
    if roi.count_same_label > 1:
        facts.append(f"one of {roi.count_same_label} regions with this label")
    if roi.volume_ml is not None:
        facts.append(f"whole-volume size of the label: {roi.volume_ml:.1f} ml")
    return f"{number}. " + "; ".join(facts)


def prompt_fields(sample: Sample) -> dict[str, str]:
    """The values that fill a template's ``$placeholders`` for one sample."""
    rois = sample.rois[:MAX_PROMPT_ROIS]
    lines = [roi_line(number, roi) for number, roi in enumerate(rois, start=1)] or ["(no region of interest marked)"]
    if len(sample.rois) > len(rois):
        lines.append(f"({len(sample.rois) - len(rois)} more regions not listed)")
    context = sample.context_rois[:12]
    labelled = [roi.label for roi in context if not outlined_by_expert(roi)]
    outlined = [roi.label for roi in context if outlined_by_expert(roi)]
    if labelled:
        lines.append("Labelled structures in view: " + ", ".join(labelled))
    if outlined:
        lines.append("Structures outlined automatically in view (by an expert model; no annotator labelled them): "
                     + ", ".join(outlined))
    passages = [
        f"[P{number}] {p.title}: {p.text[:MAX_PASSAGE_CHARS]}" for number, p in enumerate(sample.passages, start=1)
    ] or ["(none)"]
    count = len(sample.rois)
    return {
        "caption": sample.coarse_caption or "(none)",
        "modality": modality_name(sample.modality),
        "plane": f", {sample.plane} plane" if sample.plane not in {"", "unknown"} else "",
        "body_part": f", {sample.body_part}" if sample.body_part else "",
        "roi_count": f"{count} region{'s' if count != 1 else ''} of interest.",
        "rois": "\n".join(lines),
        "passages": "\n".join(passages),
    }


def build_messages(sample: Sample, version: str = DEFAULT_PROMPT_VERSION, images: tuple[str, ...] = ("overlay",)
                   ) -> list[dict[str, Any]]:
    """The chat messages for one sample: system rules, then the text prompt with the image(s) as data URLs."""
    fields = prompt_fields(sample)
    system = load_template(version, "system").substitute(fields)
    text = load_template(version, "user").substitute(fields)
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for kind in images:
        if kind == "overlay":
            png = encode_png(render_overlay(sample.image, sample.rois[:MAX_PROMPT_ROIS]))
        elif kind == "clean":
            png = encode_png(sample.image)
        else:
            raise ValueError(f"unknown prompt image {kind!r}; use 'overlay' or 'clean'")
        content.append({"type": "image_url", "image_url": {"url": png_data_url(png)}})
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


def repair_message(version: str, reason: str) -> dict[str, str]:
    """The follow-up asking once more for the JSON object after an unusable reply."""
    return {"role": "user", "content": load_template(version, "repair").substitute(reason=reason)}


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


def parse_json_object(reply: str | None) -> dict[str, Any]:
    """The JSON object in a reply (code fences and text around the braces tolerated)."""
    if not reply or not reply.strip():
        raise ReplyError("the reply is empty")
    text = _FENCE.sub("", reply.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ReplyError("the reply holds no JSON object")
    try:
        value = json.loads(text[start : end + 1])
    except json.JSONDecodeError as error:
        raise ReplyError(f"the reply is not valid JSON ({error.msg} at character {error.pos})") from error
    if not isinstance(value, dict):
        raise ReplyError("the reply's JSON is not an object")
    return value


def parse_sections(reply: str | None) -> dict[str, str]:
    """The five sections of a reply; raises ReplyError naming what is missing or wrong."""
    value = parse_json_object(reply)
    missing = [name for name in DESCRIPTION_SECTIONS if name not in value]
    if missing:
        raise ReplyError(f"the JSON object lacks the field(s) {', '.join(missing)}")
    sections = {}
    for name in DESCRIPTION_SECTIONS:
        item = value[name]
        if isinstance(item, list) and all(isinstance(part, str) for part in item):
            item = " ".join(item)
        if not isinstance(item, str):
            raise ReplyError(f"the field {name!r} is not a string")
        sections[name] = " ".join(item.split())
    if not any(sections.values()):
        raise ReplyError("every section is empty")
    return sections


_CITATION = re.compile(r"\s*\[P(\d+)\]")
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def sentences_with_evidence(sections: dict[str, str], sample: Sample) -> tuple[dict[str, str], list[Sentence]]:
    """Split the sections into sentences; a ``[Pn]`` mark becomes ``passage:<id>`` evidence and is removed
    from the text; a sentence naming an ROI label rests on that ROI (``rois[i]``); others on ``model``."""
    clean_sections: dict[str, str] = {}
    sentences: list[Sentence] = []
    labels = [(index, roi.label.lower()) for index, roi in enumerate(sample.rois)]
    for name in DESCRIPTION_SECTIONS:
        kept = []
        for raw in _SENTENCES.split(sections.get(name, "")):
            if not raw.strip():
                continue
            evidence = []
            for mark in _CITATION.findall(raw):
                number = int(mark) - 1
                if 0 <= number < len(sample.passages):
                    evidence.append(f"passage:{sample.passages[number].id}")
            text = " ".join(_CITATION.sub("", raw).split())
            text = re.sub(r"\s+([.,;:!?])", r"\1", text)
            if not text:
                continue
            lowered = text.lower()
            evidence += [f"rois[{index}]" for index, label in labels if label and label in lowered]
            sentences.append(Sentence(name, text, evidence or ["model"]))
            kept.append(text)
        clean_sections[name] = " ".join(kept)
    return clean_sections, sentences


def validate_sample(sample: Sample) -> None:
    if sample.image is None:
        raise SampleError("no_display_image", f"sample {sample.id} has no display image to send")
