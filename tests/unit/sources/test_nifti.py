"""NIfTI volumes come out in one canonical orientation, with labels, whatever the file's axes."""

import gzip

import nibabel as nib
import numpy as np
import pytest

from medtrinity.config import parse_config
from medtrinity.records import SampleError
from medtrinity.sources import make_reader


def _reader(path, labels=None, **source):
    config = parse_config({"sources": [{"name": "s", "reader": "nifti", "path": str(path),
                                        "labels": None if labels is None else str(labels),
                                        "modality": "ct", **source}],
                           "slicing": {"without_roi_fraction": 1.0}})
    return make_reader(config.sources[0], config)


def test_phantom_nifti_gives_the_phantom_slices(phantom_nifti, phantom):
    hu, labels, spacing, _truth = phantom
    image_path, label_path = phantom_nifti
    samples = list(_reader(image_path, label_path).read(str(image_path)))
    assert len(samples) == hu.shape[0]
    for sample in samples:
        assert np.array_equal(sample.pixels, hu[sample.slice_index])
        assert np.array_equal(sample.label_map, labels[sample.slice_index])
        assert sample.spacing_mm == pytest.approx(spacing[:2])
        assert sample.patient_orientation == ("L", "P")
        assert sample.plane == "axial"


def test_reoriented_file_gives_identical_slices(tmp_path, phantom_nifti):
    image_path, label_path = phantom_nifti
    image = nib.load(image_path)
    # flip the first voxel axis and swap the first two: same anatomy, other storage order
    data = np.asarray(image.dataobj)[::-1].transpose(1, 0, 2)
    affine = image.affine.copy()
    flip = np.eye(4)
    flip[0, 0], flip[0, 3] = -1, data.shape[1] - 1
    swapped = (affine @ flip)[:, [1, 0, 2, 3]]
    label_data = np.asarray(nib.load(label_path).dataobj)[::-1].transpose(1, 0, 2)
    other_image, other_labels = tmp_path / "other.nii.gz", tmp_path / "other_seg.nii.gz"
    nib.save(nib.Nifti1Image(data, swapped), other_image)
    nib.save(nib.Nifti1Image(label_data, swapped), other_labels)
    assert nib.aff2axcodes(swapped) != nib.aff2axcodes(image.affine)
    first = list(_reader(image_path, label_path).read(str(image_path)))
    second = list(_reader(other_image, other_labels).read(str(other_image)))
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.pixels, b.pixels)
        assert np.array_equal(a.label_map, b.label_map)


def test_totalsegmentator_ct_liver_right_spleen_left(shared_data):
    folder = shared_data / "totalsegmentator"
    reader = _reader(folder / "example_ct_sm.nii.gz", folder / "example_seg.nii.gz",
                     label_map=str(folder / "label_map_total.json"))
    columns: dict[str, list[float]] = {"liver": [], "spleen": [], "gallbladder": []}
    for sample in reader.read(str(folder / "example_ct_sm.nii.gz")):
        assert sample.patient_orientation == ("L", "P")
        for name in columns:
            value = next(v for v, n in sample.label_names.items() if n == name)
            xs = np.nonzero(sample.label_map == value)[1]
            columns[name].extend(xs.tolist())
    width = sample.pixels.shape[1]
    # columns grow towards the patient's left: right-sided organs sit in the image's left half
    assert np.mean(columns["liver"]) < width / 2
    assert np.mean(columns["gallbladder"]) < width / 2
    assert np.mean(columns["spleen"]) > width / 2
    assert "left kidney" in sample.label_names.values()


def test_label_shape_mismatch_is_a_sample_error(tmp_path, phantom_nifti):
    image_path, _ = phantom_nifti
    wrong = tmp_path / "wrong.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((10, 10, 10), dtype=np.int16), np.eye(4)), wrong)
    with pytest.raises(SampleError) as error:
        list(_reader(image_path, wrong).read(str(image_path)))
    assert error.value.code == "mask_shape_mismatch"
    assert "wrong.nii.gz" in error.value.message


def test_empty_label_volume_is_a_sample_error(tmp_path, phantom_nifti):
    image_path, label_path = phantom_nifti
    empty = tmp_path / "empty.nii.gz"
    reference = nib.load(label_path)
    nib.save(nib.Nifti1Image(np.zeros(reference.shape, dtype=np.int16), reference.affine), empty)
    with pytest.raises(SampleError) as error:
        list(_reader(image_path, empty).read(str(image_path)))
    assert error.value.code == "empty_labels"


