"""The offline dermoscopy expert: lesion border and the ABCD measures, on lesions drawn with known truth.

The shared data holds no dermoscopy image, so the lesions are drawn on a skin-coloured field with
the dermatoscope's dark vignette corners and hairs crossing the lesion, with shapes and colours
whose asymmetry, border, colour count and diameter are known.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.grounding.experts import make_expert
from medtrinity.grounding.experts.dermoscopy import asymmetry, border_irregularity, colour_count
from medtrinity.records import Sample

SKIN = (215, 170, 150)


def _field(size=300, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.empty((size, size, 3), np.float32)
    image[:] = SKIN
    yy, xx = np.mgrid[:size, :size]
    corner = np.hypot(xx - size / 2, yy - size / 2) > 0.72 * size  # the round field of the dermatoscope
    image[corner] = (15, 12, 12)
    return image + rng.normal(0, 4, image.shape)


def _finish(image, hairs=True) -> np.ndarray:
    if hairs:
        for start, end in (((20, 60), (280, 220)), ((40, 250), (260, 30))):
            cv2.line(image, start, end, (40, 30, 25), 2)
    return np.clip(image, 0, 255).astype(np.uint8)


def _sample(image, spacing_mm=None) -> Sample:
    sample = Sample(id="d", source="s", case_id="c", modality="dermoscopy", body_part="skin", pixels=image,
                    spacing_mm=spacing_mm)
    sample.image = image
    return sample


def _dice(a, b) -> float:
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def test_symmetric_brown_lesion_through_hairs_with_its_diameter_in_mm():
    image = _field()
    truth = np.zeros(image.shape[:2], np.uint8)
    cv2.ellipse(truth, (150, 150), (60, 40), 20, 0, 360, 1, -1)
    image[truth > 0] = (120, 75, 50)
    [lesion] = make_expert("skin_lesion").segment(_sample(_finish(image), spacing_mm=(0.05, 0.05)))
    assert lesion.kind == "lesion" and lesion.score == 1.0
    assert _dice(lesion.mask, truth > 0) > 0.9  # hairs removed, vignette corners not taken
    facts = lesion.measurements
    assert facts["asymmetry"] < 0.1 and facts["asymmetric_axes"] == 0
    assert facts["border_irregularity"] < 1.25
    assert facts["diameter_mm"] == pytest.approx(120 * 0.05, rel=0.06)
    assert facts["colour_count"] == 1


def test_an_irregular_multicoloured_lesion_scores_higher_on_a_b_and_c():
    image = _field()
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    radii = [70, 30, 65, 35, 80, 25, 60, 40, 75, 30, 50, 45]
    points = np.array([(150 + r * np.cos(a), 150 + r * np.sin(a)) for r, a in zip(radii, angles, strict=True)],
                      np.int32)
    truth = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(truth, [points], 1)
    image[truth > 0] = (100, 60, 40)                                      # dark brown
    half = truth.copy()
    half[:, :150] = 0
    image[half > 0] = (30, 25, 25)                                        # black half
    cv2.circle(image, (140, 150), 12, (110, 120, 140), -1)                 # a blue-grey area
    [lesion] = make_expert("skin_lesion").segment(_sample(_finish(image, hairs=False)))
    facts = lesion.measurements
    assert _dice(lesion.mask, truth > 0) > 0.85
    assert facts["asymmetry"] > 0.1 and facts["border_irregularity"] > 1.5
    assert facts["colour_count"] >= 3 and "diameter_mm" not in facts and facts["diameter_px"] > 120


def test_abcd_measures_on_exact_shapes():
    disc = np.zeros((200, 200), np.uint8)
    cv2.circle(disc, (100, 100), 50, 1, -1)
    assert asymmetry(disc > 0)[0] < 0.02 and border_irregularity(disc > 0) < 1.1
    pear = disc.copy()
    cv2.circle(pear, (150, 100), 30, 1, -1)
    assert asymmetry(pear > 0)[0] > 0.05
    two_colours = np.zeros((20, 20, 3), np.uint8)
    two_colours[:, :10] = (235, 230, 225)
    two_colours[:, 10:] = (190, 60, 60)
    assert colour_count(two_colours, np.ones((20, 20), bool)) == (2, ["white", "red"])


def test_plain_skin_gives_no_confident_lesion():
    found = make_expert("skin_lesion").segment(_sample(_finish(_field(), hairs=False)))
    assert all(region.score < 0.5 for region in found)
