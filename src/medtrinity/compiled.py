"""Compiled kernels (numba) whose on-disk cache stays right when several processes compile at once.

Every kernel module declares its functions with :func:`compiled` instead of ``numba.njit(cache=True)``.
numba's cache keeps, per function, an index mapping each compiled signature to a numbered data file.
Saving reads the index, takes the first free number, writes the index and then the data, with no
lock. Two workers that compile the same function for different argument types at the same moment
(a cold cache and ``--workers 2``, one worker on a CT shard and one on radiographs) can both read
the index before either writes it and both take file 1; the index then names one signature's
machine code for the other signature. Every later process that loads that entry either fails
("can't unbox array", a sample lost as a stage error) or, where the arguments unbox alike, runs
the wrong code. numba issue #10128 reports the same race for GUFuncs; its maintainers proposed a
file lock. This module takes one: an exclusive ``flock`` on ``<index>.lock`` while numba saves an
entry, a shared one while it loads, so an index and the data files it names always change together.
A save also writes the data file before the index that names it: numba writes the index first, so a
process killed between the two (``kill -9`` of a run) left an entry naming whatever an older file of
that number held. Where the cache folder cannot hold a lock file, its file system refuses locks, or
the system has no ``fcntl``, the saves run unlocked (still data first).
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numba
from numba.core import caching

try:
    import fcntl
except ImportError:  # Windows: numba's own behaviour
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"


@contextmanager
def _index_locked(index_path: str, exclusive: bool) -> Iterator[None]:
    """Hold an advisory lock beside a numba cache index (no lock where the folder refuses the lock file)."""
    if fcntl is None:
        yield
        return
    try:
        descriptor = os.open(index_path + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:  # a read-only cache folder: numba writes nothing there either
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except OSError:  # a file system without locks (some network mounts: ENOLCK): unlocked, as numba is
            pass
        yield
    finally:
        os.close(descriptor)  # closing releases the lock; a killed process releases it too


def _under_index_lock(method: Callable, exclusive: bool) -> Callable:
    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with _index_locked(self._index_path, exclusive):
            return method(self, *args, **kwargs)

    locked.unlocked = method  # type: ignore[attr-defined]
    return locked


def _save_data_first(self, key, data) -> None:
    """numba's ``IndexDataCacheFile.save`` with the steps swapped: the data file, then the index naming it."""
    overloads = self._load_index()
    data_name = overloads.get(key)
    if data_name is None:
        taken = set(overloads.values())
        data_name = next(name for name in map(self._data_name, itertools.count(1)) if name not in taken)
    self._save_data(data_name, data)
    if overloads.get(key) != data_name:
        overloads[key] = data_name
        self._save_index(overloads)


def lock_numba_cache() -> bool:
    """Make numba's cache save (exclusive) and load (shared) under the index's lock; True once in force.

    Idempotent. False when this numba's cache class lacks the methods the lock wraps or the save calls
    (a numba that changed them runs as it is rather than failing).
    """
    cache_file = getattr(caching, "IndexDataCacheFile", None)
    needed = ("save", "load", "_load_index", "_save_index", "_save_data", "_data_name")
    if cache_file is None or not all(hasattr(cache_file, name) for name in needed):
        return False
    if hasattr(cache_file.save, "unlocked"):
        return True
    cache_file.save = _under_index_lock(_save_data_first, exclusive=True)
    cache_file.load = _under_index_lock(cache_file.load, exclusive=False)
    return True


def compiled(**options) -> Callable:
    """``numba.njit`` with the on-disk cache (locked across processes) and the GIL released; ``options``
    are further ``njit`` options (``boundscheck``, ``inline``)."""
    lock_numba_cache()
    return numba.njit(cache=True, nogil=True, **options)
