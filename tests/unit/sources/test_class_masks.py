"""SAM-Med2D: per-class mask files named <image>_<class>_<instance>.png, on the real files."""

import cv2
import numpy as np
import pytest

from medtrinity.records import SampleError
from medtrinity.sources.class_masks import match_masks


def test_sam_med2d_masks_become_readable_named_labels(shared_data, make):
    folder = shared_data / "sam_med2d"
    reader = make("image_class_masks", folder / "images", labels=str(folder / "masks"), modality="ct")
    items = reader.list_items()
    assert len(items) == 5
    samples = {s.source_file.rsplit("/", 1)[-1]: s for item in items for s in reader.read(item)}
    chest = samples["s0114_111.png"]
    names = set(chest.label_names.values())
    assert {"left lower lobe", "right middle lobe", "left 9th rib", "T9 vertebra", "aorta"} <= names
    assert not any("_" in name for name in names)
    assert chest.label_map.shape == chest.pixels.shape[:2]
    # two instances of one class share one value: the hips of s0619_32
    pelvis = samples["s0619_32.png"]
    hip = next(v for v, n in pelvis.label_names.items() if n == "left hip bone")
    raw = [cv2.imread(str(folder / "masks" / f"s0619_32_hip_left_00{i}.png"), 0) > 0 for i in (0, 1)]
    assert int((pelvis.label_map == hip).sum()) == int((raw[0] | raw[1]).sum())
    # PNG slices do not say how they were cut (here the patient's left lung is on the image's left):
    # the orientation stays unknown, so no text may call an image side the patient's left or right
    assert chest.patient_orientation == ("", "")


def test_longest_image_stem_wins():
    found = match_masks(["a_1_liver_000.png", "a_10_liver_000.png", "a_1_left_kidney_001.png"], {"a_1", "a_10"},
                        "{stem}_{label}_{instance}.png")
    assert found == {"a_1": [("left_kidney", "a_1_left_kidney_001.png"), ("liver", "a_1_liver_000.png")],
                     "a_10": [("liver", "a_10_liver_000.png")]}


def test_mask_of_another_size_is_a_reject(tmp_path, make):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "x.png"), np.full((32, 32), 90, np.uint8))
    cv2.imwrite(str(tmp_path / "masks" / "x_liver_000.png"), np.full((16, 32), 255, np.uint8))
    reader = make("image_class_masks", tmp_path / "images", labels=str(tmp_path / "masks"))
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "mask_shape_mismatch" and "x.png" in error.value.message


def _two_class_folder(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "x.png"), np.full((32, 32), 90, np.uint8))
    liver = np.zeros((32, 32), np.uint8)
    liver[4:12, 4:12] = 255
    cv2.imwrite(str(tmp_path / "masks" / "x_liver_000.png"), liver)
    cv2.imwrite(str(tmp_path / "masks" / "x_spleen_000.png"), np.roll(liver, 16, axis=1))
    return tmp_path


def test_a_class_the_label_map_does_not_name_is_a_reject_naming_the_file(tmp_path, make):
    folder = _two_class_folder(tmp_path)
    reader = make("image_class_masks", folder / "images", labels=str(folder / "masks"),
                  label_names={1: "liver"})
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "unknown_label" and "x_spleen_000.png" in error.value.message
    assert "'spleen'" in error.value.message
    named = make("image_class_masks", folder / "images", labels=str(folder / "masks"),
                 label_names={1: "liver", 2: "spleen"})
    [sample] = list(named.read(named.list_items()[0]))
    assert sorted(sample.label_names.values()) == ["liver", "spleen"]
    [unnamed] = list(make("image_class_masks", folder / "images", labels=str(folder / "masks")).read(
        named.list_items()[0]))  # without a label map the file names are the vocabulary
    assert sorted(unnamed.label_names.values()) == ["liver", "spleen"]


def test_a_class_mask_holding_several_values_is_a_reject_not_one_merged_class(tmp_path, make):
    folder = _two_class_folder(tmp_path)
    several = np.zeros((32, 32), np.uint8)
    several[4:12, 4:12], several[20:28, 20:28] = 1, 99  # a label map saved under a class name
    cv2.imwrite(str(folder / "masks" / "x_spleen_000.png"), several)
    reader = make("image_class_masks", folder / "images", labels=str(folder / "masks"))
    with pytest.raises(SampleError) as error:
        list(reader.read(reader.list_items()[0]))
    assert error.value.code == "unknown_label" and "x_spleen_000.png" in error.value.message
    assert "[1, 99]" in error.value.message
