import numpy as np
import pytest

from medtrinity.config import PreprocessConfig
from medtrinity.preprocess.deid import allowed_metadata, case_id
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.preprocess.windowing import apply_window, ct_window_for, percentile_scale
from medtrinity.records import Sample, SampleError
from medtrinity.vocab.labels import is_finding, readable_label


def _sample(pixels, **fields):
    return Sample(id="x", source="s", case_id="c", modality=fields.pop("modality", "ct"), body_part="abdomen",
                  pixels=pixels, **fields)


def test_ct_window_maps_its_range_to_0_255():
    center, width = ct_window_for("abdomen", "")
    assert (center, width) == (40.0, 400.0)
    out = apply_window(np.array([-1000.0, -160.0, 40.0, 240.0, 3000.0]), center, width)
    assert out.tolist() == [0, 0, 128, 255, 255]
    assert ct_window_for("auto", "brain") == (40.0, 80.0)
    assert ct_window_for((100, 50), "") == (100.0, 50.0)
    with pytest.raises(ValueError, match="unknown CT window 'kidney'"):
        ct_window_for("kidney", "")


def test_percentile_scale_ignores_outliers_and_keeps_rgb():
    values = np.arange(1000, dtype=np.float32).reshape(10, 100)
    values[0, 0] = 1e9
    scaled = percentile_scale(values, 1, 99)
    assert scaled.dtype == np.uint8 and scaled.max() == 255 and scaled.min() == 0
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    assert percentile_scale(rgb) is rgb


def test_resize_keeps_aspect_and_updates_spacing_and_labels():
    pixels = np.random.default_rng(0).normal(40, 20, (400, 800)).astype(np.float32)
    labels = np.zeros((400, 800), dtype=np.int32)
    labels[100:200, 200:400] = 3
    sample = _sample(pixels, spacing_mm=(0.5, 0.5), intensity_unit="HU", label_map=labels)
    preprocess_sample(sample, PreprocessConfig(max_size_px=400))
    assert sample.image.shape == (200, 400)
    assert sample.pixels.shape == (200, 400) and sample.label_map.shape == (200, 400)
    assert sample.spacing_mm == pytest.approx((1.0, 1.0))
    assert int((sample.label_map == 3).sum()) == 50 * 100


def test_bad_pixels_are_sample_errors():
    with pytest.raises(SampleError, match="constant_image"):
        preprocess_sample(_sample(np.zeros((10, 10))), PreprocessConfig())
    nan = np.ones((10, 10), dtype=np.float32)
    nan[3, 3] = np.nan
    with pytest.raises(SampleError, match="non_finite_pixels"):
        preprocess_sample(_sample(nan), PreprocessConfig())
    with pytest.raises(SampleError, match="wrong_dimensions"):
        preprocess_sample(_sample(np.ones((4, 4, 4, 4))), PreprocessConfig())


def test_readable_labels_and_finding_names():
    assert readable_label("kidney_left") == "left kidney"
    assert readable_label("Liver-Tumor") == "liver tumor"
    assert readable_label("right_lung  upper_lobe") == "right upper lobe"
    assert is_finding("liver tumor", None) and not is_finding("liver", None)
    assert is_finding("liver", ["Liver"]) and not is_finding("liver tumor", ["liver"])


def test_case_ids_are_salted_and_metadata_is_allow_listed():
    assert case_id("src", "PATIENT-123", "a") == case_id("src", "PATIENT-123", "a")
    assert case_id("src", "PATIENT-123", "a") != case_id("src", "PATIENT-123", "b")
    assert "PATIENT" not in case_id("src", "PATIENT-123", "a")
    kept = allowed_metadata({"PatientName": "Doe^Jane", "PatientID": "123", "Modality": "CT", "KVP": 120.0,
                             "InstitutionName": "General", "StudyDate": "20200101"})
    assert kept == {"KVP": 120.0, "Modality": "CT"}
