"""A source's licence from its dataset's own description, else from the licence file it ships.

Exports filter and label rows by licence (``export --licence``, the dataset card), so a source whose
licence is never stated is left out of every licence-filtered export. A BIDS dataset states it in
``dataset_description.json`` ("License"), a Medical Segmentation Decathlon / nnU-Net folder often in
``dataset.json`` ("licence"): those are read as stated. Otherwise public datasets and the tools that
ship sample data put a licence file (``LICENSE``, ``LICENCE.md``, ``COPYING`` ...) at their root;
``inspect`` reads it and names the licence in the short form the card and the filters understand
("CC BY-SA 4.0", "Apache-2.0", "MIT"), as a guess to check: a repository's LICENSE may cover its code
and not the images beside it (TotalSegmentator's code is Apache-2.0, its data CC BY 4.0). A file it
cannot name, or none at all, becomes a line to check too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from medtrinity.inspect.common import Finding

LICENCE_STEMS = ("license", "licence", "copying")
LICENCE_SUFFIXES = ("", ".txt", ".md", ".rst")
# dataset descriptions that state a licence: (file name, keys), the standard's spelling first
DESCRIPTION_FILES = (("dataset_description.json", ("License", "license")), ("dataset.json", ("licence", "license")))
READ_CHARS = 20_000  # the name and the deciding clauses of every licence below come early in its text

_CC_ZERO = re.compile(r"\bcc0\b|creative commons zero", re.IGNORECASE)
# a Creative Commons legal code's title ("Attribution-NonCommercial-ShareAlike 4.0 International") or its
# short name ("CC BY-NC 4.0", "CC-BY-SA-4.0")
_CC_TITLE = re.compile(r"\battribution((?:[\s-]+(?:noncommercial|non-commercial|sharealike|share-alike|noderivatives|"
                       r"noderivs|no-derivatives))*)\s+(\d\.\d)\b", re.IGNORECASE)
_CC_SHORT = re.compile(r"\bcc[\s_-]+by((?:[\s_-]+(?:nc|sa|nd))*)[\s_-]+(\d\.\d)\b", re.IGNORECASE)
_OTHERS = (
    (re.compile(r"apache license,?\s+version 2\.0", re.IGNORECASE), "Apache-2.0"),
    (re.compile(r"permission is hereby granted,\s+free of charge", re.IGNORECASE), "MIT"),
    (re.compile(r"open database license", re.IGNORECASE), "ODbL-1.0"),
    (re.compile(r"gnu general public license\s+version 3", re.IGNORECASE), "GPL-3.0"),
    (re.compile(r"gnu general public license\s+version 2", re.IGNORECASE), "GPL-2.0"),
)
_BSD = re.compile(r"redistribution and use in source and binary forms", re.IGNORECASE)
_BSD_THIRD_CLAUSE = re.compile(r"neither the name of", re.IGNORECASE)


def _cc_terms(words: str) -> str:
    """'-NonCommercial-ShareAlike' or ' nc sa' -> '-NC-SA', in the order Creative Commons names them."""
    lowered = words.lower().replace("-", " ").replace("_", " ")
    terms = []
    if "noncommercial" in lowered or "non commercial" in lowered or re.search(r"\bnc\b", lowered):
        terms.append("NC")
    if "sharealike" in lowered or "share alike" in lowered or re.search(r"\bsa\b", lowered):
        terms.append("SA")
    if "noderiv" in lowered or "no derivatives" in lowered or re.search(r"\bnd\b", lowered):
        terms.append("ND")
    return "".join(f"-{term}" for term in terms)


def identify_licence(text: str) -> str | None:
    """The short name of the licence a licence file's text grants ("CC BY-NC-SA 4.0", "Apache-2.0", "MIT",
    "BSD-3-Clause", "CC0 1.0" ...), None when the text is none of those the exports know.

    The name that comes first wins: a licence names itself at its top, while its body may name others
    (CC BY-SA 4.0's closing notice mentions CC0).
    """
    head = text[:READ_CHARS]
    found: list[tuple[int, str]] = []
    if match := _CC_ZERO.search(head):
        found.append((match.start(), "CC0 1.0"))
    for pattern in (_CC_TITLE, _CC_SHORT):
        if match := pattern.search(head):
            found.append((match.start(), f"CC BY{_cc_terms(match.group(1))} {match.group(2)}"))
    for pattern, name in _OTHERS:
        if match := pattern.search(head):
            found.append((match.start(), name))
    if match := _BSD.search(head):
        found.append((match.start(), "BSD-3-Clause" if _BSD_THIRD_CLAUSE.search(head) else "BSD-2-Clause"))
    return min(found)[1] if found else None


def licence_files(folder: Path) -> list[Path]:
    """The licence files directly inside ``folder`` (LICENSE, LICENCE.txt, COPYING.md ...), sorted."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file()
                  and path.stem.lower() in LICENCE_STEMS and path.suffix.lower() in LICENCE_SUFFIXES)


