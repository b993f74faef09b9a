"""``medtrinity status URL`` and ``medtrinity verify URL`` on runs in a real S3 API server (moto) and a real GCS
JSON-API emulator on 127.0.0.1 (``remote_store``): each test runs once per scheme, through the installed CLI
entry point (``python -m medtrinity``) in a subprocess, as a user would."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medtrinity import remote_status
from medtrinity.config import load_config
from medtrinity.remote_run import run_to_url
from medtrinity.remote_status import remote_run_status
from medtrinity.runner import run_status

from .helpers import LostAfter, write_config
from .remote_store import collection, key_of, objects


def _medtrinity(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
    return subprocess.run([sys.executable, "-m", "medtrinity", *args], capture_output=True, text=True,
                          env=environment, timeout=120)


def _run(store, tmp_path, name: str, on_shard_done=None):
    """Run the 7-image (+3 bad inputs) collection into ``<store>://<name>-out/run``; 4 shards."""
    _, url = collection(tmp_path, store, f"{name}-in")
    store.fs.mkdir(f"{name}-out")
    config = load_config(write_config(tmp_path / "remote.yaml", [url]))
    run_url = store.url(f"{name}-out/run")
    return run_url, run_to_url(config, run_url, work_dir=tmp_path / "work", on_shard_done=on_shard_done)


def _edit_description(store, key: str, old: str, new: str) -> str:
    """Rewrite the part at ``key`` in the store with one row's description edited, as a user with pyarrow would."""
    table = pq.read_table(io.BytesIO(store.fs.cat_file(key)))
    rows = table.to_pylist()
    row = next(row for row in rows if old in row["description_text"])
    row["description_text"] = row["description_text"].replace(old, new)
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), sink)
    store.fs.pipe_file(key, sink.getvalue())
    return row["id"]


def test_status_and_verify_of_a_complete_run_read_from_the_bucket(store, tmp_path, monkeypatch):
    run_url, summary = _run(store, tmp_path, "done")
    assert summary.complete and summary.triplets == 7
    before = objects(store.fs, run_url)
    fetched: list[str] = []
    read = remote_status.read_objects

    def recording(url, fs, root, names):  # the real fetch, with the names it was asked for noted
        fetched.extend(names)
        return read(url, fs, root, names)

    monkeypatch.setattr(remote_status, "read_objects", recording)
    remote = remote_run_status(run_url)
    assert fetched and not [name for name in fetched if name.endswith(".parquet")]  # no part was downloaded
    local = run_status(tmp_path / "work")
    assert {key: value for key, value in remote.items() if key not in {"out_dir", "checked", "objects"}} == {
        key: value for key, value in local.items() if key != "out_dir"}
    assert remote["out_dir"] == run_url and remote["integrity"] == [] and remote["objects"] == len(before)

    status = _medtrinity("status", run_url)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == f"{run_url}: complete, 4/4 shards done, 0 left, 0 failed"
    local_lines = _medtrinity("status", str(tmp_path / "work")).stdout.splitlines()
    assert lines[1:len(local_lines)] == local_lines[1:]  # counts, manifest and reject reasons as for the folder
    assert "7 triplets, 3 rejects; manifest written" in lines
    assert f"checksums: medtrinity verify {run_url}" in status.stdout

    verify = _medtrinity("verify", run_url)
    assert verify.returncode == 0, verify.stderr
    local_verify = _medtrinity("verify", str(tmp_path / "work"), "--dry-run")
    assert verify.stdout.splitlines()[0] == local_verify.stdout.splitlines()[0] == \
        "7 rows verified (flag mode): pass 7, flag 0, reject 0"
    assert "0 rows would change" in verify.stdout and "nothing in the store was rewritten" in verify.stdout
    assert objects(store.fs, run_url) == before  # status and verify wrote nothing


def test_status_of_a_killed_run_lists_what_is_left_and_verify_checks_the_markers(store, tmp_path):
    lost = LostAfter(2)
    with pytest.raises(KeyboardInterrupt):
        _run(store, tmp_path, "killed", on_shard_done=lost)
    run_url = store.url("killed-out/run")
    status = _medtrinity("status", run_url)
    assert status.returncode == 0, status.stderr
    assert f"{run_url}: incomplete, 2/4 shards done, 2 left, 0 failed" in status.stdout
    assert "manifest not written" in status.stdout
    left = sorted(set(range(4)) - set(lost.done))
    items = {0: 3, 1: 3, 2: 3, 3: 1}  # 10 inputs, 3 files per shard
    for index in left:
        assert f"left: shard {index} of source synthetic_xray ({items[index]} items)" in status.stdout
    verify = _medtrinity("verify", run_url)  # no manifest yet: every part against its shard's marker
    assert verify.returncode == 0, verify.stderr
    expected_rows = remote_run_status(run_url)["triplets"]
    assert verify.stdout.startswith(f"{expected_rows} rows verified (flag mode)")

    part = f"triplets/part-{lost.done[0]:05d}.parquet"
    store.fs.rm_file(f"{key_of(run_url)}/{part}")
    store.fs.invalidate_cache()
    gone = _medtrinity("status", run_url)
    assert gone.returncode == 1 and f"{part}: recorded by shard {lost.done[0]} but missing" in gone.stderr
    assert "no manifest yet" in gone.stderr


