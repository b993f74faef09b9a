"""ROIs measured on the synthetic phantom must match the truth it was built from."""

import numpy as np
import pytest

from medtrinity.config import GroundingConfig, PreprocessConfig, parse_config
from medtrinity.grounding import measure
from medtrinity.grounding.rois import ground_sample
from medtrinity.io.rle import decode_mask
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
    assert roi.margin == truth.margin
    # a disc a few pixels across may stick out a pixel at its axes' ends: then too small to call anything
    assert roi.shape == "round" or (roi.shape == "" and roi.area_px < measure.MIN_SHAPE_AREA_PX)
    assert abs(roi.perpendicular_diameter_mm - truth.diameter_mm) <= spacing
    assert roi.area_px == int(decode_mask(roi.mask_rle).sum())


@pytest.mark.parametrize("truth", LESIONS, ids=lambda t: f"{t.label}-{t.diameter_mm}mm")
def test_each_lesion_carries_its_own_3d_figures(phantom_slices, truth):
    z, y, x = truth.center_zyx_px
    roi = next(r for r in phantom_slices[z].rois if r.label == truth.label and decode_mask(r.mask_rle)[y, x])
    slice_mm = SPACING_XYZ_MM[2]
    assert roi.volume_ml == pytest.approx(truth.volume_ml, rel=0.15)
    assert roi.slices_spanned == 2 * int((truth.diameter_mm / 2 - 1e-9) // slice_mm) + 1
    assert roi.largest_slice_index == z
    # every other slice of the same lesion reports the same 3D figures
    for index in range(z - 1, z + 2):
        same = [r for r in phantom_slices[index].rois if r.label == truth.label and decode_mask(r.mask_rle)[y, x]]
        assert [r.volume_ml for r in same] == [roi.volume_ml]


def test_organ_parts_of_phantom_lesions(phantom_slices):
    z, y, x = LESIONS[0].center_zyx_px
    roi = next(r for r in phantom_slices[z].rois if decode_mask(r.mask_rle)[y, x])
    assert roi.organ_part == "right lobe"


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


def test_real_ct_organs_sit_on_their_anatomical_side(shared_data):
    folder = shared_data / "totalsegmentator"
    config = parse_config({"sources": [{"name": "t", "reader": "nifti", "path": str(folder / "example_ct_sm.nii.gz"),
                                        "labels": str(folder / "example_seg.nii.gz"), "modality": "ct",
                                        "label_map": str(folder / "label_map_total.json")}]})
    sides: dict[str, set[str]] = {"liver": set(), "gallbladder": set(), "spleen": set()}
    for sample in make_reader(config.sources[0], config).read(str(folder / "example_ct_sm.nii.gz")):
        preprocess_sample(sample, PreprocessConfig())
        ground_sample(sample, GroundingConfig())
        for roi in sample.context_rois:
            if roi.label in sides and roi.area_px > 50:
                sides[roi.label].add(roi.patient_side)
    assert sides == {"liver": {"right"}, "gallbladder": {"right"}, "spleen": {"left"}}


def test_real_brain_lesion_side_and_volume_agree_with_the_label_volume(shared_data):
    import SimpleITK as sitk

    folder = shared_data / "pyradiomics"
    label_image = sitk.DICOMOrient(sitk.ReadImage(str(folder / "brain1_label.nrrd")), "LPS")
    labels = sitk.GetArrayFromImage(label_image) > 0
    expected_ml = labels.sum() * float(np.prod(label_image.GetSpacing())) / 1000.0
    # LPS: x grows to the patient's left; compare the lesion's mean column with the head's middle
    image = sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(folder / "brain1_image.nrrd")), "LPS"))
    head_columns = np.nonzero(image > np.percentile(image, 60))[2]
    lesion_column = np.nonzero(labels)[2].mean()
    expected_side = "left" if lesion_column > (head_columns.min() + head_columns.max()) / 2 else "right"
    config = parse_config({"sources": [{"name": "b", "reader": "sitk", "path": str(folder / "brain1_image.nrrd"),
                                        "labels": str(folder / "brain1_label.nrrd"), "modality": "mri",
                                        "label_names": {1: "enhancing lesion"}}],
                           "slicing": {"without_roi_fraction": 0.0}})
    rois = []
    for sample in make_reader(config.sources[0], config).read(str(folder / "brain1_image.nrrd")):
        preprocess_sample(sample, PreprocessConfig())
        rois.extend(ground_sample(sample, GroundingConfig()).rois)
    largest = max(rois, key=lambda roi: roi.area_px)
    assert largest.patient_side == expected_side
    # the label has several 3D components; each ROI reports its own, and together they make the label volume
    components = {(roi.volume_ml, roi.slices_spanned, roi.largest_slice_index) for roi in rois}
    total_ml = sum(volume for volume, _, _ in components)
    assert 0.95 * expected_ml <= total_ml <= expected_ml + 0.01  # volumes are rounded to 0.001 ml
    assert largest.volume_ml == max(volume for volume, _, _ in components)


