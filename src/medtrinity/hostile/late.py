"""Hostile cases for the readers added late (DICOM series, npy, per-class masks, BIDS, VinDr-style box tables).

Same contract as :mod:`medtrinity.hostile.early`: each case is one source with good files and one hostile thing;
the hostile file must become a reject naming it while every good file still becomes samples.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from medtrinity.hostile.writers import HostileCase, good_image, good_mask


def dicom_series_cases(root: Path) -> list[HostileCase]:
    """A series with one slice declaring 60000 x 60000, and an enhanced file declaring two million frames."""
    import pydicom

    from medtrinity.synthetic_dicom import synthetic_ct, write_ct_series, write_enhanced_ct

    cases = []
    folder = root / "dicom_series_slice_declared_huge"
    write_ct_series(folder / "good_series", synthetic_ct((4, 32, 32)))
    files = write_ct_series(folder / "bad_series", synthetic_ct((4, 32, 32)))
    dataset = pydicom.dcmread(files[1])
    dataset.Rows, dataset.Columns = 60000, 60000
    dataset.save_as(files[1])
    cases.append(HostileCase(folder.name, "dicom_series", {"name": folder.name, "reader": "dicom_series",
                                                           "path": str(folder)}, "bad_series"))
    # ordinary slices that add up to more than the volume cap (here lowered to 3 slices of 32 x 32)
    folder = root / "dicom_series_sum_over_volume_cap"
    write_ct_series(folder / "good_series", synthetic_ct((3, 32, 32)))
    write_ct_series(folder / "bad_series", synthetic_ct((5, 32, 32)))
    cases.append(HostileCase(folder.name, "dicom_series", {"name": folder.name, "reader": "dicom_series",
                                                           "path": str(folder)}, "bad_series",
                             settings={"limits": {"max_voxels_per_volume": 3 * 32 * 32}}))
    folder = root / "dicom_multiframe_declared_frames"
    write_ct_series(folder / "good_series", synthetic_ct((4, 32, 32)))
    (folder / "bad_series").mkdir(parents=True)
    path = write_enhanced_ct(folder / "bad_series" / "volume.dcm", synthetic_ct((4, 32, 32)))
    dataset = pydicom.dcmread(path)
    dataset.NumberOfFrames = 2_000_000  # 2,048,000,000 voxels declared, four frames stored
    dataset.save_as(path)
    cases.append(HostileCase(folder.name, "dicom_series", {"name": folder.name, "reader": "dicom_series",
                                                           "path": str(folder)}, "bad_series"))
    return cases


def _sparse_npy(path: Path, shape: tuple[int, ...]) -> None:
    """A .npy of zeros declaring ``shape``, stored sparse: gigabytes declared, nothing written."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    with open(path, "wb") as handle:
        handle.write(header.getvalue())
        handle.truncate(len(header.getvalue()) + int(np.prod(shape)))


def npy_cases(root: Path) -> list[HostileCase]:
    """PanNuke-style .npy arrays: truncated, declared huge, complex, unknown mask values, count mismatch."""
    cases = []
    names = {1: "neoplastic cell nuclei"}

    def case(name: str, write: Callable[[Path], None]) -> None:
        folder = root / name
        (folder / "good").mkdir(parents=True, exist_ok=True)
        (folder / "bad").mkdir(parents=True, exist_ok=True)
        np.save(folder / "good" / "good_images.npy", np.stack([good_image(i, 32) for i in range(2)]))
        write(folder / "bad" / "bad_images.npy")
        cases.append(HostileCase(name, "npy", {"name": name, "reader": "npy", "path": str(folder / "*" / "*.npy")},
                                 "bad_images.npy", good=2))

    def truncated(path: Path) -> None:
        buffer = io.BytesIO()
        np.save(buffer, np.stack([good_image(3, 32)] * 2))
        path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    case("npy_zero_byte", lambda path: path.write_bytes(b""))
    case("npy_truncated", truncated)
    case("npy_entry_declared_huge", lambda path: _sparse_npy(path, (2, 60000, 60000)))
    case("npy_complex", lambda path: np.save(path, np.ones((2, 32, 32), np.complex64)))
    case("npy_object_pickle", lambda path: np.save(path, np.array([{"a": 1}, None], dtype=object),
                                                   allow_pickle=True))
    case("npy_nan_images", lambda path: np.save(path, np.full((2, 32, 32), np.nan, np.float32)))

    # masks: one file shared by the images of a single array; the bad case is a mask value nobody named
    folder = root / "npy_unknown_mask_value"
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "good_images.npy", np.stack([good_image(i, 32) for i in range(2)]))
    masks = np.stack([good_mask(32), good_mask(32) * 99])
    np.save(folder / "bad_masks.npy", masks)
    cases.append(HostileCase(folder.name, "npy", {"name": folder.name, "reader": "npy",
                                                  "path": str(folder / "good_images.npy"),
                                                  "labels": str(folder / "bad_masks.npy"), "label_names": names},
                             "bad_masks.npy"))
    return cases


