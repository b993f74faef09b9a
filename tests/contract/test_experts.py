"""Every registered expert: a strict options model, and masks on the sample's image grid with a label and a score.

``totalsegmentator`` needs its package and model weights, which this machine does not have: its run is skipped
with that reason, its options model is still checked.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.config import ConfigError, parse_config
from medtrinity.grounding.experts import make_expert
from medtrinity.records import Sample
from medtrinity.registry import PluginOptions, missing_dependencies, registry

EXPERTS = registry("experts")


def _ct_chest_slice() -> Sample:
    """A CT slice in HU: body at 40 HU, two lungs at -850 HU, air outside."""
    pixels = np.full((96, 96), -1000.0, np.float32)
    cv2.ellipse(pixels, (48, 48), (40, 30), 0, 0, 360, 40.0, -1)
    cv2.ellipse(pixels, (32, 48), (10, 16), 0, 0, 360, -850.0, -1)
    cv2.ellipse(pixels, (64, 48), (10, 16), 0, 0, 360, -850.0, -1)
    image = np.clip((pixels + 1000) / 8, 0, 255).astype(np.uint8)
    return Sample(id="0123456789abcdef", source="s", case_id="c", modality="ct", body_part="chest", pixels=pixels,
                  image=image, spacing_mm=(1.0, 1.0), plane="axial", patient_orientation=("L", "P"),
                  intensity_unit="HU")


def _onnx_options(tmp_path) -> dict:
    onnx = pytest.importorskip("onnx", reason="onnx builds the test model")
    from onnx import TensorProto, helper

    half = helper.make_tensor("half", TensorProto.FLOAT, [1], [0.5])
    graph = helper.make_graph(
        [helper.make_node("Sub", ["image", "half"], ["bright"]),
         helper.make_node("Sub", ["half", "image"], ["dark"]),
         helper.make_node("Concat", ["dark", "bright"], ["logits"], axis=1)],
        "threshold", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 2, 64, 64])], initializer=[half],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "threshold.onnx")
    return {"model_path": str(tmp_path / "threshold.onnx"), "input_size": [64, 64],
            "class_names": ["background", "bright region"]}


EXPERT_OPTIONS = {"ct_anatomy": lambda tmp_path: {}, "onnx": _onnx_options, "totalsegmentator": lambda tmp_path: {}}


def test_every_registered_expert_has_a_contract_case():
    assert set(EXPERTS.names()) - set(EXPERT_OPTIONS) == set()


@pytest.mark.parametrize("name", sorted(EXPERTS.names()))
def test_expert_declares_a_strict_options_model(name):
    model = EXPERTS.options_model(name)
    assert issubclass(model, PluginOptions) and model.model_config.get("extra") == "forbid"
    with pytest.raises(ConfigError, match=r"grounding\.experts\[0\]\.options\.no_such_option: extra inputs"):
        parse_config({"sources": [{"name": "s", "reader": "phantom", "path": "p"}],
                      "grounding": {"experts": [{"name": name, "options": {"no_such_option": 1}}]}})


@pytest.mark.parametrize("name", sorted(EXPERT_OPTIONS))
def test_expert_masks_lie_on_the_image_grid(name, tmp_path):
    missing = missing_dependencies(EXPERTS.get(name))
    if missing:
        pytest.skip(f"{name} needs {', '.join(module for module, _ in missing)}, not installed here")
    expert = make_expert(name, EXPERT_OPTIONS[name](tmp_path))
    sample = _ct_chest_slice()
    masks = expert.segment(sample)
    assert masks, f"{name} found nothing in a slice that shows two lungs and a bright body"
    for found in masks:
        assert found.mask.shape == sample.image.shape[:2] and found.mask.dtype == bool
        assert found.mask.any() and found.label.strip()
        assert 0.0 <= found.score <= 1.0
        assert found.kind in ("lesion", "organ", "structure")
