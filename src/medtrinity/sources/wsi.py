"""Whole-slide and other large TIFF images, cut into tiles; background tiles are skipped by a tissue mask.

Planning reads the slide's smallest pyramid level, finds tissue there (saturated, non-white pixels,
Otsu on saturation) and lists only the tiles of the chosen level whose tissue share reaches
``options.min_tissue``. Reading a tile decodes only the TIFF tiles it overlaps (tifffile), so a
slide is never loaded whole. With ``options.backend: openslide`` the OpenSlide library reads the
slide instead (SVS, NDPI, MRXS ...); it is optional and fails with its install command.

Options: ``tile_size`` (512 px), ``level`` (0 = full resolution), ``min_tissue`` (0.5),
``max_tiles`` per slide (evenly spread; default all), ``backend`` (``tifffile`` or ``openslide``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from medtrinity.records import Sample, SampleError
from medtrinity.registry import require_dependency
from medtrinity.sources.base import READERS, Image2DOptions, Reader, expand_paths, read_failure
from medtrinity.sources.common2d import sample_2d
from medtrinity.sources.layout import LayoutMatch, has_suffix
from medtrinity.sources.safety import check_pixels, items_per_file, too_large

SLIDE_SUFFIXES = (".tif", ".tiff", ".svs", ".ndpi", ".scn", ".mrxs", ".bif", ".vms", ".btf")


def tissue_mask(rgb: np.ndarray) -> np.ndarray:
    """Boolean tissue mask of a low-resolution RGB (or grey) image: stained pixels are saturated and not white."""
    if rgb.ndim == 2:
        grey = rgb.astype(np.uint8)
        _, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        return (mask > 0) & (grey < 235)
    rgb = np.ascontiguousarray(rgb[..., :3]).astype(np.uint8)
    saturation = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1]
    threshold, _ = cv2.threshold(saturation, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    brightness = rgb.mean(axis=2)
    return (saturation > max(threshold, 20)) & (brightness < 235)


class TiffSlide:
    """A pyramidal (or flat) TIFF read with tifffile, tile by tile."""

    def __init__(self, path: str):
        tifffile = require_dependency(WsiReader, "tifffile")
        try:
            self._file = tifffile.TiffFile(path)
            series = self._file.series[0]
            self._pages = [level.keyframe for level in series.levels]
        except Exception as error:
            raise read_failure(path, error) from error
        self.path = path
        self.level_dimensions = [(int(p.imagewidth), int(p.imagelength)) for p in self._pages]

    def close(self) -> None:
        self._file.close()

    def spacing_mm(self) -> tuple[float, float] | None:
        page = self._pages[0]
        unit = page.tags.get("ResolutionUnit")
        x_res, y_res = page.tags.get("XResolution"), page.tags.get("YResolution")
        if unit is None or x_res is None or y_res is None or int(unit.value) not in (2, 3):
            return None
        per_mm = 25.4 if int(unit.value) == 2 else 10.0
        x_ppu, y_ppu = (v.value[0] / v.value[1] for v in (x_res, y_res))
        if x_ppu <= 1 or y_ppu <= 1:
            return None
        return (per_mm / x_ppu, per_mm / y_ppu)

    def thumbnail(self) -> np.ndarray:
        return self._pages[-1].asarray()

    def read_region(self, level: int, x0: int, y0: int, width: int, height: int) -> np.ndarray:
        """Pixels [y0:y0+height, x0:x0+width] of a level (clipped to the level), decoding only the tiles needed."""
        page = self._pages[level]
        level_w, level_h = self.level_dimensions[level]
        x1, y1 = min(level_w, x0 + width), min(level_h, y0 + height)
        if not page.is_tiled:
            return np.asarray(page.asarray()[y0:y1, x0:x1])
        tile_w, tile_h = int(page.tilewidth), int(page.tilelength)
        across = -(-level_w // tile_w)
        samples = int(page.samplesperpixel)
        out = np.zeros((y1 - y0, x1 - x0, samples), dtype=page.dtype)
        handle = page.parent.filehandle
        for ty in range(y0 // tile_h, (y1 - 1) // tile_h + 1):
            for tx in range(x0 // tile_w, (x1 - 1) // tile_w + 1):
                index = ty * across + tx
                handle.seek(page.dataoffsets[index])
                data = handle.read(page.databytecounts[index])
                tile, _, _ = page.decode(data, index, jpegtables=page.jpegtables)
                tile = np.asarray(tile).reshape(tile_h, tile_w, samples)
                top, left = ty * tile_h, tx * tile_w
                ys, xs = max(y0, top), max(x0, left)
                ye, xe = min(y1, top + tile_h), min(x1, left + tile_w)
                out[ys - y0 : ye - y0, xs - x0 : xe - x0] = tile[ys - top : ye - top, xs - left : xe - left]
        return out[..., 0] if samples == 1 else out[..., :3]


class OpenSlideSlide:
    """The same interface over OpenSlide (optional)."""

    def __init__(self, path: str):
        openslide = require_dependency(WsiReader, "openslide", purpose="the wsi reader's openslide backend")
        try:
            self._slide = openslide.OpenSlide(path)
        except Exception as error:
            raise read_failure(path, error) from error
        self.path = path
        self.level_dimensions = [tuple(int(v) for v in dims) for dims in self._slide.level_dimensions]

    def close(self) -> None:
        self._slide.close()

    def spacing_mm(self) -> tuple[float, float] | None:
        props = self._slide.properties
        try:
            return (float(props["openslide.mpp-x"]) / 1000.0, float(props["openslide.mpp-y"]) / 1000.0)
        except (KeyError, ValueError):
            return None

    def thumbnail(self) -> np.ndarray:
        level = len(self.level_dimensions) - 1
        return self.read_region(level, 0, 0, *self.level_dimensions[level])

    def read_region(self, level: int, x0: int, y0: int, width: int, height: int) -> np.ndarray:
        scale = self._slide.level_downsamples[level]
        level_w, level_h = self.level_dimensions[level]
        width, height = min(width, level_w - x0), min(height, level_h - y0)
        region = self._slide.read_region((int(x0 * scale), int(y0 * scale)), level, (width, height))
        rgba = np.asarray(region)
        alpha = rgba[..., 3:4].astype(np.float32) / 255.0
        return (rgba[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)  # transparent = white background


def tile_grid(tissue: np.ndarray, level_wh: tuple[int, int], tile: int, min_tissue: float) -> list[tuple[int, int]]:
    """(x, y) corners of the level's tiles whose tissue share (measured on the thumbnail mask) is enough."""
    level_w, level_h = level_wh
    fx, fy = tissue.shape[1] / level_w, tissue.shape[0] / level_h
    corners = []
    for y in range(0, level_h, tile):
        for x in range(0, level_w, tile):
            x0, y0 = int(x * fx), int(y * fy)
            x1 = max(x0 + 1, int(np.ceil(min(level_w, x + tile) * fx)))
            y1 = max(y0 + 1, int(np.ceil(min(level_h, y + tile) * fy)))
            if float(tissue[y0:y1, x0:x1].mean()) >= min_tissue:
                corners.append((x, y))
    return corners


