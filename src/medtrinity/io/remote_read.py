"""Reading an object-store prefix without a local copy: one listing, small objects in one batch, large ones
streamed in ranges. An unreachable or silent endpoint is an error naming the URL within seconds, not a hang.

``MEDTRINITY_REMOTE_TIMEOUT_S`` (default 30) is the deadline of a single request: the first read of a
command (a probe: one small object) and each 8 MiB range of a streamed object get it as a deadline on the
whole call, retries included (fsspec's sync layer cancels the request when it expires). Listings and batch
reads run as many requests as the prefix needs, so they get no overall deadline; each of their requests
is bounded by the client instead (s3fs: 5 s to connect, 15 s per read; gcsfs: this timeout per request).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from medtrinity.io.remote import filesystem

TIMEOUT_ENV = "MEDTRINITY_REMOTE_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 30.0
RANGE_BYTES = 8 << 20  # a streamed object is fetched 8 MiB at a time: memory stays one range


class StoreUnreachableError(ConnectionError):
    """The object store did not answer, or answered with an error that is not "no such object"."""


def remote_timeout_s() -> float:
    """Seconds one store request may take (``MEDTRINITY_REMOTE_TIMEOUT_S``, default 30)."""
    configured = os.environ.get(TIMEOUT_ENV)
    if not configured:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(configured)
    except ValueError:
        raise ValueError(f"{TIMEOUT_ENV}={configured!r}: expected a number of seconds") from None
    if value <= 0:
        raise ValueError(f"{TIMEOUT_ENV}={configured!r}: expected a positive number of seconds")
    return value


def store_call(url: str, method: Callable, *args, deadline: bool = True, **kwargs):
    """``method(*args, **kwargs)`` of an fsspec async filesystem, within the timeout if ``deadline``; failures
    name ``url``.

    A missing bucket or object stays a FileNotFoundError; a timeout or any other failure of the store
    (refused connection, DNS, credentials, HTTP errors) becomes a :class:`StoreUnreachableError`.
    """
    from fsspec.exceptions import FSTimeoutError

    timeout = remote_timeout_s()
    try:
        return method(*args, timeout=timeout if deadline else None, **kwargs)
    except FileNotFoundError:
        raise
    except (FSTimeoutError, TimeoutError) as error:
        raise StoreUnreachableError(f"{url}: the object store did not answer within {timeout:g} s "
                                    f"(endpoint down or unreachable?; {TIMEOUT_ENV} sets the wait)") from error
    except Exception as error:  # botocore, aiohttp and google errors share no base class
        raise StoreUnreachableError(f"{url}: cannot read the object store: {type(error).__name__}: {error}") from error


def open_store(url: str) -> tuple[object, str]:
    """The filesystem for ``url`` (requests bounded by the timeout) and the key prefix inside it."""
    fs, root = filesystem(url, request_timeout_s=remote_timeout_s())
    fs.invalidate_cache()
    return fs, root.rstrip("/")


def read_object(url: str, fs, key: str) -> bytes:
    """One small object, within the deadline (a command's first request: it tells a dead endpoint fast)."""
    return store_call(url, fs.cat_file, key)


def list_objects(url: str, fs, root: str) -> dict[str, int]:
    """``{relative name: size in bytes}`` of every object under ``root``; a missing bucket reads as empty."""
    try:
        found = store_call(url, fs.find, root, detail=True, deadline=False)
    except FileNotFoundError:
        found = {}
    prefix = root + "/"
    return {name[len(prefix):]: int(info.get("size") or 0) for name, info in found.items()
            if name.startswith(prefix) and info.get("type") != "directory"}


def read_objects(url: str, fs, root: str, names: list[str]) -> dict[str, bytes]:
    """The bytes of the objects ``names`` (relative to ``root``), fetched concurrently in one call."""
    if not names:
        return {}
    fetched = store_call(url, fs.cat, [f"{root}/{name}" for name in names], deadline=False)
    return {name: fetched[f"{root}/{name}"] for name in names}


def stream_sha256(url: str, fs, key: str, size_bytes: int, sink: Callable[[bytes], None] | None = None) -> str:
    """Hex sha256 of the object ``key`` (``size_bytes`` long), read one range at a time; each range also goes
    to ``sink`` (a file being written), so no more than one range is held in memory."""
    digest = hashlib.sha256()
    for start in range(0, size_bytes, RANGE_BYTES):
        end = min(start + RANGE_BYTES, size_bytes)
        block = store_call(url, fs.cat_file, key, start=start, end=end)
        if len(block) != end - start:
            raise StoreUnreachableError(f"{url}: {key} returned {len(block)} bytes for range {start}-{end} "
                                        "(the object changed while it was read?)")
        digest.update(block)
        if sink is not None:
            sink(block)
    return digest.hexdigest()
