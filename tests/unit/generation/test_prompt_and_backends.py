"""Prompt templates, the overlay image, reply parsing, and the backend registry (no server needed)."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from medtrinity.generation.backends import make_backend
from medtrinity.generation.coarse import coarse_caption
from medtrinity.generation.overlay import render_overlay
from medtrinity.generation.prompt import (
    ReplyError,
    build_messages,
    load_template,
    parse_sections,
    sentences_with_evidence,
)
from medtrinity.records import Passage, SampleError
from medtrinity.registry import MissingDependencyError


@pytest.fixture(scope="module")
def sample(make_lesion_slice):
    item = make_lesion_slice()
    item.coarse_caption = coarse_caption(item)
    item.passages = [Passage("kb:liver-mets", "kb", "Liver metastases", "Metastases are often hypodense.", 1.0)]
    return item


def test_messages_carry_caption_numbered_rois_passages_and_the_overlay(sample):
    clean_before = sample.image.copy()
    system, user = build_messages(sample, images=("overlay", "clean"))
    assert system["role"] == "system" and "JSON object" in system["content"]
    text = user["content"][0]["text"]
    assert "Coarse caption: Axial CT image of the abdomen with liver lesion." in text
    assert "1. liver lesion (lesion); location: left part of the image, patient's right side" in text
    assert f"{sample.rois[0].largest_diameter_mm:.1f} mm largest diameter" in text
    assert "[P1] Liver metastases: Metastases are often hypodense." in text
    overlay_url, clean_url = (part["image_url"]["url"] for part in user["content"][1:])
    overlay = cv2.imdecode(np.frombuffer(base64.b64decode(overlay_url.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    clean = cv2.imdecode(np.frombuffer(base64.b64decode(clean_url.split(",", 1)[1]), np.uint8), cv2.IMREAD_UNCHANGED)
    assert overlay.shape[:2] == sample.image.shape[:2]
    assert np.array_equal(clean, sample.image) and np.array_equal(sample.image, clean_before)  # image stays clean
    x0, y0, x1, y1 = sample.rois[0].bbox_xyxy
    drawn = overlay[y0:y1, x0:x1]
    assert (drawn[..., 2].astype(int) - drawn[..., 1]).max() > 100  # red outline of ROI 1 drawn


def test_overlay_numbers_each_roi_in_its_own_colour(sample):
    canvas = render_overlay(sample.image, sample.rois)
    assert canvas.ndim == 3 and canvas.dtype == np.uint8
    with pytest.raises(SampleError, match="display image"):
        render_overlay(None, sample.rois)


def test_templates_are_versioned_files():
    assert "$rois" in load_template("describe-v1", "user").template
    # v2 forbids the judgements the verifier flags (assessment_unsupported), v3 also distances
    # (distance_unsupported), v4 (the default) invented findings and devices, the patient and the technique
    # (finding_unsupported, patient_unsupported); earlier versions stay for old runs
    from medtrinity.generation.prompt import DEFAULT_PROMPT_VERSION

    assert DEFAULT_PROMPT_VERSION == "describe-v4"
    rules = load_template(DEFAULT_PROMPT_VERSION, "system").template.lower()
    assert "never call a structure normal" in rules and "cardiothoracic ratio" in rules
    assert "never state a distance" in rules and "never describe the patient" in rules and "no line, tube" in rules
    assert "never describe the patient" not in load_template("describe-v3", "system").template.lower()
    assert "never state a distance" not in load_template("describe-v2", "system").template.lower()
    assert "never call a structure normal" not in load_template("describe-v1", "system").template.lower()
    with pytest.raises(KeyError, match="prompt versions: describe-v1, describe-v2, describe-v3, describe-v4, judge-v1"):
        load_template("describe-v9", "user")


@pytest.mark.parametrize(
    "reply",
    [
        '{"modality": "CT.", "organs": "Liver.", "roi_analysis": "A lesion.", "texture": "Dark.", "relations": "x."}',
        '```json\n{"modality": "CT.", "organs": "Liver.", "roi_analysis": "A lesion.", "texture": "Dark.",'
        ' "relations": ["x.", "y."]}\n```',
        'Here it is: {"modality": "CT.", "organs": "", "roi_analysis": "A.", "texture": "B.", "relations": "C."} ok',
    ],
)
def test_replies_that_parse(reply):
    sections = parse_sections(reply)
    assert sections["modality"] == "CT."


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty"),
        ("I cannot help with that.", "no JSON object"),
        ('{"modality": "CT", "organs": ', "no JSON object"),
        ('{"modality": "CT", "organs": "x", "roi_analysis": "y", "texture": "z", "relations": 5}', "not a string"),
        ('{"modality": "CT"}', "lacks the field"),
        ('{"modality": "CT", "organs": "x", "roi_analysis": "y", "texture": "z" "relations": "w"}', "not valid JSON"),
    ],
)
def test_replies_that_do_not_parse_say_why(reply, reason):
    with pytest.raises(ReplyError, match=reason):
        parse_sections(reply)


def test_citations_become_passage_evidence_and_leave_the_text(sample):
    sections = {"modality": "Axial CT.", "organs": "Liver.", "roi_analysis": "The liver lesion is 20 mm.",
                "texture": "", "relations": "Metastases are often hypodense [P1]. Unknown mark [P7]."}
    clean, sentences = sentences_with_evidence(sections, sample)
    assert clean["relations"] == "Metastases are often hypodense. Unknown mark."
    by_text = {s.text: s.evidence for s in sentences}
    assert by_text["Metastases are often hypodense."] == ["passage:kb:liver-mets"]
    assert by_text["The liver lesion is 20 mm."] == ["rois[0]"]
    assert by_text["Axial CT."] == ["model"]


def test_registry_knows_the_backends_and_vllm_fails_with_the_install_command():
    with pytest.raises(KeyError, match="known: composer, openai, transformers, vllm"):
        make_backend("gpt-99")
    with pytest.raises(MissingDependencyError, match="pip install vllm"):
        make_backend("vllm", {"model": "some/model"})


def test_openai_options_are_validated():
    with pytest.raises(ValueError, match="base_url"):
        make_backend("openai", {"model": "m"})
    with pytest.raises(ValueError, match="max_concurrency"):
        make_backend("openai", {"base_url": "http://127.0.0.1:1/v1", "model": "m", "max_concurrency": 0})
    backend = make_backend("openai", {"base_url": "http://127.0.0.1:1/v1", "model": "m"}, cache_root=None)
    assert backend.cache is None and backend.batch_size == 64


def test_default_batch_path_loops_and_returns_failures(sample):
    composer = make_backend("composer")
    broken = type(sample)(id="x", source="s", case_id="c", modality="ct", body_part="", pixels=sample.pixels)
    results = composer.describe_batch([sample, broken])
    assert results[0] == composer.describe(sample)
    assert results[1].text  # a sample without ROIs still gets its global description


def test_the_prompt_tells_labelled_structures_from_expert_outlines(sample):
    """A model told "Labelled structures in view" of what an expert drew writes "labelled" of it; the facts block
    names the source's labels and an expert's outlines apart."""
    import dataclasses

    from medtrinity.generation.prompt import prompt_fields

    liver = next(roi for roi in sample.context_rois if roi.label == "liver") if sample.context_rois else None
    assert liver is not None and liver.origin == "provided"
    heart = dataclasses.replace(liver, label="heart", origin="chest_xray 3")
    mixed = dataclasses.replace(sample, context_rois=[liver, heart])
    rois = prompt_fields(mixed)["rois"]
    assert "Labelled structures in view: liver" in rois
    assert "Structures outlined automatically in view (by an expert model; no annotator labelled them): heart" in rois
    expert_only = prompt_fields(dataclasses.replace(sample, context_rois=[heart]))["rois"]
    assert "Labelled structures" not in expert_only and "outlined automatically in view" in expert_only
