"""NRRD volumes through SimpleITK: the pyradiomics brain MRI and its lesion."""

import numpy as np
import pytest
import SimpleITK as sitk

from medtrinity.config import parse_config
from medtrinity.sources import make_reader


def test_brain_lesion_volume_matches_the_label_volume(shared_data):
    folder = shared_data / "pyradiomics"
    config = parse_config({"sources": [{"name": "b", "reader": "sitk", "path": str(folder / "brain1_image.nrrd"),
                                        "labels": str(folder / "brain1_label.nrrd"),
                                        "label_names": {1: "enhancing lesion"}, "modality": "mri",
                                        "body_part": "brain"}],
                           "slicing": {"without_roi_fraction": 0.0}})
    samples = list(make_reader(config.sources[0], config).read(str(folder / "brain1_image.nrrd")))
    label = sitk.ReadImage(str(folder / "brain1_label.nrrd"))
    voxels = int(sitk.GetArrayFromImage(label).astype(bool).sum())
    expected_ml = voxels * float(np.prod(label.GetSpacing())) / 1000.0
    stats = samples[0].volume_stats["enhancing lesion"]
    assert stats["volume_ml"] == pytest.approx(expected_ml, rel=1e-3)
    assert stats["slices"] == len(samples)  # every sample is a slice the lesion crosses
    assert sum(int((s.label_map == 1).sum()) for s in samples) == voxels
    assert all(s.spacing_mm == pytest.approx((0.78125, 0.78125)) for s in samples)
    # 16-bit voxels reach the stages as stored, each slice the stored values (no float32 copy of the volume)
    stored = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "brain1_image.nrrd")))
    assert all(s.pixels.dtype == np.int16 for s in samples)
    assert sorted(float(s.pixels.sum()) for s in samples) == sorted(
        float(stored[s.slice_index].astype(np.int64).sum()) for s in samples)


def test_pyradiomics_pairs_by_name_tag(shared_data):
    from medtrinity.sources import make_reader as _make

    config = parse_config({"sources": [{"name": "r", "reader": "sitk", "path": str(shared_data / "pyradiomics"),
                                        "modality": "mri", "label_names": {1: "enhancing lesion"},
                                        "options": {"image_tag": "_image", "label_tag": "_label"}}],
                           "slicing": {"without_roi_fraction": 0.0}})
    reader = _make(config.sources[0], config)
    items = reader.list_items()
    assert [item.rsplit("/", 1)[-1] for item in items] == ["brain1_image.nrrd", "breast1_image.nrrd"]
    samples = list(reader.read(items[0]))
    assert samples and all(s.label_map.any() for s in samples)
    assert sum(int((s.label_map == 1).sum()) for s in samples) == 4137


def test_a_label_value_the_label_map_does_not_name_is_a_reject(tmp_path):
    """An NRRD label volume with a value the config's label names leave out is refused, naming file and values."""
    from medtrinity.records import SampleError

    image = sitk.GetImageFromArray(np.zeros((4, 16, 16), dtype=np.int16))
    labels_array = np.zeros((4, 16, 16), dtype=np.uint8)
    labels_array[1:3, 4:8, 4:8] = 1
    labels_array[1:3, 10:12, 10:12] = 7
    sitk.WriteImage(image, str(tmp_path / "case_image.nrrd"))
    sitk.WriteImage(sitk.GetImageFromArray(labels_array), str(tmp_path / "case_label.nrrd"))
    config = parse_config({"sources": [{"name": "s", "reader": "sitk", "path": str(tmp_path), "modality": "mri",
                                        "label_names": {1: "enhancing lesion"},
                                        "options": {"image_tag": "_image", "label_tag": "_label"}}]})
    reader = make_reader(config.sources[0], config)
    with pytest.raises(SampleError) as caught:
        list(reader.read(reader.list_items()[0]))
    assert caught.value.code == "unknown_label" and "[7]" in caught.value.message
    assert "case_label.nrrd" in caught.value.message
