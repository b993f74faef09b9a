"""Old home of the atomic writes, kept so that imports of this path keep working; see :mod:`medtrinity.io.atomic`."""

from medtrinity.io.atomic import TMP_MARK, remove_temporaries, write_atomic, write_json_atomic  # noqa: F401
