"""One tiny dataset per built-in reader, written in the reader's real layout (files written by the format's
own libraries: nibabel, SimpleITK, pydicom, h5py, tifffile, OpenCV), plus its source config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

RNG_SEED = 0


def _png(path: Path, shape=(40, 48), value: int | None = None) -> np.ndarray:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(RNG_SEED)
    image = rng.integers(20, 230, shape, dtype=np.uint8) if value is None else np.full(shape, value, np.uint8)
    cv2.imwrite(str(path), image)
    return image


def _square_mask(path: Path, shape=(40, 48), box=(10, 8, 22, 20), value: int = 255) -> None:
    mask = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), mask)


def _volume_arrays(shape_xyz=(24, 20, 4)) -> tuple[np.ndarray, np.ndarray]:
    image = np.random.default_rng(RNG_SEED).normal(40, 8, shape_xyz).astype(np.int16)
    labels = np.zeros(shape_xyz, np.uint8)
    labels[4:12, 5:11, 1:3] = 1
    return image, labels


def phantom(tmp: Path) -> dict:
    return {"path": "phantom", "options": {"cases": 1}}


def nifti(tmp: Path) -> dict:
    import nibabel as nib

    image, labels = _volume_arrays()
    affine = np.diag([1.5, 1.5, 3.0, 1.0])
    nib.save(nib.Nifti1Image(image, affine), tmp / "case.nii.gz")
    nib.save(nib.Nifti1Image(labels, affine), tmp / "case_seg.nii.gz")
    return {"path": str(tmp / "case.nii.gz"), "labels": str(tmp / "case_seg.nii.gz"),
            "label_names": {1: "liver tumor"}, "modality": "ct"}


def sitk(tmp: Path) -> dict:
    import SimpleITK as itk

    image, labels = _volume_arrays()
    for array, name in ((image, "brain_image.nrrd"), (labels, "brain_label.nrrd")):
        volume = itk.GetImageFromArray(np.transpose(array, (2, 1, 0)))  # ITK arrays are z, y, x
        volume.SetSpacing((0.8, 0.8, 5.0))
        itk.WriteImage(volume, str(tmp / name))
    return {"path": str(tmp / "brain_image.nrrd"), "labels": str(tmp / "brain_label.nrrd"),
            "label_names": {1: "lesion"}, "modality": "mri"}


def nnunet(tmp: Path) -> dict:
    import nibabel as nib

    root = tmp / "Dataset001_Kidney"
    (root / "imagesTr").mkdir(parents=True)
    (root / "labelsTr").mkdir()
    (root / "dataset.json").write_text(json.dumps({
        "channel_names": {"0": "CT"}, "labels": {"background": 0, "kidney_left": 1}, "numTraining": 1,
        "file_ending": ".nii.gz"}))
    image, labels = _volume_arrays()
    nib.save(nib.Nifti1Image(image, np.eye(4)), root / "imagesTr" / "case_001_0000.nii.gz")
    nib.save(nib.Nifti1Image(labels, np.eye(4)), root / "labelsTr" / "case_001.nii.gz")
    return {"path": str(root)}


def dicom_files(tmp: Path) -> dict:
    from pydicom.data import get_testdata_file

    source = Path(get_testdata_file("CT_small.dcm"))
    (tmp / "ct.dcm").write_bytes(source.read_bytes())
    return {"path": str(tmp / "ct.dcm")}


def dicom_series(tmp: Path) -> dict:
    from medtrinity.synthetic_dicom import write_ct_series

    write_ct_series(tmp / "series")
    return {"path": str(tmp / "series")}


def image_masks(tmp: Path) -> dict:
    _png(tmp / "images" / "a.png")
    _square_mask(tmp / "masks" / "a.png")
    return {"path": str(tmp / "images"), "labels": str(tmp / "masks"), "label_names": {1: "polyp"},
            "modality": "endoscopy", "options": {"spacing_mm": [0.5, 0.5]}}


def image_class_masks(tmp: Path) -> dict:
    _png(tmp / "images" / "slice.png")
    _square_mask(tmp / "masks" / "slice_liver_000.png")
    _square_mask(tmp / "masks" / "slice_kidney_000.png", box=(30, 20, 40, 30))
    return {"path": str(tmp / "images"), "labels": str(tmp / "masks"), "modality": "ct"}


def csv_labels(tmp: Path) -> dict:
    _png(tmp / "images" / "00000001_000.png")
    _png(tmp / "images" / "00000002_000.png", value=None)
    (tmp / "labels.csv").write_text("Image Index,Finding Labels,Patient ID\n"
                                    "00000001_000.png,Cardiomegaly|Effusion,1\n00000002_000.png,No Finding,2\n")
    return {"path": str(tmp / "images"), "labels": str(tmp / "labels.csv"), "modality": "xray",
            "options": {"label_column": "Finding Labels", "case_column": "Patient ID"}}


def image_folder(tmp: Path) -> dict:
    _png(tmp / "tree" / "pneumonia" / "a.png")
    _png(tmp / "tree" / "normal" / "b.png")
    return {"path": str(tmp / "tree"), "modality": "xray"}


def coco(tmp: Path) -> dict:
    _png(tmp / "images" / "a.png")
    document = {"images": [{"id": 1, "file_name": "a.png", "width": 48, "height": 40}],
                "categories": [{"id": 1, "name": "polyp"}],
                "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 12, 10]}]}
    (tmp / "ann.json").write_text(json.dumps(document))
    return {"path": str(tmp / "ann.json"), "modality": "endoscopy"}


def yolo(tmp: Path) -> dict:
    _png(tmp / "images" / "b.png")
    (tmp / "labels").mkdir()
    (tmp / "labels" / "b.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    (tmp / "classes.txt").write_text("nodule\n")
    return {"path": str(tmp / "images"), "modality": "xray"}


def voc(tmp: Path) -> dict:
    _png(tmp / "JPEGImages" / "c.png")
    (tmp / "Annotations").mkdir()
    (tmp / "Annotations" / "c.xml").write_text(
        "<annotation><filename>c.png</filename><size><width>48</width><height>40</height><depth>1</depth></size>"
        "<object><name>mass</name><bndbox><xmin>5</xmin><ymin>6</ymin><xmax>20</xmax><ymax>18</ymax></bndbox>"
        "</object></annotation>")
    return {"path": str(tmp / "Annotations"), "modality": "xray", "options": {"images": str(tmp / "JPEGImages")}}


def hdf5(tmp: Path) -> dict:
    import h5py

    images = np.random.default_rng(RNG_SEED).random((2, 1, 32, 32)).astype(np.float32)
    labels = np.zeros((2, 1, 32, 32), np.uint8)
    labels[:, :, 8:16, 8:16] = 1
    with h5py.File(tmp / "patches.h5", "w") as handle:
        handle["images"] = images
        handle["labels"] = labels
    return {"path": str(tmp / "patches.h5"), "label_names": {1: "lung tumour"}, "modality": "ct"}


def npz(tmp: Path) -> dict:
    rng = np.random.default_rng(RNG_SEED)
    np.savez(tmp / "pneumoniamnist.npz", train_images=rng.integers(0, 255, (2, 28, 28), dtype=np.uint8),
             train_labels=np.array([[0], [1]]))
    return {"path": str(tmp / "pneumoniamnist.npz"), "label_names": {0: "normal", 1: "pneumonia"},
            "modality": "xray"}


def wsi(tmp: Path) -> dict:
    import tifffile

    image = np.full((1024, 1536, 3), 242, np.uint8)
    cv2.ellipse(image, (400, 500), (300, 250), 0, 0, 360, (190, 80, 150), -1)  # tissue on the left only
    image = np.clip(image.astype(int) + np.random.default_rng(RNG_SEED).integers(-4, 5, image.shape), 0, 255)
    image = image.astype(np.uint8)
    with tifffile.TiffWriter(tmp / "slide.tif") as tif:
        tif.write(image, tile=(256, 256), subifds=1, photometric="rgb", resolution=(4000, 4000),
                  resolutionunit="CENTIMETER", compression="zlib")
        tif.write(image[::8, ::8], subfiletype=1, photometric="rgb", compression="zlib")
    return {"path": str(tmp / "slide.tif"), "modality": "histopathology", "options": {"tile_size": 256}}


def bids(tmp: Path) -> dict:
    import nibabel as nib

    root = tmp / "ds000001"
    root.mkdir()
    (root / "dataset_description.json").write_text(json.dumps({"Name": "tiny", "BIDSVersion": "1.8.0"}))
    image, labels = _volume_arrays()
    anat = root / "sub-01" / "anat"
    anat.mkdir(parents=True)
    nib.save(nib.Nifti1Image(image, np.diag([1.0, 1.0, 2.0, 1.0])), anat / "sub-01_T2w.nii.gz")
    (anat / "sub-01_T2w.json").write_text(json.dumps({"Modality": "MR"}))
    masks = root / "derivatives" / "labels" / "sub-01" / "anat"
    masks.mkdir(parents=True)
    nib.save(nib.Nifti1Image(labels, np.diag([1.0, 1.0, 2.0, 1.0])), masks / "sub-01_T2w_label-lesion_seg.nii.gz")
    return {"path": str(root), "modality": "mri"}


def npy(tmp: Path) -> dict:
    rng = np.random.default_rng(RNG_SEED)
    np.save(tmp / "images.npy", rng.integers(0, 255, (2, 32, 32, 3), dtype=np.uint8))
    masks = np.zeros((2, 32, 32, 2), np.int32)
    masks[:, 8:14, 8:14, 0] = 1  # one nucleus instance in class channel 0; channel 1 is the background
    np.save(tmp / "masks.npy", masks)
    return {"path": str(tmp / "images.npy"), "labels": str(tmp / "masks.npy"), "label_names": {1: "nucleus"},
            "modality": "histopathology"}


READER_FIXTURES: dict[str, Callable[[Path], dict]] = {
    "phantom": phantom, "nifti": nifti, "sitk": sitk, "nnunet": nnunet, "dicom_files": dicom_files,
    "dicom_series": dicom_series, "image_masks": image_masks, "image_class_masks": image_class_masks,
    "csv_labels": csv_labels, "image_folder": image_folder, "coco": coco, "yolo": yolo, "voc": voc,
    "hdf5": hdf5, "npz": npz, "wsi": wsi, "bids": bids, "npy": npy,
}
