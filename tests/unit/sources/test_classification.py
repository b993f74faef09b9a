"""Image-level labels from the NIH ChestX-ray14 table (real), its boxes in the 1024 frame, ImageFolder trees."""

import gzip
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from medtrinity.records import SampleError
from medtrinity.sources.safety import is_reject_item, reject_item_path

NIH_OPTIONS = {"label_column": "Finding Labels", "separator": "|", "case_column": "Patient ID",
               "metadata_columns": {"View Position": "ViewPosition", "Patient Age": "PatientAge"},
               "pixel_spacing_columns": ["OriginalImagePixelSpacing[x", "y]"],
               "original_size_columns": ["OriginalImage[Width", "Height]"]}


def test_nih_table_gives_multi_labels_spacing_and_no_identifiers(shared_data, make):
    nih = shared_data / "nih_cxr14"
    reader = make("csv_labels", nih, labels=str(nih / "Data_Entry_2017_v2020.csv.gz"), modality="xray",
                  body_part="chest", options=NIH_OPTIONS)
    items = reader.list_items()
    assert [item.rsplit("/", 1)[-1] for item in items] == ["00000001_000.png", "00027426_000.png"]
    first, second = (next(iter(reader.read(item))) for item in items)
    assert first.image_labels == ["cardiomegaly"] and second.image_labels == []  # "No Finding" is no label
    assert first.plane == "projection"
    # 0.143 mm in the 2682 px wide original; the stored PNG is 512 px wide
    assert first.spacing_mm[0] == pytest.approx(0.143 * 2682 / 512)
    # age is not allow-listed; the view is also kept as the contract token
    assert first.metadata == {"ViewPosition": "PA", "view_position": "pa", "format": "png"}
    assert first.case_id.startswith("case-") and "00000001" not in first.case_id + first.id


def test_nih_boxes_are_rescaled_from_the_1024_frame(shared_data, make, tmp_path):
    nih = shared_data / "nih_cxr14"
    with gzip.open(nih / "BBox_List_2017.csv.gz", "rt") as handle:
        rows = [line.strip().split(",")[:6] for line in handle.readlines()[1:]]
    # a box on the right half of the 1024 frame: it would not fit the 512 px image unless rescaled
    name, label, x, y, w, h = next(row for row in rows if float(row[2]) + float(row[4]) > 600)
    # a real NIH image stored at 512 x 512, under the name of an image that has a box
    shutil.copy(nih / "00000001_000.png", tmp_path / name)
    table = tmp_path / "labels.csv"
    table.write_text(f"Image Index,Finding Labels\n{name},{label}\n")
    reader = make("csv_labels", tmp_path, labels=str(table), modality="xray", options={
        "boxes": str(nih / "BBox_List_2017.csv.gz"), "box_frame": [1024, 1024]})
    [sample] = list(reader.read(reader.list_items()[0]))
    [(box_label, box)] = sample.input_boxes
    assert box_label == label.lower()
    expected = (float(x) / 2, float(y) / 2, (float(x) + float(w)) / 2, (float(y) + float(h)) / 2)
    assert box == pytest.approx(expected)
    value = next(v for v, n in sample.label_names.items() if n == box_label)
    assert box_label in sample.finding_labels
    ys, xs = np.nonzero(sample.label_map == value)
    assert abs(xs.min() - expected[0]) <= 1 and abs(xs.max() + 1 - expected[2]) <= 1
    # without the frame, the same box would not fit the 512 px image: a reject that names the file
    unscaled = make("csv_labels", tmp_path, labels=str(table), options={"boxes": str(nih / "BBox_List_2017.csv.gz")})
    with pytest.raises(SampleError) as error:
        list(unscaled.read(unscaled.list_items()[0]))
    assert error.value.code == "box_outside_image" and name in error.value.message


def test_one_hot_label_columns(tmp_path, make):
    cv2.imwrite(str(tmp_path / "a.png"), np.full((16, 16), 50, np.uint8))
    (tmp_path / "t.csv").write_text("filename,effusion,nodule,mass\na.png,1,0,1\n")
    reader = make("csv_labels", tmp_path, labels=str(tmp_path / "t.csv"),
                  options={"label_columns": ["effusion", "nodule", "mass"]})
    [sample] = list(reader.read(reader.list_items()[0]))
    assert sample.image_labels == ["effusion", "mass"]


