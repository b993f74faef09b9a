"""Folders of JSON Lines (one passage-like object per line) and Markdown notes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.textio import read_text

DEFAULT_LICENSE = "unknown (not stated by the source)"
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HEADING = re.compile(r"^#\s+(.+)$", re.MULTILINE)


def jsonl_documents(path: Path, report: ImportReport, license: str | None = None) -> Iterator[Document]:
    """One document per line ``{"text": ..., "id"?, "title"?, "source"?, "license"?}``."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            report.skip("malformed_json", where, str(error))
            continue
        if not isinstance(item, dict):
            report.skip("malformed_json", where, f"expected an object, got {type(item).__name__}")
            continue
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            report.skip("empty_document", where, "no 'text'")
            continue
        doc_id = str(item.get("id") or f"{path.stem}:{number}")
        yield Document(
            id=f"jsonl:{doc_id}" if "id" not in item else doc_id,
            source=str(item.get("source") or f"jsonl:{path.name}"),
            title=str(item.get("title") or doc_id),
            text=text,
            license=str(item.get("license") or license or DEFAULT_LICENSE),
        )


def markdown_documents(path: Path, report: ImportReport, license: str | None = None) -> Iterator[Document]:
    """One document per file; YAML front matter may set id, title, source and license."""
    text = read_text(path)
    meta: dict[str, object] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            report.skip("malformed_json", path, f"bad front matter: {error}")
            return
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[match.end() :]
    heading = _HEADING.search(text)
    body = re.sub(r"^#+\s*", "", text, flags=re.MULTILINE)
    body = re.sub(r"[*_`]{1,3}", "", body)
    if not body.strip():
        report.skip("empty_document", path, "no text")
        return
    title = str(meta.get("title") or (heading.group(1).strip() if heading else path.stem))
    yield Document(
        id=str(meta.get("id") or f"md:{path.stem}"),
        source=str(meta.get("source") or f"markdown:{path.parent.name}"),
        title=title,
        text=body,
        license=str(meta.get("license") or license or DEFAULT_LICENSE),
    )
