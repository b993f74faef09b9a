"""NRRD, MHA/MHD and other ITK volumes (SimpleITK) with an optional label volume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from medtrinity.records import Sample, SampleError
from medtrinity.registry import require
from medtrinity.sources.base import READERS, Reader, expand_paths, read_failure, strip_suffix
from medtrinity.sources.volume import Volume, volume_samples

ITK_SUFFIXES = (".nrrd", ".nhdr", ".mha", ".mhd")


def load_itk_lps(path: str) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Read an ITK volume, reorient it to LPS and return ``[z, y, x]`` data with (x, y, z) spacing in mm."""
    sitk = require("SimpleITK", "pip install SimpleITK", purpose="the sitk reader")
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
    """``path``: an .nrrd/.mha/.mhd file, folder or glob; ``labels``: matching label file or folder."""

    formats = "NRRD, MetaImage (.mha/.mhd) volumes with label volumes"
    requires = "SimpleITK"
    volumetric = True

    def list_items(self) -> list[str]:
        return expand_paths(self.source.path, ITK_SUFFIXES)

    def read(self, item: str) -> Iterator[Sample]:
        data, spacing = load_itk_lps(item)
        labels = None
        if self.source.labels:
            label_path = Path(self.source.labels)
            if label_path.is_dir():
                label_path = label_path / Path(item).name
            if not label_path.exists():
                raise SampleError("missing_labels", f"{item}: label file {label_path} does not exist")
            labels, _ = load_itk_lps(str(label_path))
            if labels.shape != data.shape:
                raise SampleError(
                    "mask_shape_mismatch",
                    f"{label_path}: label shape {labels.shape} differs from image shape {data.shape}",
                )
            labels = np.rint(labels).astype(np.int32)
        modality = self.source.modality or "other"
        volume = Volume(
            data=data.astype(np.float32),
            spacing_xyz_mm=spacing,
            labels=labels,
            intensity_unit="HU" if modality == "ct" else "",
            metadata={"format": Path(item).suffix.lstrip(".").lower()},
        )
        yield from volume_samples(
            volume,
            source=self.source,
            config=self.config,
            case_key=strip_suffix(Path(item).name, ITK_SUFFIXES),
            source_file=item,
            label_names=self.label_names(),
            modality=modality,
            body_part=self.source.body_part,
        )
