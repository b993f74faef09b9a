"""Reader shortcuts equal the plain numpy computations: grey-in-colour files become one channel as the numpy
test made them, and the distinct values of masks come out as np.unique gives them."""

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


def test_present_values_equal_numpy_unique():
    """The histogram route to the distinct values of a mask or label map gives np.unique's array: same values,
    same order, same type, for every integer type, negatives and large values (np.unique's route), empty arrays."""
    from medtrinity.io.images import present_values

    rng = np.random.default_rng(9)
    arrays = [np.zeros((0, 4), np.uint8), np.zeros((3, 3), np.int32), np.full((70, 70), 255, np.uint8),
              rng.random((30, 30)) < 0.5, rng.normal(0, 1, (10, 10)).astype(np.float32)]
    for dtype, top in [(np.uint8, 256), (np.uint16, 65536), (np.int8, 128), (np.int16, 32768), (np.int32, 70000),
                       (np.int64, 5), (np.uint32, 65536)]:
        for shape in [(5, 7), (100, 90), (40, 50, 3)]:
            arrays.append(rng.integers(0, top, shape).astype(dtype))
            sparse = np.zeros(shape, dtype)
            sparse.flat[:: max(1, sparse.size // 3)] = top - 1
            arrays.append(sparse)
        if np.issubdtype(dtype, np.signedinteger):
            arrays.append(rng.integers(-3, 4, (60, 60)).astype(dtype))
    for array in arrays:
        fast, plain = present_values(array), np.unique(array)
        assert fast.dtype == plain.dtype and np.array_equal(fast, plain), (array.dtype, array.shape)
