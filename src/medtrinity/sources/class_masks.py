"""2D images with one binary mask file per class and instance, named by a pattern (SAM-Med2D layout).

``masks/<image>_<class>_<instance>.png`` beside ``images/<image>.png``: the class name is taken from
the file name, made readable (``kidney_left`` -> "left kidney"), and all instances of a class share
one label value (grounding separates them again as connected components).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from medtrinity.io.images import IMAGE_SUFFIXES
from medtrinity.records import Sample, SampleError
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths
from medtrinity.sources.common2d import masks_label_map, sample_2d
from medtrinity.sources.image_files import read_image, read_mask
from medtrinity.sources.layout import LayoutMatch, images_with_mask_folder
from medtrinity.sources.safety import check_one_class
from medtrinity.vocab.labels import readable_label

DEFAULT_PATTERN = "{stem}_{label}_{instance}.png"


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """``{stem}_{label}_{instance}.png`` -> a regex with named groups stem, label and instance."""
    parts = re.split(r"(\{stem\}|\{label\}|\{instance\})", pattern)
    groups = {"{stem}": r"(?P<stem>.+?)", "{label}": r"(?P<label>.+?)", "{instance}": r"(?P<instance>\d+)"}
    if "{stem}" not in parts or "{label}" not in parts:
        raise ValueError(f"mask pattern {pattern!r} needs {{stem}} and {{label}}")
    return re.compile("^" + "".join(groups.get(part, re.escape(part)) for part in parts) + "$")


def match_masks(mask_names: list[str], stems: set[str], pattern: str) -> dict[str, list[tuple[str, str]]]:
    """Mask file names -> {image stem: [(label, file name), ...]}; the longest matching stem wins."""
    regex = pattern_regex(pattern)
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in sorted(mask_names):
        match = regex.match(name)
        if not match:
            continue
        stem = match.group("stem")
        # a greedy split can cut inside the stem (s0114_111_aorta): prefer the longest known stem
        candidates = [s for s in stems if name.startswith(f"{s}")]
        if candidates:
            best = max(candidates, key=len)
            rest = regex.match(name.replace(best, "\x00", 1).replace("\x00", "STEM", 1))
            if rest is None:
                continue
            stem, label = best, rest.group("label")
        else:
            label = match.group("label")
        found[stem].append((label, name))
    return found


class ImageClassMasksOptions(Image2DOptions):
    """Options of the ``image_class_masks`` reader: the mask file pattern and class renames."""

    mask_pattern: str = DEFAULT_PATTERN
    rename: dict[str, str] = Field(default_factory=dict)
    recursive: bool = False


@READERS.register("image_class_masks")
class ImageClassMasksReader(Reader):
    """``path``: image folder or glob; ``labels``: folder of per-class masks named by ``options.mask_pattern``.

    ``mask_pattern`` defaults to ``{stem}_{label}_{instance}.png``; ``{instance}`` may be left out.
    ``rename`` maps a class name of the files to the name to use (``{"ivc": "inferior vena cava"}``).
    ``label_names``/``label_map``, when given, list every class: a file naming another class is a reject
    (``unknown_label``), as is a mask file holding more than one foreground value (a label map, not one class).
    ``recursive: true`` looks for masks in subfolders of ``labels`` too (IDRiD keeps one folder per lesion type).
    """

    formats = "2D images with one mask file per class/instance named by a pattern (SAM-Med2D: <image>_<class>_<n>.png)"
    Options = ImageClassMasksOptions

    inspect_priority = 56

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """Images beside a masks folder whose file names are ``<image>_<class>_<n>.png``."""
        pairing = images_with_mask_folder(path) if path.is_dir() else None
        if pairing is None or pairing.same_names:
            return None
        if not match_masks(pairing.masks, {p.stem for p in pairing.images}, DEFAULT_PATTERN):
            return None
        return LayoutMatch(cls.inspect_priority, f"per-class masks in {pairing.masks_folder.name}/")

    def list_items(self) -> list[str]:
        return expand_paths(self.source.path, IMAGE_SUFFIXES)

    def _masks(self) -> dict[str, list[tuple[str, str]]]:
        if not hasattr(self, "_mask_index"):
            folder = Path(self.source.labels or Path(self.source.path).parent / "masks")
            walk = folder.rglob("*") if self.options.recursive else folder.glob("*")
            self._mask_paths = {p.name: p for p in walk if p.is_file()} if folder.is_dir() else {}
            names = list(self._mask_paths)
            stems = {Path(item).stem for item in self.list_items()}
            pattern = self.options.mask_pattern
            self._mask_folder = folder
            self._mask_index = match_masks(names, stems, pattern)
        return self._mask_index

    def read(self, item: str) -> Iterator[Sample]:
        image_path = Path(item)
        pixels = read_image(item, self.config.limits)
        entries = self._masks().get(image_path.stem, [])
        configured = self.options.rename
        known = {readable_label(name) for name in self.label_names().values()}
        masks = []
        for label, name in entries:
            mask_path = str(self._mask_paths.get(name, self._mask_folder / name))
            label = configured.get(label, label)
            if known and readable_label(label) not in known:
                raise SampleError("unknown_label", f"{mask_path}: class {label!r} (from the file name) is not in the "
                                  f"label map ({sorted(known)}); add it to label_names or rename it")
            mask = read_mask(mask_path, self.config.limits)
            check_one_class(mask, mask_path)
            masks.append((label, mask > 0))
        label_map, names = masks_label_map(masks, pixels.shape, item) if masks else (None, {})
        if label_map is not None and not label_map.any():
            raise SampleError("empty_labels", f"{item}: every mask file of this image is empty")
        key = self.item_key(item)  # the path under the source root: same-named images in two folders differ
        yield sample_2d(self, key=key, pixels=pixels, source_file=item, case_key=key.rsplit(".", 1)[0],
                        label_map=label_map, names=names, metadata={"format": image_path.suffix.lstrip(".")})
