"""Shared fixtures: the real-data folder (skipped where absent), phantom files and small configs."""

from __future__ import annotations

import os
from pathlib import Path

# Ray reads these when it is imported: a local test cluster binds 127.0.0.1 only, without token auth.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_AUTH_MODE"] = "disabled"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

import nibabel as nib
import numpy as np
import pytest

from medtrinity.datapaths import shared_data_dir
from medtrinity.phantom import make_ct_phantom, phantom_affine_ras


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$MEDTRINITY_DATA``); tests needing it skip with the reason where it is absent."""
    found = shared_data_dir()
    if found is None:
        pytest.skip("shared real-data folder not found: set MEDTRINITY_DATA or place it at ../shared/data")
    return found


@pytest.fixture(scope="session")
def phantom():
    """HU volume, label volume, (x, y, z) spacing and lesion truth of phantom case 0."""
    return make_ct_phantom(0)


def write_phantom_nifti(folder: Path, name: str = "phantom.nii.gz") -> tuple[Path, Path]:
    """The phantom as a NIfTI pair: the LPS [z, y, x] arrays transposed to [x, y, z] with a RAS affine."""
    hu, labels, _spacing, _truth = make_ct_phantom(0)
    affine = phantom_affine_ras()
    image_path = folder / "images" / name
    label_path = folder / "labels" / name
    image_path.parent.mkdir(parents=True, exist_ok=True)
    label_path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(np.transpose(hu, (2, 1, 0)).astype(np.int16), affine), image_path)
    nib.save(nib.Nifti1Image(np.transpose(labels, (2, 1, 0)).astype(np.int16), affine), label_path)
    return image_path, label_path


@pytest.fixture
def phantom_nifti(tmp_path: Path) -> tuple[Path, Path]:
    return write_phantom_nifti(tmp_path)
