"""``medtrinity verify s3://bucket/run`` (or ``gs://``): check a run in the object store, read only.

The same checks as ``verify`` on a folder: every file the manifest lists (or, before the manifest exists,
every file a shard marker recorded) must be there with the recorded size and sha256, and no Parquet object
may be unlisted; then every triplet row is verified again against its stored measurements. Objects are
read one at a time: each triplet part is streamed (8 MiB ranges) into one temporary file, hashed on the way,
its rows verified in record batches, and the file deleted before the next part; other listed objects (rejects,
stats, config) are hashed as they stream and never stored. Nothing in the store is written: what a local
``verify`` would rewrite (QC fields, rows moved to rejects, accepted checksums) is only reported.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from medtrinity.io.remote_read import stream_sha256
from medtrinity.remote_status import StoredRun, stored_run
from medtrinity.run_folder import CHANGED, TRIPLETS
from medtrinity.run_integrity import CHANGED_SINCE_MARKER
from medtrinity.verify_run import IntegrityError, VerifyReport, check_mode, check_part_rows, verify_settings

BATCH_ROWS = 1024


def verify_url(url: str, on_contradiction: str | None = None, *, accept_changes: bool = False) -> VerifyReport:
    """Check and re-verify the run at ``url`` without writing to it (a local ``verify --dry-run``).

    Raises :class:`~medtrinity.verify_run.IntegrityError` naming every missing, unlisted or changed object
    (changed parts are verified anyway with ``accept_changes``), FileNotFoundError for a prefix without a run,
    and :class:`~medtrinity.io.remote_read.StoreUnreachableError` when the store does not answer.
    """
    with stored_run(url) as run:
        parts = sorted(name for name in run.sizes if name.startswith(f"{TRIPLETS}/part-")
                       and name.endswith(".parquet") and name.count("/") == 1)
        if not parts:
            raise FileNotFoundError(f"{run.url} holds no {TRIPLETS}/part-*.parquet objects")
        mode, options = verify_settings(run.folder)
        report = VerifyReport(mode=check_mode(on_contradiction or mode))
        expected, problems = run.expected_files()
        present = sorted(name for name in set(expected) | set(parts) if name in run.sizes)
        with tempfile.TemporaryDirectory(prefix="medtrinity-verify-") as scratch:
            for name in present:
                problem = _check_object(run, name, expected.get(name), name in parts, Path(scratch), report,
                                        verify_rows=accept_changes or not problems, options=options)
                if problem:
                    problems.append(problem)
        changed = [p for p in problems if CHANGED in p or CHANGED_SINCE_MARKER in p]
        if problems and not (accept_changes and len(changed) == len(problems)):
            raise IntegrityError(run.url, problems)
    return report


def _check_object(run: StoredRun, name: str, accepted: list[dict | None] | None, is_part: bool, scratch: Path,
                  report: VerifyReport, *, verify_rows: bool, options) -> str | None:
    """Check one object against its accepted records; verify its rows if it is a triplet part. Returns the
    problem found, or None."""
    size = run.sizes[name]
    records = [record for record in accepted or [] if record is not None and record["bytes"] == size]
    size_differs = accepted is not None and not records
    if not is_part:
        if accepted is None or size_differs:
            return run.changed_message(name) if size_differs else None
        digest = stream_sha256(run.url, run.fs, run.key(name), size)
        return None if any(record["sha256"] == digest for record in records) else run.changed_message(name)
    local = scratch / Path(name).name
    try:
        with open(local, "wb") as handle:
            digest = stream_sha256(run.url, run.fs, run.key(name), size, handle.write)
        problem = None
        if size_differs or (records and not any(record["sha256"] == digest for record in records)):
            problem = run.changed_message(name)
        if verify_rows:
            decode_error = _verify_rows(local, report, options)
            problem = problem or (f"{name}: does not decode ({decode_error})" if decode_error else None)
        return problem
    finally:
        local.unlink(missing_ok=True)


def _verify_rows(local: Path, report: VerifyReport, options) -> str | None:
    """Verify the rows of one downloaded part in record batches; returns why it does not decode, or None."""
    try:
        for batch in pq.ParquetFile(local).iter_batches(batch_size=BATCH_ROWS):
            check_part_rows(batch.to_pylist(), local.name, report.mode, options, report)
    except (pa.ArrowException, OSError) as error:  # a part that does not decode is the finding
        return f"{type(error).__name__}: {error}"
    return None
