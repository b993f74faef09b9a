"""Object-store test servers on 127.0.0.1 and what tests do with them (shared by the ``test_remote*`` modules).

S3: moto's server speaks the S3 REST protocol; s3fs / botocore talk to it over HTTP exactly as to
AWS (endpoint from ``AWS_ENDPOINT_URL_S3``). GCS: ``gcp-storage-emulator`` speaks the GCS JSON API;
gcsfs talks to it over HTTP as to Google (endpoint from ``STORAGE_EMULATOR_HOST``, no credentials).
A test module imports ``store``, ``s3_endpoint`` and ``gcs_endpoint``; a test that takes ``store`` runs once
per scheme, each module starting its own servers and stopping them by PID.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

from medtrinity.io import remote

from .helpers import image_mask_source, write_image_mask_folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _server(command: list[str], port: int, log: Path):
    """Run a test server subprocess until it accepts connections on ``port``; stop it by PID afterwards."""
    with open(log, "w") as handle:
        server = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    pytest.importorskip("s3fs", reason="s3:// needs the remote extra (s3fs)")
    pytest.importorskip("moto.server", reason="the S3 test server needs moto[server] (dev extra)")
    port = _free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _server(command, port, tmp_path_factory.mktemp("moto") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def gcs_endpoint(tmp_path_factory):
    pytest.importorskip("gcsfs", reason="gs:// needs the gcs extra (gcsfs)")
    pytest.importorskip("gcp_storage_emulator", reason="the GCS test server needs gcp-storage-emulator (dev extra)")
    port = _free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port", str(port),
               "--in-memory"]
    with _server(command, port, tmp_path_factory.mktemp("gcs-emulator") / "server.log") as url:
        yield url


class Store(NamedTuple):
    """An object-store filesystem on a test server and the URL scheme that reaches it."""

    scheme: str
    fs: object

    def url(self, key: str) -> str:
        return f"{self.scheme}://{key}"


@pytest.fixture(params=["s3", "gs"])
def store(request, tmp_path, monkeypatch):
    """A filesystem on the scheme's test server, with a fresh cache root for mirrored inputs."""
    monkeypatch.setenv("MEDTRINITY_REMOTE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(remote, "_STAGED", {})
    if request.param == "s3":
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ENDPOINT_URL_S3": request.getfixturevalue("s3_endpoint")}.items():
            monkeypatch.setenv(name, value)
    else:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", request.getfixturevalue("gcs_endpoint"))
    import fsspec

    # filesystems are cached per constructor arguments, not per endpoint: one made for another module's
    # server (now stopped) would be handed out again
    fsspec.get_filesystem_class(request.param).clear_instance_cache()
    fs, _ = remote.filesystem(f"{request.param}://anything")
    fs.invalidate_cache()
    return Store(request.param, fs)


def key_of(url: str) -> str:
    return url.split("://", 1)[1]


def upload(fs, local: Path, url: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"{key_of(url)}/{path.relative_to(local)}")


def collection(tmp_path, store: Store, bucket: str) -> tuple[dict, dict]:
    """The same image + mask collection as a local source and as a source in the store."""
    folder = write_image_mask_folder(tmp_path / "xray", 7, bad=True)
    store.fs.mkdir(bucket)
    upload(store.fs, folder, store.url(f"{bucket}/datasets/xray"))
    local = image_mask_source(folder, 3)
    url = {**local, "path": store.url(f"{bucket}/datasets/xray/images"),
           "labels": store.url(f"{bucket}/datasets/xray/masks")}
    return local, url


def objects(fs, url: str) -> dict[str, bytes]:
    """Every object under ``url``: relative name -> bytes."""
    root = key_of(url)
    fs.invalidate_cache()
    return {name[len(root) + 1:]: fs.cat_file(name) for name in fs.find(root)}
