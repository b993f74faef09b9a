"""3D volumes -> 2D slices in one canonical orientation, with the slice policy applied.

Every reader hands over a :class:`Volume` in LPS order: the array is indexed ``[z, y, x]`` with
x growing to the patient's left, y to posterior, z to superior (DICOM's patient axes). In that
order an axial slice ``data[k]`` is already in radiological display (patient's right on the
image's left, anterior at the top); coronal and sagittal slices are flipped so superior is up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medtrinity.config import RunConfig, SourceConfig
from medtrinity.io.hashes import uint8_counts
from medtrinity.preprocess.deid import allowed_metadata, case_id
from medtrinity.records import Sample, SampleError, stable_id
from medtrinity.vocab.labels import is_finding


@dataclass
class Volume:
    """A volume in LPS ``[z, y, x]`` order with its voxel size and optional label volume."""

    data: np.ndarray
    spacing_xyz_mm: tuple[float, float, float]
    labels: np.ndarray | None = None
    intensity_unit: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    # voxels of each label value in each slice of the run's plane ([slice, value]) when the reader already
    # counted them (its label-value check): the slice policy and the 3D figures reuse that one pass
    label_counts: np.ndarray | None = None
    # each emitted slice (pixels; labels) is cast to this type instead of the whole volume up front
    slice_dtype: Any = None
    label_slice_dtype: Any = None


def slice_type(stored: np.dtype, wider: type) -> type:
    """The type each emitted slice is given: 8- and 16-bit integers stay as stored (each of their values is the
    same in float32 or int32, and a half or a quarter of the bytes pass through each stage), others ``wider``
    (float32 for voxels, int32 for labels)."""
    return stored.type if stored.kind in "iu" and stored.itemsize <= 2 else wider


# plane -> (patient direction of +column, patient direction of +row)
PLANE_ORIENTATION: dict[str, tuple[str, str]] = {
    "axial": ("L", "P"),
    "coronal": ("L", "I"),
    "sagittal": ("P", "I"),
}


def lps_transform(axis_directions: np.ndarray) -> tuple[tuple[int, int, int], tuple[bool, bool, bool]]:
    """How to bring an array to LPS ``[z, y, x]``: the source axis for each target axis, and which to flip.

    ``axis_directions[a]`` is the patient-space (LPS, mm) unit vector along which array axis ``a``
    grows. Each array axis is assigned to the patient axis it is closest to (no resampling).
    """
    directions = np.asarray(axis_directions, dtype=float)
    order: list[int] = []
    flips: list[bool] = []
    for patient_axis in (2, 1, 0):  # target array axes z, y, x
        candidates = [a for a in range(3) if a not in order]
        source = max(candidates, key=lambda a: abs(directions[a][patient_axis]))
        order.append(source)
        flips.append(bool(directions[source][patient_axis] < 0))
    return (order[0], order[1], order[2]), (flips[0], flips[1], flips[2])


def reorient_to_lps(array: np.ndarray, axis_directions: np.ndarray) -> np.ndarray:
    """Transpose and flip a 3D array whose axes grow along ``axis_directions`` into LPS ``[z, y, x]``."""
    order, flips = lps_transform(axis_directions)
    result = np.transpose(array, order)
    for axis, flip in enumerate(flips):
        if flip:
            result = np.flip(result, axis=axis)
    return np.ascontiguousarray(result)


def plane_slice(array: np.ndarray, plane: str, index: int) -> np.ndarray:
    """Slice ``index`` of an LPS ``[z, y, x]`` array in display orientation for ``plane``."""
    if plane == "axial":
        return array[index]
    if plane == "coronal":
        return array[::-1, index, :]
    if plane == "sagittal":
        return array[::-1, :, index]
    raise ValueError(f"unknown plane {plane!r}")


def plane_count(shape_zyx: tuple[int, ...], plane: str) -> int:
    return {"axial": shape_zyx[0], "coronal": shape_zyx[1], "sagittal": shape_zyx[2]}[plane]


def plane_spacing(spacing_xyz_mm: tuple[float, float, float], plane: str) -> tuple[float, float]:
    """(column mm, row mm) of a slice in ``plane``."""
    sx, sy, sz = spacing_xyz_mm
    return {"axial": (sx, sy), "coronal": (sx, sz), "sagittal": (sy, sz)}[plane]


def _labels_per_slice(labels: np.ndarray, plane: str) -> np.ndarray:
    axes = {"axial": (1, 2), "coronal": (0, 2), "sagittal": (0, 1)}[plane]
    return np.any(labels != 0, axis=axes)


def select_slices(has_roi: np.ndarray, fraction_without: float, max_slices: int | None, key: str) -> list[int]:
    """All slices with an ROI plus a deterministic, hash-sampled share of those without."""
    chosen: list[int] = []
    for index, flag in enumerate(has_roi.tolist()):
        if flag:
            chosen.append(index)
        elif fraction_without > 0:
            draw = int(stable_id(key, index, length=8), 16) / 0xFFFFFFFF
            if draw < fraction_without:
                chosen.append(index)
    if max_slices is not None and len(chosen) > max_slices:
        picks = np.linspace(0, len(chosen) - 1, max_slices).round().astype(int)
        chosen = [chosen[i] for i in sorted(set(picks.tolist()))]
    return chosen


def label_counts_per_slice(labels: np.ndarray, plane: str) -> np.ndarray:
    """Voxels of each label value in each ``plane`` slice, ``[slice, value]``: one pass over the volume."""
    if labels.dtype.kind not in "iub":
        labels = np.rint(labels).astype(np.int64)
    count = plane_count(labels.shape, plane)
    top = int(labels.max()) if labels.size else 0
    if labels.size and int(labels.min()) < 0:
        raise ValueError(f"label values must be non-negative, found {int(labels.min())}")
    counts = np.zeros((count, top + 1), dtype=np.int64)
    if labels.dtype == np.uint8:  # the compiled 256-bin count (~3x OpenCV's histogram on a 512x512 slice)
        for index in range(count):
            counts[index] = uint8_counts(np.ascontiguousarray(plane_slice(labels, plane, index)))[:top + 1]
        return counts
    for index in range(count):
        counts[index] = np.bincount(plane_slice(labels, plane, index).ravel(), minlength=top + 1)
    return counts


def label_volume_stats(labels: np.ndarray, names: dict[int, str], spacing_xyz_mm, plane: str,
                       per_slice: np.ndarray | None = None) -> dict:
    """Per label: volume in ml and how many slices of ``plane`` it spans (3D figures for each 2D sample).

    ``per_slice``: :func:`label_counts_per_slice` of ``labels`` when the caller has it already.
    """
    voxel_ml = float(np.prod(spacing_xyz_mm)) / 1000.0
    if per_slice is None:
        per_slice = label_counts_per_slice(labels, plane) if labels.size else np.zeros((0, 1), dtype=np.int64)
    totals = per_slice.sum(axis=0)
    stats: dict[str, dict[str, float]] = {}
    for value in np.flatnonzero(totals).tolist():
        if value == 0:
            continue
        name = names.get(value, f"label {value}")
        column = per_slice[:, value]
        indices = np.flatnonzero(column)
        stats[name] = {
            "volume_ml": round(float(totals[value]) * voxel_ml, 3),
            "slices": int(indices.size),
            "largest_slice": int(np.argmax(column)),
            "first_slice": int(indices[0]),
            "last_slice": int(indices[-1]),
        }
    return stats


def finding_components(
    labels: np.ndarray, finding_values: list[int], spacing_xyz_mm, plane: str
) -> tuple[np.ndarray, dict[int, dict[str, float]]]:
    """3D connected components of the finding labels (26-connected), each with its own volume.

    Returns an id volume (0 = none; ids unique across labels) and, per id, the lesion's volume
    in ml, the number of ``plane`` slices it spans and the slice where its area is largest, so
    each 2D sample of a lesion can carry that lesion's 3D figures.
    """
    import SimpleITK as sitk

    ids = np.zeros(labels.shape, dtype=np.int32)
    stats: dict[int, dict[str, float]] = {}
    voxel_ml = float(np.prod(spacing_xyz_mm)) / 1000.0
    axes = {"axial": (1, 2), "coronal": (0, 2), "sagittal": (0, 1)}[plane]
    next_id = 1
    for value in finding_values:
        binary = labels == value
        if not binary.any():
            continue
        components = sitk.GetArrayFromImage(
            sitk.ConnectedComponent(sitk.GetImageFromArray(binary.astype(np.uint8)), True)
        )
        for component in range(1, int(components.max()) + 1):
            voxels = components == component
            per_slice = voxels.sum(axis=axes)
            ids[voxels] = next_id
            stats[next_id] = {
                "volume_ml": round(float(per_slice.sum()) * voxel_ml, 3),
                "slices": int((per_slice > 0).sum()),
                "largest_slice": int(np.argmax(per_slice)),
            }
            next_id += 1
    return ids, stats


def volume_samples(
    volume: Volume,
    *,
    source: SourceConfig,
    config: RunConfig,
    case_key: str,
    source_file: str,
    label_names: dict[int, str],
    modality: str,
    body_part: str,
) -> Iterator[Sample]:
    """Cut a canonical volume into the 2D Samples the slice policy selects."""
    plane = config.slicing.plane
    if volume.data.ndim != 3:
        raise SampleError("wrong_dimensions", f"{source_file}: expected a 3D volume, got shape {volume.data.shape}")
    if volume.labels is not None and volume.labels.shape != volume.data.shape:
        raise SampleError(
            "mask_shape_mismatch",
            f"{source_file}: label volume shape {volume.labels.shape} differs from image shape {volume.data.shape}",
        )
    counts = volume.label_counts
    if counts is not None and counts.shape[0] != plane_count(volume.data.shape, plane):
        raise ValueError(f"label counts for {counts.shape[0]} slices, the volume has "
                         f"{plane_count(volume.data.shape, plane)} {plane} slices")
    if volume.labels is not None and not (counts[:, 1:].any() if counts is not None else np.any(volume.labels)):
        raise SampleError("empty_labels", f"{source_file}: the label volume contains no labelled voxel")
    count = plane_count(volume.data.shape, plane)
    if counts is not None:
        has_roi = counts[:, 1:].any(axis=1)
    elif volume.labels is not None:
        has_roi = _labels_per_slice(volume.labels, plane)
    else:
        has_roi = np.zeros(count, dtype=bool)
    policy_key = stable_id(config.seed, source.name, case_key)
    indices = select_slices(
        has_roi,
        config.slicing.without_roi_fraction if volume.labels is not None else 1.0,
        config.slicing.max_slices_per_volume,
        policy_key,
    )
    stats = (
        label_volume_stats(volume.labels, label_names, volume.spacing_xyz_mm, plane, counts)
        if volume.labels is not None
        else {}
    )
    de_identified = case_id(source.name, case_key, config.case_id_salt)
    findings = frozenset(name for name in label_names.values() if is_finding(name, source.findings))
    components, component_stats = None, {}
    if volume.labels is not None:
        finding_values = sorted(value for value, name in label_names.items() if name in findings
                                and (counts is None or (value < counts.shape[1] and counts[:, value].any())))
        if finding_values:  # finding labels the counts show absent are not searched for in the volume
            components, component_stats = finding_components(
                volume.labels, finding_values, volume.spacing_xyz_mm, plane
            )
    metadata = allowed_metadata(
        {
            **volume.metadata,
            "voxel_spacing_mm": [round(float(s), 4) for s in volume.spacing_xyz_mm],
            "volume_shape": list(volume.data.shape),
        }
    )
    for index in indices:
        labels2d = plane_slice(volume.labels, plane, index) if volume.labels is not None else None
        yield Sample(
            id=stable_id(source.name, case_key, plane, index),
            source=source.name,
            case_id=de_identified,
            modality=modality,
            body_part=body_part,
            pixels=np.ascontiguousarray(plane_slice(volume.data, plane, index), dtype=volume.slice_dtype),
            spacing_mm=plane_spacing(volume.spacing_xyz_mm, plane),
            plane=plane,
            slice_index=index,
            patient_orientation=PLANE_ORIENTATION[plane],
            intensity_unit=volume.intensity_unit,
            label_map=None if labels2d is None else np.ascontiguousarray(labels2d, dtype=volume.label_slice_dtype),
            label_names=label_names,
            finding_labels=findings,
            metadata=metadata,
            license=source.license,
            source_file=source_file,
            volume_stats=stats,
            lesion_components=None if components is None else np.ascontiguousarray(
                plane_slice(components, plane, index)
            ),
            component_stats=component_stats,
        )
