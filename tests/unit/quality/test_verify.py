import copy

import pytest

from medtrinity.config import GroundingConfig, PreprocessConfig, parse_config
from medtrinity.generation.backends import make_backend
from medtrinity.grounding.rois import ground_sample
from medtrinity.phantom import LESIONS
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.quality.verify import verify
from medtrinity.sources import make_reader


@pytest.fixture(scope="module")
def described():
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom"}]})
    for sample in make_reader(config.sources[0], config).read("phantom-000"):
        if sample.slice_index == LESIONS[0].center_zyx_px[0]:
            preprocess_sample(sample, PreprocessConfig())
            ground_sample(sample, GroundingConfig())
            sample.description = make_backend("composer").describe(sample)
            return sample
    raise AssertionError("lesion slice not produced")


def _with_text(sample, text):
    mutated = copy.deepcopy(sample)
    mutated.description.text = text
    return mutated


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("axial CT", "axial MRI", "modality_mismatch"),
        ("patient's right", "patient's left", "side_mismatch"),
        ("hypodense", "hyperdense", "intensity_mismatch"),
    ],
)
def test_planted_errors_are_caught(described, old, new, code):
    assert old in described.description.text
    qc = verify(_with_text(described, described.description.text.replace(old, new)), "reject")
    assert qc.status == "reject"
    assert code in {issue.code for issue in qc.issues}


def test_original_passes_and_flag_mode_flags(described):
    assert verify(described).status == "pass"
    qc = verify(_with_text(described, described.description.text.replace("axial CT", "axial MRI")), "flag")
    assert qc.status == "flag"
