"""The bundled knowledge base: YAML entry files under ``data/entries`` turned into documents."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import yaml

from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.paths import data_dir
from medtrinity.knowledge.schema import Entry, EntryError, validate_entry
from medtrinity.vocab.modalities import LONG_MODALITY_NAMES

BUILTIN_NAME = "builtin"
BUILTIN_SOURCE = "medtrinity-builtin"
BUILTIN_LICENSE = "CC-BY-4.0 (medtrinity project text)"
# Bump when the way entries become passages changes, so cached built-in indexes are rebuilt.
PASSAGE_LAYOUT_VERSION = "2"


def entry_files() -> list[Path]:
    """The bundled entry files, in a fixed order."""
    return sorted((data_dir() / "entries").glob("*.yaml"))


def load_entries(files: list[Path] | None = None) -> list[Entry]:
    """All bundled entries, validated; a duplicate id across files is an error naming both files."""
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in files if files is not None else entry_files():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, list):
            raise EntryError(f"{path}: expected a list of entries, got {type(raw).__name__}")
        for index, item in enumerate(raw):
            entry = validate_entry(item, where=f"{path.name}[{index}]")
            if entry.id in seen:
                raise EntryError(
                    f"{path.name}: entry id {entry.id!r} already defined in {seen[entry.id].name}"
                )
            seen[entry.id] = path
            entries.append(entry)
    return entries


def fingerprint(files: list[Path] | None = None) -> str:
    """Hash of the bundled files' bytes: the built-in index is rebuilt when the data changes."""
    digest = hashlib.sha256(PASSAGE_LAYOUT_VERSION.encode())
    for path in files if files is not None else entry_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _heading(entry: Entry) -> str:
    names = entry.name + (f" ({', '.join(entry.synonyms)})" if entry.synonyms else "")
    return f"{names}. {entry.kind.capitalize()} of the {entry.organ}, {entry.body_part}."


def entry_documents(entry: Entry) -> Iterator[Document]:
    """One document per imaged modality, plus an overview; each stands alone when cited.

    The overview names no modality, so a query that names one ranks that modality's passage first.
    """
    group = f"{BUILTIN_NAME}:{entry.id}"
    heading = _heading(entry)
    yield Document(
        id=f"{group}/about",
        source=BUILTIN_SOURCE,
        title=entry.name,
        text=f"{heading} Clinical context: {entry.clinical}",
        license=BUILTIN_LICENSE,
        group=group,
        chunk=False,
    )
    for modality, appearance in entry.appearance.items():
        yield Document(
            id=f"{group}/{modality}",
            source=BUILTIN_SOURCE,
            title=f"{entry.name} on {modality}",
            text=f"{heading} On {LONG_MODALITY_NAMES[modality]}: {appearance} Clinical context: {entry.clinical}",
            license=BUILTIN_LICENSE,
            group=group,
            chunk=False,
        )


def builtin_documents() -> Iterator[Document]:
    """Documents of every bundled entry."""
    for entry in load_entries():
        yield from entry_documents(entry)