def test_label_extents_in_one_pass_match_each_label_alone():
    """Boxes, areas and centroids from the single pass equal those of each label taken alone, for small
    label values (presence tables) and for large instance ids (the other path)."""
    import cv2
    import numpy as np

    from medtrinity.grounding.regions import label_extents, whole_region

    rng = np.random.default_rng(3)
    for top_value in (40, 60000):
        label_map = np.zeros((97, 131), dtype=np.int32)
        for value in rng.choice(np.arange(1, top_value), size=12, replace=False):
            x, y = (int(v) for v in rng.integers(0, 110, size=2))
            label_map[y % 90:y % 90 + int(rng.integers(1, 9)), x:x + int(rng.integers(1, 21))] = value
        extents = label_extents(label_map)
        assert sorted(extents) == sorted(int(v) for v in np.unique(label_map) if v)
        for value, extent in extents.items():
            binary = (label_map == value).astype(np.uint8)
            x, y, w, h = cv2.boundingRect(binary)
            assert extent.box == (x, y, x + w, y + h)
            assert extent.area_px == int(binary.sum())
            moments = cv2.moments(binary, binaryImage=True)
            region = whole_region(label_map, extent)
            assert region.centroid_xy == (round(moments["m10"] / moments["m00"], 2),
                                          round(moments["m01"] / moments["m00"], 2))
            assert int(region.mask.sum()) == extent.area_px


def test_neighbours_are_listed_widest_contact_first():
    """A text names the first few neighbours: those the region shares most of its border with, not the first by
    name (a lung lobe once "abutted the T12 vertebra, right 10th rib, right 8th rib" before its wider contacts)."""
    from medtrinity.records import Sample

    yy, xx = np.mgrid[0:120, 0:120]
    kidney = (yy - 8) ** 2 + (xx - 60) ** 2 <= 20 ** 2  # cut by the top edge: enclosed by nothing
    labels = np.full((120, 120), 2, np.uint8)  # the spleen round most of it
    labels[:, 74:] = 3  # the aorta only past its right edge
    labels[kidney] = 1
    pixels = np.where(kidney, 150, np.where(labels == 3, 200, 60)).astype(np.int16)
    sample = Sample(id="n", source="s", case_id="c", modality="ct", body_part="abdomen", pixels=pixels,
                    intensity_unit="HU", spacing_mm=(1.0, 1.0), label_map=labels,
                    label_names={1: "kidney", 2: "spleen", 3: "aorta"})
    rois = {roi.label: roi for roi in ground_sample(sample, GroundingConfig()).rois}
    assert rois["kidney"].neighbours == ["spleen", "aorta"], rois["kidney"].neighbours


def _mri_with_lesion(width_px: int, spacing_mm: float):
    from medtrinity.records import Sample

    pixels = np.full((width_px, width_px), 100.0, np.float32)
    yy, xx = np.mgrid[:width_px, :width_px]
    lesion = (yy - width_px // 2) ** 2 + (xx - int(width_px * 0.8)) ** 2 <= (width_px // 12) ** 2
    pixels[lesion] = 300.0
    return Sample(id="m", source="s", case_id="c", modality="mri", body_part="breast", pixels=pixels,
                  label_map=lesion.astype(np.uint8), label_names={1: "breast lesion"},
                  finding_labels=frozenset({"breast lesion"}), spacing_mm=(spacing_mm, spacing_mm),
                  patient_orientation=("L", "P"))


def test_a_crop_narrower_than_a_body_gets_no_side_and_a_whole_section_does():
    """Off CT the body's centre is the image's: on a 40 mm crop (pyradiomics' breast MRI is 30 mm across, wholly
    right of the midline by its own coordinates) a lesion in its left fifth is not on the patient's left, and no
    patient side, midline or anterior/posterior word is written (where in the image it lies is still said); the
    same picture at 1 mm a pixel (240 mm) keeps its side."""
    from medtrinity.generation.backends import make_backend

    crop = ground_sample(_mri_with_lesion(240, 40 / 240), GroundingConfig())
    (roi,) = crop.rois
    assert roi.patient_side == "" and roi.patient_direction == []
    text = make_backend("composer").describe(crop).text.lower()
    assert not any(word in text for word in ("patient", "midline", "anterior", "posterior")), text
    assert "right part of the image" in text  # where in the image stays true on a crop
    whole = ground_sample(_mri_with_lesion(240, 1.0), GroundingConfig())
    assert whole.rois[0].patient_side == "left"  # columns grow towards the patient's left
