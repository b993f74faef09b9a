"""Acquisition facts (MR sequence, fat saturation, contrast, view, CT phase) as tokens from real headers."""

import shutil

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from medtrinity.config import parse_config
from medtrinity.sources import make_reader
from medtrinity.sources.acquisition import (
    CT_PHASES,
    MR_SEQUENCE_TOKENS,
    VIEW_POSITIONS,
    bids_acquisition_facts,
    dicom_acquisition_facts,
)


def _header(**tags):
    dataset = Dataset()
    for keyword, value in tags.items():
        setattr(dataset, keyword, value)
    return dataset


def test_siemens_vibe_overlay_header_gives_t1_dynamic_fat_saturated_post_contrast():
    """pydicom's examples_overlay.dcm: protocol t1_vibe_fs_tra_bh_dyn, ScanOptions FS, 11 ml Omniscan."""
    facts = dicom_acquisition_facts(pydicom.dcmread(get_testdata_file("examples_overlay.dcm"), stop_before_pixels=True))
    assert facts == {"mr_sequence": ["dce", "t1"], "fat_saturated": True, "contrast_enhanced": True}


@pytest.mark.parametrize(("description", "expected"), [
    ("AX T2 FLAIR", ["flair"]),
    ("Ax DWI b1000", ["dwi"]),
    ("ADC (10^-6 mm2/s)", ["adc"]),
    ("COR STIR", ["stir"]),
    ("sag PD FS", ["pd"]),
    ("SWI_Images", ["swi"]),
    ("t2_tse_tra", ["t2"]),
    ("T1 MPRAGE POST GAD", ["t1"]),
])
def test_mr_series_descriptions_become_tokens(description, expected):
    facts = dicom_acquisition_facts(_header(Modality="MR", SeriesDescription=description))
    assert facts["mr_sequence"] == expected
    assert set(facts["mr_sequence"]) <= set(MR_SEQUENCE_TOKENS)


def test_inversion_recovery_timing_decides_flair_or_stir_without_words():
    assert dicom_acquisition_facts(_header(Modality="MR", ScanningSequence="IR", InversionTime=2500))[
        "mr_sequence"] == ["flair"]
    stir = dicom_acquisition_facts(_header(Modality="MR", ScanningSequence="IR", InversionTime=150))
    assert stir["mr_sequence"] == ["stir"] and stir["fat_saturated"] is True


@pytest.mark.parametrize(("description", "phase"), [
    ("ABD/PEL PORTAL VENOUS 5mm", "portal_venous"), ("Arterial phase", "arterial"), ("NON CONTRAST", "non_contrast"),
    ("Delayed 3 min", "delayed")])
def test_ct_phase_from_the_description(description, phase):
    facts = dicom_acquisition_facts(_header(Modality="CT", SeriesDescription=description))
    assert facts["ct_phase"] == phase and phase in CT_PHASES
    assert facts["contrast_enhanced"] is (phase != "non_contrast")


@pytest.mark.parametrize(("view", "token"), [("PA", "pa"), ("AP", "ap"), ("LL", "lateral"), ("RAO", "oblique")])
def test_view_position_tokens(view, token):
    assert dicom_acquisition_facts(_header(Modality="DX", ViewPosition=view))["view_position"] == token
    assert token in VIEW_POSITIONS


def test_free_text_never_leaves_the_header():
    """A series description carrying a name and a date yields tokens only."""
    facts = dicom_acquisition_facts(_header(Modality="MR", SeriesDescription="DOE_JOHN 2021-03-04 T2 TSE AX",
                                            ContrastBolusAgent="Dotarem 15 ml"))
    assert facts == {"mr_sequence": ["t2"], "contrast_enhanced": True}
    assert "doe" not in repr(facts).lower()


def test_bids_suffix_and_sidecar():
    assert bids_acquisition_facts("T1w", {"ScanOptions": ["FS"]}) == {"mr_sequence": ["t1"], "fat_saturated": True}
    assert bids_acquisition_facts("FLAIR", {})["mr_sequence"] == ["flair"]
    assert bids_acquisition_facts("T1w", {"ContrastBolusIngredient": "GADOLINIUM"})["contrast_enhanced"] is True


def test_facts_reach_the_sample_metadata_and_radiograph_spacing(tmp_path, shared_data):
    shutil.copy(get_testdata_file("examples_overlay.dcm"), tmp_path / "mr.dcm")
    shutil.copy(shared_data / "highdicom" / "dx_image.dcm", tmp_path / "dx.dcm")
    dx = pydicom.dcmread(tmp_path / "dx.dcm")
    dx.ViewPosition = "PA"
    del dx.PixelSpacing  # a radiograph that states only the detector spacing
    dx.EstimatedRadiographicMagnificationFactor = 1.2
    dx.save_as(tmp_path / "dx.dcm")
    config = parse_config({"sources": [{"name": "s", "reader": "dicom_files", "path": str(tmp_path)}]})
    reader = make_reader(config.sources[0], config)
    samples = {item.rsplit("/", 1)[-1]: s for item in reader.list_items() for s in reader.read(item)}
    assert samples["mr.dcm"].metadata["mr_sequence"] == ["dce", "t1"]
    assert samples["mr.dcm"].metadata["fat_saturated"] is True
    assert samples["dx.dcm"].metadata["view_position"] == "pa"
    assert samples["dx.dcm"].spacing_mm == pytest.approx((1.2012 / 1.2, 1.2 / 1.2), rel=1e-3)
