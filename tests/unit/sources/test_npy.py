"""The ``npy`` reader (PanNuke layout) against hostile arrays: headers checked before reading, label values
named by the label map, ids from the full relative path (issue 15)."""

import io

import numpy as np
import pytest

from medtrinity.records import SampleError
from medtrinity.sources.safety import is_reject_item, raise_reject_item

from .conftest import read_all

RNG = np.random.default_rng(7)


def _pannuke(folder, masks=None, count=2):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "images.npy", RNG.uniform(0, 255, (count, 32, 32, 3)))
    if masks is None:
        masks = np.zeros((count, 32, 32, 3))
        masks[:, 4:10, 4:10, 0] = 3  # a neoplastic nucleus, instance 3
        masks[:, 20:26, 20:26, 1] = 7  # an inflammatory nucleus
        masks[..., 2] = (masks[..., :2].sum(axis=-1) == 0)  # background channel
    np.save(folder / "masks.npy", masks)
    return folder


NAMES = {1: "neoplastic cell nuclei", 2: "inflammatory cell nuclei"}


def _reject_of(items):
    [reject] = [item for item in items if is_reject_item(item)]
    with pytest.raises(SampleError) as caught:
        raise_reject_item(reject)
    return caught.value


def test_pannuke_channels_become_named_labels(tmp_path, make):
    folder = _pannuke(tmp_path / "fold1")
    samples = read_all(make("npy", folder / "images.npy", labels=str(folder / "masks.npy"), label_names=NAMES))
    assert len(samples) == 2
    areas = {samples[0].label_names[v]: int((samples[0].label_map == v).sum()) for v in (1, 2)}
    assert areas == {"neoplastic cell nuclei": 36, "inflammatory cell nuclei": 36}


def test_a_mask_value_the_label_map_does_not_name_is_a_reject_naming_file_and_values(tmp_path, make):
    masks = np.zeros((2, 32, 32), np.int16)
    masks[0, 4:10, 4:10] = 1
    masks[1, 4:10, 4:10] = 99  # the label map names 1 and 2 only
    folder = _pannuke(tmp_path / "fold1", masks)
    reader = make("npy", folder / "images.npy", labels=str(folder / "masks.npy"), label_names=NAMES)
    first, second = reader.list_items()
    assert [s.label_names[1] for s in reader.read(first)] == ["neoplastic cell nuclei"]
    with pytest.raises(SampleError) as caught:
        list(reader.read(second))
    assert caught.value.code == "unknown_label" and "[99]" in caught.value.message
    assert "masks.npy entry 1" in caught.value.message
    masks[1, 4:10, 4:10] = -3  # a negative value keeps its sign and is refused
    np.save(folder / "masks.npy", masks)
    with pytest.raises(SampleError) as caught:
        list(make("npy", folder / "images.npy", labels=str(folder / "masks.npy")).read(second))
    assert caught.value.code == "bad_label" and "[-3]" in caught.value.message


def test_truncated_npy_is_a_planning_reject_and_the_good_file_survives(tmp_path, make):
    _pannuke(tmp_path / "a")
    good = (tmp_path / "a" / "images.npy").read_bytes()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "images.npy").write_bytes(good[: len(good) // 2])
    reader = make("npy", tmp_path / "*" / "images.npy")
    items = reader.list_items()
    assert len(items) == 3  # two entries of a, one reject for b
    error = _reject_of(items)
    assert error.code == "truncated_data" and "b/images.npy" in error.message
    assert len([s for item in items if not is_reject_item(item) for s in reader.read(item)]) == 2


def test_an_entry_declared_huge_is_too_large_from_the_header(tmp_path, make):
    """A sparse .npy declaring 2 x 60000 x 60000 (7.2 GB, no disk used): refused before any entry is read."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (2, 60000, 60000)})
    path = tmp_path / "images.npy"
    with open(path, "wb") as handle:
        handle.write(header.getvalue())
        handle.truncate(len(header.getvalue()) + 2 * 60000 * 60000)
    error = _reject_of(make("npy", path).list_items())
    assert error.code == "too_large" and "60000 x 60000" in error.message and "images.npy" in error.message


@pytest.mark.parametrize(("images", "code"), [
    (np.ones((2, 8, 8), np.complex64), "complex_data"),
    (np.array([["a", "b"], ["c", "d"]]).reshape(2, 2, 1), "unsupported_dtype"),
    (np.full((2, 8, 8), np.nan, np.float32), "non_finite_pixels"),
])
def test_complex_string_and_nan_arrays_are_rejects(tmp_path, make, images, code):
    np.save(tmp_path / "images.npy", images)
    reader = make("npy", tmp_path / "images.npy")
    items = reader.list_items()
    if is_reject_item(items[0]):
        error = _reject_of(items)
    else:
        with pytest.raises(SampleError) as caught:
            list(reader.read(items[0]))
        error = caught.value
    assert error.code == code and "images.npy" in error.message


def test_object_arrays_are_never_unpickled(tmp_path, make):
    np.save(tmp_path / "images.npy", np.array([object(), object()], dtype=object), allow_pickle=True)
    error = _reject_of(make("npy", tmp_path / "images.npy").list_items())
    assert error.code == "unsupported_dtype"


def test_masks_and_tissue_names_must_have_one_entry_per_image(tmp_path, make):
    folder = _pannuke(tmp_path / "fold1", np.zeros((1, 32, 32), np.uint8))  # two images, one mask
    error = _reject_of(make("npy", folder / "images.npy", labels=str(folder / "masks.npy")).list_items())
    assert error.code == "mask_shape_mismatch" and "masks.npy" in error.message
    np.save(folder / "types.npy", np.array(["Breast"]))
    error = _reject_of(make("npy", folder / "images.npy", options={"tissue_types": str(folder / "types.npy")})
                       .list_items())
    assert error.code == "label_count_mismatch" and "types.npy" in error.message


def test_same_named_arrays_in_two_folders_get_different_ids_and_cases(tmp_path, make):
    _pannuke(tmp_path / "fold1" / "x")
    _pannuke(tmp_path / "fold2" / "x")
    samples = read_all(make("npy", tmp_path / "*" / "x" / "images.npy"))
    assert len(samples) == 4
    assert len({s.id for s in samples}) == 4 and len({s.case_id for s in samples}) == 4
