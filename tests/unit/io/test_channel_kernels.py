"""Colour files holding a grey image become one channel exactly as the plain numpy test made them."""

from __future__ import annotations

import cv2
import numpy as np

from medtrinity.io.images import read_image


def _plain(image: np.ndarray) -> np.ndarray:
    """The reader's channel handling written with numpy comparisons (the reference)."""
    if image.shape[2] == 4:
        image = image[:, :, :3]
    if np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 1], image[:, :, 2]):
        return np.ascontiguousarray(image[:, :, 0])
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def test_grey_and_colour_files_read_as_the_plain_test_reads_them(tmp_path):
    rng = np.random.default_rng(3)
    grey = rng.integers(0, 256, (90, 70), dtype=np.uint8)
    last_pixel = np.dstack([grey] * 3)
    last_pixel[-1, -1, 2] ^= 1  # one channel of the last pixel differs: colour
    first_pixel = np.dstack([grey] * 3)
    first_pixel[0, 0, 1] ^= 1
    wide = rng.integers(0, 65536, (80, 80), dtype=np.uint16)
    cases = {
        "grey_rgb": np.dstack([grey] * 3), "colour": rng.integers(0, 256, (90, 70, 3), dtype=np.uint8),
        "last_pixel": last_pixel, "first_pixel": first_pixel, "grey_rgba": np.dstack([grey] * 3 + [grey // 2]),
        "deep_grey_rgb": np.dstack([wide] * 3), "deep_colour": np.dstack([wide, wide, wide[::-1]]),
        "tiny_grey_rgb": np.dstack([grey[:5, :6]] * 3), "tiny_colour": rng.integers(0, 256, (5, 6, 3), dtype=np.uint8),
    }
    for name, image in cases.items():
        path = tmp_path / f"{name}.png"
        assert cv2.imwrite(str(path), image)
        stored = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        read = read_image(str(path))
        expected = _plain(stored)
        assert read.dtype == expected.dtype and read.shape == expected.shape and np.array_equal(read, expected), name
        assert read.flags.c_contiguous, name
