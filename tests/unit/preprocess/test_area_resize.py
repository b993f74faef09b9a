"""The 2D preprocessing shortcuts give exactly what the plain computation gives.

The shortcuts: one histogram for the constant test, the blank test and the percentile table; the
display image and the resized physical array made in one compiled pass over whole blocks instead
of OpenCV's LUT, area resize and float32 copy; label maps resized without int32 round trips. Each
is compared with the plain OpenCV/numpy computation, to the bit, on random images built to hit
the edge cases (constant, nearly constant, tiny, 16-bit, RGB, odd sizes, large block factors) and
on the real radiographs of the shared data.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from medtrinity.config import PreprocessConfig
from medtrinity.io.hashes import pixel_counts
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.preprocess.resize import block_factors, display_and_physical, resize_labels
from medtrinity.preprocess.windowing import apply_window, percentile_table
from medtrinity.records import Sample, SampleError


def _plain_display_and_physical(pixels, table, out_hw):
    height, width = out_hw
    display = cv2.resize(table[pixels], (width, height), interpolation=cv2.INTER_AREA)
    physical = cv2.resize(pixels.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)
    return display, physical


def _random_table(rng, size):
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return rng.integers(0, 256, size).astype(np.uint8)
    if kind == 1:
        return np.zeros(size, np.uint8)
    return np.clip(np.arange(size) // max(1, size // 256), 0, 255).astype(np.uint8)


def test_block_display_and_physical_equal_opencv_to_the_bit():
    rng = np.random.default_rng(1401)
    checked = 0
    for trial in range(1500):
        dtype, top = [(np.uint8, 255), (np.uint16, 65535), (np.uint16, 4095)][trial % 3]
        if trial % 5 == 0:  # large factors: tiny outputs; OpenCV's own test decides whole or not (e.g. 1/(1/49))
            factor_y, factor_x = (int(v) for v in rng.integers(1, 70, 2))
            out_h, out_w = (int(v) for v in rng.integers(1, 4, 2))
        else:
            factor_y, factor_x = (int(v) for v in rng.integers(1, 6, 2))
            out_h, out_w = (int(v) for v in rng.integers(1, 40, 2))
        extra_h, extra_w = (0, 0) if trial % 7 else (int(v) for v in rng.integers(0, 3, 2))  # sizes that do not divide
        shape = (out_h * factor_y + extra_h, out_w * factor_x + extra_w)
        pattern = trial % 4
        if pattern == 0:
            pixels = rng.integers(0, top + 1, shape)
        elif pattern == 1:
            pixels = np.full(shape, int(rng.integers(0, top + 1)))
        elif pattern == 2:
            pixels = np.where(rng.random(shape) < 0.9, top, 0)
        else:
            pixels = np.clip(rng.normal(top / 2, top / 8, shape), 0, top)
        pixels = pixels.astype(dtype)
        if trial % 11 == 0:
            pixels = pixels[::-1]  # a view with negative strides
        table = _random_table(rng, 256 if dtype == np.uint8 else 65536)
        fast = display_and_physical(pixels, table, (out_h, out_w))
        plain = _plain_display_and_physical(pixels, table, (out_h, out_w))
        assert fast[0].dtype == np.uint8 and fast[1].dtype == np.float32
        assert np.array_equal(fast[0], plain[0]), (dtype, shape, out_h, out_w)
        assert np.array_equal(fast[1], plain[1]), (dtype, shape, out_h, out_w)
        checked += block_factors(shape, (out_h, out_w)) is not None
    assert checked > 800  # most trials went through the compiled pass, not the fallback


def test_block_factors_follow_opencvs_whole_scale_test():
    assert block_factors((1024, 1024), (512, 512)) == (2, 2)
    assert block_factors((1536, 1024), (512, 512)) == (3, 2)
    assert block_factors((1025, 1024), (512, 512)) is None
    assert block_factors((512, 512), (512, 512)) == (1, 1)
    assert block_factors((48, 50), (1, 1)) == (48, 50)
    assert block_factors((49, 48), (1, 1)) is None  # 1 / (1 / 49) is 49.00000000000001 in double: not whole


def test_radiographs_through_the_block_pass_equal_opencv(shared_data):
    paths = sorted((shared_data / "nih_cxr14").glob("*.png"))
    assert paths
    for path in paths:
        radiograph = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        for pixels in (radiograph, radiograph.astype(np.uint16) * 16 + 3):
            table = percentile_table(pixel_counts(pixels), pixels.size, 1.0, 99.0)
            for out_hw in [(512, 512), (256, 256), (341, 341), (1024, 1024)]:
                fast = display_and_physical(pixels, table, out_hw)
                plain = _plain_display_and_physical(pixels, table, out_hw)
                assert np.array_equal(fast[0], plain[0]) and np.array_equal(fast[1], plain[1]), (path.name, out_hw)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.int64, np.bool_])
def test_label_resize_equals_the_int32_round_trip(dtype):
    rng = np.random.default_rng(7)
    for _ in range(40):
        shape = tuple(int(v) for v in rng.integers(2, 120, 2))
        out_hw = tuple(int(v) for v in rng.integers(1, 120, 2))
        labels = rng.integers(0, 2 if dtype == np.bool_ else 100, shape).astype(dtype)
        plain = cv2.resize(labels.astype(np.int32), out_hw[::-1], interpolation=cv2.INTER_NEAREST).astype(dtype)
        fast = resize_labels(labels, out_hw)
        assert fast.dtype == labels.dtype and np.array_equal(fast, plain)


def _plain_preprocess(pixels, intensity_unit, settings):
    """The preprocess stage written with the plain computations: min/max, np.percentile, float32 copies."""
    if settings.reject_constant_images and pixels.min() == pixels.max():
        return "constant_image", f"every pixel has the value {pixels.flat[0]}"
    if settings.reject_constant_images:
        low, high = np.percentile(pixels, [0.1, 99.9])
        if low == high:
            return "blank_image", f"at least 99.8% of the pixels have the value {low}"
    if intensity_unit == "HU" and pixels.ndim == 2:
        image = apply_window(pixels, 40.0, 400.0)
    elif pixels.ndim == 3 and pixels.dtype == np.uint8:
        image = pixels
    else:
        values = pixels.astype(np.float32)
        low, high = np.percentile(values, list(settings.percentiles))
        if high <= low:
            low, high = float(values.min()), float(values.max())
        if high <= low:
            image = np.zeros(pixels.shape, np.uint8)
        else:
            image = np.clip(np.rint((values - low) * (255.0 / (high - low))), 0, 255).astype(np.uint8)
    longer = max(pixels.shape[:2])
    scale = min(1.0, settings.max_size_px / longer)
    physical = pixels
    if scale != 1.0:
        size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        source = pixels.astype(np.float32) if pixels.ndim == 2 else pixels
        physical = cv2.resize(source, size, interpolation=cv2.INTER_AREA)
    return image, physical


def _images(rng):
    for shape in [(2, 2), (3, 17), (32, 32), (64, 48), (99, 200), (300, 300)]:
        yield rng.integers(0, 256, shape).astype(np.uint8)
        yield rng.integers(0, 4096, shape).astype(np.uint16)
        yield rng.integers(0, 256, (*shape, 3)).astype(np.uint8)
        yield rng.normal(100, 30, shape).astype(np.float32)
        yield rng.integers(-1000, 1000, shape).astype(np.int16)
        yield np.full(shape, 9, np.uint8)  # constant
        nearly = np.full(shape, 200, np.uint16)
        nearly.flat[0] = 3
        yield nearly  # blank when large enough (99.8% one value), else scaled
        yield np.where(rng.random(shape) < 0.5, 0, 255).astype(np.uint8)  # two values


def test_preprocess_equals_the_plain_computation():
    rng = np.random.default_rng(99)
    for max_size in (16, 64, 512):
        settings = PreprocessConfig(max_size_px=max_size)
        for pixels in _images(rng):
            for unit in ("", "HU"):
                if unit == "HU" and pixels.ndim == 3:
                    continue
                sample = Sample(id="x", source="s", case_id="c", modality="xray", body_part="abdomen",
                                pixels=pixels.copy(), intensity_unit=unit, source_file="f.png")
                expected = _plain_preprocess(pixels, unit, settings)
                if isinstance(expected[0], str):
                    with pytest.raises(SampleError) as caught:
                        preprocess_sample(sample, settings)
                    assert (caught.value.code, caught.value.message) == (expected[0], f"f.png: {expected[1]}")
                    continue
                out = preprocess_sample(sample, settings)
                assert out.image.dtype == np.uint8 and np.array_equal(out.image, expected[0]), (pixels.shape, unit)
                assert out.pixels.dtype == expected[1].dtype and np.array_equal(out.pixels, expected[1])


def test_preprocess_of_real_radiographs_equals_the_plain_computation(shared_data):
    settings = PreprocessConfig()
    for path in sorted((shared_data / "nih_cxr14").glob("*.png")):
        radiograph = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        labels = np.zeros(radiograph.shape, np.int32)
        labels[100:400, 300:700] = 2
        sample = Sample(id="x", source="s", case_id="c", modality="xray", body_part="chest", pixels=radiograph,
                        label_map=labels)
        out = preprocess_sample(sample, settings)
        image, physical = _plain_preprocess(radiograph, "", settings)
        assert np.array_equal(out.image, image) and np.array_equal(out.pixels, physical)
        plain_labels = cv2.resize(labels, (512, 512), interpolation=cv2.INTER_NEAREST)
        assert out.label_map.dtype == np.int32 and np.array_equal(out.label_map, plain_labels)


def _plain_window(pixels, center_hu, width_hu):
    low = center_hu - width_hu / 2.0
    scaled = (pixels.astype(np.float32) - low) * (255.0 / width_hu)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


WINDOWS = [(40.0, 400.0), (50.0, 350.0), (60.0, 160.0), (40.0, 80.0), (-600.0, 1500.0), (400.0, 1800.0),
           (0.3, 0.7), (-1000.5, 3.3), (1e5, 7.0), (12.25, 255.0)]


def test_integer_windowing_equals_numpy_on_every_value():
    """Every int16, uint16, uint8 and int8 value (so every slice of those types) and random int32 slices."""
    rng = np.random.default_rng(3)
    slices = [np.arange(-32768, 32768, dtype=np.int32).astype(np.int16).reshape(256, 256),
              np.arange(65536, dtype=np.int32).astype(np.uint16).reshape(256, 256),
              np.arange(256, dtype=np.int32).astype(np.uint8).reshape(16, 16),
              np.arange(-128, 128, dtype=np.int32).astype(np.int8).reshape(16, 16),
              rng.integers(-2**31, 2**31, (64, 64)).astype(np.int32),
              rng.integers(-3000, 3000, (1, 7)).astype(np.int32),
              np.arange(-32768, 32768, dtype=np.int32).astype(np.int16).reshape(256, 256)[::-1, ::2]]
    for pixels in slices:
        for center, width in WINDOWS:
            fast = apply_window(pixels, center, width)
            assert fast.dtype == np.uint8 and np.array_equal(fast, _plain_window(pixels, center, width)), \
                (pixels.dtype, center, width)


def test_counts_and_tables_of_16_bit_images_equal_numpy():
    """The compiled 16-bit histogram and lookup against np.bincount and numpy indexing: noise, flat runs, the
    extreme values, views and colour images, below and above the size where the compiled loops take over."""
    from medtrinity.preprocess.windowing import apply_table

    rng = np.random.default_rng(16)
    images = [rng.integers(0, 65536, (70, 90)).astype(np.uint16), np.zeros((100, 100), np.uint16),
              np.full((64, 65), 65535, np.uint16), np.where(rng.random((300, 200)) < 0.8, 0, 4095).astype(np.uint16),
              rng.integers(0, 4096, (11, 13)).astype(np.uint16), rng.integers(0, 65536, (40, 50, 3)).astype(np.uint16)]
    images.append(images[0][::-1, ::3])
    for image in images:
        counts = pixel_counts(image)
        assert counts.dtype == np.int64 and np.array_equal(counts, np.bincount(image.ravel(), minlength=65536))
        table = rng.integers(0, 256, 65536).astype(np.uint8)
        looked_up = apply_table(image, table)
        assert looked_up.shape == image.shape and np.array_equal(looked_up, table[image])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.bool_])
def test_label_shrink_by_whole_steps_equals_opencvs_nearest(dtype):
    """Shrinking by whole factors takes every k-th row and column, as OpenCV's nearest-neighbour resize picks them;
    factors whose double-precision index OpenCV computes off by one (1 / (1 / k) < k) go to OpenCV."""
    from medtrinity.preprocess.resize import _whole_steps

    rng = np.random.default_rng(11)
    sliced = 0
    for factor_y, factor_x in [(2, 2), (4, 4), (2, 3), (1, 7), (49, 3), (69, 1), *rng.integers(1, 70, (30, 2))]:
        out_hw = tuple(int(v) for v in rng.integers(1, 40, 2))
        shape = (out_hw[0] * int(factor_y), out_hw[1] * int(factor_x))
        labels = rng.integers(0, 2 if dtype == np.bool_ else 200, shape).astype(dtype)
        plain = cv2.resize(labels.astype(np.int32), out_hw[::-1], interpolation=cv2.INTER_NEAREST).astype(dtype)
        fast = resize_labels(labels, out_hw)
        assert fast.dtype == labels.dtype and fast.flags.c_contiguous and np.array_equal(fast, plain)
        sliced += bool(_whole_steps(shape[0], out_hw[0]) and _whole_steps(shape[1], out_hw[1]))
    assert sliced > 10
    # the check itself: OpenCV's index for i is floor(i * (1 / (n / (n * k)))), which must equal k * i
    for target in range(1, 600):
        for step in (2, 3, 49):
            inverse = 1.0 / (target / (target * step))
            expected = all(int(np.floor(i * inverse)) == i * step for i in range(target))
            assert bool(_whole_steps(target * step, target)) == expected
