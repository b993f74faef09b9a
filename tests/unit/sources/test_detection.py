"""Detection sets: COCO, YOLO and Pascal VOC boxes become box masks; bad boxes are rejects."""

import json

import cv2
import numpy as np
import pytest

from medtrinity.records import SampleError


def _image(path, shape=(60, 80)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8))


def test_coco_boxes_polygons_and_rle(tmp_path, make):
    from medtrinity.io.rle import encode_mask

    _image(tmp_path / "images" / "a.png")
    disc = np.zeros((60, 80), np.uint8)
    cv2.circle(disc, (65, 10), 6, 1, -1)
    coco = {"images": [{"id": 7, "file_name": "a.png", "width": 80, "height": 60}],
            "categories": [{"id": 1, "name": "polyp"}, {"id": 2, "name": "Kidney_Left"}, {"id": 3, "name": "cyst"}],
            "annotations": [
                {"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 10, 20, 10]},
                {"id": 2, "image_id": 7, "category_id": 2, "bbox": [40, 20, 20, 20],
                 "segmentation": [[40, 20, 60, 20, 60, 40, 40, 40]]},
                {"id": 3, "image_id": 7, "category_id": 3, "bbox": [59, 4, 13, 13], "segmentation": encode_mask(disc)}]}
    (tmp_path / "ann.json").write_text(json.dumps(coco))
    reader = make("coco", tmp_path / "ann.json", modality="endoscopy")
    assert reader.list_items() == ["7"]
    [sample] = list(reader.read("7"))
    assert sorted(sample.label_names.values()) == ["cyst", "left kidney", "polyp"]
    cyst = next(v for v, n in sample.label_names.items() if n == "cyst")
    assert int((sample.label_map == cyst).sum()) == int(disc.sum())
    polyp = next(v for v, n in sample.label_names.items() if n == "polyp")
    kidney = next(v for v, n in sample.label_names.items() if n == "left kidney")
    assert int((sample.label_map == polyp).sum()) == 200
    assert abs(int((sample.label_map == kidney).sum()) - 400) <= 41
    assert sample.input_boxes[0] == ("polyp", (10.0, 10.0, 30.0, 20.0))


def test_yolo_normalised_boxes_and_class_names(tmp_path, make):
    _image(tmp_path / "images" / "b.png", (100, 200))
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "b.txt").write_text("1 0.5 0.5 0.1 0.2\n")
    (tmp_path / "classes.txt").write_text("nodule\nmass\n")
    reader = make("yolo", tmp_path / "images")
    [sample] = list(reader.read(reader.list_items()[0]))
    assert sample.input_boxes == [("mass", pytest.approx((90.0, 40.0, 110.0, 60.0)))]
    assert int((sample.label_map > 0).sum()) == 20 * 20
    (tmp_path / "labels" / "b.txt").write_text("0 1.4 0.5 0.1 0.2\n")
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "box_outside_image" and "b.txt" in error.value.message


def test_voc_boxes_are_one_based_inclusive(tmp_path, make):
    _image(tmp_path / "JPEGImages" / "c.png")
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "c.xml").write_text(
        "<annotation><filename>c.png</filename><size><width>80</width><height>60</height><depth>1</depth></size>"
        "<object><name>lesion</name><bndbox><xmin>11</xmin><ymin>21</ymin><xmax>30</xmax><ymax>40</ymax></bndbox>"
        "</object></annotation>")
    reader = make("voc", tmp_path / "Annotations")
    [sample] = list(reader.read(reader.list_items()[0]))
    assert sample.input_boxes == [("lesion", (10.0, 20.0, 30.0, 40.0))]
    assert sample.label_map[20:40, 10:30].all() and int((sample.label_map > 0).sum()) == 400
    assert "lesion" in sample.finding_labels


def test_voc_size_mismatch_is_a_reject(tmp_path, make):
    _image(tmp_path / "JPEGImages" / "d.png")
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "d.xml").write_text(
        "<annotation><filename>d.png</filename><size><width>800</width><height>600</height></size></annotation>")
    reader = make("voc", tmp_path / "Annotations")
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "mask_shape_mismatch" and "d.xml" in error.value.message


def test_yolo_same_named_images_in_two_splits_keep_their_own_boxes(tmp_path, make):
    """Ultralytics layout: images/<split>/x.png <-> labels/<split>/x.txt; a stem-only lookup would give both
    images one file's boxes (issue 15: names from the full relative path)."""
    root = tmp_path / "ds"
    for split, line in (("train", "0 0.25 0.25 0.2 0.2"), ("val", "0 0.75 0.75 0.2 0.2")):
        _image(root / "images" / split / "x.png")
        (root / "labels" / split).mkdir(parents=True)
        (root / "labels" / split / "x.txt").write_text(line + "\n")
    (root / "classes.txt").write_text("polyp\n")
    reader = make("yolo", root / "images" / "*" / "*.png")
    samples = {s.source_file.split("/")[-2]: s for item in reader.list_items() for s in reader.read(item)}
    assert samples["train"].input_boxes[0][1][0] < 40 < samples["val"].input_boxes[0][1][0]
    assert samples["train"].id != samples["val"].id
    explicit = make("yolo", root / "images" / "*" / "*.png", labels=str(root / "labels"))
    val = next(item for item in explicit.list_items() if "/val/" in item)
    assert next(iter(explicit.read(val))).input_boxes[0][1][0] > 40


def test_yolo_label_file_that_is_binary_or_linked_from_outside_is_a_reject(tmp_path, make):
    import os

    _image(tmp_path / "images" / "a.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_bytes(b"\xff\xfe\x00binary")
    reader = make("yolo", tmp_path / "images", label_names={0: "polyp"})
    with pytest.raises(SampleError) as caught:
        list(reader.read(reader.list_items()[0]))
    assert caught.value.code == "bad_box" and "a.txt" in caught.value.message
    (tmp_path / "labels" / "a.txt").unlink()
    (tmp_path / "elsewhere.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    os.symlink(tmp_path / "elsewhere.txt", tmp_path / "labels" / "a.txt")
    with pytest.raises(SampleError) as caught:
        list(reader.read(reader.list_items()[0]))
    assert caught.value.code == "path_escape"
