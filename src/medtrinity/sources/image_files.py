"""Image files as arrays for readers; the reading itself lives in the leaf :mod:`medtrinity.io.images`."""

from medtrinity.io.images import IMAGE_SUFFIXES, read_image, read_mask, read_mask_raw  # noqa: F401
