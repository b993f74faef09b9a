"""The field-of-view expert (ultrasound, endoscopy, MR body outline) and a supplied model kept inside it.

No ultrasound or endoscopy frame is in the shared data: the frames are drawn as scanners write
them, a speckled fan on black with burnt-in text and a depth scale, and a round endoscope field.
"""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.config import GroundingConfig
from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.records import Sample


def _sample(image, modality="ultrasound") -> Sample:
    sample = Sample(id="u", source="s", case_id="c", modality=modality, body_part="", pixels=image)
    sample.image = image
    return sample


def ultrasound_frame(seed=0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = np.zeros((240, 320), np.uint8)
    fan = np.zeros_like(frame)
    cv2.ellipse(fan, (160, 10), (220, 220), 90, -40, 40, 1, -1)
    speckle = np.clip(rng.gamma(2.0, 40.0, frame.shape), 0, 255).astype(np.uint8)
    frame[fan > 0] = speckle[fan > 0]
    cv2.putText(frame, "L12-5 MI 0.9", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1)
    for depth in range(30, 230, 20):
        cv2.line(frame, (310, depth), (316, depth), 255, 1)
    return frame, fan > 0


def test_the_ultrasound_fan_without_text_or_depth_scale():
    frame, fan = ultrasound_frame()
    [view] = make_expert("field_of_view").segment(_sample(frame))
    assert view.label == "field of view" and view.kind == "structure" and view.score == 1.0
    dice = 2 * (view.mask & fan).sum() / (view.mask.sum() + fan.sum())
    assert dice > 0.95
    assert not view.mask[:16, :100].any() and not view.mask[:, 305:].any()
    assert view.measurements["frame_fraction"] == round(float(view.mask.mean()), 4)


def test_the_round_endoscope_field_and_a_frame_without_border():
    frame = np.zeros((200, 200, 3), np.uint8)
    truth = np.zeros((200, 200), np.uint8)
    cv2.circle(truth, (100, 100), 90, 1, -1)
    frame[truth > 0] = (180, 90, 80)
    cv2.circle(frame, (120, 80), 15, (230, 200, 190), -1)  # a specular highlight inside
    [view] = make_expert("field_of_view").segment(_sample(frame, "endoscopy"))
    assert 2 * (view.mask & (truth > 0)).sum() / (view.mask.sum() + truth.sum()) > 0.97
    full = np.full((64, 64), 120, np.uint8)
    [everything] = make_expert("field_of_view").segment(_sample(full))
    assert everything.score < 0.5  # a frame with no border tells nothing: dropped by the confidence floor


def test_a_supplied_model_regions_are_kept_inside_the_field_of_view(threshold_onnx):
    model = threshold_onnx
    frame, fan = ultrasound_frame()
    cv2.circle(frame, (160, 120), 25, 250, -1)  # a bright nodule inside the fan; the text is bright too
    rules = GroundingConfig(experts=[{"name": "field_of_view", "modalities": ["ultrasound"], "options": {
        "model": {"name": "onnx", "options": {"model_path": str(model), "input_size": [64, 64], "channels": 1,
                                              "class_names": ["background", "bright"], "findings": ["bright"]}}}}])
    sample = apply_experts(_sample(frame), rules.experts, {})
    bright = sample.label_map == next(v for v, n in sample.label_names.items() if n == "bright")
    view = sample.label_map == next(v for v, n in sample.label_names.items() if n == "field of view")
    assert bright[100:140, 140:180].mean() > 0.9  # the nodule
    assert not bright[:16, :100].any() and not bright[:, 305:].any()  # burnt-in text and scale: outside the field
    assert not (bright & ~cv2.dilate(fan.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)).any()
    assert view.any()
    assert "bright" in sample.finding_labels and sample.label_origins["bright"] == "field_of_view 1"


def test_the_ground_stage_counts_dropped_low_confidence_regions(tmp_path):
    from medtrinity.config import parse_config
    from medtrinity.stages import ground
    from medtrinity.stages.base import StageContext

    config = parse_config({"sources": [{"name": "us", "reader": "image_masks", "path": str(tmp_path),
                                        "modality": "ultrasound"}], "grounding": {"experts": "auto"}})
    context = StageContext()
    stage = ground.build(config, context)
    borderless = stage.run(_sample(np.full((64, 64), 120, np.uint8)))  # all field of view: confidence 0.3
    assert borderless.rois == [] and borderless.label_names == {}
    frame, _fan = ultrasound_frame()
    kept = stage.run(_sample(frame))
    assert [roi.label for roi in kept.rois] == ["field of view"] and kept.rois[0].origin == "field_of_view 1"
    assert context.notes.of("ground") == {"expert_low_confidence": 1, "no_roi": 1}
