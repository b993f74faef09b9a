"""The offline nuclei expert and the Cellpose / StarDist / HoVer-Net adapters.

The shared data holds no H&E image (its slide-microscopy DICOMs are 10x10 px test tiles), so the
nuclei expert is checked on stained images rendered by the Beer-Lambert law from the same stain
vectors a scanner sees (haematoxylin nuclei on eosin stroma, noise added), with known nuclei.
Cellpose and StarDist weights cannot be obtained offline here: their adapters are checked for the
loud install message and, with stand-in modules of the packages' documented API, for what they do
with the instance labels. The HoVer-Net adapter runs a real ONNX model the test builds.
"""

from __future__ import annotations

import sys
import types

import cv2
import numpy as np
import pytest

from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.cell_models import hovernet_instances
from medtrinity.grounding.experts.pathology import (
    STAIN_OD_RGB,
    NucleiOptions,
    find_nuclei,
    nucleus_statistics,
    stain_concentrations,
)
from medtrinity.records import Sample
from medtrinity.registry import MissingDependencyError


def render_he(centres, radii, size=256, seed=0) -> np.ndarray:
    """An H&E-like RGB tile: eosin stroma disc, haematoxylin nuclei at ``centres``, Beer-Lambert, noise."""
    rng = np.random.default_rng(seed)
    haematoxylin = np.zeros((size, size), np.float32)
    eosin = np.zeros((size, size), np.float32)
    cv2.circle(eosin, (size // 2, size // 2), int(size * 0.45), 0.35, -1)
    for (x, y), radius in zip(centres, radii, strict=True):
        cv2.circle(haematoxylin, (int(x), int(y)), int(radius), 0.9, -1)
    density = haematoxylin[..., None] * STAIN_OD_RGB[0] + eosin[..., None] * STAIN_OD_RGB[1]
    rgb = 256 * 10 ** (-density) - 1 + rng.normal(0, 3, density.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def grid_centres(count: int, spacing: int, size=256):
    side = int(np.ceil(np.sqrt(count)))
    start = size // 2 - spacing * (side - 1) // 2
    return [(start + spacing * (i % side), start + spacing * (i // side)) for i in range(count)][:count]


def _sample(image, spacing_mm=None) -> Sample:
    sample = Sample(id="p", source="s", case_id="c", modality="histopathology", body_part="", pixels=image,
                    spacing_mm=spacing_mm)
    sample.image = image
    return sample


def test_colour_deconvolution_separates_haematoxylin_from_eosin():
    tile = render_he([(128, 128)], [20])
    amounts = stain_concentrations(tile)
    # the nucleus was drawn with 0.9 haematoxylin over the stroma's 0.35 eosin; the stroma has eosin alone
    assert amounts[128, 128, 0] == pytest.approx(0.9, abs=0.05)
    assert amounts[128, 128, 1] == pytest.approx(0.35, abs=0.05)
    assert abs(amounts[60, 128, 0]) < 0.05 and amounts[60, 128, 1] == pytest.approx(0.35, abs=0.05)


def test_nuclei_are_counted_measured_and_densities_use_the_spacing():
    centres = grid_centres(36, 24)
    tile = render_he(centres, [6] * 36)
    found = {region.label: region for region in make_expert("nuclei").segment(_sample(tile, (0.0005, 0.0005)))}
    facts = found["cell nuclei"].measurements
    assert facts["nuclei_count"] == 36
    # a 6 px disc is ~113 px; at 0.5 um per pixel that is ~28 um2
    assert facts["nuclear_area_mean_um2"] == pytest.approx(113 * 0.25, rel=0.2)
    tissue_mm2 = found["tissue"].mask.sum() * 0.0005 ** 2
    assert facts["nuclei_per_mm2"] == pytest.approx(36 / tissue_mm2, rel=0.01)
    assert found["tissue"].measurements["tissue_fraction"] == pytest.approx(np.pi * 115 ** 2 / 256 ** 2, rel=0.05)


def test_touching_nuclei_are_split_by_the_watershed():
    pairs = grid_centres(12, 40)
    centres = [(x - 5, y) for x, y in pairs] + [(x + 5, y) for x, y in pairs]  # overlapping pairs of 7 px discs
    tile = render_he(centres, [7] * len(centres))
    _tissue, labels = find_nuclei(tile, NucleiOptions())
    count = len(np.unique(labels[labels > 0]))
    assert 20 <= count <= 26  # 24 nuclei; merged without the watershed: 12


def test_pleomorphism_grows_with_the_spread_of_nuclear_sizes():
    centres = grid_centres(25, 30)
    uniform = render_he(centres, [7] * 25)
    varied = render_he(centres, [4, 6, 8, 10, 12] * 5)
    facts = [nucleus_statistics(find_nuclei(tile, NucleiOptions())[1], None, tile.shape[0] * tile.shape[1])
             for tile in (uniform, varied)]
    assert facts[0]["nuclear_area_cv"] < 0.15 < facts[1]["nuclear_area_cv"]
    assert "nuclei_per_megapixel" in facts[0] and "nuclear_area_p90_px" in facts[1]


def test_model_adapters_say_how_to_install(monkeypatch):
    tile = render_he(grid_centres(4, 30), [6] * 4)
    for name, command in (("cellpose", "pip install cellpose"), ("stardist", "pip install stardist")):
        monkeypatch.setitem(sys.modules, name, None)  # make the import fail even where installed
        with pytest.raises(MissingDependencyError, match=command):
            make_expert(name, {"model_path": "/nonexistent"}).segment(_sample(tile))


def test_cellpose_adapter_turns_instance_labels_into_nuclei_facts(monkeypatch, tmp_path):
    # stand-in for cellpose.models (its weights cannot be fetched here): eval returns (masks, flows, styles)
    centres = grid_centres(9, 30)
    tile = render_he(centres, [6] * 9)
    truth = np.zeros(tile.shape[:2], np.int32)
    for number, (x, y) in enumerate(centres, start=1):
        cv2.circle(truth, (x, y), 6, number, -1)
    calls = {}

    class CellposeModel:
        def __init__(self, gpu, pretrained_model):
            calls["init"] = (gpu, pretrained_model)

        def eval(self, image, diameter=None, channels=None):
            calls["eval"] = (image.shape, diameter, channels)
            return truth, None, None

    package = types.ModuleType("cellpose")
    package.models = types.SimpleNamespace(CellposeModel=CellposeModel)
    monkeypatch.setitem(sys.modules, "cellpose", package)
    monkeypatch.setitem(sys.modules, "cellpose.models", package.models)
    weights = tmp_path / "nuclei_model"
    weights.write_bytes(b"weights")
    with pytest.raises(MissingDependencyError, match="model_path"):
        make_expert("cellpose", {}).segment(_sample(tile))
    [region] = make_expert("cellpose", {"model_path": str(weights), "diameter_px": 12}).segment(_sample(tile))
    assert calls["init"] == (False, str(weights)) and calls["eval"][1:] == (12, [0, 0])
    assert region.measurements["nuclei_count"] == 9 and (region.mask == (truth > 0)).all()


def _constant_onnx(path, outputs: dict[str, np.ndarray]) -> None:
    """An ONNX model whose outputs are fixed maps plus 0 x the input's mean (so the input is really read)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [helper.make_node("ReduceMean", ["image"], ["mean"], keepdims=1),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"])]
    initialisers = [numpy_helper.from_array(np.zeros((1, 1, 1, 1), np.float32), "zero")]
    graph_outputs = []
    for name, value in outputs.items():
        initialisers.append(numpy_helper.from_array(value.astype(np.float32), f"{name}_value"))
        nodes.append(helper.make_node("Add", [f"{name}_value", "nothing"], [name]))
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    graph = helper.make_graph(nodes, "standin", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                              [1, 3, 64, 64])],
                              graph_outputs, initialisers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def _hv_maps(labels: np.ndarray) -> np.ndarray:
    """HoVer-Net's targets: per nucleus, x and y distance to its centre, scaled to -1..1."""
    maps = np.zeros((2, *labels.shape), np.float32)
    for value in np.unique(labels[labels > 0]):
        ys, xs = np.nonzero(labels == value)
        for channel, offsets in enumerate((xs - xs.mean(), ys - ys.mean())):
            maps[channel, ys, xs] = offsets / max(np.abs(offsets).max(), 1)
    return maps


def test_hovernet_adapter_splits_touching_nuclei_with_its_distance_maps(tmp_path):
    truth = np.zeros((64, 64), np.int32)
    cv2.circle(truth, (24, 32), 8, 1, -1)
    cv2.circle(truth, (38, 32), 8, 2, -1)   # touching its neighbour: one blob to a threshold
    cv2.circle(truth, (32, 10), 5, 3, -1)
    assert cv2.connectedComponents((truth > 0).astype(np.uint8))[0] - 1 == 2
    nuclear = np.stack([(truth == 0) * 4.0 - 2, (truth > 0) * 4.0 - 2])[None]  # softmax logits
    model = tmp_path / "hovernet.onnx"
    _constant_onnx(model, {"np": nuclear, "hv": _hv_maps(truth)[None]})
    tile = np.full((128, 128, 3), 200, np.uint8)
    [region] = make_expert("hovernet", {"model_path": str(model), "input_size": [64, 64]}).segment(_sample(tile))
    assert region.measurements["nuclei_count"] == 3
    labels = hovernet_instances((truth > 0).astype(np.float32), _hv_maps(truth))
    assert len(np.unique(labels[labels > 0])) == 3
