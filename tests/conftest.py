"""Shared fixtures: the real-data folder (skipped where absent), phantom files and small configs."""

from __future__ import annotations

import os
from pathlib import Path

# Ray reads these when it is imported: a local test cluster binds 127.0.0.1 only, without token auth.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_AUTH_MODE"] = "disabled"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

import nibabel as nib
import numpy as np
import pytest

from medtrinity.datapaths import shared_data_dir
from medtrinity.phantom import make_ct_phantom, phantom_affine_ras


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$MEDTRINITY_DATA``); tests needing it skip with the reason where it is absent."""
    found = shared_data_dir()
    if found is None:
        pytest.skip("shared real-data folder not found: set MEDTRINITY_DATA or place it at ../shared/data")
    return found


@pytest.fixture(scope="session")
def phantom():
    """HU volume, label volume, (x, y, z) spacing and lesion truth of phantom case 0."""
    return make_ct_phantom(0)


def write_phantom_nifti(folder: Path, name: str = "phantom.nii.gz") -> tuple[Path, Path]:
    """The phantom as a NIfTI pair: the LPS [z, y, x] arrays transposed to [x, y, z] with a RAS affine."""
    hu, labels, _spacing, _truth = make_ct_phantom(0)
    affine = phantom_affine_ras()
    image_path = folder / "images" / name
    label_path = folder / "labels" / name
    image_path.parent.mkdir(parents=True, exist_ok=True)
    label_path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.transpose(hu, (2, 1, 0)).astype(np.int16), affine), image_path)
    nib.save(nib.Nifti1Image(np.transpose(labels, (2, 1, 0)).astype(np.int16), affine), label_path)
    return image_path, label_path


@pytest.fixture
def phantom_nifti(tmp_path: Path) -> tuple[Path, Path]:
    return write_phantom_nifti(tmp_path)


def _grounded_lesion_slice():
    """A fresh phantom slice through the 20 mm liver lesion, preprocessed and grounded."""
    from medtrinity.config import GroundingConfig, PreprocessConfig, parse_config
    from medtrinity.grounding.rois import ground_sample
    from medtrinity.phantom import LESIONS
    from medtrinity.preprocess.display import preprocess_sample
    from medtrinity.sources import make_reader

    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom"}]})
    for sample in make_reader(config.sources[0], config).read("phantom-000"):
        if sample.slice_index == LESIONS[0].center_zyx_px[0]:
            preprocess_sample(sample, PreprocessConfig())
            return ground_sample(sample, GroundingConfig())
    raise AssertionError("the phantom yielded no slice through its first lesion")


@pytest.fixture(scope="session")
def make_lesion_slice():
    """Factory of grounded phantom lesion slices (each call a new sample that a test may change)."""
    return _grounded_lesion_slice


@pytest.fixture(scope="session")
def threshold_onnx(tmp_path_factory) -> Path:
    """A tiny ONNX segmentation model (64x64 input, logits [dark, bright] = [0.5 - x, x - 0.5]) that the ONNX-based
    expert adapters run in tests: built here, never downloaded."""
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
    path = tmp_path_factory.mktemp("onnx") / "threshold.onnx"
    onnx.save(model, path)
    return path
