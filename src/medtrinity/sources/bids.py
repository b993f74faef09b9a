"""BIDS datasets (OpenNeuro and many neuro and spine sets): raw volumes with their derivatives' masks.

Layout: ``sub-<id>/[ses-<id>/]<datatype>/sub-<id>_..._<suffix>.nii.gz`` with a JSON sidecar of the same
name, and masks under ``derivatives/<pipeline>/sub-<id>/.../<image stem>_<entities>_<mask suffix>.nii.gz``
(``_seg-manual``, ``_label-SC_seg``, ``_lesion-manual``, ``_dseg`` with a ``_dseg.tsv`` naming its values).
Each raw image is an item; every derivative file whose name starts with the image's stem is a mask of it.
Names come from the ``_dseg.tsv``, a ``label-<name>`` entity, the mask's sidecar ``Description``/
``LabelName``, or the mask suffix (``lesion``); acquisition facts from the image's suffix and sidecar.
"""

from __future__ import annotations

import csv
import glob
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions
from medtrinity.sources.acquisition import bids_acquisition_facts
from medtrinity.sources.base import READERS, Reader
from medtrinity.sources.label_names import is_placeholder_name, report_label
from medtrinity.sources.layout import LayoutMatch
from medtrinity.sources.nifti import NIFTI_SUFFIXES, load_nifti, to_lps_zyx
from medtrinity.sources.safety import check_label_values, present_label_values, resolve_inside, walk_files
from medtrinity.sources.volume import Volume, slice_type, volume_samples

DATATYPE_MODALITY = {"anat": "mri", "dwi": "mri", "func": "mri", "perf": "mri", "fmap": "mri", "ct": "ct",
                     "pet": "pet", "micr": "microscopy"}
IMAGE_DATATYPES = ("anat", "dwi", "ct", "pet", "perf")
# suffix words of a derivative that say what the mask shows when nothing else does
MASK_SUFFIX_NAMES = {"lesion": "lesion", "lesions": "lesion", "tumor": "tumor", "tumour": "tumor",
                     "sc": "spinal cord", "gm": "grey matter", "wm": "white matter", "csf": "cerebrospinal fluid",
                     "brain": "brain", "brainmask": "brain", "spinalcord": "spinal cord", "disc": "intervertebral disc",
                     "discs": "intervertebral disc", "vert": "vertebra", "canal": "spinal canal"}


def _stem(path: Path) -> str:
    for suffix in NIFTI_SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


def _sidecar(path: Path) -> dict:
    side = path.with_name(_stem(path) + ".json")
    try:
        return json.loads(side.read_text(encoding="utf-8")) if side.is_file() else {}
    except (OSError, json.JSONDecodeError):
        return {}


def bids_images(root: Path) -> list[Path]:
    """Raw image volumes of a BIDS dataset (``derivatives/``, ``sourcedata/`` and ``code/`` left out).

    The walk never enters a linked folder (a link loop cannot hang planning) and lists each file once.
    """
    found = []
    for subject in sorted(p for p in root.glob("sub-*") if p.is_dir() and not p.is_symlink()):
        for path in walk_files(subject):
            parts = path.relative_to(root).parts
            if path.name.endswith(NIFTI_SUFFIXES) and len(parts) >= 3 and parts[-2] in IMAGE_DATATYPES:
                found.append(path)
    return sorted(found)


def derivative_masks(root: Path, image: Path) -> list[Path]:
    """Derivative files named after ``image`` (same stem, more entities), in any pipeline folder."""
    relative = image.relative_to(root).parent
    stem = _stem(image)
    masks = []
    for pipeline in sorted((root / "derivatives").glob("*")) if (root / "derivatives").is_dir() else []:
        folder = pipeline / relative
        if folder.is_dir():
            masks += [p for p in sorted(folder.glob(glob.escape(stem) + "_*.nii*")) if p.name.endswith(NIFTI_SUFFIXES)]
    return masks


def mask_names(mask: Path, image_stem: str, values: list[int]) -> dict[int, str]:
    """Value -> name for one derivative mask, from its ``.tsv``, entities, sidecar or suffix (may be empty)."""
    tsv = mask.with_name(_stem(mask) + ".tsv")
    if tsv.is_file():
        with tsv.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        named = {int(row["index"]): report_label(row["name"]) for row in rows if row.get("index", "").isdigit()
                 and row.get("name")}
        return {value: name for value, name in named.items() if value in values}
    entities = _stem(mask)[len(image_stem):].strip("_").split("_")
    sidecar = _sidecar(mask)
    for key in ("LabelName", "Label", "Description"):
        text = str(sidecar.get(key, "") or "")
        if text and len(text) <= 40 and not is_placeholder_name(text):
            return dict.fromkeys(values, report_label(text))
    for entity in entities:
        key, _, value = entity.partition("-")
        if key == "label" and value:
            name = MASK_SUFFIX_NAMES.get(value.lower(), value)
            return dict.fromkeys(values, report_label(name))
    for entity in reversed(entities):
        word = entity.partition("-")[0].lower()
        if word in MASK_SUFFIX_NAMES:
            return dict.fromkeys(values, MASK_SUFFIX_NAMES[word])
    return {}


class BidsOptions(PluginOptions):
    """Options of the ``bids`` reader: which image suffixes to keep (default: all)."""

    suffixes: list[str] | None = None


