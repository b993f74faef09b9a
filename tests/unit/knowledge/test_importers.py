"""Importers on the real corpora, and on malformed inputs that must be skipped with a counted reason."""

from __future__ import annotations

from pathlib import Path

from medtrinity.knowledge.chunking import chunk_text, document_passages
from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.importers import file_documents, source_documents
from medtrinity.knowledge.report import ImportReport


def test_medquad_real_files_yield_answers_with_licence(shared_knowledge: Path):
    folder = shared_knowledge / "medquad" / "1_CancerGov_QA"
    report = ImportReport()
    documents = [doc for path in sorted(folder.glob("*.xml"))[:10] for doc in file_documents(path, report)]
    assert len(documents) >= 10
    first = documents[0]
    assert first.id.startswith("medquad:CancerGov:0000001_1-") and first.source == "medquad:CancerGov"
    assert "CC-BY-4.0" in first.license and len(first.text) > 100
    assert report.skipped.get("malformed_xml", 0) == 0


def test_medquad_answers_removed_for_copyright_count_as_empty(tmp_path: Path):
    path = tmp_path / "q.xml"
    path.write_text(
        '<Document id="9" source="ADAM"><Focus>X</Focus><QAPairs><QAPair pid="1">'
        '<Question qid="9-1">What is X?</Question><Answer></Answer></QAPair></QAPairs></Document>',
        encoding="utf-8",
    )
    report = ImportReport()
    assert file_documents(path, report) == []
    assert report.skipped["empty_document"] == 1 and "q.xml" in report.messages[0]


def test_disease_ontology_terms_keep_synonyms_definition_and_cc0(shared_knowledge: Path):
    path = shared_knowledge / "disease_ontology" / "DO_cancer_slim.obo"
    report = ImportReport()
    documents = {doc.id: doc for doc in file_documents(path, report)}
    assert len(documents) > 500
    angiosarcoma = documents["DOID:0001816"]
    assert angiosarcoma.title == "angiosarcoma" and "hemangiosarcoma" in angiosarcoma.text
    assert "blood vessels" in angiosarcoma.text and angiosarcoma.license == "CC0-1.0"


def test_malformed_obo_stanzas_are_skipped_and_counted(tmp_path: Path):
    path = tmp_path / "bad.obo"
    path.write_text(
        "format-version: 1.2\n\n"
        '[Term]\nid: X:1\nname: good term\ndef: "A fine definition." []\n\n'
        "[Term]\nname: no id here\n\n"
        "[Term]\nid: X:3\nname: broken def\ndef: unquoted text []\n\n"
        "[Term]\nid: X:4\nname: old\nis_obsolete: true\n\n"
        "[Term]\nid: X:5\nname: garbage line\nthis line has no colon\n",
        encoding="utf-8",
    )
    report = ImportReport()
    documents = file_documents(path, report)
    assert [doc.id for doc in documents] == ["X:1"]
    assert report.skipped["malformed_obo_stanza"] == 3 and report.skipped["obsolete_term"] == 1
    assert all("bad.obo" in message for message in report.messages)


def test_bad_xml_latin1_and_unknown_files_are_skipped_and_the_rest_goes_on(tmp_path: Path):
    (tmp_path / "a_broken.xml").write_text("<Document id='1'><QAPairs>", encoding="utf-8")
    (tmp_path / "b_latin1.md").write_bytes("# Ödem\n\nLésion hépatique".encode("latin-1"))
    (tmp_path / "c_declared_latin1.xml").write_bytes(
        '<?xml version="1.0" encoding="ISO-8859-1"?><health-topics><health-topic id="7" title="Edeme">'
        "<full-summary>&lt;p&gt;Swelling caused by fluid (\xe9d\xe8me).&lt;/p&gt;</full-summary>"
        "</health-topic></health-topics>".encode("latin-1", errors="replace")
    )
    (tmp_path / "d_empty.md").write_text("   \n", encoding="utf-8")
    (tmp_path / "e_image.png").write_bytes(b"\x89PNG")
    (tmp_path / "f_ok.md").write_text(
        "---\nlicense: CC0\n---\n# Oedema\n\nFluid in tissue.", encoding="utf-8"
    )
    report = ImportReport()
    documents = list(source_documents(tmp_path, report))
    assert report.skipped == {
        "malformed_xml": 1,
        "unknown_encoding": 1,
        "empty_document": 1,
        "unsupported_file": 1,
    }
    assert any("b_latin1.md" in m and "iconv" in m for m in report.messages)
    assert {doc.title for doc in documents} == {"Edeme", "Oedema"}
    medline = [doc for doc in documents if doc.source == "medlineplus"]
    assert medline and "édème" in medline[0].text and "<p>" not in medline[0].text


def test_jsonl_bad_lines_and_pubmed_and_pmc(tmp_path: Path):
    (tmp_path / "n.jsonl").write_text(
        '{"id": "a", "text": "Alpha text."}\nnot json\n{"id": "b"}\n', encoding="utf-8"
    )
    (tmp_path / "pubmed.xml").write_text(
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>123</PMID><Article>"
        "<ArticleTitle>CT of appendicitis</ArticleTitle><Abstract><AbstractText Label='RESULTS'>"
        "Dilated appendix.</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
        "<PubmedArticle><MedlineCitation><PMID>124</PMID><Article><ArticleTitle>No abstract</ArticleTitle>"
        "</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>",
        encoding="utf-8",
    )
    (tmp_path / "pmc.nxml").write_text(
        '<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta>'
        '<article-id pub-id-type="pmcid">PMC42</article-id><title-group><article-title>Fundus study'
        '</article-title></title-group><permissions><license license-type="open-access" '
        'xlink:href="https://creativecommons.org/licenses/by/4.0/"/></permissions>'
        "<abstract><p>Drusen were counted.</p></abstract></article-meta></front>"
        "<body><sec><title>Methods</title><p>Photographs were graded.</p></sec></body></article>",
        encoding="utf-8",
    )
    report = ImportReport()
    documents = {doc.id: doc for doc in source_documents(tmp_path, report)}
    assert set(documents) == {"a", "pubmed:123", "pmc:PMC42"}
    assert documents["pubmed:123"].text == "Results: Dilated appendix."
    assert "Methods." in documents["pmc:PMC42"].text and "by/4.0" in documents["pmc:PMC42"].license
    assert report.skipped == {"malformed_json": 1, "empty_document": 2}


def test_chunks_overlap_and_keep_provenance():
    sentences = [f"Sentence number {i} talks about finding {i}." for i in range(60)]
    chunks = chunk_text(" ".join(sentences), max_words=50, overlap_words=12)
    assert len(chunks) > 5 and all(len(c.split()) <= 50 for c in chunks)
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert previous.split(". ")[-1].rstrip(".") in current  # the last sentence is repeated
    rows = document_passages(
        Document("d", "src", "T", " ".join(sentences), "CC0"), max_words=50, overlap_words=12
    )
    assert rows[0].id == "d#0" and rows[-1].id == f"d#{len(rows) - 1}"
    assert {(r.source, r.title, r.license, r.group) for r in rows} == {("src", "T", "CC0", "d")}