def stated_licence(folder: Path) -> tuple[str, str] | None:
    """(licence, where it is stated) from a dataset description in ``folder`` (BIDS ``dataset_description.json``,
    MSD / nnU-Net ``dataset.json``), named in short form when it is a licence the exports know (MSD's
    "CC-BY-SA 4.0" -> "CC BY-SA 4.0"), else as written ("PDDL"); None when no description states one."""
    for file_name, keys in DESCRIPTION_FILES:
        path = folder / file_name
        if not path.is_file():
            continue
        try:
            description = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            continue  # an unreadable description states nothing; the reader reports it when it matters
        if not isinstance(description, dict):
            continue
        for key in keys:
            value = description.get(key)
            if isinstance(value, str) and value.strip():
                return identify_licence(value) or value.strip()[:200], f"{file_name}'s {key!r}"
    return None


def _folders_up_to(start: Path, root: Path) -> list[Path]:
    """``start`` (a folder, or a file's folder) and its parents up to ``root`` inclusive; just ``root``'s
    folder when ``start`` does not lie inside it. Never above what the user pointed at."""
    root = root if root.is_dir() else root.parent
    folder = start if start.is_dir() else start.parent
    if folder != root and root not in folder.parents:
        return [root]
    folders = [folder]
    while folder != root:
        folder = folder.parent
        folders.append(folder)
    return folders


def read_licences(finding: Finding) -> None:
    """Fill each source's ``license`` from the nearest dataset description or licence file between its files and
    the inspected path, recording how it is known; a source with a licence already (a recipe's) is left as it is."""
    for source in finding.sources:
        if not source.get("license"):
            _read_licence(source, finding)


def _read_licence(source: dict, finding: Finding) -> None:
    name = source["name"]
    for folder in _folders_up_to(Path(str(source.get("path", finding.path))), finding.path):
        stated = stated_licence(folder)
        if stated is not None:
            source["license"], where = stated
            finding.fact(name, "licence", source["license"], f"read from {where}")
            return
        files = licence_files(folder)
        if files:
            _guess_from_file(source, files[0], finding)
            return
    finding.todo.append(f"source {name}: no licence stated (no recipe, no LICENSE file): set `license` "
                        "before publishing; `export --licence` leaves out rows without one")


def _guess_from_file(source: dict, licence_file: Path, finding: Finding) -> None:
    name = source["name"]
    try:
        with open(licence_file, encoding="utf-8", errors="replace") as handle:
            text = handle.read(READ_CHARS)  # a licence names itself early; a huge or binary file is not read whole
    except OSError as error:
        finding.todo.append(f"{licence_file}: unreadable ({error}): set `license` of source {name}")
        return
    licence = identify_licence(text)
    if licence is None:
        finding.todo.append(f"{licence_file}: a licence file whose licence is not recognised: set `license` "
                            f"of source {name}")
        return
    source["license"] = licence
    # guessed, not read: a repository's LICENSE may cover its code and not the images it holds
    finding.fact(name, "licence", licence, f"guessed from {licence_file.name}")
    finding.todo.append(f"{licence_file}: licence {licence!r} taken for source {name}: check that it covers "
                        "the images, not only code")
