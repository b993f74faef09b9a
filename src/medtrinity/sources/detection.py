"""Detection sets: COCO JSON, YOLO txt, Pascal VOC XML. Boxes become ROIs (the mask is the box).

Every box is checked against the image it belongs to (a box outside the image is a reject) and
painted into the label map as a filled rectangle with its class's value, so grounding measures it
like any mask; the exact boxes travel in ``Sample.input_boxes``. COCO polygons and RLE masks are
used as masks where present.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medtrinity.io.images import IMAGE_SUFFIXES
from medtrinity.records import Sample, SampleError
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths
from medtrinity.sources.common2d import (
    Box,
    boxes_label_map,
    cached_by_file,
    check_box,
    masks_label_map,
    polygon_mask,
    sample_2d,
)
from medtrinity.sources.image_files import read_image
from medtrinity.sources.layout import LayoutMatch, data_files, json_object_with_keys, text_head
from medtrinity.sources.safety import check_label_values, reject_item, relative_key, resolve_inside


def _find_image(folder: Path, name: str) -> Path | None:
    candidate = folder / name
    if candidate.is_file():
        return candidate
    for suffix in IMAGE_SUFFIXES:
        other = folder / f"{Path(name).stem}{suffix}"
        if other.is_file():
            return other
    return None


@dataclass
class CocoIndex:
    """A COCO file indexed by image id (as text): images, their annotations, category names."""

    images: dict[str, dict]
    by_image: dict[str, list[dict]]
    categories: dict[int, str]


def load_coco(path: str) -> CocoIndex:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"COCO file {path!r} is unreadable: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ValueError(f"{path!r} is not a COCO JSON (no 'images' list)")
    by_image: dict[str, list[dict]] = defaultdict(list)
    for annotation in data.get("annotations", []):
        by_image[str(int(annotation["image_id"]))].append(annotation)
    return CocoIndex(images={str(int(image["id"])): image for image in data["images"]}, by_image=dict(by_image),
                     categories={int(c["id"]): str(c["name"]) for c in data.get("categories", [])})


class ImageRootOptions(Image2DOptions):
    """Options of the ``coco`` and ``voc`` readers: the image folder (default: found beside the annotations)."""

    images: str | None = None


@READERS.register("coco")
class CocoReader(Reader):
    """``path``: a COCO instances JSON; ``options.images``: the image folder (default: beside the JSON, or
    its ``images/`` subfolder). Polygons and RLE become masks, boxes without them become box masks."""

    formats = "COCO JSON (boxes, polygons, RLE)"
    Options = ImageRootOptions

    def _coco(self) -> CocoIndex:
        if not hasattr(self, "_index"):
            self._index = cached_by_file(self.source.path, "coco", lambda: load_coco(self.source.path))
            folder = self.options.images
            if folder is None:
                beside = Path(self.source.path).parent
                folder = beside / "images" if (beside / "images").is_dir() else beside
            self._folder = Path(folder)
        return self._index

    inspect_priority = 80

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A JSON object naming ``images`` or ``annotations`` near its start (a folder: any such JSON in it)."""
        jsons = [path] if path.is_file() else [p for p in data_files(path) if p.suffix.lower() == ".json"]
        found = next((p for p in jsons if p.suffix.lower() == ".json"
                      and json_object_with_keys(p, ("images", "annotations"))), None)
        return LayoutMatch(cls.inspect_priority, f"COCO-like JSON {found.name}") if found else None

    def list_items(self) -> list[str]:
        index = self._coco()
        orphans = sorted(set(index.by_image) - set(index.images), key=lambda key: (len(key), key))
        return sorted(index.images) + [
            reject_item(self.source.path, "missing_image", f"{self.source.path}: {len(index.by_image[key])} "
                        f"annotation(s) point at image id {key}, which the 'images' list does not have; add the image "
                        "entry or remove the annotations")
            for key in orphans
        ]

    def read(self, item: str) -> Iterator[Sample]:
        index = self._coco()
        image = index.images.get(item)
        if image is None:
            raise SampleError("missing_image", f"{self.source.path}: no image with id {item}")
        where = f"{self.source.path} (COCO image {item}, file_name {image.get('file_name')!r})"
        path = resolve_inside(self._folder, str(image["file_name"]), where)
        where = f"{path} (COCO image {item})"
        if not path.is_file():
            raise SampleError("missing_image", f"{where}: the image file does not exist")
        pixels = read_image(str(path), self.config.limits)
        height, width = pixels.shape[:2]
        if (int(image.get("height", height)), int(image.get("width", width))) != (height, width):
            raise SampleError("mask_shape_mismatch", f"{where}: the JSON says {image.get('width')}x"
                              f"{image.get('height')}, the file is {width}x{height}")
        masks, boxes, outlined = [], [], set()
        for annotation in index.by_image.get(item, []):
            category = int(annotation["category_id"])
            if category not in index.categories:
                raise SampleError("unknown_label", f"{where}: annotation {annotation.get('id')} has category_id "
                                  f"{category}, which 'categories' does not name ({sorted(index.categories)}); "
                                  "add the category or fix the annotation")
            label = index.categories[category]
            x, y, w, h = (float(v) for v in annotation.get("bbox", (0, 0, 0, 0)))
            box = check_box((x, y, x + w, y + h), pixels.shape, where) if w > 0 and h > 0 else None
            segmentation = annotation.get("segmentation")
            if isinstance(segmentation, list) and segmentation:
                masks.append((label, polygon_mask(pixels.shape, segmentation)))
                outlined.add(label)
            elif isinstance(segmentation, dict):
                from medtrinity.io.rle import decode_mask

                try:
                    mask = decode_mask(segmentation)
                except (ValueError, KeyError) as error:
                    raise SampleError("bad_mask", f"{where}: RLE mask: {error}") from error
                if mask.shape != pixels.shape[:2]:
                    raise SampleError("mask_shape_mismatch",
                                      f"{where}: RLE size {mask.shape}, image {pixels.shape[:2]}")
                masks.append((label, mask))
                outlined.add(label)
            elif box is None:
                raise SampleError("bad_box", f"{where}: annotation {annotation.get('id')} has neither box nor mask")
            else:  # a box without a mask: the mask is the box
                masks.append((label, boxes_label_map(pixels.shape, [(label, box)])[0] > 0))
            if box is not None:
                boxes.append((label, box))
        label_map, names = masks_label_map(masks, pixels.shape, where) if masks else (None, {})
        key = path.relative_to(self._folder.resolve()).as_posix()
        yield sample_2d(self, key=key, pixels=pixels, source_file=str(path), case_key=key.rsplit(".", 1)[0],
                        label_map=label_map, names=names, boxes=boxes, metadata={"format": "coco"},
                        box_labels={label for label, _ in boxes} - outlined)  # a label with an outline is no box


