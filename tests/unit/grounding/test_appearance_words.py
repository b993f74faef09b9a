"""Appearance words a reader could check on the image. Texture off CT-with-HU is read on the display image, in
percent of its grey range: it cannot depend on where a window put its zero, pixel noise and a partial-volume border
do not count, and a radiograph gets none. Intensity and margin words need surroundings that agree."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from medtrinity.config import GroundingConfig, PreprocessConfig
from medtrinity.generation.backends import make_backend
from medtrinity.grounding import measure
from medtrinity.grounding.rois import ground_sample
from medtrinity.preprocess.display import preprocess_sample
from medtrinity.records import Sample


def _disc(shape, centre_xy, radius) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - centre_xy[1]) ** 2 + (xx - centre_xy[0]) ** 2 <= radius ** 2


def _patch(pixels: np.ndarray, mask: np.ndarray, modality: str = "ct") -> Sample:
    """A 2D patch without HU (the MSD lung patches: CT windowed to 0..1, no spacing) with one finding."""
    return Sample(id="patch", source="s", case_id="c", modality=modality, body_part="chest", pixels=pixels,
                  label_map=mask.astype(np.uint8), label_names={1: "lung tumor"},
                  finding_labels=frozenset({"lung tumor"}))


def _texture(sample: Sample, preprocess: bool = True) -> str:
    if preprocess:
        sample = preprocess_sample(sample, PreprocessConfig())
    sample = ground_sample(sample, GroundingConfig())
    (roi,) = sample.rois
    return roi.texture


def _solid_nodule(rng) -> tuple[np.ndarray, np.ndarray]:
    """A solid nodule (0.70) in aerated lung (0.08, with vessels), its mask a pixel wider than the nodule, so the
    mask's border holds lung: the partial volume every hand-drawn or resampled mask has."""
    shape = (48, 48)
    pixels = 0.08 + rng.normal(0, 0.02, shape)
    pixels[20:22, 2:16] = 0.55  # a vessel
    nodule = _disc(shape, (24, 24), 9)
    pixels[nodule] = 0.70 + rng.normal(0, 0.015, int(nodule.sum()))
    return pixels.astype(np.float32), _disc(shape, (24, 24), 10)


def test_a_solid_nodule_is_homogeneous_wherever_the_window_put_its_zero():
    rng = np.random.default_rng(11)
    pixels, mask = _solid_nodule(rng)
    inside = pixels[mask]
    assert inside.std() / inside.mean() > 0.15  # the old rule (sd over mean) called it heterogeneous
    assert _texture(_patch(pixels, mask)) == "homogeneous"
    # the same tissue stored through another window: its zero moved and its scale changed, its texture not
    assert _texture(_patch(pixels * 3.0 + 2.0, mask)) == "homogeneous"
    assert _texture(_patch((pixels * 1000 - 1000).astype(np.float32), mask)) == "homogeneous"


def test_a_cavitated_mass_is_heterogeneous():
    rng = np.random.default_rng(12)
    shape = (48, 48)
    pixels = (0.08 + rng.normal(0, 0.02, shape)).astype(np.float32)
    mass = _disc(shape, (24, 24), 13)
    pixels[mass] = 0.70
    pixels[_disc(shape, (21, 22), 5)] = 0.05  # air in a cavity
    assert _texture(_patch(pixels, mass)) == "heterogeneous"


def test_grounding_without_preprocess_reads_the_same_display():
    rng = np.random.default_rng(13)
    pixels, mask = _solid_nodule(rng)
    assert _texture(_patch(pixels, mask), preprocess=False) == _texture(_patch(pixels, mask)) == "homogeneous"


