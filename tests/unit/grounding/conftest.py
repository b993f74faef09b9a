"""Fixtures of the grounding tests."""

from __future__ import annotations

import pytest

from medtrinity.config import RunConfig, parse_config


@pytest.fixture
def totalsegmentator_config(shared_data):
    """A run config over the real TotalSegmentator CT: ``(sources)`` picks "nifti" (the RAS volume), "dicom" (the
    LAS DICOM series) or both."""
    folder = shared_data / "totalsegmentator"
    names = str(folder / "label_map_total.json")
    sources = {
        "nifti": {"name": "ts", "reader": "nifti", "path": str(folder / "example_ct_sm.nii.gz"),
                  "labels": str(folder / "example_seg.nii.gz"), "label_map": names, "modality": "ct"},
        "dicom": {"name": "ts_dicom", "reader": "dicom_series", "path": str(folder / "example_ct_dicom"),
                  "labels": str(folder / "example_seg_dicom.nii.gz"), "label_map": names, "modality": "ct"},
    }

    def make(*which: str) -> RunConfig:
        return parse_config({"sources": [sources[name] for name in which or ("nifti", "dicom")],
                             "knowledge": {"kb": "builtin"}})

    return make
