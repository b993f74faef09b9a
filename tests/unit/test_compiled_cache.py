"""numba's on-disk cache stays right when two processes save entries of one function at the same moment.

Without the lock in :mod:`medtrinity.compiled`, the interleaving this test forces (both read the empty
index, the first writes its index before the second, and its data after) leaves an index that names the
uint8 machine code for the int16 signature: a third process then fails with "can't unbox array"
(seen with numba 0.68.1 before the lock). The processes are real interpreters sharing a real cache folder;
file flags order their steps, each wait bounded, so a locked run merely waits out the flags it never sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from medtrinity import compiled

pytestmark = pytest.mark.skipif(compiled.fcntl is None, reason="the lock needs fcntl (POSIX)")

KERNEL = """
from medtrinity.compiled import compiled


@compiled()
def weighted_total(values):
    total = 0
    for value in values:
        total += value * 3 + 1
    return total
"""

# Steps of one process, ordered against the other's by flag files (each wait gives up after WAIT_S).
HARNESS = """
import os, sys, time
from pathlib import Path

import numpy as np
from numba.core import caching

import medtrinity.compiled  # the lock under test wraps numba's save and load
import kernel_module

flags, role, dtype = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
WAIT_S = 1.5


def signal(name):
    (flags / name).touch()


def wait(name):
    deadline = time.monotonic() + WAIT_S
    while not (flags / name).exists() and time.monotonic() < deadline:
        time.sleep(0.01)


original_load_index = caching.IndexDataCacheFile._load_index
original_save_index = caching.IndexDataCacheFile._save_index
original_save_data = caching.IndexDataCacheFile._save_data


def load_index(self):
    index = original_load_index(self)
    if role != "check" and sys._getframe(1).f_code.co_name == "save":  # not the lookup before compiling
        signal(role + "_read_index")
    return index


def save_index(self, overloads):
    if role == "first":
        wait("second_read_index")  # unlocked, the second process has read the empty index by now
    else:
        wait("first_saved_index")
    original_save_index(self, overloads)
    if role == "first":
        signal("first_saved_index")


def save_data(self, name, data):
    if role == "first":
        wait("second_saved")  # unlocked, the second process's data goes first and is then overwritten
    original_save_data(self, name, data)
    if role == "second":
        signal("second_saved")


if role == "killed":  # dies like kill -9 between the save's two writes, whichever comes second
    written = []

    def save_index(self, overloads, write=save_index):
        if written:
            os._exit(9)
        written.append("index")
        write(self, overloads)

    def save_data(self, name, data, write=save_data):
        if written:
            os._exit(9)
        written.append("data")
        write(self, name, data)

caching.IndexDataCacheFile._load_index = load_index
caching.IndexDataCacheFile._save_index = save_index
caching.IndexDataCacheFile._save_data = save_data
if role == "second":
    wait("first_read_index")  # start compiling only once the first is inside its save
values = (np.arange(1000) % 200).astype(dtype)
print(int(kernel_module.weighted_total(values)))
"""


def _run(folder: Path, role: str, dtype: str, environment: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(folder / "harness.py"), str(folder / "flags"), role, dtype],
                            cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_saving_different_signatures_leave_each_its_own_code(tmp_path):
    (tmp_path / "kernel_module.py").write_text(textwrap.dedent(KERNEL), encoding="utf-8")
    (tmp_path / "harness.py").write_text(textwrap.dedent(HARNESS), encoding="utf-8")
    (tmp_path / "flags").mkdir()
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
                   "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    first = _run(tmp_path, "first", "uint8", environment)
    second = _run(tmp_path, "second", "int16", environment)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs

    expected = int(((np.arange(1000) % 200) * 3 + 1).sum())
    for dtype in ("uint8", "int16"):  # a fresh process loads each signature from the shared cache
        checker = _run(tmp_path, "check", dtype, environment)
        stdout, stderr = checker.communicate(timeout=120)
        assert checker.returncode == 0, f"{dtype}: {stderr}"
        assert int(stdout) == expected, dtype
    assert list((tmp_path / "cache").rglob("*.nbi" + compiled.LOCK_SUFFIX)), "the lock file sits beside the index"


def test_a_save_killed_midway_never_leaves_an_entry_naming_an_older_file(tmp_path):
    """An index lost while its data files stay (numba starts a new index when the source changes), then a
    save killed between its two writes: the entry must not name the older file of the same number."""
    (tmp_path / "kernel_module.py").write_text(textwrap.dedent(KERNEL), encoding="utf-8")
    (tmp_path / "harness.py").write_text(textwrap.dedent(HARNESS), encoding="utf-8")
    (tmp_path / "flags").mkdir()
    for flag in ("first_read_index", "second_read_index", "first_saved_index", "second_saved"):
        (tmp_path / "flags" / flag).touch()  # no ordering here: every wait returns at once
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
                   "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    older = _run(tmp_path, "check", "uint8", environment)
    assert older.communicate(timeout=120)[0].strip(), "the uint8 entry was compiled and saved"
    for index in (tmp_path / "cache").rglob("*.nbi"):
        index.unlink()
    killed = _run(tmp_path, "killed", "int16", environment)
    killed.communicate(timeout=120)
    assert killed.returncode == 9

    expected = int(((np.arange(1000) % 200) * 3 + 1).sum())
    for dtype in ("int16", "uint8"):
        checker = _run(tmp_path, "check", dtype, environment)
        stdout, stderr = checker.communicate(timeout=120)
        assert checker.returncode == 0, f"{dtype}: {stderr}"
        assert int(stdout) == expected, dtype


def test_lock_wraps_numba_once():
    assert compiled.lock_numba_cache() is True
    save = compiled.caching.IndexDataCacheFile.save
    assert compiled.lock_numba_cache() is True
    assert compiled.caching.IndexDataCacheFile.save is save
    assert not hasattr(save.unlocked, "unlocked")


def test_a_file_system_refusing_locks_still_saves_and_loads(tmp_path, monkeypatch):
    """flock failing (ENOLCK on some network mounts) must not fail the compile: the save runs unlocked."""

    def refuse(descriptor, operation):
        raise OSError(37, "No locks available")

    monkeypatch.setattr(compiled.fcntl, "flock", refuse)
    index = tmp_path / "kernel.nbi"
    with compiled._index_locked(str(index), exclusive=True):
        index.write_bytes(b"written while unlocked")
    assert index.read_bytes() == b"written while unlocked"
    assert (tmp_path / ("kernel.nbi" + compiled.LOCK_SUFFIX)).exists()
