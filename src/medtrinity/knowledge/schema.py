"""The bundled knowledge entry: its fields, and the check every data file must pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from medtrinity.vocab.modalities import IMAGED_MODALITIES

ENTRY_KINDS: tuple[str, ...] = ("disease", "finding", "anatomy")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_APPEARANCE_CHARS = 40
MIN_CLINICAL_CHARS = 40
_FIELDS = {"id", "name", "kind", "synonyms", "body_part", "organ", "appearance", "clinical"}


class EntryError(ValueError):
    """A knowledge entry that does not follow the schema; the message names the entry and field."""


@dataclass(frozen=True)
class Entry:
    """One bundled fact sheet: a disease, a finding or a structure and how it looks per modality."""

    id: str
    name: str
    kind: str
    body_part: str
    organ: str
    appearance: dict[str, str]
    clinical: str
    synonyms: tuple[str, ...] = field(default_factory=tuple)


def _text(raw: dict[str, Any], key: str, where: str, min_chars: int = 1) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or len(value.strip()) < min_chars:
        raise EntryError(
            f"{where}: field {key!r} must be text of at least {min_chars} characters, got {value!r}"
        )
    return " ".join(value.split())


def validate_entry(raw: object, where: str = "entry") -> Entry:
    """Check one raw mapping from a data file and return it as an :class:`Entry`.

    Raises :class:`EntryError` naming the entry and the offending field and value.
    """
    if not isinstance(raw, dict):
        raise EntryError(f"{where}: an entry must be a mapping, got {type(raw).__name__}")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise EntryError(f"{where}: unknown fields {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        raise EntryError(f"{where}: id must be lowercase words joined by '-', got {entry_id!r}")
    where = f"{where} {entry_id!r}"
    kind = raw.get("kind")
    if kind not in ENTRY_KINDS:
        raise EntryError(f"{where}: kind must be one of {ENTRY_KINDS}, got {kind!r}")
    synonyms = raw.get("synonyms", [])
    if not isinstance(synonyms, list) or not all(isinstance(s, str) and s.strip() for s in synonyms):
        raise EntryError(f"{where}: synonyms must be a list of non-empty texts, got {synonyms!r}")
    appearance = raw.get("appearance")
    if not isinstance(appearance, dict) or not appearance:
        raise EntryError(f"{where}: appearance must map at least one modality to text, got {appearance!r}")
    checked: dict[str, str] = {}
    for modality in appearance:
        if modality not in IMAGED_MODALITIES:
            raise EntryError(f"{where}: appearance modality {modality!r} is not one of {IMAGED_MODALITIES}")
        checked[modality] = _text(appearance, modality, f"{where} appearance", MIN_APPEARANCE_CHARS)
    return Entry(
        id=entry_id,
        name=_text(raw, "name", where),
        kind=kind,
        body_part=_text(raw, "body_part", where),
        organ=_text(raw, "organ", where),
        appearance=checked,
        clinical=_text(raw, "clinical", where, MIN_CLINICAL_CHARS),
        synonyms=tuple(" ".join(s.split()) for s in synonyms),
    )
