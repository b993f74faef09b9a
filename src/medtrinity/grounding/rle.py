"""Old home of COCO RLE, kept so that imports of this path keep working; see :mod:`medtrinity.io.rle`."""

from medtrinity.io.rle import decode_mask, encode_mask, encode_window  # noqa: F401