def yolo_class_names(folder: Path, configured: dict) -> dict[int, str]:
    """Class names from the config, ``classes.txt`` / ``obj.names``, or a ``data.yaml`` ``names`` entry."""
    if configured:
        return {int(k): str(v) for k, v in configured.items()}
    for candidate in (folder / "classes.txt", folder.parent / "classes.txt", folder / "obj.names",
                      folder.parent / "obj.names"):
        if candidate.is_file():
            lines = [line.strip() for line in candidate.read_text(encoding="utf-8").splitlines() if line.strip()]
            return dict(enumerate(lines))
    for candidate in (folder.parent / "data.yaml", folder.parent.parent / "data.yaml"):
        if candidate.is_file():
            import yaml

            names = (yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}).get("names", {})
            return dict(enumerate(names)) if isinstance(names, list) else {int(k): str(v) for k, v in names.items()}
    return {}


@READERS.register("yolo")
class YoloReader(Reader):
    """``path``: image folder; ``labels``: folder of ``<stem>.txt`` (default: the sibling ``labels/``).

    Each line ``class cx cy w h`` in fractions of the image size. Class names: ``label_names``,
    ``classes.txt``/``obj.names`` or ``data.yaml``. An image without a .txt has no boxes.
    """

    formats = "YOLO txt boxes (class cx cy w h, normalised)"
    Options = Image2DOptions

    inspect_priority = 64

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """``images/`` beside ``labels/`` holding ``.txt`` box files."""
        labels = path / "labels"
        if labels.is_dir() and (path / "images").is_dir() and any(labels.rglob("*.txt")):
            return LayoutMatch(cls.inspect_priority, "images/ beside labels/*.txt")
        return None

    def list_items(self) -> list[str]:
        return expand_paths(self.source.path, IMAGE_SUFFIXES)

    def _label_file(self, path: Path) -> tuple[Path, Path]:
        """(labels folder, the image's .txt): the image's path under the source root mirrored under ``labels``
        (``images/train/x.jpg`` -> ``labels/train/x.txt``, so same-named images in two folders keep their own
        boxes), else ``<labels>/<stem>.txt``; without ``labels``, the YOLO rule: the last ``images`` folder
        of the path becomes ``labels``."""
        relative = Path(self.item_key(path)).with_suffix(".txt")
        if self.source.labels:
            folder = Path(self.source.labels)
            mirrored = folder / relative
            return folder, mirrored if mirrored.is_file() else folder / f"{path.stem}.txt"
        parts = list(path.parts)
        if "images" in parts[:-1]:
            at = len(parts) - 2 - parts[-2::-1].index("images")
            folder = Path(*parts[:at], "labels")
            return folder, folder.joinpath(*parts[at + 1:]).with_suffix(".txt")
        folder = path.parent.parent / "labels"
        return folder, folder / f"{path.stem}.txt"

    def read(self, item: str) -> Iterator[Sample]:
        path = Path(item)
        folder, txt = self._label_file(path)
        names = yolo_class_names(folder, self.source.label_names)
        pixels = read_image(item, self.config.limits)
        height, width = pixels.shape[:2]
        boxes = []
        if txt.is_file():
            resolve_inside(folder, str(txt.relative_to(folder)), f"{item}: label file")
            try:
                text = txt.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise SampleError("bad_box", f"{txt}: not a readable YOLO text file ({error})") from error
            for number, line in enumerate(text.splitlines(), start=1):
                parts = line.split()
                if not parts:
                    continue
                try:
                    cls, cx, cy, w, h = int(parts[0]), *(float(v) for v in parts[1:5])
                except (ValueError, TypeError) as error:
                    raise SampleError("bad_box", f"{txt} line {number}: {line!r} is not 'class cx cy w h'") from error
                check_label_values([cls], names, f"{txt} line {number}", origin="class names", background=None)
                box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
                boxes.append((names.get(cls, f"class {cls}"), check_box(box, pixels.shape, f"{txt} line {number}")))
        label_map, label_names = boxes_label_map(pixels.shape, boxes) if boxes else (None, {})
        key = self.item_key(item)
        yield sample_2d(self, key=key, pixels=pixels, source_file=item, case_key=key.rsplit(".", 1)[0],
                        label_map=label_map, names=label_names, boxes=boxes, metadata={"format": "yolo"})


