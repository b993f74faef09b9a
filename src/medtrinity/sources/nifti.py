"""NIfTI volumes (nibabel) with an optional label volume of the same grid."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Literal

import nibabel as nib
import numpy as np
from isal import igzip
from nibabel.orientations import apply_orientation, axcodes2ornt, io_orientation, ornt_transform
from pydantic import Field

from medtrinity.config import LimitsConfig
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions
from medtrinity.sources.base import READERS, Reader, expand_paths, read_failure, strip_suffix
from medtrinity.sources.layout import LayoutMatch, any_file_with_suffix
from medtrinity.sources.safety import check_dtype, check_label_values, check_pixels
from medtrinity.sources.volume import Volume, label_counts_per_slice, slice_type, volume_samples

NIFTI_SUFFIXES = (".nii.gz", ".nii")
_LPS = axcodes2ornt(("L", "P", "S"))


def to_lps_zyx(data: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Reorient a voxel array to LPS as ``[z, y, x]`` (a view of ``data``), with (x, y, z) spacing in mm."""
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"expected a 3D volume, got shape {data.shape}")
    transform = ornt_transform(io_orientation(affine), _LPS)
    reoriented = apply_orientation(data, transform)
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    spacing = [0.0, 0.0, 0.0]
    for source_axis, (target_axis, _flip) in enumerate(transform):
        spacing[int(target_axis)] = float(zooms[source_axis])
    # a view (axes swapped, flips as negative strides), not a copy of the volume: each emitted slice is
    # copied anyway when it is cast to the sample's type
    return np.transpose(reoriented, (2, 1, 0)), (spacing[0], spacing[1], spacing[2])


