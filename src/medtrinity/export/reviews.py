"""Review decisions on written rows: accept, reject or edit, kept append-only under the run folder.

Every decision is one JSON line in ``RUN/_reviews.jsonl`` (who, when, what), never rewritten, so the
history of a row stays auditable. The latest accept/reject sets a row's status; the latest edit sets
its description text. ``medtrinity export`` honours both: rejected rows are left out, edited text
replaces the generated one.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REVIEWS_NAME = "_reviews.jsonl"
ACTIONS = ("accept", "reject", "edit")


class ReviewError(ValueError):
    """A review decision that cannot be recorded (unknown action, missing text)."""


@dataclass(frozen=True)
class ReviewState:
    """What the decisions so far say about one row."""

    status: str = ""  # accepted, rejected or "" (never decided)
    edited_text: str | None = None
    who: str = ""
    when: str = ""


def append_decision(run_dir: Path, row_id: str, action: str, who: str, text: str | None = None) -> dict:
    """Record one decision as a new line (locked, flushed and synced); returns the record written."""
    if action not in ACTIONS:
        raise ReviewError(f"review action {action!r} is not one of {', '.join(ACTIONS)}")
    if action == "edit" and not (text or "").strip():
        raise ReviewError(f"an edit of row {row_id!r} needs a non-empty description text")
    record = {"id": row_id, "action": action, "who": who or "anonymous",
              "when": datetime.now(UTC).isoformat(timespec="seconds")}
    if action == "edit":
        record["text"] = text
    line = json.dumps(record, sort_keys=True) + "\n"
    with open(Path(run_dir) / REVIEWS_NAME, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return record


def read_decisions(run_dir: Path) -> list[dict]:
    """Every recorded decision in file order; a torn last line (a killed writer) is skipped."""
    path = Path(run_dir) / REVIEWS_NAME
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines):
                continue  # a writer killed mid-line; everything before it stands
            raise ReviewError(f"{path}: line {number} is not JSON ({error})") from error
        if record.get("action") in ACTIONS and isinstance(record.get("id"), str):
            records.append(record)
    return records


def review_states(run_dir: Path) -> dict[str, ReviewState]:
    """Row id -> its current review state, folding the decisions in order."""
    states: dict[str, ReviewState] = {}
    for record in read_decisions(run_dir):
        state = states.get(record["id"], ReviewState())
        if record["action"] == "edit":
            state = ReviewState(state.status, record["text"], record["who"], record["when"])
        else:
            status = "accepted" if record["action"] == "accept" else "rejected"
            state = ReviewState(status, state.edited_text, record["who"], record["when"])
        states[record["id"]] = state
    return states
