"""Label maps painted by the 2D readers are uint8 when the values fit, with the same values as int32 painting.

A 1024x1024 radiograph's box map is 1 MB as uint8 instead of 4 MB as int32; preprocessing reads it
again to resize it. The values (and so every ROI) must be those the int32 painting gave.
"""

from __future__ import annotations

import numpy as np

from medtrinity.sources.common2d import boxes_label_map, masks_label_map


def _int32_boxes(shape_hw, boxes):
    """The plain painting: an int32 map, each label its own value in order of first use, largest box first."""
    result, value_of = np.zeros(shape_hw, np.int32), {}
    for label, (x0, y0, x1, y1) in sorted(boxes, key=lambda b: -(b[1][2] - b[1][0]) * (b[1][3] - b[1][1])):
        value = value_of.setdefault(label, len(value_of) + 1)
        c0, r0 = int(np.floor(x0 + 1e-6)), int(np.floor(y0 + 1e-6))
        result[r0:max(r0 + 1, int(np.ceil(y1 - 1e-6))), c0:max(c0 + 1, int(np.ceil(x1 - 1e-6)))] = value
    return result


def test_box_maps_are_uint8_up_to_255_labels_with_int32_values():
    rng = np.random.default_rng(5)
    for label_count in (1, 2, 7, 255, 256, 300):
        boxes = []
        for number in range(label_count + 3):  # a few labels repeat
            x0, y0 = (float(v) for v in rng.uniform(0, 60, 2))
            width, height = (float(v) for v in rng.uniform(0.5, 40, 2))
            boxes.append((f"finding {number % label_count}", (x0, y0, x0 + width, y0 + height)))
        label_map, names = boxes_label_map((100, 120), boxes)
        assert label_map.dtype == (np.uint8 if label_count <= 255 else np.int32)
        assert len(names) == label_count
        assert np.array_equal(label_map, _int32_boxes((100, 120), boxes))


def test_boxes_painted_on_a_given_map_keep_int32():
    base = np.zeros((20, 20), np.int32)
    base[:5] = 1
    label_map, names = boxes_label_map((20, 20), [("nodule", (2, 8, 6, 12))], base, {1: "lung"})
    assert label_map.dtype == np.int32 and names == {1: "lung", 2: "nodule"}
    assert label_map[10, 4] == 2 and label_map[0, 0] == 1 and base[10, 4] == 0


def test_mask_maps_are_uint8_up_to_255_labels():
    rng = np.random.default_rng(6)
    for label_count in (1, 3, 255, 256):
        masks = [(f"organ {n % label_count}", rng.random((30, 40)) < 0.05) for n in range(label_count + 2)]
        label_map, names = masks_label_map(masks, (30, 40), "case")
        assert label_map.dtype == (np.uint8 if label_count <= 255 else np.int32)
        plain = np.zeros((30, 40), np.int32)
        value_of = {}
        for label, mask in sorted(masks, key=lambda m: -int(np.count_nonzero(m[1]))):
            plain[mask > 0] = value_of.setdefault(label, len(value_of) + 1)
        assert np.array_equal(label_map, plain) and len(names) == label_count