def test_truncated_file_is_a_sample_error_naming_it(tmp_path, phantom_nifti):
    image_path, _ = phantom_nifti
    truncated = tmp_path / "truncated.nii.gz"
    truncated.write_bytes(gzip.compress(gzip.decompress(image_path.read_bytes())[:5000]))
    with pytest.raises(SampleError) as error:
        list(_reader(truncated).read(str(truncated)))
    assert error.value.code == "unreadable_file"
    assert "truncated.nii.gz" in error.value.message


def test_slice_policy_keeps_roi_slices_and_a_share_of_the_rest(phantom_nifti, phantom):
    _, labels, _, _ = phantom
    image_path, label_path = phantom_nifti
    with_roi = {index for index in range(labels.shape[0]) if labels[index].any()}
    none = parse_config({"sources": [{"name": "s", "reader": "nifti", "path": str(image_path),
                                      "labels": str(label_path), "modality": "ct"}],
                         "slicing": {"without_roi_fraction": 0.0}})
    kept = {s.slice_index for s in make_reader(none.sources[0], none).read(str(image_path))}
    assert kept == with_roi
    capped = none.model_copy(update={"slicing": none.slicing.model_copy(update={"max_slices_per_volume": 5})})
    assert len(list(make_reader(capped.sources[0], capped).read(str(image_path)))) == 5


def test_select_slices_samples_the_share_without_roi_deterministically():
    from medtrinity.sources.volume import select_slices

    has_roi = np.zeros(2000, dtype=bool)
    has_roi[100:150] = True
    chosen = select_slices(has_roi, 0.1, None, "case-a")
    assert set(range(100, 150)) <= set(chosen)
    without = [index for index in chosen if not has_roi[index]]
    assert 0.07 * 1950 < len(without) < 0.13 * 1950
    assert chosen == select_slices(has_roi, 0.1, None, "case-a")
    assert chosen != select_slices(has_roi, 0.1, None, "case-b")


@pytest.mark.parametrize(("plane", "index_axis", "orientation", "spacing"), [
    ("coronal", 1, ("L", "I"), (1.25, 2.5)),
    ("sagittal", 2, ("P", "I"), (1.25, 2.5)),
])
def test_coronal_and_sagittal_slices_put_superior_up(phantom_nifti, phantom, plane, index_axis, orientation, spacing):
    hu, _labels, _spacing, truth = phantom
    image_path, label_path = phantom_nifti
    from medtrinity.phantom import LABELS

    config = parse_config({"sources": [{"name": "s", "reader": "nifti", "path": str(image_path),
                                        "labels": str(label_path), "modality": "ct", "label_names": LABELS}],
                           "slicing": {"plane": plane, "without_roi_fraction": 0.0}})
    lesion = truth[0]
    z, y, x = lesion.center_zyx_px
    wanted = (z, y, x)[index_axis]
    sample = next(s for s in make_reader(config.sources[0], config).read(str(image_path)) if s.slice_index == wanted)
    assert sample.plane == plane and sample.patient_orientation == orientation
    assert sample.spacing_mm == pytest.approx(spacing)
    assert sample.pixels.shape[0] == hu.shape[0]  # rows run along the patient's long axis
    column = x if plane == "coronal" else y
    row = hu.shape[0] - 1 - z  # superior at the top: the most superior slice is row 0
    lesion_value = next(v for v, n in sample.label_names.items() if n == lesion.label)
    assert sample.label_map[row, column] == lesion_value
    assert sample.label_map[row, column - 1] == lesion_value or sample.label_map[row, column + 1] == lesion_value


def test_gzip_voxels_through_isal_equal_nibabels_own_read(tmp_path):
    """The voxels of a .nii.gz stream through ISA-L's gzip: multi-member files (as some writers make),
    NIfTI-2 and scaled data give what nibabel's own reader gives."""
    from medtrinity.sources.nifti import load_nifti

    volume = (np.arange(40 * 30 * 20) % 1000).reshape(40, 30, 20).astype(np.int16)
    nib.save(nib.Nifti1Image(volume, np.eye(4)), tmp_path / "plain.nii")
    raw = (tmp_path / "plain.nii").read_bytes()
    with open(tmp_path / "multi.nii.gz", "wb") as handle:  # three gzip members, cut inside header and voxels
        for part in (raw[:200], raw[200:5001], raw[5001:]):
            handle.write(gzip.compress(part))
    assert np.array_equal(load_nifti(str(tmp_path / "multi.nii.gz"))[0], volume)
    nib.save(nib.Nifti2Image(volume, np.eye(4)), tmp_path / "two.nii.gz")
    assert np.array_equal(load_nifti(str(tmp_path / "two.nii.gz"))[0], volume)
    scaled = nib.Nifti1Image(volume, np.eye(4))
    scaled.header.set_slope_inter(0.5, -10)
    nib.save(scaled, tmp_path / "scaled.nii.gz")
    data = load_nifti(str(tmp_path / "scaled.nii.gz"))[0]
    assert data.dtype == np.float32
    assert np.array_equal(data, nib.load(tmp_path / "scaled.nii.gz").get_fdata(dtype=np.float32))