@READERS.register("voc")
class VocReader(Reader):
    """``path``: folder of Pascal VOC XML files (``Annotations/``); ``options.images``: image folder
    (default: the sibling ``JPEGImages/``, or the XML's folder). Pixel corners are 1-based, inclusive."""

    formats = "Pascal VOC XML boxes"
    Options = ImageRootOptions

    inspect_priority = 65

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """Pascal VOC: the folder's first XML file is an ``<annotation>``."""
        xmls = [p for p in data_files(path) if p.suffix.lower() == ".xml"] if path.is_dir() else []
        if xmls and "<annotation" in text_head(xmls[0], 2000):
            return LayoutMatch(cls.inspect_priority, f"Pascal VOC XML ({xmls[0].name})")
        return None

    def list_items(self) -> list[str]:
        return expand_paths(self.source.path, (".xml",))

    def read(self, item: str) -> Iterator[Sample]:
        try:
            root = ElementTree.parse(item).getroot()
        except (ElementTree.ParseError, OSError) as error:
            raise SampleError("unreadable_file", f"{item}: not a readable VOC XML: {error}") from error
        filename = root.findtext("filename") or f"{Path(item).stem}.jpg"
        folder = self.options.images
        if folder is None:
            sibling = Path(item).parent.parent / "JPEGImages"
            folder = sibling if sibling.is_dir() else Path(item).parent
        resolve_inside(folder, filename, f"{item}: <filename>")
        path = _find_image(Path(folder), filename)
        if path is None:
            raise SampleError("missing_image", f"{item}: image {filename} not found in {folder}")
        path = resolve_inside(folder, str(path.relative_to(folder)), f"{item}: image {path.name}")
        pixels = read_image(str(path), self.config.limits)
        size = root.find("size")
        if size is not None and size.findtext("width") and size.findtext("height"):
            declared = (int(float(size.findtext("height"))), int(float(size.findtext("width"))))
            if declared != pixels.shape[:2]:
                raise SampleError("mask_shape_mismatch", f"{item}: XML size {declared[1]}x{declared[0]} differs from "
                                  f"the image {pixels.shape[1]}x{pixels.shape[0]}")
        boxes: list[tuple[str, Box]] = []
        for obj in root.iter("object"):
            name = obj.findtext("name") or "object"
            bndbox = obj.find("bndbox")
            if bndbox is None:
                continue
            try:
                xmin, ymin, xmax, ymax = (float(bndbox.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            except (TypeError, ValueError) as error:
                raise SampleError("bad_box", f"{item}: object {name!r} has a bad bndbox") from error
            boxes.append((name, check_box((xmin - 1, ymin - 1, xmax, ymax), pixels.shape, item)))
        label_map, names = boxes_label_map(pixels.shape, boxes) if boxes else (None, {})
        key = relative_key(folder, path)
        yield sample_2d(self, key=key, pixels=pixels, source_file=str(path), case_key=key.rsplit(".", 1)[0],
                        label_map=label_map, names=names, boxes=boxes, metadata={"format": "voc"})
