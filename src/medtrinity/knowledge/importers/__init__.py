"""Importers for corpora a user brings; each file is dispatched by its extension or XML root.

Every importer yields :class:`~medtrinity.knowledge.documents.Document` objects and records what it
skips in an :class:`~medtrinity.knowledge.report.ImportReport`; one bad file never stops a build.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

from medtrinity.knowledge.builtin import BUILTIN_NAME, builtin_documents
from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.importers.jsonl_markdown import jsonl_documents, markdown_documents
from medtrinity.knowledge.importers.medlineplus import is_medlineplus, medlineplus_documents
from medtrinity.knowledge.importers.medquad import is_medquad, medquad_documents
from medtrinity.knowledge.importers.obo import obo_documents
from medtrinity.knowledge.importers.pubmed import is_pmc, is_pubmed, pmc_documents, pubmed_documents
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.textio import UnreadableFile, local_name, parse_xml

__all__ = ["file_documents", "source_documents", "XML_FORMATS", "TEXT_FORMATS"]

XmlImporter = Callable[[ET.Element, Path, ImportReport, "str | None"], Iterator[Document]]
TextImporter = Callable[[Path, ImportReport, "str | None"], Iterator[Document]]

# (recognises the root, importer): the first match wins.
XML_FORMATS: tuple[tuple[str, Callable[[ET.Element], bool], XmlImporter], ...] = (
    ("medquad", is_medquad, medquad_documents),
    ("medlineplus", is_medlineplus, medlineplus_documents),
    ("pubmed", is_pubmed, pubmed_documents),
    ("pmc", is_pmc, pmc_documents),
)
TEXT_FORMATS: dict[str, TextImporter] = {
    ".obo": obo_documents,
    ".jsonl": jsonl_documents,
    ".ndjson": jsonl_documents,
    ".md": markdown_documents,
    ".markdown": markdown_documents,
}
_QUIET_NAMES = ("license", "licence", "readme", "copying")


def _is_quiet(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(".") or name.startswith(_QUIET_NAMES)


def file_documents(path: Path, report: ImportReport, license: str | None = None) -> list[Document]:
    """Documents of one file; an unreadable or unknown file is counted in ``report`` and yields none."""
    suffix = path.suffix.lower()
    report.files += 1
    try:
        if suffix in TEXT_FORMATS:
            return list(TEXT_FORMATS[suffix](path, report, license))
        if suffix in (".xml", ".nxml"):
            root = parse_xml(path)
            for _name, recognises, importer in XML_FORMATS:
                if recognises(root):
                    return list(importer(root, path, report, license))
            report.skip("unsupported_file", path, f"unknown XML root <{local_name(root.tag)}>")
            return []
    except UnreadableFile as error:
        report.skip(error.reason, path, error.detail)
        return []
    except ET.ParseError as error:
        report.skip("malformed_xml", path, str(error))
        return []
    report.skip("unsupported_file", path, f"no importer for {suffix or 'files without extension'!r}")
    return []


def source_documents(
    source: str | Path, report: ImportReport, license: str | None = None
) -> Iterator[Document]:
    """Documents of a source: ``builtin``, one file, or a folder read recursively in sorted order."""
    if str(source) == BUILTIN_NAME:
        yield from builtin_documents()
        return
    path = Path(source)
    if not path.exists():
        report.skip("missing_path", path, "no such file or folder")
        return
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file != path and _is_quiet(file):
            continue
        yield from file_documents(file, report, license)
