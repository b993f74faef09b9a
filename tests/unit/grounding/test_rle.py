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
