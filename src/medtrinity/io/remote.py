"""Object-store URLs (``s3://``, ``gs://``) through fsspec: mirror inputs down, push outputs up.

Readers open files with nibabel, pydicom, SimpleITK and OpenCV, which need local paths, so a
remote input is mirrored into a local cache on each node the first time a process reads it
(only objects whose size or ETag changed are fetched again) and the reader gets the local path.
A run folder is written locally and pushed object by object (a shard's parts, then its marker);
an object store has no rename, but each PUT is atomic, so "marker last" keeps its meaning there.

Credentials and endpoints come from the usual places: for S3 the AWS variables and files
(``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL_S3`` for MinIO or a test server), for
GCS the Google application-default credentials, or ``STORAGE_EMULATOR_HOST`` (the variable Google's
own clients read) for a local GCS emulator. ``MEDTRINITY_REMOTE_CACHE`` sets the cache root
(default: ``<temp dir>/medtrinity-remote``); give every node the same value.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from medtrinity.io.atomic import TMP_MARK, write_json_atomic

INSTALL = {"s3": "pip install 'medtrinity[remote]'  (s3fs)", "gs": "pip install 'medtrinity[gcs]'  (gcsfs)",
           "gcs": "pip install 'medtrinity[gcs]'  (gcsfs)"}
GLOB_CHARS = "*?["
_STAGED: dict[str, str] = {}  # URL -> local path, per process: each process mirrors a root once


def is_remote(path: object) -> bool:
    """True for an object-store URL this module handles (``s3://``, ``gs://``, ``gcs://``)."""
    return isinstance(path, str) and path.split("://", 1)[0] in INSTALL and "://" in path


def filesystem(url: str, request_timeout_s: float | None = None):
    """The fsspec filesystem for ``url`` and the path inside it; a clear error naming the install command.

    ``request_timeout_s`` bounds each HTTP request of gcsfs (which otherwise waits without limit); s3fs
    bounds its requests already (5 s to connect, 15 s per read, a few retries).
    """
    scheme = url.split("://", 1)[0]
    options = {"requests_timeout": request_timeout_s} if request_timeout_s and scheme in ("gs", "gcs") else {}
    try:
        if scheme in ("gs", "gcs") and os.environ.get("STORAGE_EMULATOR_HOST"):
            return _emulated_gcs(url, **options)
        import fsspec.core

        return fsspec.core.url_to_fs(url, **options)
    except ImportError as error:
        raise ImportError(f"{url}: reading {scheme}:// needs {INSTALL.get(scheme, 'an fsspec backend')}") from error


def _emulated_gcs(url: str, **options):
    """gcsfs against a GCS emulator (``STORAGE_EMULATOR_HOST``): no credentials, JSON API only.

    An emulator checks no tokens, and it has no gRPC control plane, so gcsfs's default class (which
    asks that plane each bucket's layout, waiting a minute per bucket for an answer that never comes)
    is replaced by its plain JSON-API class, as Google's own clients use anonymous credentials there.
    """
    from gcsfs.core import GCSFileSystem

    fs = GCSFileSystem(token="anon", **options)
    return fs, fs._strip_protocol(url)


def cache_root() -> Path:
    """Where remote inputs are mirrored and remote runs are written locally (``MEDTRINITY_REMOTE_CACHE``)."""
    configured = os.environ.get("MEDTRINITY_REMOTE_CACHE")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "medtrinity-remote"


def local_path_for(url: str, root: Path | None = None) -> Path:
    """The local place of ``url`` under the cache root: ``<root>/s3/bucket/key`` (same on every node)."""
    scheme, rest = url.split("://", 1)
    parts = [part for part in rest.split("/") if part]
    if not parts or any(part in {".", ".."} for part in parts):
        raise ValueError(f"{url!r}: not a bucket/key URL")
    return (root or cache_root()) / scheme / Path(*parts)


def as_urls(text: str) -> str:
    """``text`` with local mirror paths written back as the URLs they came from (reject reasons, file names)."""
    root = str(cache_root())
    if root not in text:
        return text
    for scheme in INSTALL:
        text = text.replace(f"{root}/{scheme}/", f"{scheme}://")
    return text


def glob_root(url: str) -> str:
    """The fixed folder a URL pattern starts from (``s3://b/ds/img_*.png`` -> ``s3://b/ds``)."""
    cut = min((url.index(char) for char in GLOB_CHARS if char in url), default=None)
    if cut is None:
        return url.rstrip("/")
    return url[:cut].rsplit("/", 1)[0]


def _version(info: dict) -> list:
    """What says an object changed: size and ETag (S3), md5/etag (GCS), else modification time."""
    tag = info.get("ETag") or info.get("etag") or info.get("md5Hash") or info.get("LastModified") or info.get("mtime")
    return [int(info.get("size") or 0), str(tag)]


def mirror_down(url: str, local: Path) -> int:
    """Copy the object ``url``, or every object under the prefix ``url``, to ``local``; returns how many were fetched.

    Objects already mirrored with the same size and ETag are skipped; each download goes to a
    temporary name first. One process per node mirrors a root at a time (a lock file beside it).
    """
    fs, root = filesystem(url)
    local.parent.mkdir(parents=True, exist_ok=True)
    index_path = local.parent / f".{local.name}.mirror.json"
    with open(local.parent / f".{local.name}.mirror.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.exists() else {}
        fs.invalidate_cache()  # listings cached by an earlier call in this process may be stale
        if fs.isfile(root):
            listing = {"": fs.info(root)}
        else:
            found = fs.find(root, detail=True)
            if not found:
                raise FileNotFoundError(f"{url}: no object at this URL or under this prefix")
            listing = {name[len(root.rstrip("/")) + 1:]: info for name, info in found.items()
                       if info.get("type") != "directory"}
        fetched = 0
        for relative, info in sorted(listing.items()):
            target = local / relative if relative else local
            version = _version(info)
            if index.get(relative) == version and target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f"{target.name}{TMP_MARK}{os.getpid()}")
            fs.get_file(info["name"], str(temporary))
            os.replace(temporary, target)
            index[relative] = version
            fetched += 1
        write_json_atomic(index_path, index)
    return fetched


def stage(url: str) -> str:
    """The local path to read instead of ``url``, mirrored from the store once per process (globs kept)."""
    if url in _STAGED:
        return _STAGED[url]
    root = glob_root(url)
    local_root = local_path_for(root)
    mirror_down(root, local_root)
    staged = str(local_root) + url[len(root):]
    _STAGED[url] = staged
    return staged


PATH_FIELDS = ("path", "labels", "label_map")


def has_remote_paths(source) -> bool:
    """Whether any path of a source config (or one of its string options) is an object-store URL."""
    return any(is_remote(getattr(source, name, None)) for name in PATH_FIELDS) or any(
        is_remote(value) for value in source.options.values())


def staged_source(source):
    """The source config with every URL replaced by its local mirror (fetched on first use in this process).

    The reader then lists and opens local files; ids come from paths relative to the source's root,
    so they equal those of a local copy of the same objects.
    """
    if not has_remote_paths(source):
        return source
    update = {name: stage(getattr(source, name)) for name in PATH_FIELDS if is_remote(getattr(source, name))}
    options = {key: stage(value) if is_remote(value) else value for key, value in source.options.items()}
    return source.model_copy(update={**update, "options": options})


def remote_exists(url: str) -> bool:
    """The object, or something under the prefix a pattern starts from, exists in the store."""
    fs, root = filesystem(glob_root(url))
    return bool(fs.exists(root))


def join(url: str, relative: str) -> str:
    return f"{url.rstrip('/')}/{relative}"


class RemoteMirror:
    """A local folder pushed to an object-store prefix file by file; remembers what it pushed."""

    RECORD = "_remote_pushed.json"

    def __init__(self, local: Path, url: str):
        self.local, self.url = Path(local), url.rstrip("/")
        self.fs, self.root = filesystem(self.url)
        record = self.local / self.RECORD
        self.pushed: dict[str, list] = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}

    def pull(self) -> int:
        """Bring down what the store holds of this folder (a run resumed on another machine); returns files fetched."""
        self.fs.invalidate_cache()
        if not self.fs.exists(self.root) or not self.fs.find(self.root):
            return 0
        fetched = mirror_down(self.url, self.local)
        for relative in self._local_files():
            self.pushed[relative] = self._stamp(relative)  # what came from the store needs no push back
        self._save()
        return fetched

    def push(self, relatives: Iterable[str]) -> int:
        """Upload these files (relative paths) in the order given, skipping unchanged ones; returns how many."""
        sent = 0
        for relative in relatives:
            if not (self.local / relative).is_file():
                continue
            stamp = self._stamp(relative)
            if self.pushed.get(relative) == stamp:
                continue
            self.fs.put_file(str(self.local / relative), f"{self.root}/{relative}")
            self.pushed[relative] = stamp
            sent += 1
        self._save()
        return sent

    def sync(self, last: Iterable[str] = ()) -> dict:
        """Push every changed file (those in ``last`` at the end) and delete objects no longer present locally."""
        last = [name for name in last]
        files = self._local_files()
        sent = self.push([name for name in files if name not in last] + [name for name in last if name in files])
        present = set(files)
        prefix = self.root.rstrip("/") + "/"
        removed = 0
        self.fs.invalidate_cache()
        for name in sorted(self.fs.find(self.root)):
            relative = name[len(prefix):] if name.startswith(prefix) else None
            if relative and relative not in present and not relative.endswith(".mirror.json"):
                self.fs.rm_file(name)
                self.pushed.pop(relative, None)
                removed += 1
        self._save()
        return {"pushed": sent, "removed": removed}

    def _local_files(self) -> list[str]:
        skip = {self.RECORD, "_run.lock"}
        return sorted(
            str(path.relative_to(self.local)) for path in self.local.rglob("*")
            if path.is_file() and path.name not in skip and TMP_MARK not in path.name
            and not path.name.endswith((".mirror.json", ".mirror.lock"))
        )

    def _stamp(self, relative: str) -> list:
        """Size and modification time: every writer here replaces a file whole (temporary name, rename)."""
        stat = (self.local / relative).stat()
        return [stat.st_size, stat.st_mtime_ns]

    def _save(self) -> None:
        self.local.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.local / self.RECORD, dict(sorted(self.pushed.items())))