def test_a_radiograph_region_has_no_texture_and_the_text_states_none():
    """On a projection radiograph ribs and vessels overlap every organ: a texture word would describe the overlap."""
    shape = (200, 200)
    pixels = np.full(shape, 60, dtype=np.uint8)
    pixels[::12, :] = 200  # ribs crossing everything
    labels = np.zeros(shape, dtype=np.uint8)
    labels[_disc(shape, (60, 100), 45)] = 1
    labels[_disc(shape, (150, 100), 40)] = 2
    sample = Sample(id="cxr", source="s", case_id="c", modality="xray", body_part="chest", pixels=pixels,
                    label_map=labels, label_names={1: "right lung", 2: "left lung"}, spacing_mm=(1.0, 1.0))
    sample = ground_sample(preprocess_sample(sample, PreprocessConfig()), GroundingConfig())
    assert {roi.label for roi in sample.rois} == {"right lung", "left lung"}
    assert all(roi.texture == "" for roi in sample.rois)
    text = make_backend("composer").describe(sample).text
    assert "geneous" not in text, text
    # the same picture as a CT without HU of two solid organs does get one (the stripes are then their own
    # structure; lungs get none on CT either: see the next test)
    sample.modality = "ct"
    sample.label_names = {1: "liver", 2: "spleen"}
    sample = ground_sample(sample, GroundingConfig())
    assert {roi.texture for roi in sample.rois} == {"heterogeneous"}


def test_lung_bone_and_bowel_as_organs_get_no_texture_a_patchy_liver_and_a_nodule_do():
    """Aerated lung crossed by vessels, a vertebra's cortex around its marrow and a colon holding gas and stool are
    uneven in every healthy body: a texture word of them reads as a finding. A liver with patches of fat is uneven
    where it should not be, and a nodule inside the lobe is judged on its own."""
    rng = np.random.default_rng(17)
    shape = (256, 256)
    hu = rng.normal(40, 8, shape).astype(np.float32)  # soft tissue
    labels = np.zeros(shape, dtype=np.uint8)
    lobe = _disc(shape, (70, 70), 55)
    hu[lobe] = rng.normal(-850, 15, int(lobe.sum()))
    hu[lobe & (np.mgrid[: shape[0], : shape[1]][0] % 14 < 3)] = 40  # vessels
    labels[lobe] = 1
    nodule = _disc(shape, (70, 70), 12)
    hu[nodule] = 45 + rng.normal(0, 5, int(nodule.sum()))
    hu[_disc(shape, (66, 66), 5)] = -900  # a cavity: heterogeneous in its own right
    labels[nodule] = 5
    vertebra = _disc(shape, (190, 200), 30)
    hu[vertebra] = 900  # cortex
    hu[_disc(shape, (190, 200), 24)] = 250  # marrow
    labels[vertebra] = 2
    colon = _disc(shape, (190, 70), 35)
    hu[colon] = np.where(np.mgrid[: shape[0], : shape[1]][0][colon] < 70, -950, 30)  # gas over stool
    labels[colon] = 3
    liver = _disc(shape, (70, 190), 50)
    hu[liver] = 60 + rng.normal(0, 8, int(liver.sum()))
    for centre in ((55, 175), (90, 205), (60, 215)):
        hu[_disc(shape, centre, 9) & liver] = -20  # focal fat
    labels[liver] = 4
    names = {1: "right lower lobe", 2: "L1 vertebra", 3: "colon", 4: "liver"}
    sample = Sample(id="ct", source="s", case_id="c", modality="ct", body_part="abdomen", pixels=hu,
                    label_map=np.where(labels == 5, 1, labels).astype(np.uint8), label_names=names,
                    spacing_mm=(1.0, 1.0), intensity_unit="HU")
    organs = ground_sample(preprocess_sample(sample, PreprocessConfig()), GroundingConfig(max_organ_rois=4))
    textures = {roi.label: roi.texture for roi in organs.rois}
    assert textures == {"right lower lobe": "", "L1 vertebra": "", "colon": "", "liver": "heterogeneous"}, textures
    # the same lobe, vertebra and colon measured without the rule: all far above the 20 HU limit
    for value in (1, 2, 3):
        assert measure.local_mean_spread(hu, sample.label_map == value, 3) > 20.0
    with_nodule = replace(sample, label_map=labels, label_names={**names, 5: "lung nodule"},
                          finding_labels=frozenset({"lung nodule"}))
    (nodule_roi,) = (roi for roi in ground_sample(preprocess_sample(with_nodule, PreprocessConfig()),
                                                   GroundingConfig()).rois if roi.kind == "lesion")
    assert nodule_roi.texture == "heterogeneous"


