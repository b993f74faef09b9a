import cv2
import numpy as np
import pytest

from medtrinity.config import parse_config
from medtrinity.records import SampleError
from medtrinity.sources import make_reader


def _write_pair(folder, name, image, mask):
    (folder / "images").mkdir(exist_ok=True)
    (folder / "masks").mkdir(exist_ok=True)
    cv2.imwrite(str(folder / "images" / f"{name}.png"), image)
    if mask is not None:
        cv2.imwrite(str(folder / "masks" / f"{name}.png"), mask)


def _reader(folder, **options):
    config = parse_config({"sources": [{"name": "img", "reader": "image_masks", "path": str(folder / "images"),
                                        "labels": str(folder / "masks"), "modality": "xray", "body_part": "chest",
                                        "label_names": {1: "nodule"}, "options": options}]})
    return make_reader(config.sources[0], config)


def test_binary_mask_values_become_label_one(tmp_path):
    image = np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1))
    mask = np.zeros((64, 64), dtype=np.uint8)
    mask[10:20, 30:40] = 255
    _write_pair(tmp_path, "a", image, mask)
    reader = _reader(tmp_path, spacing_mm=[0.5, 0.5])
    items = reader.list_items()
    [sample] = list(reader.read(items[0]))
    assert sample.pixels.shape == (64, 64)
    assert sample.label_names == {1: "nodule"}
    assert int((sample.label_map == 1).sum()) == 100
    assert sample.finding_labels == frozenset({"nodule"})
    assert sample.spacing_mm == (0.5, 0.5)
    assert sample.patient_orientation == ("", "")


def test_colour_images_stay_rgb(tmp_path):
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    image[:, :, 2] = 200  # red in OpenCV's BGR order
    _write_pair(tmp_path, "c", image, np.zeros((32, 32), dtype=np.uint8))
    [sample] = list(_reader(tmp_path).read(_reader(tmp_path).list_items()[0]))
    assert sample.pixels.shape == (32, 32, 3)
    assert sample.pixels[0, 0].tolist() == [200, 0, 0]


def test_mask_of_another_shape_is_a_sample_error(tmp_path):
    _write_pair(tmp_path, "b", np.zeros((64, 64), dtype=np.uint8), np.zeros((32, 64), dtype=np.uint8))
    reader = _reader(tmp_path)
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "mask_shape_mismatch"
    assert "b.png" in error.value.message


def test_missing_mask_and_unreadable_image_are_sample_errors(tmp_path):
    _write_pair(tmp_path, "nomask", np.zeros((8, 8), dtype=np.uint8), None)
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png at all")
    reader = _reader(tmp_path)
    codes = {}
    for item in reader.list_items():
        with pytest.raises(SampleError) as error:
            list(reader.read(item))
        codes[item.rsplit("/", 1)[1]] = error.value.code
    assert codes == {"broken.png": "unreadable_file", "nomask.png": "missing_mask"}
