"""NRRD, MHA/MHD and other ITK volumes (SimpleITK) with an optional label volume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.records import Sample, SampleError
from medtrinity.registry import require_dependency
from medtrinity.sources.base import READERS, Reader, expand_paths, read_failure, strip_suffix
from medtrinity.sources.layout import LayoutMatch, any_file_with_suffix
from medtrinity.sources.nifti import TaggedVolumeOptions
from medtrinity.sources.safety import check_label_values, check_pixels
from medtrinity.sources.volume import Volume, slice_type, volume_samples

ITK_SUFFIXES = (".nrrd", ".nhdr", ".mha", ".mhd")


def check_itk_header(path: str, limits: LimitsConfig) -> None:
    """Size, components and pixel type from the header alone, against the caps (before any voxel is read)."""
    sitk = require_dependency(ItkVolumeReader, "SimpleITK")
    reader = sitk.ImageFileReader()
    reader.SetFileName(path)
    try:
        reader.ReadImageInformation()
    except Exception as error:
        raise read_failure(path, error) from error
    if "complex" in sitk.GetPixelIDValueAsString(reader.GetPixelID()).lower():
        raise SampleError("complex_data", f"{path}: complex-valued voxels; store magnitude or phase as a real image")
    size = tuple(int(d) for d in reversed(reader.GetSize()))
    components = int(reader.GetNumberOfComponents())
    check_pixels(path, (*size, components), 4, limits, volume=len(size) >= 3)


def load_itk_lps(path: str, limits: LimitsConfig | None = None) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Read an ITK volume, reorient it to LPS and return ``[z, y, x]`` data with (x, y, z) spacing in mm."""
    sitk = require_dependency(ItkVolumeReader, "SimpleITK")
    check_itk_header(path, limits or LimitsConfig())
    try:
        image = sitk.ReadImage(path)
    except Exception as error:
        raise read_failure(path, error) from error
    if image.GetDimension() != 3:
        raise SampleError("wrong_dimensions", f"{path}: expected a 3D volume, got {image.GetDimension()}D")
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise SampleError("wrong_dimensions", f"{path}: multi-component volumes are not supported")
    image = sitk.DICOMOrient(image, "LPS")
    spacing = tuple(float(value) for value in image.GetSpacing())
    return sitk.GetArrayFromImage(image), (spacing[0], spacing[1], spacing[2])


@READERS.register("sitk")
class ItkVolumeReader(Reader):
    """``path``: an .nrrd/.mha/.mhd file, folder or glob; ``labels``: matching label file or folder.

    Options ``image_tag``/``label_tag`` pair files by name (``brain1_image.nrrd`` with ``brain1_label.nrrd``:
    ``image_tag: _image``, ``label_tag: _label``); only files with the image tag are images.
    """

    formats = "NRRD, MetaImage (.mha/.mhd) volumes with label volumes"
    Options = TaggedVolumeOptions
    dependencies = (("SimpleITK", "pip install SimpleITK"),)
    volumetric = True

    inspect_priority = 44

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """An NRRD or MetaImage volume, or a folder tree holding one."""
        return any_file_with_suffix(path, ITK_SUFFIXES, cls.inspect_priority, "NRRD / MetaImage volumes")

    def list_items(self) -> list[str]:
        items = expand_paths(self.source.path, ITK_SUFFIXES)
        image_tag = self.options.image_tag
        return [item for item in items if str(image_tag) in Path(item).name] if image_tag else items

    def _label_path(self, item: str) -> Path | None:
        image_tag, label_tag = self.options.image_tag, self.options.label_tag
        if image_tag and label_tag:  # brain1_image.nrrd -> brain1_label.nrrd, beside it or under `labels`
            folder = Path(self.source.labels) if self.source.labels else Path(item).parent
            return folder / Path(item).name.replace(str(image_tag), str(label_tag))
        if not self.source.labels:
            return None
        label_path = Path(self.source.labels)
        return label_path / Path(item).name if label_path.is_dir() else label_path

    def read(self, item: str) -> Iterator[Sample]:
        data, spacing = load_itk_lps(item, self.config.limits)
        labels = None
        names = self.label_names()
        label_path = self._label_path(item)
        if label_path is not None:
            if not label_path.exists():
                raise SampleError("missing_labels", f"{item}: label file {label_path} does not exist")
            labels, _ = load_itk_lps(str(label_path), self.config.limits)
            if labels.shape != data.shape:
                raise SampleError(
                    "mask_shape_mismatch",
                    f"{label_path}: label shape {labels.shape} differs from image shape {data.shape}",
                )
            labels = np.rint(labels).astype(np.int32)
            names = {**slicer_segment_names(str(label_path)), **names}  # the config's names win
            check_label_values(labels, names, str(label_path),
                               origin="label_names/label_map/Slicer segment names")
        modality = self.source.modality or "other"
        volume = Volume(
            data=data,  # each emitted slice is cast on its own (small integers stay as stored)
            slice_dtype=slice_type(data.dtype, np.float32),
            spacing_xyz_mm=spacing,
            labels=labels,
            intensity_unit="HU" if modality == "ct" else "",
            metadata={"format": Path(item).suffix.lstrip(".").lower()},
        )
        yield from volume_samples(
            volume,
            source=self.source,
            config=self.config,
            case_key=strip_suffix(self.item_key(item), ITK_SUFFIXES),
            source_file=item,
            label_names=names,
            modality=modality,
            body_part=self.source.body_part,
        )


def slicer_segment_names(path: str) -> dict[int, str]:
    """Label value -> name from a 3D Slicer ``.seg.nrrd`` header (``SegmentN_Name``, ``SegmentN_LabelValue``,
    ``SegmentN_Terminology``); the terminology's type wins over a placeholder name (``Segment_1``). Empty for
    other files."""
    if not path.lower().endswith((".seg.nrrd", ".nrrd", ".nhdr")):
        return {}
    import SimpleITK as sitk

    from medtrinity.sources.label_names import is_placeholder_name, report_label

    reader = sitk.ImageFileReader()
    reader.SetFileName(path)
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return {}
    header = {key: reader.GetMetaData(key) for key in reader.GetMetaDataKeys()}
    names: dict[int, str] = {}
    index = 0
    while f"Segment{index}_Name" in header:
        name = header[f"Segment{index}_Name"].strip()
        value = int(header.get(f"Segment{index}_LabelValue", index + 1) or index + 1)
        terminology = header.get(f"Segment{index}_Terminology", "").split("~")
        coded = terminology[2].split("^")[2] if len(terminology) > 2 and terminology[2].count("^") >= 2 else ""
        if (is_placeholder_name(name) or not name) and coded and coded.lower() not in ("tissue", ""):
            name = coded
        names[value] = report_label(name)
        index += 1
    return names
