"""MedQuAD question-answer XML (one ``<Document>`` per file, ``<QAPair>`` answers as passages)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.textio import element_text

MEDQUAD_LICENSE = "CC-BY-4.0 (MedQuAD, Ben Abacha and Demner-Fushman 2019)"


def is_medquad(root: ET.Element) -> bool:
    """True for a MedQuAD ``<Document>`` root."""
    return root.tag == "Document" and root.find("QAPairs") is not None


def medquad_documents(
    root: ET.Element, path: Path, report: ImportReport, license: str | None = None
) -> Iterator[Document]:
    """One document per answered question; answers removed for copyright count as empty.

    Question ids repeat across MedQuAD collections, so the id carries the collection name.
    """
    doc_id = root.get("id") or path.stem
    collection = root.get("source") or "MedQuAD"
    focus = element_text(root.find("Focus")) or doc_id
    for pair in root.iter("QAPair"):
        question = pair.find("Question")
        qid = (question.get("qid") if question is not None else None) or f"{doc_id}-{pair.get('pid')}"
        answer = element_text(pair.find("Answer"))
        if not answer:
            report.skip("empty_document", path, f"question {qid} has no answer text")
            continue
        title = element_text(question) or focus
        yield Document(
            id=f"medquad:{collection}:{qid}",
            source=f"medquad:{collection}",
            title=f"{focus}: {title}" if focus not in title else title,
            text=answer,
            license=license or MEDQUAD_LICENSE,
            group=f"medquad:{collection}:{qid}",
        )
