import re

import pytest

from medtrinity.generation.backends import make_backend
from medtrinity.generation.coarse import coarse_caption
from medtrinity.quality.verify import verify
from medtrinity.records import DESCRIPTION_SECTIONS


@pytest.fixture(scope="module")
def lesion_sample(make_lesion_slice):
    return make_lesion_slice()


def test_coarse_caption_states_modality_body_part_and_findings(lesion_sample):
    assert coarse_caption(lesion_sample) == "Axial CT image of the abdomen with liver lesion."


def test_composer_fills_five_sections_with_measured_numbers_only(lesion_sample):
    description = make_backend("composer").describe(lesion_sample)
    assert set(description.sections) == set(DESCRIPTION_SECTIONS)
    assert all(description.sections[name] for name in DESCRIPTION_SECTIONS)
    roi = lesion_sample.rois[0]
    assert f"{roi.largest_diameter_mm:.1f} mm" in description.text
    assert re.search(r"patient's right|right side of the patient", description.text)
    assert "hypodense" in description.text
    assert f"the {roi.organ_part} of the liver" in description.text
    measured = {f"{roi.largest_diameter_mm:.1f}", f"{roi.perpendicular_diameter_mm:.1f}", f"{roi.area_mm2:.0f}",
                f"{roi.mean_intensity:.0f}", f"{roi.mean_intensity - roi.contrast_to_surround:.0f}",
                f"{roi.volume_ml:.1f}"}
    stated = set(re.findall(r"\d+(?:\.\d+)?", description.text)) - {"2"}  # "mm2" unit
    assert stated <= measured, stated - measured
    assert all(sentence.evidence for sentence in description.sentences)


def test_composer_is_deterministic_and_passes_the_verifier(lesion_sample):
    backend = make_backend("composer")
    first, second = backend.describe(lesion_sample), backend.describe(lesion_sample)
    assert first == second
    lesion_sample.description = first
    assert verify(lesion_sample).status == "pass"


def test_unknown_backend_names_the_known_ones():
    with pytest.raises(KeyError, match="known: composer"):
        make_backend("gpt-99")
