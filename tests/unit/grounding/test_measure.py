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


def test_body_center_uses_the_body_outline_on_ct():
    pixels = np.full((100, 200), -1000.0)
    pixels[20:80, 100:180] = 40.0  # body off-centre: box centre (140, 50)
    assert measure.body_center_xy(pixels, "HU") == pytest.approx((140.0, 50.0))
    assert measure.body_center_xy(pixels, "") == pytest.approx((100.0, 50.0))


def test_patient_directions_from_row_and_column_letters():
    # axial: rows grow to posterior; coronal: rows grow to inferior
    assert measure.patient_directions((100, 20), (100, 100), (200, 200), ("L", "P")) == ["anterior"]
    assert measure.patient_directions((100, 180), (100, 100), (200, 200), ("L", "I")) == ["inferior"]
    assert measure.patient_directions((30, 100), (100, 100), (200, 200), ("P", "I")) == ["anterior"]
    assert measure.patient_directions((100, 105), (100, 100), (200, 200), ("L", "P")) == []
    assert measure.patient_directions((100, 20), (100, 100), (200, 200), ("", "")) == []


def test_intensity_words_in_each_modality_vocabulary():
    # surroundings all on one side (darker, brighter) of the region, or neither
    dark, bright, even = (1.0, 0.0), (0.0, 1.0), (0.1, 0.1)
    assert measure.intensity_word("ct", -60, 100, "HU", 10, *bright) == "hypodense"
    assert measure.intensity_word("ct", 5, 100, "HU", 10, *even) == "isodense"
    assert measure.intensity_word("ct", 80, 100, "HU", 10, *dark) == "hyperdense"
    assert measure.intensity_word("mri", 50, 200, "", 10, *dark) == "hyperintense"
    assert measure.intensity_word("ultrasound", -40, 100, "", 10, *bright) == "hypoechoic"
    assert measure.intensity_word("xray", 40, 100, "", 10, *dark) == "opaque"
    assert measure.intensity_word("fundus", 40, 100, "", 10, *dark) == "brighter"


def test_no_intensity_word_against_mixed_surroundings():
    """A tumour between aerated lung (darker) and the chest wall (brighter): its mean against the mixed ring's says
    'hypodense' or 'hyperdense' of a region that is neither to most of its border."""
    assert measure.intensity_word("ct", -40, 100, "HU", 10, 0.42, 0.56) == ""
    assert measure.intensity_word("ct", 45, 100, "HU", 10, 0.56, 0.34) == ""
    assert measure.intensity_word("ct", 45, 100, "HU", 10, 0.7, 0.3) == "hyperdense"
    assert measure.intensity_word("ct", 0, 100, "HU", 10, 0.49, 0.49) == ""  # no "isodense" between two tissues


def _correlated_noise(rng, shape, sd_hu, grain_px):
    """CT-like noise: white noise blurred over a few pixels (a reconstruction kernel's grain), rescaled to sd_hu."""
    import cv2

    field = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), grain_px)
    return field / field.std() * sd_hu


