"""The preprocess stage's pure core: raw pixels -> clean uint8 display image on a resized grid."""

from __future__ import annotations

import numpy as np

from medtrinity.config import PreprocessConfig
from medtrinity.io.hashes import percentiles_from_counts, pixel_counts
from medtrinity.preprocess.resize import (
    display_and_physical,
    fit_scale,
    resize_image,
    resize_labels,
    resize_physical,
    scaled_shape,
)
from medtrinity.preprocess.windowing import (
    apply_table,
    apply_window,
    ct_window_for,
    percentile_scale,
    percentile_table,
)
from medtrinity.records import Sample, SampleError


def display_image(sample: Sample, settings: PreprocessConfig) -> np.ndarray:
    """CT in HU gets a window; colour images stay RGB; everything else is scaled by percentiles."""
    if sample.intensity_unit == "HU" and sample.pixels.ndim == 2:
        center, width = ct_window_for(settings.ct_window, sample.body_part)
        return apply_window(sample.pixels, center, width)
    return percentile_scale(sample.pixels, *settings.percentiles)


def _may_be_blank(pixels: np.ndarray) -> bool:
    """False when the 0.1th and 99.9th percentiles surely differ, without sorting the pixels.

    Equal percentiles need one value on at least ``b - a`` of the ``n`` sorted positions (``a``, ``b``
    the order statistics below each percentile), so on all but ``n - (b - a)`` pixels. Among ``m``
    evenly spaced pixels with ``m > 2 (n - (b - a))`` that value is then a strict majority: without a
    majority, or when the majority value's full count is short, the image is not blank. The exact
    percentile test runs only otherwise (small images always).
    """
    flat = pixels.ravel()
    n = flat.size
    first, last = int((n - 1) * (0.1 / 100)), int((n - 1) * (99.9 / 100))  # numpy's linear-method indices, floored
    others = n - (last - first)
    sample_size = 2 * others + 1
    if sample_size * 4 > n:
        return True
    sample = flat[np.linspace(0, n - 1, sample_size).astype(np.intp)]
    values, counts = np.unique(sample, return_counts=True)
    top = int(np.argmax(counts))
    if 2 * int(counts[top]) <= sample_size:
        return False
    return int(np.count_nonzero(flat == values[top])) >= last - first


def _reject_flat(pixels: np.ndarray, counts: np.ndarray | None, where: str) -> None:
    """A ``constant_image`` or ``blank_image`` reject (at least 99.8% of the pixels one value), from the
    histogram when there is one (the same order statistics as ``np.percentile``, without sorting)."""
    if counts is not None:
        constant = np.count_nonzero(counts) == 1
    else:
        constant = pixels.min() == pixels.max()
    if constant:
        raise SampleError("constant_image", f"{where}: every pixel has the value {pixels.flat[0]}")
    if counts is not None:
        low, high = percentiles_from_counts(counts, pixels.size, [0.1, 99.9])
    elif _may_be_blank(pixels):
        low, high = np.percentile(pixels, [0.1, 99.9])
    else:
        return
    if low == high:
        raise SampleError("blank_image", f"{where}: at least 99.8% of the pixels have the value {low}")


def preprocess_sample(sample: Sample, settings: PreprocessConfig) -> Sample:
    """Check the pixels, make the display image and resize image, physical array, labels and spacing together.

    8- and 16-bit images are counted once (:func:`pixel_counts`): the counts give the constant and
    blank tests and the percentile table; a grey one then becomes its display image and its resized
    physical array in one pass when it shrinks by whole blocks (:func:`display_and_physical`).
    """
    pixels = sample.pixels
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3) or min(pixels.shape[:2]) < 2:
        raise SampleError("wrong_dimensions", f"{sample.source_file}: image shape {pixels.shape} is not 2D grey or RGB")
    if np.issubdtype(pixels.dtype, np.floating) and not np.all(np.isfinite(pixels)):
        raise SampleError("non_finite_pixels", f"{sample.source_file}: image contains NaN or infinite values")
    counts = pixel_counts(pixels)
    if settings.reject_constant_images:
        _reject_flat(pixels, counts, sample.source_file)
    scale = fit_scale(pixels.shape[0], pixels.shape[1], settings.max_size_px)
    windowed = sample.intensity_unit == "HU" and pixels.ndim == 2
    if counts is not None and pixels.ndim == 2 and not windowed:
        table = percentile_table(counts, pixels.size, *settings.percentiles)
        if scale == 1.0:
            image, physical = apply_table(pixels, table), pixels
        else:
            image, physical = display_and_physical(pixels, table, scaled_shape(pixels.shape, scale))
    else:
        image = display_image(sample, settings)
        if scale != 1.0:
            image = resize_image(image, scale)
            if pixels.ndim == 2:
                physical = resize_physical(pixels, image.shape[:2])
            elif image.ndim == 3 and pixels.dtype == np.uint8:
                physical = image  # an RGB image is its own display image: resized once
            else:
                physical = resize_image(pixels, scale)
        else:
            physical = pixels
    if scale != 1.0:
        shape = image.shape[:2]
        sample.pixels = physical
        if sample.label_map is not None:
            sample.label_map = resize_labels(sample.label_map, shape)
        if sample.input_boxes:
            fx, fy = shape[1] / pixels.shape[1], shape[0] / pixels.shape[0]
            sample.input_boxes = [(label, (x0 * fx, y0 * fy, x1 * fx, y1 * fy))
                                  for label, (x0, y0, x1, y1) in sample.input_boxes]
        if sample.lesion_components is not None:
            sample.lesion_components = resize_labels(sample.lesion_components, shape)
        if sample.spacing_mm is not None:
            sample.spacing_mm = (
                sample.spacing_mm[0] * pixels.shape[1] / shape[1],
                sample.spacing_mm[1] * pixels.shape[0] / shape[0],
            )
    sample.image = np.ascontiguousarray(image)
    return sample
