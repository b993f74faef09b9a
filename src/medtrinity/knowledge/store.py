"""A knowledge base on disk: passages in a memory-mapped Arrow file, a manifest, and its indexes.

Layout of a knowledge-base folder::

    kb.json          manifest: format version, passage count, sources, build reports
    passages.arrow   id, source, title, text, license, group (Arrow IPC, uncompressed)
    bm25/            BM25 score arrays (memory-mapped on load)
    dense/<model>/   embeddings.npy (float32, L2-normalised) and, when large, hnsw.faiss
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path

import pyarrow as pa

from medtrinity.knowledge.documents import PassageRow

FORMAT_VERSION = 1
MANIFEST = "kb.json"
PASSAGES = "passages.arrow"
_COLUMNS = [f.name for f in fields(PassageRow)]
_SCHEMA = pa.schema([(name, pa.string()) for name in _COLUMNS])


class KnowledgeBaseError(ValueError):
    """A folder that is not a usable knowledge base; the message names the folder."""


def is_kb(folder: Path) -> bool:
    """True when ``folder`` holds a knowledge-base manifest."""
    return (folder / MANIFEST).is_file()


def read_manifest(folder: Path) -> dict:
    """The manifest of a knowledge base, checked for a format this code can read."""
    path = folder / MANIFEST
    if not path.is_file():
        raise KnowledgeBaseError(
            f"{folder} is not a knowledge base (no {MANIFEST}); build one with `medtrinity kb build`"
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise KnowledgeBaseError(
            f"{folder}: knowledge-base format {version!r}, this code reads {FORMAT_VERSION}"
        )
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write the manifest atomically."""
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temporary name beside ``path``, then rename over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)


class PassageStore:
    """The passages of one knowledge base, read through a memory map."""

    def __init__(self, folder: Path):
        self.folder = folder
        path = folder / PASSAGES
        if path.is_file():
            self.table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        else:
            self.table = _SCHEMA.empty_table()
        self._ids: dict[str, int] | None = None

    def __len__(self) -> int:
        return self.table.num_rows

    def id_positions(self) -> dict[str, int]:
        """Passage id -> row number (built on first use)."""
        if self._ids is None:
            self._ids = {pid: i for i, pid in enumerate(self.table.column("id").to_pylist())}
        return self._ids

    def row(self, index: int) -> PassageRow:
        """The passage at row ``index``."""
        if not 0 <= index < len(self):
            raise IndexError(f"passage row {index} out of range 0..{len(self) - 1}")
        values = self.table.slice(index, 1).to_pylist()[0]
        return PassageRow(**values)

    def index_texts(self, start: int = 0) -> list[str]:
        """Title and text of every passage from ``start``: what the indexes see."""
        titles = self.table.column("title").to_pylist()[start:]
        texts = self.table.column("text").to_pylist()[start:]
        return [f"{title}. {text}" for title, text in zip(titles, texts, strict=True)]

    def groups(self) -> list[str]:
        """Group id of every passage, in row order."""
        return self.table.column("group").to_pylist()

    def write_with(self, rows: Iterable[PassageRow]) -> int:
        """Rewrite the passage file with ``rows`` appended; returns how many rows were added."""
        new = [asdict(row) for row in rows]
        if not new:
            return 0
        added = pa.Table.from_pylist(new, schema=_SCHEMA)
        table = pa.concat_tables([self.table.cast(_SCHEMA), added]) if len(self) else added
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{PASSAGES}.")
        os.close(handle)
        with pa.OSFile(temporary, "wb") as sink, pa.ipc.new_file(sink, _SCHEMA) as writer:
            writer.write_table(table, max_chunksize=65536)
        os.replace(temporary, self.folder / PASSAGES)
        self.table = pa.ipc.open_file(pa.memory_map(str(self.folder / PASSAGES), "r")).read_all()
        self._ids = None
        return len(new)


def replace_folder(temporary: Path, final: Path) -> Path:
    """Move a finished folder into place; if another process got there first, keep theirs."""
    try:
        os.rename(temporary, final)
    except OSError:
        if not is_kb(final):
            raise
        shutil.rmtree(temporary, ignore_errors=True)
    return final
