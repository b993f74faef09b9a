import numpy as np
import pytest

from medtrinity.grounding import measure


def _disc(diameter_px: float, size: int = 120, center=(60.0, 60.0)) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    return (xx - center[0]) ** 2 + (yy - center[1]) ** 2 <= (diameter_px / 2) ** 2


@pytest.mark.parametrize("diameter_px", [6, 11.3, 16, 25.5, 40, 73])
@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.7, 0.7), (0.5, 0.8)])
def test_largest_diameter_of_discs_within_one_pixel(diameter_px, spacing):
    if spacing[0] != spacing[1]:
        # an ellipse in pixels that is a true circle in mm
        yy, xx = np.mgrid[0:160, 0:160] + 0.5
        radius_mm = diameter_px * 0.5
        mask = ((xx - 80) * spacing[0]) ** 2 + ((yy - 80) * spacing[1]) ** 2 <= radius_mm**2
        truth_mm = diameter_px
    else:
        mask = _disc(diameter_px, center=(60.3, 59.8))
        truth_mm = diameter_px * spacing[0]
    measured = measure.largest_diameter_mm(mask, spacing)
    assert abs(measured - truth_mm) <= max(spacing)


def test_largest_diameter_of_a_rectangle_is_its_diagonal():
    mask = np.zeros((50, 50), dtype=bool)
    mask[10:20, 5:45] = True  # 40 x 10 px
    assert measure.largest_diameter_mm(mask, (1.0, 1.0)) == pytest.approx(np.hypot(40, 10), abs=1.0)
    assert measure.largest_diameter_mm(mask, None) is None


def test_image_region_words():
    assert measure.image_region((10, 10), 300, 300) == "upper left"
    assert measure.image_region((150, 150), 300, 300) == "central"
    assert measure.image_region((290, 150), 300, 300) == "right"
    assert measure.image_region((150, 299.9), 300, 300) == "lower"


def test_patient_side_follows_orientation_not_the_image():
    # columns grow to the patient's left (radiological display): image right = patient's left
    assert measure.patient_side(250, 150, 300, "L") == "left"
    assert measure.patient_side(50, 150, 300, "L") == "right"
    # flipped display (columns grow to the patient's right)
    assert measure.patient_side(250, 150, 300, "R") == "right"
    assert measure.patient_side(155, 150, 300, "L") == "midline"
    # unknown orientation or a sagittal column axis: no side at all
    assert measure.patient_side(250, 150, 300, "") == ""
    assert measure.patient_side(250, 150, 300, "P") == ""


def test_body_midline_uses_the_body_outline_on_ct():
    pixels = np.full((100, 200), -1000.0)
    pixels[20:80, 100:180] = 40.0  # body off-centre, centre column 140
    assert measure.body_midline_x(pixels, "HU") == pytest.approx(140.0)
    assert measure.body_midline_x(pixels, "") == pytest.approx(100.0)


def test_intensity_words_in_each_modality_vocabulary():
    assert measure.intensity_word("ct", -60, 100, "HU", 10) == "hypodense"
    assert measure.intensity_word("ct", 5, 100, "HU", 10) == "isodense"
    assert measure.intensity_word("ct", 80, 100, "HU", 10) == "hyperdense"
    assert measure.intensity_word("mri", 50, 200, "", 10) == "hyperintense"
    assert measure.intensity_word("ultrasound", -40, 100, "", 10) == "hypoechoic"
    assert measure.intensity_word("xray", 40, 100, "", 10) == "opaque"
    assert measure.intensity_word("fundus", 40, 100, "", 10) == "brighter"


def test_texture_word_uses_hu_spread_on_ct_and_relative_spread_elsewhere():
    assert measure.texture_word(8, 45, "HU", 20, 0.15) == "homogeneous"
    assert measure.texture_word(45, 45, "HU", 20, 0.15) == "heterogeneous"
    assert measure.texture_word(10, 200, "", 20, 0.15) == "homogeneous"
    assert measure.texture_word(60, 200, "", 20, 0.15) == "heterogeneous"
