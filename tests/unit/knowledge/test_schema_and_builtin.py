"""The bundled knowledge base follows its schema and has the promised coverage."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from medtrinity.knowledge.builtin import entry_documents, fingerprint, load_entries
from medtrinity.knowledge.schema import IMAGED_MODALITIES, EntryError, validate_entry


def test_every_bundled_entry_passes_the_schema_with_the_promised_coverage():
    entries = load_entries()
    kinds = Counter(entry.kind for entry in entries)
    modalities = Counter(m for entry in entries for m in entry.appearance)
    assert len(entries) >= 150
    assert kinds["disease"] >= 65
    assert set(modalities) == set(IMAGED_MODALITIES)
    assert min(modalities.values()) >= 10, modalities
    assert len({entry.id for entry in entries}) == len(entries)


def test_entry_documents_cite_the_entry_and_its_modality():
    entry = next(e for e in load_entries() if e.id == "hepatocellular-carcinoma")
    documents = {doc.id: doc for doc in entry_documents(entry)}
    assert set(documents) == {"builtin:hepatocellular-carcinoma/about"} | {
        f"builtin:hepatocellular-carcinoma/{m}" for m in entry.appearance
    }
    ct = documents["builtin:hepatocellular-carcinoma/ct"]
    assert "washes out" in ct.text and "HCC" in ct.text and ct.group == "builtin:hepatocellular-carcinoma"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "tumour"}, "kind must be one of"),
        ({"appearance": {"sonar": "x" * 50}}, "'sonar' is not one of"),
        ({"appearance": {"ct": "too short"}}, "at least 40 characters"),
        ({"id": "Bad Id"}, "lowercase words"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_schema_rejects_bad_entries_naming_the_value(change, message):
    raw = {
        "id": "test-entry",
        "name": "Test",
        "kind": "disease",
        "synonyms": ["t"],
        "body_part": "chest",
        "organ": "lung",
        "appearance": {"ct": "A round opacity with smooth margins in the lung periphery."},
        "clinical": "A made-up entry that exists only to exercise the schema check.",
    }
    validate_entry(raw)
    raw.update(change)
    with pytest.raises(EntryError, match=message):
        validate_entry(raw)


def test_duplicate_ids_across_files_are_an_error(tmp_path):
    entry = yaml.safe_load((load_entries.__globals__["entry_files"]()[0]).read_text(encoding="utf-8"))[0]
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump([entry]), encoding="utf-8")
    files = sorted(tmp_path.glob("*.yaml"))
    with pytest.raises(EntryError, match="already defined in a.yaml"):
        load_entries(files)
    assert fingerprint(files[:1]) != fingerprint(files)
