"""Image files as arrays for readers: headers checked against the caps, decoder warnings made rejects.

The decoding itself lives in the leaf :mod:`medtrinity.io.images`; here a file is first sized from its
header (``limits``), and what libjpeg, libpng or libtiff print while decoding damaged data (they fill
the gaps and carry on) turns the file into a reject instead of an image with invented rows.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator

import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.io import images as image_io
from medtrinity.records import SampleError
from medtrinity.sources.safety import check_image_file

# what libjpeg, libpng and libtiff print when they decode damaged data and fill the gaps
DECODER_WARNINGS = ("Corrupt JPEG data", "Premature end of JPEG", "libpng warning", "libpng error", "Bogus",
                    "Invalid JPEG", "TIFFReadDirectory", "TIFFFillStrip", "TIFFFillTile")


@contextlib.contextmanager
def decoder_messages() -> Iterator[Callable[[], list[str]]]:
    """Capture what native decoders write to file descriptor 2 while the block runs (lines, after it)."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def _decoded(path: str, decode: Callable[[str], np.ndarray], limits: LimitsConfig | None) -> np.ndarray:
    check_image_file(path, limits or LimitsConfig())
    with decoder_messages() as messages:
        array = decode(path)
    warnings = [line for line in messages() if any(mark in line for mark in DECODER_WARNINGS)]
    if warnings:  # the decoder filled in what it could not read: the pixels are not the image
        raise SampleError("corrupt_image_data", f"{path}: the decoder reported {'; '.join(warnings[:3])!r}; "
                                                "re-export or re-download the file")
    return array


def read_image(path: str, limits: LimitsConfig | None = None) -> np.ndarray:
    """Greyscale images as 2D arrays (any bit depth), colour images as H x W x 3 RGB; checked first."""
    return _decoded(path, image_io.read_image, limits)


def read_mask(path: str, limits: LimitsConfig | None = None) -> np.ndarray:
    """An integer label image (0/255 binary masks become 0/1); checked first."""
    return _decoded(path, image_io.read_mask, limits)


def read_mask_raw(path: str, limits: LimitsConfig | None = None) -> np.ndarray:
    """The mask file's stored values (no 0/255 folding); checked first."""
    return _decoded(path, image_io.read_mask_raw, limits)
