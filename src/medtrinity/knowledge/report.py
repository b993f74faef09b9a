"""Counts of what a build imported and what it skipped, with a reason and the file for each skip."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

logger = logging.getLogger("medtrinity.knowledge")

SKIP_REASONS: tuple[str, ...] = (
    "malformed_xml",
    "malformed_obo_stanza",
    "malformed_json",
    "obsolete_term",
    "empty_document",
    "duplicate_id",
    "unknown_encoding",
    "unsupported_file",
    "missing_path",
)


@dataclass
class ImportReport:
    """What one build did: documents and passages added, and every skip with its reason."""

    documents: int = 0
    passages: int = 0
    files: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    max_messages: int = 200

    def skip(self, reason: str, path: object, detail: str = "") -> None:
        """Count one skipped item under ``reason`` and keep a message naming the file."""
        if reason not in SKIP_REASONS:
            raise ValueError(f"unknown skip reason {reason!r}; expected one of {SKIP_REASONS}")
        self.skipped[reason] += 1
        message = f"{path}: {reason}" + (f": {detail}" if detail else "")
        logger.info("skipped %s", message)
        if len(self.messages) < self.max_messages:
            self.messages.append(message)

    def merge(self, other: ImportReport) -> None:
        """Add another report's counts and messages to this one."""
        self.documents += other.documents
        self.passages += other.passages
        self.files += other.files
        self.skipped.update(other.skipped)
        room = self.max_messages - len(self.messages)
        self.messages.extend(other.messages[: max(room, 0)])

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "files": self.files,
            "documents": self.documents,
            "passages": self.passages,
            "skipped": dict(sorted(self.skipped.items())),
            "messages": list(self.messages),
        }
