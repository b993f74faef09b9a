"""The CheXmask-style landmark adapter on a real ONNX model the test builds.

The stand-in returns fixed landmarks (120 points in 0..1, CheXmask's layout: 44 right lung, 50
left lung, 26 heart) plus 0 x the input, so ONNX Runtime really runs it; the polygons, the
cardiothoracic ratio and the sides are then known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from medtrinity.grounding.experts import make_expert
from medtrinity.records import Sample, SampleError


def _ellipse_points(count, centre, axes):
    angles = np.linspace(0, 2 * np.pi, count, endpoint=False)
    return np.stack([centre[0] + axes[0] * np.cos(angles), centre[1] + axes[1] * np.sin(angles)], axis=1)


def _landmark_model(path, points: np.ndarray, size=64):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    value = points.astype(np.float32)[None]
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["image"], ["mean"], keepdims=0),
         helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
         helper.make_node("Add", ["points", "nothing"], ["landmarks"])],
        "standin", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, size, size])],
        [helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, list(value.shape))],
        [numpy_helper.from_array(value, "points"), numpy_helper.from_array(np.zeros((), np.float32), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _points():
    right = _ellipse_points(44, (0.3, 0.45), (0.15, 0.3))   # image left: the patient's right lung
    left = _ellipse_points(50, (0.7, 0.45), (0.15, 0.3))
    heart = _ellipse_points(26, (0.55, 0.65), (0.15, 0.12))
    return np.concatenate([right, left, heart])


def test_landmarks_become_lungs_and_heart_with_the_ratio(tmp_path):
    model = _landmark_model(tmp_path / "hybridgnet.onnx", _points())
    expert = make_expert("chexmask", {"model_path": str(model), "input_size": 64})
    image = np.full((400, 400), 100, np.uint8)
    sample = Sample(id="x", source="s", case_id="c", modality="xray", body_part="chest", pixels=image)
    sample.image = image
    found = {region.label: region for region in expert.segment(sample)}
    assert set(found) == {"right lung", "left lung", "heart"}
    assert np.nonzero(found["right lung"].mask)[1].mean() == pytest.approx(0.3 * 400, abs=2)
    assert np.nonzero(found["left lung"].mask)[1].mean() == pytest.approx(0.7 * 400, abs=2)
    # heart 0.30 wide over lungs from 0.15 to 0.85: 0.30 / 0.70
    assert found["heart"].measurements["cardiothoracic_ratio"] == pytest.approx(0.3 / 0.7, abs=0.01)
    assert found["right lung"].mask.sum() == pytest.approx(np.pi * 60 * 120, rel=0.03)
    assert sample.patient_orientation == ("L", "F")


def test_too_few_landmarks_are_an_expert_output_error(tmp_path):
    model = _landmark_model(tmp_path / "short.onnx", _points()[:100])
    expert = make_expert("chexmask", {"model_path": str(model), "input_size": 64})
    image = np.zeros((64, 64), np.uint8)
    sample = Sample(id="x", source="s", case_id="c", modality="xray", body_part="chest", pixels=image)
    with pytest.raises(SampleError, match="100 landmarks"):
        expert.segment(sample)