class WsiOptions(Image2DOptions):
    """Options of the ``wsi`` reader: tile size, pyramid level, tissue share, tile limit, decoding library."""

    backend: Literal["tifffile", "openslide"] = "tifffile"
    tile_size: int = Field(default=512, ge=16)
    level: int = Field(default=0, ge=0)
    min_tissue: float = Field(default=0.5, ge=0.0, le=1.0)
    max_tiles: int | None = Field(default=None, ge=1)


def is_slide_tiff(path) -> bool:
    """Whether a TIFF is a slide rather than a plain image: pyramidal, tiled or over 4096 pixels on a side
    (only the header is read)."""
    try:
        import tifffile

        with tifffile.TiffFile(path) as handle:
            series = handle.series[0]
            return len(series.levels) > 1 or max(series.shape[:2]) > 4096 or handle.pages[0].is_tiled
    except Exception:  # noqa: BLE001 - not a TIFF this reader understands
        return False


@READERS.register("wsi")
class WsiReader(Reader):
    """``path``: slide files (pyramidal TIFF; SVS/NDPI/MRXS with ``backend: openslide``); one item per tissue tile."""

    formats = "whole-slide images and large TIFFs, tiled with a tissue mask (tifffile; OpenSlide optional)"
    Options = WsiOptions
    dependencies = (("tifffile", "pip install tifffile"),
                    ("openslide", "pip install openslide-python openslide-bin"))

    def _open(self, path: str):
        return OpenSlideSlide(path) if self.options.backend == "openslide" else TiffSlide(path)

    def _settings(self) -> tuple[int, int, float]:
        return self.options.tile_size, self.options.level, self.options.min_tissue

    def _slide_items(self, path: str) -> list[str]:
        """The tissue tiles of one slide; a slide over the caps or unreadable raises (one reject item)."""
        tile, level, min_tissue = self._settings()
        limits = self.config.limits
        slide = self._open(path)
        try:
            if level >= len(slide.level_dimensions):
                raise SampleError("missing_level", f"{path}: level {level} does not exist in this slide "
                                  f"({len(slide.level_dimensions)} levels); set options.level lower")
            level_w, level_h = slide.level_dimensions[level]
            tiles = -(-level_w // tile) * -(-level_h // tile)
            if tiles > limits.max_tiles_per_slide:
                raise too_large(path, f"{tiles:,} tiles of {tile} px at level {level} ({level_w} x {level_h})",
                                "max_tiles_per_slide", limits.max_tiles_per_slide)
            thumb_w, thumb_h = slide.level_dimensions[-1]
            check_pixels(f"{path} (smallest level, read for the tissue mask)", (thumb_h, thumb_w, 3), 1, limits)
            corners = tile_grid(tissue_mask(slide.thumbnail()), slide.level_dimensions[level], tile, min_tissue)
        finally:
            slide.close()
        limit = self.options.max_tiles
        if limit and len(corners) > limit:
            picks = np.linspace(0, len(corners) - 1, limit).round().astype(int)
            corners = [corners[i] for i in sorted(set(picks.tolist()))]
        return [f"{path}::{level}::{x}::{y}" for x, y in corners]

    inspect_priority = 84
    whole_file = True

    @classmethod
    def looks_like(cls, path: Path) -> LayoutMatch | None:
        """A slide format (SVS, NDPI, MRXS, SCN), or a TIFF that is pyramidal, tiled or over 4096 pixels wide."""
        if has_suffix(path, (".svs", ".ndpi", ".mrxs", ".scn")) or (
                path.is_file() and has_suffix(path, (".tif", ".tiff")) and is_slide_tiff(path)):
            return LayoutMatch(cls.inspect_priority, "a whole-slide image")
        return None

    def list_items(self) -> list[str]:
        return items_per_file(expand_paths(self.source.path, SLIDE_SUFFIXES), self._slide_items,
                              "check that it is a complete slide file")


    def read(self, item: str) -> Iterator[Sample]:
        path, level_text, x_text, y_text = item.rsplit("::", 3)
        tile, level, _ = self._settings()
        level, x, y = int(level_text), int(x_text), int(y_text)
        slide = self._open(path)
        try:
            pixels = slide.read_region(level, x, y, tile, tile)
            base = slide.spacing_mm()
            downsample = slide.level_dimensions[0][0] / slide.level_dimensions[level][0]
        except SampleError:
            raise
        except Exception as error:
            raise read_failure(path, error) from error
        finally:
            slide.close()
        spacing = (base[0] * downsample, base[1] * downsample) if base else None
        key = self.item_key(path)
        sample = sample_2d(self, key=f"{key}::{level}::{x}::{y}", pixels=np.ascontiguousarray(pixels),
                           source_file=f"{path} tile x={x} y={y} level {level}", case_key=key.rsplit(".", 1)[0],
                           spacing_mm=spacing, metadata={"format": "wsi tile"}, plane="unknown")
        if sample.modality == "other" and self.source.modality is None:
            sample.modality = "histopathology"
        yield sample
