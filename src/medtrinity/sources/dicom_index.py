"""DICOM header index: which files under a path are DICOM, and their modality, series and references.

Only a few tags are read per file (the whole header for SEG/RTSTRUCT, to find the series they annotate);
results are cached per process by path, size and modification time, so inspecting and reading share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medtrinity.records import stable_id
from medtrinity.sources.layout import data_files, remembered
from medtrinity.sources.safety import safe_glob, walk_files

ANNOTATION_MODALITIES = ("SEG", "RTSTRUCT")
# documents, presentation states and plans carry no image to annotate
NON_IMAGE_MODALITIES = frozenset({"SR", "ANN", "KO", "PR", "RTPLAN", "RTDOSE", "RTRECORD", "REG", "FID", "DOC",
                                  "PLAN", "AU", "ECG", "HD"})
LABEL_VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
# RT ROI types that are not anatomy or disease (body outline, couch, markers): skipped by default.
_HEADER_TAGS = ["Modality", "SeriesInstanceUID", "StudyInstanceUID", "SOPInstanceUID", "SOPClassUID",
                "ImagePositionPatient", "ImageOrientationPatient"]


@dataclass(frozen=True)
class DicomHeader:
    """What the scan keeps of one file's header (never written anywhere)."""

    path: str
    modality: str
    series_uid: str
    referenced_series: tuple[str, ...] = ()


def looks_like_dicom(path: Path) -> bool:
    """A file with the DICM marker at byte 128, or with a .dcm suffix."""
    if path.suffix.lower() in (".dcm", ".dicom"):
        return True
    try:
        with path.open("rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def holds_dicom(path: Path) -> bool:
    """Whether a file is DICOM, or a folder tree holds a DICOM file (stops at the first; 132 bytes read per file)."""
    def probe() -> bool:
        candidates = [path] if path.is_file() else data_files(path) if path.is_dir() else []
        return any(not p.name.lower().endswith(LABEL_VOLUME_SUFFIXES) and looks_like_dicom(p) for p in candidates)

    return remembered(("dicom", path), probe)


def dicom_files_under(pattern: str) -> list[Path]:
    """DICOM files in a file, a folder tree or a glob, sorted."""
    root = Path(pattern)
    if root.is_file():
        candidates = [root]
    elif root.is_dir():
        candidates = list(walk_files(root))  # never enters linked folders: no cycles, each file once
    else:
        candidates = [Path(p) for p in safe_glob(pattern)]
    return sorted(p for p in candidates if not p.name.lower().endswith(LABEL_VOLUME_SUFFIXES) and looks_like_dicom(p))


def _referenced_series(dataset) -> tuple[str, ...]:
    found: list[str] = []
    for item in dataset.get("ReferencedSeriesSequence", []) or []:  # SEG
        if item.get("SeriesInstanceUID"):
            found.append(str(item.SeriesInstanceUID))
    for frame in dataset.get("ReferencedFrameOfReferenceSequence", []) or []:  # RTSTRUCT
        for study in frame.get("RTReferencedStudySequence", []) or []:
            for series in study.get("RTReferencedSeriesSequence", []) or []:
                if series.get("SeriesInstanceUID"):
                    found.append(str(series.SeriesInstanceUID))
    return tuple(dict.fromkeys(found))


UNREADABLE = "?unreadable"
_HEADER_CACHE: dict[tuple[str, int, int], DicomHeader] = {}


def _read_header(path: Path) -> DicomHeader:
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_HEADER_TAGS, force=True)
        modality = str(dataset.get("Modality", "") or "")
        if modality in ANNOTATION_MODALITIES:
            dataset = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        if "SOPInstanceUID" not in dataset and "Modality" not in dataset:
            raise ValueError("no DICOM header found")
    except Exception:  # noqa: BLE001 - the file becomes an item of its own, read as a reject
        return DicomHeader(str(path), UNREADABLE, "")
    # anonymised files may lack the series UID: their folder then stands for the series
    series_uid = str(dataset.get("SeriesInstanceUID", "") or "") or f"folder-{stable_id(path.parent)}"
    references = _referenced_series(dataset) if modality in ANNOTATION_MODALITIES else ()
    return DicomHeader(str(path), modality, series_uid, references)


def scan_headers(pattern: str) -> tuple[DicomHeader, ...]:
    """Headers of every DICOM file under ``pattern``; cached per process by path, size and modification time."""
    headers: list[DicomHeader] = []
    for path in dicom_files_under(pattern):
        try:
            stat = path.stat()
        except OSError:
            continue
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in _HEADER_CACHE:
            _HEADER_CACHE[key] = _read_header(path)
        headers.append(_HEADER_CACHE[key])
    return tuple(headers)
