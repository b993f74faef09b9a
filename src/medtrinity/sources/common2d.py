"""What every 2D reader shares: building the Sample, boxes as masks, label maps from named masks."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from medtrinity.preprocess.deid import allowed_metadata, case_id
from medtrinity.records import BOX_ORIGIN, Sample, SampleError, stable_id
from medtrinity.sources.base import Reader
from medtrinity.vocab.labels import is_finding, readable_label

Box = tuple[float, float, float, float]

# a box may stick out of the image by this share of the image size (rounding, annotation tools); more is a reject
BOX_TOLERANCE = 0.02


def sample_2d(
    reader: Reader,
    *,
    key: str,
    pixels: np.ndarray,
    source_file: str,
    case_key: str,
    label_map: np.ndarray | None = None,
    names: dict[int, str] | None = None,
    image_labels: Iterable[str] = (),
    boxes: list[tuple[str, Box]] | None = None,
    spacing_mm: tuple[float, float] | None = None,
    metadata: dict | None = None,
    plane: str | None = None,
    box_labels: Iterable[str] | None = None,
) -> Sample:
    """A 2D Sample with the reader's source settings; names are made readable, findings marked.

    ``box_labels``: the labels whose regions in ``label_map`` are painted boxes, not outlines (default: every
    label of ``boxes``); their origin is ``box``, so grounding states their box and never a shape, margin,
    texture or intensity the box cannot show.
    """
    source = reader.source
    names = {int(value): readable_label(name) for value, name in (names or {}).items()}
    labels = [readable_label(label) for label in image_labels]
    if spacing_mm is None and reader.options.spacing_mm:
        spacing_mm = reader.options.spacing_mm
    # a detection box marks a finding unless the config lists which labels are findings
    box_names = {readable_label(label) for label, _ in boxes or []}
    findings = {n for n in set(names.values()) | box_names if is_finding(n, source.findings)}
    if source.findings is None:
        findings |= box_names
    from medtrinity.sources.name_conventions import file_modality

    return Sample(
        id=stable_id(source.name, key, "2d", 0),
        source=source.name,
        case_id=case_id(source.name, case_key, reader.config.case_id_salt),
        modality=file_modality(reader, source_file),  # SAM-Med2D: ct_/mr_ prefixes in one folder
        body_part=source.body_part,
        pixels=pixels,
        spacing_mm=spacing_mm,
        plane=plane or reader.options.plane,
        slice_index=-1,
        label_map=label_map,
        label_names=names,
        finding_labels=frozenset(findings),
        image_labels=list(dict.fromkeys(labels)),
        input_boxes=[(readable_label(label), box) for label, box in boxes or []],
        label_origins={readable_label(label): BOX_ORIGIN
                       for label in (box_names if box_labels is None else box_labels)},
        metadata=allowed_metadata(metadata or {}),
        license=source.license,
        source_file=source_file,
    )


def check_box(box: Box, shape_hw: tuple[int, ...], where: str) -> Box:
    """Clip a box that sticks out of the image by a rounding margin; reject a degenerate or outside one."""
    height, width = shape_hw[:2]
    x0, y0, x1, y1 = (float(value) for value in box)
    if not all(np.isfinite([x0, y0, x1, y1])) or x1 <= x0 or y1 <= y0:
        raise SampleError("bad_box", f"{where}: box {box} is empty or not finite")
    slack_x, slack_y = BOX_TOLERANCE * width + 1, BOX_TOLERANCE * height + 1
    if x0 < -slack_x or y0 < -slack_y or x1 > width + slack_x or y1 > height + slack_y:
        raise SampleError("box_outside_image",
                          f"{where}: box ({x0:.1f}, {y0:.1f}, {x1:.1f}, {y1:.1f}) lies outside the "
                          f"{width}x{height} image")
    return (max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1))


def label_map_type(largest_value: int) -> type:
    """The smallest type for a label map painted here: uint8 up to 255 labels (a quarter of int32's bytes,
    which preprocessing reads again to resize it), int32 beyond."""
    return np.uint8 if largest_value <= 255 else np.int32


def boxes_label_map(shape_hw: tuple[int, ...], boxes: list[tuple[str, Box]],
                    label_map: np.ndarray | None = None, names: dict[int, str] | None = None
                    ) -> tuple[np.ndarray, dict[int, str]]:
    """Paint each box as a filled rectangle with its label's own value (largest first, so small boxes stay whole).

    Without a ``label_map`` to paint on, the map is uint8 when the values fit (:func:`label_map_type`)."""
    names = dict(names or {})
    value_of = {readable_label(name): value for value, name in names.items()}
    painted = []
    for label, (x0, y0, x1, y1) in sorted(boxes, key=lambda b: -(b[1][2] - b[1][0]) * (b[1][3] - b[1][1])):
        name = readable_label(label)
        if name not in value_of:
            value_of[name] = max([0, *names]) + 1
            names[value_of[name]] = name
        c0, r0 = int(np.floor(x0 + 1e-6)), int(np.floor(y0 + 1e-6))  # tolerate float noise at pixel edges
        c1, r1 = max(c0 + 1, int(np.ceil(x1 - 1e-6))), max(r0 + 1, int(np.ceil(y1 - 1e-6)))
        painted.append((r0, r1, c0, c1, value_of[name]))
    if label_map is None:
        result = np.zeros(shape_hw[:2], dtype=label_map_type(max([0, *names])))
    else:
        result = label_map.astype(np.int32, copy=True)
    for r0, r1, c0, c1, value in painted:
        result[r0:r1, c0:c1] = value
    return result, names


def masks_label_map(masks: list[tuple[str, np.ndarray]], shape_hw: tuple[int, ...], where: str
                    ) -> tuple[np.ndarray, dict[int, str]]:
    """Binary masks named by label -> one label map; same label = same value; largest painted first
    (uint8 when the values fit: :func:`label_map_type`)."""
    label_count = len({readable_label(label) for label, _ in masks})
    label_map = np.zeros(shape_hw[:2], dtype=label_map_type(label_count))
    names: dict[int, str] = {}
    value_of: dict[str, int] = {}
    for label, mask in masks:
        if mask.shape[:2] != tuple(shape_hw[:2]):
            raise SampleError("mask_shape_mismatch",
                              f"{where}: mask {label!r} has shape {mask.shape[:2]}, the image {tuple(shape_hw[:2])}")
    for label, mask in sorted(masks, key=lambda m: -int(np.count_nonzero(m[1]))):
        name = readable_label(label)
        value = value_of.setdefault(name, len(value_of) + 1)
        names[value] = name
        label_map[mask > 0] = value
    return label_map, names


def polygon_mask(shape_hw: tuple[int, ...], polygons: list[list[float]]) -> np.ndarray:
    """COCO-style flat polygons [x0, y0, x1, y1, ...] (pixel corners) filled into a binary mask."""
    mask = np.zeros(shape_hw[:2], dtype=np.uint8)
    shift = 4
    for polygon in polygons:
        points = np.asarray(polygon, dtype=np.float64).reshape(-1, 2) - 0.5  # corners -> pixel centres
        if len(points) >= 3:
            cv2.fillPoly(mask, [np.rint(points * (1 << shift)).astype(np.int32)], 1, shift=shift)
    return mask


def read_table(path: str) -> list[dict[str, str]]:
    """A CSV (or .csv.gz, or tab-separated .tsv) as a list of row dicts; errors name the file."""
    try:
        raw = Path(path).read_bytes()
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as error:
        raise ValueError(f"table {path!r} is unreadable: {error}") from error
    delimiter = "\t" if path.endswith((".tsv", ".tsv.gz")) else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


_FILE_CACHE: dict[tuple, object] = {}


def cached_by_file(path: str, key: str, build):
    """``build()`` once per process for a file's (path, size, mtime) and ``key``: shards read a big table once."""
    stat = Path(path).stat()
    cache_key = (str(path), stat.st_size, stat.st_mtime_ns, key)
    if cache_key not in _FILE_CACHE:
        if len(_FILE_CACHE) >= 8:
            _FILE_CACHE.pop(next(iter(_FILE_CACHE)))
        _FILE_CACHE[cache_key] = build()
    return _FILE_CACHE[cache_key]