def test_photographs_read_texture_on_their_luminance():
    """A dermoscopy-like lesion: two pigment tones in blocks are heterogeneous, one even tone homogeneous."""
    rng = np.random.default_rng(14)
    shape = (160, 160)
    lesion = _disc(shape, (80, 80), 50)

    def photo(two_tone: bool) -> Sample:
        rgb = np.empty(shape + (3,), dtype=np.float32)
        rgb[:] = (220, 180, 160)  # skin
        rgb[lesion] = (120, 80, 50)  # brown
        if two_tone:
            dark = lesion & ((np.mgrid[: shape[0], : shape[1]][1] // 16) % 2 == 0)
            rgb[dark] = (60, 35, 25)
        rgb += rng.normal(0, 3, rgb.shape)
        pixels = np.clip(rgb, 0, 255).astype(np.uint8)
        return Sample(id="derm", source="s", case_id="c", modality="dermoscopy", body_part="skin", pixels=pixels,
                      label_map=lesion.astype(np.uint8), label_names={1: "melanocytic lesion"},
                      finding_labels=frozenset({"melanocytic lesion"}))

    assert _texture(photo(two_tone=True)) == "heterogeneous"
    assert _texture(photo(two_tone=False)) == "homogeneous"


def _speckled_organ(rng, grain_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform tissue on ultrasound: fully developed speckle (the envelope of correlated complex noise, grain
    ``grain_px``) log-compressed over 60 dB to the display's grey range, in a black frame. Its pixel sd is 9% of
    that range."""
    shape = (400, 400)
    real, imaginary = (cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), grain_px) for _ in "ri")
    envelope = np.hypot(real, imaginary)
    decibels = 20 * np.log10(envelope / envelope.mean() + 1e-6)
    pixels = np.clip((decibels + 50) / 60 * 255, 0, 255).astype(np.uint8)
    pixels[~_disc(shape, (200, 200), 190)] = 0  # the black frame around the scan's field
    return pixels, _disc(shape, (200, 200), 120)


def test_speckle_is_no_texture_and_without_spacing_nothing_is_said():
    rng = np.random.default_rng(15)
    pixels, organ = _speckled_organ(rng, grain_px=3.0)

    def word(spacing_mm):
        sample = Sample(id="us", source="s", case_id="c", modality="ultrasound", body_part="abdomen",
                        pixels=pixels, label_map=organ.astype(np.uint8), label_names={1: "liver"},
                        spacing_mm=spacing_mm)
        return _texture(sample)

    # at 0.15 mm a pixel, a 3 mm box (21 px) averages the 0.45 mm grain away: no heterogeneity is claimed
    assert word((0.15, 0.15)) in ("homogeneous", "")
    # a few pixels' box would call this uniform tissue heterogeneous; without spacing, nothing is said
    assert measure.local_mean_spread(pixels.astype(np.float32), organ, 3) * 100 / 255 > 5.0
    assert word(None) == ""


def test_a_tumour_against_the_chest_wall_gets_no_intensity_word():
    """Half the tumour's border on aerated lung, half on the chest wall, its mean between the two: the ring's
    mean would call it 'hypodense to the surrounding tissue'; it is neither to most of its border. The same
    tumour wholly in lung is hyperdense."""
    rng = np.random.default_rng(16)
    shape = (48, 48)
    pixels = (0.08 + rng.normal(0, 0.02, shape)).astype(np.float32)
    pixels[:, 30:] = 0.85  # the chest wall
    tumour = _disc(shape, (28, 24), 7)
    pixels[tumour] = 0.55 + rng.normal(0, 0.01, int(tumour.sum()))
    sample = ground_sample(_patch(pixels, tumour), GroundingConfig())
    (roi,) = sample.rois
    assert roi.contrast_to_surround is not None and roi.intensity_word == ""
    # nor a margin word: the contrast across its border is lung's on one side and the chest wall's on the other
    assert roi.margin_sharpness is not None and roi.margin == ""
    text = make_backend("composer").describe(sample).text
    assert "dense" not in text and "defined" not in text, text
    pixels[:, 30:] = 0.08 + rng.normal(0, 0.02, (48, 18))  # aerated lung all round
    pixels[tumour] = 0.55
    (roi,) = ground_sample(_patch(pixels, tumour), GroundingConfig()).rois
    assert roi.intensity_word == "hyperdense" and roi.margin == "well-defined"