def class_mask_cases(root: Path) -> list[HostileCase]:
    """Per-class mask files: a class the label map does not name, and a class mask holding several values."""
    cases = []
    for name, write in (("class_mask_unknown_class", "unknown"), ("class_mask_several_values", "several")):
        folder = root / name
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / "masks").mkdir(parents=True, exist_ok=True)
        for stem in ("good0", "bad"):
            cv2.imwrite(str(folder / "images" / f"{stem}.png"), good_image(len(stem)))
        cv2.imwrite(str(folder / "masks" / "good0_liver_000.png"), good_mask() * 255)
        if write == "unknown":
            cv2.imwrite(str(folder / "masks" / "bad_tumour_000.png"), good_mask() * 255)
        else:
            several = good_mask()
            several[:8, :8] = 7
            cv2.imwrite(str(folder / "masks" / "bad_liver_000.png"), several)
        cases.append(HostileCase(name, "class_masks", {"name": name, "reader": "image_class_masks",
                                                       "path": str(folder / "images"),
                                                       "labels": str(folder / "masks"),
                                                       "label_names": {1: "liver"}}, "bad_"))
    return cases


def _bids_image(path: Path, data: np.ndarray | None = None) -> None:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = np.zeros((24, 24, 4), np.int16)
        data[6:18, 6:18] = 300
    nib.save(nib.Nifti1Image(data, np.diag([1.0, 1.0, 2.0, 1.0])), path)


def bids_cases(root: Path) -> list[HostileCase]:
    """BIDS: a dseg value its .tsv does not name, a derivative linked from outside, a header declaring huge."""
    import nibabel as nib

    cases = []

    def dataset(name: str) -> Path:
        folder = root / name
        (folder / "dataset_description.json").parent.mkdir(parents=True, exist_ok=True)
        (folder / "dataset_description.json").write_text(json.dumps({"Name": name, "BIDSVersion": "1.8.0"}))
        _bids_image(folder / "sub-good" / "anat" / "sub-good_T2w.nii.gz")
        return folder

    folder = dataset("bids_dseg_unknown_value")
    _bids_image(folder / "sub-bad" / "anat" / "sub-bad_T2w.nii.gz")
    seg = np.zeros((24, 24, 4), np.int16)
    seg[8:12, 8:12], seg[14:16, 14:16] = 1, 9
    mask = folder / "derivatives" / "manual" / "sub-bad" / "anat" / "sub-bad_T2w_dseg.nii.gz"
    _bids_image(mask, seg)
    mask.with_name("sub-bad_T2w_dseg.tsv").write_text("index\tname\n1\tspinal cord\n", encoding="utf-8")
    cases.append(HostileCase(folder.name, "bids", {"name": folder.name, "reader": "bids", "path": str(folder)},
                             "sub-bad"))

    folder = dataset("bids_derivative_link_escape")
    _bids_image(folder / "sub-bad" / "anat" / "sub-bad_T2w.nii.gz")
    outside = root / "outside_secret_mask.nii.gz"
    _bids_image(outside, (np.arange(24 * 24 * 4).reshape(24, 24, 4) % 2).astype(np.int16))
    link = folder / "derivatives" / "manual" / "sub-bad" / "anat" / "sub-bad_T2w_label-lesion_seg.nii.gz"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, link)
    cases.append(HostileCase(folder.name, "bids", {"name": folder.name, "reader": "bids", "path": str(folder)},
                             "sub-bad"))

    folder = dataset("bids_header_declared_huge")
    header = nib.Nifti1Header()
    header.set_data_shape((2048, 2048, 1024))
    header.set_data_dtype(np.int16)
    header.set_qform(np.eye(4), code=1)
    import gzip

    path = folder / "sub-bad" / "anat" / "sub-bad_T2w.nii.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(header.binaryblock + bytes(4) + bytes(1 << 16)))
    cases.append(HostileCase(folder.name, "bids", {"name": folder.name, "reader": "bids", "path": str(folder)},
                             "sub-bad"))
    return cases


def box_table_cases(root: Path) -> list[HostileCase]:
    """A VinDr-CXR style box table (dicom_files + ``boxes``) with one malformed row for one image."""
    import pydicom
    from pydicom.data import get_testdata_file

    folder = root / "box_table_bad_row"
    (folder / "train").mkdir(parents=True, exist_ok=True)
    for stem in ("good0", "broken"):
        dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        dataset.SOPInstanceUID = f"{dataset.SOPInstanceUID}.{len(stem)}"
        dataset.save_as(folder / "train" / f"{stem}.dicom")
    (folder / "train.csv").write_text(
        "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n"
        "good0,Nodule/Mass,8,R9,5.0,5.0,30.0,30.0\n"
        "broken,Nodule/Mass,8,R9,five,5.0,30.0,30.0\n", encoding="utf-8")
    source = {"name": folder.name, "reader": "dicom_files", "path": str(folder / "train"),
              "options": {"boxes": str(folder / "train.csv"),
                          "box_columns": ["image_id", "class_name", "x_min", "y_min", "x_max", "y_max"]}}
    return [HostileCase(folder.name, "box_table", source, "broken")]


LATE_BUILDERS = (dicom_series_cases, npy_cases, class_mask_cases, bids_cases, box_table_cases)
