"""One writer per output folder: a lock file naming the owner's pid and host.

The holder keeps an exclusive ``flock`` on ``_run.lock`` for as long as it runs, so a second run,
an ``--overwrite`` or a ``verify`` into the same folder is refused while the first is alive. A
process killed with ``kill -9`` releases the ``flock`` with its death; the file it leaves names a
dead pid on this host and is taken over as stale. A lock written on another host (a shared
filesystem where ``flock`` may not reach) is refused with the owner named, since its pid cannot be
checked from here; the message says how to clear it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

LOCK_NAME = "_run.lock"


class RunLockedError(RuntimeError):
    """Another live process holds the output folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _describe(owner: dict) -> str:
    started = owner.get("started")
    known = isinstance(started, (int, float))
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)) if known else "?"
    purpose = owner.get("purpose", "run")
    return f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')} ({purpose}, since {since})"


class RunLock:
    """``with RunLock(out_dir, "run"):`` holds the folder; raises :class:`RunLockedError` when it is taken."""

    def __init__(self, out_dir: Path | str, purpose: str = "run"):
        self.path = Path(out_dir) / LOCK_NAME
        self.purpose = purpose
        self._fd: int | None = None
        self.stale_owner: dict | None = None  # what a taken-over stale lock said

    def _owner(self, fd: int) -> dict:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 4096).decode("utf-8", "replace")
        try:
            value = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return {"unparsed": raw[:200]}
        return value if isinstance(value, dict) else {}

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = self._owner(fd)
            os.close(fd)
            raise RunLockedError(f"{self.path.parent} is in use by {_describe(owner)}; wait for it to finish or "
                                 "use another --out") from None
        owner = self._owner(fd)
        host = socket.gethostname()
        if owner.get("pid") is not None:
            if owner.get("host") != host:
                os.close(fd)
                raise RunLockedError(f"{self.path.parent} is locked by {_describe(owner)}, another host whose process "
                                     f"cannot be checked from {host}; if that run is dead, delete {self.path}")
            # same host and nobody holds the flock: the owner died (kill -9, power loss) and left a stale lock
            self.stale_owner = {**owner, "alive": _alive(int(owner["pid"]))}
        record = {"pid": os.getpid(), "host": host, "started": time.time(), "purpose": self.purpose}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(record) + "\n").encode("utf-8"))
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_owner(out_dir: Path | str) -> dict | None:
    """The recorded owner of a folder's lock when a live process holds it, else None."""
    path = Path(out_dir) / LOCK_NAME
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return RunLock(out_dir)._owner(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
