"""PubMed citation XML (title and abstract) and PMC/JATS full-text article XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.textio import element_text, local_name

PUBMED_LICENSE = "abstract copyright of the publisher; check reuse terms (PubMed)"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def is_pubmed(root: ET.Element) -> bool:
    """True for a PubMed article set or article."""
    return root.tag in ("PubmedArticleSet", "PubmedArticle", "MedlineCitation")


def is_pmc(root: ET.Element) -> bool:
    """True for a JATS ``<article>`` or a PMC ``<pmc-articleset>``."""
    return local_name(root.tag) in ("article", "pmc-articleset")


def pubmed_documents(
    root: ET.Element, path: Path, report: ImportReport, license: str | None = None
) -> Iterator[Document]:
    """One document per citation with an abstract; section labels are kept as words."""
    citations = [root] if root.tag == "MedlineCitation" else list(root.iter("MedlineCitation"))
    for index, citation in enumerate(citations):
        pmid = element_text(citation.find("PMID")) or f"{path.stem}-{index}"
        title = element_text(citation.find(".//ArticleTitle"))
        parts = []
        for abstract_text in citation.findall(".//Abstract/AbstractText"):
            label = abstract_text.get("Label")
            body = element_text(abstract_text)
            if body:
                parts.append(f"{label.capitalize()}: {body}" if label else body)
        if not parts:
            report.skip("empty_document", path, f"PMID {pmid} has no abstract")
            continue
        yield Document(
            id=f"pubmed:{pmid}",
            source="pubmed",
            title=title or f"PMID {pmid}",
            text=" ".join(parts),
            license=license or PUBMED_LICENSE,
        )


def _pmc_license(article: ET.Element) -> str:
    for element in article.iter():
        if local_name(element.tag) == "license":
            href = element.get(XLINK_HREF) or ""
            kind = element.get("license-type") or ""
            words = " ".join(part for part in (kind, href) if part)
            return words or element_text(element)[:200] or "see article"
    return "unknown (no <license> in the article; check PMC reuse terms)"


def _first(article: ET.Element, name: str) -> ET.Element | None:
    for element in article.iter():
        if local_name(element.tag) == name:
            return element
    return None


def pmc_documents(
    root: ET.Element, path: Path, report: ImportReport, license: str | None = None
) -> Iterator[Document]:
    """One document per article: abstract and body sections, each section's title kept inline."""
    articles = (
        [root] if local_name(root.tag) == "article" else [a for a in root if local_name(a.tag) == "article"]
    )
    for index, article in enumerate(articles):
        article_id = ""
        for element in article.iter():
            if local_name(element.tag) == "article-id" and element.get("pub-id-type") in ("pmcid", "pmc"):
                article_id = element_text(element)
                break
        article_id = article_id or f"{path.stem}-{index}"
        if not article_id.upper().startswith("PMC") and article_id.isdigit():
            article_id = f"PMC{article_id}"
        title = element_text(_first(article, "article-title"))
        texts = []
        abstract = _first(article, "abstract")
        if abstract is not None:
            texts.append(element_text(abstract))
        body = _first(article, "body")
        if body is not None:
            for paragraph in body.iter():
                if local_name(paragraph.tag) in ("p", "title"):
                    words = element_text(paragraph)
                    if words:
                        texts.append(words if local_name(paragraph.tag) == "p" else f"{words}.")
        text = " ".join(t for t in texts if t)
        if not text:
            report.skip("empty_document", path, f"article {article_id} has no abstract or body text")
            continue
        yield Document(
            id=f"pmc:{article_id}",
            source="pmc",
            title=title or article_id,
            text=text,
            license=license or _pmc_license(article),
        )
