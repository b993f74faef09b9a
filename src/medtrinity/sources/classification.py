"""Image-level labels: a CSV table of image names with labels (NIH ChestX-ray14), and ImageFolder trees.

A label table may also bring boxes from a second CSV (``options.boxes``) whose coordinates live in
another frame than the stored image (NIH ``BBox_List_2017.csv`` is in the 1024x1024 frame):
``options.box_frame: [1024, 1024]`` rescales them to the image actually read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveFloat

from medtrinity.config import SourceConfig
from medtrinity.io.images import IMAGE_SUFFIXES
from medtrinity.records import Sample, SampleError
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths
from medtrinity.sources.common2d import Box, boxes_label_map, cached_by_file, check_box, read_table, sample_2d
from medtrinity.sources.image_files import read_image
from medtrinity.sources.layout import (
    TABLE_SUFFIXES,
    LayoutMatch,
    data_files,
    has_suffix,
    image_files,
    table_names_images,
    visible_folders,
)
from medtrinity.sources.safety import reject_shared_keys, safe_glob
from medtrinity.vocab.labels import is_no_finding


def _column(rows: list[dict[str, str]], wanted, fallbacks: tuple[str, ...], table: str) -> str:
    columns = list(rows[0]) if rows else []
    if wanted is not None:
        if isinstance(wanted, int):
            return columns[wanted]
        if wanted not in columns:
            raise ValueError(f"table {table!r} has no column {wanted!r}; columns: {columns}")
        return str(wanted)
    for name in fallbacks:
        for column in columns:
            if column.lower() == name:
                return column
    for column in columns:  # the first column whose values look like image file names
        if rows and str(rows[0][column]).lower().endswith(IMAGE_SUFFIXES):
            return column
    raise ValueError(f"table {table!r}: no image column found among {columns}; set options.image_column")


_VIEW_TOKENS = {"pa": "pa", "ap": "ap", "ll": "lateral", "rl": "lateral", "lat": "lateral", "lateral": "lateral",
                "lao": "oblique", "rao": "oblique", "lpo": "oblique", "rpo": "oblique", "oblique": "oblique"}


def _view_position(value) -> str:
    """'PA', 'AP', 'LL', 'LATERAL' ... (NIH ChestX-ray14 ``View Position``, CheXpert ``AP/PA``) -> a token or ''."""
    return _VIEW_TOKENS.get(str(value or "").strip().lower(), "")


def parse_box_rows(rows: list[dict[str, str]], options, table: str) -> dict[str, list[tuple[str, Box | str]]]:
    """Box CSV rows -> {image name: [(label, (x0, y0, x1, y1)), ...]} in the CSV's own frame.

    ``options`` is the reader's options model: ``box_columns`` ([image, label, a, b, c, d] column names or
    positions; none: the first six) and ``box_format`` (``xywh`` or ``xyxy``; each reader's model sets its default).
    A row whose coordinates do not parse is kept as ``(label, "<why>")`` in its image's list, so only that
    image becomes a reject (see :func:`usable_boxes`), never every image of the table. Columns missing
    from the table are a SampleError (``bad_box_table``) naming them.
    """
    if not rows:
        return {}
    columns = list(rows[0])
    spec = options.box_columns or list(range(6))
    try:
        names = [columns[c] if isinstance(c, int) else str(c) for c in spec]
    except IndexError as error:
        raise SampleError("bad_box_table", f"{table}: box_columns {spec} name positions beyond the table's "
                                           f"{len(columns)} columns") from error
    missing = [name for name in names if name not in columns]
    if missing:
        raise SampleError("bad_box_table", f"{table}: no column(s) {missing} among {columns}; fix box_columns")
    image_col, label_col, *coordinate_cols = names
    boxes: dict[str, list[tuple[str, Box | str]]] = defaultdict(list)
    fmt = options.box_format
    for number, row in enumerate(rows, start=2):
        if all(str(row.get(col, "") or "").strip().lower() in ("", "nan") for col in coordinate_cols):
            continue  # an image-level row without a box (VinDr-CXR "No finding")
        try:
            a, b, c, d = (float(row[col]) for col in coordinate_cols)
        except (TypeError, ValueError) as error:
            boxes[Path(str(row[image_col])).name].append(
                (str(row[label_col]), f"{table} line {number}: bad box coordinates ({error})"))
            continue
        box = (a, b, a + c, b + d) if fmt == "xywh" else (a, b, c, d)
        boxes[Path(str(row[image_col])).name].append((str(row[label_col]), box))
    return dict(boxes)


def usable_boxes(entries: list[tuple[str, Box | str]], where: str) -> list[tuple[str, Box]]:
    """An image's box-table entries, or a ``bad_box`` reject naming the table line that did not parse."""
    for _, box in entries:
        if isinstance(box, str):
            raise SampleError("bad_box", f"{where}: {box}; fix that row of the box table")
    return list(entries)


def rescale_boxes(boxes: list[tuple[str, Box]], frame_wh, shape_hw) -> list[tuple[str, Box]]:
    """Boxes given in a ``frame_wh`` (width, height) frame -> pixels of an image of ``shape_hw``."""
    if not frame_wh:
        return boxes
    fx, fy = shape_hw[1] / float(frame_wh[0]), shape_hw[0] / float(frame_wh[1])
    return [(label, (x0 * fx, y0 * fy, x1 * fx, y1 * fy)) for label, (x0, y0, x1, y1) in boxes]


class CsvLabelsOptions(Image2DOptions):
    """Options of the ``csv_labels`` reader (see the reader's docstring)."""

    image_column: str | None = None
    label_column: str | None = None
    label_columns: list[str] | None = None
    separator: str = "|"
    rename: dict[str, str] = Field(default_factory=dict)
    keep_no_finding: bool = False
    case_column: str | None = None
    case_part: int | None = None
    key_parts: int = Field(default=1, ge=1)
    match_stem: bool = False
    metadata_columns: dict[str, str] = Field(default_factory=dict)
    pixel_spacing_columns: tuple[str, str] | None = None
    original_size_columns: tuple[str, str] | None = None
    boxes: str | None = None
    box_columns: list[str | int] | None = Field(default=None, min_length=6, max_length=6)
    box_format: Literal["xywh", "xyxy"] = "xywh"
    box_frame: tuple[PositiveFloat, PositiveFloat] | None = None


@READERS.register("csv_labels")
class CsvLabelsReader(Reader):
    """``path``: image folder or glob; ``labels``: the CSV (or .csv.gz) table of image names and labels.

    Options: ``image_column`` (default: "Image Index", "image", "path", "filename" or the first column of
    file names), ``label_column`` + ``separator`` (one column, labels split by ``|``) or
    ``label_columns`` (one 0/1 column per class), ``case_column`` (what identifies a patient: hashed),
    ``metadata_columns`` ({column: allow-listed key}, e.g. {"View Position": "ViewPosition"}),
    ``key_parts`` / ``match_stem`` (how rows and images are matched, see ``_key``), ``case_part`` (which part
    of the image path is the patient), ``rename`` (label as stored -> report term),
    ``pixel_spacing_columns`` + ``original_size_columns`` (spacing of the original image, rescaled to the
    stored one), ``boxes`` (a box CSV, see :func:`parse_box_rows`) with ``box_frame`` ([width, height]).
    """

    formats = "CSV tables of image names with labels (one column with a separator, or one 0/1 column per class)"
    Options = CsvLabelsOptions

    inspect_priority = 60

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A folder with a CSV/TSV whose first rows name image files."""
        if not path.is_dir():
            return None
        table = next((p for p in data_files(path, recursive=False)
                      if has_suffix(p, TABLE_SUFFIXES) and table_names_images(p)), None)
        return LayoutMatch(cls.inspect_priority, f"table {table.name} of image names") if table else None

    @classmethod
    def source_problems(cls, source: SourceConfig) -> list[str]:
        if not source.labels:
            return ["labels: the csv_labels reader needs `labels:` (the CSV table of image names and labels)"]
        return []

    def list_items(self) -> list[str]:
        images = expand_paths(self.source.path, IMAGE_SUFFIXES)
        table = self._table()
        listed = reject_shared_keys([path for path in images if self._key(path) in table], self._key,
                                    str(self.source.labels),
                                    "set options.key_parts so the table's image names include the folders")
        if self._boxes:  # boxes are looked up by the bare file name
            listed = reject_shared_keys(listed, lambda path: Path(path).name, str(self.options.boxes),
                                        "give the images unique file names (the box table names images only)",
                                        has_row=lambda path: Path(path).name in self._boxes)
        return listed

    def _key(self, path: str) -> str:
        """How an image and a table row are matched: the file name, or its last ``key_parts`` path parts
        (CheXpert's ``train/patient00001/study1/view1_frontal.jpg``); ``match_stem`` drops the extension
        (HAM10000's ``image_id`` column holds ``ISIC_0024306`` for ``ISIC_0024306.jpg``)."""
        key = "/".join(Path(str(path).replace("\\", "/")).parts[-self.options.key_parts:])
        if self.options.match_stem:
            key = key.rsplit(".", 1)[0] if "." in Path(key).name else key
        return key

    def _table(self) -> dict[str, dict[str, str]]:
        if not hasattr(self, "_rows"):
            if not self.source.labels:
                raise ValueError(f"source {self.source.name!r}: csv_labels needs `labels:` pointing at the CSV table")
            labels, wanted = self.source.labels, self.options.image_column

            def by_image() -> dict[str, dict[str, str]]:
                rows = read_table(labels)
                column = _column(rows, wanted, ("image index", "image", "image_path", "path", "filename", "file",
                                                "image_id"), labels)
                return {self._key(row[column]): row for row in rows}

            spec = f"rows:{wanted}:{self.options.key_parts}:{self.options.match_stem}"
            self._rows = cached_by_file(labels, spec, by_image)
            boxes_path = self.options.boxes
            spec = f"boxes:{self.options.box_columns}:{self.options.box_format}"
            self._boxes = cached_by_file(str(boxes_path), spec, lambda: parse_box_rows(
                read_table(str(boxes_path)), self.options, str(boxes_path))) if boxes_path else {}
        return self._rows

    def labels_of(self, row: dict[str, str]) -> list[str]:
        options = self.options
        if options.label_columns:
            return [options.rename.get(str(c), str(c)) for c in options.label_columns
                    if str(row.get(c, "")).strip() in ("1", "1.0", "True")]
        column = options.label_column or next(
            (c for c in row if c.lower() in ("finding labels", "labels", "label", "class", "diagnosis")), None)
        if column is None:
            raise ValueError(f"{self.source.labels}: set options.label_column or options.label_columns")
        values = [part.strip() for part in str(row.get(column, "")).split(options.separator)]
        values = [options.rename.get(value, value) for value in values]
        return [value for value in values if (value and not is_no_finding(value)) or options.keep_no_finding]

    def read(self, item: str) -> Iterator[Sample]:
        name = Path(item).name
        row = self._table().get(self._key(item))
        if row is None:
            raise SampleError("missing_row", f"{item}: no row for this image in {self.source.labels}")
        pixels = read_image(item, self.config.limits)
        options = self.options
        spacing = None
        if options.pixel_spacing_columns:
            sx, sy = (float(row[c]) for c in options.pixel_spacing_columns)
            if options.original_size_columns:
                width, height = (float(row[c]) for c in options.original_size_columns)
                sx, sy = sx * width / pixels.shape[1], sy * height / pixels.shape[0]
            spacing = (sx, sy)
        boxes = rescale_boxes(usable_boxes(self._boxes.get(name, []), item), options.box_frame, pixels.shape)
        # the box table names findings as the label table does: the same renames (NIH "Effusion" -> pleural effusion)
        boxes = [(options.rename.get(label, label), check_box(box, pixels.shape, item)) for label, box in boxes]
        label_map, names = boxes_label_map(pixels.shape, boxes) if boxes else (None, {})
        wanted = options.metadata_columns
        metadata = {key: row[column] for column, key in wanted.items() if column in row}
        view = _view_position(metadata.get("ViewPosition", metadata.get("view_position")))
        metadata.pop("view_position", None)
        if view:
            metadata["view_position"] = view  # the acquisition-fact token the modality sentence states
        case_column = options.case_column
        case_part = options.case_part  # CheXpert: -3 = the patient folder of the image path
        case_key = str(row[case_column]) if case_column else (
            Path(item).parts[int(case_part)] if case_part is not None else Path(item).stem)
        if "ViewPosition" in metadata:
            from medtrinity.sources.acquisition import view_position_token

            view = view_position_token(str(metadata["ViewPosition"]))
            if view:
                metadata["view_position"] = view
        yield sample_2d(self, key=self.item_key(item), pixels=pixels, source_file=item,
                        case_key=case_key,
                        label_map=label_map, names=names, image_labels=self.labels_of(row), boxes=boxes,
                        spacing_mm=spacing, metadata={**metadata, "format": Path(item).suffix.lstrip(".")},
                        plane="projection" if self.source.modality == "xray" else None)


class ImageFolderOptions(Image2DOptions):
    """Options of the ``image_folder`` reader: class folder renames, and whether "no finding" classes are labels."""

    rename: dict[str, str] = Field(default_factory=dict)
    keep_no_finding: bool = False


SPLIT_NAMES = frozenset({"train", "training", "val", "valid", "validation", "test", "testing", "dev"})


def is_archive_debris(relative: Path) -> bool:
    """Hidden files and folders, macOS ``__MACOSX`` copies and ``._`` resource forks: never images to read."""
    return any(part.startswith((".", "__")) for part in relative.parts)


def class_and_split(relative: Path) -> tuple[str, str]:
    """(class folder, split folder or '') of an image path relative to an ImageFolder root."""
    parts = relative.parts
    if len(parts) >= 3 and parts[0].lower() in SPLIT_NAMES:
        return parts[1], parts[0].lower()
    return parts[0], ""


@READERS.register("image_folder")
class ImageFolderReader(Reader):
    """``path``: a root folder with one subfolder per class (``root/<class>/<image>``), torchvision style.

    Split folders above the classes (``root/train/<class>/<image>``, also ``val``, ``test``...) are
    read as such: the class is the folder below, the split goes to ``metadata["split"]``. A class that
    says "no finding" (``NORMAL``, ``healthy``) gives no image label, as in label tables, unless
    ``options.keep_no_finding``; ``options.rename`` maps folder names to report terms.
    """

    formats = "ImageFolder trees: one subfolder per class, optionally under train/val/test split folders"
    Options = ImageFolderOptions

    inspect_priority = 50

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """``root/<class>/<image>`` (two or more class folders, or split folders above them), no loose images."""
        if not path.is_dir():
            return None
        subfolders = visible_folders(path)
        if len(subfolders) < 2 and not (subfolders and subfolders[0].name.lower() in SPLIT_NAMES):
            return None
        if not all(image_files(data_files(p)) for p in subfolders) or image_files(data_files(path, recursive=False)):
            return None
        if {p.name.lower() for p in subfolders} & {"images", "masks", "labels", "imagestr"}:
            return None
        return LayoutMatch(cls.inspect_priority, f"one image folder per class ({len(subfolders)} folders)")

    def list_items(self) -> list[str]:
        root = Path(self.source.path)
        if not root.is_dir():
            raise FileNotFoundError(f"image_folder needs a folder, got {self.source.path!r}")
        found = safe_glob(str(root / "*" / "**" / "*"))  # never follows folder links, each file once
        return [path for path in found if path.lower().endswith(IMAGE_SUFFIXES)
                and not is_archive_debris(Path(path).relative_to(root))]

    def read(self, item: str) -> Iterator[Sample]:
        path = Path(item)
        relative = path.relative_to(self.source.path)
        label, split = class_and_split(relative)
        label = self.options.rename.get(label, label)
        labels = [label] if not is_no_finding(label.replace("_", " ")) or self.options.keep_no_finding else []
        metadata = {"format": path.suffix.lstrip(".")}
        if split:
            metadata["split"] = split
        yield sample_2d(self, key=str(relative), pixels=read_image(item, self.config.limits), source_file=item,
                        case_key=str(relative.with_suffix("")), image_labels=labels, metadata=metadata,
                        plane="projection" if self.source.modality == "xray" else None)
