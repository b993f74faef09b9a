"""DICOM series (pydicom) as volumes, with DICOM SEG (highdicom) and RTSTRUCT annotations.

``path`` is a folder tree (or glob) of DICOM files. Files are grouped by ``SeriesInstanceUID``;
each image series is one item. Slices are sorted by their position along the slice normal,
rescale slope and intercept are applied per slice, compressed transfer syntaxes are decoded
by the installed pydicom plugins (JPEG, JPEG-LS, JPEG 2000, RLE). The volume is brought to the
canonical LPS ``[z, y, x]`` order from ``ImageOrientationPatient``.

Annotations are found under ``labels`` (a folder, file or glob; default: ``path`` itself):

* **DICOM SEG** files are linked to their source series by the referenced ``SeriesInstanceUID``
  and read with highdicom; fractional segments are thresholded (``options.fractional_threshold``,
  default 0.5); overlapping segments are painted largest first, so a small segment (a lesion
  inside an organ) keeps all its pixels and the larger one loses the overlap.
* **RTSTRUCT** contours (``CLOSED_PLANAR``) are rasterised onto the slice they lie in; holes
  (contours inside contours of the same ROI) are cut out by even-odd filling.
* A **label volume** (``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha``) on the series grid is reoriented the
  same way (any storage orientation) and must match the series shape.

A SEG or RTSTRUCT whose source series is not among the inputs becomes a reject
(``missing_source_series``). The case id is a salted hash of the StudyInstanceUID; no header
identifier leaves the reader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from medtrinity.preprocess.deid import case_id
from medtrinity.records import Sample, SampleError
from medtrinity.registry import PluginOptions, require_dependency
from medtrinity.sources.base import READERS, Reader, read_failure
from medtrinity.sources.dicom_annotations import (
    LabelCanvas,
    load_label_volume_lps,
    paint_rtstruct,
    paint_seg,
    segment_name,
)
from medtrinity.sources.dicom_geometry import has_geometry, load_series, multiframe_file
from medtrinity.sources.dicom_index import (
    ANNOTATION_MODALITIES,
    LABEL_VOLUME_SUFFIXES,
    NON_IMAGE_MODALITIES,
    UNREADABLE,
    DicomHeader,
    holds_dicom,
    scan_headers,
)
from medtrinity.sources.dicom_privacy import body_part_term, check_burned_in
from medtrinity.sources.layout import LayoutMatch
from medtrinity.sources.safety import check_label_values
from medtrinity.sources.volume import Volume, reorient_to_lps, volume_samples
from medtrinity.vocab.labels import is_finding
from medtrinity.vocab.modalities import DICOM_MODALITY

__all__ = ["ANNOTATION_MODALITIES", "NON_IMAGE_MODALITIES", "UNREADABLE", "DicomSeriesReader", "scan_headers",
           "segment_name"]


class DicomSeriesOptions(PluginOptions):
    """Options of the ``dicom_series`` reader: overlay area floor, SEG threshold, RTSTRUCT renames."""

    overlay_min_area_px: int = Field(default=50, ge=0)
    fractional_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    rtstruct_names: dict[str, str] = Field(default_factory=dict)


@READERS.register("dicom_series")
class DicomSeriesReader(Reader):
    """``path``: a folder tree of DICOM files; each image series is one volume (2D images such as radiographs,
    which have no patient position, are read like ``dicom_files``, overlays included).

    ``labels``: SEG/RTSTRUCT files or folders (default: found under ``path``), or a label volume
    (NIfTI/NRRD/MHA) on the series grid, named by ``label_map``/``label_names``.
    Options: ``fractional_threshold`` (0.5), ``rtstruct_names`` (ROI name -> readable name).
    """

    formats = ("DICOM image series (any transfer syntax with a decoder: JPEG, JPEG-LS, JPEG 2000, RLE) "
               "with DICOM SEG, RTSTRUCT or a label volume")
    Options = DicomSeriesOptions
    dependencies = (("pydicom", "pip install pydicom"), ("highdicom", "pip install highdicom"),
                    ("pylibjpeg", "pip install pylibjpeg pylibjpeg-openjpeg pylibjpeg-libjpeg"))
    volumetric = True

    def _label_volume(self) -> bool:
        return bool(self.source.labels and self.source.labels.lower().endswith(LABEL_VOLUME_SUFFIXES))

    def _annotation_root(self) -> str:
        labels = self.source.labels
        if labels and not labels.lower().endswith(LABEL_VOLUME_SUFFIXES):
            return labels
        return self.source.path

    def _index(self) -> tuple[dict[str, list[str]], list[DicomHeader]]:
        series: dict[str, list[str]] = defaultdict(list)
        annotations: list[DicomHeader] = []
        self._unreadable = []
        for header in scan_headers(self.source.path):
            if header.modality == UNREADABLE:
                self._unreadable.append(header.path)
            elif header.modality in ANNOTATION_MODALITIES:
                annotations.append(header)
            elif header.modality not in NON_IMAGE_MODALITIES:
                series[header.series_uid].append(header.path)
        if self._annotation_root() != self.source.path:
            annotations = [h for h in scan_headers(self._annotation_root()) if h.modality in ANNOTATION_MODALITIES]
        return series, annotations

    inspect_priority = 70

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A DICOM file, or a folder tree holding one (DICM marker at byte 128 or a .dcm suffix)."""
        return LayoutMatch(cls.inspect_priority, "DICOM files") if holds_dicom(path) else None

    def list_items(self) -> list[str]:
        require_dependency(self, "pydicom")
        series, annotations = self._index()
        if not series and not annotations:
            raise FileNotFoundError(f"no DICOM files found under {self.source.path!r}")
        items = [f"{Path(min(paths)).parent}#{uid}" for uid, paths in series.items()]
        # an annotation whose source series is absent is an item of its own, so that it becomes a reject
        items += [h.path for h in annotations if not set(h.referenced_series) & set(series)]
        items += self._unreadable  # each unreadable file becomes a reject naming it
        return sorted(items)

    def read(self, item: str) -> Iterator[Sample]:
        series_index, annotations = self._index()
        if item in self._unreadable:
            import pydicom

            try:
                pydicom.dcmread(item, force=True)
            except Exception as error:
                raise read_failure(item, error) from error
            raise SampleError("unreadable_file", f"{item}: not a DICOM file with an image header")
        header = next((h for h in annotations if h.path == item), None)
        if header is not None and not set(header.referenced_series) & set(series_index):
            raise SampleError("missing_source_series", f"{item}: this {header.modality} references series "
                              f"{', '.join(header.referenced_series) or '(none)'}, not found under {self.source.path}")
        uid = item.rsplit("#", 1)[-1]
        if uid not in series_index:
            raise SampleError("missing_series", f"{item}: the series is no longer found under {self.source.path}")
        files = sorted(series_index[uid])
        annotated = any(uid in header.referenced_series for header in annotations)
        # radiographs and photos (no patient position), and lone images without SEG/RTSTRUCT, are 2D samples
        lone = len(files) == 1 and not annotated and not self._label_volume() and not multiframe_file(files[0])
        if not has_geometry(files[0]) or lone:
            from medtrinity.sources.dicom_files import DicomFilesReader

            flat = DicomFilesReader(self.source, self.config)
            for path in files:
                yield from flat.read(path)
            return
        limits = self.config.limits
        series = load_series(files, self.options.overlay_min_area_px, limits)
        canvas = LabelCanvas(series.data.shape)
        configured = self.label_names()
        threshold = self.options.fractional_threshold
        rt_names = self.options.rtstruct_names
        for header in annotations:
            if uid not in header.referenced_series:
                continue
            if header.modality == "SEG":
                paint_seg(header.path, series, canvas, configured, threshold, limits)
            else:
                paint_rtstruct(header.path, series, canvas, rt_names)
        for number, mask in series.overlays.items():
            canvas.add(mask, configured.get(number, f"overlay region {number}"), False)
        directions = series.geometry.axis_directions()
        data = reorient_to_lps(series.data, directions)
        labels, names, coded_findings = None, configured, set()
        if canvas.regions:
            grid, names, coded_findings = canvas.render()
            labels = reorient_to_lps(grid, directions)
        elif self._label_volume():
            labels = load_label_volume_lps(self.source.labels, limits)
            if labels.shape != data.shape:
                raise SampleError("mask_shape_mismatch", f"{self.source.labels}: label volume shape {labels.shape} "
                                  f"differs from the series shape {data.shape} (both in LPS order)")
            check_label_values(labels, names, str(self.source.labels),
                               origin="label_names/label_map")
        first = series.first
        check_burned_in(first, item, self.config.privacy)
        dicom_modality = str(first.get("Modality", "") or "")
        modality = self.source.modality or DICOM_MODALITY.get(dicom_modality, "other")
        body_part = self.source.body_part or body_part_term(str(first.get("BodyPartExamined", "") or ""))
        if body_part in ("partialbody", "wholebody"):
            body_part = ""
        volume = Volume(
            data=data,
            spacing_xyz_mm=series.geometry.spacing_xyz_lps(),
            labels=labels,
            intensity_unit="HU" if dicom_modality == "CT" else "",
            metadata={**series.metadata, **canvas.notes, "format": "dicom series"},
        )
        study = str(first.get("StudyInstanceUID", "") or uid)
        for sample in volume_samples(volume, source=self.source, config=self.config, case_key=uid,
                                     source_file=item, label_names=names, modality=modality, body_part=body_part):
            sample.case_id = case_id(self.source.name, study, self.config.case_id_salt)
            if coded_findings:
                sample.finding_labels = sample.finding_labels | frozenset(
                    n for n in coded_findings if self.source.findings is None or is_finding(n, self.source.findings))
            yield sample
