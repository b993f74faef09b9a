"""MedlinePlus health-topic XML (``<health-topics>`` of ``<health-topic>`` with a full summary)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.textio import element_text, strip_html

MEDLINEPLUS_LICENSE = "public domain (U.S. National Library of Medicine; see medlineplus.gov/about/using)"


def is_medlineplus(root: ET.Element) -> bool:
    """True for a health-topics file or a single health topic."""
    return root.tag in ("health-topics", "health-topic")


def medlineplus_documents(
    root: ET.Element, path: Path, report: ImportReport, license: str | None = None
) -> Iterator[Document]:
    """One document per health topic: title, the names it is also called, and the summary text."""
    topics = [root] if root.tag == "health-topic" else root.findall("health-topic")
    for index, topic in enumerate(topics):
        topic_id = topic.get("id") or f"{path.stem}-{index}"
        title = topic.get("title") or ""
        summary = strip_html(element_text(topic.find("full-summary")))
        if not summary or not title:
            report.skip("empty_document", path, f"health topic {topic_id} has no title or summary")
            continue
        also = [element_text(a) for a in topic.findall("also-called") if element_text(a)]
        heading = title + (f" (also called {', '.join(also)})" if also else "")
        yield Document(
            id=f"medlineplus:{topic_id}",
            source="medlineplus",
            title=title,
            text=f"{heading}. {summary}",
            license=license or MEDLINEPLUS_LICENSE,
        )
