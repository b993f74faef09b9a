"""Freed pixel buffers kept for reuse while shards run: two settings of glibc's ``malloc``.

A shard takes 16 samples at a time through the stages, and a 1024x1024 radiograph allocates about
10 MB of arrays on the way (decoded rows, a 4 MB int32 label map, the display and physical
arrays). With glibc's defaults each chunk's freed memory above a few MB goes back to the kernel
(trimmed from the heap top, or unmapped), so the next chunk takes every page anew: a page fault
and a page zeroed by the kernel per 4 KB, about 1 ms of CPU a radiograph and 0.5 ms a CT slice.
Raising the mmap threshold to 32 MB (whole volumes still get their own mappings) and the trim
threshold to 128 MB keeps that memory in the heap for the next chunk. The process keeps up to
128 MB of freed memory it would otherwise return; ``MEDTRINITY_KEEP_FREED_MEMORY=0`` leaves the
allocator as it is. Nothing changes on other C libraries (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 128 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
_applied: list[bool] = []


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds once per process; True when they are in force."""
    if _applied:
        return _applied[0]
    applied = False
    if sys.platform.startswith("linux") and os.environ.get("MEDTRINITY_KEEP_FREED_MEMORY", "1") != "0":
        try:
            libc = ctypes.CDLL("libc.so.6")
            mallopt = libc.mallopt  # absent outside glibc
        except (OSError, AttributeError):
            mallopt = None
        if mallopt is not None:
            applied = (mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
                       and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1)
    _applied.append(applied)
    return applied
