"""Whole enclosure of one labelled structure by another (the optic cup inside the optic disc), checked against
SciPy's hole filling, on a built fundus-like label map and on the real TotalSegmentator CT."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from medtrinity.config import GroundingConfig
from medtrinity.generation.backends import make_backend
from medtrinity.grounding.enclosure import holes_of
from medtrinity.grounding.rois import ground_sample
from medtrinity.quality.verify import verify
from medtrinity.records import Sample

EIGHT = np.ones((3, 3), dtype=bool)


def test_holes_match_scipy_on_random_masks():
    """Background that no 8-connected path joins to the outside: SciPy's fill with an 8-connected background."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        mask = rng.random((rng.integers(3, 25), rng.integers(3, 25))) < rng.uniform(0.3, 0.8)
        expected = ndimage.binary_fill_holes(mask, structure=EIGHT) & ~mask
        assert np.array_equal(holes_of(mask), expected)


def test_a_diagonal_gap_opens_a_ring():
    ring = np.zeros((9, 9), dtype=bool)
    ring[2, 2:7] = ring[6, 2:7] = ring[2:7, 2] = ring[2:7, 6] = True
    assert holes_of(ring).sum() == 9  # the 3 x 3 inside
    ring[2, 2] = False  # the corner gone: the inside touches the outside diagonally
    assert not holes_of(ring).any()


def _disc(shape, centre, radius) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre[1]) ** 2 + (xx - centre[0]) ** 2 <= radius ** 2


def fundus_like(cup_leaks: bool = False) -> Sample:
    """A 200 x 200 'fundus': field of view under everything, an optic disc painted over by its cup, and a vessel
    running along the disc's outside. ``cup_leaks``: the cup reaches out through a notch in the disc."""
    shape = (200, 200)
    labels = np.zeros(shape, dtype=np.uint8)
    labels[_disc(shape, (100, 100), 95)] = 4
    labels[_disc(shape, (70, 100), 30)] = 1
    labels[_disc(shape, (70, 100), 12)] = 2
    labels[60:140, 101:109] = 3  # the vessel touches the disc's right edge (x 100)
    if cup_leaks:
        labels[97:103, 40:70] = 2  # through the rim to the outside
    pixels = np.where(labels == 1, 200, np.where(labels == 2, 240, np.where(labels == 3, 60, 120))).astype(np.uint8)
    return Sample(id="fundus-like", source="s", case_id="c", modality="fundus", body_part="eye", pixels=pixels,
                  label_map=labels, label_names={1: "optic disc", 2: "optic cup", 3: "retinal vessels",
                                                 4: "field of view"},
                  label_kinds={"field of view": "structure"})


def test_the_disc_surrounds_its_cup_and_the_text_says_so_once():
    sample = ground_sample(fundus_like(), GroundingConfig())
    rois = {roi.label: roi for roi in sample.rois}
    assert set(rois) == {"optic disc", "optic cup", "retinal vessels"}
    disc, cup, vessels = rois["optic disc"], rois["optic cup"], rois["retinal vessels"]
    assert disc.surrounds == ["optic cup"] and "optic cup" not in disc.neighbours
    assert "retinal vessels" in disc.neighbours  # touching is not enclosing
    assert cup.containing_organ == "optic disc" and "optic disc" not in cup.neighbours
    assert vessels.surrounds == [] and vessels.containing_organ == ""  # the field of view encloses nothing
    sample.description = make_backend("composer").describe(sample)
    text = sample.description.text
    assert ("surrounds the optic cup" in text or "encloses the optic cup" in text), text
    assert "borders the optic cup" not in text and "optic cup lies within" not in text, text  # said once
    assert verify(sample).issues == [], verify(sample).issues


def test_a_cup_reaching_out_through_the_rim_only_borders_the_disc():
    sample = ground_sample(fundus_like(cup_leaks=True), GroundingConfig())
    rois = {roi.label: roi for roi in sample.rois}
    assert rois["optic disc"].surrounds == [] and "optic cup" in rois["optic disc"].neighbours
    assert rois["optic cup"].containing_organ == ""


def test_instance_ids_as_label_values_cost_no_memory():
    """Label values as large as 32-bit instance ids: neither the hole count nor the ring shares may allocate a
    table of that size (a ring once took 3.6 s scanning a 16 GB bincount)."""
    sample = fundus_like()
    big = 2_000_000_000
    labels = sample.label_map.astype(np.int64)
    labels[labels == 2] = big
    sample.label_map = labels
    sample.label_names = {**{k: v for k, v in sample.label_names.items() if k != 2}, big: "optic cup"}
    sample = ground_sample(sample, GroundingConfig())
    assert {roi.label: roi for roi in sample.rois}["optic disc"].surrounds == ["optic cup"]


def test_the_field_of_view_is_no_enclosing_structure():
    sample = fundus_like()
    sample.label_map[sample.label_map == 2] = 4  # no cup: the disc alone, inside the field of view
    sample = ground_sample(sample, GroundingConfig())
    assert all(roi.containing_organ == "" for roi in sample.rois)


def test_ct_enclosures_agree_with_scipy(totalsegmentator_config):
    """Every 'surrounds' on the real TotalSegmentator CT holds by SciPy's hole filling of the outer label, and the
    liver's enclosed portal veins are found on some slices."""
    from medtrinity.pipeline import grounded_samples

    config = totalsegmentator_config()
    claims = 0
    for sample in grounded_samples(config):
        value_of = {name: value for value, name in sample.label_names.items()}
        for roi in sample.rois:
            outer = sample.label_map == value_of[roi.label]
            inside = ndimage.binary_fill_holes(outer, structure=EIGHT) & ~outer
            for name in roi.surrounds:
                assert inside[sample.label_map == value_of[name]].all(), (sample.slice_index, roi.label, name)
                claims += 1
            for name in roi.neighbours:  # a neighbour is never wholly inside
                assert not inside[sample.label_map == value_of[name]].all(), (sample.slice_index, roi.label, name)
    assert claims >= 3