def load_nifti(path: str, limits: LimitsConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Voxel data (scaled to physical units) and affine of a NIfTI file, or a SampleError naming it.

    The header's dimensions and data type are checked against ``limits`` before any voxel is read.
    """
    try:
        image = nib.load(path)
    except Exception as error:  # nibabel raises many types for corrupt files
        raise read_failure(path, error) from error
    shape, dtype = tuple(int(d) for d in image.header.get_data_shape()), image.header.get_data_dtype()
    check_dtype(np.empty(0, dtype=dtype), path)
    out_itemsize = max(dtype.itemsize, 4)  # scaled data become float32
    check_pixels(path, shape or (0,), out_itemsize, limits or LimitsConfig(), volume=len(shape) >= 3)
    try:
        if not str(path).endswith(".gz"):
            return _voxels(image), image.affine
        # the header above came through Python's gzip; the voxels stream through ISA-L's (same bytes, ~2x faster)
        with igzip.open(path, "rb") as stream:
            holder = nib.FileHolder(filename=str(path), fileobj=stream)
            return _voxels(type(image).from_file_map({"image": holder, "header": holder})), image.affine
    except Exception as error:  # nibabel raises many types for corrupt files
        raise read_failure(path, error) from error


def _voxels(image) -> np.ndarray:
    """An image's voxels as stored, or as float32 when they are floats or scaled.

    Which of the two is decided from the header, so the voxels are read (and inflated) once.
    """
    proxy = image.dataobj
    if np.issubdtype(image.get_data_dtype(), np.floating) or proxy.slope != 1 or proxy.inter != 0:
        return np.asarray(image.get_fdata(dtype=np.float32))
    return np.asarray(proxy)


class TaggedVolumeOptions(PluginOptions):
    """Options of the ``nifti`` and ``sitk`` readers: name tags that pair image and label files."""

    image_tag: str | None = None
    label_tag: str | None = None


class NiftiOptions(TaggedVolumeOptions):
    """Options of the ``nifti`` reader: the name tags, file patterns that are not images, the case folder,
    and a folder of per-class masks beside each image."""

    exclude: list[str] = Field(default_factory=list)
    case_from: Literal["stem", "parent"] = "stem"
    class_masks: str | None = None


@READERS.register("nifti")
class NiftiReader(Reader):
    """``path``: a .nii/.nii.gz file, folder or glob; ``labels``: the matching label file or a folder of them.

    Options: ``image_tag``/``label_tag`` pair files by name (``volume-3.nii`` with ``segmentation-3.nii``);
    ``exclude`` (file-name patterns that are not images, e.g. ``["*_gt.nii.gz", "*_4d.nii.gz"]``);
    ``case_from: parent`` (the case is the image's folder: KiTS ``case_00000/imaging.nii.gz``);
    ``class_masks`` (a folder beside each image holding one binary mask per class, named by the file:
    TotalSegmentator ``s0000/segmentations/liver.nii.gz``).
    """

    formats = "NIfTI-1/2 volumes (.nii, .nii.gz) with label volumes"
    Options = NiftiOptions
    dependencies = (("nibabel", "pip install nibabel"),)
    volumetric = True

    inspect_priority = 45

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A NIfTI volume, or a folder tree holding one."""
        return any_file_with_suffix(path, NIFTI_SUFFIXES, cls.inspect_priority, "NIfTI volumes")

    def list_items(self) -> list[str]:
        items = expand_paths(self.source.path, NIFTI_SUFFIXES)
        image_tag = self.options.image_tag
        if image_tag:
            items = [item for item in items if str(image_tag) in Path(item).name]
        excluded = self.options.exclude
        return [item for item in items if not any(fnmatch(Path(item).name, pattern) for pattern in excluded)]

    def _label_path(self, image_path: str) -> str | None:
        image_tag, label_tag = self.options.image_tag, self.options.label_tag
        if image_tag and label_tag:  # case_ct.nii.gz -> case_seg.nii.gz, beside it or under `labels`
            folder = Path(self.source.labels) if self.source.labels else Path(image_path).parent
            return str(folder / Path(image_path).name.replace(str(image_tag), str(label_tag)))
        if not self.source.labels:
            return None
        labels = Path(self.source.labels)
        if labels.is_dir():
            return str(labels / Path(image_path).name)
        return str(labels)

    def read(self, item: str) -> Iterator[Sample]:
        data, affine = load_nifti(item, self.config.limits)
        try:
            data_zyx, spacing = to_lps_zyx(data, affine)
        except ValueError as error:
            raise SampleError("wrong_dimensions", f"{item}: {error}") from error
        labels_zyx, label_counts = None, None
        names = self.label_names()
        label_path = self._label_path(item)
        if self.options.class_masks:
            labels_zyx, names = self._class_masks(item, data.shape[:3], names)
        elif label_path is not None:
            if not Path(label_path).exists():
                raise SampleError("missing_labels", f"{item}: label file {label_path} does not exist")
            label_data, label_affine = load_nifti(label_path, self.config.limits)
            if label_data.shape[:3] != data.shape[:3]:
                raise SampleError(
                    "mask_shape_mismatch",
                    f"{label_path}: label shape {label_data.shape} differs from image shape {data.shape}",
                )
            whole = label_data if label_data.dtype.kind in "iub" else np.rint(label_data)
            # 8- and 16-bit labels keep their stored type in the volume and in each emitted slice (slice_type)
            small = whole.dtype.kind in "iu" and whole.dtype.itemsize <= 2
            # one contiguous copy of the labels: the per-slice counts and the 3D figures pass over it several times
            labels_zyx = np.ascontiguousarray(to_lps_zyx(whole if small else whole.astype(np.int32), label_affine)[0])
            if labels_zyx.size and (labels_zyx.dtype.kind == "u" or int(labels_zyx.min()) >= 0):
                # one counting pass serves the value check, the slice policy and the 3D figures
                label_counts = label_counts_per_slice(labels_zyx, self.config.slicing.plane)
                present: list[int] | np.ndarray = np.flatnonzero(label_counts.sum(axis=0)).tolist()
            else:
                present = labels_zyx  # the check names the negative values
            check_label_values(present, self.label_names(), label_path, origin="label_names/label_map")
        modality = self.source.modality or "other"
        volume = Volume(
            data=data_zyx,  # each emitted slice is cast on its own, not the whole volume
            spacing_xyz_mm=spacing,
            labels=labels_zyx,
            intensity_unit="HU" if modality == "ct" else "",
            metadata={"format": "nifti"},
            label_counts=label_counts,
            slice_dtype=slice_type(data_zyx.dtype, np.float32),
            label_slice_dtype=None if labels_zyx is None else slice_type(labels_zyx.dtype, np.int32),
        )
        yield from volume_samples(
            volume,
            source=self.source,
            config=self.config,
            case_key=self._case_key(item),
            source_file=item,
            label_names=names,
            modality=modality,
            body_part=self.source.body_part,
        )

    def _case_key(self, item: str) -> str:
        key = self.item_key(item)  # from the path under the source root: patA/ct and patB/ct are two cases
        if self.options.case_from == "parent":
            return str(Path(key).parent)
        return strip_suffix(key, NIFTI_SUFFIXES)

    def _class_masks(self, item: str, shape: tuple[int, ...], configured: dict[int, str]
                     ) -> tuple[np.ndarray, dict[int, str]]:
        """One label volume from a folder of per-class binary masks; values follow the configured names, else
        the sorted file names. Larger classes are painted first so a small class inside a large one stays whole."""
        from medtrinity.sources.label_names import report_label

        folder = Path(item).parent / self.options.class_masks
        files = sorted(p for p in folder.glob("*.nii*") if p.name.endswith(NIFTI_SUFFIXES)) if folder.is_dir() else []
        if not files:
            raise SampleError("missing_labels", f"{item}: no per-class masks in {folder}")
        value_of = {name: value for value, name in configured.items()}
        names = dict(configured)
        masks = []
        for path in files:
            raw = strip_suffix(path.name, NIFTI_SUFFIXES)
            name = report_label(raw)
            value = value_of.get(name) or value_of.get(raw)
            if value is None:
                value = max([*names, 0]) + 1
                names[value] = name
                value_of[name] = value
            data, affine = load_nifti(str(path))
            if data.shape[:3] != shape:
                raise SampleError("mask_shape_mismatch", f"{path}: mask shape {data.shape} differs from image {shape}")
            mask_zyx, _ = to_lps_zyx((np.asarray(data) > 0.5).astype(np.uint8), affine)
            masks.append((int(mask_zyx.sum()), value, mask_zyx.astype(bool)))
        labels = np.zeros(masks[0][2].shape, dtype=np.int32)
        for _, value, mask in sorted(masks, key=lambda entry: -entry[0]):
            labels[mask] = value
        return labels, names