def test_an_object_changed_or_deleted_after_the_run_is_named(store, tmp_path):
    run_url, _ = _run(store, tmp_path, "tampered")
    root = key_of(run_url)
    first = f"{root}/triplets/part-00001.parquet"
    original = store.fs.cat_file(first)
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01  # one bit, same size: only a checksum sees it
    store.fs.pipe_file(first, bytes(flipped))
    status = _medtrinity("status", run_url)
    assert status.returncode == 0  # sizes match: status reads no part, and says where checksums are checked
    assert "checksums: medtrinity verify" in status.stdout
    verify = _medtrinity("verify", run_url)
    assert verify.returncode == 1
    assert "changed: triplets/part-00001.parquet: size or checksum differs from the manifest" in verify.stderr
    store.fs.pipe_file(first, original)

    edited = _edit_description(store, f"{root}/triplets/part-00000.parquet", "Chest radiograph.", "Chest MRI.")
    store.fs.rm_file(f"{root}/rejects/part-00002.parquet")
    store.fs.pipe_file(f"{root}/triplets/part-00099.parquet", original)  # an object the run never wrote
    store.fs.invalidate_cache()
    status = _medtrinity("status", run_url)
    assert status.returncode == 1
    assert "changed: triplets/part-00099.parquet: present but not in the manifest" in status.stderr
    assert "changed: triplets/part-00000.parquet: size or checksum differs from the manifest" in status.stderr
    assert "changed: rejects/part-00002.parquet: listed in the manifest but missing" in status.stderr
    verify = _medtrinity("verify", run_url)
    assert verify.returncode == 1 and "rejects/part-00002.parquet: listed in the manifest but missing" in verify.stderr
    assert "triplets/part-00099.parquet: present but not in the manifest" in verify.stderr
    assert "triplets/part-00001.parquet" not in verify.stderr  # restored: matches again
    store.fs.rm_file(f"{root}/triplets/part-00099.parquet")

    restored = (tmp_path / "work" / "rejects" / "part-00002.parquet").read_bytes()
    store.fs.pipe_file(f"{root}/rejects/part-00002.parquet", restored)
    refused = _medtrinity("verify", run_url, "--accept-changes")  # would record checksums: a write
    assert refused.returncode == 2 and "read-only" in refused.stderr and "--dry-run" in refused.stderr
    before = objects(store.fs, run_url)
    accepted = _medtrinity("verify", run_url, "--accept-changes", "--dry-run")
    assert accepted.returncode == 0, accepted.stderr
    assert "7 rows verified (flag mode): pass 6, flag 1, reject 0" in accepted.stdout
    assert f"flag {edited}" in accepted.stdout and "modality_mismatch" in accepted.stdout
    assert "1 rows would change" in accepted.stdout
    assert objects(store.fs, run_url) == before  # nothing rewritten in the store


def test_a_prefix_without_a_run_is_a_one_line_error_naming_it(store, tmp_path):
    store.fs.mkdir("norun")
    store.fs.pipe_file("norun/other/readme.txt", b"not a run")
    urls = (store.url("norun/empty"), store.url("norun/other"), store.url("no-such-bucket-here/run"))
    for command, url in [*(("status", url) for url in urls), ("verify", urls[1])]:
        result = _medtrinity(command, url)
        assert result.returncode == 2, (command, url, result.stdout)
        assert result.stderr.strip().count("\n") == 0 and url in result.stderr
        assert "holds no medtrinity run" in result.stderr


@pytest.mark.parametrize("scheme", ["s3", "gs"])
@pytest.mark.parametrize("endpoint", ["refused", "silent"])
def test_an_unreachable_endpoint_is_an_error_naming_the_url_within_the_timeout(scheme, endpoint):
    """Nothing listens (connection refused), or a socket accepts connections and never answers: the command
    stops after ``MEDTRINITY_REMOTE_TIMEOUT_S`` (2 s here) with an error naming the URL, instead of hanging."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        if endpoint == "silent":
            silent.listen(16)  # the kernel completes handshakes; nobody ever reads or answers
        else:
            silent.close()  # the port is free again: connections are refused
        address = f"http://127.0.0.1:{port}"
        env = {"MEDTRINITY_REMOTE_TIMEOUT_S": "2", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_ENDPOINT_URL_S3": address, "STORAGE_EMULATOR_HOST": address}
        url = f"{scheme}://some-bucket/runs/big"
        started = time.monotonic()
        result = _medtrinity("status", url, env=env)
        seconds = time.monotonic() - started
    assert result.returncode == 2 and url in result.stderr, result.stderr
    assert "object store" in result.stderr and "Traceback" not in result.stderr
    assert seconds < 20, f"status took {seconds:.1f} s against an unreachable endpoint"
