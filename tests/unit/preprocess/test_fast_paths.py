"""The shortcuts the speed work took give exactly what the plain computation gives.

Each shortcut (histogram percentiles for the perceptual hash, the majority pre-test before the
blank-image percentile, the reader's one label count reused by the slice policy) is compared with
the plain numpy computation it replaces, on random images built to hit the edge cases and on real
files, so a shortcut that drifts by one bit fails here.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.config import parse_config
from medtrinity.io.hashes import perceptual_hash, uint8_percentiles
from medtrinity.preprocess.display import _may_be_blank
from medtrinity.sources.volume import Volume, label_counts_per_slice, volume_samples


def _plain_perceptual_hash(pixels: np.ndarray) -> int:
    """The hash as first written (np.percentile over float32 pixels): the reference the fast path must equal."""
    values = pixels.astype(np.float32)
    low, high = np.percentile(values, [1, 99])
    scaled = np.clip((values - low) / max(float(high - low), 1e-6), 0, 1)
    thumbnail = cv2.resize(scaled.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    block = cv2.dct(thumbnail)[:8, :8].ravel()
    bits = block[1:] > np.median(block[1:])
    return int("".join("1" if bit else "0" for bit in bits), 2)


def _random_uint8_images(count: int):
    rng = np.random.default_rng(14)
    for number in range(count):
        height, width = (int(v) for v in rng.integers(1, 300, 2))
        kind = number % 4
        if kind == 0:
            yield rng.integers(0, 256, (height, width)).astype(np.uint8)
        elif kind == 1:
            spread = rng.uniform(0, 80)
            yield np.clip(rng.normal(rng.uniform(0, 255), spread, (height, width)), 0, 255).astype(np.uint8)
        elif kind == 2:  # two flat halves: order statistics on a tie
            image = np.zeros((height, width), np.uint8)
            image[: height // 2] = rng.integers(0, 256)
            yield image
        else:
            yield np.full((height, width), int(rng.integers(0, 256)), np.uint8)


def test_histogram_percentiles_equal_numpy_to_the_bit():
    percents = [0, 0.1, 1, 25, 50, 99, 99.9, 100, 37.3]
    for image in _random_uint8_images(800):
        fast = uint8_percentiles(image, percents)
        plain = np.percentile(image.astype(np.float32), percents)
        assert fast.dtype == plain.dtype
        assert np.array_equal(fast, plain), (image.shape, fast, plain)


def test_histogram_percentiles_of_views_equal_numpy_to_the_bit():
    """A contiguous 2D image is counted as it is, any other (cropped, flipped, 3D) through a flat copy."""
    percents = [1, 50, 99]
    for image in _random_uint8_images(200):
        if image.shape[0] < 3 or image.shape[1] < 3:
            continue
        for view in (image[1:, 1:], image[::-1], image[:, ::2], image[1:], image[:, :, None]):
            fast = uint8_percentiles(view, percents)
            assert np.array_equal(fast, np.percentile(view.astype(np.float32), percents)), view.shape


def test_compiled_histogram_equals_bincount():
    from medtrinity.io.histogram_kernels import uint8_histogram

    rng = np.random.default_rng(21)
    for size in [0, 1, 3, 4, 5, 7, 4096, 4099, 262144, 262147]:
        values = rng.integers(0, 256, size).astype(np.uint8)
        if size > 8:
            values[: size // 2] = 7  # a flat run: one value counted by every sub-histogram
        assert np.array_equal(uint8_histogram(values), np.bincount(values, minlength=256)), size
    for image in _random_uint8_images(60):
        flat = image.reshape(-1)
        assert np.array_equal(uint8_histogram(flat), np.bincount(flat, minlength=256))


def test_histogram_percentiles_refuse_other_types():
    with pytest.raises(ValueError, match="float32"):
        uint8_percentiles(np.zeros((4, 4), np.float32), [1])


def test_perceptual_hash_fast_path_equals_the_plain_hash(shared_data):
    images = list(_random_uint8_images(400))
    images += [cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) for path in sorted(shared_data.rglob("*.png"))[:40]]
    checked = 0
    for image in images:
        if image is None or image.size < 2:
            continue
        assert perceptual_hash(image) == _plain_perceptual_hash(image)
        checked += 1
    assert checked > 400


def test_blank_pretest_never_clears_a_blank_image():
    """Images where one value fills 99%..100% of the pixels: whenever numpy's percentiles are equal
    (a blank image) the pre-test must send the image on to that exact test."""
    rng = np.random.default_rng(15)
    cleared = blanks = 0
    for number in range(3000):
        height, width = (int(v) for v in rng.integers(2, 300, 2))
        size = height * width
        pixels = rng.normal(0, 100, size).astype(np.float32)
        share = float(rng.choice([0.5, 0.99, 0.997, 0.998, 0.9985, 0.999, 1.0]))
        filled = int(round(share * size))
        where = rng.permutation(size)[:filled] if number % 2 else np.arange(filled)  # scattered or in one block
        pixels[where] = float(rng.integers(-1024, 100))
        image = pixels.reshape(height, width)
        low, high = np.percentile(image, [0.1, 99.9])
        maybe = _may_be_blank(image)
        blanks += int(low == high)
        cleared += int(not maybe)
        assert maybe or low != high, (height, width, share)
    assert blanks > 300 and cleared > 300  # both branches were exercised


def _volume(seed: int, with_counts: bool) -> Volume:
    rng = np.random.default_rng(seed)
    data = rng.integers(-1000, 1000, (12, 40, 48)).astype(np.int16)
    labels = np.zeros(data.shape, np.int32)
    labels[3:7, 10:20, 5:25] = 2
    labels[5:9, 22:30, 30:40] = 7
    if not with_counts:  # the plain way: whole volumes converted up front, counts made by volume_samples
        return Volume(data=data.astype(np.float32), spacing_xyz_mm=(0.8, 0.8, 2.5), labels=labels,
                      intensity_unit="HU")
    stored = labels.astype(np.uint8)  # the reader's way: stored types kept, counted once, slices cast
    return Volume(data=data, spacing_xyz_mm=(0.8, 0.8, 2.5), labels=stored, intensity_unit="HU",
                  label_counts=label_counts_per_slice(stored, "axial"), slice_dtype=np.float32,
                  label_slice_dtype=np.int32)


def test_reader_counts_and_per_slice_cast_give_the_same_samples():
    config = parse_config({"sources": [{"name": "s", "reader": "nifti", "path": "x.nii.gz", "modality": "ct"}],
                           "slicing": {"without_roi_fraction": 0.3}})
    names = {2: "liver", 7: "lesion"}
    runs = []
    for with_counts in (False, True):
        runs.append(list(volume_samples(_volume(3, with_counts), source=config.sources[0], config=config,
                                        case_key="case", source_file="x.nii.gz", label_names=names,
                                        modality="ct", body_part="abdomen")))
    plain, counted = runs
    assert [s.slice_index for s in plain] == [s.slice_index for s in counted]
    assert len(plain) >= 6
    for a, b in zip(plain, counted, strict=True):
        assert a.pixels.dtype == b.pixels.dtype == np.float32
        assert a.label_map.dtype == b.label_map.dtype == np.int32
        assert np.array_equal(a.pixels, b.pixels)
        assert np.array_equal(a.label_map, b.label_map)
        assert a.volume_stats == b.volume_stats
        assert np.array_equal(a.lesion_components, b.lesion_components)


def test_label_counts_for_another_plane_are_refused():
    config = parse_config({"sources": [{"name": "s", "reader": "nifti", "path": "x.nii.gz", "modality": "ct"}],
                           "slicing": {"plane": "coronal"}})
    volume = _volume(4, True)  # counted per axial slice: 12 rows, the coronal plane has 40 slices
    with pytest.raises(ValueError, match="label counts for 12 slices"):
        list(volume_samples(volume, source=config.sources[0], config=config, case_key="c", source_file="x",
                            label_names={2: "liver", 7: "lesion"}, modality="ct", body_part="abdomen"))


def test_uint8_label_counts_equal_the_integer_counts_in_every_plane():
    rng = np.random.default_rng(16)
    for _ in range(60):
        shape = tuple(int(v) for v in rng.integers(1, 30, 3))
        labels = rng.integers(0, int(rng.integers(1, 256)), shape).astype(np.uint8)
        for plane in ("axial", "coronal", "sagittal"):
            fast, plain = label_counts_per_slice(labels, plane), label_counts_per_slice(labels.astype(np.int32), plane)
            assert fast.shape == plain.shape
            assert np.array_equal(fast, plain)


def test_integer_percentile_scaling_equals_the_float_computation_to_the_bit(shared_data):
    """8- and 16-bit images are scaled from a histogram and a table over every value: the same bytes as the
    float32 percentile computation, on random, constant, nearly constant and real radiographs."""
    from medtrinity.preprocess.windowing import percentile_scale

    rng = np.random.default_rng(21)
    images = []
    for dtype, top in [(np.uint8, 255), (np.uint16, 4095), (np.uint16, 65535)]:
        for shape in [(1, 1), (1, 5), (3, 7), (64, 64), (200, 311)]:
            images += [rng.integers(0, top + 1, shape).astype(dtype), np.full(shape, top // 3, dtype=dtype),
                       np.where(rng.random(shape) < 0.995, 7, top).astype(dtype),
                       rng.normal(top / 2, top / 10, shape).clip(0, top).astype(dtype)]
    for path in sorted((shared_data / "nih_cxr14").glob("*.png")):
        radiograph = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        images += [radiograph, radiograph.astype(np.uint16) * 16 + 3, radiograph[::-1, ::3]]
    for image in images:
        for low, high in [(1, 99), (0.5, 99.5), (0, 100), (2, 98)]:
            # the same values as float32 take the plain path: np.percentile over the pixels, float arithmetic
            plain = percentile_scale(image.astype(np.float32), low, high)
            assert np.array_equal(percentile_scale(image, low, high), plain)


def _plain_unit_scaled_rgb(pixels: np.ndarray) -> np.ndarray:
    """The hash's input for a colour image as first written: float32 copy, channel mean, np.percentile."""
    values = pixels.astype(np.float32).mean(axis=2)
    low, high = np.percentile(values[np.isfinite(values)], [1, 99])
    return np.clip((np.nan_to_num(values, nan=float(low)) - low) / max(float(high - low), 1e-6), 0, 1).astype(
        np.float32)


