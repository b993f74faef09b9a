"""The CT speed passes' shortcuts give exactly what the plain computation gives.

``label_extents`` runs one compiled loop over the map (numba), maps with huge values go through
their labelled pixels; the text statistics' sketches skip items they have already added. Each is
compared with the plain computation it replaces, on random inputs built to hit the edges and on
the real TotalSegmentator label map.
"""

from __future__ import annotations

import numpy as np
import pytest

from medtrinity.grounding.regions import label_extents
from medtrinity.quality import textstats
from medtrinity.quality.textstats import ShardTextStats, Sketch


def _plain_extents(label_map: np.ndarray) -> dict[int, tuple]:
    """Per value, from its own pixel list: (box, area, sum of x, sum of y)."""
    found = {}
    for value in np.unique(label_map).tolist():
        if value == 0:
            continue
        ys, xs = np.nonzero(label_map == value)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        found[value] = (box, int(xs.size), float(xs.sum()), float(ys.sum()))
    return found


def _as_tuples(extents) -> dict[int, tuple]:
    return {value: (e.box, e.area_px, e.sum_x, e.sum_y) for value, e in extents.items()}


def _random_label_maps(count: int):
    rng = np.random.default_rng(14)
    for number in range(count):
        height, width = (int(v) for v in rng.integers(1, 600, 2))
        top = int(rng.choice([1, 2, 41, 117, 255]))
        sparse = rng.random((height, width)) < rng.uniform(0.0, 1.0)
        values = rng.integers(0, top + 1, (height, width))
        if number % 5 == 0:  # blocks of one value, as organs are
            values = np.kron(rng.integers(0, top + 1, (height // 16 + 1, width // 16 + 1)),
                             np.ones((16, 16), dtype=np.int64))[:height, :width]
        yield np.where(sparse, values, 0).astype(np.uint8)


def test_uint8_label_extents_equal_the_plain_count_to_the_bit():
    checked = 0
    for label_map in _random_label_maps(120):
        fast = _as_tuples(label_extents(label_map))
        assert fast == _plain_extents(label_map)
        for dtype in (np.int32, np.uint16, np.int64):  # the loop compiled for each integer type
            assert fast == _as_tuples(label_extents(label_map.astype(dtype)))
        checked += bool(fast)
    assert checked > 100
    rng = np.random.default_rng(2)
    for _ in range(200):  # labels away from the edges: the count runs inside their box, shifted back
        label_map = np.zeros(tuple(int(v) for v in rng.integers(1, 90, 2)), dtype=np.uint8)
        for value in rng.integers(1, 40, int(rng.integers(1, 4))).tolist():
            y, x = (int(rng.integers(0, n)) for n in label_map.shape)
            label_map[y:y + int(rng.integers(1, 9)), x:x + int(rng.integers(1, 9))] = value
        assert _as_tuples(label_extents(label_map)) == _plain_extents(label_map)
    wide = np.zeros((3, 300), dtype=np.uint8)  # labels on the first and last columns and rows
    wide[1, 299], wide[2, 0], wide[0, 150] = 255, 7, 7
    assert _as_tuples(label_extents(wide)) == _plain_extents(wide)
    instances = np.zeros((40, 50), dtype=np.int64)  # instance ids too large for a table: the labelled pixels
    instances[3:9, 4:20], instances[30, 49], instances[0, 0] = (1 << 31) + 5, 1 << 20, 3
    assert _as_tuples(label_extents(instances)) == _plain_extents(instances)
    assert _as_tuples(label_extents(wide.astype(bool))) == _plain_extents(wide.astype(bool).astype(np.uint8))
    assert _as_tuples(label_extents(wide.astype(np.float32) + 0.5)) == _plain_extents(wide)  # truncated


def test_label_extents_on_the_real_totalsegmentator_map(shared_data):
    nib = pytest.importorskip("nibabel")
    seg = np.asarray(nib.load(shared_data / "totalsegmentator" / "example_seg.nii.gz").dataobj).astype(np.uint8)
    checked = 0
    for index in range(seg.shape[2]):
        label_map = np.ascontiguousarray(seg[:, :, index].T)
        fast = _as_tuples(label_extents(label_map))
        assert fast == _plain_extents(label_map)
        checked += len(fast)
    assert checked > 100


def _plain_registers(items) -> np.ndarray:
    """HyperLogLog registers with every item hashed, repeats included (no memory of what was added)."""
    registers = np.zeros(textstats.REGISTERS, dtype=np.uint8)
    for item in items:
        value = textstats._hash64(item)
        index = value >> textstats._REST_BITS
        rank = textstats._REST_BITS - (value & ((1 << textstats._REST_BITS) - 1)).bit_length() + 1
        registers[index] = max(registers[index], rank)
    return registers


def test_sketch_that_skips_repeats_has_the_plain_registers(monkeypatch):
    monkeypatch.setattr(textstats, "_SEEN_LIMIT", 50)  # forgetting happens often: still exact
    rng = np.random.default_rng(3)
    items = [f"w{int(v)}" for v in rng.integers(0, 400, 5000)]
    sketch = Sketch()
    for item in items:
        sketch.add(item)
    assert len(sketch._seen) <= 50
    assert np.array_equal(sketch.registers, _plain_registers(items))


def test_sketch_adding_many_at_once_has_the_plain_registers(monkeypatch):
    monkeypatch.setattr(textstats, "_SEEN_LIMIT", 50)
    rng = np.random.default_rng(4)
    items = [f"w{int(v)}" for v in rng.integers(0, 300, 4000)]
    sketch = Sketch()
    for start in range(0, len(items), 37):
        sketch.add_all(items[start:start + 37])
    assert len(sketch._seen) <= 50 + 37
    assert np.array_equal(sketch.registers, _plain_registers(items))


def test_shard_text_statistics_unchanged_by_the_memory():
    texts = [f"The liver is {n % 7} mm wide. The spleen lies left of the liver." for n in range(200)]
    stats = ShardTextStats()
    for text in texts:
        stats.add(text)
    words = [w for t in texts for w in textstats._WORD.findall(t.lower())]
    assert np.array_equal(stats.sketches["unigrams"].registers, _plain_registers(words))
    sentences = [s for t in texts for s in textstats._SENTENCE.split(t.strip()) if s]
    assert np.array_equal(stats.sketches["sentences"].registers, _plain_registers(sentences))


def _plain_strip_phrases(text: str, phrases) -> str:
    """The phrase stripping as first written (sorted and lower-cased on every call)."""
    from medtrinity.quality.checks.base import plural_pattern

    for phrase in sorted(phrases, key=len, reverse=True):
        if phrase and phrase.lower() in text:
            text = plural_pattern(phrase).sub(" # ", text)
    return text


def test_phrase_stripping_with_its_sorted_names_cached_equals_the_plain_one():
    from medtrinity.quality.checks.base import strip_phrases

    names = ["liver", "Liver", "left kidney", "kidney", "", "colon", "sigmoid colon", "aorta", "IVC", "spleens"]
    texts = ["the left kidneys lie beside the liver and the kidney.", "a liver lesion near the sigmoid colon",
             "ivc and aorta; colons", "nothing named here", "the spleen and spleens"]
    rng = np.random.default_rng(5)
    for _ in range(300):
        chosen = [names[int(i)] for i in rng.integers(0, len(names), int(rng.integers(0, 6)))]
        for text in texts:
            assert strip_phrases(text, chosen) == _plain_strip_phrases(text, chosen)
            assert strip_phrases(text, tuple(chosen)) == _plain_strip_phrases(text, chosen)


def _random_masks(count: int):
    rng = np.random.default_rng(8)
    for number in range(count):
        height, width = (int(v) for v in rng.integers(1, 200, 2))
        kind = number % 3
        if kind == 0:  # speckle: many small pieces
            yield rng.random((height, width)) < rng.uniform(0.0, 0.6)
        elif kind == 1:  # blobs: a few large pieces and gaps
            small = rng.random((height // 12 + 1, width // 12 + 1)) < 0.4
            yield np.kron(small, np.ones((12, 12), dtype=bool))[:height, :width]
        else:
            yield np.zeros((height, width), dtype=bool) if number % 2 else np.ones((height, width), dtype=bool)


def test_piece_count_from_the_compiled_table_equals_opencvs_statistics(shared_data):
    import cv2

    from medtrinity.grounding.regions import label_components

    masks = list(_random_masks(300))
    nib = pytest.importorskip("nibabel")
    seg = np.asarray(nib.load(shared_data / "totalsegmentator" / "example_seg.nii.gz").dataobj)
    for index in range(0, seg.shape[2], 3):
        label_map = seg[:, :, index]
        masks += [label_map == value for value in np.unique(label_map)[1:].tolist()]
    several = 0
    for mask in masks:
        for min_area in (1, 3, 20, 400):
            stats = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)[2]
            count = int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= min_area))
            assert count == len(label_components(mask, min_area)[2])
            several += count > 1
    assert several > 50


def _plain_pieces(label_map: np.ndarray, extent, min_area: int) -> list[tuple]:
    """Pieces from OpenCV's own statistics and each piece's pixel list (the computation the table replaces)."""
    import cv2

    x0, y0, x1, y1 = extent.box
    binary = (label_map[y0:y1, x0:x1] == extent.value).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    found = []
    for index in range(1, stats.shape[0]):
        area, left, top = (int(stats[index, key]) for key in (cv2.CC_STAT_AREA, cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP))
        width, height = int(stats[index, cv2.CC_STAT_WIDTH]), int(stats[index, cv2.CC_STAT_HEIGHT])
        if area < min_area:
            continue
        piece = labels[top:top + height, left:left + width] == index
        ys, xs = np.nonzero(piece)
        centroid = (round(float(xs.mean()) + left + x0, 2), round(float(ys.mean()) + top + y0, 2))
        found.append(((x0 + left, y0 + top, x0 + left + width, y0 + top + height), area, centroid, piece.tobytes()))
    return found


def test_pieces_from_the_compiled_table_equal_opencvs_statistics(shared_data):
    """Boxes, areas, centroids (to the bit) and masks of every piece equal those from OpenCV's statistics."""
    from medtrinity.grounding.regions import component_regions

    nib = pytest.importorskip("nibabel")
    seg = np.asarray(nib.load(shared_data / "totalsegmentator" / "example_seg.nii.gz").dataobj).astype(np.uint8)
    maps = [np.ascontiguousarray(seg[:, :, index].T) for index in range(seg.shape[2])]
    maps += [mask.astype(np.uint8) * 3 for mask in _random_masks(200)]
    pieces = 0
    for label_map in maps:
        for extent in label_extents(label_map).values():
            for min_area in (1, 8):
                ours = [(r.box, r.area_px, r.centroid_xy, r.mask.tobytes())
                        for r in component_regions(label_map, extent, min_area)]
                assert ours == _plain_pieces(label_map, extent, min_area)
                pieces += len(ours)
    assert pieces > 1000


def test_anatomy_support_with_a_substring_pretest_equals_the_plain_search():
    import re

    from medtrinity.quality.checks.anatomy import _SINGULAR, _supported

    terms = ["kidney", "kidneys", "left kidney", "right kidneys", "liver", "colon", "sigmoid colon", "vertebrae",
             "lung", "lungs", "aorta", "heart", "s", "portal vein", "veins"]
    names = ["left kidney", "kidney_left", "liver lesion", "colon", "sigmoid colon", "vertebra", "lunge", "lung",
             "aortae", "superior mesenteric vein", "", "abdomen", "kidneyx", "xkidney"]
    rng = np.random.default_rng(9)
    for _ in range(400):
        known = [names[int(i)] for i in rng.integers(0, len(names), int(rng.integers(0, 5)))]
        for term in terms:
            pattern = re.compile(rf"(?<![a-z]){re.escape(_SINGULAR.sub('', term))}(?![a-z])")
            assert _supported(term, known) == any(pattern.search(name) for name in known)


def test_ring_label_shares_and_finding_lookup_equal_the_plain_numpy_ones():
    """The ring as a 0/1 dilation compared with its mask, label counts from OpenCV's histogram and the
    8-bit finding look-up table give what the plain numpy expressions give, on random windows."""
    import cv2

    from medtrinity.grounding import measure, rois

    rng = np.random.default_rng(5)
    for _ in range(150):
        shape = tuple(int(v) for v in rng.integers(1, 70, 2))
        mask = rng.random(shape) < rng.uniform(0.0, 0.6)
        for width in (1, 2, 5, 9):
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
            plain = (cv2.dilate(mask.astype(np.uint8), disc) > 0) & ~mask
            assert np.array_equal(measure.ring(mask, width), plain)
            assert np.array_equal(measure.ring(mask[:, ::-1], width), plain[:, ::-1])  # not contiguous: a copy
        label_map = rng.integers(0, int(rng.choice([3, 42, 256])), shape).astype(np.uint8)[:, ::-1]  # a view
        present, counts, total = rois._label_counts(label_map, mask)
        plain_counts = np.bincount(label_map[mask].astype(np.int64), minlength=256)
        plain_present = np.flatnonzero(plain_counts)
        assert total == int(mask.sum()) and np.array_equal(present, plain_present)
        assert np.array_equal(counts, plain_counts[plain_present])
        for wide in (label_map.astype(np.int32), label_map.astype(np.int64) * 1_000_000_007):  # table, then sparse
            wide_present, wide_counts, wide_total = rois._label_counts(wide, mask)
            assert wide_total == total and np.array_equal(wide_counts, plain_counts[plain_present])
            assert np.array_equal(wide_present, plain_present * (1 if wide.dtype == np.int32 else 1_000_000_007))
        values = tuple(int(v) for v in rng.integers(0, 300, int(rng.integers(1, 5))))
        assert np.array_equal(rois._is_one_of(label_map, values), np.isin(label_map, values))
        signed = rng.integers(-3, 310, shape).astype(np.int32)  # negative and beyond-the-table values
        for chosen in (values, (0, *values), (int(signed.max()),)):
            assert np.array_equal(rois._is_one_of(signed, chosen), np.isin(signed, chosen))


def _random_masks(count: int):
    """Noise, blobs with holes and islands inside holes, of all sizes from 1 pixel, touching the borders."""
    import cv2

    rng = np.random.default_rng(5)
    for number in range(count):
        height, width = (int(v) for v in rng.integers(1, 48, 2))
        mask = rng.random((height, width)) < rng.uniform(0.05, 0.95)
        if number % 3 == 0:  # blobby: dilated noise leaves holes and islands in them
            mask = cv2.dilate(mask.view(np.uint8), np.ones((2, 2), np.uint8)).astype(bool)
        yield np.ascontiguousarray(mask)
    ring = np.zeros((20, 20), dtype=bool)  # a ring with an island in its hole: two pieces, one outermost contour
    ring[2:18, 2:18], ring[5:15, 5:15], ring[9:11, 9:11] = True, False, True
    yield ring


def test_outline_piece_count_and_contours_equal_opencvs_labelling_and_outermost_trace():
    """The contour tree's outer borders count the 8-connected pieces OpenCV's labelling finds, and its outermost
    contours are exactly those ``RETR_EXTERNAL`` traces (same points, same order); the hull taken from their
    integer points is the one OpenCV gives for the same points as floats (same vertices, same order)."""
    import cv2

    from medtrinity.grounding.measure import trace_outline

    with_holes = 0
    for mask in _random_masks(1500):
        if not mask.any():
            continue
        outline = trace_outline(mask)
        assert outline.pieces == cv2.connectedComponents(mask.view(np.uint8), connectivity=8)[0] - 1
        external, _ = cv2.findContours(mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        assert len(outline.contours) == len(external)
        assert all(np.array_equal(a, b) for a, b in zip(outline.contours, external, strict=True))
        centres = np.concatenate([contour.reshape(-1, 2) for contour in external]).astype(np.float32)
        assert np.array_equal(outline.hull_px, cv2.convexHull(centres).reshape(-1, 2))  # the hull of float points
        with_holes += len(cv2.findContours(mask.view(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)[0]) > len(
            external)
    assert with_holes > 100  # the trees really had holes (and islands in them) to walk


@pytest.mark.parametrize("width_px", [1, 2, 3, 5, 6, 9, 14])
def test_growing_by_packed_disc_rows_equals_opencvs_disc_dilation(width_px):
    import cv2

    from medtrinity.grounding.measure import _disc, grow

    for mask in _random_masks(300):
        mask_u8 = mask.view(np.uint8)
        assert np.array_equal(grow(mask_u8, width_px), cv2.dilate(mask_u8, _disc(width_px)))


def test_growing_by_several_discs_at_once_equals_opencv_across_word_edges():
    """Several widths share one packed pass: each equals OpenCV's dilation, on masks whose widths straddle the
    64-pixel words (pixels on a word's first and last bit grow into the next word, none past the last column)."""
    import cv2

    from medtrinity.grounding.measure import _disc, grow_by_discs

    rng = np.random.default_rng(64)
    shapes = [(1, 1), (3, 63), (5, 64), (7, 65), (2, 127), (9, 128), (4, 129), (70, 200), (1, 300), (300, 1)]
    checked = 0
    for number in range(240):
        height, width = shapes[number % len(shapes)] if number < 60 else (int(v) for v in rng.integers(1, 260, 2))
        mask = (rng.random((height, width)) < rng.choice([0.002, 0.02, 0.2, 0.7])).astype(np.uint8)
        if number % 4 == 0:  # pixels on the word edges and the last column
            mask[:, [c for c in (0, 63, 64, 127, 128, width - 1) if c < width]] = 1
        widths = tuple(sorted({int(v) for v in rng.integers(1, 12, int(rng.integers(1, 5)))}))
        grown = grow_by_discs(mask, widths)
        assert sorted(grown) == list(widths)
        for width_px in widths:
            assert np.array_equal(grown[width_px], cv2.dilate(mask, _disc(width_px))), (height, width, width_px)
            checked += 1
    assert checked > 500


def test_numba_pairwise_sum_equals_numpys_sum_to_the_bit():
    """The compiled pairwise summation adds in numpy's order (blocks of 8 running sums, halves split at a
    multiple of 8): equal to ``np.add.reduce`` on values that make the order show (wide-ranging floats)."""
    from medtrinity.grounding.kernels import pairwise_sum

    rng = np.random.default_rng(8)
    lengths = [*range(0, 300), 1000, 1023, 1024, 1025, 8191, 8192, 8193, 65536, 100_003, 262_144]
    orders_show = 0
    for length in lengths:
        values = rng.standard_normal(length) * 10.0 ** rng.integers(-3, 8, length)
        assert pairwise_sum(values, 0, length) + 0.0 == np.add.reduce(values)
        padded = np.concatenate([rng.standard_normal(7), values])
        assert pairwise_sum(padded, 7, length) + 0.0 == np.add.reduce(values)
        orders_show += length > 8 and float(np.add.reduce(values)) != float(np.cumsum(values)[-1])
    assert orders_show > 100  # a plain running sum would have failed these


def _window(pixels, mask, label_map=None, findings=None, widths=(5,)):
    from medtrinity.grounding.measure import Rings
    from medtrinity.grounding.rois import Window

    return Window(mask, pixels, label_map, findings, None, (0, 0), Rings(mask, None, widths))


def test_grey_statistics_from_the_compiled_pass_equal_numpys_mean_and_std():
    """Region mean, standard deviation and surround mean of 8/16-bit windows from one compiled pass equal the
    plain numpy expressions (float32 pixels, float64 mean/std) to the bit, with and without finding pixels
    left out; float windows take the numpy path and agree too."""
    from medtrinity.grounding.measure import ring
    from medtrinity.grounding.rois import _grey_statistics

    rng = np.random.default_rng(9)
    kinds = [(np.uint8, 0, 256), (np.int8, -128, 128), (np.uint16, 0, 65536), (np.int16, -32768, 32768),
             (np.int16, -1024, 3000), (np.float32, -1000, 1000)]
    for number in range(300):
        dtype, low, high = kinds[number % len(kinds)]
        shape = tuple(int(v) for v in rng.integers(1, 90, 2))
        pixels = rng.integers(low, high, shape).astype(dtype)
        if dtype == np.float32:
            pixels += rng.random(shape).astype(np.float32)
        mask = rng.random(shape) < rng.uniform(0.05, 0.9)
        if not mask.any():
            mask[shape[0] // 2, shape[1] // 2] = True
        findings = (rng.random(shape) < 0.3) & ~mask if number % 2 else None
        width = int(rng.integers(1, 8))
        surround = ring(mask, width)
        if findings is not None:
            surround &= ~findings
        values = pixels.astype(np.float32)
        inside, around = values[mask].astype(np.float64), values[surround].astype(np.float64)
        plain = (float(inside.mean()), float(inside.std()), float(around.mean()) if around.size else None)
        assert _grey_statistics(_window(pixels, mask, findings=findings, widths=(width,)), width) == plain


def test_ring_label_counts_from_the_grown_mask_equal_the_ring_histogram():
    """Label shares over a region's ring counted from the grown mask (8-bit maps) equal the shares of the plain
    ring mask's histogram, for several widths; wider label types go through the ring mask."""
    from medtrinity.grounding.measure import ring
    from medtrinity.grounding.rois import _ring_shares, _share_by_label

    rng = np.random.default_rng(10)
    names = {value: f"organ {value}" for value in range(1, 256)}
    for _ in range(200):
        shape = tuple(int(v) for v in rng.integers(1, 80, 2))
        mask = rng.random(shape) < rng.uniform(0.0, 0.8)
        label_map = rng.integers(0, int(rng.choice([3, 42, 256])), shape).astype(np.uint8)
        exclude = {f"organ {int(v)}" for v in rng.integers(1, 40, 3)}
        for dtype in (np.uint8, np.int32):
            window = _window(np.zeros(shape, np.int16), mask, label_map.astype(dtype), widths=(2, 6))
            for width in (2, 6, 3):
                plain = _share_by_label(label_map, ring(mask, width), names, exclude)
                assert _ring_shares(window, width, names, exclude) == plain


def test_second_central_moments_equal_opencvs_to_the_bit(shared_data):
    import cv2

    from medtrinity.grounding.measure import second_central_moments

    def opencv(mask):
        moments = cv2.moments(mask.view(np.uint8), binaryImage=True)
        return moments["mu20"], moments["mu11"], moments["mu02"]

    masks = list(_random_masks(800))
    rng = np.random.default_rng(7)
    masks += [np.ascontiguousarray(rng.random((int(h), int(w))) < 0.5) for h, w in rng.integers(100, 700, (20, 2))]
    import nibabel as nib  # every label of a real TotalSegmentator slice, in its box and in the whole slice

    labels = np.asarray(nib.load(shared_data / "totalsegmentator" / "example_seg.nii.gz").dataobj)[:, :, 15]
    masks += [labels == value for value in np.unique(labels)[1:]]
    for mask in masks:
        if mask.any():
            assert second_central_moments(mask) == opencv(mask)


def test_rings_grown_once_equal_the_plain_rings():
    """A region's rings from its cached grown masks, and the band between two widths, equal the plain ones."""
    from medtrinity.grounding.measure import Rings, ring

    for mask in _random_masks(200):
        rings = Rings(mask)
        for width in (2, 3, 5, 2, 6, 5):  # repeated widths come from the cache
            assert np.array_equal(rings.ring(width), ring(mask, width))
        assert np.array_equal(rings.band(3, 6), ring(mask, 6) & ~ring(mask, 3))
        assert not np.shares_memory(rings.ring(2), rings.ring(2))  # callers may edit a ring in place


def test_a_filled_rectangles_rings_and_erosions_equal_opencvs():
    """Box regions: rings painted as rectangles and the rectangle shrunk by the disc equal OpenCV's dilation
    and erosion of the same mask, pixel for pixel, for rectangles inside the window and on each of its edges
    (where OpenCV's erosion counts outside pixels as inside)."""
    import cv2

    from medtrinity.grounding.measure import Rings, _disc, grow, ring

    rng = np.random.default_rng(11)
    on_an_edge = 0
    for _ in range(400):
        height, width = (int(v) for v in rng.integers(1, 60, 2))
        top, bottom = sorted(int(v) for v in rng.integers(0, height + 1, 2))
        left, right = sorted(int(v) for v in rng.integers(0, width + 1, 2))
        if rng.random() < 0.3:  # push to the window's edges
            top, left = 0, 0
        if rng.random() < 0.3:
            bottom, right = height, width
        if bottom <= top or right <= left:
            continue
        mask = np.zeros((height, width), bool)
        mask[top:bottom, left:right] = True
        on_an_edge += top == 0 or left == 0 or bottom == height or right == width
        rings = Rings(mask, (top, bottom, left, right))
        plain = Rings(mask)
        for width_px in (1, 2, 3, 5, 6, 9):
            assert np.array_equal(rings.grown(width_px), cv2.dilate(mask.view(np.uint8), _disc(width_px)))
            assert np.array_equal(rings.grown(width_px), grow(mask.view(np.uint8), width_px))
            assert np.array_equal(rings.ring(width_px), ring(mask, width_px))
            assert np.array_equal(rings.shrunk(width_px), cv2.erode(mask.view(np.uint8), _disc(width_px)) > 0)
            assert np.array_equal(rings.shrunk(width_px), plain.shrunk(width_px))
        assert np.array_equal(rings.band(3, 6), plain.band(3, 6))
    assert on_an_edge > 100


def test_a_label_filling_its_box_is_one_piece_as_the_labelling_finds_it():
    """The shortcut for box labels (one piece, the box) gives the regions OpenCV's labelling gives: box,
    area, centroid to the bit and mask, and nothing under the minimum area."""
    from medtrinity.grounding.regions import component_regions, label_components, label_extents

    rng = np.random.default_rng(5)
    for _ in range(300):
        label_map = np.zeros(tuple(int(v) for v in rng.integers(5, 80, 2)), np.uint8)
        height, width = label_map.shape
        y0, x0 = int(rng.integers(0, height)), int(rng.integers(0, width))
        y1, x1 = int(rng.integers(y0 + 1, height + 1)), int(rng.integers(x0 + 1, width + 1))
        label_map[y0:y1, x0:x1] = 3
        extent = label_extents(label_map)[3]
        for min_area_px in (1, 4, 30):
            binary = label_map[y0:y1, x0:x1] == 3
            shortcut = component_regions(label_map, extent, min_area_px)
            labelled = component_regions(label_map, extent, min_area_px, label_components(binary, min_area_px))
            assert len(shortcut) == len(labelled) == (1 if extent.area_px >= min_area_px else 0)
            for fast, plain in zip(shortcut, labelled, strict=True):
                assert (fast.value, fast.box, fast.area_px, fast.centroid_xy) == (
                    plain.value, plain.box, plain.area_px, plain.centroid_xy)
                assert type(fast.area_px) is type(plain.area_px)
                assert np.array_equal(fast.mask, plain.mask)


def test_uint8_extents_by_64_bit_words_equal_the_pixel_loop():
    """uint8 maps of widths that are multiples of 8 go 8 pixels at a time, skipping zero words: the same table
    as the pixel loop, on sparse, dense, block and edge-touching maps (and label_extents dispatches to it)."""
    from medtrinity.grounding import kernels

    used = 0
    maps = [label_map[:, : label_map.shape[1] // 8 * 8] for label_map in _random_label_maps(120)]
    edges = np.zeros((5, 16), dtype=np.uint8)
    edges[0, 0], edges[4, 15], edges[2, 7], edges[2, 8] = 255, 1, 9, 9  # word boundaries and corners
    for label_map in [*maps, edges]:
        if label_map.shape[1] == 0:
            continue
        label_map = np.ascontiguousarray(label_map)
        size = int(label_map.max()) + 1
        by_words = kernels.uint8_label_extents_loop(label_map, size)
        by_pixels = kernels.label_extents_loop(label_map, size)
        assert all(np.array_equal(a, b) for a, b in zip(by_words, by_pixels, strict=True))
        assert _as_tuples(label_extents(label_map)) == _plain_extents(label_map)
        used += 1
    assert used > 100


def test_two_by_two_eigenvalues_equal_numpys_lapack_to_the_bit(shared_data):
    """The closed form LAPACK uses for a 2x2 symmetric matrix (with dsterf's split of a negligible off-diagonal)
    gives ``np.linalg.eigvalsh``'s values to the bit: on wide-ranging random matrices, off-diagonals near the
    split threshold, and the second moments of the real TotalSegmentator organs."""
    nib = pytest.importorskip("nibabel")
    from medtrinity.grounding.measure import second_central_moments, symmetric_eigenvalues

    def both(a, b, c):
        plain = np.linalg.eigvalsh(np.array([[a, b], [b, c]]))
        return symmetric_eigenvalues(a, b, c), (float(plain[0]), float(plain[1]))

    rng = np.random.default_rng(22)
    for number in range(30_000):
        a, c = (rng.standard_normal(2) * 10.0 ** rng.integers(-4, 12, 2)).tolist()
        if number % 3 == 0:  # an off-diagonal around dsterf's split threshold
            b = float(rng.standard_normal() * 10.0 ** rng.integers(-20, -12) * np.sqrt(abs(a * c)))
        elif number % 3 == 1:
            b = float(rng.standard_normal() * 10.0 ** rng.integers(-4, 12))
        else:  # integer moments of pixel sets, equal diagonals, zero off-diagonal
            a, c = (float(v) for v in rng.integers(0, 10**9, 2))
            b = float(rng.choice([0, int(rng.integers(-10**8, 10**8))]))
            a = c if number % 9 == 2 else a
        fast, plain = both(a, b, c)
        assert fast == plain, (a, b, c)
    seg = np.asarray(nib.load(shared_data / "totalsegmentator" / "example_seg.nii.gz").dataobj)
    checked = 0
    for index in range(seg.shape[2]):
        for value in np.unique(seg[:, :, index])[1:].tolist():
            mask = np.ascontiguousarray(seg[:, :, index] == value)
            if mask.sum() >= 3:
                fast, plain = both(*second_central_moments(mask))
                assert fast == plain
                checked += 1
    assert checked > 300
