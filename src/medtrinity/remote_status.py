"""``medtrinity status s3://bucket/run`` (or ``gs://``): the state of a run read from the object store.

Nothing is downloaded but the small files a run keeps beside its parts (plan, shard markers, errors,
removal journals, stats, resolved config, manifest): they are fetched in one batch into a temporary folder
and read by the same code as a local run, so the report is the one ``status`` gives for a folder. One
listing of the prefix gives every object's size: each file the manifest lists (or, before the manifest
exists, each file a shard marker recorded) is checked for presence and size there. Checksums need the
bytes: ``medtrinity verify URL`` streams the objects and compares their sha256 (:mod:`medtrinity.remote_verify`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from medtrinity.io.remote_read import list_objects, open_store, read_object, read_objects
from medtrinity.run_folder import (
    CHANGED,
    CONFIG_NAME,
    DEDUP_JOURNAL_NAME,
    ERRORS_NAME,
    LISTED_FOLDERS,
    MANIFEST_NAME,
    MARKER_FOLDER,
    PLAN_NAME,
    STATS_NAME,
    VERIFY_JOURNAL_NAME,
    RunFolder,
    part_index,
    part_name,
)
from medtrinity.run_integrity import CHANGED_SINCE_MARKER, FILES_KEY

SMALL_FILES = (PLAN_NAME, ERRORS_NAME, DEDUP_JOURNAL_NAME, VERIFY_JOURNAL_NAME, STATS_NAME, CONFIG_NAME,
               MANIFEST_NAME)


@dataclass
class StoredRun:
    """A run at an object-store prefix: its objects' sizes and a local folder holding its small files."""

    url: str
    fs: object
    root: str  # the key prefix inside the store
    sizes: dict[str, int]  # relative name -> bytes, every object under the prefix
    folder: RunFolder  # the small files, fetched

    def key(self, name: str) -> str:
        return f"{self.root}/{name}"

    def listed_parts(self) -> list[str]:
        """Every Parquet object under ``triplets/`` and ``rejects/`` (what a manifest lists), sorted."""
        return sorted(name for name in self.sizes if name.endswith(".parquet")
                      and name.split("/", 1)[0] in LISTED_FOLDERS and name.count("/") == 1)

    def expected_files(self) -> tuple[dict[str, list[dict | None]], list[str]]:
        """What each recorded file should be, and problems found without reading any part.

        Returns ``{name: [accepted records]}`` (a record is ``{"bytes", "sha256"}``, or None for "absent",
        the state before a pass created the file) and problems: files listed or recorded but missing, Parquet
        objects the manifest does not list, parts of shards whose marker predates file records and that are
        gone. Against the manifest when the run has one, else against every completed shard's marker.
        """
        expected: dict[str, list[dict | None]] = {}
        problems: list[str] = []
        if self.folder.has_manifest():
            manifest = json.loads(self.folder.manifest_path.read_text(encoding="utf-8"))
            for entry in manifest["files"]:
                expected[entry["path"]] = [entry]
                if entry["path"] not in self.sizes:
                    problems.append(f"{entry['path']}: listed in the manifest but missing")
            problems += [f"{name}: present but not in the manifest" for name in self.listed_parts()
                         if name not in expected]
            return expected, problems
        for index, marker in sorted(self.folder.completed_shards().items()):
            records = marker.get(FILES_KEY)
            if records is None:  # a marker from before files were recorded: the part must at least be there
                name = f"triplets/{part_name(index)}"
                if name not in self.sizes:
                    problems.append(f"{name}: missing (shard {index})")
                continue
            for name, record in sorted(records.items()):
                accepted = [record] + ([record["before"]] if "before" in record else [])
                expected[name] = accepted
                if name not in self.sizes and None not in accepted:
                    problems.append(f"{name}: recorded by shard {index} but missing")
        return expected, problems

    def changed_message(self, name: str) -> str:
        """How a file whose size or checksum differs is reported (the local ``status``/``verify`` wording)."""
        if self.folder.has_manifest():
            return f"{name}: {CHANGED}"
        return f"{name}: {CHANGED_SINCE_MARKER} (shard {part_index(Path(name))})"


def _is_small(name: str) -> bool:
    return name in SMALL_FILES or (name.startswith(f"{MARKER_FOLDER}/") and name.endswith(".done.json"))


@contextmanager
def stored_run(url: str) -> Iterator[StoredRun]:
    """List ``url`` and fetch its small files into a temporary folder (removed on exit).

    A prefix without a run plan is a FileNotFoundError naming the URL; an unreachable store a
    :class:`~medtrinity.io.remote_read.StoreUnreachableError`.
    """
    fs, root = open_store(url)
    try:  # the first request, with a deadline: a dead endpoint fails here within the timeout
        plan = read_object(url, fs, f"{root}/{PLAN_NAME}")
    except FileNotFoundError:
        raise FileNotFoundError(f"{url} holds no medtrinity run (no {PLAN_NAME} under this prefix)") from None
    sizes = list_objects(url, fs, root)
    small = sorted(name for name in sizes if _is_small(name) and name != PLAN_NAME)
    contents = {PLAN_NAME: plan, **read_objects(url, fs, root, small)}
    with tempfile.TemporaryDirectory(prefix="medtrinity-remote-run-") as temporary:
        for name, data in contents.items():
            target = Path(temporary) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield StoredRun(url.rstrip("/"), fs, root, sizes, RunFolder(temporary))


def size_problems(run: StoredRun) -> list[str]:
    """Problems visible in the listing alone: missing and unlisted files, and files whose size differs."""
    expected, problems = run.expected_files()
    for name, accepted in sorted(expected.items()):
        size = run.sizes.get(name)
        if size is None:
            continue  # missing: already a problem, unless absent is one of the accepted states
        if not any(record is not None and record["bytes"] == size for record in accepted):
            problems.append(run.changed_message(name))
    return problems


def remote_run_status(url: str) -> dict:
    """The status report of the run at ``url`` (see :func:`medtrinity.runner.run_status`), from the store.

    ``integrity`` holds what the listing shows (missing, unlisted, or size changed); ``checked`` says
    that sizes, not checksums, were compared. ``running`` is always None: the run lock lives on the machine
    that runs, not in the store.
    """
    from medtrinity.runner import status_report

    with stored_run(url) as run:
        report = status_report(run.folder, run.url, size_problems(run), None)
        report["checked"] = "sizes"
        report["objects"] = len(run.sizes)
    return report
