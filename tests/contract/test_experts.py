"""Every registered expert: a strict options model, and masks on the sample's image grid with a label and a score.

The experts that need model weights or packages this machine does not have (``totalsegmentator``, ``cellpose``,
``stardist``, and the ONNX adapters ``hovernet``, ``chexmask``, ``box_prompt`` whose specific model files exist
only in their own unit tests) are skipped here with that reason; their options models are still checked.
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


def _onnx_options(request) -> dict:
    return {"model_path": str(request.getfixturevalue("threshold_onnx")), "input_size": [64, 64],
            "class_names": ["background", "bright region"]}


def _rgb(background, blobs, shape=(160, 160)) -> np.ndarray:
    image = np.zeros((*shape, 3), np.uint8)
    image[:] = background
    rng = np.random.default_rng(0)
    for center, axes, colour in blobs:
        cv2.ellipse(image, center, axes, 0, 0, 360, colour, -1)
    noise = rng.integers(-6, 7, image.shape)
    return np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)


def _sample(modality, image, body_part="", **fields) -> Sample:
    return Sample(id="0123456789abcdef", source="s", case_id="c", modality=modality, body_part=body_part,
                  pixels=image, image=image, spacing_mm=(0.5, 0.5), **fields)


def _shared(relative: str, size: int) -> np.ndarray:
    from medtrinity.datapaths import shared_data_dir

    folder = shared_data_dir()
    path = folder / relative if folder else None
    if path is None or not path.exists():
        pytest.skip(f"shared data file {relative} is absent")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def _nuclei_slide() -> Sample:
    blobs = [((20 + 28 * (i % 5), 20 + 28 * (i // 5)), (6, 5), (120, 50, 150)) for i in range(25)]
    return _sample("histopathology", _rgb((235, 190, 215), blobs))


def _skin() -> Sample:
    return _sample("dermoscopy", _rgb((205, 160, 140), [((80, 80), (35, 25), (90, 55, 40))]))


def _chest() -> Sample:
    image = _shared("nih_cxr14/00000001_000.png", 256)
    return _sample("xray", image, body_part="chest", plane="projection", patient_orientation=("L", "F"))


def _fundus() -> Sample:
    return _sample("fundus", _shared("fundus/retina.jpg", 256), body_part="eye")


# expert -> (options for the tiny case, the sample it runs on); None: cannot run on this machine (see above)
EXPERT_CASES = {
    "ct_anatomy": (lambda request: {}, _ct_chest_slice),
    "onnx": (_onnx_options, _ct_chest_slice),
    "chest_xray": (lambda request: {}, _chest),
    "fundus": (lambda request: {}, _fundus),
    "field_of_view": (lambda request: {}, _fundus),
    "skin_lesion": (lambda request: {}, _skin),
    "nuclei": (lambda request: {}, _nuclei_slide),
    "totalsegmentator": None, "cellpose": None, "stardist": None, "hovernet": None, "chexmask": None,
    "box_prompt": None,
}


def test_every_registered_expert_has_a_contract_case():
    assert set(EXPERTS.names()) - set(EXPERT_CASES) == set()


@pytest.mark.parametrize("name", sorted(EXPERTS.names()))
def test_expert_declares_a_strict_options_model(name):
    model = EXPERTS.options_model(name)
    assert issubclass(model, PluginOptions) and model.model_config.get("extra") == "forbid"
    with pytest.raises(ConfigError, match=r"grounding\.experts\[0\]\.options\.no_such_option: extra inputs"):
        parse_config({"sources": [{"name": "s", "reader": "phantom", "path": "p"}],
                      "grounding": {"experts": [{"name": name, "options": {"no_such_option": 1}}]}})


@pytest.mark.parametrize("name", sorted(EXPERT_CASES))
def test_expert_masks_lie_on_the_image_grid(name, request):
    missing = missing_dependencies(EXPERTS.get(name))
    if missing or EXPERT_CASES[name] is None:
        what = ", ".join(module for module, _ in missing) or "model weights or a model file of its own layout"
        pytest.skip(f"{name} needs {what}, not available on this machine")
    options, make_sample = EXPERT_CASES[name]
    expert = make_expert(name, options(request))
    sample = make_sample()
    masks = expert.segment(sample)
    assert masks, f"{name} found nothing in its tiny case"
    for found in masks:
        assert found.mask.shape == sample.image.shape[:2] and found.mask.dtype == bool
        assert found.mask.any() and found.label.strip()
        assert 0.0 <= found.score <= 1.0
        assert found.kind in ("lesion", "organ", "structure")


def test_the_auto_expert_table_uses_valid_options():
    from medtrinity.grounding.experts.auto import expert_rules

    rules = expert_rules("auto")
    assert rules and {rule.name for rule in rules} <= set(EXPERTS.names())
    for rule in rules:  # raises ValueError on an option the expert does not declare
        EXPERTS.validate_options(rule.name, rule.options, where=f"auto rule {rule.name}")
    with pytest.raises(ValueError, match="no_such_option: extra inputs"):  # the same check refuses a bad option
        EXPERTS.validate_options(rules[0].name, {**rules[0].options, "no_such_option": 1}, where="auto rule")
    config = parse_config({"sources": [{"name": "s", "reader": "phantom", "path": "p"}],
                           "grounding": {"experts": "auto"}})
    assert config.grounding.experts == "auto"


@pytest.mark.parametrize("name, needs", [("field_of_view", "a 2D image"), ("nuclei", "a 2D image"),
                                         ("cellpose", "a 2D image"), ("stardist", "a 2D image"),
                                         ("chest_xray", "a 2D radiograph"), ("skin_lesion", "an RGB image"),
                                         ("fundus", "an RGB photograph")])
def test_image_experts_refuse_what_is_not_a_2d_image(name, needs):
    """A volume-shaped or missing image is an ``expert_input`` reject naming the expert, what it needs and the
    shape it got (one shared check, :meth:`ExpertModel.input_image`); the RGB experts also refuse grey images."""
    from medtrinity.records import SampleError

    expert = make_expert(name)
    bad_inputs = [np.zeros((4, 8, 8, 3), np.uint8), None]
    if needs.startswith("an RGB"):
        bad_inputs.append(np.zeros((8, 8), np.uint8))
    for image in bad_inputs:
        with pytest.raises(SampleError) as caught:
            expert.segment(_sample("xray", image))
        shape = None if image is None else image.shape
        assert caught.value.code == "expert_input"
        assert caught.value.message == f"{name} needs {needs}, got shape {shape}"
