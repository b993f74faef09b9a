import numpy as np
import pytest
from pycocotools import mask as coco_mask

from medtrinity.io.rle import decode_mask, encode_mask


def test_rle_matches_pycocotools_on_random_masks():
    rng = np.random.default_rng(7)
    for _ in range(100):
        height, width = rng.integers(1, 50, size=2)
        mask = rng.random((height, width)) < rng.random()
        ours = encode_mask(mask)
        theirs = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert ours["counts"] == theirs["counts"].decode("ascii")
        assert ours["size"] == [int(height), int(width)]
        assert np.array_equal(coco_mask.decode({"size": ours["size"], "counts": ours["counts"].encode()}), mask)


def test_rle_round_trip_and_uncompressed_counts():
    mask = np.zeros((5, 4), dtype=bool)
    mask[1:3, 2] = True
    assert np.array_equal(decode_mask(encode_mask(mask)), mask)
    # column-major runs: 11 zeros, 2 ones, 7 zeros
    assert np.array_equal(decode_mask({"size": [5, 4], "counts": [11, 2, 7]}), mask)


def test_rle_rejects_counts_that_do_not_cover_the_mask():
    with pytest.raises(ValueError, match="cover 19 pixels"):
        decode_mask({"size": [5, 4], "counts": [11, 2, 6]})


def test_window_encoding_equals_the_whole_frame_encoding():
    """A window placed in an empty frame encodes exactly as the frame does, including runs that wrap
    from a column's bottom to the next column's top (full-height windows)."""
    from medtrinity.io.rle import encode_window

    rng = np.random.default_rng(14)
    for _ in range(300):
        height, width = (int(v) for v in rng.integers(1, 40, size=2))
        h, w = int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))
        y0, x0 = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
        window = rng.random((h, w)) < rng.choice([0.05, 0.5, 0.95, 1.0])
        frame = np.zeros((height, width), dtype=bool)
        frame[y0:y0 + h, x0:x0 + w] = window
        assert encode_window(window, (y0, x0), (height, width)) == encode_mask(frame)
    with pytest.raises(ValueError, match="does not fit"):
        encode_window(np.ones((3, 3), dtype=bool), (2, 0), (4, 4))


def test_window_encoding_of_alternating_pixels_every_column_and_row():
    """The most runs a window can hold (a run change at every pixel, a run open at each column's end)."""
    from medtrinity.io.rle import encode_window

    for height, width in [(1, 1), (1, 7), (7, 1), (9, 6), (64, 33)]:
        checker = (np.add.outer(np.arange(height), np.arange(width)) % 2 == 0)
        for window in (checker, ~checker, np.ones((height, width), dtype=bool)):
            frame = np.zeros((height + 3, width + 2), dtype=bool)
            frame[2:2 + height, 1:1 + width] = window
            assert encode_window(window, (2, 1), frame.shape) == encode_mask(frame)
            full = encode_window(window, (0, 0), window.shape)
            assert full == encode_mask(window)
            assert np.array_equal(decode_mask(full), window)
