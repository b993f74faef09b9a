"""No identifier from DICOM headers or file names reaches any output file."""

from __future__ import annotations

import pydicom
from pydicom.data import get_testdata_file

from medtrinity.config import load_config
from medtrinity.run_folder import read_parquet_folder
from medtrinity.runner import run_pipeline

from .helpers import write_config

IDENTIFIERS = {
    "PatientName": "Quixote^Alonso^Q",
    "PatientID": "PID7734291",
    "PatientBirthDate": "19471023",
    "AccessionNumber": "ACC55120987",
    "InstitutionName": "Hospital San Zorba",
    "ReferringPhysicianName": "Pangloss^Otto",
    "StudyDate": "20191231",
    "StudyID": "STUDY8812",
}


def test_identifiers_never_reach_outputs(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for number, name in enumerate(("CT_small.dcm", "MR_small.dcm", "examples_overlay.dcm")):
        dataset = pydicom.dcmread(get_testdata_file(name))
        for keyword, value in IDENTIFIERS.items():
            setattr(dataset, keyword, value)
        dataset.save_as(inputs / f"PID7734291_{number}.dcm")
    config = load_config(write_config(tmp_path / "run.yaml", [
        {"name": "dicom", "reader": "dicom_files", "path": str(inputs), "label_names": {1: "liver lesion"}}],
        quality={"keep_no_content": True}))  # two of the three files carry no label: keep them to check them too
    out = tmp_path / "out"
    summary = run_pipeline(config, out)
    assert summary.triplets == 3 and summary.rejects == 0
    decoded = repr(read_parquet_folder(out / "triplets").to_pylist())
    raw = b"".join(path.read_bytes() for path in out.rglob("*") if path.is_file())
    for value in IDENTIFIERS.values():
        for fragment in {value, value.split("^")[0]}:
            assert fragment not in decoded
            assert fragment.encode() not in raw


def test_identifiers_in_a_series_and_its_seg_never_reach_outputs(tmp_path, shared_data):
    source = shared_data / "highdicom"
    inputs = tmp_path / "study"
    inputs.mkdir()
    files = sorted((source / "pydicom_CT2_source_series").iterdir()) + [source / "seg_image_ct_binary_overlap.dcm"]
    for number, path in enumerate(files):
        dataset = pydicom.dcmread(path)
        for keyword, value in IDENTIFIERS.items():
            setattr(dataset, keyword, value)
        dataset.save_as(inputs / f"PID7734291_{number}.dcm")
    config = load_config(write_config(tmp_path / "run.yaml", [
        {"name": "series", "reader": "dicom_series", "path": str(inputs)}], slicing={"without_roi_fraction": 1.0}))
    out = tmp_path / "out"
    summary = run_pipeline(config, out)
    assert summary.triplets == 4 and summary.rejects == 0
    rows = read_parquet_folder(out / "triplets").to_pylist()
    assert {roi["label"] for row in rows for roi in row["rois"]} <= {"bone", "spine"}
    decoded = repr(rows)
    raw = b"".join(path.read_bytes() for path in out.rglob("*") if path.is_file())
    for value in IDENTIFIERS.values():
        for fragment in {value, value.split("^")[0]}:
            assert fragment not in decoded
            assert fragment.encode() not in raw
