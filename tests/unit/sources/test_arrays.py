"""HDF5 (the real MSD lung patches) and MedMNIST-style .npz containers."""

import h5py
import numpy as np
import pytest

from medtrinity.records import SampleError
from medtrinity.sources.safety import is_reject_item, raise_reject_item

from .conftest import read_all


def test_msd_lung_patches_from_hdf5(shared_data, make):
    path = shared_data / "msd_lung_patches" / "test_patches.h5"
    reader = make("hdf5", path, label_names={1: "lung tumour"}, modality="ct", options={"spacing_mm": [2.0, 2.0]})
    items = reader.list_items()
    assert len(items) == 130
    samples = [s for item in items[:20] for s in reader.read(item)]
    assert all(s.pixels.shape == (48, 48) for s in samples)
    with_tumour = [s for s in samples if s.label_map is not None]
    assert with_tumour and with_tumour[0].label_names[1] == "lung tumour"
    assert "lung tumour" in with_tumour[0].finding_labels
    assert with_tumour[0].spacing_mm == (2.0, 2.0)
    with h5py.File(path) as handle:
        expected = int((handle["labels"][0, 0] > 0.5).sum())
    first = samples[0]
    assert (0 if first.label_map is None else int((first.label_map > 0).sum())) == expected


def test_hdf5_mask_count_mismatch_and_nan(tmp_path, make):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as handle:
        handle["images"] = np.zeros((3, 8, 8), np.float32)
        handle["masks"] = np.zeros((2, 8, 8), np.uint8)
    items = make("hdf5", path).list_items()  # planning keeps going: the file becomes one reject item
    assert len(items) == 1 and is_reject_item(items[0])
    with pytest.raises(SampleError, match="2 label entries for 3 images"):
        raise_reject_item(items[0])
    with h5py.File(path, "w") as handle:
        images = np.random.default_rng(0).random((2, 8, 8)).astype(np.float32)
        images[1, 3, 3] = np.nan
        handle["images"] = images
    reader = make("hdf5", path)
    with pytest.raises(SampleError) as error:  # NaN pixels are refused when read
        next(iter(reader.read(reader.list_items()[1])))
    assert error.value.code == "non_finite_pixels" and "bad.h5 entry 1" in error.value.message


def test_medmnist_npz_class_and_multi_labels(tmp_path, make):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "pneumoniamnist.npz", train_images=rng.integers(0, 255, (3, 28, 28), dtype=np.uint8),
             train_labels=np.array([[0], [1], [1]]), test_images=rng.integers(0, 255, (1, 28, 28), dtype=np.uint8),
             test_labels=np.array([[0]]))
    reader = make("npz", tmp_path / "pneumoniamnist.npz", label_names={0: "normal", 1: "pneumonia"}, modality="xray")
    samples = read_all(reader)
    assert len(samples) == 4
    assert [s.image_labels for s in samples] == [["normal"], ["normal"], ["pneumonia"], ["pneumonia"]]
    np.savez(tmp_path / "chestmnist.npz", train_images=rng.integers(0, 255, (1, 28, 28, 3), dtype=np.uint8),
             train_labels=np.array([[1, 0, 1]]))
    [sample] = read_all(make("npz", tmp_path / "chestmnist.npz", label_names={0: "atelectasis", 2: "effusion"}))
    assert sample.image_labels == ["atelectasis", "effusion"] and sample.pixels.shape == (28, 28, 3)
