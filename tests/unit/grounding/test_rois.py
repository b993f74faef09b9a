"""ROIs measured on the synthetic phantom must match the truth it was built from."""

import numpy as np
import pytest

from medtrinity.config import GroundingConfig, PreprocessConfig, parse_config
from medtrinity.grounding.rle import decode_mask
from medtrinity.grounding.rois import ground_sample
from medtrinity.phantom import LESIONS, SPACING_XYZ_MM
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.sources import make_reader


@pytest.fixture(scope="module")
def phantom_slices():
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom"}]})
    reader = make_reader(config.sources[0], config)
    slices = {}
    for sample in reader.read("phantom-000"):
        preprocess_sample(sample, PreprocessConfig())
        slices[sample.slice_index] = ground_sample(sample, GroundingConfig())
    return slices


@pytest.mark.parametrize("truth", LESIONS, ids=lambda t: f"{t.label}-{t.diameter_mm}mm")
def test_lesion_measurements_match_phantom_truth(phantom_slices, truth):
    z, y, x = truth.center_zyx_px
    sample = phantom_slices[z]
    matches = [roi for roi in sample.rois if roi.label == truth.label and decode_mask(roi.mask_rle)[y, x]]
    assert len(matches) == 1, [roi.label for roi in sample.rois]
    roi = matches[0]
    spacing = SPACING_XYZ_MM[0]
    assert roi.kind == "lesion"
    assert abs(roi.largest_diameter_mm - truth.diameter_mm) <= spacing
    expected_area = np.pi * (truth.diameter_mm / 2) ** 2
    assert roi.area_mm2 == pytest.approx(expected_area, rel=0.06)
    x0, y0, x1, y1 = roi.bbox_xyxy
    assert (x1 - x0) * spacing == pytest.approx(truth.diameter_mm, abs=spacing)
    assert (y1 - y0) * spacing == pytest.approx(truth.diameter_mm, abs=spacing)
    assert roi.centroid_xy == pytest.approx((x, y), abs=0.75)
    assert roi.patient_side == truth.side
    assert roi.containing_organ == truth.organ
    assert roi.intensity_word == truth.intensity
    assert roi.texture == truth.texture
    assert roi.area_px == int(decode_mask(roi.mask_rle).sum())


def test_lesion_volume_in_ml_matches_sphere_volumes(phantom_slices):
    sample = phantom_slices[LESIONS[2].center_zyx_px[0]]
    splenic = next(roi for roi in sample.rois if roi.label == "splenic lesion")
    assert splenic.volume_ml == pytest.approx(LESIONS[2].volume_ml, rel=0.1)


def test_findings_are_rois_and_organs_are_context(phantom_slices):
    sample = phantom_slices[LESIONS[0].center_zyx_px[0]]
    assert {roi.kind for roi in sample.rois} == {"lesion"}
    assert {"liver", "spleen", "vertebra"} <= {roi.label for roi in sample.context_rois}


def test_slice_without_findings_keeps_only_the_largest_organs():
    config = parse_config({"sources": [{"name": "ph", "reader": "phantom", "path": "phantom"}]})
    sample = next(make_reader(config.sources[0], config).read("phantom-000"))
    sample.label_map = sample.label_map.copy()
    preprocess_sample(sample, PreprocessConfig())
    ground_sample(sample, GroundingConfig(max_organ_rois=1))
    assert len(sample.rois) == 1 and sample.rois[0].kind == "organ"
    assert sample.rois[0].area_px == max(roi.area_px for roi in sample.context_rois)


def test_regions_under_the_minimum_area_are_dropped(phantom_slices):
    sample = phantom_slices[LESIONS[1].center_zyx_px[0]]
    settings = GroundingConfig(min_area_px=1000)
    ground_sample(sample, settings)
    assert all(roi.area_px >= 1000 for roi in sample.rois + sample.context_rois)