def test_small_integer_slices_keep_their_type_and_measure_like_float32(shared_data):
    """int16 CT voxels and uint8 labels reach the stages as stored (a half and a quarter of the bytes of float32
    and int32); preprocessing and every ROI fact equal those of the same slices cast to float32 / int32."""
    import copy
    import dataclasses

    from medtrinity.grounding.rois import ground_sample
    from medtrinity.preprocess.display import preprocess_sample

    folder = shared_data / "totalsegmentator"
    reader = _reader(folder / "example_ct_sm.nii.gz", folder / "example_seg.nii.gz",
                     label_map=str(folder / "label_map_total.json"))
    settings = reader.config
    compared = 0
    for sample in reader.read(str(folder / "example_ct_sm.nii.gz")):
        assert sample.pixels.dtype == np.int16 and sample.label_map.dtype == np.uint8
        wide = copy.copy(sample)
        wide.pixels, wide.label_map = sample.pixels.astype(np.float32), sample.label_map.astype(np.int32)
        for one in (sample, wide):
            ground_sample(preprocess_sample(one, settings.preprocess), settings.grounding)
        assert np.array_equal(sample.image, wide.image)
        for attribute in ("rois", "context_rois"):
            facts = [[dataclasses.asdict(roi) for roi in getattr(one, attribute)] for one in (sample, wide)]
            assert facts[0] == facts[1], attribute
        compared += len(sample.rois)
    assert compared > 20


def test_scaled_or_wide_voxels_become_float32_slices(tmp_path, phantom_nifti):
    image_path, label_path = phantom_nifti
    image = nib.load(image_path)
    scaled = nib.Nifti1Image(np.asarray(image.dataobj).astype(np.int16), image.affine)
    scaled.header.set_slope_inter(2.0, -1024)
    nib.save(scaled, tmp_path / "scaled.nii.gz")
    wide = nib.Nifti1Image(np.asarray(image.dataobj).astype(np.int32), image.affine)
    nib.save(wide, tmp_path / "wide.nii.gz")
    for name in ("scaled.nii.gz", "wide.nii.gz"):
        sample = next(iter(_reader(tmp_path / name, label_path).read(str(tmp_path / name))))
        assert sample.pixels.dtype == np.float32, name


def test_finding_labels_absent_from_the_volume_get_no_component_volume(shared_data, tmp_path):
    """TotalSegmentator's map names renal cysts (findings); the example has none: no 3D component search and no
    id volume is made for them, while a planted cyst gets its component and 3D figures."""
    folder = shared_data / "totalsegmentator"
    names = str(folder / "label_map_total.json")
    reader = _reader(folder / "example_ct_sm.nii.gz", folder / "example_seg.nii.gz", label_map=names)
    samples = list(reader.read(str(folder / "example_ct_sm.nii.gz")))
    assert {"left renal cyst", "right renal cyst"} <= set(samples[0].finding_labels)
    assert all(sample.lesion_components is None and not sample.component_stats for sample in samples)

    image = nib.load(folder / "example_seg.nii.gz")
    labels = np.asarray(image.dataobj).copy()
    cyst = next(value for value, name in samples[0].label_names.items() if name == "left renal cyst")
    labels[60:63, 50:53, 14:16] = cyst
    seg = tmp_path / "seg.nii.gz"
    nib.save(nib.Nifti1Image(labels, image.affine, image.header), seg)
    with_cyst = list(_reader(folder / "example_ct_sm.nii.gz", seg, label_map=names).read(
        str(folder / "example_ct_sm.nii.gz")))
    crossed = [one for one in with_cyst if one.lesion_components is not None and one.lesion_components.any()]
    assert len(crossed) == 2 and all(len(one.component_stats) == 1 for one in crossed)