def test_same_named_images_in_two_folders_are_not_given_one_row(tmp_path, make):
    """A table keyed by file name cannot tell site_a/x.png from site_b/x.png: both are rejects naming the other
    (before, both silently took the row's labels); a unique name keeps its row; with ``key_parts: 2`` the
    table names the folders and each image gets its own row."""
    for folder, value in (("site_a", 40), ("site_b", 200)):
        (tmp_path / folder).mkdir()
        cv2.imwrite(str(tmp_path / folder / "x.png"), np.full((16, 16), value, np.uint8))
    cv2.imwrite(str(tmp_path / "site_b" / "y.png"), np.full((16, 16), 90, np.uint8))
    (tmp_path / "t.csv").write_text("filename,label\nx.png,effusion\ny.png,nodule\n")
    every_png = str(tmp_path / "**" / "*.png")
    reader = make("csv_labels", every_png, labels=str(tmp_path / "t.csv"), options={"label_column": "label"})
    items = reader.list_items()  # decided at planning: the twins are listed as reject items
    paths = [reject_item_path(item) for item in items]
    assert [Path(path).relative_to(tmp_path).as_posix() for path in paths] == [
        "site_a/x.png", "site_b/x.png", "site_b/y.png"]
    assert [is_reject_item(item) for item in items] == [True, True, False]
    for item, path, other in ((items[0], paths[0], paths[1]), (items[1], paths[1], paths[0])):
        with pytest.raises(SampleError) as caught:
            list(reader.read(item))
        assert caught.value.code == "ambiguous_row" and path in caught.value.message
        assert other in caught.value.message and "key_parts" in caught.value.message
    [sample] = list(reader.read(items[2]))
    assert sample.image_labels == ["nodule"]
    (tmp_path / "t2.csv").write_text("filename,label\nsite_a/x.png,effusion\nsite_b/x.png,nodule\n")
    by_folder = make("csv_labels", every_png, labels=str(tmp_path / "t2.csv"),
                     options={"label_column": "label", "key_parts": 2})
    assert not any(is_reject_item(item) for item in by_folder.list_items())
    labels = {Path(item).parent.name: next(iter(by_folder.read(item))).image_labels
              for item in by_folder.list_items()}
    assert labels == {"site_a": ["effusion"], "site_b": ["nodule"]}


def test_image_folder_classes_are_folder_names(tmp_path, make):
    for label in ("Benign_Keratosis", "melanoma"):
        (tmp_path / label).mkdir()
        cv2.imwrite(str(tmp_path / label / "x.jpg"), np.full((16, 16, 3), (10, 80, 160), np.uint8))
    reader = make("image_folder", tmp_path, modality="dermoscopy")
    samples = [s for item in reader.list_items() for s in reader.read(item)]
    assert [s.image_labels for s in samples] == [["benign keratosis"], ["melanoma"]]
    assert samples[0].pixels.shape == (16, 16, 3) and samples[0].id != samples[1].id


def test_image_folder_with_split_folders_keeps_the_split_and_reads_normal_as_no_finding(tmp_path, make):
    # the common public layout: chest_xray/{train,test,val}/{NORMAL,PNEUMONIA}/*.jpeg
    root = tmp_path / "chest_xray"
    for split in ("train", "val"):
        for label in ("NORMAL", "PNEUMONIA"):
            (root / split / label).mkdir(parents=True)
            cv2.imwrite(str(root / split / label / f"IM-{split}-{label}.jpeg"), np.full((16, 16), 90, np.uint8))
    reader = make("image_folder", root, modality="xray")
    samples = {Path(s.source_file).name: s for item in reader.list_items() for s in reader.read(item)}
    assert len(samples) == 4
    assert samples["IM-train-PNEUMONIA.jpeg"].image_labels == ["pneumonia"]
    assert samples["IM-train-PNEUMONIA.jpeg"].metadata["split"] == "train"
    assert samples["IM-val-NORMAL.jpeg"].image_labels == []  # NORMAL is no finding
    assert samples["IM-val-NORMAL.jpeg"].metadata["split"] == "val"
    assert samples["IM-val-NORMAL.jpeg"].plane == "projection"
    kept = make("image_folder", root, modality="xray", options={"keep_no_finding": True})
    assert {tuple(s.image_labels) for item in kept.list_items() for s in kept.read(item)} == {
        ("normal",), ("pneumonia",)}


def test_archive_debris_is_neither_read_nor_taken_for_a_class(tmp_path, make):
    # a zip made on macOS: __MACOSX copies of every folder with ._ resource forks, and .DS_Store files
    root = tmp_path / "chest_xray"
    for split in ("train", "test"):
        for label in ("NORMAL", "PNEUMONIA"):
            (root / split / label).mkdir(parents=True)
            cv2.imwrite(str(root / split / label / "a.jpeg"), np.full((16, 16), 90, np.uint8))
            fork = root / "__MACOSX" / split / label
            fork.mkdir(parents=True)
            (fork / "._a.jpeg").write_bytes(b"\x00\x05\x16\x07 not an image")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    reader = make("image_folder", root, modality="xray")
    items = reader.list_items()
    assert len(items) == 4 and not any("__MACOSX" in item for item in items)
    from medtrinity.inspect import build_config

    config, findings = build_config([root])
    [source] = config["sources"]
    assert source["reader"] == "image_folder"
    assert any("split folders ['test', 'train']" in seen and "__MACOSX" not in seen for seen in findings[0].seen)
