"""The early hostile cases: images, HDF5, npz, NIfTI, detection sets, links, DICOM files and slides."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from medtrinity.hostile.writers import (
    HostileCase,
    declared_tiff,
    good_image,
    good_mask,
    zero_png,
    zeros_npz,
)


def _write_good_pngs(folder: Path, masks: Path | None = None, count: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        cv2.imwrite(str(folder / f"good{index}.png"), good_image(index))
        if masks is not None:
            masks.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(masks / f"good{index}.png"), good_mask())


def _image_case(root: Path, name: str, write_bad: Callable[[Path], str], *, masks: bool = True,
                reader: str = "image_masks", options: dict | None = None) -> HostileCase:
    folder = root / name
    images = folder / "images"
    _write_good_pngs(images, folder / "masks" if masks else None)
    bad_name = write_bad(images)
    source = {"name": name, "reader": reader, "path": str(images), "options": options or {}}
    if masks:
        source["labels"] = str(folder / "masks")
    return HostileCase(name, "image", source, bad_name)


def _bytes_writer(file_name: str, data: bytes, mask: bool = False) -> Callable[[Path], str]:
    def write(images: Path) -> str:
        (images / file_name).write_bytes(data)
        if mask:
            cv2.imwrite(str(images.parent / "masks" / f"{Path(file_name).stem}.png"), good_mask())
        return file_name
    return write


def _encoded(image: np.ndarray, suffix: str) -> bytes:
    ok, data = cv2.imencode(suffix, image)
    if not ok:
        raise RuntimeError(f"cannot encode {suffix}")
    return data.tobytes()


def image_cases(root: Path) -> list[HostileCase]:
    """2D image files read by the PNG/JPEG/TIFF readers."""
    png = _encoded(good_image(7), ".png")
    jpeg = _encoded(cv2.cvtColor(good_image(8, 256), cv2.COLOR_GRAY2BGR) + 0, ".jpg")
    rgb = np.dstack([good_image(9, 256), good_image(10, 256), good_image(11, 256)])
    jpeg_rgb = _encoded(rgb, ".jpg")
    return [
        _image_case(root, "png_zero_byte", _bytes_writer("bad.png", b"", mask=True)),
        _image_case(root, "png_random_bytes", _bytes_writer("bad.png", os.urandom(4096), mask=True)),
        _image_case(root, "png_truncated", _bytes_writer("bad.png", png[: len(png) // 2], mask=True)),
        _image_case(root, "jpeg_half_truncated", _bytes_writer("bad.jpg", jpeg_rgb[: len(jpeg_rgb) // 2]),
                    masks=False),
        _image_case(root, "jpeg_grey_truncated", _bytes_writer("bad.jpg", jpeg[: len(jpeg) * 2 // 3]),
                    masks=False),
        _image_case(root, "png_32000x32000_zero_rows", _bytes_writer("bad.png", zero_png(32000, 32000)),
                    masks=False),
        _image_case(root, "png_16bit_rgb_huge", _bytes_writer(
            "bad.png", zero_png(12000, 12000, bit_depth=16, colour_type=2)), masks=False),
        _image_case(root, "tiff_100000x100000", _bytes_writer("bad.tif", declared_tiff(100000, 100000)),
                    masks=False),
        _image_case(root, "mask_unknown_label", _unknown_label_mask, options={}),
    ]


def _unknown_label_mask(images: Path) -> str:
    cv2.imwrite(str(images / "bad.png"), good_image(3))
    mask = good_mask()
    mask[:8, :8] = 99
    cv2.imwrite(str(images.parent / "masks" / "bad.png"), mask)
    return "bad.png"


def hdf5_cases(root: Path) -> list[HostileCase]:
    """HDF5 containers: corrupt files, scalar datasets, count mismatches and chunked fill-value bombs."""
    import h5py

    cases = []

    def folder_with_good(name: str) -> Path:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        with h5py.File(folder / "good.h5", "w") as handle:
            handle["images"] = np.stack([good_image(i, 48) / 255.0 for i in range(2)])[:, None].astype(np.float32)
            handle["labels"] = np.stack([good_mask(48)] * 2)[:, None].astype(np.uint8)
        return folder

    for name, build in (
        ("h5_zero_byte", lambda path: path.write_bytes(b"")),
        ("h5_random_bytes", lambda path: path.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(2048))),
        ("h5_truncated", lambda path: path.write_bytes((path.parent / "good.h5").read_bytes()[:2000])),
    ):
        folder = folder_with_good(name)
        build(folder / "bad.h5")
        cases.append(HostileCase(name, "hdf5", {"name": name, "reader": "hdf5", "path": str(folder)}, "bad.h5",
                                 good=2))
    folder = folder_with_good("h5_scalar_dataset")
    with h5py.File(folder / "bad.h5", "w") as handle:
        handle["images"] = np.float32(3.0)
    cases.append(HostileCase("h5_scalar_dataset", "hdf5", {"name": "h5_scalar_dataset", "reader": "hdf5",
                                                          "path": str(folder)}, "bad.h5", good=2))
    folder = folder_with_good("h5_label_count_mismatch")
    with h5py.File(folder / "bad.h5", "w") as handle:
        handle["images"] = np.zeros((3, 48, 48), dtype=np.float32)
        handle["labels"] = np.zeros((2, 48, 48), dtype=np.uint8)
    cases.append(HostileCase("h5_label_count_mismatch", "hdf5", {"name": "h5_label_count_mismatch",
                                                                "reader": "hdf5", "path": str(folder)},
                             "bad.h5", good=2))
    folder = folder_with_good("h5_chunked_fill_bomb")
    with h5py.File(folder / "bad.h5", "w") as handle:
        handle.create_dataset("images", shape=(2, 40000, 40000), dtype=np.float32, chunks=(1, 1000, 1000),
                              compression="gzip", fillvalue=0.0)
    cases.append(HostileCase("h5_chunked_fill_bomb", "hdf5", {"name": "h5_chunked_fill_bomb", "reader": "hdf5",
                                                             "path": str(folder)}, "bad.h5", good=2))
    folder = folder_with_good("h5_complex_images")
    with h5py.File(folder / "bad.h5", "w") as handle:
        handle["images"] = (np.ones((2, 48, 48)) + 1j * np.ones((2, 48, 48))).astype(np.complex64)
    cases.append(HostileCase("h5_complex_images", "hdf5", {"name": "h5_complex_images", "reader": "hdf5",
                                                          "path": str(folder)}, "bad.h5", good=2))
    return cases


def _npz_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / "good.npz", train_images=np.stack([good_image(i, 28) for i in range(2)]),
                        train_labels=np.array([[0], [1]], dtype=np.int64))
    return folder


def npz_cases(root: Path) -> list[HostileCase]:
    """MedMNIST-style .npz: corrupt archives, zero bombs, complex/NaN/string data, unknown and negative classes."""
    cases = []
    names = {0: "normal", 1: "pneumonia"}

    def case(name: str, write: Callable[[Path], None]) -> None:
        folder = _npz_folder(root, name)
        write(folder / "bad.npz")
        cases.append(HostileCase(name, "npz", {"name": name, "reader": "npz", "path": str(folder),
                                               "label_names": names}, "bad.npz", good=2))

    def truncated(path: Path) -> None:
        data = (path.parent / "good.npz").read_bytes()
        path.write_bytes(data[: len(data) // 2])

    def arrays(**values) -> Callable[[Path], None]:
        return lambda path: np.savez(path, **values)

    image = np.stack([good_image(5, 28)] * 2)
    case("npz_zero_byte", lambda path: path.write_bytes(b""))
    case("npz_random_bytes", lambda path: path.write_bytes(b"PK\x03\x04" + os.urandom(2048)))
    case("npz_truncated", truncated)
    case("npz_of_zeros_bomb", lambda path: zeros_npz(path, (1, 16000, 16000)))
    case("npz_complex", arrays(train_images=image.astype(np.complex64) * (1 + 1j),
                               train_labels=np.array([[0], [1]])))
    case("npz_string_dtype", arrays(train_images=np.array([["a", "b"], ["c", "d"]]),
                                    train_labels=np.array([[0], [1]])))
    case("npz_unknown_class", arrays(train_images=image, train_labels=np.array([[42], [42]])))
    case("npz_negative_class", arrays(train_images=image, train_labels=np.array([[-3], [-3]])))
    case("npz_label_count_mismatch", arrays(train_images=image, train_labels=np.array([[0]])))
    case("npz_nan_images", arrays(train_images=np.full((2, 28, 28), np.nan, dtype=np.float32),
                                  train_labels=np.array([[0], [1]])))
    return cases


def _nifti_folder(root: Path, name: str) -> Path:
    import nibabel as nib

    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    data = np.zeros((32, 32, 6), dtype=np.int16)
    data[8:24, 8:24, :] = 60
    nib.save(nib.Nifti1Image(data, np.diag([1.0, 1.0, 3.0, 1.0])), folder / "good.nii.gz")
    return folder


def nifti_cases(root: Path) -> list[HostileCase]:
    """NIfTI volumes: corrupt, complex, and a 2 MB file whose header declares a huge volume."""
    import gzip

    import nibabel as nib

    cases = []

    def case(name: str, write: Callable[[Path], None]) -> None:
        folder = _nifti_folder(root, name)
        write(folder / "bad.nii.gz")
        cases.append(HostileCase(name, "nifti", {"name": name, "reader": "nifti", "path": str(folder),
                                                 "modality": "ct"}, "bad.nii.gz"))

    def huge(path: Path) -> None:
        header = nib.Nifti1Header()
        header.set_data_shape((2048, 2048, 1024))
        header.set_data_dtype(np.int16)
        header.set_qform(np.eye(4), code=1)
        raw = header.binaryblock + bytes(4)
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
        body = compressor.compress(raw) + compressor.compress(bytes(1 << 21)) + compressor.flush()
        path.write_bytes(body)

    def truncated(path: Path) -> None:
        data = gzip.decompress((path.parent / "good.nii.gz").read_bytes())
        path.write_bytes(gzip.compress(data[: len(data) // 2]))

    def complex_volume(path: Path) -> None:
        nib.save(nib.Nifti1Image(np.ones((16, 16, 4), dtype=np.complex64), np.eye(4)), path)

    case("nifti_zero_byte", lambda path: path.write_bytes(b""))
    case("nifti_random_bytes", lambda path: path.write_bytes(gzip.compress(os.urandom(4096))))
    case("nifti_truncated", truncated)
    case("nifti_huge_header_dims", huge)
    case("nifti_complex", complex_volume)
    return cases


def _coco_folder(root: Path, name: str, bad_image: dict | None, annotations: list[dict] | None = None,
                 raw: bytes | None = None) -> HostileCase:
    folder = root / name
    images = folder / "images"
    _write_good_pngs(images)
    outside = root / "outside_secret.png"
    cv2.imwrite(str(outside), good_image(99))
    entries = [{"id": 1, "file_name": "good0.png", "width": 64, "height": 64}]
    notes = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 20, 20, 20]}]
    if bad_image is not None:
        entries.append(bad_image)
    notes += annotations or []
    document = {"images": entries, "annotations": notes, "categories": [{"id": 1, "name": "nodule"}]}
    (folder / "instances.json").write_bytes(raw if raw is not None else json.dumps(document).encode())
    hostile = str((bad_image or {}).get("file_name", "instances.json")) if raw is None else "instances.json"
    return HostileCase(name, "coco", {"name": name, "reader": "coco", "path": str(folder / "instances.json"),
                                      "options": {"images": str(images)}}, hostile,
                       good=0 if raw is not None else 1)


def detection_cases(root: Path) -> list[HostileCase]:
    """COCO, VOC and YOLO annotations: escaping paths, unknown and negative classes, orphan annotations."""
    outside = root / "outside_secret.png"
    cases = [
        _coco_folder(root, "coco_zero_byte_json", None, raw=b""),
        _coco_folder(root, "coco_truncated_json", None, raw=b'{"images": [{"id": 1, "file_na'),
        _coco_folder(root, "coco_path_escape_dotdot",
                     {"id": 2, "file_name": "../../outside_secret.png", "width": 64, "height": 64}),
        _coco_folder(root, "coco_path_escape_absolute",
                     {"id": 2, "file_name": str(outside), "width": 64, "height": 64}),
        _coco_folder(root, "coco_unknown_category",
                     {"id": 2, "file_name": "good0.png", "width": 64, "height": 64},
                     [{"id": 2, "image_id": 2, "category_id": 42, "bbox": [5, 5, 10, 10]}]),
        _coco_folder(root, "coco_annotation_missing_image", None,
                     [{"id": 3, "image_id": 77, "category_id": 1, "bbox": [5, 5, 10, 10]}]),
    ]
    cases[-1].hostile = "77"
    cases[-2].hostile = "42"
    # VOC with a file name climbing out of the image folder
    folder = root / "voc_path_escape"
    (folder / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (folder / "Annotations").mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "JPEGImages" / "good0.png"), good_image(1))
    for stem, filename in (("good0", "good0.png"), ("bad", "../../outside_secret.png")):
        (folder / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><filename>{filename}</filename><size><width>64</width><height>64</height></size>"
            "<object><name>nodule</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>30</xmax><ymax>30</ymax>"
            "</bndbox></object></annotation>", encoding="utf-8")
    cases.append(HostileCase("voc_path_escape", "voc", {"name": "voc_path_escape", "reader": "voc",
                                                        "path": str(folder / "Annotations")}, "bad.xml"))
    for name, line in (("yolo_negative_class", "-3 0.5 0.5 0.2 0.2"), ("yolo_unknown_class", "42 0.5 0.5 0.2 0.2")):
        folder = root / name
        _write_good_pngs(folder / "images")
        cv2.imwrite(str(folder / "images" / "bad.png"), good_image(4))
        (folder / "labels").mkdir(parents=True, exist_ok=True)
        (folder / "labels" / "good0.txt").write_text("0 0.5 0.5 0.3 0.3\n", encoding="utf-8")
        (folder / "labels" / "bad.txt").write_text(line + "\n", encoding="utf-8")
        (folder / "classes.txt").write_text("nodule\n", encoding="utf-8")
        cases.append(HostileCase(name, "yolo", {"name": name, "reader": "yolo", "path": str(folder / "images"),
                                                "labels": str(folder / "labels")}, "bad"))
    return cases


def link_cases(root: Path) -> list[HostileCase]:
    """Symbolic-link loops under a recursive glob and a folder: every real file exactly once, no hang."""
    cases = []
    folder = root / "symlink_loop_glob"
    _write_good_pngs(folder / "a" / "b", count=2)
    os.symlink("..", folder / "a" / "b" / "up")  # b/up -> a: a cycle
    os.symlink(".", folder / "a" / "self")  # self-loop
    cases.append(HostileCase("symlink_loop_glob", "links", {"name": "symlink_loop_glob", "reader": "image_masks",
                                                             "path": str(folder / "**" / "*.png")}, "",
                             expect="once", good=2))
    folder = root / "symlink_file_twice"
    _write_good_pngs(folder, count=2)
    os.symlink("good0.png", folder / "alias.png")
    cases.append(HostileCase("symlink_file_twice", "links", {"name": "symlink_file_twice", "reader": "image_masks",
                                                              "path": str(folder)}, "", expect="once", good=2))
    return cases


def dicom_cases(root: Path) -> list[HostileCase]:
    """Single DICOM files: corrupt, truncated, declared huge, burned-in annotation."""
    import pydicom
    from pydicom.data import get_testdata_file

    cases = []
    good = pydicom.dcmread(get_testdata_file("CT_small.dcm"))

    def case(name: str, write: Callable[[Path], None]) -> None:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        good.save_as(folder / "good.dcm")
        write(folder / "bad.dcm")
        cases.append(HostileCase(name, "dicom", {"name": name, "reader": "dicom_files", "path": str(folder)},
                                 "bad.dcm"))

    def truncated(path: Path) -> None:
        data = (path.parent / "good.dcm").read_bytes()
        path.write_bytes(data[: len(data) - 4000])

    def huge(path: Path) -> None:
        dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        dataset.Rows, dataset.Columns, dataset.NumberOfFrames = 60000, 60000, 1
        dataset.save_as(path)

    def burned(path: Path) -> None:
        dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        dataset.BurnedInAnnotation = "YES"
        dataset.SOPInstanceUID = dataset.SOPInstanceUID + ".9"
        dataset.save_as(path)

    case("dicom_zero_byte", lambda path: path.write_bytes(b""))
    case("dicom_random_bytes", lambda path: path.write_bytes(bytes(128) + b"DICM" + os.urandom(2048)))
    case("dicom_truncated_pixels", truncated)
    case("dicom_declared_huge", huge)
    case("dicom_burned_in_annotation", burned)
    return cases


def wsi_cases(root: Path) -> list[HostileCase]:
    """Slides: a truncated tiled TIFF and a TIFF declaring 100000 x 100000 pixels."""
    import tifffile

    cases = []
    for name, write in (
        ("wsi_truncated_tiff", "truncated"),
        ("wsi_tiff_100000x100000", "huge"),
    ):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        rgb = np.full((512, 512, 3), 240, dtype=np.uint8)
        rgb[100:400, 100:400] = (150, 60, 140)
        tifffile.imwrite(folder / "good.tif", rgb, tile=(256, 256), photometric="rgb")
        if write == "truncated":
            data = (folder / "good.tif").read_bytes()
            (folder / "bad.tif").write_bytes(data[: len(data) // 3])
        else:
            (folder / "bad.tif").write_bytes(declared_tiff(100000, 100000))
        cases.append(HostileCase(name, "wsi", {"name": name, "reader": "wsi", "path": str(folder),
                                               "options": {"tile_size": 256, "min_tissue": 0.3}}, "bad.tif"))
    return cases


EARLY_BUILDERS = (image_cases, hdf5_cases, npz_cases, nifti_cases, detection_cases, link_cases, dicom_cases,
                  wsi_cases)