def test_colour_hash_input_equals_the_plain_computation_to_the_bit(shared_data):
    """Colour images reach the hash through their channel sums (one compiled pass, a table per sum): the same
    float32 image as the channel mean and np.percentile, on random, flat, two-colour, grey-in-colour, tiny and
    real colour images, and so the same hash."""
    from medtrinity.io.hashes import _unit_scaled

    rng = np.random.default_rng(41)
    images = [np.zeros((1, 1, 3), np.uint8), np.full((9, 7, 3), 200, np.uint8),
              np.dstack([rng.integers(0, 256, (40, 30), dtype=np.uint8)] * 3)]
    for _ in range(60):
        shape = (int(rng.integers(1, 120)), int(rng.integers(1, 120)), 3)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            images.append(rng.integers(0, 256, shape, dtype=np.uint8))
        elif kind == 1:
            images.append(np.where(rng.random(shape[:2])[:, :, None] < 0.3, [10, 200, 30], [250, 250, 250])
                          .astype(np.uint8))
        else:
            images.append(np.clip(rng.normal(rng.uniform(0, 255), 25, shape), 0, 255).astype(np.uint8))
    for path in sorted((shared_data / "sam_med2d").rglob("*.png"))[:8] + sorted((shared_data / "fundus").glob("*")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None:
            images.append(image)
    for image in images:
        assert np.array_equal(_unit_scaled(image), _plain_unit_scaled_rgb(image)), image.shape
        thumbnail = cv2.resize(_plain_unit_scaled_rgb(image), (32, 32), interpolation=cv2.INTER_AREA)
        block = cv2.dct(thumbnail)[:8, :8].ravel()
        bits = block[1:] > np.median(block[1:])
        assert perceptual_hash(image) == int("".join("1" if bit else "0" for bit in bits), 2), image.shape


def test_16_bit_hash_input_equals_the_plain_computation_to_the_bit(shared_data):
    """Raw 16-bit radiographs (hashed for near-duplicates) reach the hash through their histogram: the same
    float32 input as np.percentile over the float32 copy, and the same hash."""
    from medtrinity.io.hashes import _unit_scaled

    def plain(pixels):
        values = pixels.astype(np.float32)
        low, high = np.percentile(values[np.isfinite(values)], [1, 99])
        return np.clip((np.nan_to_num(values, nan=float(low)) - low) / max(float(high - low), 1e-6), 0, 1).astype(
            np.float32)

    rng = np.random.default_rng(43)
    images = [np.zeros((1, 1), np.uint16), np.full((70, 70), 65535, np.uint16),
              np.where(rng.random((80, 90)) < 0.995, 7, 60000).astype(np.uint16)]
    for _ in range(40):
        shape = (int(rng.integers(1, 150)), int(rng.integers(1, 150)))
        top = int(rng.choice([255, 4095, 65535]))
        images.append(np.clip(rng.normal(rng.uniform(0, top), top / 6, shape), 0, top).astype(np.uint16))
    for path in sorted((shared_data / "nih_cxr14").glob("*.png")):
        images.append(cv2.imread(str(path), cv2.IMREAD_UNCHANGED).astype(np.uint16) * 16 + 5)
    for image in images:
        assert np.array_equal(_unit_scaled(image), plain(image)), image.shape
        assert perceptual_hash(image) == _plain_perceptual_hash(image), image.shape
