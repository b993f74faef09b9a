"""The box-promptable (MedSAM / SAM style) ONNX adapter on small real ONNX models the test builds.

The stand-in models segment "pixels brighter than 0.5 inside the box" with real ONNX operators
(a one-model export and an encoder/decoder pair, as MedSAM ships), so the adapter's resizing,
normalisation, box scaling and mask placement are exercised end to end through ONNX Runtime.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.config import GroundingConfig
from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.apply import apply_experts
from medtrinity.grounding.rois import ground_sample
from medtrinity.records import Sample

SIZE = 64


def _box_gate(prefix: str, box: str, source: str):
    """ONNX nodes: ``source`` (1,1,S,S) > 0.5 inside ``box`` (1,4) -> logits ``prefix``_out."""
    from onnx import helper

    nodes = [
        helper.make_node("Split", [box], [f"{prefix}x0", f"{prefix}y0", f"{prefix}x1", f"{prefix}y1"], axis=1),
    ]
    for name in ("x0", "y0", "x1", "y1"):
        nodes.append(helper.make_node("Reshape", [f"{prefix}{name}", "shape4"], [f"{prefix}{name}r"]))
    nodes += [
        helper.make_node("GreaterOrEqual", ["xs", f"{prefix}x0r"], [f"{prefix}gx"]),
        helper.make_node("Less", ["xs", f"{prefix}x1r"], [f"{prefix}lx"]),
        helper.make_node("GreaterOrEqual", ["ys", f"{prefix}y0r"], [f"{prefix}gy"]),
        helper.make_node("Less", ["ys", f"{prefix}y1r"], [f"{prefix}ly"]),
        helper.make_node("And", [f"{prefix}gx", f"{prefix}lx"], [f"{prefix}inx"]),
        helper.make_node("And", [f"{prefix}gy", f"{prefix}ly"], [f"{prefix}iny"]),
        helper.make_node("And", [f"{prefix}inx", f"{prefix}iny"], [f"{prefix}inside"]),
        helper.make_node("Greater", [source, "half"], [f"{prefix}bright"]),
        helper.make_node("And", [f"{prefix}inside", f"{prefix}bright"], [f"{prefix}mask"]),
        helper.make_node("Cast", [f"{prefix}mask"], [f"{prefix}maskf"], to=1),
        helper.make_node("Sub", [f"{prefix}maskf", "half"], [f"{prefix}centred"]),
        helper.make_node("Mul", [f"{prefix}centred", "gain"], ["logits"]),
    ]
    return nodes


def _constants():
    from onnx import numpy_helper

    grid = np.arange(SIZE, dtype=np.float32) + 0.5
    return [numpy_helper.from_array(grid.reshape(1, 1, 1, SIZE), "xs"),
            numpy_helper.from_array(grid.reshape(1, 1, SIZE, 1), "ys"),
            numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "shape4"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
            numpy_helper.from_array(np.array(20.0, np.float32), "gain")]


def _save(path, nodes, inputs, outputs, initialisers):
    import onnx
    from onnx import helper

    model = helper.make_model(helper.make_graph(nodes, "standin", inputs, outputs, initialisers),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build_single_model(path):
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    box = helper.make_tensor_value_info("box", TensorProto.FLOAT, [1, 4])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    _save(path, _box_gate("g", "box", "image"), [image, box], [logits], _constants())


def build_encoder_decoder(encoder_path, decoder_path):
    from onnx import TensorProto, helper

    image = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    embedding = helper.make_tensor_value_info("image_embeddings", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    _save(encoder_path, [helper.make_node("Identity", ["pixel_values"], ["image_embeddings"])], [image],
          [embedding], [])
    boxes = helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    embedding_in = helper.make_tensor_value_info("image_embeddings", TensorProto.FLOAT, [1, 1, SIZE, SIZE])
    _save(decoder_path, _box_gate("d", "boxes", "image_embeddings"), [embedding_in, boxes], [logits], _constants())


def _two_discs() -> tuple[np.ndarray, np.ndarray]:
    image = np.full((200, 200), 40, np.uint8)
    truth = np.zeros((200, 200), np.uint8)
    cv2.circle(truth, (60, 70), 25, 1, -1)
    image[truth > 0] = 220
    cv2.circle(image, (150, 140), 25, 220, -1)  # a second bright disc outside the box
    return image, truth > 0


def _sample(image, boxes=()) -> Sample:
    label_map, names = None, {}
    if boxes:
        label_map = np.zeros(image.shape, np.int32)
        for value, (label, (x0, y0, x1, y1)) in enumerate(boxes, start=1):
            label_map[int(y0):int(y1), int(x0):int(x1)] = value
            names[value] = label
    sample = Sample(id="b", source="s", case_id="c", modality="ct", body_part="", pixels=image,
                    label_map=label_map, label_names=names, finding_labels=frozenset(names.values()),
                    input_boxes=list(boxes))
    sample.image = image
    return sample


def _dice(a, b) -> float:
    return 2 * (a & b).sum() / (a.sum() + b.sum())


@pytest.mark.parametrize("layout", ["single", "encoder_decoder"])
def test_a_box_becomes_the_mask_of_what_it_holds(tmp_path, layout):
    if layout == "single":
        build_single_model(tmp_path / "medsam.onnx")
        options = {"model_path": str(tmp_path / "medsam.onnx")}
    else:
        build_encoder_decoder(tmp_path / "encoder.onnx", tmp_path / "decoder.onnx")
        options = {"encoder_path": str(tmp_path / "encoder.onnx"), "decoder_path": str(tmp_path / "decoder.onnx")}
    expert = make_expert("box_prompt", {**options, "input_size": SIZE, "channels": 1})
    image, truth = _two_discs()
    [region] = expert.segment(_sample(image), prompt="mass", box=(30, 40, 92, 102))
    assert region.label == "mass" and region.score > 0.9
    assert _dice(region.mask, truth) > 0.9
    assert not region.mask[110:, 120:].any()  # the other disc lies outside the box


def test_auto_boxes_of_a_sample_are_refined_into_masks_keeping_their_labels(tmp_path):
    build_single_model(tmp_path / "medsam.onnx")
    image, truth = _two_discs()
    sample = _sample(image, [("mass", (30.0, 40.0, 92.0, 102.0))])
    rules = GroundingConfig(experts=[{"name": "box_prompt", "when": "always", "options": {
        "model_path": str(tmp_path / "medsam.onnx"), "input_size": SIZE, "channels": 1}}]).experts
    apply_experts(sample, rules, {})
    assert sample.label_names == {1: "mass"}
    assert _dice(sample.label_map == 1, truth) > 0.9  # the rectangle became the disc
    assert sample.label_origins["mass"] == "box_prompt 1" and sample.label_confidence["mass"] > 0.9
    ground_sample(sample, GroundingConfig())
    [mass] = sample.rois
    assert mass.kind == "lesion" and mass.origin == "box_prompt 1" and mass.area_px == pytest.approx(truth.sum(), 0.1)


def test_box_prompt_needs_a_model_path():
    with pytest.raises(ValueError, match="model_path"):
        make_expert("box_prompt", {})
