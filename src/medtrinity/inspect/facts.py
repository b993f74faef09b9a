"""How ``inspect`` decides a source's modality, and how it says whether each fact was read or guessed.

In order: a tag or sidecar that states it (read), a file-name convention that states it (read: SAM-Med2D's
``ct_``/``mr_`` prefixes, AMOS case numbers, TotalSegmentator ``s0000`` cases), the intensities of a volume
(guessed: a CT in Hounsfield units has air near -1000 and bone above +200), a word in the path (guessed).
Where nothing tells, the fact is reported unknown, loudly, and no value is invented.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from medtrinity.sources.name_conventions import modality_from_name

SIDECAR_MODALITY = {"MR": "mri", "CT": "ct", "PT": "pet", "PET": "pet", "US": "ultrasound", "CR": "xray",
                    "DX": "xray"}


def modalities_by_name(paths: list[Path]) -> dict[str | None, list[Path]]:
    """Files grouped by the modality their names state (None: the name states none)."""
    groups: dict[str | None, list[Path]] = {}
    for path in paths:
        groups.setdefault(modality_from_name(path.name)[0], []).append(path)
    return groups


def modality_from_sidecar(path: Path) -> str | None:
    """The modality a JSON sidecar beside ``path`` states (BIDS ``Modality``), if any."""
    stem = path.name.split(".")[0]
    sidecar = path.with_name(stem + ".json")
    if not sidecar.is_file():
        return None
    try:
        value = json.loads(sidecar.read_text(encoding="utf-8")).get("Modality")
    except (OSError, json.JSONDecodeError, AttributeError):
        return None
    return SIDECAR_MODALITY.get(str(value).upper()) if value else None


def hounsfield_like(values: np.ndarray) -> bool:
    """Whether intensities look like CT Hounsfield units: air near -1000, dense tissue above +200."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    low, high = np.percentile(finite, [1, 99.5])
    return bool(low <= -700 and finite.min() >= -3100 and high >= 150 and (finite < -500).mean() > 0.02)


def volume_intensities(path: Path, max_voxels: int = 2_000_000) -> np.ndarray | None:
    """A strided sample of a volume's physical values (NIfTI scaled; NRRD/MHA through SimpleITK), or None."""
    try:
        if path.name.lower().endswith((".nii", ".nii.gz")):
            import nibabel

            image = nibabel.load(str(path))
            step = max(1, int(round((np.prod(image.shape[:3]) / max_voxels) ** (1 / 3))))
            return np.asarray(image.dataobj[::step, ::step, ::step], dtype=np.float32) * 1.0
        import SimpleITK as sitk

        volume = sitk.ReadImage(str(path))  # keep the image alive: the array view points into its buffer
        array = sitk.GetArrayViewFromImage(volume)
        step = max(1, int(round((array.size / max_voxels) ** (1 / 3))))
        return np.asarray(array[::step, ::step, ::step], dtype=np.float32)
    except Exception:  # noqa: BLE001 - unreadable volumes are reported by the run
        return None


def modality_from_intensities(path: Path) -> str | None:
    """``ct`` when a volume's values look like Hounsfield units, else None (MRI and others cannot be told)."""
    values = volume_intensities(path)
    return "ct" if values is not None and hounsfield_like(values) else None