@READERS.register("bids")
class BidsReader(Reader):
    """``path``: a BIDS dataset root (``sub-*`` folders, optional ``derivatives/``); each raw volume is an item.

    Masks come from ``derivatives/*/`` files named after the image; ``label_names`` names values the files
    do not name. Options: ``suffixes`` (image suffixes to keep, e.g. ``["T2w"]``; default: all).
    """

    formats = "BIDS datasets (NIfTI with JSON sidecars) with derivative masks (seg, dseg + tsv, lesion)"
    Options = BidsOptions
    dependencies = (("nibabel", "pip install nibabel"),)
    volumetric = True

    inspect_priority = 100

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A BIDS root: ``dataset_description.json`` or ``sub-*`` folders of data."""
        if path.is_dir() and bids_root(path):
            return LayoutMatch(cls.inspect_priority, "a BIDS dataset (sub-* folders)")
        return None

    def list_items(self) -> list[str]:
        root = Path(self.source.path)
        if not root.is_dir():
            raise FileNotFoundError(f"bids needs the dataset folder, got {self.source.path!r}")
        wanted = set(self.options.suffixes or [])
        images = [p for p in bids_images(root) if not wanted or _stem(p).rsplit("_", 1)[-1] in wanted]
        return [str(p) for p in images]

    def read(self, item: str) -> Iterator[Sample]:
        root, image = Path(self.source.path), Path(item)
        resolve_inside(root, str(image.relative_to(root)), item)  # a linked file must stay in the dataset
        data, affine = load_nifti(item, self.config.limits)
        try:
            data_zyx, spacing = to_lps_zyx(data, affine)
        except ValueError as error:
            raise SampleError("wrong_dimensions", f"{item}: {error}") from error
        stem = _stem(image)
        configured = self.label_names()
        labels, names = self._masks(root, image, data.shape[:3], stem, configured)
        datatype = image.parent.name
        modality = self.source.modality or DATATYPE_MODALITY.get(datatype, "other")
        suffix = stem.rsplit("_", 1)[-1]
        facts = bids_acquisition_facts(suffix, _sidecar(image)) if modality == "mri" else {}
        volume = Volume(data=data_zyx, spacing_xyz_mm=spacing, labels=labels,
                        slice_dtype=slice_type(data_zyx.dtype, np.float32),
                        intensity_unit="HU" if modality == "ct" else "", metadata={"format": "bids", **facts})
        subject = next((part for part in image.relative_to(root).parts if part.startswith("sub-")), stem)
        key = self.item_key(item)  # the path under the dataset root: same-named files in two folders differ
        for sample in volume_samples(volume, source=self.source, config=self.config, case_key=key,
                                     source_file=item, label_names=names, modality=modality,
                                     body_part=self.source.body_part):
            sample.case_id = sample.case_id if subject == stem else _subject_case(self, subject)
            yield sample

    def _masks(self, root: Path, image: Path, shape: tuple[int, ...], stem: str, configured: dict[int, str]
               ) -> tuple[np.ndarray | None, dict[int, str]]:
        masks = derivative_masks(root, image)
        if not masks:
            return None, configured
        regions: list[tuple[np.ndarray, str]] = []
        for mask in masks:
            resolve_inside(root, str(mask.relative_to(root)), f"{image}: derivative")
            data, affine = load_nifti(str(mask), self.config.limits)
            if data.shape[:3] != shape:
                raise SampleError("mask_shape_mismatch", f"{mask}: mask shape {data.shape} differs from image {shape}")
            if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
                raise SampleError("non_finite_pixels", f"{mask}: the mask contains NaN or infinity")
            values_zyx, _ = to_lps_zyx(np.rint(data).astype(np.int32), affine)
            values = present_label_values(values_zyx)
            check_label_values(values, {}, str(mask), origin="")  # negative values keep their sign: refused
            values = [int(v) for v in values if v > 0]
            found = mask_names(mask, stem, values)
            usable = configured if len(masks) == 1 else {}
            named = {**found, **{v: usable[v] for v in values if v in usable}}
            if mask.with_name(_stem(mask) + ".tsv").is_file() or usable:  # a label map exists: it must name all
                check_label_values(values, named, str(mask), origin=".tsv / label_names")
            for value in values:
                regions.append((values_zyx == value, named.get(value) or f"region {value}"))
        # larger regions first, so a lesion inside the cord keeps all its voxels
        combined = np.zeros(regions[0][0].shape, dtype=np.int32) if regions else None
        names: dict[int, str] = {}
        value_of: dict[str, int] = {}
        for region, name in sorted(regions, key=lambda entry: -int(entry[0].sum())):
            target = value_of.setdefault(name, len(value_of) + 1)
            names[target] = name
            combined[region] = target
        return combined, names


def _subject_case(reader: Reader, subject: str) -> str:
    from medtrinity.preprocess.deid import case_id

    return case_id(reader.source.name, subject, reader.config.case_id_salt)


def bids_root(path: Path) -> bool:
    """Whether ``path`` looks like a BIDS dataset: ``dataset_description.json`` or ``sub-*`` folders of data."""
    if (path / "dataset_description.json").is_file() and any(path.glob("sub-*")):
        return True
    return any(re.match(r"sub-[A-Za-z0-9]+$", p.name) for p in path.glob("sub-*") if p.is_dir()) and bool(
        bids_images(path)[:1])