def test_ct_texture_is_the_spread_of_few_mm_means_not_of_pixels():
    """A uniform organ under clinical noise (pixel sd 22 HU, as a 1 mm enhanced liver) is no heterogeneous organ;
    a lesion with a necrotic centre 60 HU below its rim is, at a pixel sd no larger. The border's partial volume
    with fat does not count either."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:120, :120]
    distance = np.hypot(yy - 60, xx - 60)
    organ = distance < 50
    box_px = measure.texture_box_px((1.0, 1.0), 3.0)
    assert box_px == 3 and measure.texture_box_px((0.6, 0.6), 3.0) == 5 and measure.texture_box_px(None, 3.0) == 3
    assert measure.texture_box_px((3.0, 3.0), 3.0) == 3

    def word(pixels, mask):
        return measure.texture_word(measure.local_mean_spread(pixels, mask, box_px), 10.0, 20.0)

    noisy = np.where(organ, 90.0, -100.0) + _correlated_noise(rng, organ.shape, 22.0, 0.7)
    assert noisy[organ].std() > 20  # the old pixel-sd rule called this heterogeneous
    assert word(noisy, organ) in ("homogeneous", "")  # noise alone is never called heterogeneous
    quieter = np.where(organ, 90.0, -100.0) + _correlated_noise(rng, organ.shape, 14.0, 0.7)
    assert word(quieter, organ) == "homogeneous"
    necrotic = np.where(distance < 30, 30.0, 90.0) + rng.normal(0, 8, organ.shape)
    necrotic[~organ] = -100.0
    assert word(necrotic, organ) == "heterogeneous"
    # partial volume: a ring of pixels half fat on the border of a clean organ
    bordered = np.where(organ, 90.0, -100.0) + rng.normal(0, 5, organ.shape)
    bordered[(distance >= 48) & organ] = -5.0
    assert word(bordered, organ) == "homogeneous"
    # between the limits nothing is said; a region too small to judge says nothing either
    assert measure.texture_word(14.0, 10.0, 20.0) == ""
    assert measure.local_mean_spread(noisy, distance < 1.5, box_px) is None


def _polar(size=200):
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    return xx, yy, np.arctan2(yy - size / 2, xx - size / 2), np.hypot(xx - size / 2, yy - size / 2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("disc", "round"), ("small disc", "round"), ("ellipse", "oval"), ("lobed", "lobulated"),
     ("small lobed", "lobulated"), ("spiculated", "irregular")],
)
def test_shape_words_on_drawn_outlines(name, expected):
    xx, yy, theta, radius = _polar()
    masks = {
        "disc": radius <= 20,
        "small disc": radius <= 4,
        "ellipse": ((xx - 100) / 20) ** 2 + ((yy - 100) / 12) ** 2 <= 1,
        "lobed": radius <= 20 + 4 * np.sin(6 * theta),
        "small lobed": radius <= 8 + 1.5 * np.sin(5 * theta),
        "spiculated": radius <= 20 + 10 * np.sign(np.sin(9 * theta)) * np.abs(np.sin(9 * theta)) ** 0.3,
    }
    _circularity, solidity, eccentricity = measure.shape_metrics(masks[name])
    assert measure.shape_word(solidity, eccentricity, int(masks[name].sum())) == expected


@pytest.mark.parametrize("radius", [3, 4, 5, 6, 7, 8, 10, 12])
def test_a_digitised_disc_is_never_lobulated(radius):
    """A disc centred on a pixel sticks out one pixel at each axis end (solidity 0.89 at radius 3, 0.92 at 5): too
    few pixels to tell from a lobulation, so below 100 pixels a region is round when convex and nothing otherwise;
    from 100 pixels a disc is round wherever its centre lies."""
    rng = np.random.default_rng(radius)
    words = set()
    for centre in [(50.0, 50.0)] + [tuple(50 + rng.random(2)) for _ in range(10)]:
        yy, xx = np.mgrid[0:100, 0:100]
        mask = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius ** 2
        _circularity, solidity, eccentricity = measure.shape_metrics(mask)
        word = measure.shape_word(solidity, eccentricity, int(mask.sum()))
        assert word in ("round", "") and (word or mask.sum() < measure.MIN_SHAPE_AREA_PX), (radius, centre, solidity)
        words.add(word)
    assert "round" in words  # most centres give a convex enough outline at every radius
    # a lobed outline of the same small size is not called lobulated either: nothing is said
    yy, xx = np.mgrid[0:100, 0:100] + 0.5
    theta = np.arctan2(yy - 50, xx - 50)
    lobed = np.hypot(yy - 50, xx - 50) <= radius * (1 + 0.25 * np.sin(5 * theta))
    _circularity, solidity, eccentricity = measure.shape_metrics(lobed)
    expected = "lobulated" if lobed.sum() >= measure.MIN_SHAPE_AREA_PX else ""
    assert measure.shape_word(solidity, eccentricity, int(lobed.sum())) == expected, (radius, solidity)


@pytest.mark.parametrize(("semi_x", "semi_y"), [(20, 10), (20, 14), (30, 8), (10, 10)])
def test_perpendicular_diameter_is_the_short_axis(semi_x, semi_y):
    xx, yy, _theta, _radius = _polar()
    mask = ((xx - 100.3) / semi_x) ** 2 + ((yy - 99.6) / semi_y) ** 2 <= 1
    assert abs(measure.perpendicular_diameter_mm(mask, (0.5, 0.5)) - 2 * semi_y * 0.5) <= 0.5
    assert abs(measure.largest_diameter_mm(mask, (0.5, 0.5)) - 2 * semi_x * 0.5) <= 0.5


def test_margin_sharpness_separates_sharp_from_blurred_edges():
    import cv2

    _xx, _yy, _theta, radius = _polar()
    mask = radius <= 15
    sharp = np.where(mask, 50.0, 110.0)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 4.0)
    assert measure.margin_word(measure.margin_sharpness(sharp, mask)) == "well-defined"
    assert measure.margin_word(measure.margin_sharpness(blurred, mask)) == "ill-defined"
    assert measure.margin_sharpness(sharp, radius <= 2) is None  # too small for a core


@pytest.mark.parametrize("offset_px", [-1, 1])
def test_a_sharp_edge_outlined_a_pixel_off_is_not_called_ill_defined(offset_px):
    """An outline a pixel too wide or too narrow puts half a band on the wrong side: a sharp edge then reads like a
    1.5 px blur outlined exactly (both between the two limits), and no margin word is given; a 3 px blur is
    ill-defined wherever its outline lies."""
    import cv2

    _xx, _yy, _theta, radius = _polar()
    sharp = np.where(radius <= 15, 50.0, 110.0)
    off = radius <= 15 + offset_px
    assert measure.margin_word(measure.margin_sharpness(sharp, radius <= 15)) == "well-defined"
    loose = measure.margin_sharpness(sharp, off)
    assert 0.45 <= loose < 0.6 and measure.margin_word(loose) == ""
    soft = measure.margin_sharpness(cv2.GaussianBlur(sharp, (0, 0), 1.5), radius <= 15)
    assert 0.45 <= soft < 0.6 and measure.margin_word(soft) == ""
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3.0)
    for mask in (off, radius <= 15):
        assert measure.margin_word(measure.margin_sharpness(blurred, mask)) == "ill-defined"


@pytest.mark.parametrize(
    ("rgb", "word"),
    [((200, 30, 30), "red"), ((90, 20, 20), "red"), ((40, 10, 10), "dark red"), ((120, 80, 40), "brown"),
     ((240, 240, 240), "white"), ((128, 128, 130), "grey"), ((230, 170, 200), "pale pink"), ((40, 160, 60), "green")],
)
def test_colour_words(rgb, word):
    assert measure.colour_word(np.array(rgb, dtype=float)) == word


def test_a_box_reaching_well_across_the_midline_is_on_both_sides():
    from medtrinity.grounding.measure import box_patient_side

    # columns grow to the patient's left (a radiograph); midline at x = 250 of 500
    assert box_patient_side((100, 0, 400, 10), 250.0, 500, "L") == "both"
    assert box_patient_side((180, 0, 400, 10), 250.0, 500, "L") == "both"  # 70 of 220 px (32%) on the right
    assert box_patient_side((220, 0, 400, 10), 250.0, 500, "L") == "left"  # 30 of 180 px (17%) across
    assert box_patient_side((240, 0, 262, 10), 250.0, 500, "L") == "midline"  # a small box astride the midline
    assert box_patient_side((10, 0, 60, 10), 250.0, 500, "L") == "right"
    assert box_patient_side((100, 0, 400, 10), 250.0, 500, "") == ""  # no orientation: no side at all


def test_a_large_region_measured_on_a_grid_of_boxes_agrees_with_every_box():
    """Past 100 boxes the spread is taken over a grid of non-overlapping boxes (a ninth of the work): it must agree
    with the spread of every overlapping box's mean."""
    import cv2

    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[:230, :260]
    organ = ((yy - 115) / 100) ** 2 + ((xx - 130) / 120) ** 2 < 1
    for sd_hu, grain_px in ((22.0, 0.7), (30.0, 2.0), (10.0, 0.5)):
        pixels = (np.where(organ, 90.0, -100.0) + _correlated_noise(rng, organ.shape, sd_hu, grain_px)).astype(
            np.float32)
        core = cv2.erode(organ.astype(np.uint8), np.ones((5, 5), np.uint8), borderType=cv2.BORDER_CONSTANT,
                         borderValue=0)
        every_box = float(cv2.meanStdDev(cv2.blur(pixels, (3, 3)), mask=core)[1][0, 0])
        assert measure.local_mean_spread(pixels, organ, 3) == pytest.approx(every_box, rel=0.08)
