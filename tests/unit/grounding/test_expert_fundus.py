"""The offline fundus expert on the real shared photographs, with hand-checked expectations.

``retina.jpg`` (1411 px, a healthy left-looking eye): the optic disc is the bright disc at the
image's left edge, centred near (0.15, 0.45) of the frame; the fovea, a dark spot, near the
centre (0.5, 0.5); vessels radiate from the disc. ``microaneurysms.png`` (102 px crop): two
microaneurysms, at about (16, 23) and (49, 71), read off the image by eye.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.fundus import grading_says_lesions, lesion_candidates, vessel_map
from medtrinity.records import Sample


def _retina(shared_data) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(shared_data / "fundus" / "retina.jpg")), cv2.COLOR_BGR2RGB)


def _sample(image, labels=()) -> Sample:
    sample = Sample(id="f", source="s", case_id="c", modality="fundus", body_part="eye", pixels=image,
                    image_labels=list(labels))
    sample.image = image
    return sample


def _centre(mask: np.ndarray, size: int) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return xs.mean() / size, ys.mean() / size


def test_disc_cup_macula_and_vessels_where_the_photograph_shows_them(shared_data):
    image = _retina(shared_data)
    size = image.shape[1]
    found = {region.label: region for region in make_expert("fundus").segment(_sample(image))}
    assert {"optic disc", "optic cup", "macula", "retinal vessels", "field of view"} <= set(found)
    disc_x, disc_y = _centre(found["optic disc"].mask | found["optic cup"].mask, size)
    assert 0.08 < disc_x < 0.22 and 0.38 < disc_y < 0.52
    macula_x, macula_y = _centre(found["macula"].mask, size)
    assert abs(macula_x - 0.5) < 0.05 and abs(macula_y - 0.5) < 0.05
    cup_x, cup_y = _centre(found["optic cup"].mask, size)
    assert np.hypot(cup_x - disc_x, cup_y - disc_y) < 0.05  # the cup lies inside the disc
    facts = found["optic disc"].measurements
    assert 0.2 < facts["cup_to_disc_ratio"] < 0.8
    assert 0.08 * size < facts["disc_diameter_px"] < 0.2 * size
    assert 0.03 < found["retinal vessels"].measurements["vessel_density"] < 0.15
    # vessels are dark in the green channel: darker than the field of view around them
    green = image[:, :, 1]
    assert green[found["retinal vessels"].mask].mean() < green[found["field of view"].mask].mean() - 10
    assert found["optic disc"].score >= 0.5
    # no grading label: no lesion candidates
    assert not any(region.kind == "lesion" for region in found.values())


def test_lesion_candidates_only_where_the_grade_says_disease(shared_data):
    assert grading_says_lesions(["moderate"]) and grading_says_lesions(["2"]) and grading_says_lesions(
        ["diabetic retinopathy"])
    assert not grading_says_lesions(["0"]) and not grading_says_lesions(["no dr"]) and not grading_says_lesions([])
    graded = make_expert("fundus").segment(_sample(_retina(shared_data), ["severe"]))
    candidates = [region for region in graded if region.kind == "lesion"]
    assert all(region.score < 0.7 and region.measurements["candidate_count"] >= 1 for region in candidates)


def test_both_microaneurysms_of_the_real_crop_are_the_only_red_candidates(shared_data):
    green = cv2.imread(str(shared_data / "fundus" / "microaneurysms.png"), cv2.IMREAD_GRAYSCALE)
    everywhere = np.ones(green.shape, bool)
    red, _bright = lesion_candidates(green, everywhere, vessel_map(green, everywhere), np.zeros(green.shape, bool))
    count, _labels, _stats, centres = cv2.connectedComponentsWithStats(red.astype(np.uint8))
    found = sorted((round(x), round(y)) for x, y in centres[1:])
    assert len(found) == 2
    for (x, y), (expected_x, expected_y) in zip(found, [(16, 23), (49, 71)], strict=True):
        assert abs(x - expected_x) <= 2 and abs(y - expected_y) <= 2


def test_greyscale_input_is_refused_with_the_shape(shared_data):
    from medtrinity.records import SampleError

    with pytest.raises(SampleError, match="RGB"):
        make_expert("fundus").segment(_sample(np.zeros((32, 32), np.uint8)))
