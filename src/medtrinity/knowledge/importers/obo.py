"""OBO ontologies (Disease Ontology, for instance): each term's name, synonyms and definition."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from medtrinity.knowledge.documents import Document
from medtrinity.knowledge.report import ImportReport
from medtrinity.knowledge.textio import read_text

_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"(.*)$')
_TAG_LINE = re.compile(r"^([A-Za-z_-]+):\s?(.*)$")


def _licence_next_to(path: Path) -> str:
    for name in ("LICENSE", "LICENSE.txt", "LICENCE"):
        candidate = path.parent / name
        if candidate.is_file():
            head = candidate.read_text(encoding="utf-8", errors="replace")[:400]
            for known in ("CC0 1.0", "CC BY 4.0", "Attribution 4.0", "CC-BY"):
                if known in head:
                    return "CC0-1.0" if known == "CC0 1.0" else "CC-BY-4.0"
            return f"see {candidate.name} next to {path.name}"
    return "unknown (no LICENSE next to the file)"


def _unquote(value: str) -> str | None:
    match = _QUOTED.match(value.strip())
    if match is None:
        return None
    return re.sub(r"\\(.)", r"\1", match.group(1))


def parse_stanzas(text: str) -> Iterator[tuple[int, str, list[tuple[str, str]]]]:
    """(line number, stanza type, [(tag, value)]) for every ``[Term]``-like stanza of an OBO text."""
    kind = ""
    start = 0
    tags: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if kind:
                yield start, kind, tags
            kind, start, tags = stripped[1:-1], number, []
            continue
        if not kind or not stripped or stripped.startswith("!"):
            continue
        match = _TAG_LINE.match(stripped)
        tags.append((match.group(1), match.group(2)) if match else ("__malformed__", stripped))
    if kind:
        yield start, kind, tags


def obo_documents(path: Path, report: ImportReport, license: str | None = None) -> Iterator[Document]:
    """One document per term; obsolete terms and stanzas without id, name or a readable line are skipped."""
    text = read_text(path)
    licence = license or _licence_next_to(path)
    ontology = path.stem
    for line, kind, tags in parse_stanzas(text):
        if kind != "Term":
            continue
        where = f"{path}:{line}"
        values: dict[str, list[str]] = {}
        for tag, value in tags:
            values.setdefault(tag, []).append(value)
        if "__malformed__" in values:
            report.skip(
                "malformed_obo_stanza", where, f"line without 'tag: value': {values['__malformed__'][0]!r}"
            )
            continue
        term_id = (values.get("id") or [""])[0].strip()
        name = (values.get("name") or [""])[0].strip()
        if not term_id or not name:
            report.skip(
                "malformed_obo_stanza", where, f"term without id or name (id={term_id!r}, name={name!r})"
            )
            continue
        if (values.get("is_obsolete") or ["false"])[0].strip() == "true":
            report.skip("obsolete_term", where, term_id)
            continue
        definition = ""
        if values.get("def"):
            definition = _unquote(values["def"][0]) or ""
            if not definition:
                report.skip("malformed_obo_stanza", where, f"{term_id}: unquoted def {values['def'][0]!r}")
                continue
        synonyms = []
        for raw in values.get("synonym", []):
            synonym = _unquote(raw)
            if synonym is None:
                report.skip("malformed_obo_stanza", where, f"{term_id}: unquoted synonym {raw!r}")
                synonyms = None
                break
            if synonym not in synonyms:
                synonyms.append(synonym)
        if synonyms is None:
            continue
        parents = [value.split("!", 1)[-1].strip() for value in values.get("is_a", []) if "!" in value]
        parts = [name + (f" (synonyms: {', '.join(synonyms)})" if synonyms else "") + "."]
        if definition:
            parts.append(definition)
        if parents:
            parts.append(f"It is a kind of {', '.join(parents)}.")
        yield Document(
            id=term_id,
            source=f"obo:{ontology}",
            title=name,
            text=" ".join(parts),
            license=licence,
        )
