"""Duplicate filter (exact and perceptual), blank images, and the readable label vocabulary."""

import cv2
import numpy as np
import pytest

from medtrinity.config import PreprocessConfig, parse_config
from medtrinity.io.hashes import content_digest, hamming, perceptual_hash
from medtrinity.pipeline import build_stages
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.records import Sample, SampleError
from medtrinity.sources import make_reader
from medtrinity.vocab.labels import is_finding, readable_label


def _picture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.zeros((96, 96), np.uint8)
    for _ in range(6):
        cv2.circle(image, tuple(int(v) for v in rng.integers(10, 86, 2)), int(rng.integers(5, 20)),
                   int(rng.integers(60, 255)), -1)
    return image


def test_perceptual_hash_is_close_for_a_resaved_copy_and_far_for_another_image():
    image = _picture(0)
    noisy = np.clip(image.astype(int) + np.random.default_rng(5).integers(-3, 4, image.shape), 0, 255)
    brighter = np.clip(image.astype(int) * 1.1 + 5, 0, 255)
    assert hamming(perceptual_hash(image), perceptual_hash(noisy.astype(np.uint8))) <= 4
    assert hamming(perceptual_hash(image), perceptual_hash(brighter.astype(np.uint8))) <= 4
    assert hamming(perceptual_hash(image), perceptual_hash(_picture(1))) > 10


def _folder(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), _picture(0))
    cv2.imwrite(str(images / "b_copy.png"), _picture(0))
    cv2.imwrite(str(images / "c_resaved.png"), np.clip(_picture(0).astype(int) + 2, 0, 255).astype(np.uint8))
    cv2.imwrite(str(images / "d_other.png"), _picture(1))
    return images


@pytest.mark.parametrize(("mode", "expected"), [
    ("near", [None, "duplicate_image", "near_duplicate", None]),
    ("exact", [None, "duplicate_image", None, None]),
    ("keep", [None, None, None, None]),
])
def test_duplicates_are_rejected_with_counted_reasons(tmp_path, mode, expected):
    config = parse_config({"sources": [{"name": "s", "reader": "image_masks", "path": str(_folder(tmp_path))}],
                           "preprocess": {"duplicates": mode}})
    reader = make_reader(config.sources[0], config)
    dedup = build_stages(config)[0]
    assert dedup.name == "dedup"
    codes = []
    for item in reader.list_items():
        for sample in reader.read(item):
            try:
                preprocess_sample(dedup.run(sample), config.preprocess)
                codes.append(None)
            except SampleError as error:
                codes.append(error.code)
                assert item in error.message and "earlier in the same shard" in error.message
    assert codes == expected


def test_content_digest_matches_exact_copies_only():
    """Equal for copies (whatever the memory layout), different for one changed value, shape or type."""
    rng = np.random.default_rng(3)
    image = rng.normal(0, 100, (64, 48)).astype(np.float32)
    assert content_digest(image) == content_digest(image.copy())
    assert content_digest(image.T) == content_digest(np.ascontiguousarray(image.T))  # layout is not content
    changed = image.copy()
    changed[10, 10] = np.nextafter(changed[10, 10], np.float32(np.inf))  # one bit of one pixel
    assert content_digest(changed) != content_digest(image)
    assert content_digest(image.reshape(48, 64)) != content_digest(image)  # same bytes, other shape
    assert content_digest(image.view(np.int32)) != content_digest(image)  # same bytes, other type
    assert len({content_digest(np.zeros(shape, dtype)) for shape in [(0, 3), (3, 0), (2, 2)]
                for dtype in (np.uint8, bool)}) == 6  # empty and boolean images digest too


def test_blank_image_is_a_reject():
    pixels = np.zeros((100, 100), np.float32)
    pixels[0, 0] = 5.0
    sample = Sample(id="x", source="s", case_id="c", modality="other", body_part="", pixels=pixels,
                    source_file="blank.png")
    with pytest.raises(SampleError) as error:
        preprocess_sample(sample, PreprocessConfig())
    assert error.value.code == "blank_image" and "blank.png" in error.value.message


@pytest.mark.parametrize(("raw", "words"), [
    ("kidney_left", "left kidney"),
    ("Kidney_L", "left kidney"),
    ("rib_left_9", "left 9th rib"),
    ("lung_upper_lobe_right", "right upper lobe"),
    ("vertebrae_T9", "T9 vertebra"),
    ("GTV", "gross tumor volume"),
    ("IVC", "inferior vena cava"),
    ("LeftVentricle", "left ventricle"),
    ("Liver-Tumor", "liver tumor"),
])
def test_label_vocabulary(raw, words):
    assert readable_label(raw) == words
    assert "_" not in readable_label(raw)


def test_gross_tumour_volume_is_a_finding():
    assert is_finding(readable_label("GTV"), None)
    assert not is_finding(readable_label("kidney_left"), None)
