"""Whole-slide TIFFs: pyramid written with tifffile, background tiles skipped, tiles equal the slide's pixels."""

import cv2
import numpy as np
import pytest
import tifffile

from medtrinity.records import SampleError
from medtrinity.registry import MissingDependencyError


def _slide(path, height=1024, width=1536):
    image = np.full((height, width, 3), 242, np.uint8)
    cv2.ellipse(image, (400, 500), (300, 250), 0, 0, 360, (190, 80, 150), -1)  # tissue on the left only
    image = np.clip(image.astype(int) + np.random.default_rng(0).integers(-4, 5, image.shape), 0, 255)
    image = image.astype(np.uint8)
    with tifffile.TiffWriter(path) as tif:
        tif.write(image, tile=(256, 256), subifds=1, photometric="rgb", resolution=(4000, 4000),
                  resolutionunit="CENTIMETER", compression="zlib")
        tif.write(image[::8, ::8], subfiletype=1, photometric="rgb", compression="zlib")
    return image


def test_tissue_tiles_only_and_exact_pixels(tmp_path, make):
    image = _slide(tmp_path / "slide.tif")
    reader = make("wsi", tmp_path / "slide.tif", options={"tile_size": 256, "min_tissue": 0.5})
    items = reader.list_items()
    corners = [tuple(int(v) for v in item.rsplit("::", 2)[1:]) for item in items]
    assert corners and len(corners) < (1024 // 256) * (1536 // 256) // 2
    assert all(x < 800 for x, _ in corners)  # no tile from the empty right half
    sample = next(iter(reader.read(items[0])))
    x, y = corners[0]
    assert np.array_equal(sample.pixels, image[y:y + 256, x:x + 256])
    assert sample.modality == "histopathology" and sample.spacing_mm == pytest.approx((0.0025, 0.0025))
    assert "slide" not in sample.id and sample.case_id.startswith("case-")


def test_corrupt_slide_is_a_reject_and_openslide_names_its_install(tmp_path, make):
    (tmp_path / "broken.tif").write_bytes(b"II*\x00garbage")
    reader = make("wsi", tmp_path / "broken.tif")
    [item] = reader.list_items()
    with pytest.raises(SampleError) as error:
        list(reader.read(item))
    assert "broken.tif" in error.value.message


def test_openslide_backend_names_its_install_when_missing(tmp_path, make, monkeypatch):
    import sys

    _slide(tmp_path / "ok.tif", 256, 256)
    monkeypatch.setitem(sys.modules, "openslide", None)  # as if openslide-python were not installed
    with pytest.raises(MissingDependencyError, match="pip install openslide-python openslide-bin"):
        make("wsi", tmp_path / "ok.tif", options={"backend": "openslide"}).list_items()


def test_openslide_backend_gives_the_same_tiles_as_tifffile(tmp_path, make):
    pytest.importorskip("openslide", reason="openslide-python + openslide-bin (the slides extra) not installed")
    image = _slide(tmp_path / "slide.tif")
    options = {"tile_size": 256, "min_tissue": 0.5}
    by_tifffile = make("wsi", tmp_path / "slide.tif", options=options)
    by_openslide = make("wsi", tmp_path / "slide.tif", options={**options, "backend": "openslide"})
    items = by_openslide.list_items()
    assert items == by_tifffile.list_items()
    sample = next(iter(by_openslide.read(items[0])))
    x, y = (int(v) for v in items[0].rsplit("::", 2)[1:])
    assert np.array_equal(sample.pixels, image[y:y + 256, x:x + 256])
