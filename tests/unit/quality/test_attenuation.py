"""``attenuation_implausible``: a CT structure whose mean its tissue cannot have is flagged, whatever the text
says; plausible means, hollow organs, lesions and other units are left alone."""

from __future__ import annotations

import pytest

from medtrinity.quality.checks.attenuation import implausible, tissue_range
from medtrinity.quality.facts import RegionFacts, SampleFacts
from medtrinity.quality.verify import verify_text


def _organ(label: str, mean: float, unit: str = "HU", kind: str = "organ") -> RegionFacts:
    return RegionFacts(index=0, label=label, kind=kind, mean_intensity=mean, intensity_unit=unit)


@pytest.mark.parametrize(("label", "mean"), [
    ("bone", -948.0), ("T11 vertebra", -400.0), ("left 10th rib", -700.0), ("skull", -990.0),
    ("liver", -850.0), ("right kidney", -600.0), ("left erector spinae", -900.0), ("aorta", -700.0),
    ("inferior vena cava", -500.0), ("right lower lobe", 600.0), ("left lung", 900.0),
])
def test_a_mean_its_tissue_cannot_have_is_flagged(label, mean):
    reason = implausible(_organ(label, mean))
    assert reason is not None and label in reason and f"{mean:.0f} HU" in reason
    text = f"Axial CT section. Mean attenuation measures {mean:.0f} HU in the {label}."
    qc = verify_text(SampleFacts("ct", rois=(_organ(label, mean),)), text)
    assert qc.status == "flag" and [issue.code for issue in qc.issues] == ["attenuation_implausible"]


@pytest.mark.parametrize(("label", "mean", "unit", "kind"), [
    ("bone", 450.0, "HU", "organ"), ("T11 vertebra", -20.0, "HU", "organ"),  # osteoporotic, fatty marrow
    ("liver", -60.0, "HU", "organ"), ("liver", 90.0, "HU", "organ"),  # severe steatosis; contrast
    ("aorta", 450.0, "HU", "organ"), ("right lower lobe", -750.0, "HU", "organ"), ("left lung", 40.0, "HU", "organ"),
    ("colon", -560.0, "HU", "organ"), ("stomach", -414.0, "HU", "organ"), ("trachea", -950.0, "HU", "organ"),
    ("liver lesion", -900.0, "HU", "lesion"),  # a lesion may hold air or fat: not judged
    ("liver", -850.0, "", "organ"), ("brain", 20.0, "a.u.", "organ"),  # no HU: MRI, radiographs
    ("costal cartilages", -300.0, "HU", "organ"), ("frontal lobe", 900.0, "HU", "organ"),  # no tissue rule
])
def test_plausible_means_and_unjudged_structures_pass(label, mean, unit, kind):
    assert implausible(_organ(label, mean, unit, kind)) is None


def test_tissue_words_do_not_catch_neighbouring_names():
    assert tissue_range("costal cartilages") is None
    assert tissue_range("frontal lobe") is None  # a brain lobe, not a lung lobe
    assert tissue_range("caudate lobe") is None
    assert tissue_range("ribbon") is None
    assert tissue_range("T12 vertebra")[0] == "bone"
    assert tissue_range("left upper lobe")[0] == "lung"
    assert tissue_range("portal and splenic veins")[0] == "solid soft tissue"


def test_the_real_highdicom_segmentation_off_its_image_is_flagged(shared_data):
    """highdicom's example SEG labels 'bone' where the CT holds air on its first slice (mean ~-948 HU): the
    composer's text states that measurement and every other check agreed with it."""
    inspect = pytest.importorskip("medtrinity.inspect")
    import yaml

    from medtrinity.config import parse_config
    from medtrinity.generation.backends import make_backend
    from medtrinity.pipeline import grounded_samples
    from medtrinity.quality.verify import verify

    text, _ = inspect.render([shared_data / "highdicom"])
    config = parse_config(yaml.safe_load(text))
    backend = make_backend("composer")
    flagged, clean = [], []
    for sample in grounded_samples(config):
        bone = [roi for roi in sample.rois if roi.label == "bone" and roi.intensity_unit == "HU"]
        if not bone:
            continue
        sample.description = backend.describe(sample)
        codes = [issue.code for issue in verify(sample).issues]
        (flagged if bone[0].mean_intensity < -100 else clean).append(codes)
    assert flagged and all(codes == ["attenuation_implausible"] for codes in flagged)
    assert clean and all(codes == [] for codes in clean)
