"""Old home of PNG encoding, kept so that imports of this path keep working; see :mod:`medtrinity.io.png`."""

from medtrinity.io.png import encode_png  # noqa: F401
