"""The unit importers produce: one document (an article, an entry, a Q&A answer) before chunking."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """A text with provenance. ``group`` ties chunks and sections of one entry or article together."""

    id: str
    source: str
    title: str
    text: str
    license: str
    group: str = ""
    chunk: bool = True

    @property
    def group_id(self) -> str:
        """The id that recall and de-duplication count by: ``group`` when set, else ``id``."""
        return self.group or self.id


@dataclass(frozen=True)
class PassageRow:
    """One stored passage: what the index holds and a search returns (plus its group id)."""

    id: str
    source: str
    title: str
    text: str
    license: str
    group: str
